//! Operations: the chain-sync gate that guards registration, and the `/status` health answer
//! for monitors.
//!
//! hcstakepool stopped the whole RPC side on any inconsistency and only a restart cleared it;
//! its `/status` page needed an admin session, so monitors could not use it. Here:
//!
//! - [`SyncReport`] (the rule is the core's, `hcpool_core::backend::health`; [`WalletSync`]
//!   asks the wallets for it) says whether the wallets can take new registrations: the wallet manager
//!   is not stopped, at least `minservers` wallets are ready (reachable, connected to their
//!   hcd, unlocked), and at least `minservers` of those are at the chain tip (within
//!   [`MAX_TIP_LAG`] blocks of the highest wallet). A wallet whose hcd is behind shows up as
//!   a wallet behind the others. A wallet whose tip trails its own hcd's by more than
//!   `maxtiplag` blocks, or whose tip block is older than `maxtipage` minutes, is lagging
//!   (the rule: `hcpool_core::backend::health::tip_lag`): it does not count as at the tip,
//!   and while every ready wallet lags registration is refused (a stalled wallet answers
//!   and looks ready; comparing the wallets with each other misses it when they all stall).
//!   When it fails, address registration (page and API) is
//!   refused with a clear message, the admin status page lists the reasons, and everything
//!   else keeps running.
//! - `/status` for anyone who is not an admin answers a small JSON health body: HTTP 200 when
//!   the wallets are in sync and the database answers, 500 otherwise. It never names wallet
//!   hosts (the admin page does).
//! - On MySQL/MariaDB it names the database node in use (`host:port` from `dbhost`/`dburl`,
//!   no credentials) and, on a Galera cluster, the cluster's size and whether it is degraded:
//!   fewer nodes than `dbminclustersize`. A degraded cluster still serves (status stays
//!   "ok" while the node in use answers): monitors alert on `database_degraded`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hcpool_core::backend::{WalletBackend, WalletHealth};
use hcpool_core::util::lock;
use hcpool_rpc::WalletManager;
use rocket::http::{ContentType, Status};
use serde::Serialize;

use crate::state::AppState;

pub use hcpool_core::backend::health::{
    LagLimits, Problem, SyncReport, WalletLag, WalletTip, MAX_TIP_LAG,
};

/// How long a sync check is reused (monitors and registrations share it).
pub const CHECK_TTL: Duration = Duration::from_secs(5);

/// The web page's refusal of an address while the wallets are not in sync.
pub const NOT_SYNCED_WEB: &str = "The pool's wallets are not in sync with the network right now, \
     so new addresses cannot be registered. Nothing was changed; please try again later.";

/// The API's refusal (after `"address error - "`).
pub const NOT_SYNCED_API: &str = "pool wallets are not in sync with the network, try again later";

/// One wallet of the manager as the gate sees it.
pub fn wallet_tip(t: hcpool_rpc::manager::ChainTip) -> WalletTip {
    WalletTip {
        label: t.label,
        not_ready: t.not_ready,
        height: t.height,
        node_height: t.node_height,
        tip_time: t.tip_time,
    }
}

/// The pool's [`WalletHealth`] (what the registration gate asks): the wallet manager's
/// tips (or, without a manager, the one wallet), each call bounded by a deadline, a report
/// reused for a short time.
pub struct WalletSync {
    wallets: Arc<dyn WalletBackend>,
    manager: Mutex<Option<Arc<WalletManager>>>,
    deadline: Mutex<Duration>,
    ttl: Mutex<Duration>,
    limits: Mutex<LagLimits>,
    clock: Mutex<Arc<dyn hcpool_core::backend::Clock>>,
    last: Mutex<Option<(Instant, SyncReport)>>,
}

impl std::fmt::Debug for WalletSync {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalletSync").finish_non_exhaustive()
    }
}

impl WalletSync {
    /// Health of `wallets`, with `deadline` per wallet call and reports reused for `ttl`.
    pub fn new(wallets: Arc<dyn WalletBackend>, deadline: Duration, ttl: Duration) -> Self {
        WalletSync {
            wallets,
            manager: Mutex::new(None),
            deadline: Mutex::new(deadline),
            ttl: Mutex::new(ttl),
            limits: Mutex::new(LagLimits::default()),
            clock: Mutex::new(Arc::new(hcpool_core::backend::SystemClock)),
            last: Mutex::new(None),
        }
    }

