//! The wallets' health as the registration gate ([`crate::service::RegistrationGate`])
//! sees it: whether they can take new registrations ([`SyncReport`], the rule in
//! [`SyncReport::evaluate_with`]) and the vote version a new account starts at. hcpool-web
//! implements [`WalletHealth`] over its wallet manager (with a deadline and a short cache).
//!
//! A wallet that answers and is unlocked can still be stalled: its own tip stops while its
//! hcd follows the network (a wedged sync, a full disk), and every wallet asked alike looks
//! "in sync" with the others. [`tip_lag`] compares each wallet's tip with its hcd's tip
//! (`maxtiplag` blocks) and with the clock (`maxtipage`): a wallet past either limit is
//! lagging, and while every ready wallet lags registration is refused
//! ([`Problem::WalletsLagging`]).

use async_trait::async_trait;
use hcpool_i18n::Msg;

use crate::params::Network;

/// What the services need to know about the wallets' state.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait WalletHealth: Send + Sync {
    /// Whether the wallets can take new registrations now. Never fails: wallets that do
    /// not answer are reported as not ready.
    async fn sync_report(&self) -> SyncReport;

    /// The wallets' vote version, `None` when they do not answer (in time).
    async fn vote_version(&self) -> Option<u32>;
}

/// A wallet more than this many blocks below the highest wallet is behind.
pub const MAX_TIP_LAG: u32 = 1;

/// The default `maxtiplag`: blocks a wallet's tip may trail its hcd's tip.
pub const DEFAULT_MAX_LAG_BLOCKS: u32 = 6;

/// The default `maxtipage` on mainnet and testnet2, seconds: 30 minutes is 12 mainnet
/// blocks (150 s target) and 30 testnet2 blocks (60 s); no block for that long on mainnet
/// happens about once in 160,000 block intervals (e^-12), so an older tip means the
/// wallet (or its hcd) stopped following the network.
pub const DEFAULT_MAX_TIP_AGE_SECS: u64 = 30 * 60;

/// How far a wallet's tip may fall behind before the wallet counts as lagging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LagLimits {
    /// `maxtiplag`: blocks the wallet's tip may trail its hcd's tip.
    pub max_blocks: u32,
    /// `maxtipage`: seconds the wallet's tip block may be old; `None`: not checked.
    pub max_age_secs: Option<u64>,
}

impl LagLimits {
    /// The defaults of `network`: [`DEFAULT_MAX_LAG_BLOCKS`], and
    /// [`DEFAULT_MAX_TIP_AGE_SECS`] except on simnet, where blocks are mined on demand
    /// (an idle simnet is not a stalled one) and the age is not checked.
    pub fn for_network(network: Network) -> Self {
        LagLimits {
            max_blocks: DEFAULT_MAX_LAG_BLOCKS,
            max_age_secs: match network {
                Network::Simnet => None,
                _ => Some(DEFAULT_MAX_TIP_AGE_SECS),
            },
        }
    }
}

impl Default for LagLimits {
    /// Mainnet's: [`LagLimits::for_network`].
    fn default() -> Self {
        LagLimits::for_network(Network::Mainnet)
    }
}

/// Why a wallet counts as lagging.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum LagReason {
    /// Its tip trails its hcd's by more than `maxtiplag` blocks.
    BlocksBehind,
    /// Its tip block is older than `maxtipage`.
    TipTooOld,
}

/// One wallet's lag, from [`tip_lag`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Lag {
    /// Blocks its hcd's tip is ahead of the wallet's (0 when not ahead); `None` when the
    /// hcd's tip is unknown.
    pub blocks_behind: Option<u32>,
    /// Seconds since its tip block's timestamp (0 for a timestamp ahead of the clock);
    /// `None` when the timestamp or the clock is unknown.
    pub tip_age_secs: Option<u64>,
    /// Past a limit: the first limit exceeded.
    pub lagging: Option<LagReason>,
}

/// The lag rule: how far `wallet_height` trails `node_height` (the wallet's hcd) and how
/// old the tip block is (`tip_time` against `now`, Unix seconds), judged by `limits`.
/// What is unknown is not held against the wallet.
pub fn tip_lag(
    wallet_height: u32,
    node_height: Option<u32>,
    tip_time: Option<u64>,
    now: Option<u64>,
    limits: LagLimits,
) -> Lag {
    let blocks_behind = node_height.map(|n| n.saturating_sub(wallet_height));
    let tip_age_secs = match (tip_time, now) {
        (Some(t), Some(now)) => Some(now.saturating_sub(t)),
        _ => None,
    };
    let lagging = if blocks_behind.is_some_and(|b| b > limits.max_blocks) {
        Some(LagReason::BlocksBehind)
    } else if matches!((tip_age_secs, limits.max_age_secs), (Some(a), Some(max)) if a > max) {
        Some(LagReason::TipTooOld)
    } else {
        None
    };
    Lag {
        blocks_behind,
        tip_age_secs,
        lagging,
    }
}

