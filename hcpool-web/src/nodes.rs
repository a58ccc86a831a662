//! The pool's stakepoold nodes: built from `enablestakepoold`, `stakepooldhosts` and
//! `stakepooldcerts` (and the client certificate of `stakepooldclientcert` /
//! `stakepooldclientkey`, for nodes with mutual TLS), kept current by a background retry
//! (which also notices a node that restarted: hcpool's stakepoold tells its instance in
//! `Ping`), and their health for the admin status page.
//!
//! Pushing the configuration after each change is [`hcpool_core::service::VotingNodes`]'
//! job (every node, concurrently, from a task of its own, one push at a time so the latest
//! state wins; every node is marked stale before anything is sent and stays so until a
//! push reaches it). What this module adds is the I/O around it: the gRPC clients with
//! their pinned certificates, and a task that keeps retrying stale nodes until they have
//! the current configuration (whatever made them miss it: a node down, the database
//! unreadable, a request dropped by its deadline).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use hcpool_core::backend::VotingNode;
use hcpool_core::config::PoolConfig;
use hcpool_core::service::{PoolService, VotingNodes};
use hcpool_rpc::stakepoold::{ClientIdentity, GrpcVotingNode, GrpcVotingNodeConfig};
use serde::Serialize;

use crate::error::WebError;

/// How often stale nodes are retried.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(15);

/// The admin page waits at most this long for a node's answers.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(5);

fn resolve(base: &Path, file: &str) -> PathBuf {
    let p = Path::new(file);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// The configured stakepoold clients (none unless `enablestakepoold`).
///
/// Each node gets hcstakepool's version handshake. A node with an incompatible API version
/// (or a certificate that cannot be loaded) is a start-up error, as in the original; a node
/// that does not answer is only logged (unlike the original, which exits): it starts stale
/// and the retry task gives it the configuration when it comes up.
///
/// With `stakepooldclientcert` / `stakepooldclientkey`, every node is offered that client
/// certificate (generated, with its key, when the key file is missing: copy it into each
/// stakepoold's `clientcafile`).
///
/// # Errors
/// [`WebError::Config`] naming `stakepooldcerts`, `stakepooldclientcert` or the host.
pub async fn connect(
    cfg: &PoolConfig,
    cert_base: &Path,
) -> Result<Vec<Arc<dyn VotingNode>>, WebError> {
    if !cfg.enable_stakepoold {
        return Ok(Vec::new());
    }
    let identity = client_identity(cfg, cert_base)?;
    let mut nodes: Vec<Arc<dyn VotingNode>> = Vec::new();
    for (i, host) in cfg.stakepoold_hosts.iter().enumerate() {
        let cert = cfg.stakepoold_certs.get(i).ok_or_else(|| {
            WebError::Config(format!("stakepooldcerts: no certificate for {host}"))
        })?;
        let mut node_cfg = GrpcVotingNodeConfig::new(host.clone(), resolve(cert_base, cert));
        node_cfg.client_identity.clone_from(&identity);
        let node = GrpcVotingNode::connect_lazy(&node_cfg)
            .map_err(|e| WebError::Config(format!("stakepooldcerts ({host}): {e}")))?;
        match node.check_version().await {
            Ok(v) => tracing::info!(node = %host, version = %v.version, "stakepoold connected"),
            Err(e @ hcpool_rpc::Error::IncompatibleVersion { .. }) => {
                return Err(WebError::Config(format!("stakepooldhosts ({host}): {e}")))
            }
            Err(e) => tracing::warn!(
                node = %host,
                error = %e,
                "stakepoold unreachable at start; it gets the configuration when it answers"
            ),
        }
        nodes.push(Arc::new(node));
    }
    Ok(nodes)
}

/// The client certificate and key of `stakepooldclientcert` / `stakepooldclientkey`
/// (relative to `cert_base`), generated first when the key file is missing; `None` when
/// unset.
///
/// # Errors
/// [`WebError::Config`] naming `stakepooldclientcert` when the files cannot be made or
/// read.
pub fn client_identity(
    cfg: &PoolConfig,
    cert_base: &Path,
) -> Result<Option<ClientIdentity>, WebError> {
    if cfg.stakepoold_client_cert.is_empty() || cfg.stakepoold_client_key.is_empty() {
        return Ok(None);
    }
    let cert = resolve(cert_base, &cfg.stakepoold_client_cert);
    let key = resolve(cert_base, &cfg.stakepoold_client_key);
    let fresh = !key.exists();
    hcpool_rpc::pinned_tls::load_or_generate_client(&cert, &key, "hcpool-web")
        .map_err(|e| WebError::Config(format!("stakepooldclientcert: {e}")))?;
    if fresh {
        tracing::info!(
            cert = %cert.display(),
            "generated the stakepoold client certificate: add it to each stakepoold's clientcafile"
        );
    }
    Ok(Some(ClientIdentity {
        cert_path: cert,
        key_path: key,
    }))
}

/// Pushes the complete configuration to every stale node once; returns how many nodes
/// are still stale afterwards.
pub async fn retry_stale_once(pool: &PoolService) -> usize {
    let nodes = pool.nodes();
    if nodes.stale().is_empty() {
        return 0;
    }
    match nodes
        .retry_stale(pool.store().as_ref(), pool.clock().now_unix())
        .await
    {
        Ok(outcomes) => {
            for o in outcomes {
                match o.result {
                    Ok(()) => tracing::info!(node = %o.node, "stakepoold is current again"),
                    Err(e) => tracing::debug!(node = %o.node, error = %e, "stakepoold still down"),
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "could not load the configuration for stakepoold"),
    }
    nodes.stale().len()
}

/// Every `every` until the returned task is aborted (or the runtime stops): asks each node
/// whether it restarted ([`VotingNodes::check_restarts`], a `Ping`; a restarted node is
/// marked as missing everything, so it gets the complete state without waiting for a
/// push to it to fail), then pushes to the stale nodes. A node that was unreachable and
/// answers again is checked the same way. A no-op loop when the pool has no nodes.
pub fn spawn_retry(pool: PoolService, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if pool.nodes().is_empty() {
            return;
        }
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            pool.nodes().check_restarts().await;
            retry_stale_once(&pool).await;
        }
    })
}

