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
//! - No password appears in an error or a log.
//!
//! ```no_run
//! # async fn demo() -> Result<(), hcpool_db::Error> {
//! let store = hcpool_db::connect("sqlite://hcpool.db").await?;
//! let counts = store.user_counts().await;
//! # let _ = counts; Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod migrate;
mod rows;
mod store;
mod url;

use std::sync::{Arc, Once};

use hcpool_core::backend::Store;

pub use error::{redact_url, Error, Result};
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
