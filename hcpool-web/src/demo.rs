//! The demo's moving parts: in-process stakepoold daemons on a simulated cluster (also used
//! by the end-to-end tests) and the simulated chain an admin can advance.
//!
//! Each one is the stakepoold library's [`Daemon`] on one simulated voting wallet and hcd,
//! serving its gRPC API over TLS on loopback with a certificate generated in a data
//! directory. The web app reaches it exactly like a configured node: through
//! `stakepooldhosts` / `stakepooldcerts` and [`hcpool_rpc::stakepoold::GrpcVotingNode`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hcpool_core::PoolFeeRate;
use hcpool_rpc::node::NotificationStream;
use hcpool_simnet::{Role, SimCluster, TicketPurchase};
use stakepoold::{Daemon, DaemonDeps, DaemonOptions};
use tokio::sync::watch;

use crate::error::WebError;

fn fail(what: &str, e: impl std::fmt::Display) -> WebError {
    WebError::Config(format!("in-process stakepoold: {what}: {e}"))
}

/// The demo's simulated chain, which an admin may advance from the status page.
pub trait DemoChain: Send + Sync {
    /// Mines one block; returns its height.
    ///
    /// # Errors
    /// The simulator's refusal, as text.
    fn mine_block(&self) -> Result<u32, String>;

    /// The user's own wallet buys a ticket for `multisig_address`, paying the pool fee to
    /// fee address `fee_index` (the user id); returns the ticket hash.
    ///
    /// # Errors
    /// The simulator's refusal, as text.
    fn buy_ticket(&self, multisig_address: &str, fee_index: u32) -> Result<String, String>;
}

impl DemoChain for SimCluster {
    fn mine_block(&self) -> Result<u32, String> {
        match self.mine(1) {
            Ok(blocks) => Ok(blocks.last().map_or(0, |b| b.1)),
            Err(e) => Err(e.to_string()),
        }
    }

    fn buy_ticket(&self, multisig_address: &str, fee_index: u32) -> Result<String, String> {
        // A tenth of the price to the pool: more than any pool fee the demo uses.
        let fee = self.config().chain.stake_difficulty / 10;
        let purchase = TicketPurchase::new(multisig_address, fee, fee_index);
        SimCluster::buy_ticket(self, &purchase)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    }
}

/// What a daemon on the simulated cluster is built from; change a part (for example wrap
/// `deps.node` to watch the votes) before [`LocalStakepoold::start`].
pub struct SimDaemonParts {
    /// The daemon's links and settings.
    pub deps: DaemonDeps,
    /// hcd's notifications (already registered).
    pub notifications: NotificationStream,
}

/// Connects to simulated wallet `wallet` and hcd `node` of `cluster` the way stakepoold
/// does ([`stakepoold::run::connect`]: JSON-RPC over pinned TLS, the connect checks,
/// notifications registered, the pool's fee addresses derived from the cluster's cold
/// xpub). The simulated wallet's `voting` flag is turned off first, as a pool's voting
/// wallet runs without `--enablevoting`.
///
/// # Errors
/// [`WebError::Config`] when the cluster has no such endpoint or a connection fails.
pub async fn sim_parts(
    cluster: &SimCluster,
    wallet: usize,
    node: usize,
) -> Result<SimDaemonParts, WebError> {
    let sim = cluster.config();
    let client = |role: Role| {
        cluster
            .client_config(role)
            .ok_or_else(|| fail("simulated cluster", format!("no {}", role.name())))
    };
    // A pool's voting wallet runs without --enablevoting (stakepoold refuses one that votes
    // by itself); the simulated wallets start with it on.
    cluster.with_wallet(wallet, |w| w.voting = false);
    let (deps, notifications) = stakepoold::run::connect(stakepoold::run::Links {
        wallet: client(Role::Wallet(wallet))?,
        node: client(Role::Node(node))?,
        cold_wallet_ext_pub: sim.cold_xpub.clone(),
        fee_addresses: sim.fee_addresses,
        pool_fees: PoolFeeRate::from_percent(sim.pool_fees).map_err(|e| fail("poolfees", e))?,
        network: sim.network,
        store: None,
        allow_wallet_voting: false,
    })
    .await
    .map_err(|e| fail("connect", e))?;
    Ok(SimDaemonParts {
        deps,
        notifications,
    })
}

