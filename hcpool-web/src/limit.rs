//! Client IP (honouring `realipheader`) and per-IP rate limits: sign-in, sign-up and reset
//! ([`AUTH_ATTEMPTS_PER_MINUTE`](crate::state::AUTH_ATTEMPTS_PER_MINUTE)) and the API
//! (`apiratelimit` per minute, [`ApiQuota`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome};
use rocket::Request;

use crate::state::AppState;

/// The client's address as hcstakepool saw it (inventory §2.5): the `realipheader` value
/// (port stripped when it parses as host:port, else raw), or the peer's IP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIp(pub String);

/// The client IP of `req` under `header` (`None`: the socket peer).
pub fn client_ip(req: &Request<'_>, header: Option<&str>) -> String {
    match header.filter(|h| !h.is_empty()) {
        Some(h) => {
            let v = req.headers().get_one(h).unwrap_or("").trim();
            match v.parse::<SocketAddr>() {
                Ok(sa) => sa.ip().to_string(),
                Err(_) => v.to_owned(),
            }
        }
        None => req.client_ip().map(|ip| ip.to_string()).unwrap_or_default(),
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ClientIp {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let header = req
            .rocket()
            .state::<AppState>()
            .and_then(|s| s.settings.real_ip_header.clone());
        Outcome::Success(ClientIp(client_ip(req, header.as_deref())))
    }
}

/// A request guard for the API routes: counts the request against `apiratelimit` for the
/// client IP. Over the limit it fails with 429, which the API catcher answers with the
/// envelope (`code` 8, ResourceExhausted) and `Retry-After`.
#[derive(Debug, Clone, Copy)]
pub struct ApiQuota;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for ApiQuota {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, ()> {
        let Some(state) = req.rocket().state::<AppState>() else {
            return Outcome::Success(ApiQuota);
        };
        if state.settings.api_rate_limit == 0 {
            return Outcome::Success(ApiQuota);
        }
        let ip = client_ip(req, state.settings.real_ip_header.as_deref());
        if state.api_limiter.allow(&ip) {
            Outcome::Success(ApiQuota)
        } else {
            tracing::info!(%ip, "API request rate limited");
            Outcome::Error((Status::TooManyRequests, ()))
        }
    }
}

/// A fixed-window counter per key. Memory is bounded: expired windows are dropped whenever
/// the table grows past `max_keys`, and new keys are refused (limited) if it is still full.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Duration,
    max_keys: usize,
    table: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// At most `limit` hits per `window` per key.
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            max_keys: 100_000,
            table: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a hit for `key`; `false` when the key is over its limit.
    pub fn allow(&self, key: &str) -> bool {
        let now = Instant::now();
        let mut t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if t.len() >= self.max_keys && !t.contains_key(key) {
            let window = self.window;
            t.retain(|_, (start, _)| now.duration_since(*start) < window);
            if t.len() >= self.max_keys {
                return false;
            }
        }
        let e = t.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(e.0) >= self.window {
            *e = (now, 0);
        }
        e.1 = e.1.saturating_add(1);
        e.1 <= self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key() {
        let l = RateLimiter::new(2, Duration::from_secs(3600));
        assert!(l.allow("a") && l.allow("a"));
        assert!(!l.allow("a"));
        assert!(l.allow("b"));
    }
}
