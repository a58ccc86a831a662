//! Wiring: connect to hcwallet and hcd (or start the demo's simulated ones), build the
//! daemon, serve gRPC and metrics ([`InProcess`]), handle notifications until shutdown.

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use hcpool_core::backend::Store;
use hcpool_core::{ExtendedPubKey, FeeAddressSet, Network, PoolFeeRate};
use hcpool_rpc::node::NotificationStream;
use hcpool_rpc::{check, ClientConfig, JsonRpcNode, JsonRpcWallet, PinnedCert};
use tracing::{error, info, warn};

use crate::config::{Config, DbConfig, RpcPeer, Upstream};
use crate::daemon::{DaemonDeps, DaemonOptions, StoreRetry, STORE_RELOAD, STORE_RETRY_MAX};
use crate::demo::Demo;
use crate::error::{Error, Result};
use crate::in_process::{InProcess, Listen, ServeOptions};

/// hcstakepool derives this many fee addresses from `coldwalletextpub` (hcpool: the
/// default of `maxusers`, [`Config::max_users`]).
pub const FEE_ADDRESSES: u32 = 10_000;

/// How often the demo mines a block.
pub const DEMO_BLOCK_INTERVAL: Duration = Duration::from_secs(2);

/// Opens the store named by `db` (SQLite or MySQL/MariaDB, schema brought up to date). A
/// failure is logged and gives `None`: the daemon then votes with its saved state (the
/// binary refuses to start without one: [`require_saved_state`]) and tries the database
/// again in the background ([`crate::daemon::StoreRetry`]).
pub async fn open_store(db: &DbConfig) -> Option<Arc<dyn Store>> {
    let shown = hcpool_db::redact_url(db.url().expose());
    match try_open_store(db).await {
        Ok(store) => {
            info!(db = %shown, "database opened");
            Some(store)
        }
        Err(e) => {
            error!(db = %shown, error = %e,
                "cannot open the database; voting with the saved state until it answers \
                 (retried in the background)");
            None
        }
    }
}

/// Opens the store named by `db`; the error as text (never with the URL's password).
///
/// # Errors
/// The store's connect or migration error.
pub async fn try_open_store(db: &DbConfig) -> std::result::Result<Arc<dyn Store>, String> {
    hcpool_db::connect(db.url().expose())
        .await
        .map_err(|e| e.to_string())
}

/// The database is down at start: there must be a usable saved state at `path` to vote
/// with, else the daemon would vote for nobody (exit 7, as a database failure).
///
/// # Errors
/// [`hcpool_core::Error::Store`] when the file is missing or unusable.
pub fn require_saved_state(path: &std::path::Path, network: Network) -> Result<()> {
    let why = match crate::state::load(path, network) {
        Ok(Some(_)) => return Ok(()),
        Ok(None) => format!("there is no saved state ({})", path.display()),
        Err(e) => format!("the saved state cannot be used ({e})"),
    };
    Err(hcpool_core::Error::store(
        hcpool_core::BackendKind::Unavailable,
        format!(
            "the database cannot be opened and {why}: nothing to vote with; start stakepoold \
             once the database answers"
        ),
    )
    .into())
}

/// A [`StoreRetry`] that opens `db` again.
pub fn store_retry(db: &DbConfig) -> StoreRetry {
    let db = db.clone();
    StoreRetry {
        open: Arc::new(move || {
            let db = db.clone();
            let rt = tokio::runtime::Handle::current();
            Box::pin(async move {
                // On a blocking thread: the store's connect future is not `Send` for every
                // lifetime (sqlx), which a boxed `Send` future must be.
                let opened =
                    tokio::task::spawn_blocking(move || rt.block_on(try_open_store(&db))).await;
                match opened {
                    Ok(Ok(s)) => Some(s),
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "the database is still unavailable");
                        None
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "opening the database failed");
                        None
                    }
                }
            })
        }),
        first: STORE_RETRY_FIRST,
        max: STORE_RETRY_MAX,
    }
}

