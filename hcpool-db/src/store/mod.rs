//! [`SqlStore`]: hcpool-core's [`Store`] on SQLite or MySQL/MariaDB through sqlx.
//!
//! One code path serves both backends (sqlx's `Any` driver with runtime queries); the few
//! dialect differences are [`SqlStore::for_update`] and the transaction start in `Attempt::begin`. The
//! shared conformance suite keeps the two honest.

mod erasure;
mod history;
mod lowfee;
mod notify;
pub(crate) mod ops;
mod outbox;
mod sessions;
mod tokens;
mod users;
mod voterecords;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use hcpool_core::backend::{
    Challenge, ChallengeStore, EmailChange, ErasureRecord, ErasureStarted, ErasureStore,
    HistorySample, HistoryStore, LowFeeTicket, LowFeeTicketStore, MailOutbox, NewLowFeeTicket,
    NewUser, NotificationStore, NotifyEvent, NotifyPrefs, OutboxMail, PasswordReset,
    RegisteredScript, Registration, Session, SessionStore, StoreMaintenance, StoreStatus,
    StoredVoteRecord, Subscriber, TicketEntry, TicketEvent, TokenStore, User, UserCounts,
    UserStore, UserVotingConfig, VoteRecordStore,
};
use hcpool_core::{BlockHash, Secret, TicketHash, UserId, VoteBits};
use sqlx::any::AnyPoolOptions;
use sqlx::pool::PoolConnection;
use sqlx::{Any, Row, Transaction};

use crate::cluster::{Cluster, Node};
use crate::error::{redact_url, DbError, Error, Failure, Result};
use crate::migrate;
use crate::url::{classify, split_hosts, sqlite_url_for_path, Backend};

/// How long a request waits for a pooled connection before the store reports `Unavailable`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The same with several nodes: a node that stopped answering is left sooner.
const ACQUIRE_TIMEOUT_MULTI: Duration = Duration::from_secs(3);

/// Attempts per store step (the first included) when the database reports a conflict or a
/// node fails; waits between them grow from [`BACKOFF`] (doubling, with jitter).
pub(crate) const MAX_ATTEMPTS: u32 = 6;

/// The first wait before retrying a step that lost a conflict.
const BACKOFF: Duration = Duration::from_millis(15);

/// hcpool's store on SQLite or MySQL/MariaDB (one server, or the nodes of a Galera cluster).
/// Cheap to clone (connection pools).
#[derive(Debug, Clone)]
pub struct SqlStore {
    cluster: Arc<Cluster>,
    backend: Backend,
}

/// What [`SqlStore::revoke_keeping`] leaves to its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keep {
    /// Nothing: a full [`SqlStore::revoke`].
    Nothing,
    /// The API token (the caller sets it itself).
    ApiToken,
}

/// Whether running a step again after an unclear end can change its outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Redo {
    /// Reads, and writes that set values: running them twice gives the same state and the
    /// same answer, so they are retried on another node even when the connection died
    /// while committing.
    Idempotent,
    /// Steps whose answer depends on whether an earlier run committed (an insert, a token
    /// consumed): retried after a conflict or a failure before COMMIT, never after a
    /// connection lost during COMMIT (the step then reports `Unavailable`).
    Once,
}

/// Where a step failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Before COMMIT was sent: the server rolled back whatever the step did.
    Work,
    /// During COMMIT.
    Commit,
}

/// The retry state of one store step: attempts made, node used.
pub(crate) struct Attempt<'s> {
    store: &'s SqlStore,
    op: &'static str,
    redo: Redo,
    made: u32,
    node: usize,
}

impl<'s> Attempt<'s> {
    pub(crate) fn new(store: &'s SqlStore, op: &'static str, redo: Redo) -> Self {
        Attempt {
            store,
            op,
            redo,
            made: 0,
            node: store.cluster.current(),
        }
    }

