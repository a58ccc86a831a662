//! The admin status summary: per-wallet and per-voting-node facts in, one overall level out
//! (hcstakepool's "RPC Status"), with the reasons. Pure: the web app gathers the facts
//! (`walletinfo`, `getbestblock`, each stakepoold's health) and renders the result.
//!
//! hcstakepool's rule counted the wallets that answered `walletinfo`: all → `OK`, none →
//! `Emergency`, exactly one → `Critical`, otherwise `Degraded`. hcpool keeps the rule and
//! its names, with two changes (docs/compat.md "Admin status"):
//!
//! - a wallet counts when it is *ready*: it answered, its hcd is connected and it is
//!   unlocked (hcstakepool's process died on a wallet that answered without those, so it
//!   never showed such a wallet as counted);
//! - the voting nodes count too: one not serving makes the pool at least `Degraded`, none
//!   serving (of at least one configured) `Critical`, as its tickets are then not voted. A
//!   node whose voting wallet lags hcd's tip (`maxtiplag`) does not count as serving.
//!
//! The overall level is the worse of the wallets' and the nodes' levels.
//!
//! The reasons are [`Msg`]s (catalogue keys `status-reason-*` with their arguments): the admin
//! page writes them in the reader's language, their `Display` (and their serialized form)
//! is the English text.
//!
//! ```
//! use hcpool_core::status::{summarize, Level, NodeFacts, WalletFacts};
//!
//! let up = WalletFacts::ready("w1:12010", 120, 7);
//! let down = WalletFacts::unreachable("w2:12010");
//! let node = NodeFacts { label: "n1".into(), serving: true, lagging: None };
//! let s = summarize(&[up, down], &[node]);
//! assert_eq!(s.level, Level::Critical);
//! assert_eq!(s.wallets_ready, 1);
//! ```

use hcpool_i18n::Msg;

/// An overall level, from best to worst (ordered: `max` is the worse).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Level {
    /// Every wallet and node serves.
    Ok,
    /// Some wallet or node does not serve; the pool still works.
    Degraded,
    /// Exactly one wallet serves, or no voting node does.
    Critical,
    /// No wallet serves.
    Emergency,
}

impl Level {
    /// hcstakepool's spelling (`OK`, `Degraded`, `Critical`, `Emergency`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Degraded => "Degraded",
            Level::Critical => "Critical",
            Level::Emergency => "Emergency",
        }
    }

    /// The catalogue key of its name on the admin page (`status-level-*`; the English
    /// text is [`Level::as_str`]).
    pub fn key(self) -> &'static str {
        match self {
            Level::Ok => "status-level-ok",
            Level::Degraded => "status-level-degraded",
            Level::Critical => "status-level-critical",
            Level::Emergency => "status-level-emergency",
        }
    }
}

/// `Option<Msg>` as its English text (the serialized facts keep their shape).
#[cfg(feature = "serde")]
fn english_opt<S: serde::Serializer>(m: &Option<Msg>, s: S) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => s.serialize_some(&m.to_string()),
        None => s.serialize_none(),
    }
}

/// `[Msg]` as their English texts.
#[cfg(feature = "serde")]
fn english_all<S: serde::Serializer>(ms: &[Msg], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(ms.iter().map(ToString::to_string))
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is known about one wallet. `None` means "did not say" (it did not answer).
///
/// New facts (for example whether the wallet's hcd lags the network) are new fields here
/// and a new line in [`summarize`]; the web page shows the struct as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct WalletFacts {
    /// `host:port`.
    pub label: String,
    /// It answered `walletinfo`.
    pub connected: bool,
    /// Its hcd is connected (`walletinfo.daemonconnected`).
    pub daemon_connected: Option<bool>,
    /// It is unlocked.
    pub unlocked: Option<bool>,
    /// It votes by itself (`--enablevoting`).
    pub voting: Option<bool>,
    /// Its vote version.
    pub vote_version: Option<u32>,
    /// Its best block height (`getbestblock`).
    pub best_block: Option<u32>,
    /// Why it does not serve, as its manager last saw it.
    pub error: Option<String>,
    /// Why its tip lags (`maxtiplag` / `maxtipage`, from
    /// [`crate::backend::health::tip_lag`]); `None` when it keeps up or nobody can tell.
    #[cfg_attr(feature = "serde", serde(serialize_with = "english_opt"))]
    pub lagging: Option<Msg>,
}

