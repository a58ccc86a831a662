//! The daemon core: the [`VoterState`] behind a lock, the wallet and node links, the
//! start-up ticket scan and the notification handlers (hcwallet-rpc.md §3.3,
//! hcstakepool-inventory.md §11.1–11.3).
//!
//! The state lock is a `std::sync::RwLock`: its guards are not `Send`, so the compiler
//! refuses any handler that would hold one across an `.await` (a network call).

mod notify;

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use futures::{Stream, StreamExt};
use hcpool_core::backend::{
    ChainNode, ChainNotification, Clock, Store, SystemClock, TicketEntry, UserVotingConfig,
    WalletBackend, WalletTransaction,
};
use hcpool_core::fee::evaluate_pool_ticket;
use hcpool_core::service::votable_low_fee_entries;
use hcpool_core::service::voter::{FeeCheck, VoterState, WalletVoteDefaults};
use hcpool_core::{BlockHash, FeeAddressSet, Network, PoolFeeRate, Ticket, TicketHash};
use tracing::{debug, info, warn};

use crate::error::Result;
use crate::metrics::Metrics;
use hcpool_core::backend::{BlockHeights, Link};

pub use notify::{VoteOutcome, VoteResult};

/// A revocation is asked again when it was not seen this many blocks after the request.
pub const REVOKE_RETRY_BLOCKS: u32 = 2;

/// `revoketickets` calls made for one ticket before the daemon gives up on it (a wallet
/// that cannot revoke a ticket, e.g. "no suitable revocation outputs to pay relay fee",
/// fails every call). A given-up ticket stays in [`Daemon::pending_revocations`] until it
/// is seen revoked.
pub const REVOKE_MAX_ATTEMPTS: u32 = 3;

/// Tunables of the daemon.
#[derive(Debug, Clone)]
pub struct DaemonOptions {
    /// Wallet `gettransaction` calls in flight at once (scan, new/spent tickets).
    pub concurrency: usize,
    /// Attempts per vote (the first one included) while the block can still take it.
    pub vote_attempts: u32,
    /// Pause between two attempts of a vote.
    pub retry_delay: Duration,
    /// Start-up scans repeated at most this often while the tip keeps moving.
    pub max_scans: u32,
    /// In-flight handlers get this long to finish at shutdown.
    pub shutdown_grace: Duration,
    /// Call `revoketickets` once after the start-up scan: tickets that were missed while
    /// the daemon was down are in no notification it will see, and the wallet revokes every
    /// missed ticket it holds.
    pub revoke_at_start: bool,
    /// Where the voting state (users' configs, added low-fee tickets) is saved after each
    /// update and at shutdown, and read at start when the store cannot be
    /// ([`crate::state`]; the binary: `<datadir>/state.json` when a database is configured).
    pub state_file: Option<PathBuf>,
    /// Reload the users and added low-fee tickets from the store this often (the binary
    /// with `norpclisten`: [`STORE_RELOAD`], as the original; without gRPC nobody pushes).
    pub store_reload: Option<Duration>,
    /// When the daemon starts without its store (the database was down: it votes with the
    /// saved state), how to open the store again: tried in the background with a doubling
    /// pause ([`StoreRetry`]); once it opens and answers, the users and added low-fee
    /// tickets are loaded from it and the daemon uses it from then on. `None`: no retry.
    pub store_retry: Option<StoreRetry>,
}

/// Opens the store (`None` when it cannot be opened yet).
pub type StoreOpener =
    Arc<dyn Fn() -> futures::future::BoxFuture<'static, Option<Arc<dyn Store>>> + Send + Sync>;

/// How a daemon that started without its store tries it again ([`DaemonOptions::store_retry`]).
#[derive(Clone)]
pub struct StoreRetry {
    /// Opens the store (the binary: `dburl` again, [`crate::run::try_open_store`]).
    pub open: StoreOpener,
    /// The first pause; each failed attempt doubles it.
    pub first: Duration,
    /// The longest pause ([`STORE_RETRY_MAX`] in the binary).
    pub max: Duration,
}

impl std::fmt::Debug for StoreRetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreRetry")
            .field("first", &self.first)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

/// The longest pause between two attempts to reach a database that was down at start.
pub const STORE_RETRY_MAX: Duration = Duration::from_secs(60);

/// How often a daemon without gRPC (`norpclisten`) reloads users from the store (the
/// original's 240 s).
pub const STORE_RELOAD: Duration = Duration::from_secs(240);

/// Where the daemon's users and added low-fee tickets came from at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateSource {
    /// The store.
    Store,
    /// The saved state (the store was unavailable or failed).
    SavedState {
        /// The state file.
        path: PathBuf,
        /// When it was written (Unix seconds).
        saved_at: i64,
    },
    /// Nothing: no store and no saved state; it waits for the web app's gRPC calls.
    Empty,
}