    /// A transaction on the node in use (SQLite: holding the write lock), or `None` when the
    /// node failed and the step should try again.
    pub(crate) async fn begin(&mut self) -> Result<Option<Transaction<'static, Any>>> {
        self.node = self.store.cluster.current();
        let pool = self.store.cluster.pool(self.node);
        let tx = match self.store.backend {
            // Deferred transactions that read then write fail with SQLITE_BUSY under
            // contention instead of waiting; IMMEDIATE waits for the write lock.
            Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::MySql => pool.begin().await,
        };
        match tx {
            Ok(tx) => Ok(Some(tx)),
            Err(e) => self.again(Error::query(self.op)(e), Stage::Work).await,
        }
    }

    /// A connection of the node in use, or `None` when the node failed and the step should
    /// try again.
    pub(crate) async fn conn(&mut self) -> Result<Option<PoolConnection<Any>>> {
        self.node = self.store.cluster.current();
        match self.store.cluster.pool(self.node).acquire().await {
            Ok(c) => Ok(Some(c)),
            Err(e) => self.again(Error::query(self.op)(e), Stage::Work).await,
        }
    }

    /// Commits when the step succeeded, rolls back when it failed; `Some` is the step's
    /// answer, `None` means run the step again.
    pub(crate) async fn finish<T>(
        &mut self,
        tx: Transaction<'static, Any>,
        out: Result<T>,
    ) -> Result<Option<T>> {
        match out {
            Ok(v) => match tx.commit().await {
                Ok(()) => Ok(Some(v)),
                Err(e) => self.again(Error::query(self.op)(e), Stage::Commit).await,
            },
            Err(err) => {
                if let Err(e) = tx.rollback().await {
                    tracing::debug!(error = %e, "rollback failed");
                }
                self.again(err, Stage::Work).await
            }
        }
    }

    /// The end of a step run on a connection without a transaction (single statements).
    pub(crate) async fn done<T>(&mut self, out: Result<T>) -> Result<Option<T>> {
        match out {
            Ok(v) => Ok(Some(v)),
            // A single statement may have committed before the connection died.
            Err(err) => self.again(err, Stage::Commit).await,
        }
    }

    /// Decides whether `err` ends the step (`Err`) or the step runs again (`Ok(None)`,
    /// after a backoff or on another node).
    async fn again<T>(&mut self, err: Error, stage: Stage) -> Result<Option<T>> {
        self.made += 1;
        if self.made >= MAX_ATTEMPTS {
            return Err(err);
        }
        match err.failure() {
            Failure::Conflict => {
                let wait = backoff(self.made);
                tracing::debug!(op = self.op, attempt = self.made, ?wait, error = %err,
                    "conflict, retrying");
                tokio::time::sleep(wait).await;
                Ok(None)
            }
            Failure::Connection => {
                // Only another node can help at once; with a single one, the next request
                // will find out whether it is back.
                if self.store.cluster.fail_over(self.node).await.is_none() {
                    return Err(err);
                }
                if stage == Stage::Commit && self.redo == Redo::Once {
                    return Err(err);
                }
                tracing::info!(op = self.op, error = %err, "node failed, retrying on another");
                Ok(None)
            }
            Failure::Other => Err(err),
        }
    }
}

/// The wait before attempt `n + 1`: doubling from [`BACKOFF`], with up to 100% jitter so
/// that two nodes' losers do not collide again.
fn backoff(n: u32) -> Duration {
    let base = BACKOFF.saturating_mul(1 << n.min(6));
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = u64::from(nanos) % (base.as_millis() as u64 + 1);
    base + Duration::from_millis(jitter)
}