impl WalletFacts {
    /// A wallet that answered and serves, at `height`.
    pub fn ready(label: &str, height: u32, vote_version: u32) -> Self {
        WalletFacts {
            label: label.to_owned(),
            connected: true,
            daemon_connected: Some(true),
            unlocked: Some(true),
            voting: Some(false),
            vote_version: Some(vote_version),
            best_block: Some(height),
            error: None,
            lagging: None,
        }
    }

    /// A wallet that did not answer.
    pub fn unreachable(label: &str) -> Self {
        WalletFacts {
            label: label.to_owned(),
            ..WalletFacts::default()
        }
    }

    /// Ready for pool work: it answered, its hcd is connected, it is unlocked and its tip
    /// does not lag (a stalled wallet answers every call, yet votes on a stale chain).
    pub fn is_ready(&self) -> bool {
        self.connected
            && self.daemon_connected == Some(true)
            && self.unlocked == Some(true)
            && self.lagging.is_none()
    }

    /// Why it does not count as ready (`None` when it does).
    pub fn problem(&self) -> Option<Msg> {
        let label = self.label.as_str();
        if !self.connected {
            let m = Msg::new("status-reason-wallet-down").arg("label", label);
            Some(match &self.error {
                // The wallet's own error is shown as it is.
                Some(e) => m.arg("why", e),
                None => m.arg_msg("why", Msg::new("status-reason-no-answer")),
            })
        } else if self.daemon_connected != Some(true) {
            Some(Msg::new("status-reason-wallet-no-hcd").arg("label", label))
        } else if self.unlocked != Some(true) {
            Some(Msg::new("status-reason-wallet-locked").arg("label", label))
        } else {
            self.lagging.as_ref().map(|why| {
                Msg::new("status-reason-wallet-lagging")
                    .arg("label", label)
                    .arg_msg("why", why.clone())
            })
        }
    }
}

/// What is known about one voting node (stakepoold).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct NodeFacts {
    /// Its host.
    pub label: String,
    /// It answered its health calls.
    pub serving: bool,
    /// Why its voting wallet lags hcd's tip (`maxtiplag`); `None` when it keeps up or
    /// nobody can tell. A lagging node counts as not serving: it votes on a stale chain.
    #[cfg_attr(feature = "serde", serde(serialize_with = "english_opt"))]
    pub lagging: Option<Msg>,
}

impl NodeFacts {
    /// Serving and not lagging.
    pub fn is_serving(&self) -> bool {
        self.serving && self.lagging.is_none()
    }
}

/// The summary of a status page.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Summary {
    /// The overall level.
    pub level: Level,
    /// The wallets' level (hcstakepool's `RPCStatus`).
    pub wallets_level: Level,
    /// Wallets ready of those configured.
    pub wallets_ready: usize,
    /// Wallets configured.
    pub wallets: usize,
    /// Voting nodes serving.
    pub nodes_serving: usize,
    /// Voting nodes configured.
    pub nodes: usize,
    /// The highest best block among ready wallets.
    pub tip: Option<u32>,
    /// One line per wallet or node that does not serve.
    #[cfg_attr(feature = "serde", serde(serialize_with = "english_all"))]
    pub reasons: Vec<Msg>,
}

/// hcstakepool's rule over the number of working wallets.
fn wallets_level(ready: usize, total: usize) -> Level {
    if ready == total {
        Level::Ok
    } else if ready == 0 {
        Level::Emergency
    } else if ready == 1 {
        Level::Critical
    } else {
        Level::Degraded
    }
}

