//! Security headers on every response.

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::Header;
use rocket::{Request, Response};

/// Adds CSP, framing, sniffing and referrer headers to every response, [`HSTS`] when
/// `cookiesecure=1`, and
/// `Cache-Control: no-store` to everything but the static assets.
#[derive(Debug, Clone, Copy)]
pub struct SecurityHeaders;

/// The content security policy: our own origin only, no inline script, no framing.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
                       form-action 'self'; base-uri 'none'; object-src 'none'";

/// `Strict-Transport-Security`, sent on every response when `cookiesecure=1` (the pool is
/// served over HTTPS): one year, subdomains not included (the operator's other hosts are
/// not ours to pin).
pub const HSTS: &str = "max-age=31536000";

#[rocket::async_trait]
impl Fairing for SecurityHeaders {
    fn info(&self) -> Info {
        Info {
            name: "security headers",
            kind: Kind::Response,
        }
    }

    async fn on_response<'r>(&self, req: &'r Request<'_>, res: &mut Response<'r>) {
        res.set_header(Header::new("Content-Security-Policy", CSP));
        res.set_header(Header::new("X-Frame-Options", "DENY"));
        res.set_header(Header::new("X-Content-Type-Options", "nosniff"));
        res.set_header(Header::new("Referrer-Policy", "same-origin"));
        let secure = req
            .rocket()
            .state::<crate::state::AppState>()
            .is_some_and(|s| s.settings.cookie_secure);
        if secure {
            res.set_header(Header::new("Strict-Transport-Security", HSTS));
        }
        if !req.uri().path().starts_with("/assets/") {
            res.set_header(Header::new("Cache-Control", "no-store"));
        }
    }
}
