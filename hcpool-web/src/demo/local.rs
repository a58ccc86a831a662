//! The demo's in-process stakepoold daemons on the simulated cluster (feature `demo`).

use std::path::Path;
use std::sync::Arc;

use hcpool_core::PoolFeeRate;
use hcpool_rpc::node::NotificationStream;
use hcpool_simnet::{Role, SimCluster, TicketPurchase};
use stakepoold::{DaemonDeps, InProcess, ServeOptions};

use super::DemoChain;
use crate::error::WebError;

fn fail(what: &str, e: impl std::fmt::Display) -> WebError {
    WebError::Config(format!("in-process stakepoold: {what}: {e}"))
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

/// A running in-process stakepoold ([`stakepoold::InProcess`]). Dropping it stops its
/// tasks.
#[derive(Debug)]
pub struct LocalStakepoold(InProcess);

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
        let options = ServeOptions {
            client_ca: client_ca.map(Path::to_path_buf),
            ..ServeOptions::loopback(dir)
        };
        let node = InProcess::start(parts.deps, parts.notifications, options)
            .await
            .map_err(|e| fail("start", e))?;
        tracing::info!(addr = %node.host(), cert = %node.cert_path().display(),
            "in-process stakepoold started");
        Ok(LocalStakepoold(node))
    }

    /// `host:port` of its gRPC API (a `stakepooldhosts` entry).
    pub fn host(&self) -> String {
        self.0.host()
    }

    /// Its certificate (a `stakepooldcerts` entry).
    pub fn cert_path(&self) -> &Path {
        self.0.cert_path()
    }

    /// The daemon (its live tickets, metrics).
    pub fn daemon(&self) -> &Arc<stakepoold::Daemon> {
        self.0.daemon()
    }

    /// Stops serving and voting.
    pub fn stop(&self) {
        self.0.stop();
    }

    /// The stakepoold handle.
    pub fn in_process(&self) -> &InProcess {
        &self.0
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