    /// Sets when a wallet counts as lagging (`maxtiplag`, `maxtipage`) and the clock tip
    /// ages are measured with.
    pub fn set_lag_limits(&self, limits: LagLimits, clock: Arc<dyn hcpool_core::backend::Clock>) {
        *lock(&self.limits) = limits;
        *lock(&self.clock) = clock;
    }

    /// Sees every wallet of `manager` (the one behind the wallets given to [`WalletSync::new`]).
    pub fn set_manager(&self, manager: Arc<WalletManager>) {
        *lock(&self.manager) = Some(manager);
    }

    /// Sets the per-call deadline.
    pub fn set_deadline(&self, deadline: Duration) {
        *lock(&self.deadline) = deadline;
    }

    /// Sets how long a report is reused (zero checks every time).
    pub fn set_ttl(&self, ttl: Duration) {
        *lock(&self.ttl) = ttl;
    }

    async fn timed<T>(
        &self,
        call: impl std::future::Future<Output = hcpool_core::Result<T>>,
    ) -> hcpool_core::Result<T> {
        let d = *lock(&self.deadline);
        tokio::time::timeout(d, call).await.unwrap_or_else(|_| {
            Err(hcpool_core::Error::wallet(
                "wallets",
                hcpool_core::BackendKind::Unavailable,
                format!("no reply within {d:?}"),
            ))
        })
    }

    /// Whether the wallets can take registrations now, checked at most every ttl.
    pub async fn report(&self) -> SyncReport {
        let ttl = *lock(&self.ttl);
        if let Some((at, r)) = lock(&self.last).as_ref() {
            if at.elapsed() < ttl {
                return r.clone();
            }
        }
        let r = self.check().await;
        if !r.in_sync() {
            tracing::warn!(problems = ?r.problems, details = ?r.details, "registration gated");
        }
        *lock(&self.last) = Some((Instant::now(), r.clone()));
        r
    }

    async fn check(&self) -> SyncReport {
        let deadline = *lock(&self.deadline);
        let unanswered = |label: String| WalletTip {
            label,
            not_ready: Some(format!("no reply within {deadline:?}")),
            ..WalletTip::default()
        };
        let manager = lock(&self.manager).clone();
        let limits = *lock(&self.limits);
        let now = u64::try_from(lock(&self.clock).now_unix()).ok();
        match manager {
            Some(m) => {
                let tips = tokio::time::timeout(deadline, m.chain_tips())
                    .await
                    .map(|t| t.into_iter().map(wallet_tip).collect::<Vec<_>>())
                    .unwrap_or_else(|_| m.labels().into_iter().map(unanswered).collect());
                let stopped = m.stopped_reason();
                SyncReport::evaluate_with(
                    m.config().min_servers,
                    stopped.as_deref(),
                    &tips,
                    limits,
                    now,
                )
            }
            None => {
                let w = &self.wallets;
                let info = self.timed(w.wallet_info()).await;
                let best = self.timed(w.best_block()).await;
                let not_ready = match &info {
                    Ok(i) if !i.daemon_connected => Some("wallet not connected to hcd".into()),
                    Ok(i) if !i.unlocked => Some("wallet not unlocked".into()),
                    Ok(_) => None,
                    Err(e) => Some(e.to_string()),
                };
                let best = best.ok();
                let (node_height, tip_time) = match &best {
                    Some(b) => (
                        self.timed(w.node_height()).await.ok().flatten(),
                        self.timed(w.block_time(&b.hash)).await.ok().flatten(),
                    ),
                    None => (None, None),
                };
                let tip = WalletTip {
                    label: w.label(),
                    not_ready,
                    height: best.map(|b| b.height),
                    node_height,
                    tip_time,
                };
                SyncReport::evaluate_with(1, None, &[tip], limits, now)
            }
        }
    }
}

#[async_trait::async_trait]
impl WalletHealth for WalletSync {
    async fn sync_report(&self) -> SyncReport {
        self.report().await
    }

    async fn vote_version(&self) -> Option<u32> {
        self.timed(self.wallets.vote_version()).await.ok()
    }
}