impl Default for DaemonOptions {
    fn default() -> Self {
        DaemonOptions {
            concurrency: 32,
            vote_attempts: 3,
            retry_delay: Duration::from_secs(2),
            max_scans: 5,
            shutdown_grace: Duration::from_secs(10),
            revoke_at_start: true,
            state_file: None,
            store_reload: None,
            store_retry: None,
        }
    }
}

/// What the daemon is built from.
#[derive(Clone)]
pub struct DaemonDeps {
    /// The voting wallet.
    pub wallet: Arc<dyn WalletBackend>,
    /// The node votes are relayed to.
    pub node: Arc<dyn ChainNode>,
    /// Block heights (ticket purchase heights for the start-up fee check).
    pub heights: Arc<dyn BlockHeights>,
    /// Users' voting configs and added low-fee tickets (the votable ones, as the web app
    /// pushes them) at start; `None` starts empty and waits for the web app's gRPC calls.
    /// With a store, an added low-fee ticket is marked voted once its vote is accepted or
    /// hcd reports it spent.
    pub store: Option<Arc<dyn Store>>,
    /// The pool's fee addresses (`coldwalletextpub` /0/0..9999).
    pub fee_addresses: Arc<FeeAddressSet>,
    /// `poolfees`.
    pub pool_fees: PoolFeeRate,
    /// The network.
    pub network: Network,
    /// The wallet's connection state (health); `None` counts as always connected.
    pub wallet_link: Option<Arc<dyn Link>>,
    /// The node's connection state: health, and a ticket rescan after each reconnect
    /// (notifications sent while it was down are lost). `None` counts as always connected.
    pub node_link: Option<Arc<dyn Link>>,
}

/// A missed or expired pool ticket on its way to a revocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRevocation {
    /// The ticket.
    pub ticket: TicketHash,
    /// Its multisig address.
    pub ticket_address: String,
    /// Height of the block that reported it missed or expired.
    pub missed_at: u32,
    /// Height of the block after whose votes `revoketickets` was last called for it
    /// (whether the call succeeded or not).
    pub requested_at: Option<u32>,
    /// `revoketickets` calls made for it.
    pub attempts: u32,
    /// The error of the last call, when it failed.
    pub last_error: Option<String>,
    /// [`REVOKE_MAX_ATTEMPTS`] calls did not revoke it: no more calls; it is still tracked
    /// (hcd reporting it again, or hcd's missed set no longer holding it, ends it) and
    /// needs the operator.
    pub given_up: bool,
}

/// How many tickets seen revoked the daemon remembers (hundreds of blocks' worth of misses).
const REVOKED_MEMORY: usize = 1024;

/// The pending revocations, and the tickets recently seen revoked: the notification of a
/// revocation (hcd reports it as a miss) can arrive after the on-chain check ended the
/// ticket, and must not start a new revocation. One lock for both, so no report slips
/// between the two.
#[derive(Debug, Default)]
struct Revocations {
    pending: HashMap<TicketHash, PendingRevocation>,
    /// Oldest first, at most [`REVOKED_MEMORY`].
    done: VecDeque<TicketHash>,
    done_set: HashSet<TicketHash>,
}

impl Revocations {
    /// Ends the pending revocation of `ticket`, if there is one, and remembers it revoked.
    fn finish(&mut self, ticket: &TicketHash) -> Option<PendingRevocation> {
        let r = self.pending.remove(ticket)?;
        if self.done_set.insert(*ticket) {
            self.done.push_back(*ticket);
        }
        while self.done.len() > REVOKED_MEMORY {
            if let Some(old) = self.done.pop_front() {
                self.done_set.remove(&old);
            }
        }
        Some(r)
    }

    /// Whether `ticket` was recently seen revoked.
    fn was_revoked(&self, ticket: &TicketHash) -> bool {
        self.done_set.contains(ticket)
    }
}

/// What the daemon reports about itself (gRPC health, metrics, logs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The wallet link is up.
    pub wallet_connected: bool,
    /// The node link is up.
    pub node_connected: bool,
    /// Height of the last block a notification named.
    pub last_block_height: Option<u32>,
    /// Time since that notification arrived.
    pub last_block_age: Option<Duration>,
    /// Ticket rescans done after a node reconnect or the first users' arrival.
    pub rescans: u64,
    /// Missed pool tickets the daemon gave up revoking (see [`REVOKE_MAX_ATTEMPTS`]).
    pub revocations_given_up: Vec<TicketHash>,
}

