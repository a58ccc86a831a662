//! Client configuration: where to connect, how to authenticate, what to pin.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use hcpool_core::Secret;

/// How calls reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Mode {
    /// One websocket at `wss://host/ws`, calls pipelined and matched by id (the default, and
    /// the only mode with notifications).
    #[default]
    WebSocket,
    /// One `POST /` per call with `Connection: close` (hcrpcclient's `HTTPPostMode`).
    HttpPost,
}

/// What the websocket client does when the connection drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reconnect {
    /// Fail pending calls and shut down (hcstakepool's wallet clients).
    Never,
    /// Redial after `base × attempt`, capped at `max` (hcrpcclient: 5 s, 60 s).
    Backoff {
        /// Delay unit.
        base: Duration,
        /// Longest delay.
        max: Duration,
        /// `true`: keep pending calls and queue new ones until the link is back, then send
        /// them again (stakepoold's behaviour). `false`: fail them at once with
        /// [`crate::Error::Disconnected`] while redialing in the background, so that a
        /// manager can count the wallet as absent without waiting.
        queue_while_down: bool,
    },
}

impl Reconnect {
    /// hcrpcclient's reconnect loop: 5 s × attempt, at most 60 s, calls queued.
    pub const GO_DEFAULT: Reconnect = Reconnect::Backoff {
        base: Duration::from_secs(5),
        max: Duration::from_secs(60),
        queue_while_down: true,
    };

    /// The same loop, but calls fail at once with [`crate::Error::Disconnected`] while the
    /// link is down: what a [`crate::WalletManager`]'s wallets should use, so that a dead
    /// wallet counts as absent instead of stalling every fan-out until the timeout.
    pub const FAIL_FAST: Reconnect = Reconnect::Backoff {
        base: Duration::from_secs(5),
        max: Duration::from_secs(60),
        queue_while_down: false,
    };
}

/// Where the pinned server certificate comes from.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PinnedCert {
    /// A PEM file (hcwallet's `rpc.cert`); every certificate in it is accepted.
    File(PathBuf),
    /// PEM text already read.
    Pem(String),
}

impl fmt::Debug for PinnedCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinnedCert::File(p) => write!(f, "File({})", p.display()),
            PinnedCert::Pem(s) => write!(f, "Pem({} bytes)", s.len()),
        }
    }
}

/// Settings of one JSON-RPC client. `Debug` never shows the password.
#[derive(Clone)]
pub struct ClientConfig {
    /// `host:port` (IPv6 in brackets).
    pub host: String,
    /// RPC user.
    pub user: String,
    /// RPC password.
    pub password: Secret<String>,
    /// The server's self-signed certificate.
    pub cert: PinnedCert,
    /// Also require the certificate to name the host (Go checks the SANs). Off by default:
    /// the certificate is pinned byte-for-byte, which is the stronger check.
    pub check_hostname: bool,
    /// Websocket (default) or POST.
    pub mode: Mode,
    /// The websocket path (`ws`).
    pub endpoint: String,
    /// Per-call timeout; `None` waits forever like the Go client.
    pub timeout: Option<Duration>,
    /// Time allowed for TCP + TLS + upgrade.
    pub connect_timeout: Duration,
    /// Websocket reconnect policy.
    pub reconnect: Reconnect,
}

impl ClientConfig {
    /// A websocket client config with the defaults: 30 s call timeout, 10 s connect
    /// timeout, hcrpcclient's reconnect loop.
    pub fn new(
        host: impl Into<String>,
        user: impl Into<String>,
        password: Secret<String>,
        cert: PinnedCert,
    ) -> Self {
        ClientConfig {
            host: host.into(),
            user: user.into(),
            password,
            cert,
            check_hostname: false,
            mode: Mode::WebSocket,
            endpoint: "ws".to_owned(),
            timeout: Some(Duration::from_secs(30)),
            connect_timeout: Duration::from_secs(10),
            reconnect: Reconnect::GO_DEFAULT,
        }
    }

    /// The host part of `host` (no port, no brackets), for SNI and the SAN check.
    pub(crate) fn hostname(&self) -> &str {
        let h = self.host.as_str();
        if let Some(rest) = h.strip_prefix('[') {
            return rest.split(']').next().unwrap_or(rest);
        }
        match h.rsplit_once(':') {
            Some((name, port))
                if !name.contains(':') && port.chars().all(|c| c.is_ascii_digit()) =>
            {
                name
            }
            _ => h,
        }
    }

    /// The `Authorization` header value. Never log it.
    pub(crate) fn basic_auth(&self) -> String {
        use base64::Engine as _;
        let raw = format!("{}:{}", self.user, self.password.expose());
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        )
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("host", &self.host)
            .field("user", &self.user)
            .field("password", &"***")
            .field("cert", &self.cert)
            .field("check_hostname", &self.check_hostname)
            .field("mode", &self.mode)
            .field("endpoint", &self.endpoint)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("reconnect", &self.reconnect)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(host: &str) -> ClientConfig {
        ClientConfig::new(
            host,
            "user",
            Secret::new("hunter2".to_owned()),
            PinnedCert::Pem(String::new()),
        )
    }

    #[test]
    fn debug_redacts_password() {
        let s = format!("{:?}", cfg("127.0.0.1:12010"));
        assert!(!s.contains("hunter2"), "{s}");
        assert!(s.contains("***"));
    }

    #[test]
    fn hostname_strips_port_and_brackets() {
        assert_eq!(cfg("127.0.0.1:12010").hostname(), "127.0.0.1");
        assert_eq!(cfg("[::1]:12010").hostname(), "::1");
        assert_eq!(cfg("localhost").hostname(), "localhost");
    }

    #[test]
    fn basic_auth_is_base64_of_user_colon_pass() {
        assert_eq!(cfg("h").basic_auth(), "Basic dXNlcjpodW50ZXIy");
    }
}
