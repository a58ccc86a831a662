//! The crate's error type, and the one place deciding what core's [`BackendKind`]s mean for
//! database failures.

use hcpool_core::BackendKind;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error hcpool-db reports. Messages never contain a database password: URLs are
/// redacted ([`redact_url`]) before they get here.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL's scheme names no backend compiled into this build.
    #[error("unsupported database url {url:?} (expected sqlite://… or mysql://…)")]
    UnsupportedUrl {
        /// The URL, password removed.
        url: String,
    },
    /// The database could not be opened or reached.
    #[error("cannot connect to {url}")]
    Connect {
        /// The URL, password removed.
        url: String,
        /// Why.
        #[source]
        source: DbError,
    },
    /// A schema migration failed.
    #[error("migrating the schema failed")]
    Migrate(#[source] DbError),
    /// The legacy (hcstakepool) schema upgrade failed at a step.
    #[error("upgrading the hcstakepool schema failed at {step}")]
    LegacyUpgrade {
        /// Which step.
        step: String,
        /// Why.
        #[source]
        source: DbError,
    },
    /// A statement failed.
    #[error("{op} failed")]
    Query {
        /// The store operation.
        op: &'static str,
        /// Why.
        #[source]
        source: DbError,
    },
    /// A row holds a value that cannot be a domain value.
    #[error("corrupt row in {table} (id {id}): column {column}: {reason}")]
    CorruptRow {
        /// Table.
        table: &'static str,
        /// The row's primary key.
        id: i64,
        /// Column.
        column: &'static str,
        /// What is wrong (never the value of a secret column).
        reason: String,
    },
    /// A uniqueness rule refused the write.
    #[error("{0}")]
    Conflict(&'static str),
    /// A backup or restore could not be made (what and why; never a password).
    #[error("backup: {0}")]
    Backup(String),
}

/// The database driver's error, kept opaque so that the driver (sqlx) stays an
/// implementation detail: read it through `Display`, `source()` and [`Error::kind`].
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DbError(DbErrorInner);

#[derive(Debug, thiserror::Error)]
enum DbErrorInner {
    #[error(transparent)]
    Sqlx(sqlx::Error),
    #[error(transparent)]
    Migrate(sqlx::migrate::MigrateError),
}

impl DbError {
    pub(crate) fn sqlx(e: sqlx::Error) -> Self {
        DbError(DbErrorInner::Sqlx(e))
    }

    pub(crate) fn migrate(e: sqlx::migrate::MigrateError) -> Self {
        DbError(DbErrorInner::Migrate(e))
    }

    fn kind(&self) -> BackendKind {
        match &self.0 {
            DbErrorInner::Sqlx(e) => sqlx_kind(e),
            DbErrorInner::Migrate(sqlx::migrate::MigrateError::Execute(e))
            | DbErrorInner::Migrate(sqlx::migrate::MigrateError::ExecuteMigration(e, _)) => {
                sqlx_kind(e)
            }
            DbErrorInner::Migrate(_) => BackendKind::Inconsistent,
        }
    }
}

impl Error {
    /// A `Query` error for the operation `op`.
    pub(crate) fn query(op: &'static str) -> impl FnOnce(sqlx::Error) -> Error {
        move |e| Error::Query {
            op,
            source: DbError::sqlx(e),
        }
    }

    /// The kind of failure, as core's services see it.
    pub fn kind(&self) -> BackendKind {
        match self {
            Error::UnsupportedUrl { .. } => BackendKind::Rejected,
            Error::Connect { source, .. } => match &source.0 {
                DbErrorInner::Sqlx(sqlx::Error::Configuration(_)) => BackendKind::Rejected,
                _ => BackendKind::Unavailable,
            },
            Error::Migrate(source)
            | Error::LegacyUpgrade { source, .. }
            | Error::Query { source, .. } => source.kind(),
            Error::CorruptRow { .. } => BackendKind::Inconsistent,
            Error::Conflict(_) => BackendKind::Conflict,
            Error::Backup(_) => BackendKind::Rejected,
        }
    }
}

/// What a store step may do after a failure: try again (and where), or give up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// A concurrent change won (deadlock, lock wait timeout, or a Galera certification
    /// failure, which MariaDB reports as a deadlock at COMMIT): the server rolled the
    /// transaction back, so running the whole step again is safe.
    Conflict,
    /// The node did not answer or dropped the connection: another node may.
    Connection,
    /// Anything else: report it.
    Other,
}