impl Health {
    /// Both links are up.
    pub fn is_serving(&self) -> bool {
        self.wallet_connected && self.node_connected
    }
}

impl std::fmt::Debug for DaemonDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaemonDeps")
            .field("wallet", &self.wallet.label())
            .field("node", &self.node.label())
            .field("network", &self.network)
            .finish_non_exhaustive()
    }
}

/// The running daemon. Share it as `Arc<Daemon>`.
pub struct Daemon {
    deps: DaemonDeps,
    opts: DaemonOptions,
    state: RwLock<VoterState>,
    /// Missed or expired pool tickets not yet seen revoked (and those recently seen).
    revocations: Mutex<Revocations>,
    /// Height and arrival of the last notification that named a block.
    last_block: Mutex<Option<(u32, Instant)>>,
    /// Rescans after a node reconnect.
    rescans: std::sync::atomic::AtomicU64,
    /// The single flight of RPC-triggered rescans ([`Daemon::request_rescan`]): 0 idle,
    /// 1 running, 2 running with another one requested.
    rescan_flight: std::sync::atomic::AtomicU8,
    /// Highest `winningtickets` height seen: a vote on an older block is too late.
    latest_height: AtomicU32,
    metrics: Arc<Metrics>,
    /// The store: `deps.store`, or the one [`DaemonOptions::store_retry`] opened later.
    store: RwLock<Option<Arc<dyn Store>>>,
    /// Where the users and added tickets came from (at start; [`StateSource::Store`] once
    /// a store that was down at start answers).
    source: Mutex<StateSource>,
    /// Serialises state saves; holds the generation last written.
    saver: Arc<tokio::sync::Mutex<u64>>,
    /// Bumped by every change of the saved parts (users, added tickets).
    generation: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Daemon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Daemon")
            .field("deps", &self.deps)
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

impl Daemon {
    /// Start-up: `walletinfo` for the default vote config, the users and added low-fee
    /// tickets from the store (errors logged, as the original), then the ticket scan.
    ///
    /// # Errors
    /// `walletinfo` or the ticket scan failing.
    pub async fn start(deps: DaemonDeps, opts: DaemonOptions) -> Result<Arc<Daemon>> {
        let info = deps.wallet.wallet_info().await?;
        let defaults = WalletVoteDefaults {
            vote_bits: info.vote_bits,
            vote_bits_extended: info.vote_bits_extended.clone(),
            vote_version: info.vote_version,
        };
        info!(
            wallet = %deps.wallet.label(),
            vote_bits = %info.vote_bits,
            vote_version = info.vote_version,
            "wallet vote defaults"
        );
        let mut state = VoterState::new(defaults);
        let (users, added) = match &deps.store {
            Some(store) => load_from_store(store.as_ref()).await,
            None => (None, None),
        };
        let from_store = users.is_some() && added.is_some();
        let mut source = StateSource::Store;
        if !from_store {
            source = StateSource::Empty;
            let saved = match &opts.state_file {
                Some(path) => match crate::state::load(path, deps.network) {
                    Ok(saved) => saved.map(|s| (path.clone(), s)),
                    Err(e) => {
                        warn!(error = %e, "the saved state cannot be used");
                        None
                    }
                },
                None => None,
            };
            match saved {
                Some((path, saved)) => {
                    warn!(
                        state = %path.display(),
                        saved_at = saved.saved_at,
                        users = saved.users.len(),
                        added_low_fee_tickets = saved.added_low_fee_tickets.len(),
                        "the database is unavailable: voting with the state saved before \
                         (users' preferences as of then); the web app's gRPC calls or the \
                         database replace it"
                    );
                    if users.is_none() {
                        state.set_user_voting_prefs(saved.users);
                    }
                    if added.is_none() {
                        state.set_added_low_fee_tickets(saved.added_low_fee_tickets);
                    }
                    source = StateSource::SavedState {
                        path,
                        saved_at: saved.saved_at,
                    };
                }
                None if deps.store.is_some() || opts.state_file.is_some() => warn!(
                    "the database is unavailable and there is no saved state: waiting for \
                     the web app's gRPC calls"
                ),
                None => {}
            }
        }
        if let Some(u) = users {
            state.set_user_voting_prefs(u);
        }
        if let Some(t) = added {
            state.set_added_low_fee_tickets(t);
        }
        let store = RwLock::new(deps.store.clone());
        let daemon = Arc::new(Daemon {
            deps,
            opts,
            state: RwLock::new(state),
            revocations: Mutex::new(Revocations::default()),
            last_block: Mutex::new(None),
            rescans: std::sync::atomic::AtomicU64::new(0),
            rescan_flight: std::sync::atomic::AtomicU8::new(0),
            latest_height: AtomicU32::new(0),
            metrics: Arc::new(Metrics::default()),
            store,
            source: Mutex::new(source),
            saver: Arc::new(tokio::sync::Mutex::new(0)),
            generation: std::sync::atomic::AtomicU64::new(1),
        });
        if from_store {
            // What the store said is the newest state: saved at once, not only at the
            // first change.
            daemon.save_state_soon();
        }
        daemon.scan().await?;
        if daemon.opts.revoke_at_start {
            daemon.revoke_missed_while_down().await;
        }
        Ok(daemon)
    }

