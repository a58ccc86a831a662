//! `GET /api/health`: the pool's public health, read-only and without a token, for people
//! choosing a pool and for sites that compare pools. Not part of the v1/v2 API (whose
//! `stats` stays byte-compatible with hcstakepool): its own plain JSON object.
//!
//! ```json
//! {"status":"ok","registration":"open","network":"testnet",
//!  "software":{"name":"hcpool","version":"0.1.0"},"block_height":1234,
//!  "voting_wallets":{"online":2,"total":2,"lagging":0},
//!  "last_vote":{"height":1230,"time":1764950000},
//!  "tickets":{"live":120,"immature":3,"voted":57,"missed":1,"expired":0,"revoked":1},
//!  "miss_ratio":0.01724,"pool_fees":7.5,"updated":1764950012}
//! ```
//!
//! - `missed` and `expired` are kept apart (the wallets' `getstakeinfo` counts): a missed
//!   ticket is the pool's fault, an expired one is chance. `miss_ratio` is
//!   missed / (voted + missed), `null` before any vote or miss.
//! - `last_vote`: the block at which this instance last saw the wallets' voted count rise
//!   (its height and header time); `null` until it has seen one since it started.
//! - `status` is `"ok"` when registration is open and a wallet is online, else
//!   `"degraded"`; the HTTP status is 200 either way (it is information, not a probe: the
//!   probe is `/status`). While the wallets do not answer: 503 with
//!   `{"status":"error",…}` and no chain figures.
//!
//! Cached per block: the body is made once per block height and re-made at most every
//! [`HEALTH_TTL`] within a block (wallets going off- or online show within that delay).
//! The cache is only a cache: every instance behind a proxy makes its own, right for the
//! block it names.

use std::sync::Mutex;
use std::time::Duration;

use hcpool_core::backend::StakeInfo;
use hcpool_core::util::lock;
use rocket::http::{ContentType, Status};
use rocket::State;
use serde::Serialize;

use crate::health::SyncReport;
use crate::limit::ApiQuota;
use crate::state::AppState;

/// How long a health body is reused within one block.
pub const HEALTH_TTL: Duration = Duration::from_secs(10);

/// The software name and version the endpoint reports.
pub const SOFTWARE: Software = Software {
    name: "hcpool",
    version: env!("CARGO_PKG_VERSION"),
};

/// `software`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Software {
    /// `hcpool`.
    pub name: &'static str,
    /// The crate version.
    pub version: &'static str,
}

/// `voting_wallets`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct VotingWallets {
    /// Wallets reachable, connected to their hcd and unlocked.
    pub online: usize,
    /// Wallets configured.
    pub total: usize,
    /// Online wallets lagging their hcd or the clock.
    pub lagging: usize,
}

/// `last_vote`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct LastVote {
    /// The block height.
    pub height: i64,
    /// Unix seconds (the block's header time when known, else when it was seen).
    pub time: i64,
}

/// `tickets`: the wallets' `getstakeinfo` counts.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Tickets {
    /// Live.
    pub live: u32,
    /// Immature.
    pub immature: u32,
    /// Voted.
    pub voted: u32,
    /// Missed (not voted when called).
    pub missed: u32,
    /// Expired (never called).
    pub expired: u32,
    /// Revoked.
    pub revoked: u32,
}

/// The public health body.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PublicHealth {
    /// `"ok"` or `"degraded"`.
    pub status: &'static str,
    /// `"open"`, `"refused"` (wallets not in sync) or `"closed"` (`closepool`).
    pub registration: &'static str,
    /// The network.
    pub network: &'static str,
    /// The software.
    pub software: Software,
    /// The wallets' chain tip.
    pub block_height: i64,
    /// The voting wallets.
    pub voting_wallets: VotingWallets,
    /// The last vote this instance saw.
    pub last_vote: Option<LastVote>,
    /// Ticket counts.
    pub tickets: Tickets,
    /// missed / (voted + missed).
    pub miss_ratio: Option<f64>,
    /// The pool fee, percent.
    pub pool_fees: f64,
    /// Unix seconds when this body was made.
    pub updated: i64,
}

/// The inputs of one body.
#[derive(Debug, Clone, Copy)]
pub struct HealthInputs<'a> {
    /// The wallets' stake info.
    pub info: &'a StakeInfo,
    /// The wallets' sync report.
    pub report: &'a SyncReport,
    /// `closepool`.
    pub closed: bool,
    /// The network's name.
    pub network: &'static str,
    /// `poolfees`.
    pub pool_fees: f64,
    /// The last vote seen.
    pub last_vote: Option<LastVote>,
    /// Now, Unix seconds.
    pub now: i64,
}