/// The first pause before the database that was down at start is tried again.
pub const STORE_RETRY_FIRST: Duration = Duration::from_secs(2);

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
/// fee addresses: everything [`Daemon::start`](crate::daemon::Daemon::start) and [`Daemon::run`](crate::daemon::Daemon::run) take. The binary and
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

/// Runs the daemon described by `config` until `shutdown` resolves (or hcd's notification
/// stream ends): connects its upstream, checks the wallet's fee verdicts, then serves as an
/// [`InProcess`] daemon.
///
/// # Errors
/// Start-up failures: connecting, keys, the first ticket scan, binding a listener; a demo
/// configuration in a binary built without the `demo` feature.
pub async fn run(config: Config, shutdown: impl Future<Output = ()> + Send) -> Result<()> {
    let store = match &config.db {
        Some(db) => match open_store(db).await {
            Some(store) => Some(store),
            None => {
                require_saved_state(
                    &config.datadir.join(crate::state::STATE_FILE),
                    config.network,
                )?;
                None
            }
        },
        None => None,
    };
    // Without its store at start: the database is tried again in the background.
    let retry = match (&config.db, &store) {
        (Some(db), None) => Some(store_retry(db)),
        _ => None,
    };
    let links = |wallet, node, cold_wallet_ext_pub, pool_fees| Links {
        wallet,
        node,
        cold_wallet_ext_pub,
        fee_addresses: config.max_users,
        pool_fees,
        network: config.network,
        store,
        allow_wallet_voting: config.allow_wallet_voting,
    };
    // The demo's cluster must live (and mine) as long as the daemon.
    let (links, _demo) = match &config.upstream {
        Upstream::Rpc {
            hcd,
            wallet,
            cold_wallet_ext_pub,
        } => {
            let client = |p: &RpcPeer| {
                ClientConfig::new(
                    p.host.clone(),
                    p.user.clone(),
                    p.password.clone(),
                    PinnedCert::File(p.cert.clone()),
                )
            };
            let links = links(
                client(wallet),
                client(hcd),
                cold_wallet_ext_pub.clone(),
                config.pool_fees,
            );
            (links, None)
        }
        Upstream::Simulated => {
            let demo = Demo::start(DEMO_BLOCK_INTERVAL).await?;
            let links = links(
                demo.wallet().clone(),
                demo.node().clone(),
                demo.cold_wallet_ext_pub().to_owned(),
                demo.pool_fees(),
            );
            (links, Some(demo))
        }
    };
    let (deps, notifications) = connect(links).await?;
    // The wallet's --poolfees cannot be read; its verdicts on known tickets can.
    crate::feecheck::check_at_start(&deps).await?;
    let mut options = serve_options(&config);
    options.daemon.store_retry = retry;
    let daemon = InProcess::start(deps, notifications, options).await?;
    daemon.run_until(shutdown).await;
    Ok(())
}

/// How the binary serves: `rpclisten` with its TLS files and `clientcafile`,
/// `metricslisten`.
fn serve_options(config: &Config) -> ServeOptions {
    if !config.rpc_listen.is_empty() {
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
    }
    ServeOptions {
        grpc: config
            .rpc_listen
            .iter()
            .map(|a| Listen::from(a.as_str()))
            .collect(),
        cert: config.rpc_cert.clone(),
        key: config.rpc_key.clone(),
        client_ca: config.client_ca_file.clone(),
        tls_curve: config.tls_curve,
        metrics: config.metrics_listen.clone(),
        daemon: DaemonOptions {
            // Only with a database: the demo's simulated chain starts anew each time.
            state_file: config
                .db
                .is_some()
                .then(|| config.datadir.join(crate::state::STATE_FILE)),
            // Without gRPC nobody pushes users: read them again, as the original.
            store_reload: config.rpc_listen.is_empty().then_some(STORE_RELOAD),
            ..DaemonOptions::default()
        },
    }
}
