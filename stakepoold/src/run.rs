//! Wiring: connect to hcwallet and hcd (or start the demo's simulated ones), build the
//! daemon, serve gRPC and metrics, handle notifications until shutdown.

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hcpool_core::backend::Store;
use hcpool_core::{ExtendedPubKey, FeeAddressSet, Network, PoolFeeRate};
use hcpool_rpc::node::NotificationStream;
use hcpool_simnet::{Role, SimCluster, SimConfig};
use hcpool_rpc::{check, ClientConfig, JsonRpcNode, JsonRpcWallet, PinnedCert};
use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::config::{Config, DbConfig};
use crate::daemon::{Daemon, DaemonDeps, DaemonOptions};
use crate::error::{Error, Result};

/// hcstakepool derives this many fee addresses from `coldwalletextpub`.
pub const FEE_ADDRESSES: u32 = 10_000;

/// How often the demo mines a block.
pub const DEMO_BLOCK_INTERVAL: Duration = Duration::from_secs(2);

/// Opens the store named by `db` (SQLite or MySQL/MariaDB, schema brought up to date). A
/// failure is logged and gives `None`: the daemon then votes with what the web app sends by
/// gRPC (`SetUserVotingPrefs`, `SetAddedLowFeeTickets`) instead of refusing to start.
pub async fn open_store(db: &DbConfig) -> Option<Arc<dyn Store>> {
    let url = db.url();
    let shown = hcpool_db::redact_url(url.expose());
    match hcpool_db::connect(url.expose()).await {
        Ok(store) => {
            info!(db = %shown, "database opened");
            Some(store)
        }
        Err(e) => {
            error!(db = %shown, error = %e,
                "cannot open the database; waiting for the web app's gRPC calls");
            None
        }
    }
}

/// Where the daemon's wallet and node are, and what it must know of the pool to map and
/// fee-check tickets: the input of [`connect`].
pub struct Links {
    /// hcwallet (the voting wallet).
    pub wallet: ClientConfig,
    /// hcd (notifications, relaying votes, block heights).
    pub node: ClientConfig,
    /// `coldwalletextpub`: the pool's fee addresses are derived from it.
    pub cold_wallet_ext_pub: String,
    /// How many fee addresses count as the pool's ([`FEE_ADDRESSES`] in production).
    pub fee_addresses: u32,
    /// `poolfees`.
    pub pool_fees: PoolFeeRate,
    /// The network.
    pub network: Network,
    /// The pool's database, if any ([`open_store`]).
    pub store: Option<Arc<dyn Store>>,
    /// `allowwalletvoting`: start even when the wallet votes by itself
    /// (`walletinfo.voting`); refused otherwise.
    pub allow_wallet_voting: bool,
}

/// Connects to the wallet and the node (JSON-RPC over pinned TLS, redialled by the clients
/// when a link drops), checks both ([`hcpool_rpc::check`]: the network, the API versions,
/// the wallet's `walletinfo.voting`), registers hcd's notifications and derives the pool's
/// fee addresses: everything [`Daemon::start`] and [`Daemon::run`] take. The binary and
/// embedders (the web demo's in-process daemons) share it.
///
/// # Errors
/// A bad xpub, a connection or the notification registration failing; a wallet or hcd on
/// another network ([`hcpool_rpc::Error::WrongNetwork`]); a wallet that votes by itself
/// without `allow_wallet_voting` ([`Error::WalletVotes`]).
pub async fn connect(links: Links) -> Result<(DaemonDeps, NotificationStream)> {
    let network = links.network;
    let cold =
        ExtendedPubKey::from_str(&links.cold_wallet_ext_pub).map_err(hcpool_core::Error::from)?;
    let wallet = JsonRpcWallet::connect(links.wallet).await?;
    let node = JsonRpcNode::connect(links.node).await?;
    // Before the derivation: a wrong network is reported as such, not as a key problem.
    check_links(&wallet, &node, network, links.allow_wallet_voting).await?;
    let count = links.fee_addresses;
    let fee_addresses =
        tokio::task::spawn_blocking(move || FeeAddressSet::derive(&cold, network, count))
            .await
            .map_err(|e| Error::Task(e.to_string()))??;
    let notifications = node.notifications()?;
    node.register_notifications().await?;
    let node = Arc::new(node);
    let wallet = Arc::new(wallet);
    let deps = DaemonDeps {
        wallet: wallet.clone(),
        wallet_link: Some(wallet),
        node: node.clone(),
        node_link: Some(node.clone()),
        heights: node,
        store: links.store,
        fee_addresses: Arc::new(fee_addresses),
        pool_fees: links.pool_fees,
        network,
    };
    Ok((deps, notifications))
}

/// The connect checks of [`connect`]: both servers on `network` (untested API versions
/// are logged), and the wallet not voting by itself unless `allow_wallet_voting`.
///
/// # Errors
/// As [`connect`].
pub async fn check_links(
    wallet: &JsonRpcWallet,
    node: &JsonRpcNode,
    network: Network,
    allow_wallet_voting: bool,
) -> Result<()> {
    check::check_node(node, network).await?;
    let w = check::check_wallet(wallet, network).await?;
    if w.voting == Some(true) {
        if !allow_wallet_voting {
            return Err(Error::WalletVotes { wallet: w.label });
        }
        warn!(
            wallet = %w.label,
            "the wallet votes by itself (allowwalletvoting=1): its votes race stakepoold's"
        );
    }
    Ok(())
}