impl Error {
    /// How the step that failed with this error may continue.
    pub(crate) fn failure(&self) -> Failure {
        let (Error::Query { source, .. } | Error::Connect { source, .. }) = self else {
            return Failure::Other;
        };
        let DbErrorInner::Sqlx(e) = &source.0 else {
            return Failure::Other;
        };
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Protocol(_) => Failure::Connection,
            sqlx::Error::Database(db) => {
                let code = db_code(db.as_ref());
                let code = code.as_str();
                if MYSQL_CONCURRENT.contains(&code) {
                    Failure::Conflict
                } else if MYSQL_GONE.contains(&code) {
                    Failure::Connection
                } else {
                    Failure::Other
                }
            }
            _ => Failure::Other,
        }
    }
}

/// The error's code as the constants here spell it: MySQL's error number (sqlx's
/// `code()` gives MySQL's SQLSTATE, which several errors share), else the driver's code
/// (SQLite's result code).
pub(crate) fn db_code(db: &dyn sqlx::error::DatabaseError) -> String {
    if let Some(n) = mysql_errno(db) {
        return n.to_string();
    }
    db.code().map(|c| c.into_owned()).unwrap_or_default()
}

/// MySQL's error number of a database error, if it came from MySQL/MariaDB.
pub(crate) fn mysql_errno(db: &dyn sqlx::error::DatabaseError) -> Option<u16> {
    #[cfg(feature = "mysql")]
    if let Some(m) = db.try_downcast_ref::<sqlx::mysql::MySqlDatabaseError>() {
        return Some(m.number());
    }
    let _ = db;
    None
}

/// MySQL: deadlock found (1213; also Galera's certification failure) and lock wait timeout
/// (1205): a concurrent change won.
const MYSQL_CONCURRENT: [&str; 2] = ["1213", "1205"];
/// MySQL: server gone away / lost connection / shutting down / too many connections /
/// connection killed / aborted; 1047: a Galera node that is not ready (not in the primary
/// component, or still joining) refuses every command with "WSREP has not yet prepared node
/// for application use".
const MYSQL_GONE: [&str; 7] = ["2006", "2013", "1053", "1040", "1927", "1152", "1047"];
/// SQLite primary codes: SQLITE_BUSY (5), SQLITE_LOCKED (6).
const SQLITE_BUSY: [&str; 2] = ["5", "6"];

fn sqlx_kind(e: &sqlx::Error) -> BackendKind {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Protocol(_) => BackendKind::Unavailable,
        sqlx::Error::RowNotFound => BackendKind::NotFound,
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => BackendKind::Inconsistent,
        sqlx::Error::Database(db) => {
            if db.is_unique_violation() {
                return BackendKind::Conflict;
            }
            let code = db_code(db.as_ref());
            let code = code.as_str();
            // SQLite extended codes keep the primary code in the low byte.
            let sqlite_primary = code.parse::<u32>().map(|c| (c & 0xff).to_string());
            if MYSQL_CONCURRENT.contains(&code) {
                BackendKind::Conflict
            } else if MYSQL_GONE.contains(&code)
                || sqlite_primary.is_ok_and(|c| SQLITE_BUSY.contains(&c.as_str()))
            {
                BackendKind::Unavailable
            } else {
                BackendKind::Other
            }
        }
        _ => BackendKind::Other,
    }
}

impl From<Error> for hcpool_core::Error {
    fn from(e: Error) -> Self {
        hcpool_core::Error::Store {
            kind: e.kind(),
            source: Box::new(e),
        }
    }
}

/// `url` with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                // Only fails for cannot-be-a-base URLs, which have no password.
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        // Not a URL: show only the part before any '@', which could hold credentials.
        Err(_) => match url.rsplit_once('@') {
            Some((_, host)) => format!("***@{host}"),
            None => url.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("mysql://pool:s3cret@db:3306/stakepool"),
            "mysql://pool:***@db:3306/stakepool"
        );
        assert_eq!(
            redact_url("sqlite://hcpool.db?mode=rwc"),
            "sqlite://hcpool.db?mode=rwc"
        );
        assert!(!redact_url("not a url:s3cret@host").contains("s3cret"));
    }

    #[test]
    fn kinds() {
        let timeout = Error::query("user")(sqlx::Error::PoolTimedOut);
        assert_eq!(timeout.kind(), BackendKind::Unavailable);
        let core: hcpool_core::Error = timeout.into();
        assert_eq!(core.backend_kind(), Some(BackendKind::Unavailable));
        let io = Error::query("user")(sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        )));
        assert_eq!(io.kind(), BackendKind::Unavailable);
        assert_eq!(Error::Conflict("email").kind(), BackendKind::Conflict);
        let corrupt = Error::CorruptRow {
            table: "Users",
            id: 1,
            column: "VoteBits",
            reason: "out of range".into(),
        };
        assert_eq!(corrupt.kind(), BackendKind::Inconsistent);
    }
}