/// A running in-process stakepoold. Dropping it stops its tasks.
pub struct LocalStakepoold {
    addr: SocketAddr,
    cert_path: PathBuf,
    daemon: Arc<Daemon>,
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for LocalStakepoold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStakepoold")
            .field("addr", &self.addr)
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

impl LocalStakepoold {
    /// A daemon on simulated wallet `wallet` (and hcd 0) of `cluster`, its certificate and
    /// key in `dir` (`rpc.cert`, `rpc.key`, generated when absent).
    ///
    /// # Errors
    /// [`WebError::Config`] when a connection, the start-up scan or the listener fails.
    pub async fn on_cluster(
        cluster: &SimCluster,
        wallet: usize,
        dir: &Path,
    ) -> Result<Self, WebError> {
        Self::on_cluster_with_client_ca(cluster, wallet, dir, None).await
    }

    /// As [`LocalStakepoold::on_cluster`], requiring client certificates from `client_ca`
    /// ([`LocalStakepoold::start_with_client_ca`]).
    ///
    /// # Errors
    /// As [`LocalStakepoold::start_with_client_ca`].
    pub async fn on_cluster_with_client_ca(
        cluster: &SimCluster,
        wallet: usize,
        dir: &Path,
        client_ca: Option<&Path>,
    ) -> Result<Self, WebError> {
        let parts = sim_parts(cluster, wallet, 0).await?;
        Self::start_with_client_ca(parts, dir, client_ca).await
    }

    /// Starts the daemon from `parts` and serves its gRPC API on an ephemeral loopback port.
    ///
    /// # Errors
    /// [`WebError::Config`] when the start-up scan, the certificate or the listener fails.
    pub async fn start(parts: SimDaemonParts, dir: &Path) -> Result<Self, WebError> {
        Self::start_with_client_ca(parts, dir, None).await
    }

    /// As [`LocalStakepoold::start`]; with `client_ca`, gRPC clients must present a
    /// certificate that this PEM file pins or signs (stakepoold's `clientcafile`).
    ///
    /// # Errors
    /// As [`LocalStakepoold::start`], and when `client_ca` cannot be used.
    pub async fn start_with_client_ca(
        parts: SimDaemonParts,
        dir: &Path,
        client_ca: Option<&Path>,
    ) -> Result<Self, WebError> {
        let daemon = Daemon::start(parts.deps, DaemonOptions::default())
            .await
            .map_err(|e| fail("start", e))?;
        let (cert_path, key_path) = (dir.join("rpc.cert"), dir.join("rpc.key"));
        let tls = stakepoold::grpc::tls_config_with(&cert_path, &key_path, client_ca)
            .map_err(|e| fail("certificate", e))?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| fail("gRPC listener", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| fail("gRPC listener", e))?;
        let (stop, stop_rx) = watch::channel(false);
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|s| *s).await;
            }
        };
        let serve = stakepoold::grpc::serve(daemon.clone(), listener, tls, stopped());
        let grpc = tokio::spawn(async move {
            if let Err(e) = serve.await {
                tracing::warn!(error = %e, "in-process stakepoold: gRPC server stopped");
            }
        });
        let d = daemon.clone();
        let shutdown = stopped();
        let notifications = parts.notifications;
        let run = tokio::spawn(async move { d.run(notifications, shutdown).await });
        tracing::info!(%addr, cert = %cert_path.display(), "in-process stakepoold started");
        Ok(LocalStakepoold {
            addr,
            cert_path,
            daemon,
            stop,
            tasks: vec![grpc, run],
        })
    }

    /// `host:port` of its gRPC API (a `stakepooldhosts` entry).
    pub fn host(&self) -> String {
        self.addr.to_string()
    }

    /// Its certificate (a `stakepooldcerts` entry).
    pub fn cert_path(&self) -> &Path {
        &self.cert_path
    }

    /// The daemon (its live tickets, metrics).
    pub fn daemon(&self) -> &Arc<Daemon> {
        &self.daemon
    }

    /// Stops serving and voting.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for LocalStakepoold {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// The configuration lines that make the web app use `nodes`.
pub fn conf_fragment(nodes: &[LocalStakepoold]) -> String {
    let hosts: Vec<String> = nodes.iter().map(LocalStakepoold::host).collect();
    let certs: Vec<String> = nodes
        .iter()
        .map(|n| n.cert_path().display().to_string())
        .collect();
    format!(
        "enablestakepoold=1\nstakepooldhosts={}\nstakepooldcerts={}\n",
        hosts.join(","),
        certs.join(",")
    )
}
