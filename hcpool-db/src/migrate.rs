//! Schema creation and upgrades.
//!
//! SQLite: the versioned migrations under `migrations/sqlite`.
//!
//! MySQL: an existing hcstakepool database may be in any historic shape, and hcstakepool
//! itself changed it only by "add the column if information_schema lacks it, then backfill"
//! at every start (hcstakepool-inventory.md §7). So: first [`legacy_upgrade`] creates the
//! four tables if missing and performs those column steps idempotently; then the versioned
//! migrations under `migrations/mysql` (the first of which is the same `CREATE TABLE IF NOT
//! EXISTS` script, a no-op by then) add hcpool's indexes and tables. Nothing is ever dropped.
//!
//! MySQL DDL is not transactional, so a migration can stop half-way (a crash, a lost
//! connection, a node killed). hcpool therefore runs MySQL migrations itself rather than
//! through sqlx's migrator (which then refuses to start until an operator repairs
//! `_sqlx_migrations` by hand):
//! - every statement is idempotent: tables are `IF NOT EXISTS`, an index is created only when
//!   `information_schema` lacks it, and "already exists" errors (another instance was
//!   faster) count as done; a version is recorded in `hcpool_migrations` once all its
//!   statements are done, and an unrecorded version runs again from its first statement, so
//!   the next start completes a migration that was interrupted;
//! - the whole upgrade runs under a lock *row* (`hcpool_migration_lock`, primary key 1, a
//!   60 s lease renewed after every statement): `GET_LOCK` and `LOCK TABLES` are not
//!   replicated by Galera, but two nodes inserting the same key cannot both commit. Another
//!   instance starting at the same moment, on any node, waits until the row is gone, then
//!   finds every version recorded. A lock left by a crashed instance expires.

use std::time::{Duration, Instant};

use sqlx::{AnyConnection, AnyPool, Row};

use crate::error::{db_code, mysql_errno, DbError, Error, Result};
use crate::url::Backend;

/// hcstakepool's schema, as its gorp layer creates it.
const LEGACY_SCHEMA: &str = include_str!("../migrations/mysql/0001_hcstakepool_schema.sql");

/// A column hcstakepool added to `Users` after 1.0: name, type, the column it follows, and
/// the backfill hcstakepool runs right after adding it.
struct AddedColumn {
    name: &'static str,
    ddl: &'static str,
    after: &'static str,
    backfill: &'static str,
}

/// hcstakepool's start-up column steps, in its order (inventory §7 steps 1, 3, 4, 5, 7, 8).
const ADDED_COLUMNS: [AddedColumn; 6] = [
    AddedColumn {
        name: "HeightRegistered",
        ddl: "bigint(20) NULL",
        after: "UserFeeAddr",
        // 15346: hcstakepool's stand-in height for users registered before the column.
        backfill: "UPDATE Users SET HeightRegistered = 15346 WHERE MultiSigAddress <> ''",
    },
    AddedColumn {
        name: "EmailVerified",
        ddl: "bigint(20) NULL",
        after: "HeightRegistered",
        // 2 = grandfathered: existing users keep signing in.
        backfill: "UPDATE Users SET EmailVerified = 2 WHERE EmailVerified IS NULL",
    },
    AddedColumn {
        name: "EmailToken",
        ddl: "varchar(255) NULL",
        after: "EmailVerified",
        backfill: "UPDATE Users SET EmailToken = '' WHERE EmailToken IS NULL",
    },
    AddedColumn {
        name: "APIToken",
        ddl: "varchar(255) NULL",
        after: "EmailToken",
        backfill: "UPDATE Users SET APIToken = '' WHERE APIToken IS NULL",
    },
    AddedColumn {
        name: "VoteBits",
        ddl: "bigint(20) NULL",
        after: "APIToken",
        backfill: "UPDATE Users SET VoteBits = 1 WHERE VoteBits IS NULL",
    },
    AddedColumn {
        name: "VoteBitsVersion",
        ddl: "bigint(20) NULL",
        after: "VoteBits",
        backfill: "UPDATE Users SET VoteBitsVersion = 3 WHERE VoteBitsVersion IS NULL",
    },
];

/// MySQL "Duplicate column name": another hcpool starting at the same moment added it.
const ER_DUP_FIELDNAME: &str = "1060";