/// Runs `$body` (an expression using `$tx`, a `&mut Transaction`) as one transaction,
/// committed when it returns `Ok` and rolled back when it returns `Err`, again after a
/// conflict or a node failure as [`Attempt`] decides. `return` inside the body ends the
/// attempt with that value.
macro_rules! in_tx {
    ($store:expr, $op:expr, $redo:expr, |$tx:ident| $body:expr) => {{
        let mut attempt = $crate::store::Attempt::new($store, $op, $redo);
        loop {
            let Some(mut $tx) = attempt.begin().await? else {
                continue;
            };
            let out: $crate::error::Result<_> = async { $body }.await;
            if let Some(v) = attempt.finish($tx, out).await? {
                break Ok(v);
            }
        }
    }};
}

/// Runs `$body` (using `$conn`, a pooled connection, for single statements) with the same
/// retries as [`in_tx!`].
macro_rules! on_conn {
    ($store:expr, $op:expr, $redo:expr, |$conn:ident| $body:expr) => {{
        let mut attempt = $crate::store::Attempt::new($store, $op, $redo);
        loop {
            let Some(mut $conn) = attempt.conn().await? else {
                continue;
            };
            let out: $crate::error::Result<_> = async { $body }.await;
            drop($conn);
            if let Some(v) = attempt.done(out).await? {
                break Ok(v);
            }
        }
    }};
}

pub(crate) use {in_tx, on_conn};

impl SqlStore {
    /// Connects to `url` (`sqlite://…` or `mysql://…`), creates or upgrades the schema, and
    /// returns the store. A SQLite file is created when missing.
    ///
    /// A MySQL URL may name several hosts, `mysql://user:pass@host1:port1,host2:port2/db`:
    /// the nodes of a Galera cluster. The store uses the first that is ready, moves to the
    /// next ready one when it fails, and back to an earlier one once that is ready again
    /// (checked every 2 s), without a restart.
    ///
    /// # Errors
    /// [`Error::UnsupportedUrl`], [`Error::Connect`] (the database cannot be reached: no
    /// node is ready), [`Error::LegacyUpgrade`] or [`Error::Migrate`].
    pub async fn connect(url: &str) -> Result<SqlStore> {
        Self::connect_inner(url, None).await
    }

    /// [`SqlStore::connect`], running `init` on every new MySQL connection (tests: a
    /// session isolation level, say).
    #[cfg(feature = "test-utils")]
    pub async fn connect_with_init(url: &str, init: &'static str) -> Result<SqlStore> {
        Self::connect_inner(url, Some(init)).await
    }

