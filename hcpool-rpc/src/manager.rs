//! [`WalletManager`]: N voting wallets kept in agreement, with hcstakepool's semantics
//! (hcwallet-rpc.md §4, inventory §9) and two changes:
//!
//! - Calls to several wallets go out concurrently, each with a timeout; a wallet that times
//!   out or is disconnected counts as absent (not counted, not compared).
//! - On an inconsistency the manager enters a *stopped* state that refuses writes, like the
//!   original, but [`WalletManager::recheck`] clears it without a restart once the wallets
//!   agree again (it re-runs the check that failed).
//!
//! Comparisons are made between every answering wallet and the first one, not only between
//! adjacent slots, so an absent middle wallet cannot hide a disagreement.

mod backend;
mod catch_up;
mod status;
mod stopped;
mod sync;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::join_all;
use hcpool_core::backend::{
    BestBlock, MultisigInfo, StakeInfo, StakePoolUserInfo, UserStore, ValidatedAddress,
    WalletBackend, WalletInfo,
};
use hcpool_core::util::lock;
use hcpool_core::{Address, BackendKind, BlockHash, RedeemScript};

pub use status::{ChainTip, ManagerStatus, WalletStatus};
pub use sync::{SyncReport, SYNC_ACCOUNT};

use crate::error::{Error, Result};

/// Manager settings.
#[derive(Debug, Clone)]
pub struct ManagerConfig {
    /// Minimum wallets that must answer a call (`minservers`, default 2).
    pub min_servers: usize,
    /// Timeout of each wallet call.
    pub call_timeout: Duration,
    /// How long a `getstakeinfo` result is reused at most, and only while the chain tip is
    /// the one it was read at (hcstakepool reused it for 5 minutes whatever the tip, so the
    /// stats named a block minutes old).
    pub stake_info_ttl: Duration,
    /// Timeout of each wallet call of the start-up sync ([`WalletManager::sync`]):
    /// `accountsyncaddressindex` to 10,000 addresses, `importscript` with a rescan and
    /// `addticket` can take a real hcwallet far longer than a page's call, above all while it
    /// is still loading after a restart.
    pub sync_timeout: Duration,
    /// The last address index of the pool's ticket branch every wallet is asked to watch
    /// at sync (`accountsyncaddressindex default 0 N`): the pool's `maxusers` (default
    /// 10,000), so that every user's ticket address is `ismine`.
    pub sync_address_index: u32,
    /// How often the background task ([`WalletManager::spawn_recheck`]) runs the catch-up
    /// ([`WalletManager::catch_up`]) whatever happened; it also runs as soon as a wallet
    /// that was down answers again. `Duration::ZERO`: only then.
    pub resync_interval: Duration,
}

impl Default for ManagerConfig {
    fn default() -> Self {
        ManagerConfig {
            min_servers: 2,
            call_timeout: Duration::from_secs(10),
            stake_info_ttl: Duration::from_secs(300),
            sync_timeout: Duration::from_secs(120),
            sync_address_index: SYNC_ACCOUNT.2,
            resync_interval: DEFAULT_RESYNC_INTERVAL,
        }
    }
}

/// The default [`ManagerConfig::resync_interval`] (`walletresyncinterval`): 10 minutes.
pub const DEFAULT_RESYNC_INTERVAL: Duration = Duration::from_secs(600);

use stopped::{Probe, Stopped};

/// A lag-check input (`getinfo`, the tip's header): a wallet that cannot tell is not held to it.
fn quiet<T>(r: hcpool_core::Result<Option<T>>) -> Option<T> {
    r.unwrap_or_else(|e| {
        tracing::debug!(error = %e, "lag check input unavailable");
        None
    })
}

fn is_absent(e: &hcpool_core::Error) -> bool {
    e.backend_kind() == Some(BackendKind::Unavailable)
}

/// N voting wallets behind one API.
pub struct WalletManager {
    wallets: Vec<Arc<dyn WalletBackend>>,
    cfg: ManagerConfig,
    status: Mutex<Vec<WalletStatus>>,
    stopped: Mutex<Option<Stopped>>,
    vote_version: Mutex<Option<u32>>,
    stake_cache: Mutex<Option<(Instant, BlockHash, StakeInfo)>>,
    /// The scripts every wallet must hold, keyed by their bytes, with the height a rescan
    /// starts from: the start-up sync's set and every completed `importscript` since.
    known_scripts: Mutex<BTreeMap<Vec<u8>, (RedeemScript, u32)>>,
    /// Woken when a wallet that counted as absent answers again.
    came_back: tokio::sync::Notify,
    /// Where the catch-up reads the registered scripts (the store), so that it also
    /// pushes registrations made through other instances; `None`: only `known_scripts`.
    script_source: Mutex<Option<Arc<dyn UserStore>>>,
    /// Scripts were imported by a catch-up whose ticket step has not succeeded yet.
    tickets_pending: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for WalletManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalletManager")
            .field("wallets", &self.labels())
            .field("cfg", &self.cfg)
            .finish()
    }
}