/// Brings the database to the current schema.
pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> Result<()> {
    match backend {
        #[cfg(feature = "sqlite")]
        Backend::Sqlite => sqlx::migrate!("migrations/sqlite")
            .run(pool)
            .await
            .map_err(|e| Error::Migrate(DbError::migrate(e))),
        #[cfg(feature = "mysql")]
        Backend::MySql => {
            let mut conn = pool.acquire().await.map_err(step("acquire"))?;
            for ddl in BOOKKEEPING {
                sqlx::raw_sql(ddl)
                    .execute(&mut *conn)
                    .await
                    .map_err(step("create hcpool_migrations"))?;
            }
            let lock = Lease::take(&mut conn).await?;
            let out = async {
                legacy_upgrade(&mut conn).await?;
                versioned(&mut conn, &lock).await
            }
            .await;
            lock.release(&mut conn).await;
            out
        }
        #[allow(unreachable_patterns)]
        _ => Ok(()),
    }
}

fn step(name: &str) -> impl FnOnce(sqlx::Error) -> Error + '_ {
    move |e| Error::LegacyUpgrade {
        step: name.to_owned(),
        source: DbError::sqlx(e),
    }
}

/// hcstakepool's start-up migrations, idempotent, on MySQL. API tokens for verified users
/// (its step 6) need the web app's JWT secret, so the web app does that step through
/// `UserStore::verified_users_without_api_token` / `UserStore::set_missing_api_tokens`.
async fn legacy_upgrade(conn: &mut AnyConnection) -> Result<()> {
    sqlx::raw_sql(LEGACY_SCHEMA)
        .execute(&mut *conn)
        .await
        .map_err(step("create tables"))?;
    for col in &ADDED_COLUMNS {
        let present = sqlx::query(
            "SELECT COUNT(*) FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'Users' AND COLUMN_NAME = ?",
        )
        .bind(col.name)
        .fetch_one(&mut *conn)
        .await
        .and_then(|row| row.try_get::<i64, _>(0))
        .map_err(step(col.name))?;
        if present == 0 {
            tracing::info!(column = col.name, "adding hcstakepool column to Users");
            let ddl = format!(
                "ALTER TABLE Users ADD COLUMN {} {} AFTER {}",
                col.name, col.ddl, col.after
            );
            match sqlx::raw_sql(&ddl).execute(&mut *conn).await {
                Ok(_) => {}
                Err(sqlx::Error::Database(e)) if db_code(e.as_ref()) == ER_DUP_FIELDNAME => {}
                Err(e) => return Err(step(col.name)(e)),
            }
            sqlx::query(col.backfill)
                .execute(&mut *conn)
                .await
                .map_err(step(col.name))?;
        }
    }
    // hcstakepool's step 2, every start; then the same NULL backfills every start, so a
    // start interrupted between adding a column and filling it heals on the next one.
    sqlx::query("UPDATE Users SET HeightRegistered = 0 WHERE HeightRegistered IS NULL")
        .execute(&mut *conn)
        .await
        .map_err(step("HeightRegistered NULL"))?;
    for col in ADDED_COLUMNS.iter().skip(1) {
        sqlx::query(col.backfill)
            .execute(&mut *conn)
            .await
            .map_err(step(col.name))?;
    }
    Ok(())
}

/// hcpool's own bookkeeping tables (both with primary keys, as Galera needs).
const BOOKKEEPING: [&str; 2] = [
    "create table if not exists `hcpool_migrations` (\
       `version` bigint not null primary key, \
       `description` varchar(255) not null, \
       `applied_at` bigint not null) engine=InnoDB charset=UTF8MB4",
    "create table if not exists `hcpool_migration_lock` (\
       `id` int not null primary key, \
       `owner` varchar(64) not null, \
       `expires` bigint not null) engine=InnoDB charset=UTF8MB4",
];

/// How long a migration lock lasts unless renewed (after every statement).
const LEASE_SECS: i64 = 60;

/// How long a start waits for another instance's migration before giving up.
const LOCK_WAIT: Duration = Duration::from_secs(180);

