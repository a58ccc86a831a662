//! Operations: the chain-sync gate that guards registration, and the `/status` health answer
//! for monitors.
//!
//! hcstakepool stopped the whole RPC side on any inconsistency and only a restart cleared it;
//! its `/status` page needed an admin session, so monitors could not use it. Here:
//!
//! - [`SyncReport`] says whether the wallets can take new registrations: the wallet manager
//!   is not stopped, at least `minservers` wallets are ready (reachable, connected to their
//!   hcd, unlocked), and at least `minservers` of those are at the chain tip (within
//!   [`MAX_TIP_LAG`] blocks of the highest wallet). A wallet whose hcd is behind shows up as
//!   a wallet behind the others. When it fails, address registration (page and API) is
//!   refused with a clear message, the admin status page lists the reasons, and everything
//!   else keeps running.
//! - `/status` for anyone who is not an admin answers a small JSON health body: HTTP 200 when
//!   the wallets are in sync and the database answers, 500 otherwise. It never names wallet
//!   hosts (the admin page does).
//! - On MySQL/MariaDB it names the database node in use (`host:port` from `dbhost`/`dburl`,
//!   no credentials) and, on a Galera cluster, the cluster's size and whether it is degraded:
//!   fewer nodes than `dbminclustersize`. A degraded cluster still serves (status stays
//!   "ok" while the node in use answers): monitors alert on `database_degraded`.

use std::time::Duration;

use rocket::http::{ContentType, Status};
use serde::Serialize;

use crate::state::AppState;

/// A wallet more than this many blocks below the highest wallet is behind.
pub const MAX_TIP_LAG: u32 = 1;

/// How long a sync check is reused (monitors and registrations share it).
pub const CHECK_TTL: Duration = Duration::from_secs(5);

/// One wallet as the gate sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletTip {
    /// The wallet's label (host:port); shown to admins only.
    pub label: String,
    /// Why it cannot serve the pool; `None` when ready.
    pub not_ready: Option<String>,
    /// Its chain tip height, if it answered.
    pub height: Option<u32>,
}

impl From<hcpool_rpc::manager::ChainTip> for WalletTip {
    fn from(t: hcpool_rpc::manager::ChainTip) -> Self {
        WalletTip {
            label: t.label,
            not_ready: t.not_ready,
            height: t.height,
        }
    }
}

/// What keeps registration closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Problem {
    /// The wallet manager stopped on an inconsistency between wallets.
    WalletsStopped,
    /// Fewer than `minservers` wallets are ready.
    WalletsUnavailable,
    /// Fewer than `minservers` ready wallets are at the chain tip.
    WalletsBehind,
}

impl Problem {
    /// A sentence for the admin page and the logs (no host names).
    pub fn describe(self) -> &'static str {
        match self {
            Problem::WalletsStopped => "the wallet manager is stopped after an inconsistency",
            Problem::WalletsUnavailable => "fewer than minservers wallets are ready",
            Problem::WalletsBehind => "fewer than minservers wallets are at the chain tip",
        }
    }
}

/// The outcome of one sync check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// Empty when registration is open.
    pub problems: Vec<Problem>,
    /// One line per finding, naming wallets: for the admin page only.
    pub details: Vec<String>,
    /// The highest chain tip among ready wallets.
    pub height: Option<u32>,
    /// Wallets configured.
    pub wallets: usize,
    /// Wallets ready (reachable, hcd connected, unlocked).
    pub wallets_ready: usize,
    /// Ready wallets at the tip.
    pub wallets_in_sync: usize,
    /// `minservers`.
    pub min_servers: usize,
}

/// The web page's refusal of an address while the wallets are not in sync.
pub const NOT_SYNCED_WEB: &str = "The pool's wallets are not in sync with the network right now, \
     so new addresses cannot be registered. Nothing was changed; please try again later.";

/// The API's refusal (after `"address error - "`).
pub const NOT_SYNCED_API: &str = "pool wallets are not in sync with the network, try again later";

impl SyncReport {
    /// Registration is open.
    pub fn in_sync(&self) -> bool {
        self.problems.is_empty()
    }

    /// The gate's rule over the wallets' states.
    pub fn evaluate(min_servers: usize, stopped: Option<&str>, tips: &[WalletTip]) -> Self {
        let mut problems = Vec::new();
        let mut details = Vec::new();
        if let Some(reason) = stopped {
            problems.push(Problem::WalletsStopped);
            details.push(format!("wallet manager stopped: {reason}"));
        }
        let ready: Vec<(&WalletTip, u32)> = tips
            .iter()
            .filter(|t| t.not_ready.is_none())
            .filter_map(|t| t.height.map(|h| (t, h)))
            .collect();
        for t in tips {
            match (&t.not_ready, t.height) {
                (Some(why), _) => details.push(format!("{}: {why}", t.label)),
                (None, None) => details.push(format!("{}: no chain tip", t.label)),
                _ => {}
            }
        }
        let height = ready.iter().map(|(_, h)| *h).max();
        let best = height.unwrap_or(0);
        let in_sync = ready
            .iter()
            .filter(|(t, h)| {
                let ok = h.saturating_add(MAX_TIP_LAG) >= best;
                if !ok {
                    details.push(format!("{}: at height {h}, the tip is {best}", t.label));
                }
                ok
            })
            .count();
        if ready.len() < min_servers {
            problems.push(Problem::WalletsUnavailable);
        } else if in_sync < min_servers {
            problems.push(Problem::WalletsBehind);
        }
        SyncReport {
            problems,
            details,
            height,
            wallets: tips.len(),
            wallets_ready: ready.len(),
            wallets_in_sync: in_sync,
            min_servers,
        }
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

    fn tip(label: &str, not_ready: Option<&str>, height: Option<u32>) -> WalletTip {
        WalletTip {
            label: label.into(),
            not_ready: not_ready.map(str::to_owned),
            height,
        }
    }

    #[test]
    fn in_sync_when_enough_wallets_are_ready_at_the_tip() {
        let r = SyncReport::evaluate(
            2,
            None,
            &[tip("a", None, Some(100)), tip("b", None, Some(99))],
        );
        assert!(r.in_sync(), "{r:?}");
        assert_eq!((r.height, r.wallets_in_sync), (Some(100), 2));
    }

    #[test]
    fn a_wallet_behind_counts_out() {
        let r = SyncReport::evaluate(
            2,
            None,
            &[tip("a", None, Some(100)), tip("b", None, Some(90))],
        );
        assert_eq!(r.problems, vec![Problem::WalletsBehind]);
        assert!(r.details.iter().any(|d| d.contains("b: at height 90")));
        // With minservers 1 the one at the tip is enough.
        assert!(SyncReport::evaluate(
            1,
            None,
            &[tip("a", None, Some(100)), tip("b", None, Some(90))]
        )
        .in_sync());
    }

    #[test]
    fn unready_wallets_and_stop_are_reported() {
        let r = SyncReport::evaluate(
            2,
            Some("vote version differs"),
            &[
                tip("a", None, Some(100)),
                tip("b", Some("wallet not connected to hcd"), Some(100)),
            ],
        );
        assert_eq!(
            r.problems,
            vec![Problem::WalletsStopped, Problem::WalletsUnavailable]
        );
        assert!(r.details.iter().any(|d| d.contains("vote version differs")));
        assert!(r
            .details
            .iter()
            .any(|d| d == "b: wallet not connected to hcd"));
        let none = SyncReport::evaluate(1, None, &[]);
        assert_eq!(none.problems, vec![Problem::WalletsUnavailable]);
    }
}
