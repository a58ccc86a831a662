//! [`SqlStore`]: hcpool-core's [`Store`] on SQLite or MySQL/MariaDB through sqlx.
//!
//! One code path serves both backends (sqlx's `Any` driver with runtime queries); the few
//! dialect differences are [`SqlStore::for_update`] and [`SqlStore::begin_write`]. The
//! shared conformance suite keeps the two honest.

mod lowfee;
mod outbox;
mod sessions;
mod tokens;
mod users;

use std::time::Duration;

use async_trait::async_trait;
use hcpool_core::backend::{
    EmailChange, LowFeeTicket, NewLowFeeTicket, NewUser, OutboxMail, PasswordReset,
    RegisteredScript, Registration, Session, Store, TicketEntry, User, UserCounts,
    UserVotingConfig,
};
use hcpool_core::{Secret, TicketHash, UserId, VoteBits};
use sqlx::any::AnyPoolOptions;
use sqlx::{Any, AnyPool, Transaction};

use crate::error::{redact_url, DbError, Error, Result};
use crate::migrate;
use crate::url::{classify, sqlite_url_for_path, Backend};

/// How long a request waits for a pooled connection before the store reports `Unavailable`.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// hcpool's store on SQLite or MySQL/MariaDB. Cheap to clone (a connection pool).
#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
}

impl SqlStore {
    /// Connects to `url` (`sqlite://…` or `mysql://…`), creates or upgrades the schema, and
    /// returns the store. A SQLite file is created when missing.
    ///
    /// # Errors
    /// [`Error::UnsupportedUrl`], [`Error::Connect`] (the database cannot be reached),
    /// [`Error::LegacyUpgrade`] or [`Error::Migrate`].
    pub async fn connect(url: &str) -> Result<SqlStore> {
        let (backend, url) = classify(url)?;
        crate::install_drivers();
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let mut options = AnyPoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT);
        options = match backend {
            // Each connection of an in-memory database is its own database: keep exactly one,
            // forever.
            Backend::Sqlite if in_memory => options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None),
            Backend::Sqlite => options.max_connections(4),
            Backend::MySql => options.max_connections(10),
        };
        let pool = options.connect(&url).await.map_err(|e| Error::Connect {
            url: redact_url(&url),
            source: DbError::sqlx(e),
        })?;
        let store = SqlStore { pool, backend };
        if backend == Backend::Sqlite && !in_memory {
            // WAL lets readers run while one writer writes; the setting persists in the file.
            sqlx::query("PRAGMA journal_mode=WAL")
                .fetch_optional(&store.pool)
                .await
                .map_err(Error::query("enable WAL"))?;
        }
        migrate::run(&store.pool, backend).await?;
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

    /// The connection pool, for tests and tools that need raw SQL (feature `test-utils`:
    /// it ties the caller to this crate's sqlx version).
    #[cfg(feature = "test-utils")]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection; later calls fail with kind `Unavailable`.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Row locks for a read that a write in the same transaction depends on. SQLite needs
    /// none: [`SqlStore::begin_write`] takes the database's write lock up front.
    fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::MySql => " FOR UPDATE",
            Backend::Sqlite => "",
        }
    }

    /// A transaction for a read-then-write step.
    async fn begin_write(&self, op: &'static str) -> Result<Transaction<'static, Any>> {
        let tx = match self.backend {
            // Deferred transactions that read then write fail with SQLITE_BUSY under
            // contention instead of waiting; IMMEDIATE waits for the write lock.
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::MySql => self.pool.begin().await,
        };
        tx.map_err(Error::query(op))
    }

    /// Whether a user other than `except` has `email` (the column's collation decides case).
    async fn email_taken(
        &self,
        tx: &mut Transaction<'static, Any>,
        op: &'static str,
        email: &str,
        except: Option<i64>,
    ) -> Result<bool> {
        let sql = format!(
            "SELECT UserId FROM Users WHERE Email = ? AND UserId <> ? LIMIT 1{}",
            self.for_update()
        );
        let row = sqlx::query(&sql)
            .bind(email)
            .bind(except.unwrap_or(-1))
            .fetch_optional(&mut **tx)
            .await
            .map_err(Error::query(op))?;
        Ok(row.is_some())
    }

    /// Revokes what a user's old password or address could still reach (after a credential
    /// change): sessions, password reset tokens, pending email changes, and the API token
    /// (emptied; the web app issues a new one).
    async fn revoke(tx: &mut Transaction<'static, Any>, op: &'static str, id: i64) -> Result<()> {
        for sql in [
            "DELETE FROM hcpool_sessions WHERE user_id = ?",
            "DELETE FROM PasswordReset WHERE UserId = ?",
            "DELETE FROM EmailChange WHERE UserId = ?",
            "UPDATE Users SET APIToken = '' WHERE UserId = ?",
        ] {
            sqlx::query(sql)
                .bind(id)
                .execute(&mut **tx)
                .await
                .map_err(Error::query(op))?;
        }
        Ok(())
    }
}

/// Ends `tx` early, releasing its locks now rather than when the connection is next used,
/// and returns `out`. A failed rollback needs no report: the server aborts the transaction
/// when the connection drops.
async fn rollback<T>(tx: Transaction<'static, Any>, out: Result<T>) -> Result<T> {
    if let Err(e) = tx.rollback().await {
        tracing::debug!(error = %e, "rollback failed");
    }
    out
}

/// An empty or blank token never matches: consumed tokens are `''` in legacy rows, and MySQL
/// ignores trailing spaces when comparing.
fn blank(token: &str) -> bool {
    token.trim().is_empty()
}

type CoreResult<T> = hcpool_core::Result<T>;

#[async_trait]
impl Store for SqlStore {
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
    async fn verify_email(&self, email_token: &str) -> CoreResult<Option<UserId>> {
        Ok(SqlStore::verify_email(self, email_token).await?)
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
    async fn set_email_token(&self, id: UserId, token: &Secret<String>) -> CoreResult<bool> {
        Ok(SqlStore::set_email_token(self, id, token).await?)
    }
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
    async fn purge_expired(&self, now: i64) -> CoreResult<u64> {
        Ok(SqlStore::purge_expired(self, now).await?)
    }
}
