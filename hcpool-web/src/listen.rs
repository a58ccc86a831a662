//! `listen`: a TCP address or, as hcstakepool, a Unix socket path.
//!
//! hcstakepool reads a value containing `:` as TCP `host:port`, one starting with `.` or `/`
//! as a Unix socket path, and refuses anything else; [`Listen::parse`] does the same.
//!
//! Rocket 0.5 binds TCP only (its listener API is private), so a Unix socket is served
//! through a bridge: Rocket listens on an ephemeral port of 127.0.0.1 and
//! [`UnixBridge`] accepts on the socket and copies each connection to that port, both
//! ways. The socket is bound before anything else starts (a path that cannot be bound is
//! exit code 5), a stale socket file left by a crash is replaced (a live one, or a file that
//! is not a socket, is not), and the file is removed at shutdown. Requests arrive from
//! 127.0.0.1: behind a proxy on the socket set `realipheader`, as for any proxy.

use std::path::{Path, PathBuf};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::{Orbit, Rocket};
use tokio::net::{TcpStream, UnixListener};

use crate::error::WebError;
use crate::exit::Stage;

/// Where the app listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// TCP.
    Tcp(std::net::IpAddr, u16),
    /// A Unix socket at this path.
    Unix(PathBuf),
}

impl Listen {
    /// hcstakepool's rule: `:` → TCP ([`crate::parse_listen`]), a leading `.` or `/` → a
    /// Unix socket path, anything else is refused.
    ///
    /// # Errors
    /// [`WebError::Startup`] at [`Stage::Bind`] naming `listen`.
    pub fn parse(listen: &str) -> Result<Listen, WebError> {
        let v = listen.trim();
        if v.contains(':') {
            let (ip, port) =
                crate::parse_listen(v).map_err(|e| WebError::startup(Stage::Bind, "listen", e))?;
            return Ok(Listen::Tcp(ip, port));
        }
        if v.starts_with('.') || v.starts_with('/') {
            return Ok(Listen::Unix(PathBuf::from(v)));
        }
        Err(WebError::startup(
            Stage::Bind,
            "listen",
            format!(
                "{:?} is neither host:port nor a Unix socket path starting with . or /",
                hcpool_core::util::truncate(v, hcpool_core::util::ECHO_MAX)
            ),
        ))
    }
}

/// Binds the Unix socket at `path`, replacing a stale socket file (one nothing accepts on).
///
/// # Errors
/// [`WebError::Startup`] at [`Stage::Bind`]: the path is taken (a live socket, a file that
/// is not a socket) or cannot be bound.
pub fn bind_unix(path: &Path) -> Result<UnixListener, WebError> {
    let fail = |e: &dyn std::fmt::Display| {
        WebError::startup(Stage::Bind, &format!("listen {}", path.display()), e)
    };
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        use std::os::unix::fs::FileTypeExt;
        if !meta.file_type().is_socket() {
            return Err(fail(&"exists and is not a socket"));
        }
        match std::os::unix::net::UnixStream::connect(path) {
            Ok(_) => return Err(fail(&"another process listens on it")),
            Err(_) => {
                tracing::info!(path = %path.display(), "replacing a stale socket file");
                std::fs::remove_file(path).map_err(|e| fail(&e))?;
            }
        }
    }
    UnixListener::bind(path).map_err(|e| fail(&e))
}

/// The bridge from a Unix socket to Rocket's loopback port: started at liftoff (when the
/// port is known), stopped with Rocket's shutdown, which also removes the socket file.
pub struct UnixBridge {
    listener: std::sync::Mutex<Option<UnixListener>>,
    path: PathBuf,
}

impl UnixBridge {
    /// A bridge from `listener` (bound at `path`).
    pub fn new(listener: UnixListener, path: PathBuf) -> Self {
        UnixBridge {
            listener: std::sync::Mutex::new(Some(listener)),
            path,
        }
    }
}

#[rocket::async_trait]
impl Fairing for UnixBridge {
    fn info(&self) -> Info {
        Info {
            name: "unix socket bridge",
            kind: Kind::Liftoff | Kind::Shutdown,
        }
    }

    async fn on_liftoff(&self, rocket: &Rocket<Orbit>) {
        let Some(listener) = hcpool_core::util::lock(&self.listener).take() else {
            return;
        };
        let port = rocket.config().port;
        let shutdown = rocket.shutdown();
        tracing::info!(socket = %self.path.display(), "hcpool-web listening on a Unix socket");
        tokio::spawn(bridge(listener, port, shutdown));
    }

    async fn on_shutdown(&self, _rocket: &Rocket<Orbit>) {
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::warn!(socket = %self.path.display(), error = %e, "socket file not removed");
        }
    }
}

/// Accepts on `listener` until `shutdown`, copying each connection to `127.0.0.1:port`.
async fn bridge(listener: UnixListener, port: u16, shutdown: rocket::Shutdown) {
    let mut backoff = hcpool_rpc::accept::AcceptBackoff::default();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((mut client, _)) => {
                backoff.succeeded();
                tokio::spawn(async move {
                    match TcpStream::connect(("127.0.0.1", port)).await {
                        Ok(mut app) => {
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut app).await;
                        }
                        Err(e) => tracing::warn!(error = %e, "unix socket bridge: app unreachable"),
                    }
                });
            }
            Err(e) => {
                let pause = backoff.failed();
                tracing::warn!(error = %e, ?pause, "unix socket accept failed");
                tokio::time::sleep(pause).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcstakepools_rule() {
        assert_eq!(
            Listen::parse(":8000").unwrap(),
            Listen::Tcp([0, 0, 0, 0].into(), 8000)
        );
        assert_eq!(
            Listen::parse("/run/hcpool/web.sock").unwrap(),
            Listen::Unix("/run/hcpool/web.sock".into())
        );
        assert_eq!(
            Listen::parse("./web.sock").unwrap(),
            Listen::Unix("./web.sock".into())
        );
        for bad in ["web.sock", "8000", "host:x"] {
            let e = Listen::parse(bad).unwrap_err();
            assert_eq!(e.exit_code(), 5, "{bad}: {e}");
        }
    }

    #[tokio::test]
    async fn stale_sockets_are_replaced_live_ones_and_files_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("web.sock");
        let live = bind_unix(&path).unwrap();
        assert!(bind_unix(&path).is_err(), "a live socket is kept");
        drop(live);
        // The file stays after the listener is dropped: a stale socket.
        assert!(path.exists());
        let _again = bind_unix(&path).unwrap();
        let file = dir.path().join("plain");
        std::fs::write(&file, "x").unwrap();
        let e = bind_unix(&file).unwrap_err();
        assert!(e.to_string().contains("not a socket"), "{e}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
    }
}