/// MySQL "already exists" errors that mean another instance did this statement first:
/// table exists (1050), duplicate column (1060), duplicate key name (1061).
const ALREADY_DONE: [&str; 3] = ["1050", "1060", "1061"];

/// The migration lock row, held by this process.
pub(crate) struct Lease {
    owner: String,
}

impl Lease {
    /// Inserts the lock row, waiting while another instance holds it (an expired one is
    /// taken over).
    async fn take(conn: &mut AnyConnection) -> Result<Lease> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let owner = format!("{}-{nanos}", std::process::id());
        let started = Instant::now();
        let mut logged = false;
        loop {
            // Database time: the instances' clocks may disagree.
            sqlx::query(
                "DELETE FROM hcpool_migration_lock WHERE id = 1 AND expires < UNIX_TIMESTAMP()",
            )
            .execute(&mut *conn)
            .await
            .map(drop)
            .or_else(busy)
            .map_err(step("migration lock"))?;
            let taken = sqlx::query(
                "INSERT INTO hcpool_migration_lock (id, owner, expires) \
                 VALUES (1, ?, UNIX_TIMESTAMP() + ?)",
            )
            .bind(&owner)
            .bind(LEASE_SECS)
            .execute(&mut *conn)
            .await;
            match taken {
                Ok(_) => return Ok(Lease { owner }),
                Err(sqlx::Error::Database(e))
                    if e.is_unique_violation() || mysql_errno(e.as_ref()) == Some(1213) => {}
                Err(e) => return Err(step("migration lock")(e)),
            }
            if started.elapsed() > LOCK_WAIT {
                return Err(Error::LegacyUpgrade {
                    step: "migration lock (another instance holds hcpool_migration_lock)".into(),
                    source: DbError::sqlx(sqlx::Error::PoolTimedOut),
                });
            }
            if !logged {
                tracing::info!("another instance is migrating the database; waiting");
                logged = true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Extends the lease (long migrations); losing it only means another instance may run
    /// the same idempotent statements.
    async fn renew(&self, conn: &mut AnyConnection) {
        let r = sqlx::query(
            "UPDATE hcpool_migration_lock SET expires = UNIX_TIMESTAMP() + ? \
             WHERE id = 1 AND owner = ?",
        )
        .bind(LEASE_SECS)
        .bind(&self.owner)
        .execute(&mut *conn)
        .await;
        if let Err(e) = r {
            tracing::debug!(error = %e, "renewing the migration lock failed");
        }
    }

    async fn release(self, conn: &mut AnyConnection) {
        for _ in 0..5 {
            let r = sqlx::query("DELETE FROM hcpool_migration_lock WHERE id = 1 AND owner = ?")
                .bind(&self.owner)
                .execute(&mut *conn)
                .await;
            match r {
                Ok(_) => return,
                // A certification conflict (Galera): try again.
                Err(sqlx::Error::Database(e)) if mysql_errno(e.as_ref()) == Some(1213) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => {
                    // The lease expires by itself.
                    tracing::warn!(error = %e, "releasing the migration lock failed");
                    return;
                }
            }
        }
    }
}

/// A certification conflict on a statement that only tidies up: ignore it.
fn busy(e: sqlx::Error) -> std::result::Result<(), sqlx::Error> {
    match &e {
        sqlx::Error::Database(d) if mysql_errno(d.as_ref()) == Some(1213) => Ok(()),
        _ => Err(e),
    }
}

/// The statements of a migration script: split at `;` ending a line, `--` comment lines
/// dropped (hcpool's scripts keep strings and statements simple enough for that).
pub(crate) fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in sql.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("--") {
            continue;
        }
        cur.push_str(line);
        cur.push('\n');
        if t.ends_with(';') {
            let stmt = cur.trim().trim_end_matches(';').trim().to_owned();
            if !stmt.is_empty() {
                out.push(stmt);
            }
            cur.clear();
        }
    }
    let rest = cur.trim().trim_end_matches(';').trim();
    if !rest.is_empty() {
        out.push(rest.to_owned());
    }
    out
}