/// A fairing that starts [`spawn_retry`] at liftoff, i.e. once Rocket has bound its
/// listener: every node starts stale, so its first round pushes the complete configuration
/// to all of them. A server that fails to bind never lifts off and pushes nothing. The
/// retry stops with the server: the app's [`AppState::background`](crate::AppState) adopts
/// it (without an `AppState`, it ends on Rocket's shutdown).
pub fn push_on_liftoff(pool: PoolService) -> rocket::fairing::AdHoc {
    rocket::fairing::AdHoc::on_liftoff("push to stakepoold", move |rocket| {
        Box::pin(async move {
            tracing::info!(
                stakepoold = pool.nodes().len(),
                "hcpool-web listening; pushing the configuration to stakepoold"
            );
            let retry = spawn_retry(pool, RETRY_INTERVAL);
            match rocket.state::<crate::AppState>() {
                Some(state) => state.background.adopt("stakepoold retry", retry),
                None => {
                    let shutdown = rocket.shutdown();
                    tokio::spawn(async move {
                        shutdown.await;
                        retry.abort();
                    });
                }
            }
        })
    })
}

/// One node's health, for the admin status page.
#[derive(Debug, Clone, Serialize)]
pub struct NodeHealth {
    /// The node (its host).
    pub label: String,
    /// It answered every call.
    pub ok: bool,
    /// The first error ("" when ok), in English (the log's).
    pub error: String,
    /// The error as a catalogue message when hcpool wrote it (no answer in time), for the
    /// admin page in the reader's language; `None` for a node's or transport's own error.
    #[serde(skip)]
    pub error_msg: Option<hcpool_i18n::Msg>,
    /// It has the pool's current configuration (not waiting for a retry).
    pub current: bool,
    /// Its API version ("" when unknown).
    pub version: String,
    /// Live tickets it manages.
    pub live: usize,
    /// Low-fee tickets it ignores.
    pub ignored: usize,
    /// Low-fee tickets added for voting.
    pub added: usize,
    /// Its wallet's and hcd's heights and whether it lags (filled by [`judge_lag`]).
    pub lag: NodeLag,
}

/// How far one voting node's wallet trails the chain: the heights it reports in `Ping`
/// (hcpool's stakepoold; hcstakepool's reports none, so it is never judged lagging).
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct NodeLag {
    /// The node (its host).
    pub label: String,
    /// Its voting wallet's best block height.
    pub wallet_height: Option<u32>,
    /// Its hcd's best block height.
    pub node_height: Option<u32>,
    /// Blocks its wallet trails the tip by: the higher of its hcd's height and the pool's
    /// hcd tip (`None` when either side is unknown).
    pub blocks_behind: Option<u32>,
    /// It trails by more than `maxtiplag` blocks: its votes come from a stale chain.
    pub lagging: bool,
}

impl NodeLag {
    /// The node's lag from the heights it reported, against `pool_tip` (the highest tip
    /// the pool's wallets' hcd nodes report) and `max_blocks` (`maxtiplag`), by the
    /// wallets' rule ([`hcpool_core::backend::health::tip_lag`], without the age check).
    pub fn judge(
        label: String,
        heights: hcpool_core::backend::NodeChainHeights,
        pool_tip: Option<u32>,
        max_blocks: u32,
    ) -> NodeLag {
        let tip = heights.node.max(pool_tip);
        let (blocks_behind, lagging) = match heights.wallet {
            Some(w) => {
                let lag = hcpool_core::backend::health::tip_lag(
                    w,
                    tip,
                    None,
                    None,
                    hcpool_core::backend::LagLimits {
                        max_blocks,
                        ..hcpool_core::backend::LagLimits::default()
                    },
                );
                (lag.blocks_behind, lag.lagging.is_some())
            }
            None => (None, false),
        };
        NodeLag {
            label,
            wallet_height: heights.wallet,
            node_height: heights.node,
            blocks_behind,
            lagging,
        }
    }

