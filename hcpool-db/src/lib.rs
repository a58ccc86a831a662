//! # hcpool-db
//!
//! hcpool's store: hcpool-core's [`Store`] on embedded SQLite
//! (the default: a fresh pool creates its file) or on MySQL/MariaDB, chosen by URL. It is
//! the only crate with SQL in it.
//!
//! Invariants:
//! - The tables are hcstakepool's (Users, EmailChange, PasswordReset, LowFeeTicket) with the
//!   same names, columns and meanings; pointing hcpool at an existing hcstakepool MySQL
//!   database upgrades it in place, idempotently, without dropping anything.
//! - hcpool's additions (indexes, `hcpool_sessions`) are versioned migrations, embedded.
//! - Every store method is one transaction; errors map to core's kinds in one place
//!   ([`Error::kind`]); a database that goes away is `Unavailable` and the pool reconnects
//!   when it is back.
//! - A MySQL URL may list several hosts, the nodes of a Galera cluster
//!   (`mysql://u:p@db1:3306,db2:3306/pool`): the store fails over to the next ready node and
//!   returns to the preferred one without a restart; each step is retried a bounded number
//!   of times after a deadlock or certification conflict, staying all-or-nothing.
//! - No password appears in an error or a log.
//!
//! ## Main types
//!
//! [`connect`] (a URL in, an `Arc<dyn Store>` out), [`SqlStore`] (the store itself, with
//! [`SqlStore::backend`] and [`SqlStore::close`]), [`Error`] (with [`Error::kind`] and the
//! opaque driver error [`DbError`]), and the URL helpers [`sqlite_url_for_path`],
//! [`mysql_url_from_legacy`] and [`redact_url`].
//!
//! Operator tools (`hcpoolctl`), inherent methods of [`SqlStore`]: [`SqlStore::find_users`]
//! ([`UserQuery`]), [`SqlStore::disable_user`] / [`SqlStore::enable_user`] (no new column:
//! see [`Disabled`]), [`SqlStore::low_fee_tickets`], and SQLite backups:
//! [`SqlStore::backup_to`], [`SqlStore::rotate_backup`], `check_backup_file` and
//! `restore_sqlite` (feature `sqlite`).
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `sqlite` | yes | embedded SQLite (`sqlite://path`, `sqlite::memory:`) |
//! | `mysql` | yes | MySQL/MariaDB (`mysql://`, `mariadb://`), hcstakepool databases upgraded in place |
//! | `test-utils` | no | `SqlStore::pool()`, the raw sqlx pool, for tests and tools that need raw SQL |
//!
//! ## Example
//!
//! ```
//! use hcpool_core::backend::NewUser;
//! use hcpool_core::{Secret, VoteBits};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // `sqlite://hcpool.db` in a real pool; `mysql://user:pass@host:3306/stakepool` for MariaDB.
//! let store = hcpool_db::connect("sqlite::memory:").await?;
//! let id = store
//!     .create_user(&NewUser {
//!         email: "alice@example.com".into(),
//!         password_hash: Secret::new("$argon2id$...".into()),
//!         email_token: Secret::new("token".into()),
//!         vote_bits: VoteBits(1),
//!         vote_bits_version: 7,
//!     })
//!     .await?;
//! assert_eq!(store.verify_email("token").await?, Some(id));
//! assert_eq!(store.user_counts().await?.all, 1);
//!
//! // A URL naming no compiled-in backend is an error (its password never shows).
//! let err = hcpool_db::SqlStore::connect("postgres://u:s3cret@db/pool").await.unwrap_err();
//! assert!(!err.to_string().contains("s3cret"));
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Library code reports errors; it never unwraps or panics (tests may).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod cluster;
mod error;
mod migrate;
mod rows;
mod store;
mod url;

use std::sync::{Arc, Once};

use hcpool_core::backend::Store;

pub use error::{redact_url, DbError, Error, Result};
pub use store::ops::{backup_file_name, backups_to_delete, BackupFile, Disabled, UserQuery};
#[cfg(feature = "sqlite")]
pub use store::ops::{check_backup_file, restore_sqlite};
pub use store::SqlStore;
pub use url::{mysql_url_from_legacy, sqlite_url_for_path, Backend};

/// Connects to the store at `url` (`sqlite://path`, `mysql://user:pass@host:port/db`;
/// `mariadb://` is accepted too) and brings its schema up to date.
///
/// # Errors
/// See [`SqlStore::connect`].
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    Ok(Arc::new(SqlStore::connect(url).await?))
}

/// Registers sqlx's drivers for the backends compiled in (once per process).
fn install_drivers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // An embedder that installed its own set first keeps it; connect then reports a
        // missing driver as a connection error instead of this panicking.
        let _ = sqlx::any::install_drivers(&[
            #[cfg(feature = "mysql")]
            sqlx::mysql::any::DRIVER,
            #[cfg(feature = "sqlite")]
            sqlx::sqlite::any::DRIVER,
        ]);
    });
}