/// The JSON body `/status` gives monitors.
#[derive(Debug, Clone, Serialize)]
pub struct HealthBody {
    /// `"ok"` or `"error"`.
    pub status: &'static str,
    /// `"open"` when registration is open, else `"refused"`.
    pub registration: &'static str,
    /// What is wrong (empty when ok).
    pub problems: Vec<Problem>,
    /// The database answered.
    pub database: bool,
    /// The database node in use (`host:port`); absent for SQLite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_node: Option<String>,
    /// Database nodes configured and ready (MySQL/MariaDB only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_nodes_ready: Option<usize>,
    /// Galera's `wsrep_cluster_size` on the node in use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_cluster_size: Option<u32>,
    /// The cluster has fewer nodes than `dbminclustersize` (or the node did not say).
    pub database_degraded: bool,
    /// The highest chain tip among ready wallets.
    pub height: Option<u32>,
    /// Wallets ready.
    pub wallets_ready: usize,
    /// Ready wallets at the tip.
    pub wallets_in_sync: usize,
    /// `minservers`.
    pub min_servers: usize,
    /// The highest hcd tip the wallets' nodes reported.
    pub node_height: Option<u32>,
    /// Ready wallets whose tip lags their hcd's (`maxtiplag`) or the clock (`maxtipage`).
    pub wallets_lagging: usize,
    /// The most blocks a ready wallet trails its hcd by.
    pub max_blocks_behind: Option<u32>,
    /// The oldest ready wallet tip, seconds.
    pub max_tip_age_seconds: Option<u64>,
    /// Voting nodes (stakepoold) configured.
    pub voting_nodes: usize,
    /// Voting nodes whose wallet trails hcd's tip by more than `maxtiplag` (as they report
    /// in `Ping`; a node that reports no heights is not counted).
    pub voting_nodes_lagging: usize,
    /// The most blocks a voting node's wallet trails the tip by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voting_nodes_max_blocks_behind: Option<u32>,
}

/// `/status` for monitors: 200 and `{"status":"ok",...}` when healthy, 500 otherwise.
pub async fn health(state: &AppState) -> (Status, (ContentType, String)) {
    let report = state.sync_report().await;
    let database = matches!(
        tokio::time::timeout(CHECK_TTL, state.pool.store().user_counts()).await,
        Ok(Ok(_))
    );
    let store_status = tokio::time::timeout(CHECK_TTL, state.pool.store().store_status())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let min = state.settings.db_min_cluster_size;
    let database_degraded = database_degraded(&store_status, min);
    let ok = report.in_sync() && database;
    let node_lag = state.node_lag().await;
    let body = HealthBody {
        status: if ok { "ok" } else { "error" },
        registration: if report.in_sync() { "open" } else { "refused" },
        problems: report.problems.clone(),
        database,
        database_node: store_status.node.clone(),
        database_nodes_ready: store_status.node.as_ref().map(|_| store_status.nodes_ready),
        database_cluster_size: store_status.cluster_size,
        database_degraded,
        height: report.height,
        wallets_ready: report.wallets_ready,
        wallets_in_sync: report.wallets_in_sync,
        min_servers: report.min_servers,
        node_height: report.node_height,
        wallets_lagging: report.wallets_lagging,
        max_blocks_behind: report.lag.iter().filter_map(|l| l.lag.blocks_behind).max(),
        max_tip_age_seconds: report.lag.iter().filter_map(|l| l.lag.tip_age_secs).max(),
        voting_nodes: state.pool.nodes().len(),
        voting_nodes_lagging: node_lag.iter().filter(|n| n.lagging).count(),
        voting_nodes_max_blocks_behind: node_lag.iter().filter_map(|n| n.blocks_behind).max(),
    };
    let status = if ok {
        Status::Ok
    } else {
        Status::InternalServerError
    };
    let json = serde_json::to_string(&body).unwrap_or_else(|_| r#"{"status":"error"}"#.into());
    (status, (ContentType::JSON, json))
}

/// Degraded: a minimum is configured and the node in use reports fewer cluster members
/// (or, having a node, reports no size at all: not Galera, or not answering).
pub fn database_degraded(s: &hcpool_core::backend::StoreStatus, min: u32) -> bool {
    if min == 0 || s.node.is_none() {
        return false;
    }
    s.cluster_size.is_none_or(|n| n < min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degraded_below_the_minimum() {
        let mut s = hcpool_core::backend::StoreStatus {
            node: Some("db1:3306".into()),
            nodes: 3,
            nodes_ready: 3,
            cluster_size: Some(3),
        };
        assert!(!database_degraded(&s, 3));
        assert!(!database_degraded(&s, 0));
        s.cluster_size = Some(2);
        assert!(database_degraded(&s, 3));
        assert!(!database_degraded(&s, 2));
        s.cluster_size = None;
        assert!(database_degraded(&s, 2));
        assert!(!database_degraded(
            &hcpool_core::backend::StoreStatus::default(),
            3
        ));
    }
}