impl PublicHealth {
    /// The body for these readings.
    pub fn new(i: HealthInputs<'_>) -> Self {
        let info = i.info;
        let registration = if i.closed {
            "closed"
        } else if i.report.in_sync() {
            "open"
        } else {
            "refused"
        };
        let decided = u64::from(info.voted) + u64::from(info.missed);
        PublicHealth {
            status: if i.report.in_sync() && i.report.wallets_ready > 0 {
                "ok"
            } else {
                "degraded"
            },
            registration,
            network: i.network,
            software: SOFTWARE,
            block_height: info.block_height,
            voting_wallets: VotingWallets {
                online: i.report.wallets_ready,
                total: i.report.wallets,
                lagging: i.report.wallets_lagging,
            },
            last_vote: i.last_vote,
            tickets: Tickets {
                live: info.live,
                immature: info.immature,
                voted: info.voted,
                missed: info.missed,
                expired: info.expired,
                revoked: info.revoked,
            },
            miss_ratio: (decided > 0).then(|| f64::from(info.missed) / decided as f64),
            pool_fees: i.pool_fees,
            updated: i.now,
        }
    }
}

/// Watches the wallets' voted count for the last vote.
#[derive(Debug, Default)]
pub struct VoteWatch {
    state: Mutex<(Option<u32>, Option<LastVote>)>,
}

impl VoteWatch {
    /// Records a reading of `voted` tickets at block `height` (header time `time`) and
    /// answers the last vote seen: a count higher than the previous reading's means votes
    /// were mined since. The first reading only sets the baseline.
    pub fn observe(&self, voted: u32, height: i64, time: i64) -> Option<LastVote> {
        let mut s = lock(&self.state);
        if s.0.is_some_and(|before| voted > before) {
            s.1 = Some(LastVote { height, time });
        }
        s.0 = Some(voted);
        s.1
    }
}

/// The network's name as the API says it.
fn network_name(n: hcpool_core::Network) -> &'static str {
    match n {
        hcpool_core::Network::Mainnet => "mainnet",
        hcpool_core::Network::Testnet => "testnet",
        hcpool_core::Network::Simnet => "simnet",
    }
}

#[rocket::get("/api/health")]
async fn get_health(_quota: ApiQuota, state: &State<AppState>) -> (Status, (ContentType, Vec<u8>)) {
    let info = match state.stake_info().await {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "public health: stake info unavailable");
            let body = serde_json::json!({
                "status": "error",
                "software": SOFTWARE,
                "network": network_name(state.settings.network),
            });
            return (
                Status::ServiceUnavailable,
                (ContentType::JSON, body.to_string().into_bytes()),
            );
        }
    };
    let report = state.sync_report().await;
    let now = state.pool.clock().now_unix();
    let body = state.health_body(info.block_height, HEALTH_TTL, || {
        // The tip's header time, from the wallets' lag check (now minus its age).
        let tip_time = report
            .lag
            .iter()
            .filter(|l| i64::from(l.height) == info.block_height)
            .filter_map(|l| l.lag.tip_age_secs)
            .min()
            .map_or(now, |age| {
                now.saturating_sub(i64::try_from(age).unwrap_or(0))
            });
        let last_vote = state
            .vote_watch
            .observe(info.voted, info.block_height, tip_time);
        let body = PublicHealth::new(HealthInputs {
            info: &info,
            report: &report,
            closed: state.settings.close_pool,
            network: network_name(state.settings.network),
            pool_fees: state.settings.pool_fees,
            last_vote,
            now,
        });
        serde_json::to_vec(&body).unwrap_or_default()
    });
    (Status::Ok, (ContentType::JSON, body.to_vec()))
}

/// The route.
pub fn routes() -> Vec<rocket::Route> {
    rocket::routes![get_health]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missed_and_expired_stay_apart() {
        let info = StakeInfo {
            block_height: 500,
            live: 40,
            voted: 57,
            missed: 3,
            expired: 2,
            revoked: 5,
            ..StakeInfo::default()
        };
        let report = SyncReport {
            wallets: 3,
            wallets_ready: 2,
            wallets_in_sync: 2,
            min_servers: 2,
            ..SyncReport::default()
        };
        let h = PublicHealth::new(HealthInputs {
            info: &info,
            report: &report,
            closed: false,
            network: "testnet",
            pool_fees: 7.5,
            last_vote: None,
            now: 1000,
        });
        assert_eq!((h.status, h.registration), ("ok", "open"));
        assert_eq!((h.tickets.missed, h.tickets.expired), (3, 2));
        assert_eq!(h.miss_ratio, Some(3.0 / 60.0));
        assert_eq!((h.voting_wallets.online, h.voting_wallets.total), (2, 3));
        let closed = PublicHealth::new(HealthInputs {
            closed: true,
            info: &StakeInfo::default(),
            ..HealthInputs {
                info: &info,
                report: &report,
                closed: false,
                network: "testnet",
                pool_fees: 7.5,
                last_vote: None,
                now: 1000,
            }
        });
        assert_eq!((closed.registration, closed.miss_ratio), ("closed", None));
    }

    #[test]
    fn the_last_vote_is_when_the_voted_count_rose() {
        let w = VoteWatch::default();
        assert_eq!(
            w.observe(10, 100, 1000),
            None,
            "the first reading is a baseline"
        );
        assert_eq!(w.observe(10, 101, 1010), None);
        let v = Some(LastVote {
            height: 102,
            time: 1020,
        });
        assert_eq!(w.observe(12, 102, 1020), v);
        assert_eq!(w.observe(12, 103, 1030), v, "kept until the next vote");
    }
}
