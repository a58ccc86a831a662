//! The wallets' health as the registration gate ([`crate::service::RegistrationGate`])
//! sees it: whether they can take new registrations ([`SyncReport`], the rule in
//! [`SyncReport::evaluate`]) and the vote version a new account starts at. hcpool-web
//! implements [`WalletHealth`] over its wallet manager (with a deadline and a short cache).

use async_trait::async_trait;

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
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
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

#[cfg(test)]
mod tests {
    use super::*;

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
