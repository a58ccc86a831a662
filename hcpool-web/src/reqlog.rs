//! Request logging through `tracing`: one line per request with the method, the path, the
//! status, the time taken and the client IP (`realipheader` honoured).
//!
//! Secrets never reach the log: the query string is left out (verification, reset and
//! email-change links carry their tokens there), and no header or body is logged (API
//! tokens travel in `Authorization`, passwords in form bodies, sessions in cookies).

use std::time::Instant;

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Data, Request, Response};

use crate::limit::ClientIp;

/// The fairing.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestLog;

/// When the request arrived (kept in the request's local cache).
struct Arrived(Option<Instant>);

#[rocket::async_trait]
impl Fairing for RequestLog {
    fn info(&self) -> Info {
        Info {
            name: "request log",
            kind: Kind::Request | Kind::Response,
        }
    }

    async fn on_request(&self, req: &mut Request<'_>, _: &mut Data<'_>) {
        req.local_cache(|| Arrived(Some(Instant::now())));
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        let status = res.status().code;
        // Nothing below is needed when the line would be dropped (the level is filtered).
        let enabled = if status >= 500 {
            tracing::enabled!(tracing::Level::WARN)
        } else {
            tracing::enabled!(tracing::Level::INFO)
        };
        if !enabled {
            return;
        }
        let elapsed_us = req.local_cache(|| Arrived(None)).0.map_or(0, |at| {
            u64::try_from(at.elapsed().as_micros()).unwrap_or(u64::MAX)
        });
        let ip = req
            .guard::<ClientIp>()
            .await
            .succeeded()
            .map(|c| c.0)
            .unwrap_or_default();
        let method = req.method().as_str();
        let path = req.uri().path().as_str();
        if status >= 500 {
            tracing::warn!(method, path, status, elapsed_us, %ip, "request");
        } else {
            tracing::info!(method, path, status, elapsed_us, %ip, "request");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    /// Collects what the subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[rocket::get("/emailverify?<t>")]
    fn verify(t: &str) -> String {
        format!("{} chars", t.len())
    }

    #[test]
    fn a_request_is_logged_without_its_query_or_headers() {
        let out = Captured::default();
        let writer = out.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let rocket = rocket::custom(
                rocket::Config::figment().merge(("log_level", rocket::config::LogLevel::Off)),
            )
            .attach(RequestLog)
            .mount("/", rocket::routes![verify]);
            let client = rocket::local::blocking::Client::untracked(rocket).unwrap();
            let res = client
                .get("/emailverify?t=SECRET-TOKEN-123")
                .header(rocket::http::Header::new(
                    "Authorization",
                    "Bearer SECRET-JWT",
                ))
                .dispatch();
            assert_eq!(res.status().code, 200);
            let res = client.get("/nowhere").dispatch();
            assert_eq!(res.status().code, 404);
        });
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        assert!(
            text.contains("/emailverify") && text.contains("status=200"),
            "{text}"
        );
        assert!(
            text.contains("/nowhere") && text.contains("status=404"),
            "{text}"
        );
        assert!(text.contains("elapsed_us="), "{text}");
        assert!(
            !text.contains("SECRET"),
            "no token or header in the log: {text}"
        );
    }
}