    async fn connect_inner(url: &str, init: Option<&'static str>) -> Result<SqlStore> {
        let (backend, url) = classify(url)?;
        crate::install_drivers();
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let hosts = match backend {
            Backend::MySql => split_hosts(&url)?,
            Backend::Sqlite => vec![crate::url::HostUrl {
                label: String::new(),
                url: url.clone(),
            }],
        };
        let multi = hosts.len() > 1;
        let acquire = if multi {
            ACQUIRE_TIMEOUT_MULTI
        } else {
            ACQUIRE_TIMEOUT
        };
        let mut options = AnyPoolOptions::new().acquire_timeout(acquire);
        options = match backend {
            // Each connection of an in-memory database is its own database: keep exactly one,
            // forever.
            Backend::Sqlite if in_memory => options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None),
            Backend::Sqlite => options.max_connections(4),
            Backend::MySql => options
                .max_connections(10)
                .after_connect(move |conn, _| Box::pin(crate::cluster::session_setup(conn, init))),
        };
        let mut nodes = Vec::with_capacity(hosts.len());
        let mut first_ready = None;
        let mut last_err = None;
        for (i, h) in hosts.iter().enumerate() {
            let pool = if first_ready.is_some() || multi {
                match options.clone().connect_lazy(&h.url) {
                    Ok(p) => p,
                    Err(e) => {
                        return Err(Error::Connect {
                            url: redact_url(&h.url),
                            source: DbError::sqlx(e),
                        })
                    }
                }
            } else {
                match options.clone().connect(&h.url).await {
                    Ok(p) => p,
                    Err(e) => {
                        return Err(Error::Connect {
                            url: redact_url(&h.url),
                            source: DbError::sqlx(e),
                        })
                    }
                }
            };
            if first_ready.is_none() {
                if !multi {
                    first_ready = Some(i);
                } else {
                    match pool.acquire().await {
                        Ok(c) => {
                            drop(c);
                            if crate::cluster::probe(&h.url).await.ready {
                                first_ready = Some(i);
                            } else {
                                tracing::warn!(node = %h.label, "database node not ready");
                            }
                        }
                        Err(e) => {
                            tracing::warn!(node = %h.label, error = %e, "database node down");
                            last_err = Some((redact_url(&h.url), e));
                        }
                    }
                }
            }
            nodes.push(Node {
                label: h.label.clone(),
                url: h.url.clone(),
                pool,
            });
        }
        let Some(current) = first_ready else {
            let (url, e) = last_err.unwrap_or_else(|| {
                (
                    redact_url(&url),
                    sqlx::Error::Configuration("no database node is ready".into()),
                )
            });
            return Err(Error::Connect {
                url,
                source: DbError::sqlx(match e {
                    // "Not ready" is an outage, not a configuration mistake.
                    sqlx::Error::Configuration(m) => {
                        sqlx::Error::Io(std::io::Error::other(m.to_string()))
                    }
                    e => e,
                }),
            });
        };
        let store = SqlStore {
            cluster: Cluster::new(nodes, current),
            backend,
        };
        if backend == Backend::Sqlite && !in_memory {
            // WAL lets readers run while one writer writes; the setting persists in the file.
            sqlx::query("PRAGMA journal_mode=WAL")
                .fetch_optional(store.cluster.pool(0))
                .await
                .map_err(Error::query("enable WAL"))?;
        }
        migrate::run(store.cluster.pool(current), backend).await?;
        store.cluster.spawn_monitor();
        Ok(store)
    }

    /// Opens (creating it when missing) the SQLite database file at `path`.
    ///
    /// # Errors
    /// As [`SqlStore::connect`].
    #[cfg(feature = "sqlite")]
    pub async fn open_sqlite(path: &std::path::Path) -> Result<SqlStore> {
        Self::connect(&sqlite_url_for_path(path)).await
    }

    /// Which database this store talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool of the node in use, for tests and tools that need raw SQL
    /// (feature `test-utils`: it ties the caller to this crate's sqlx version).
    #[cfg(feature = "test-utils")]
    pub fn pool(&self) -> &sqlx::AnyPool {
        self.cluster.pool(self.cluster.current())
    }

    /// The node in use (`host:port`; empty for SQLite).
    pub fn node(&self) -> &str {
        &self.cluster.nodes[self.cluster.current()].label
    }

    /// Closes every connection; later calls fail with kind `Unavailable`.
    pub async fn close(&self) {
        for n in &self.cluster.nodes {
            n.pool.close().await;
        }
    }

    /// Row locks for a read that a write in the same transaction depends on. SQLite needs
    /// none: the step's transaction takes the database's write lock up front.
    fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::MySql => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// Whether a user other than `except` has `email` (the column's collation decides case).
    async fn email_taken(
        &self,
        tx: &mut Transaction<'static, Any>,
        op: &'static str,
        email: &str,
        except: Option<i64>,
    ) -> Result<bool> {
        let row = sqlx::query("SELECT UserId FROM Users WHERE Email = ? AND UserId <> ? LIMIT 1")
            .bind(email)
            .bind(except.unwrap_or(-1))
            .fetch_optional(&mut **tx)
            .await
            .map_err(Error::query(op))?;
        if row.is_some() {
            return Ok(true);
        }
        let claim = sqlx::query("SELECT UserId FROM hcpool_emails WHERE Email = ?")
            .bind(email)
            .fetch_optional(&mut **tx)
            .await
            .map_err(Error::query(op))?;
        match claim {
            Some(r) => {
                Ok(r.try_get::<i64, _>(0).map_err(Error::query(op))? != except.unwrap_or(-1))
            }
            None => Ok(false),
        }
    }

    /// Claims `email` for user `id` in `hcpool_emails`, whose primary key is the email (in
    /// the collation of `Users.Email`): the one guard that holds under READ COMMITTED and
    /// across Galera nodes, where `SELECT … FOR UPDATE` of a missing row locks nothing
    /// (locally) or nothing anywhere else (other nodes). A concurrent claim of the same email
    /// either waits and then fails here as a duplicate, or fails certification at COMMIT and
    /// is retried, then fails here.
    async fn claim_email(
        tx: &mut Transaction<'static, Any>,
        op: &'static str,
        email: &str,
        id: i64,
    ) -> Result<()> {
        let done = sqlx::query("INSERT INTO hcpool_emails (Email, UserId) VALUES (?, ?)")
            .bind(email)
            .bind(id)
            .execute(&mut **tx)
            .await;
        match done {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(Error::Conflict("email already in use"))
            }
            Err(e) => Err(Error::query(op)(e)),
        }
    }

    /// Revokes what a user's old password or address could still reach (after a credential
    /// change): sessions, password reset tokens, pending email changes, and the API token
    /// (emptied; the web app issues a new one). Returns how many sessions ended.
    async fn revoke(tx: &mut Transaction<'static, Any>, op: &'static str, id: i64) -> Result<u64> {
        Self::revoke_keeping(tx, op, id, Keep::Nothing).await
    }

    /// [`Self::revoke`], leaving what `keep` names to the caller: `Keep::ApiToken` when the
    /// caller's own `UPDATE Users` sets the API token (`disable_user` empties it with the
    /// password and the email token in one statement). The one place the rows a revocation
    /// deletes are listed. Returns how many sessions ended.
    async fn revoke_keeping(
        tx: &mut Transaction<'static, Any>,
        op: &'static str,
        id: i64,
        keep: Keep,
    ) -> Result<u64> {
        let sessions = sqlx::query("DELETE FROM hcpool_sessions WHERE user_id = ?")
            .bind(id)
            .execute(&mut **tx)
            .await
            .map_err(Error::query(op))?
            .rows_affected();
        let api_token =
            (keep != Keep::ApiToken).then_some("UPDATE Users SET APIToken = '' WHERE UserId = ?");
        for sql in [
            "DELETE FROM PasswordReset WHERE UserId = ?",
            "DELETE FROM EmailChange WHERE UserId = ?",
        ]
        .into_iter()
        .chain(api_token)
        {
            sqlx::query(sql)
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(Error::query(op))?;
        }
        Ok(sessions)
    }

    /// The node in use, the nodes that answer, and the Galera cluster size, checked now.
    pub async fn status(&self) -> StoreStatus {
        if self.backend == Backend::Sqlite {
            return StoreStatus::default();
        }
        let cur = self.cluster.current();
        let now = self.cluster.probe(cur).await;
        let probes = self.cluster.probes();
        let nodes_ready = probes
            .iter()
            .enumerate()
            .filter(|(i, p)| {
                if *i == cur {
                    now.ready
                } else {
                    p.is_some_and(|p| p.ready)
                }
            })
            .count();
        StoreStatus {
            node: Some(self.cluster.nodes[cur].label.clone()),
            nodes: self.cluster.nodes.len(),
            nodes_ready,
            cluster_size: now.cluster_size,
        }
    }
}