    /// Why it lags, for the admin page's summary (`None` when it does not).
    pub fn reason(&self) -> Option<hcpool_i18n::Msg> {
        self.lagging.then(|| {
            hcpool_i18n::Msg::new("status-node-lag")
                .arg("height", self.wallet_height.unwrap_or_default())
                .arg("blocks", self.blocks_behind.unwrap_or_default())
        })
    }
}

/// Every node's lag ([`NodeLag::judge`]), each asked by one `Ping` bounded by `timeout`; a
/// node that does not answer is not judged (it shows as down elsewhere).
pub async fn lag(
    nodes: &VotingNodes,
    timeout: Duration,
    pool_tip: Option<u32>,
    max_blocks: u32,
) -> Vec<NodeLag> {
    let calls = nodes.nodes().map(|node| async move {
        let heights = tokio::time::timeout(timeout, node.chain_heights())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        NodeLag::judge(node.label(), heights, pool_tip, max_blocks)
    });
    join_all(calls).await
}

/// [`lag`], reused for a while: `/status` (monitors, anyone) and `/metrics` ask it, and a
/// `Ping` makes each node ask its wallet and hcd.
#[derive(Debug)]
pub struct LagCache {
    ttl: std::sync::Mutex<Duration>,
    last: tokio::sync::Mutex<Option<(std::time::Instant, Vec<NodeLag>)>>,
}

impl Default for LagCache {
    fn default() -> Self {
        LagCache {
            ttl: std::sync::Mutex::new(crate::health::CHECK_TTL),
            last: tokio::sync::Mutex::new(None),
        }
    }
}

impl LagCache {
    /// Sets how long an answer is reused (zero: asked every time).
    pub fn set_ttl(&self, ttl: Duration) {
        *hcpool_core::util::lock(&self.ttl) = ttl;
    }

    /// The nodes' lag, asked again when the last answer is older than the TTL.
    pub async fn get(
        &self,
        nodes: &VotingNodes,
        pool_tip: Option<u32>,
        max_blocks: u32,
    ) -> Vec<NodeLag> {
        if nodes.is_empty() {
            return Vec::new();
        }
        let ttl = *hcpool_core::util::lock(&self.ttl);
        let mut last = self.last.lock().await;
        if let Some((at, v)) = last.as_ref() {
            if at.elapsed() < ttl {
                return v.clone();
            }
        }
        let v = lag(nodes, HEALTH_TIMEOUT, pool_tip, max_blocks).await;
        *last = Some((std::time::Instant::now(), v.clone()));
        v
    }
}

async fn probe(
    node: &Arc<dyn VotingNode>,
) -> hcpool_core::Result<(
    String,
    usize,
    usize,
    usize,
    hcpool_core::backend::NodeChainHeights,
)> {
    let version = node.version().await?;
    let (live, ignored, added, heights) = futures::try_join!(
        node.live_tickets(),
        node.ignored_low_fee_tickets(),
        node.added_low_fee_tickets(),
        node.chain_heights()
    )?;
    Ok((
        version.version,
        live.len(),
        ignored.len(),
        added.len(),
        heights,
    ))
}

/// Judges each node's lag ([`NodeLag::judge`]) from the heights [`health`] collected.
pub fn judge_lag(nodes: &mut [NodeHealth], pool_tip: Option<u32>, max_blocks: u32) {
    for n in nodes {
        let heights = hcpool_core::backend::NodeChainHeights {
            wallet: n.lag.wallet_height,
            node: n.lag.node_height,
        };
        n.lag = NodeLag::judge(n.label.clone(), heights, pool_tip, max_blocks);
    }
}

/// Asks every node (concurrently, each bounded by `timeout`) for its version, ticket
/// counts and chain heights (its lag is judged by [`judge_lag`]).
pub async fn health(nodes: &VotingNodes, timeout: Duration) -> Vec<NodeHealth> {
    let stale = nodes.stale();
    let calls = nodes.nodes().map(|node| {
        let stale = &stale;
        async move {
            let label = node.label();
            let current = !stale.contains(&label);
            let answer = tokio::time::timeout(timeout, probe(node)).await;
            let mut h = NodeHealth {
                label,
                ok: false,
                error: String::new(),
                error_msg: None,
                current,
                version: String::new(),
                live: 0,
                ignored: 0,
                added: 0,
                lag: NodeLag::default(),
            };
            match answer {
                Ok(Ok((version, live, ignored, added, heights))) => {
                    h.ok = true;
                    h.version = version;
                    (h.live, h.ignored, h.added) = (live, ignored, added);
                    h.lag.wallet_height = heights.wallet;
                    h.lag.node_height = heights.node;
                }
                Ok(Err(e)) => h.error = e.to_string(),
                Err(_) => {
                    let m = hcpool_i18n::Msg::new("status-node-no-answer")
                        .arg("time", format!("{timeout:?}"));
                    h.error = m.to_string();
                    h.error_msg = Some(m);
                }
            }
            h
        }
    });
    join_all(calls).await
}
