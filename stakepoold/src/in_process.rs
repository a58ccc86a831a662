//! One daemon started in-process: the start-up scan, the gRPC API over TLS (and metrics,
//! if asked), notifications handled on tasks, and a handle that stops them. The binary
//! ([`crate::run()`]), the web demo, and the end-to-end suites all start stakepoold this way.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use hcpool_core::backend::ChainNotification;
use hcpool_rpc::pinned_tls::CertCurve;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::{info, warn};

use crate::daemon::{Daemon, DaemonDeps, DaemonOptions};
use crate::error::{Error, Result};

/// Where the gRPC API listens.
#[derive(Debug)]
pub enum Listen {
    /// Bind this `host:port` once the daemon has started (port 0: an ephemeral one).
    Addr(String),
    /// A listener the caller bound already.
    Bound(TcpListener),
}

impl From<&str> for Listen {
    fn from(addr: &str) -> Listen {
        Listen::Addr(addr.to_owned())
    }
}

/// How an in-process daemon serves: its gRPC listeners and TLS files, optional metrics.
#[derive(Debug)]
pub struct ServeOptions {
    /// gRPC listeners (none: the daemon votes without serving gRPC, `norpclisten`).
    pub grpc: Vec<Listen>,
    /// The gRPC certificate (generated with the key when both are absent).
    pub cert: PathBuf,
    /// The gRPC key.
    pub key: PathBuf,
    /// `clientcafile`: clients must present a certificate this PEM file pins or signs.
    pub client_ca: Option<PathBuf>,
    /// `tlscurve`: the curve of a generated certificate (P-256 unless asked otherwise).
    pub tls_curve: CertCurve,
    /// Prometheus metrics `host:port`.
    pub metrics: Option<String>,
    /// The daemon's tunables.
    pub daemon: DaemonOptions,
}

impl ServeOptions {
    /// gRPC on an ephemeral loopback port, certificate and key in `dir` (`rpc.cert`,
    /// `rpc.key`), no client certificates, no metrics: the demo's and the tests' daemons.
    pub fn loopback(dir: &Path) -> ServeOptions {
        ServeOptions {
            grpc: vec![Listen::from("127.0.0.1:0")],
            cert: dir.join("rpc.cert"),
            key: dir.join("rpc.key"),
            client_ca: None,
            tls_curve: CertCurve::default(),
            metrics: None,
            daemon: DaemonOptions::default(),
        }
    }
}

/// A running in-process stakepoold. Dropping it stops its tasks at once; [`InProcess::shutdown`]
/// lets them finish.
pub struct InProcess {
    addrs: Vec<SocketAddr>,
    cert: PathBuf,
    daemon: Arc<Daemon>,
    stop: watch::Sender<bool>,
    /// The servers.
    tasks: Vec<JoinHandle<()>>,
    /// The notification loop ([`Daemon::run`]).
    voting: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcess")
            .field("addrs", &self.addrs)
            .field("cert", &self.cert)
            .finish_non_exhaustive()
    }
}

impl InProcess {
    /// Starts the daemon on `deps` ([`Daemon::start`]: the start-up scan), then binds and
    /// serves its gRPC API over TLS and its metrics, and handles `notifications` until
    /// [`InProcess::stop`].
    ///
    /// # Errors
    /// The start-up scan, the certificate or a listener failing.
    pub async fn start<S>(
        deps: DaemonDeps,
        notifications: S,
        options: ServeOptions,
    ) -> Result<InProcess>
    where
        S: Stream<Item = ChainNotification> + Send + Unpin + 'static,
    {
        let daemon = Daemon::start(deps, options.daemon).await?;
        let (stop, stop_rx) = watch::channel(false);
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        };
        let mut tasks = Vec::new();
        let mut addrs = Vec::new();
        if !options.grpc.is_empty() {
            let tls = crate::grpc::tls_config_on(
                &options.cert,
                &options.key,
                options.client_ca.as_deref(),
                options.tls_curve,
            )?;
            for listen in options.grpc {
                let l = match listen {
                    Listen::Bound(l) => l,
                    Listen::Addr(addr) => TcpListener::bind(addr.as_str())
                        .await
                        .map_err(|e| Error::io(format!("gRPC listen {addr}"), e))?,
                };
                let local = l.local_addr().map_err(|e| Error::io("gRPC listen", e))?;
                info!(%local, cert = %options.cert.display(), "gRPC listening");
                addrs.push(local);
                let fut = crate::grpc::serve(daemon.clone(), l, tls.clone(), stopped());
                tasks.push(tokio::spawn(async move {
                    if let Err(e) = fut.await {
                        warn!(error = %e, "gRPC server stopped");
                    }
                }));
            }
        }
        if let Some(addr) = &options.metrics {
            let l = TcpListener::bind(addr.as_str())
                .await
                .map_err(|e| Error::io(format!("metrics listen {addr}"), e))?;
            info!(addr = %addr, "metrics listening");
            let d = daemon.clone();
            let render = Arc::new(move || d.render_metrics());
            let fut = crate::metrics::serve(l, render, stopped());
            tasks.push(tokio::spawn(async move {
                if let Err(e) = fut.await {
                    warn!(error = %e, "metrics server stopped");
                }
            }));
        }
        let d = daemon.clone();
        let shutdown = stopped();
        let voting = tokio::spawn(async move { d.run(notifications, shutdown).await });
        Ok(InProcess {
            addrs,
            cert: options.cert,
            daemon,
            stop,
            tasks,
            voting: Some(voting),
        })
    }

    /// The first gRPC address (`None` without gRPC listeners).
    pub fn addr(&self) -> Option<SocketAddr> {
        self.addrs.first().copied()
    }

    /// Every gRPC address, in the order of [`ServeOptions::grpc`].
    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// `host:port` of its (first) gRPC API: a `stakepooldhosts` entry.
    pub fn host(&self) -> String {
        self.addr().map(|a| a.to_string()).unwrap_or_default()
    }

    /// Its gRPC certificate: a `stakepooldcerts` entry.
    pub fn cert_path(&self) -> &Path {
        &self.cert
    }

    /// The daemon (its live tickets, health, metrics).
    pub fn daemon(&self) -> &Arc<Daemon> {
        &self.daemon
    }

    /// Asks every task to stop (servers close, the notification loop ends); returns at once.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    /// Runs until `shutdown` resolves or the notification stream ends, then stops and
    /// waits for every task (the binary's lifetime).
    pub async fn run_until(mut self, shutdown: impl std::future::Future<Output = ()>) {
        if let Some(mut voting) = self.voting.take() {
            tokio::select! {
                _ = shutdown => {}
                _ = &mut voting => {}
            }
            info!("shutting down");
            let _ = self.stop.send(true);
            let _ = voting.await;
        }
        let _ = self.stop.send(true);
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
    }

    /// Stops and waits for the tasks to end, each for at most `timeout` (then it is
    /// aborted).
    pub async fn shutdown(mut self, timeout: Duration) {
        let _ = self.stop.send(true);
        let tasks = std::mem::take(&mut self.tasks);
        for t in self.voting.take().into_iter().chain(tasks) {
            let abort = t.abort_handle();
            if tokio::time::timeout(timeout, t).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for t in self.tasks.iter().chain(&self.voting) {
            t.abort();
        }
    }
}