/// An empty or blank token never matches: consumed tokens are `''` in legacy rows, and MySQL
/// ignores trailing spaces when comparing.
fn blank(token: &str) -> bool {
    token.trim().is_empty()
}

type CoreResult<T> = hcpool_core::Result<T>;

#[async_trait]
impl UserStore for SqlStore {
    async fn create_user(&self, user: &NewUser) -> CoreResult<UserId> {
        Ok(SqlStore::create_user(self, user).await?)
    }
    async fn user(&self, id: UserId) -> CoreResult<Option<User>> {
        Ok(SqlStore::user(self, id).await?)
    }
    async fn user_by_email(&self, email: &str) -> CoreResult<Option<User>> {
        Ok(SqlStore::user_by_email(self, email).await?)
    }
    async fn user_by_api_token(&self, token: &str) -> CoreResult<Option<User>> {
        Ok(SqlStore::user_by_api_token(self, token).await?)
    }
    async fn change_password(&self, id: UserId, hash: &Secret<String>) -> CoreResult<bool> {
        Ok(SqlStore::change_password(self, id, hash).await?)
    }
    async fn upgrade_password_hash(&self, id: UserId, hash: &Secret<String>) -> CoreResult<bool> {
        Ok(SqlStore::upgrade_password_hash(self, id, hash).await?)
    }
    async fn set_api_token(&self, id: UserId, token: &Secret<String>) -> CoreResult<bool> {
        Ok(SqlStore::set_api_token(self, id, token).await?)
    }
    async fn verified_users_without_api_token(&self) -> CoreResult<Vec<UserId>> {
        Ok(SqlStore::verified_users_without_api_token(self).await?)
    }
    async fn set_missing_api_tokens(&self, tokens: &[(UserId, Secret<String>)]) -> CoreResult<u64> {
        Ok(SqlStore::set_missing_api_tokens(self, tokens).await?)
    }
    async fn register_address(&self, id: UserId, registration: &Registration) -> CoreResult<bool> {
        Ok(SqlStore::register_address(self, id, registration).await?)
    }
    async fn set_vote_bits(&self, id: UserId, bits: VoteBits, version: u32) -> CoreResult<bool> {
        Ok(SqlStore::set_vote_bits(self, id, bits, version).await?)
    }
    async fn reset_vote_bits(&self, version: u32, valid: &[VoteBits]) -> CoreResult<u64> {
        Ok(SqlStore::reset_vote_bits(self, version, valid).await?)
    }
    async fn voting_configs(&self) -> CoreResult<Vec<UserVotingConfig>> {
        Ok(SqlStore::voting_configs(self).await?)
    }
    async fn multisig_scripts(&self) -> CoreResult<Vec<RegisteredScript>> {
        Ok(SqlStore::multisig_scripts(self).await?)
    }
    async fn user_counts(&self) -> CoreResult<UserCounts> {
        Ok(SqlStore::user_counts(self).await?)
    }
}