/// `create index NAME on TABLE …` → (NAME, TABLE), backticks removed.
fn index_of(stmt: &str) -> Option<(String, String)> {
    let words: Vec<&str> = stmt.split_whitespace().take(5).collect();
    match words.as_slice() {
        [c, i, name, on, table, ..]
            if c.eq_ignore_ascii_case("create")
                && i.eq_ignore_ascii_case("index")
                && on.eq_ignore_ascii_case("on") =>
        {
            let clean = |s: &str| s.trim_matches('`').to_owned();
            let table = table.split('(').next().unwrap_or(table);
            Some((clean(name), clean(table)))
        }
        _ => None,
    }
}

/// The `CHARACTER SET … COLLATE …` of `Users.Email`, so that hcpool_emails compares emails
/// as the lookups do.
async fn email_collation(conn: &mut AnyConnection) -> Result<String> {
    let row = sqlx::query(
        "SELECT CHARACTER_SET_NAME, COLLATION_NAME FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'Users' AND COLUMN_NAME = 'Email'",
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(step("Users.Email collation"))?;
    let Some(row) = row else {
        return Ok(String::new());
    };
    let cs: Option<String> = row.try_get(0).map_err(step("Users.Email collation"))?;
    let coll: Option<String> = row.try_get(1).map_err(step("Users.Email collation"))?;
    let ident = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    Ok(match (cs, coll) {
        (Some(cs), Some(coll)) if ident(&cs) && ident(&coll) => {
            format!("character set {cs} collate {coll}")
        }
        _ => String::new(),
    })
}

/// Runs every embedded MySQL migration not yet recorded, statement by statement, each
/// idempotent (see the module docs).
async fn versioned(conn: &mut AnyConnection, lease: &Lease) -> Result<()> {
    let migrator = sqlx::migrate!("migrations/mysql");
    let applied: Vec<i64> = sqlx::query("SELECT version FROM hcpool_migrations")
        .fetch_all(&mut *conn)
        .await
        .map_err(step("read hcpool_migrations"))?
        .iter()
        .map(|r| r.try_get::<i64, _>(0))
        .collect::<std::result::Result<_, _>>()
        .map_err(step("read hcpool_migrations"))?;
    for m in migrator.iter() {
        if applied.contains(&m.version) || m.migration_type.is_down_migration() {
            continue;
        }
        let name = format!("migration {} ({})", m.version, m.description);
        tracing::info!(migration = %name, "applying");
        let mut sql = m.sql.to_string();
        if sql.contains("/*users-email-collation*/") {
            let coll = email_collation(conn).await?;
            sql = sql.replace("/*users-email-collation*/", &coll);
        }
        for stmt in statements(&sql) {
            if let Some((index, table)) = index_of(&stmt) {
                let present: i64 = sqlx::query(
                    "SELECT COUNT(*) FROM information_schema.STATISTICS \
                     WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ?",
                )
                .bind(&table)
                .bind(&index)
                .fetch_one(&mut *conn)
                .await
                .and_then(|r| r.try_get(0))
                .map_err(step(&name))?;
                if present > 0 {
                    continue;
                }
            }
            match sqlx::query(stmt.as_str()).execute(&mut *conn).await {
                Ok(_) => {}
                Err(sqlx::Error::Database(e))
                    if ALREADY_DONE.contains(&db_code(e.as_ref()).as_str()) => {}
                Err(e) => {
                    return Err(Error::LegacyUpgrade {
                        step: name,
                        source: DbError::sqlx(e),
                    })
                }
            }
            lease.renew(conn).await;
        }
        sqlx::query(
            "INSERT IGNORE INTO hcpool_migrations (version, description, applied_at) \
             VALUES (?, ?, UNIX_TIMESTAMP())",
        )
        .bind(m.version)
        .bind(m.description.to_string())
        .execute(&mut *conn)
        .await
        .map_err(step(&name))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_scripts_and_finds_indexes() {
        let sql = include_str!("../migrations/mysql/0002_hcpool_indexes.sql");
        let stmts = statements(sql);
        assert_eq!(stmts.len(), 9);
        assert_eq!(
            index_of(&stmts[0]),
            Some(("hcpool_users_email".into(), "Users".into()))
        );
        let claims = statements(include_str!(
            "../migrations/mysql/0005_hcpool_email_claims.sql"
        ));
        assert_eq!(claims.len(), 2);
        assert!(claims[1].starts_with("insert ignore"));
        assert_eq!(index_of(&claims[0]), None);
    }
}
