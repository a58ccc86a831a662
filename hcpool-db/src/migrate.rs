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

use sqlx::{AnyConnection, AnyPool, Row};

use crate::error::{DbError, Error, Result};
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
            legacy_upgrade(&mut conn).await?;
            drop(conn);
            sqlx::migrate!("migrations/mysql")
                .run(pool)
                .await
                .map_err(|e| Error::Migrate(DbError::migrate(e)))
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
/// `Store::verified_users_without_api_token` / `Store::set_missing_api_tokens`.
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
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(ER_DUP_FIELDNAME) => {}
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