#[async_trait]
impl TokenStore for SqlStore {
    async fn verify_email(&self, email_token: &str) -> CoreResult<Option<UserId>> {
        Ok(SqlStore::verify_email(self, email_token).await?)
    }
    async fn create_email_change(&self, change: &EmailChange) -> CoreResult<()> {
        Ok(SqlStore::create_email_change(self, change).await?)
    }
    async fn email_change(&self, token: &str) -> CoreResult<Option<EmailChange>> {
        Ok(SqlStore::email_change(self, token).await?)
    }
    async fn apply_email_change(&self, token: &str, now: i64) -> CoreResult<Option<UserId>> {
        Ok(SqlStore::apply_email_change(self, token, now).await?)
    }
    async fn create_password_reset(&self, reset: &PasswordReset) -> CoreResult<()> {
        Ok(SqlStore::create_password_reset(self, reset).await?)
    }
    async fn password_reset(&self, token: &str) -> CoreResult<Option<PasswordReset>> {
        Ok(SqlStore::password_reset(self, token).await?)
    }
    async fn reset_password(
        &self,
        token: &str,
        now: i64,
        hash: &Secret<String>,
    ) -> CoreResult<Option<UserId>> {
        Ok(SqlStore::reset_password(self, token, now, hash).await?)
    }
    async fn set_email_token(&self, id: UserId, token: &Secret<String>) -> CoreResult<bool> {
        Ok(SqlStore::set_email_token(self, id, token).await?)
    }
}