    /// `revoketickets` once: revokes what was missed while the daemon was not running. A
    /// failure is logged; the next missed pool ticket asks again.
    async fn revoke_missed_while_down(&self) {
        match self.deps.wallet.revoke_tickets().await {
            Ok(()) => {
                self.metrics.revocation_requested();
                info!("revoketickets at start-up: tickets missed while down are revoked");
            }
            Err(e) if notify::is_already_relayed(&e) => {
                self.metrics.revocation_requested();
                info!(error = %e, "revoketickets at start-up: the wallet had revoked them already");
            }
            Err(e) => {
                self.metrics.revocation_failed();
                warn!(error = %e, "revoketickets at start-up failed; retried after the next miss");
            }
        }
    }

    /// The metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// `GetLiveTickets`.
    pub fn live_tickets(&self) -> Vec<TicketEntry> {
        self.read().live()
    }

    /// `GetIgnoredLowFeeTickets`.
    pub fn ignored_tickets(&self) -> Vec<TicketEntry> {
        self.read().ignored()
    }

    /// `GetAddedLowFeeTickets`.
    pub fn added_tickets(&self) -> Vec<TicketEntry> {
        self.read().added()
    }

    /// Missed or expired pool tickets that still need a revocation (given-up ones too: see
    /// [`Daemon::pending_revocations`] and [`Health::revocations_given_up`]).
    pub fn tickets_to_revoke(&self) -> Vec<TicketEntry> {
        self.pending_revocations()
            .into_iter()
            .map(|r| TicketEntry {
                ticket_address: r.ticket_address,
                ticket_hash: r.ticket,
            })
            .collect()
    }

    /// Missed or expired pool tickets not yet seen revoked, with their request state.
    pub fn pending_revocations(&self) -> Vec<PendingRevocation> {
        let mut v: Vec<PendingRevocation> =
            self.revocation_map().pending.values().cloned().collect();
        v.sort_by_key(|r| r.ticket);
        v
    }

    fn revocation_map(&self) -> std::sync::MutexGuard<'_, Revocations> {
        self.revocations
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The links, the last block seen and the rescans; also refreshes the health gauges.
    pub fn health(&self) -> Health {
        let up = |l: &Option<Arc<dyn Link>>| l.as_ref().is_none_or(|l| l.is_connected());
        let last = *self
            .last_block
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let h = Health {
            wallet_connected: up(&self.deps.wallet_link),
            node_connected: up(&self.deps.node_link),
            last_block_height: last.map(|(h, _)| h),
            last_block_age: last.map(|(_, at)| at.elapsed()),
            rescans: self.rescans.load(Ordering::Relaxed),
            revocations_given_up: self
                .pending_revocations()
                .into_iter()
                .filter(|r| r.given_up)
                .map(|r| r.ticket)
                .collect(),
        };
        self.metrics
            .set_health(h.wallet_connected, h.node_connected, h.last_block_age);
        h
    }

    /// The best block heights of the voting wallet and of hcd, asked now (both at once,
    /// each bounded by `timeout`); `None` for one that fails or does not answer in time.
    /// `Ping` reports them so the web app can show a node whose wallet lags.
    pub async fn chain_heights(&self, timeout: Duration) -> (Option<u32>, Option<u32>) {
        let (w, n) = futures::join!(
            tokio::time::timeout(timeout, self.deps.wallet.best_block()),
            tokio::time::timeout(timeout, self.deps.node.best_block()),
        );
        let height = |r: std::result::Result<
            hcpool_core::Result<hcpool_core::backend::BestBlock>,
            _,
        >| { r.ok().and_then(|b| b.ok()).map(|b| b.height) };
        (height(w), height(n))
    }

    /// The Prometheus text with the health gauges refreshed.
    pub fn render_metrics(&self) -> String {
        self.health();
        self.metrics.render()
    }

    /// `SetUserVotingPrefs`: replaces every user's config at once. Returns `true` when the
    /// daemon knew no user before and does now: its ticket scans could map no ticket to a
    /// user, so a [`Daemon::rescan`] is due (the gRPC server starts one).
    pub fn set_user_voting_prefs(&self, users: Vec<UserVotingConfig>) -> bool {
        let first = {
            let mut s = self.write();
            let had_none = s.user_count() == 0;
            s.set_user_voting_prefs(users);
            self.generation.fetch_add(1, Ordering::AcqRel);
            had_none && s.user_count() > 0
        };
        self.save_state_soon();
        first
    }