impl WalletManager {
    /// A manager over `wallets` (configuration order matters for take-first calls).
    pub fn new(wallets: Vec<Arc<dyn WalletBackend>>, cfg: ManagerConfig) -> Self {
        let status = wallets
            .iter()
            .map(|w| WalletStatus::new(w.label()))
            .collect();
        WalletManager {
            wallets,
            cfg,
            status: Mutex::new(status),
            stopped: Mutex::new(None),
            vote_version: Mutex::new(None),
            stake_cache: Mutex::new(None),
            known_scripts: Mutex::new(BTreeMap::new()),
            came_back: tokio::sync::Notify::new(),
            script_source: Mutex::new(None),
            tickets_pending: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The wallets' labels, in order.
    pub fn labels(&self) -> Vec<String> {
        self.wallets.iter().map(|w| w.label()).collect()
    }

    /// The configuration.
    pub fn config(&self) -> &ManagerConfig {
        &self.cfg
    }

    // --- fan-out plumbing ----------------------------------------------------------------

    fn label(&self, i: usize) -> String {
        self.wallets.get(i).map(|w| w.label()).unwrap_or_default()
    }

    /// Runs `f` on the wallets `ids` concurrently, each bounded by the call timeout, and
    /// records reachability and errors in the status.
    async fn fan_out<T, F, Fut>(
        &self,
        op: &str,
        ids: &[usize],
        f: F,
    ) -> Vec<(usize, hcpool_core::Result<T>)>
    where
        F: Fn(usize, Arc<dyn WalletBackend>) -> Fut,
        Fut: Future<Output = hcpool_core::Result<T>>,
    {
        self.fan_out_within(op, ids, self.cfg.call_timeout, f).await
    }

    /// [`Self::fan_out`] with its own timeout per call.
    async fn fan_out_within<T, F, Fut>(
        &self,
        op: &str,
        ids: &[usize],
        after: Duration,
        f: F,
    ) -> Vec<(usize, hcpool_core::Result<T>)>
    where
        F: Fn(usize, Arc<dyn WalletBackend>) -> Fut,
        Fut: Future<Output = hcpool_core::Result<T>>,
    {
        let calls = ids.iter().filter_map(|&i| {
            let w = self.wallets.get(i)?.clone();
            let label = w.label();
            let fut = f(i, w);
            Some(async move {
                let r = match tokio::time::timeout(after, fut).await {
                    Ok(r) => r,
                    Err(_) => Err(hcpool_core::Error::wallet(
                        label,
                        BackendKind::Unavailable,
                        format!("{op}: no reply within {after:?}"),
                    )),
                };
                (i, r)
            })
        });
        let results = join_all(calls).await;
        let mut back = false;
        {
            let mut st = lock(&self.status);
            for (i, r) in &results {
                if let (Some(s), Err(e)) = (st.get_mut(*i), r) {
                    s.connected = !is_absent(e);
                    s.last_error = Some(format!("{op}: {e}"));
                } else if let Some(s) = st.get_mut(*i) {
                    // Absent before (not merely never asked): it came back.
                    back |= !s.connected && s.last_error.is_some();
                    s.connected = true;
                }
            }
        }
        if back {
            self.came_back.notify_one();
        }
        results
    }

    fn all_ids(&self) -> Vec<usize> {
        (0..self.wallets.len()).collect()
    }

    /// Drops absent wallets; fails on any other error; enforces `minservers`.
    fn answered<T>(
        &self,
        results: Vec<(usize, hcpool_core::Result<T>)>,
    ) -> Result<Vec<(usize, T)>> {
        let mut ok = Vec::with_capacity(results.len());
        for (i, r) in results {
            match r {
                Ok(v) => ok.push((i, v)),
                Err(e) if is_absent(&e) => {}
                Err(e) => return Err(Error::Backend(e)),
            }
        }
        self.check_min(ok.len())?;
        Ok(ok)
    }

    fn check_min(&self, available: usize) -> Result<()> {
        if available < self.cfg.min_servers {
            return Err(Error::BelowMinServers {
                available,
                min: self.cfg.min_servers,
            });
        }
        Ok(())
    }

    /// Every answer must equal the first one under `key`.
    fn agree<T>(
        &self,
        what: &str,
        answers: &[(usize, T)],
        key: impl Fn(&T) -> String,
    ) -> Result<()> {
        let Some((first_i, first)) = answers.first() else {
            return Ok(());
        };
        let first_key = key(first);
        for (i, v) in answers.iter().skip(1) {
            let k = key(v);
            if k != first_key {
                return Err(Error::Mismatch {
                    what: what.to_owned(),
                    first: self.label(*first_i),
                    first_value: first_key,
                    second: self.label(*i),
                    second_value: k,
                });
            }
        }
        Ok(())
    }

    // --- status --------------------------------------------------------------------------

    /// The last known state, without I/O.
    pub fn status(&self) -> ManagerStatus {
        let stopped = lock(&self.stopped).clone();
        ManagerStatus {
            wallets: lock(&self.status).clone(),
            min_servers: self.cfg.min_servers,
            vote_version: *lock(&self.vote_version),
            stopped: stopped.as_ref().map(|s| s.reason.clone()),
            stopped_since: stopped.map(|s| s.since),
        }
    }

    /// Records what the connect check ([`crate::check::check_wallet`]) learnt about wallet
    /// `index` (configuration order): its network, API versions and warnings, shown in the
    /// status. Out-of-range indexes are ignored.
    pub fn record_check(&self, index: usize, info: &crate::check::ServerInfo) {
        if let Some(s) = lock(&self.status).get_mut(index) {
            s.record_check(info);
        }
    }

    /// `walletinfo` on every wallet, then the snapshot.
    pub async fn refresh_status(&self) -> ManagerStatus {
        let _ = self.wallet_infos().await;
        self.status()
    }

    /// Every wallet's readiness (`walletinfo`) and chain tip (`getbestblock`), asked
    /// concurrently with the call timeout, in configuration order. The web app's chain-sync
    /// gate compares the tips: a wallet (or its hcd) behind the others is not in sync.
    pub async fn chain_tips(&self) -> Vec<ChainTip> {
        let infos = self.wallet_infos().await;
        let ids = self.all_ids();
        let tips = self
            .fan_out("getbestblock", &ids, |_, w| async move {
                let best = w.best_block().await?;
                // The lag check's inputs; a wallet that cannot tell is not held to them.
                let (node, time) = futures::join!(w.node_height(), w.block_time(&best.hash));
                Ok((best, quiet(node), quiet(time)))
            })
            .await;
        infos
            .into_iter()
            .zip(tips)
            .map(|((i, info), (_, tip))| {
                let tip = tip.ok();
                ChainTip {
                    label: self.label(i),
                    not_ready: match &info {
                        Ok(info) => status::not_ready_reason(info).map(str::to_owned),
                        Err(e) => Some(e.to_string()),
                    },
                    height: tip.map(|(b, _, _)| b.height),
                    node_height: tip.and_then(|(_, n, _)| n),
                    tip_time: tip.and_then(|(_, _, t)| t),
                }
            })
            .collect()
    }

    /// `walletinfo` on every wallet (recorded in the status).
    async fn wallet_infos(&self) -> Vec<(usize, hcpool_core::Result<WalletInfo>)> {
        let results = self
            .fan_out("walletinfo", &self.all_ids(), |_, w| async move {
                w.wallet_info().await
            })
            .await;
        let mut st = lock(&self.status);
        for (i, r) in &results {
            if let (Some(s), Ok(info)) = (st.get_mut(*i), r) {
                s.record_info(info);
            }
        }
        results
    }

    /// hcstakepool's `connected()`, minus its panic: the wallets that answered `walletinfo`
    /// and are daemon-connected and unlocked; at least `minservers` of them.
    pub async fn ready_wallets(&self) -> Result<Vec<usize>> {
        let ready: Vec<usize> = self
            .wallet_infos()
            .await
            .into_iter()
            .filter_map(|(i, r)| match r {
                Ok(info) if status::not_ready_reason(&info).is_none() => Some(i),
                _ => None,
            })
            .collect();
        self.check_min(ready.len())?;
        Ok(ready)
    }

    /// Startup: every wallet must answer `walletinfo` and report the same vote version.
    pub async fn check_vote_version(&self) -> Result<u32> {
        let infos = self.wallet_infos().await;
        let mut answers = Vec::new();
        for (i, r) in infos {
            answers.push((i, r.map_err(Error::Backend)?));
        }
        let r = self.agree("vote version", &answers, |w| w.vote_version.to_string());
        self.stop_on_mismatch(r, || Probe::VoteVersion)?;
        let v = answers.first().map(|(_, w)| w.vote_version).unwrap_or(0);
        *lock(&self.vote_version) = Some(v);
        Ok(v)
    }

    /// The wallets' vote version now, for pages and the API: `walletinfo` on every
    /// wallet, and the version the ones that answer agree on (no readiness or `minservers`
    /// needed: one wallet down must not hide the agendas). It is recorded as the last
    /// known version, which is the answer when no wallet answers, as hcstakepool kept the
    /// version it read at start-up. Wallets that answer with different versions stop the
    /// manager (as the start-up check does) and the last known version is kept.
    ///
    /// # Errors
    /// The first wallet's error when no wallet answers and no version was ever known;
    /// the mismatch when they disagree and none was known.
    pub async fn vote_version(&self) -> Result<u32> {
        let mut answers = Vec::new();
        let mut failure = None;
        for (i, r) in self.wallet_infos().await {
            match r {
                Ok(info) => answers.push((i, info)),
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
        let last = *lock(&self.vote_version);
        let Some((_, first)) = answers.first() else {
            return last.ok_or_else(|| {
                failure.map_or(
                    Error::BelowMinServers {
                        available: 0,
                        min: 1,
                    },
                    Error::Backend,
                )
            });
        };
        let v = first.vote_version;
        let agreed = self.agree("vote version", &answers, |w| w.vote_version.to_string());
        match self.stop_on_mismatch(agreed, || Probe::VoteVersion) {
            Ok(()) => {
                *lock(&self.vote_version) = Some(v);
                Ok(v)
            }
            Err(e) => last.ok_or(e),
        }
    }

    /// Vote-version agreement among the wallets that answer (for re-checks).
    async fn vote_version_among_answering(&self) -> Result<()> {
        let infos = self.wallet_infos().await;
        let answers = self.answered(infos)?;
        self.agree("vote version", &answers, |w| w.vote_version.to_string())?;
        if let Some((_, w)) = answers.first() {
            *lock(&self.vote_version) = Some(w.vote_version);
        }
        Ok(())
    }

    // --- pool operations -----------------------------------------------------------------

    /// `validateaddress` on every ready wallet; `pubkey` must agree.
    pub async fn validate_address(&self, address: &Address) -> Result<ValidatedAddress> {
        self.refuse_if_stopped()?;
        let r = self.validate_address_inner(address).await;
        self.stop_on_mismatch(r, || Probe::ValidateAddress(address.clone()))
    }

    async fn validate_address_inner(&self, address: &Address) -> Result<ValidatedAddress> {
        let ids = self.ready_wallets().await?;
        let results = self
            .fan_out("validateaddress", &ids, |_, w| {
                let a = address.clone();
                async move { w.validate_address(&a).await }
            })
            .await;
        let answers = self.answered(results)?;
        self.agree("pubkey", &answers, |v| {
            v.pubkey.as_deref().map(hex::encode).unwrap_or_default()
        })?;
        first(answers)
    }

    /// `createmultisig 1 [pool, user]` on every ready wallet; the redeem script and address
    /// must agree (and match the pool's own computation when the core offers one).
    pub async fn create_multisig(&self, pool: &Address, user: &Address) -> Result<MultisigInfo> {
        self.refuse_if_stopped()?;
        let r = self.create_multisig_inner(pool, user).await;
        self.stop_on_mismatch(r, || Probe::CreateMultisig(pool.clone(), user.clone()))
    }

    async fn create_multisig_inner(&self, pool: &Address, user: &Address) -> Result<MultisigInfo> {
        let ids = self.ready_wallets().await?;
        let results = self
            .fan_out("createmultisig", &ids, |_, w| {
                let (p, u) = (pool.clone(), user.clone());
                async move { w.create_multisig(&p, &u).await }
            })
            .await;
        let answers = self.answered(results)?;
        self.agree("redeem script", &answers, |m| {
            hex::encode(m.redeem_script.as_bytes())
        })?;
        self.agree("multisig address", &answers, |m| {
            hex::encode(m.address.payload())
        })?;
        let info = first(answers)?;
        if let Some(expected) = sync::local_multisig(pool, user) {
            if expected.redeem_script != info.redeem_script || expected.address != info.address {
                return Err(Error::Mismatch {
                    what: "redeem script".into(),
                    first: "hcpool".into(),
                    first_value: hex::encode(expected.redeem_script.as_bytes()),
                    second: "wallets".into(),
                    second_value: hex::encode(info.redeem_script.as_bytes()),
                });
            }
        }
        Ok(info)
    }

    /// `importscript <script> true <height>` on every ready wallet. Wallets must agree on
    /// success or on the error text; when all refuse alike, the error is returned without
    /// stopping (a per-call error, unlike hcstakepool).
    pub async fn import_script(&self, script: &RedeemScript, rescan_from: u32) -> Result<()> {
        self.refuse_if_stopped()?;
        let r = self.import_script_inner(script, rescan_from).await;
        self.stop_on_mismatch(r, || Probe::ImportScript(script.clone(), rescan_from))
    }

    async fn import_script_inner(&self, script: &RedeemScript, rescan_from: u32) -> Result<()> {
        let ids = self.ready_wallets().await?;
        let results = self
            .fan_out("importscript", &ids, |_, w| {
                let s = script.clone();
                async move { w.import_script(&s, rescan_from).await }
            })
            .await;
        let mut outcomes = Vec::new();
        for (i, r) in results {
            match r {
                Err(e) if is_absent(&e) => {}
                other => outcomes.push((i, other)),
            }
        }
        self.check_min(outcomes.len())?;
        self.agree("error", &outcomes, |r| match r {
            Ok(()) => "no error".to_owned(),
            Err(e) => error_text(e),
        })?;
        let have: Vec<usize> = outcomes.iter().map(|(i, _)| *i).collect();
        match outcomes.into_iter().next() {
            Some((_, Err(e))) => Err(Error::Backend(e)),
            _ => {
                self.script_imported(script, rescan_from, &have);
                Ok(())
            }
        }
    }

    /// `getstakeinfo` on every wallet; `live` must agree (an error, not a stop). Cached per
    /// chain tip: the tip is asked first (`getbestblock`), and a cached answer is reused only
    /// for the same block and within `stake_info_ttl`.
    pub async fn stake_info(&self) -> Result<StakeInfo> {
        let tip = self.best_block().await?;
        if let Some((at, hash, info)) = lock(&self.stake_cache).as_ref() {
            if *hash == tip.hash && at.elapsed() < self.cfg.stake_info_ttl {
                return Ok(info.clone());
            }
        }
        let results = self
            .fan_out("getstakeinfo", &self.all_ids(), |_, w| async move {
                w.stake_info().await
            })
            .await;
        let answers = self.answered(results)?;
        self.agree("Live", &answers, |s| s.live.to_string())?;
        let info = first(answers)?;
        *lock(&self.stake_cache) = Some((Instant::now(), tip.hash, info.clone()));
        Ok(info)
    }

    /// `getbestblock` from the first wallet that answers; absent wallets are skipped, any
    /// other error fails the call.
    pub async fn best_block(&self) -> Result<BestBlock> {
        let mut last = None;
        for i in self.all_ids() {
            let mut r = self
                .fan_out(
                    "getbestblock",
                    &[i],
                    |_, w| async move { w.best_block().await },
                )
                .await;
            match r.pop().map(|(_, r)| r) {
                Some(Ok(b)) => return Ok(b),
                Some(Err(e)) if is_absent(&e) => last = Some(e),
                Some(Err(e)) => return Err(Error::Backend(e)),
                None => {}
            }
        }
        Err(last.map(Error::Backend).unwrap_or(Error::BelowMinServers {
            available: 0,
            min: 1,
        }))
    }

    /// `stakepooluserinfo` from the first wallet that answers successfully.
    pub async fn stake_pool_user_info(&self, multisig: &Address) -> Result<StakePoolUserInfo> {
        self.take_first("stakepooluserinfo", |w| async move {
            w.stake_pool_user_info(multisig).await
        })
        .await
    }
}

/// An error's text without the wallet label, so that equal refusals compare equal.
fn error_text(e: &hcpool_core::Error) -> String {
    match e {
        hcpool_core::Error::Wallet { kind, source, .. } => format!("{kind}: {source}"),
        other => other.to_string(),
    }
}

fn first<T>(answers: Vec<(usize, T)>) -> Result<T> {
    answers
        .into_iter()
        .next()
        .map(|(_, v)| v)
        .ok_or(Error::BelowMinServers {
            available: 0,
            min: 1,
        })
}
