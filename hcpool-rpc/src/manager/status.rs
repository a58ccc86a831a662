//! What the web status page shows about the wallets and the manager.

use std::time::{SystemTime, UNIX_EPOCH};

use hcpool_core::backend::WalletInfo;
use serde::Serialize;

/// One wallet's last known state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WalletStatus {
    /// `host:port`.
    pub label: String,
    /// The last call reached the wallet.
    pub connected: bool,
    /// From the last `walletinfo`.
    pub daemon_connected: Option<bool>,
    /// From the last `walletinfo`.
    pub unlocked: Option<bool>,
    /// From the last `walletinfo`.
    pub voting: Option<bool>,
    /// From the last `walletinfo`.
    pub vote_version: Option<u32>,
    /// The last failure of a call to this wallet, cleared by the next `walletinfo` success.
    pub last_error: Option<String>,
    /// Unix seconds of the last `walletinfo` answer.
    pub last_seen: Option<u64>,
    /// The network it is on (from the connect check).
    pub network: Option<String>,
    /// Its hcd's `hcdjsonrpcapi` version (from the connect check).
    pub hcd_api: Option<String>,
    /// Its `hcwalletjsonrpcapi` version (from the connect check).
    pub wallet_api: Option<String>,
    /// Untested API versions found by the connect check.
    pub warnings: Vec<String>,
    /// Redeem scripts the pool registered that this wallet lacks, as last counted (an
    /// `importscript` it missed, or the catch-up's `listscripts`); `None` until counted.
    /// The catch-up ([`WalletManager::catch_up`](super::WalletManager::catch_up)) brings it
    /// back to 0.
    pub scripts_missing: Option<usize>,
}

impl WalletStatus {
    pub(crate) fn new(label: String) -> Self {
        WalletStatus {
            label,
            connected: false,
            daemon_connected: None,
            unlocked: None,
            voting: None,
            vote_version: None,
            last_error: None,
            last_seen: None,
            network: None,
            hcd_api: None,
            wallet_api: None,
            warnings: Vec::new(),
            scripts_missing: None,
        }
    }

    pub(crate) fn record_check(&mut self, info: &crate::check::ServerInfo) {
        self.network = Some(info.network.clone());
        self.hcd_api.clone_from(&info.hcd_api);
        self.wallet_api.clone_from(&info.wallet_api);
        self.warnings.clone_from(&info.warnings);
        if info.voting.is_some() {
            self.voting = info.voting;
        }
    }

    pub(crate) fn record_info(&mut self, info: &WalletInfo) {
        self.connected = true;
        self.daemon_connected = Some(info.daemon_connected);
        self.unlocked = Some(info.unlocked);
        self.voting = Some(info.voting);
        self.vote_version = Some(info.vote_version);
        self.last_seen = Some(unix_now());
        self.last_error = not_ready_reason(info).map(str::to_owned);
    }

    /// Lacks scripts the pool registered (the admin page shows it as behind).
    pub fn is_behind(&self) -> bool {
        self.scripts_missing.is_some_and(|n| n > 0)
    }

    /// Ready for pool work: reachable, daemon connected, unlocked.
    pub fn is_ready(&self) -> bool {
        self.connected && self.daemon_connected == Some(true) && self.unlocked == Some(true)
    }
}

/// Why a wallet that answered cannot serve the pool (hcstakepool panicked here).
pub(crate) fn not_ready_reason(info: &WalletInfo) -> Option<&'static str> {
    if !info.daemon_connected {
        Some("wallet not connected to hcd")
    } else if !info.unlocked {
        Some("wallet not unlocked")
    } else {
        None
    }
}

/// One wallet's readiness and chain tip, from [`WalletManager::chain_tips`](super::WalletManager::chain_tips).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainTip {
    /// `host:port`.
    pub label: String,
    /// Why the wallet cannot serve the pool (unreachable, hcd not connected, locked);
    /// `None` when it is ready.
    pub not_ready: Option<String>,
    /// Its best block height, when it answered `getbestblock`.
    pub height: Option<u32>,
    /// Its hcd's tip height (`getinfo` through the wallet), when known.
    pub node_height: Option<u32>,
    /// Unix seconds of its tip block's header timestamp, when known.
    pub tip_time: Option<u64>,
}

/// A snapshot of the manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManagerStatus {
    /// Per wallet, in configuration order.
    pub wallets: Vec<WalletStatus>,
    /// `minservers`.
    pub min_servers: usize,
    /// The vote version every wallet agreed on at the last check.
    pub vote_version: Option<u32>,
    /// Why the manager is stopped; `None` when it serves.
    pub stopped: Option<String>,
    /// Unix seconds since when it is stopped.
    pub stopped_since: Option<u64>,
}

impl ManagerStatus {
    /// Wallets ready for pool work.
    pub fn ready_count(&self) -> usize {
        self.wallets.iter().filter(|w| w.is_ready()).count()
    }
}

pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