/// The overall level and its reasons (see the module docs for the rule).
pub fn summarize(wallets: &[WalletFacts], nodes: &[NodeFacts]) -> Summary {
    let mut reasons: Vec<Msg> = wallets.iter().filter_map(WalletFacts::problem).collect();
    let wallets_ready = wallets.iter().filter(|w| w.is_ready()).count();
    let wl = wallets_level(wallets_ready, wallets.len());
    let nodes_serving = nodes.iter().filter(|n| n.is_serving()).count();
    for n in nodes.iter().filter(|n| !n.is_serving()) {
        reasons.push(match (&n.lagging, n.serving) {
            (Some(why), true) => Msg::new("status-reason-node-lagging")
                .arg("label", &n.label)
                .arg_msg("why", why.clone()),
            _ => Msg::new("status-reason-node-down").arg("label", &n.label),
        });
    }
    let nl = if nodes_serving == nodes.len() {
        Level::Ok
    } else if nodes_serving == 0 {
        Level::Critical
    } else {
        Level::Degraded
    };
    let tip = wallets
        .iter()
        .filter(|w| w.is_ready())
        .filter_map(|w| w.best_block)
        .max();
    Summary {
        level: wl.max(nl),
        wallets_level: wl,
        wallets_ready,
        wallets: wallets.len(),
        nodes_serving,
        nodes: nodes.len(),
        tip,
        reasons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(label: &str, serving: bool) -> NodeFacts {
        NodeFacts {
            label: label.into(),
            serving,
            lagging: None,
        }
    }

    fn english(s: &Summary) -> Vec<String> {
        s.reasons.iter().map(ToString::to_string).collect()
    }

    fn levels(ready: usize, total: usize) -> Level {
        let ws: Vec<WalletFacts> = (0..total)
            .map(|i| {
                if i < ready {
                    WalletFacts::ready(&format!("w{i}"), 100, 7)
                } else {
                    WalletFacts::unreachable(&format!("w{i}"))
                }
            })
            .collect();
        summarize(&ws, &[node("n", true)]).level
    }

    #[test]
    fn hcstakepool_rule_over_wallets() {
        assert_eq!(levels(1, 1), Level::Ok);
        assert_eq!(levels(3, 3), Level::Ok);
        assert_eq!(levels(0, 1), Level::Emergency);
        assert_eq!(levels(0, 3), Level::Emergency);
        assert_eq!(levels(1, 2), Level::Critical);
        assert_eq!(levels(1, 3), Level::Critical);
        assert_eq!(levels(2, 3), Level::Degraded);
        assert_eq!(levels(3, 4), Level::Degraded);
        // No wallet configured: nothing is down.
        assert_eq!(levels(0, 0), Level::Ok);
    }

    #[test]
    fn a_wallet_without_hcd_or_locked_does_not_count() {
        let mut no_hcd = WalletFacts::ready("a", 100, 7);
        no_hcd.daemon_connected = Some(false);
        let mut locked = WalletFacts::ready("b", 100, 7);
        locked.unlocked = Some(false);
        let ok = WalletFacts::ready("c", 101, 7);
        let s = summarize(&[no_hcd, locked, ok], &[]);
        assert_eq!(s.wallets_ready, 1);
        assert_eq!(s.level, Level::Critical);
        assert_eq!(s.tip, Some(101));
        assert_eq!(
            english(&s),
            ["wallet a: hcd not connected", "wallet b: locked"]
        );
    }

    #[test]
    fn voting_nodes_count() {
        let w = [WalletFacts::ready("a", 1, 7), WalletFacts::ready("b", 1, 7)];
        let s = summarize(&w, &[node("n1", true), node("n2", false)]);
        assert_eq!((s.level, s.wallets_level), (Level::Degraded, Level::Ok));
        assert_eq!(english(&s), ["voting node n2 not serving"]);
        let s = summarize(&w, &[node("n1", false)]);
        assert_eq!(s.level, Level::Critical);
        // The worse side wins: no wallet beats a degraded node set.
        let s = summarize(
            &[WalletFacts::unreachable("a")],
            &[node("n1", true), node("n2", false)],
        );
        assert_eq!(s.level, Level::Emergency);
        assert_eq!(english(&s)[0], "wallet a not connected: no answer");
        let mut refused = WalletFacts::unreachable("b");
        refused.error = Some("connection refused".into());
        assert_eq!(
            refused.problem().unwrap().to_string(),
            "wallet b not connected: connection refused"
        );
    }

    #[test]
    fn a_lagging_voting_node_does_not_count_as_serving() {
        let w = [WalletFacts::ready("a", 9, 7), WalletFacts::ready("b", 9, 7)];
        let lagging = NodeFacts {
            lagging: Some(
                Msg::new("status-node-lag")
                    .arg("height", 4)
                    .arg("blocks", 5),
            ),
            ..node("n2", true)
        };
        let s = summarize(&w, &[node("n1", true), lagging.clone()]);
        assert_eq!((s.level, s.nodes_serving), (Level::Degraded, 1));
        assert_eq!(
            english(&s),
            ["voting node n2 lagging: its wallet is at height 4 while the tip is 5 blocks ahead"]
        );
        let s = summarize(&w, &[lagging]);
        assert_eq!(s.level, Level::Critical);
    }

    #[test]
    fn names_as_hcstakepool() {
        let names: Vec<&str> = [
            Level::Ok,
            Level::Degraded,
            Level::Critical,
            Level::Emergency,
        ]
        .iter()
        .map(|l| l.as_str())
        .collect();
        assert_eq!(names, ["OK", "Degraded", "Critical", "Emergency"]);
        assert!(Level::Emergency > Level::Critical && Level::Degraded > Level::Ok);
    }

    #[test]
    fn a_lagging_wallet_is_not_ready_and_degrades_the_pool() {
        let mut stalled = WalletFacts::ready("a:1", 3, 7);
        stalled.lagging = Some(
            Msg::new("status-lag-blocks")
                .arg("height", 3)
                .arg("node", 12),
        );
        let s = summarize(
            &[
                stalled,
                WalletFacts::ready("b:1", 12, 7),
                WalletFacts::ready("c:1", 12, 7),
            ],
            &[],
        );
        assert_eq!(s.wallets_ready, 2);
        assert_eq!(s.level, Level::Degraded);
        assert_eq!(
            s.tip,
            Some(12),
            "the stalled wallet's tip is not the pool's"
        );
        assert!(
            english(&s).contains(&"wallet a:1: lagging: at height 3 while its hcd is at 12".into()),
            "{:?}",
            s.reasons
        );
    }

    #[test]
    fn reasons_are_written_in_the_readers_language() {
        use hcpool_i18n::Lang;
        let mut locked = WalletFacts::ready("b", 1, 7);
        locked.unlocked = Some(false);
        let mut stalled = WalletFacts::ready("c", 3, 7);
        stalled.lagging = Some(Msg::new("status-lag-tip-age").arg("secs", 4000));
        let lagging = NodeFacts {
            lagging: Some(
                Msg::new("status-node-lag")
                    .arg("height", 4)
                    .arg("blocks", 9),
            ),
            ..node("n2", true)
        };
        let s = summarize(
            &[WalletFacts::unreachable("a"), locked, stalled],
            &[node("n1", false), lagging],
        );
        let zh: Vec<String> = s.reasons.iter().map(|r| r.text(Lang::ZhCn)).collect();
        assert_eq!(
            zh,
            [
                "钱包 a 未连接：无应答",
                "钱包 b：已锁定",
                "钱包 c：滞后：其最新区块已是 4000 秒前",
                "投票节点 n1 未在服务",
                "投票节点 n2 滞后：其钱包高度为 4，落后链顶端 9 个区块",
            ]
        );
        for r in &s.reasons {
            for key in r.keys() {
                assert!(hcpool_i18n::catalogue().has(key), "{key}");
            }
        }
        let levels = [
            Level::Ok,
            Level::Degraded,
            Level::Critical,
            Level::Emergency,
        ];
        for l in levels {
            assert_eq!(hcpool_i18n::t(Lang::En, l.key(), &[]), l.as_str());
            assert_ne!(hcpool_i18n::t(Lang::ZhCn, l.key(), &[]), l.as_str());
        }
    }
}