#[async_trait]
impl SessionStore for SqlStore {
    async fn create_session(&self, session: &Session) -> CoreResult<()> {
        Ok(SqlStore::create_session(self, session).await?)
    }
    async fn session(&self, id_hash: &str, now: i64) -> CoreResult<Option<Session>> {
        Ok(SqlStore::session(self, id_hash, now).await?)
    }
    async fn touch_session(&self, id_hash: &str, now: i64, expires: i64) -> CoreResult<bool> {
        Ok(SqlStore::touch_session(self, id_hash, now, expires).await?)
    }
    async fn delete_session(&self, id_hash: &str) -> CoreResult<bool> {
        Ok(SqlStore::delete_session(self, id_hash).await?)
    }
    async fn delete_user_sessions(&self, id: UserId) -> CoreResult<u64> {
        Ok(SqlStore::delete_user_sessions(self, id).await?)
    }
}

#[async_trait]
impl ChallengeStore for SqlStore {
    async fn create_challenge(&self, challenge: &Challenge) -> CoreResult<()> {
        Ok(SqlStore::create_challenge(self, challenge).await?)
    }
    async fn take_challenge(&self, id_hash: &str, now: i64) -> CoreResult<Option<Secret<String>>> {
        Ok(SqlStore::take_challenge(self, id_hash, now).await?)
    }
}

#[async_trait]
impl LowFeeTicketStore for SqlStore {
    async fn add_low_fee_tickets(&self, tickets: &[NewLowFeeTicket]) -> CoreResult<u64> {
        Ok(SqlStore::add_low_fee_tickets(self, tickets).await?)
    }
    async fn remove_low_fee_tickets(&self, hashes: &[TicketHash]) -> CoreResult<u64> {
        Ok(SqlStore::remove_low_fee_tickets(self, hashes).await?)
    }
    async fn mark_low_fee_ticket_voted(&self, hash: &TicketHash) -> CoreResult<bool> {
        Ok(SqlStore::mark_low_fee_ticket_voted(self, hash).await?)
    }
    async fn votable_low_fee_tickets(&self, now: i64) -> CoreResult<Vec<LowFeeTicket>> {
        Ok(SqlStore::votable_low_fee_tickets(self, now).await?)
    }
    async fn low_fee_ticket_entries(&self) -> CoreResult<Vec<TicketEntry>> {
        Ok(SqlStore::low_fee_ticket_entries(self).await?)
    }
}