/// One wallet as the gate sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WalletTip {
    /// The wallet's label (host:port); shown to admins only.
    pub label: String,
    /// Why it cannot serve the pool; `None` when ready.
    pub not_ready: Option<String>,
    /// Its chain tip height, if it answered.
    pub height: Option<u32>,
    /// Its hcd's tip height (asked through the wallet), if known.
    pub node_height: Option<u32>,
    /// Unix seconds of its tip block's header timestamp, if known.
    pub tip_time: Option<u64>,
}

/// One ready wallet's lag, for the admin page and the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct WalletLag {
    /// The wallet's label (host:port); shown to admins only.
    pub label: String,
    /// Its tip height.
    pub height: u32,
    /// Its hcd's tip height, if known.
    pub node_height: Option<u32>,
    /// The verdict.
    pub lag: Lag,
}

/// What keeps registration closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum Problem {
    /// The wallet manager stopped on an inconsistency between wallets.
    WalletsStopped,
    /// Fewer than `minservers` wallets are ready.
    WalletsUnavailable,
    /// Fewer than `minservers` ready wallets are at the chain tip.
    WalletsBehind,
    /// Every ready wallet lags its hcd (`maxtiplag`) or the clock (`maxtipage`).
    WalletsLagging,
}

impl Problem {
    /// A sentence for the admin page and the logs (no host names).
    pub fn describe(self) -> &'static str {
        match self {
            Problem::WalletsStopped => "the wallet manager is stopped after an inconsistency",
            Problem::WalletsUnavailable => "fewer than minservers wallets are ready",
            Problem::WalletsBehind => "fewer than minservers wallets are at the chain tip",
            Problem::WalletsLagging => "every ready wallet's tip lags its hcd's tip or is too old",
        }
    }

    /// The catalogue key of [`Problem::describe`]'s sentence (`status-problem-*`), for the
    /// admin page in the reader's language.
    pub fn key(self) -> &'static str {
        match self {
            Problem::WalletsStopped => "status-problem-wallets-stopped",
            Problem::WalletsUnavailable => "status-problem-wallets-unavailable",
            Problem::WalletsBehind => "status-problem-wallets-behind",
            Problem::WalletsLagging => "status-problem-wallets-lagging",
        }
    }
}

/// The outcome of one sync check.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SyncReport {
    /// Empty when registration is open.
    pub problems: Vec<Problem>,
    /// One line per finding, naming wallets: for the admin page only (and the log), in
    /// English.
    pub details: Vec<String>,
    /// `details` as catalogue messages (`status-detail-*`), for the admin page in the
    /// reader's language. Not serialized.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub detail_msgs: Vec<Msg>,
    /// The highest chain tip among ready wallets.
    pub height: Option<u32>,
    /// Wallets configured.
    pub wallets: usize,
    /// Wallets ready (reachable, hcd connected, unlocked).
    pub wallets_ready: usize,
    /// Ready wallets at the tip (and not lagging).
    pub wallets_in_sync: usize,
    /// `minservers`.
    pub min_servers: usize,
    /// The highest hcd tip the wallets' nodes reported.
    pub node_height: Option<u32>,
    /// Ready wallets that lag ([`tip_lag`]).
    pub wallets_lagging: usize,
    /// Each ready wallet's lag, in configuration order.
    pub lag: Vec<WalletLag>,
}

impl SyncReport {
    /// Registration is open.
    pub fn in_sync(&self) -> bool {
        self.problems.is_empty()
    }

    /// The gate's rule over the wallets' states with the default [`LagLimits`] and no
    /// clock (tip ages unchecked): [`SyncReport::evaluate_with`].
    pub fn evaluate(min_servers: usize, stopped: Option<&str>, tips: &[WalletTip]) -> Self {
        Self::evaluate_with(min_servers, stopped, tips, LagLimits::default(), None)
    }