    /// Where the users and added low-fee tickets came from: at start the store, the saved
    /// state, or nothing; [`StateSource::Store`] once a store that was down at start
    /// answered ([`DaemonOptions::store_retry`]).
    pub fn state_source(&self) -> StateSource {
        self.source
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The store, if the daemon has one (now).
    pub fn store(&self) -> Option<Arc<dyn Store>> {
        self.store
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Tries to reach the store the daemon started without until it answers (a doubling
    /// pause, from `retry.first` up to `retry.max`); then loads the users and added
    /// low-fee tickets from it, uses it from then on, and logs the switch.
    async fn retry_store(self: Arc<Self>, retry: StoreRetry) {
        let mut pause = retry.first;
        let mut attempts: u64 = 0;
        loop {
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(retry.max);
            attempts += 1;
            let store = match self.store() {
                Some(s) => s,
                None => match (retry.open)().await {
                    Some(s) => {
                        *self
                            .store
                            .write()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(s.clone());
                        s
                    }
                    None => {
                        debug!(attempts, next_in = ?pause, "the database is still unavailable");
                        continue;
                    }
                },
            };
            let (users, added) = load_from_store(store.as_ref()).await;
            let Some(users) = users else {
                continue;
            };
            let before = self.state_source();
            let count = users.len();
            let new = {
                let s = self.read();
                users
                    .iter()
                    .filter(|u| !s.is_user_multisig(&u.multisig_address))
                    .count()
            };
            self.set_user_voting_prefs(users);
            if let Some(added) = added {
                self.set_added_low_fee_tickets(added);
            }
            *self
                .source
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = StateSource::Store;
            let was = match before {
                StateSource::SavedState { path, .. } => {
                    format!("the saved state {}", path.display())
                }
                StateSource::Empty => "no users".to_owned(),
                StateSource::Store => "the database".to_owned(),
            };
            info!(
                users = count,
                attempts,
                was = %was,
                "the database answers again: switched to it (users and added low-fee tickets \
                 loaded from it)"
            );
            if new > 0 {
                self.request_rescan();
            }
            return;
        }
    }

    /// Writes the voting state to [`DaemonOptions::state_file`] now (nothing without one).
    /// Saves are serialised; one whose state is already on disk writes nothing.
    ///
    /// # Errors
    /// The file cannot be written ([`crate::Error::Io`]).
    pub async fn save_state(&self) -> Result<()> {
        match self.snapshot() {
            Some(job) => job.write().await,
            None => Ok(()),
        }
    }

    /// [`Daemon::save_state`] in the background (a failure is logged).
    fn save_state_soon(&self) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if let Some(job) = self.snapshot() {
            rt.spawn(async move {
                if let Err(e) = job.write().await {
                    warn!(error = %e, "could not save the voting state");
                }
            });
        }
    }

    /// The state to save now (`None` without a state file).
    fn snapshot(&self) -> Option<SaveJob> {
        let path = self.opts.state_file.clone()?;
        let s = self.read();
        Some(SaveJob {
            saver: Arc::clone(&self.saver),
            path,
            network: self.deps.network,
            generation: self.generation.load(Ordering::Acquire),
            state: crate::state::SavedState {
                saved_at: SystemClock.now_unix(),
                users: s.users(),
                added_low_fee_tickets: s.added(),
            },
        })
    }

    /// Reloads the users and added low-fee tickets from the store (`norpclisten`: nobody
    /// pushes them). A failure keeps what the daemon has. New users' tickets may have been
    /// seen before their owner was known: a rescan follows when users were added.
    pub async fn reload_from_store(self: &Arc<Self>) {
        let Some(store) = self.store() else {
            return;
        };
        let (users, added) = load_from_store(store.as_ref()).await;
        if let Some(users) = users {
            let new = {
                let s = self.read();
                users
                    .iter()
                    .filter(|u| !s.is_user_multisig(&u.multisig_address))
                    .count()
            };
            let count = users.len();
            self.set_user_voting_prefs(users);
            if new > 0 {
                info!(
                    users = count,
                    new, "users reloaded from the database; rescanning"
                );
                self.request_rescan();
            } else {
                debug!(users = count, "users reloaded from the database");
            }
        }
        if let Some(added) = added {
            self.set_added_low_fee_tickets(added);
        }
    }

    /// The users' voting configurations the daemon votes with, by user id.
    pub fn user_voting_prefs(&self) -> Vec<UserVotingConfig> {
        self.read().users()
    }

    /// The voting configuration it holds for the user of multisig address `address` (what
    /// the last `SetUserVotingPrefs` said).
    pub fn user_voting_config(&self, address: &str) -> Option<UserVotingConfig> {
        self.read().user(address).cloned()
    }

    /// Number of users it holds a voting configuration for.
    pub fn user_count(&self) -> usize {
        self.read().user_count()
    }

    /// `SetAddedLowFeeTickets`: replaces the added set at once.
    pub fn set_added_low_fee_tickets(&self, tickets: Vec<TicketEntry>) {
        {
            let mut s = self.write();
            s.set_added_low_fee_tickets(tickets);
            self.generation.fetch_add(1, Ordering::AcqRel);
        }
        self.update_gauges();
        self.save_state_soon();
    }

    fn read(&self) -> RwLockReadGuard<'_, VoterState> {
        // A panic under the lock cannot leave VoterState half-updated in a way that
        // matters more than stopping to vote would: keep going.
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, VoterState> {
        self.state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn update_gauges(&self) {
        let (live, ignored) = {
            let s = self.read();
            (s.live_count(), s.ignored().len())
        };
        let (revoke, given_up) = {
            let map = self.revocation_map();
            (
                map.pending.len(),
                map.pending.values().filter(|r| r.given_up).count(),
            )
        };
        self.metrics.set_tickets(live, ignored, revoke);
        self.metrics.set_revocations_given_up(given_up);
    }

    /// The start-up (and reconnect) scan: the wallet's live tickets, mapped to users and
    /// fee-checked at their purchase height, replace the live and ignored sets. Repeated
    /// while the tip moved during the scan.
    ///
    /// # Errors
    /// `getbestblock` or `gettickets` failing.
    pub async fn scan(&self) -> Result<()> {
        for round in 1..=self.opts.max_scans.max(1) {
            let before = self.deps.node.best_block().await?;
            let (live, ignored) = self.scan_once().await?;
            info!(
                round,
                height = before.height,
                live = live.len(),
                ignored = ignored.len(),
                "ticket scan"
            );
            self.write().replace_tickets(live, ignored);
            self.update_gauges();
            let after = self.deps.node.best_block().await?;
            if after.hash == before.hash {
                return Ok(());
            }
        }
        warn!("the tip kept moving during the ticket scans; notifications will catch up");
        Ok(())
    }

    async fn scan_once(
        &self,
    ) -> Result<(HashMap<TicketHash, String>, HashMap<TicketHash, String>)> {
        let tickets = self.deps.wallet.tickets(false).await?;
        let txs = self.transactions(&tickets).await;
        let mut ours = Vec::new();
        for (ticket, tx) in txs {
            match tx {
                Ok(tx) => match self.owner(&tx) {
                    Some(msa) => ours.push((ticket, msa, tx)),
                    None => debug!(%ticket, "could not map ticket to a user"),
                },
                Err(e) => warn!(%ticket, error = %e, "gettransaction failed"),
            }
        }
        let blocks: HashSet<BlockHash> =
            ours.iter().filter_map(|(_, _, tx)| tx.block_hash).collect();
        let heights: HashMap<BlockHash, u32> = futures::stream::iter(blocks)
            .map(|b| async move { (b, self.deps.heights.block_height(&b).await) })
            .buffer_unordered(self.opts.concurrency.max(1))
            .filter_map(|(b, r)| async move {
                match r {
                    Ok(h) => Some((b, h)),
                    Err(e) => {
                        warn!(block = %b, error = %e, "getblockheader failed");
                        None
                    }
                }
            })
            .collect()
            .await;
        let mut live = HashMap::new();
        let mut ignored = HashMap::new();
        for (ticket, msa, tx) in ours {
            let fee = if self.read().is_added(&ticket) {
                FeeCheck::Paid
            } else {
                match tx.block_hash.and_then(|b| heights.get(&b)) {
                    Some(h) => self.fee_check(&ticket, &tx.hex, *h),
                    None => FeeCheck::NotPaid,
                }
            };
            if fee == FeeCheck::Paid {
                live.insert(ticket, msa);
            } else {
                ignored.insert(ticket, msa);
            }
        }
        Ok((live, ignored))
    }

    /// `gettransaction` for every ticket, at most `concurrency` at once.
    async fn transactions(
        &self,
        tickets: &[TicketHash],
    ) -> Vec<(TicketHash, hcpool_core::Result<WalletTransaction>)> {
        futures::stream::iter(tickets.iter().copied())
            .map(|t| async move { (t, self.deps.wallet.transaction(&t).await) })
            .buffer_unordered(self.opts.concurrency.max(1))
            .collect()
            .await
    }

    /// The first detail address that is a user's multisig address.
    fn owner(&self, tx: &WalletTransaction) -> Option<String> {
        let s = self.read();
        tx.detail_addresses
            .iter()
            .find(|a| s.is_user_multisig(a))
            .cloned()
    }

    /// `evaluateStakePoolTicket` at `height`; an undecodable ticket or an evaluation error
    /// counts as not paid.
    fn fee_check(&self, ticket: &TicketHash, raw: &[u8], height: u32) -> FeeCheck {
        let decoded = match Ticket::decode(raw) {
            Ok(t) => t,
            Err(e) => {
                warn!(%ticket, error = %e, "cannot decode ticket");
                return FeeCheck::NotPaid;
            }
        };
        let fees = &self.deps.fee_addresses;
        match evaluate_pool_ticket(
            &decoded,
            i64::from(height),
            |a| fees.contains(a),
            self.deps.pool_fees,
            self.deps.network.params(),
        ) {
            Ok(ev) if ev.is_valid() => FeeCheck::Paid,
            Ok(ev) => {
                info!(%ticket, height, evaluation = ?ev, "low-fee ticket ignored");
                FeeCheck::NotPaid
            }
            Err(e) => {
                warn!(%ticket, height, error = %e, "fee check failed; ticket ignored");
                FeeCheck::NotPaid
            }
        }
    }

    /// Handles notifications until the stream ends or `shutdown` resolves; each one in its
    /// own task (as the original, so a slow `newtickets` never delays a vote). In-flight
    /// handlers get [`DaemonOptions::shutdown_grace`] to finish.
    pub async fn run<S>(self: &Arc<Self>, notifications: S, shutdown: impl Future<Output = ()>)
    where
        S: Stream<Item = ChainNotification> + Send + Unpin,
    {
        let mut notifications = notifications;
        let mut tasks = tokio::task::JoinSet::new();
        let mut reconnects = self.deps.node_link.as_ref().and_then(|l| l.reconnects());
        let reload = self
            .opts
            .store_reload
            .filter(|_| self.store().is_some() || self.opts.store_retry.is_some())
            .map(|every| {
                let mut t = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                t
            });
        let mut reload = reload;
        let retry = match (&self.opts.store_retry, self.store()) {
            (Some(r), None) => Some(tokio::spawn(Arc::clone(self).retry_store(r.clone()))),
            _ => None,
        };
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                Some(_) = tick(&mut reload) => {
                    let d = Arc::clone(self);
                    tasks.spawn(async move { d.reload_from_store().await; });
                }
                Some(()) = changed(&mut reconnects) => {
                    let d = Arc::clone(self);
                    tasks.spawn(async move { d.rescan_after_reconnect().await; });
                }
                n = notifications.next() => match n {
                    Some(n) => {
                        let received = Instant::now();
                        let d = Arc::clone(self);
                        tasks.spawn(async move { d.handle(n, received).await; });
                    }
                    None => {
                        warn!("notification stream ended");
                        break;
                    }
                },
                Some(r) = tasks.join_next(), if !tasks.is_empty() => {
                    if let Err(e) = r {
                        warn!(error = %e, "notification handler failed");
                    }
                }
            }
        }
        if let Some(r) = retry {
            r.abort();
        }
        let drain = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(self.opts.shutdown_grace, drain)
            .await
            .is_err()
        {
            warn!("handlers still running at shutdown were cancelled");
        }
        if let Err(e) = self.save_state().await {
            warn!(error = %e, "could not save the voting state at shutdown");
        }
    }

    /// The node came back: notifications sent while it was down are lost, so the live set
    /// is rebuilt from the wallet.
    async fn rescan_after_reconnect(&self) {
        info!("node reconnected; reloading tickets");
        self.rescan().await;
    }

    /// Rebuilds the live and ignored sets from the wallet ([`Daemon::scan`]), retried until
    /// it works; counted in [`Health::rescans`].
    pub async fn rescan(&self) {
        let mut delay = Duration::from_millis(200);
        loop {
            match self.scan().await {
                Ok(()) => {
                    self.rescans.fetch_add(1, Ordering::Relaxed);
                    info!(live = self.read().live_count(), "tickets reloaded");
                    return;
                }
                Err(e) => warn!(error = %e, "ticket reload failed; retrying"),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
    }

    /// Asks for a [`Daemon::rescan`] in the background (the first users sent by gRPC).
    /// Single flight: a request made while one runs is coalesced with every other such
    /// request into one more rescan after it, so callers cannot pile up rescans.
    /// Returns whether this call started the background task.
    pub fn request_rescan(self: &Arc<Self>) -> bool {
        let before = self
            .rescan_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                Some(if s == 0 { 1 } else { 2 })
            })
            .unwrap_or(2);
        if before != 0 {
            debug!("rescan already running; coalesced");
            return false;
        }
        let daemon = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                daemon.rescan().await;
                // Done unless asked again meanwhile (2): then once more for all of those.
                match daemon.rescan_flight.compare_exchange(
                    1,
                    0,
                    Ordering::AcqRel,
                    Ordering::Acquire,
                ) {
                    Ok(_) => break,
                    Err(_) => daemon.rescan_flight.store(1, Ordering::Release),
                }
            }
        });
        true
    }

    /// Whether a rescan asked with [`Daemon::request_rescan`] is running or queued.
    pub fn rescan_requested(&self) -> bool {
        self.rescan_flight.load(Ordering::Acquire) != 0
    }

    /// Handles one notification (`received` = when it arrived, for the vote latency).
    /// Returns the votes cast for a `winningtickets`, nothing otherwise.
    pub async fn handle(&self, n: ChainNotification, received: Instant) -> Vec<VoteResult> {
        match &n {
            ChainNotification::WinningTickets { height, .. }
            | ChainNotification::NewTickets { height, .. }
            | ChainNotification::SpentAndMissed { height, .. }
            | ChainNotification::BlockConnected { height, .. } => self.saw_block(*height, received),
            _ => {}
        }
        match n {
            ChainNotification::WinningTickets {
                block_hash,
                height,
                tickets,
            } => self.winning(block_hash, height, &tickets, received).await,
            ChainNotification::NewTickets {
                height, tickets, ..
            } => {
                self.new_tickets(height, &tickets).await;
                Vec::new()
            }
            ChainNotification::SpentAndMissed {
                height,
                spent,
                missed,
                ..
            } => {
                self.spent_and_missed(height, &spent, &missed).await;
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn saw_block(&self, height: u32, at: Instant) {
        let mut last = self
            .last_block
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.is_none_or(|(h, _)| height >= h) {
            *last = Some((height, at));
        }
    }

    fn note_height(&self, height: u32) {
        self.latest_height.fetch_max(height, Ordering::Relaxed);
    }

    fn too_late(&self, height: u32) -> bool {
        self.latest_height.load(Ordering::Relaxed) > height
    }
}

/// One save of the voting state, taken under the state lock and written later.
struct SaveJob {
    saver: Arc<tokio::sync::Mutex<u64>>,
    path: PathBuf,
    network: Network,
    generation: u64,
    state: crate::state::SavedState,
}

impl SaveJob {
    /// Writes the state unless a newer one was written already (saves are serialised by
    /// the saver lock, which holds the generation on disk).
    async fn write(self) -> Result<()> {
        let mut written = self.saver.lock().await;
        if self.generation <= *written {
            return Ok(());
        }
        let bytes = crate::state::encode(&self.state, self.network)?;
        let path = self.path;
        tokio::task::spawn_blocking(move || crate::state::write_atomic(&path, &bytes))
            .await
            .map_err(|e| crate::Error::Task(e.to_string()))??;
        *written = self.generation;
        debug!(
            users = self.state.users.len(),
            added = self.state.added_low_fee_tickets.len(),
            "voting state saved"
        );
        Ok(())
    }
}

/// The users (`None`: failed) and the votable added low-fee tickets (the same set the web
/// app pushes: a voted or expired one is not added again) of `store`; failures logged.
async fn load_from_store(
    store: &dyn Store,
) -> (Option<Vec<UserVotingConfig>>, Option<Vec<TicketEntry>>) {
    let users = match store.voting_configs().await {
        Ok(u) => Some(u),
        Err(e) => {
            warn!(error = %e, "could not load user voting configs");
            None
        }
    };
    let added = match votable_low_fee_entries(store, SystemClock.now_unix()).await {
        Ok(t) => Some(t),
        Err(e) => {
            warn!(error = %e, "could not load added low-fee tickets");
            None
        }
    };
    (users, added)
}

/// The next tick of an optional interval; never without one.
async fn tick(t: &mut Option<tokio::time::Interval>) -> Option<()> {
    match t {
        Some(t) => {
            t.tick().await;
            Some(())
        }
        None => std::future::pending().await,
    }
}

/// Resolves when the watched value changes; never when there is nothing to watch or the
/// sender is gone (the `select!` branch is then disabled).
async fn changed(rx: &mut Option<tokio::sync::watch::Receiver<u64>>) -> Option<()> {
    match rx {
        Some(r) => match r.changed().await {
            Ok(()) => Some(()),
            Err(_) => {
                *rx = None;
                None
            }
        },
        None => None,
    }
}