/// Runs the daemon described by `config` until `shutdown` resolves.
///
/// # Errors
/// Start-up failures: connecting, keys, the first ticket scan, binding a listener.
pub async fn run(config: Config, shutdown: impl Future<Output = ()> + Send) -> Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    // The demo cluster must live as long as the daemon.
    let mut _cluster = None;
    let (wallet, node, cold, pool_fees) = if config.demo {
        let sim = SimConfig::default();
        let cluster = SimCluster::start(sim.clone())
            .await
            .map_err(|e| Error::Task(format!("simulated cluster: {e}")))?;
        let peer = |role: Role| {
            cluster
                .client_config(role)
                .ok_or_else(|| Error::Task(format!("simulated cluster has no {role:?}")))
        };
        // A pool's voting wallet runs without --enablevoting.
        cluster.with_wallet(0, |w| w.voting = false);
        let w = peer(Role::Wallet(0))?;
        let n = peer(Role::Node(0))?;
        info!(certs = %cluster.cert_dir().display(), "demo: simulated hcwallet and hcd started");
        _cluster = Some(Arc::new(cluster));
        let fees = PoolFeeRate::from_percent(sim.pool_fees).map_err(hcpool_core::Error::from)?;
        (w, n, sim.cold_xpub, fees)
    } else {
        let peer = |p: &Option<crate::config::RpcPeer>, what: &str| -> Result<ClientConfig> {
            let p = p
                .as_ref()
                .ok_or_else(|| Error::Config(format!("{what}host is required")))?;
            Ok(ClientConfig::new(
                p.host.clone(),
                p.user.clone(),
                p.password.clone(),
                PinnedCert::File(p.cert.clone()),
            ))
        };
        (
            peer(&config.wallet, "wallet")?,
            peer(&config.hcd, "hcd")?,
            config.cold_wallet_ext_pub.clone(),
            config.pool_fees,
        )
    };
    let store = match &config.db {
        Some(db) => open_store(db).await,
        None => None,
    };
    let (deps, notifications) = connect(Links {
        wallet,
        node,
        cold_wallet_ext_pub: cold,
        fee_addresses: FEE_ADDRESSES,
        pool_fees,
        network: config.network,
        store,
        allow_wallet_voting: config.allow_wallet_voting,
    })
    .await?;
    // The wallet's --poolfees cannot be read; its verdicts on known tickets can.
    crate::feecheck::check_at_start(&deps).await?;
    let daemon = Daemon::start(deps, DaemonOptions::default()).await?;

    let mut tasks = tokio::task::JoinSet::new();
    if !config.rpc_listen.is_empty() {
        let tls = crate::grpc::tls_config_with(
            &config.rpc_cert,
            &config.rpc_key,
            config.client_ca_file.as_deref(),
        )?;
        match &config.client_ca_file {
            Some(ca) => {
                info!(clientcafile = %ca.display(), "gRPC clients must present a certificate")
            }
            None => info!("gRPC clients present no certificate (as the original)"),
        }
        // Only the explicit compat mode reaches here with open listeners (Config refuses
        // the rest).
        for addr in config.unauthenticated_listeners() {
            warn!(
                %addr,
                "gRPC listens beyond loopback WITHOUT client authentication (noclientauth=1): \
                 anyone who reaches it can replace every user's voting preferences; set \
                 clientcafile once the web app presents a client certificate"
            );
        }
        for addr in &config.rpc_listen {
            let l = tokio::net::TcpListener::bind(addr.as_str())
                .await
                .map_err(|e| Error::io(format!("gRPC listen {addr}"), e))?;
            let local = l.local_addr().map_err(|e| Error::io("gRPC listen", e))?;
            info!(%local, cert = %config.rpc_cert.display(), "gRPC listening");
            let fut = crate::grpc::serve(daemon.clone(), l, tls.clone(), stopped());
            tasks.spawn(async move {
                if let Err(e) = fut.await {
                    warn!(error = %e, "gRPC server stopped");
                }
            });
        }
    }
    if let Some(addr) = &config.metrics_listen {
        let l = tokio::net::TcpListener::bind(addr.as_str())
            .await
            .map_err(|e| Error::io(format!("metrics listen {addr}"), e))?;
        info!(addr = %addr, "metrics listening");
        let d = daemon.clone();
        let render = Arc::new(move || d.render_metrics());
        let fut = crate::metrics::serve(l, render, stopped());
        tasks.spawn(async move {
            if let Err(e) = fut.await {
                warn!(error = %e, "metrics server stopped");
            }
        });
    }
    if let Some(cluster) = _cluster.clone() {
        let stop = stopped();
        tasks.spawn(async move {
            tokio::select! {
                _ = cluster.mine_every(DEMO_BLOCK_INTERVAL) => {}
                _ = stop => {}
            }
        });
    }

    daemon.run(notifications, shutdown).await;
    info!("shutting down");
    let _ = stop_tx.send(true);
    while tasks.join_next().await.is_some() {}
    Ok(())
}