    /// The gate's rule over the wallets' states: registration needs the manager running,
    /// `minservers` wallets ready, not every ready wallet lagging ([`tip_lag`] with
    /// `limits`, ages against `now`, Unix seconds), and `minservers` ready wallets that
    /// neither lag nor trail the highest wallet by more than [`MAX_TIP_LAG`].
    pub fn evaluate_with(
        min_servers: usize,
        stopped: Option<&str>,
        tips: &[WalletTip],
        limits: LagLimits,
        now: Option<u64>,
    ) -> Self {
        let mut problems = Vec::new();
        let mut details = Vec::new();
        if let Some(reason) = stopped {
            problems.push(Problem::WalletsStopped);
            details.push(Msg::new("status-detail-stopped").arg("reason", reason));
        }
        let ready: Vec<(&WalletTip, u32)> = tips
            .iter()
            .filter(|t| t.not_ready.is_none())
            .filter_map(|t| t.height.map(|h| (t, h)))
            .collect();
        for t in tips {
            match (&t.not_ready, t.height) {
                (Some(why), _) => details.push(
                    Msg::new("status-detail-not-ready")
                        .arg("label", &t.label)
                        .arg("why", why),
                ),
                (None, None) => {
                    details.push(Msg::new("status-detail-no-tip").arg("label", &t.label))
                }
                _ => {}
            }
        }
        let height = ready.iter().map(|(_, h)| *h).max();
        let best = height.unwrap_or(0);
        let lag: Vec<WalletLag> = ready
            .iter()
            .map(|(t, h)| WalletLag {
                label: t.label.clone(),
                height: *h,
                node_height: t.node_height,
                lag: tip_lag(*h, t.node_height, t.tip_time, now, limits),
            })
            .collect();
        for l in &lag {
            match l.lag.lagging {
                Some(LagReason::BlocksBehind) => details.push(
                    Msg::new("status-detail-lag-blocks")
                        .arg("label", &l.label)
                        .arg("height", l.height)
                        .arg("node", l.node_height.unwrap_or_default()),
                ),
                Some(LagReason::TipTooOld) => details.push(
                    Msg::new("status-detail-lag-age")
                        .arg("label", &l.label)
                        .arg("height", l.height)
                        .arg("secs", l.lag.tip_age_secs.unwrap_or_default()),
                ),
                None => {}
            }
        }
        let lagging = lag.iter().filter(|l| l.lag.lagging.is_some()).count();
        let in_sync = ready
            .iter()
            .zip(&lag)
            .filter(|((t, h), l)| {
                let ok = h.saturating_add(MAX_TIP_LAG) >= best;
                if !ok {
                    details.push(
                        Msg::new("status-detail-behind")
                            .arg("label", &t.label)
                            .arg("height", h)
                            .arg("best", best),
                    );
                }
                ok && l.lag.lagging.is_none()
            })
            .count();
        if ready.len() < min_servers {
            problems.push(Problem::WalletsUnavailable);
        } else if lagging == ready.len() {
            problems.push(Problem::WalletsLagging);
        } else if in_sync < min_servers {
            problems.push(Problem::WalletsBehind);
        }
        SyncReport {
            problems,
            details: details.iter().map(ToString::to_string).collect(),
            detail_msgs: details,
            height,
            wallets: tips.len(),
            wallets_ready: ready.len(),
            wallets_in_sync: in_sync,
            min_servers,
            node_height: tips.iter().filter_map(|t| t.node_height).max(),
            wallets_lagging: lagging,
            lag,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tip(label: &str, not_ready: Option<&str>, height: Option<u32>) -> WalletTip {
        WalletTip {
            label: label.into(),
            not_ready: not_ready.map(str::to_owned),
            height,
            ..WalletTip::default()
        }
    }

    fn at(label: &str, height: u32, node: u32, time: u64) -> WalletTip {
        WalletTip {
            node_height: Some(node),
            tip_time: Some(time),
            ..tip(label, None, Some(height))
        }
    }

    const LIMITS: LagLimits = LagLimits {
        max_blocks: 6,
        max_age_secs: Some(1800),
    };

    #[test]
    fn lag_rule_blocks_and_age() {
        let now = Some(10_000);
        // Within both limits: 6 blocks behind is allowed, 7 is not.
        let l = tip_lag(94, Some(100), Some(9_000), now, LIMITS);
        assert_eq!(
            (l.blocks_behind, l.tip_age_secs, l.lagging),
            (Some(6), Some(1000), None)
        );
        assert_eq!(
            tip_lag(93, Some(100), Some(9_000), now, LIMITS).lagging,
            Some(LagReason::BlocksBehind)
        );
        // A wallet ahead of its hcd is 0 behind.
        assert_eq!(
            tip_lag(101, Some(100), None, now, LIMITS).blocks_behind,
            Some(0)
        );
        // 1800 s old is allowed, 1801 is not; a timestamp in the future is 0 s old.
        assert_eq!(
            tip_lag(100, Some(100), Some(8_200), now, LIMITS).lagging,
            None
        );
        assert_eq!(
            tip_lag(100, Some(100), Some(8_199), now, LIMITS).lagging,
            Some(LagReason::TipTooOld)
        );
        assert_eq!(
            tip_lag(100, None, Some(20_000), now, LIMITS).tip_age_secs,
            Some(0)
        );
        // Blocks are reported first when both limits are exceeded.
        assert_eq!(
            tip_lag(1, Some(100), Some(0), now, LIMITS).lagging,
            Some(LagReason::BlocksBehind)
        );
        // Unknown node height, time or clock, or the age unchecked: not held against it.
        let unknown = tip_lag(1, None, None, now, LIMITS);
        assert_eq!(unknown, Lag::default());
        assert_eq!(tip_lag(1, None, Some(0), None, LIMITS).lagging, None);
        let no_age = LagLimits {
            max_age_secs: None,
            ..LIMITS
        };
        assert_eq!(tip_lag(100, Some(100), Some(0), now, no_age).lagging, None);
    }

    #[test]
    fn problems_have_the_same_sentence_in_the_catalogue() {
        for p in [
            Problem::WalletsStopped,
            Problem::WalletsUnavailable,
            Problem::WalletsBehind,
            Problem::WalletsLagging,
        ] {
            assert_eq!(
                hcpool_i18n::t(hcpool_i18n::Lang::En, p.key(), &[]),
                p.describe()
            );
            assert_ne!(
                hcpool_i18n::t(hcpool_i18n::Lang::ZhCn, p.key(), &[]),
                p.describe()
            );
        }
    }

    #[test]
    fn details_are_written_in_the_readers_language_too() {
        let now = Some(10_000);
        let tips = [
            at("a", 90, 100, 9_900),
            at("b", 100, 100, 1_000),
            at("c", 97, 97, 9_990),
            tip("d", Some("connection refused"), None),
            tip("e", None, None),
        ];
        let r = SyncReport::evaluate_with(3, Some("scripts differ"), &tips, LIMITS, now);
        assert_eq!(r.details.len(), r.detail_msgs.len());
        for (en, m) in r.details.iter().zip(&r.detail_msgs) {
            assert_eq!(*en, m.to_string());
        }
        let zh: Vec<String> = r
            .detail_msgs
            .iter()
            .map(|m| m.text(hcpool_i18n::Lang::ZhCn))
            .collect();
        assert_eq!(
            zh,
            [
                "钱包管理器已停止：scripts differ",
                "d：connection refused",
                "e：没有链顶端",
                "a：滞后，高度为 90，而其 hcd 已在 100",
                "b：滞后，其链顶端（高度 100）已是 9000 秒前",
                "a：高度为 90，链顶端为 100",
                "c：高度为 97，链顶端为 100",
            ]
        );
    }

    #[test]
    fn network_defaults() {
        assert_eq!(
            LagLimits::for_network(Network::Mainnet).max_age_secs,
            Some(1800)
        );
        assert_eq!(
            LagLimits::for_network(Network::Testnet).max_age_secs,
            Some(1800)
        );
        assert_eq!(LagLimits::for_network(Network::Simnet).max_age_secs, None);
        assert_eq!(LagLimits::default().max_blocks, DEFAULT_MAX_LAG_BLOCKS);
    }

    #[test]
    fn every_wallet_lagging_refuses_registration() {
        let now = Some(10_000);
        // Both wallets agree with each other but trail their hcd by 10: the old rule
        // (compare the wallets with each other) would pass them.
        let tips = [at("a", 90, 100, 9_900), at("b", 90, 100, 9_900)];
        let r = SyncReport::evaluate_with(1, None, &tips, LIMITS, now);
        assert_eq!(r.problems, vec![Problem::WalletsLagging]);
        assert_eq!(
            (r.wallets_lagging, r.wallets_in_sync, r.node_height),
            (2, 0, Some(100))
        );
        assert!(r
            .details
            .iter()
            .any(|d| d == "a: lagging, at height 90 while its hcd is at 100"));
        assert_eq!(r.lag[1].lag.blocks_behind, Some(10));
        // One wallet caught up: open with minservers 1, refused with 2 (the lagging one
        // does not count as in sync).
        let tips = [at("a", 100, 100, 9_900), at("b", 90, 100, 9_900)];
        assert!(SyncReport::evaluate_with(1, None, &tips, LIMITS, now).in_sync());
        let r = SyncReport::evaluate_with(2, None, &tips, LIMITS, now);
        assert_eq!(
            (r.problems.clone(), r.wallets_lagging),
            (vec![Problem::WalletsBehind], 1)
        );
        // A whole chain that stopped an hour ago: every tip too old.
        let tips = [at("a", 100, 100, 6_000), at("b", 100, 100, 6_000)];
        let r = SyncReport::evaluate_with(1, None, &tips, LIMITS, now);
        assert_eq!(r.problems, vec![Problem::WalletsLagging]);
        assert!(r
            .details
            .iter()
            .any(|d| d == "b: lagging, its tip (height 100) is 4000 s old"));
        // Without a clock the age is not checked.
        assert!(SyncReport::evaluate_with(1, None, &tips, LIMITS, None).in_sync());
        assert!(SyncReport::evaluate(1, None, &tips).in_sync());
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
