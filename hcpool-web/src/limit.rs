//! Client IP (the socket peer, or a parsed `realipheader` value) and per-IP rate limits: sign-in, sign-up and reset
//! ([`AUTH_ATTEMPTS_PER_MINUTE`](crate::state::AUTH_ATTEMPTS_PER_MINUTE)) and the API
//! (`apiratelimit` per minute, [`ApiQuota`]).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome};
use rocket::Request;

use crate::state::AppState;

/// The client's address: the one place that decides it. The rate-limit keys, the admin
/// check (`adminips`), the request log and the "request made from IP address" text in mails
/// all use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIp(pub String);

/// The client IP of `req` under `header` (`realipheader`).
///
/// Without a header it is the socket peer's address: nothing the client sends is trusted
/// (Rocket's own `ip_header` is switched off in [`crate::figment`]). With a header, its value
/// must parse as an IP address (`1.2.3.4`, `::1`, `1.2.3.4:5678`, `[::1]:5678`); for
/// `X-Forwarded-For` the right-most entry is used, the hop the proxy itself appended (the
/// proxy must append to, not replace or pass through, the client's header). A missing or
/// unparsable value falls back to the socket peer: junk is never a key. Empty when the
/// request has no peer address (Rocket's local test client).
pub fn client_ip(req: &Request<'_>, header: Option<&str>) -> String {
    let from_header = header
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .and_then(|h| header_ip(req, h));
    from_header
        .or_else(|| req.remote().map(|sa| sa.ip()))
        .map(|ip| ip.to_string())
        .unwrap_or_default()
}

/// The IP in header `name`, if its (last, for `X-Forwarded-For` right-most) value is one.
fn header_ip(req: &Request<'_>, name: &str) -> Option<IpAddr> {
    let value = if name.eq_ignore_ascii_case("x-forwarded-for") {
        // Repeated headers are one list, in order.
        req.headers().get(name).last()?.rsplit(',').next()?
    } else {
        req.headers().get(name).last()?
    };
    let ip = parse_ip(value);
    if ip.is_none() {
        tracing::debug!(header = name, "unparsable client IP header ignored");
    }
    ip
}

/// `1.2.3.4`, `::1`, `1.2.3.4:5678` or `[::1]:5678` as an IP; anything else `None`.
pub fn parse_ip(value: &str) -> Option<IpAddr> {
    let v = value.trim();
    v.parse::<IpAddr>()
        .ok()
        .or_else(|| v.parse::<SocketAddr>().ok().map(|sa| sa.ip()))
        .or_else(|| {
            v.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse().ok())
        })
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

/// Counts one password attempt (a form that checks a password) against the client IP and
/// against the account (`email`, case-insensitive; unknown addresses count alike, so a 429
/// reveals nothing). Both are counted even when one is over, so rotating IPs still spends the
/// account's budget. `false` when either is over its limit. The account key is a hash: no
/// address is kept in memory.
pub fn allow_password_attempt(limiter: &RateLimiter, ip: &ClientIp, email: &str) -> bool {
    let account = format!(
        "account:{}",
        crate::auth::sha256_hex(&email.trim().to_ascii_lowercase())
    );
    let ip_ok = limiter.allow(&ip.0);
    let account_ok = limiter.allow(&account);
    ip_ok && account_ok
}

/// Counts one request that sends mail (`what`: the form) against the client IP and against
/// `subject` (a user id or an address; hashed, so no address is kept in memory), both counted
/// even when one is over. `false` when either is over the limiter's budget.
pub fn allow_mail_request(limiter: &RateLimiter, what: &str, ip: &ClientIp, subject: &str) -> bool {
    let ip_ok = limiter.allow(&format!("{what}:ip:{}", ip.0));
    let subject_ok = limiter.allow(&format!("{what}:to:{}", crate::auth::sha256_hex(subject)));
    ip_ok && subject_ok
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
        // A known key (the common case) costs no allocation.
        let e = match t.get_mut(key) {
            Some(e) => e,
            None => t.entry(key.to_owned()).or_insert((now, 0)),
        };
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

    #[test]
    fn ip_values() {
        let ip = |s: &str| parse_ip(s).map(|i| i.to_string());
        assert_eq!(ip(" 10.0.0.1 ").as_deref(), Some("10.0.0.1"));
        assert_eq!(ip("10.0.0.1:5555").as_deref(), Some("10.0.0.1"));
        assert_eq!(ip("[::1]:80").as_deref(), Some("::1"));
        assert_eq!(ip("[::1]").as_deref(), Some("::1"));
        assert_eq!(ip("::1").as_deref(), Some("::1"));
        for junk in ["", "unknown", "10.0.0.1, 10.0.0.2", "10.0.0.256", "a:b"] {
            assert_eq!(ip(junk), None, "{junk}");
        }
    }
}