#[async_trait]
impl MailOutbox for SqlStore {
    async fn enqueue_mail(&self, mail: &OutboxMail) -> CoreResult<i64> {
        Ok(SqlStore::enqueue_mail(self, mail).await?)
    }
    async fn claim_mail(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> CoreResult<Vec<OutboxMail>> {
        Ok(SqlStore::claim_mail(self, now, lease_until, limit).await?)
    }
    async fn delete_mail(&self, id: i64, attempts: u32) -> CoreResult<bool> {
        Ok(SqlStore::delete_mail(self, id, attempts).await?)
    }
    async fn retry_mail(&self, id: i64, attempts: u32, next_attempt: i64) -> CoreResult<bool> {
        Ok(SqlStore::retry_mail(self, id, attempts, next_attempt).await?)
    }
}

#[async_trait]
impl HistoryStore for SqlStore {
    async fn record_sample(&self, sample: &HistorySample) -> CoreResult<bool> {
        Ok(SqlStore::record_sample(self, sample).await?)
    }
    async fn history_samples(&self, since: i64, until: i64) -> CoreResult<Vec<HistorySample>> {
        Ok(SqlStore::history_samples(self, since, until).await?)
    }
    async fn delete_history_samples(&self, heights: &[u32]) -> CoreResult<u64> {
        Ok(SqlStore::delete_history_samples(self, heights).await?)
    }
}

#[async_trait]
impl NotificationStore for SqlStore {
    async fn notify_prefs(&self, user: UserId) -> CoreResult<Option<NotifyPrefs>> {
        Ok(SqlStore::notify_prefs(self, user).await?)
    }
    async fn set_notify_prefs(&self, user: UserId, prefs: &NotifyPrefs) -> CoreResult<bool> {
        Ok(SqlStore::set_notify_prefs(self, user, prefs).await?)
    }
    async fn notify_subscribers(&self) -> CoreResult<Vec<Subscriber>> {
        Ok(SqlStore::notify_subscribers(self).await?)
    }
    async fn notify_events_since(
        &self,
        user: UserId,
        height: u32,
    ) -> CoreResult<Vec<(TicketHash, TicketEvent)>> {
        Ok(SqlStore::notify_events_since(self, user, height).await?)
    }
    async fn record_notify_event(
        &self,
        event: &NotifyEvent,
        mail: Option<OutboxMail>,
    ) -> CoreResult<bool> {
        Ok(SqlStore::record_notify_event(self, event, mail.as_ref()).await?)
    }
    async fn pending_notify_events(&self, before: i64) -> CoreResult<Vec<NotifyEvent>> {
        Ok(SqlStore::pending_notify_events(self, before).await?)
    }
    async fn send_notify_digest(
        &self,
        user: UserId,
        day: i64,
        events: &[NotifyEvent],
        mail: &OutboxMail,
    ) -> CoreResult<bool> {
        Ok(SqlStore::send_notify_digest(self, user, day, events, mail).await?)
    }
    async fn claim_notify_scan(&self, height: u32, owner: &str, now: i64) -> CoreResult<bool> {
        Ok(SqlStore::claim_notify_scan(self, height, owner, now).await?)
    }
}

#[async_trait]
impl ErasureStore for SqlStore {
    async fn erase_account(&self, id: UserId, now: i64) -> CoreResult<Option<ErasureStarted>> {
        Ok(SqlStore::erase_account(self, id, now).await?)
    }
    async fn pending_erasures(&self) -> CoreResult<Vec<ErasureRecord>> {
        Ok(SqlStore::pending_erasures(self).await?)
    }
    async fn erasure(&self, id: UserId) -> CoreResult<Option<ErasureRecord>> {
        Ok(SqlStore::erasure(self, id).await?)
    }
    async fn finish_erasure(&self, id: UserId, now: i64) -> CoreResult<bool> {
        Ok(SqlStore::finish_erasure(self, id, now).await?)
    }
    async fn user_sessions(&self, id: UserId) -> CoreResult<Vec<Session>> {
        Ok(SqlStore::user_sessions(self, id).await?)
    }
    async fn user_email_changes(&self, id: UserId) -> CoreResult<Vec<EmailChange>> {
        Ok(SqlStore::user_email_changes(self, id).await?)
    }
}

#[async_trait]
impl VoteRecordStore for SqlStore {
    async fn vote_records(&self, user: UserId) -> CoreResult<Vec<StoredVoteRecord>> {
        Ok(SqlStore::vote_records(self, user).await?)
    }
    async fn put_vote_records(&self, records: &[StoredVoteRecord]) -> CoreResult<u64> {
        Ok(SqlStore::put_vote_records(self, records).await?)
    }
    async fn replace_vote_record(
        &self,
        record: &StoredVoteRecord,
        stale_block: &BlockHash,
    ) -> CoreResult<bool> {
        Ok(SqlStore::replace_vote_record(self, record, stale_block).await?)
    }
}

#[async_trait]
impl StoreMaintenance for SqlStore {
    async fn purge_expired(&self, now: i64) -> CoreResult<u64> {
        Ok(SqlStore::purge_expired(self, now).await?)
    }
    async fn store_status(&self) -> CoreResult<StoreStatus> {
        Ok(SqlStore::status(self).await)
    }
}
