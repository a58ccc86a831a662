//! Operator tools (`hcpoolctl`): find users, disable and enable an account, list the
//! low-fee tickets, and SQLite backups. Inherent methods of [`SqlStore`], not store roles:
//! the web app never needs them.
//!
//! **Disabled** needs no new column, so a database stays hcstakepool's: the `Password`
//! value gets the prefix [`DISABLED_PASSWORD_PREFIX`] (no bcrypt or argon2 hash starts
//! with `!`, so neither app signs the user in; enabling strips it, the password is kept),
//! the API token and any verification token are cleared, and the user's sessions, password
//! resets and pending email changes are deleted. The pool still votes the user's tickets.

use std::path::{Path, PathBuf};

use hcpool_core::backend::{LowFeeTicket, User};
use hcpool_core::{TicketHash, UserId};
use sqlx::Row;

use super::{in_tx, on_conn, Keep, Redo, SqlStore};
use crate::error::{Error, Result};
use crate::rows::{self, db_id, TICKET_COLUMNS, USER_COLUMNS};
use crate::url::Backend;

pub use hcpool_core::backend::DISABLED_PASSWORD_PREFIX;

/// How an operator names a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserQuery {
    /// `UserId`.
    Id(UserId),
    /// `Email` (the column's collation decides case).
    Email(String),
    /// Any of the user's addresses: multisig (ticket) address, pubkey address, fee address.
    Address(String),
    /// A low-fee ticket added for the user's multisig address (`LowFeeTicket`); tickets the
    /// pool only knows from its wallets are found by their address (`hcpoolctl` asks the
    /// wallets).
    Ticket(TicketHash),
}

/// What disabling did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disabled {
    /// The account was enabled before (false: it was disabled already; nothing changed
    /// but the tokens and sessions, cleared again).
    pub was_enabled: bool,
    /// Sessions ended.
    pub sessions: u64,
}

impl SqlStore {
    /// The users `q` names, by id.
    ///
    /// # Errors
    /// A query error.
    pub async fn find_users(&self, q: &UserQuery) -> Result<Vec<User>> {
        const OP: &str = "find_users";
        let (cond, arg): (&str, Arg) = match q {
            UserQuery::Id(id) => match db_id(*id) {
                Some(id) => ("UserId = ?", Arg::Int(id)),
                None => return Ok(Vec::new()),
            },
            UserQuery::Email(e) => ("Email = ?", Arg::Text(e.trim().to_owned())),
            UserQuery::Address(a) => (
                "(MultiSigAddress = ?1 OR UserPubKeyAddr = ?1 OR UserFeeAddr = ?1)",
                Arg::Text(a.trim().to_owned()),
            ),
            UserQuery::Ticket(h) => (
                "MultiSigAddress <> '' AND MultiSigAddress IN \
                 (SELECT TicketAddress FROM LowFeeTicket WHERE TicketHash = ?)",
                Arg::Text(h.to_string()),
            ),
        };
        // `?1` is SQLite's; MySQL takes positional `?` only, so bind the address thrice.
        let (cond, binds) = match (self.backend, cond.contains("?1")) {
            (_, false) => (cond.to_owned(), 1),
            (Backend::Sqlite, true) => (cond.to_owned(), 1),
            (Backend::MySql, true) => (cond.replace("?1", "?"), 3),
        };
        let sql = format!("SELECT {USER_COLUMNS} FROM Users WHERE {cond} ORDER BY UserId");
        let found = on_conn!(self, OP, Redo::Idempotent, |c| {
            let mut query = sqlx::query(&sql);
            for _ in 0..binds {
                query = match &arg {
                    Arg::Int(i) => query.bind(*i),
                    Arg::Text(t) => query.bind(t.clone()),
                };
            }
            query.fetch_all(&mut *c).await.map_err(Error::query(OP))
        })?;
        found.iter().map(rows::user).collect()
    }

    /// Disables user `id` (see the module docs); `None` when there is no such user.
    ///
    /// # Errors
    /// A query error.
    pub async fn disable_user(&self, id: UserId) -> Result<Option<Disabled>> {
        const OP: &str = "disable_user";
        let Some(uid) = db_id(id) else {
            return Ok(None);
        };
        let select = format!(
            "SELECT Password FROM Users WHERE UserId = ?{}",
            self.for_update()
        );
        in_tx!(self, OP, Redo::Idempotent, |tx| {
            let Some(password) = locked_password(&mut tx, &select, uid, OP).await? else {
                return Ok(None);
            };
            let was_enabled = !password.starts_with(DISABLED_PASSWORD_PREFIX.as_bytes());
            let mut new = password;
            if was_enabled {
                new.splice(0..0, DISABLED_PASSWORD_PREFIX.bytes());
            }
            // The API token is emptied here, with the password and the email token.
            sqlx::query(
                "UPDATE Users SET Password = ?, APIToken = '', EmailToken = '' WHERE UserId = ?",
            )
            .bind(new)
            .bind(uid)
            .execute(&mut *tx)
            .await
            .map_err(Error::query(OP))?;
            let sessions = Self::revoke_keeping(&mut tx, OP, uid, Keep::ApiToken).await?;
            Ok(Some(Disabled {
                was_enabled,
                sessions,
            }))
        })
    }

    /// Enables a disabled user again (the password they had works again; a new API token is
    /// made on their Settings page). `Some(false)` when the user was not disabled, `None`
    /// when there is no such user.
    ///
    /// # Errors
    /// A query error.
    pub async fn enable_user(&self, id: UserId) -> Result<Option<bool>> {
        const OP: &str = "enable_user";
        let Some(uid) = db_id(id) else {
            return Ok(None);
        };
        let select = format!(
            "SELECT Password FROM Users WHERE UserId = ?{}",
            self.for_update()
        );
        in_tx!(self, OP, Redo::Idempotent, |tx| {
            let Some(password) = locked_password(&mut tx, &select, uid, OP).await? else {
                return Ok(None);
            };
            let Some(old) = password.strip_prefix(DISABLED_PASSWORD_PREFIX.as_bytes()) else {
                return Ok(Some(false));
            };
            sqlx::query("UPDATE Users SET Password = ? WHERE UserId = ?")
                .bind(old.to_vec())
                .bind(uid)
                .execute(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            Ok(Some(true))
        })
    }

    /// Every `LowFeeTicket` row (voted and expired ones included), oldest first.
    ///
    /// # Errors
    /// A query error or a corrupt row.
    pub async fn low_fee_tickets(&self) -> Result<Vec<LowFeeTicket>> {
        const OP: &str = "low_fee_tickets";
        let sql = format!("SELECT {TICKET_COLUMNS} FROM LowFeeTicket ORDER BY LowFeeTicketID");
        let found = on_conn!(self, OP, Redo::Idempotent, |c| {
            sqlx::query(&sql)
                .fetch_all(&mut *c)
                .await
                .map_err(Error::query(OP))
        })?;
        found.iter().map(rows::low_fee_ticket).collect()
    }

    /// An online backup of a SQLite store into the new file `dest` (SQLite's `VACUUM INTO`:
    /// a consistent copy while the pool keeps running). `dest` must not exist.
    ///
    /// # Errors
    /// [`Error::Backup`] for a MySQL store (use mysqldump, see the README) or an existing
    /// `dest`; a query error when SQLite refused.
    pub async fn backup_to(&self, dest: &Path) -> Result<()> {
        const OP: &str = "backup";
        if self.backend != Backend::Sqlite {
            return Err(Error::Backup(
                "online backups are for SQLite stores; dump MySQL/MariaDB with mysqldump \
                 --single-transaction (README: Backups)"
                    .into(),
            ));
        }
        if dest.exists() {
            return Err(Error::Backup(format!("{} exists already", dest.display())));
        }
        let target = dest.to_string_lossy().into_owned();
        on_conn!(self, OP, Redo::Once, |c| {
            sqlx::query("VACUUM INTO ?")
                .bind(target.clone())
                .execute(&mut *c)
                .await
                .map_err(Error::query(OP))
        })?;
        Ok(())
    }

    /// [`SqlStore::backup_to`] a new file `hcpool-<unix seconds>.db` in `dir` (created when
    /// missing), then deletes the oldest of those files beyond `keep` (0 keeps all).
    /// Returns the new file.
    ///
    /// # Errors
    /// As [`SqlStore::backup_to`], or the directory cannot be made or read.
    pub async fn rotate_backup(&self, dir: &Path, now: i64, keep: usize) -> Result<PathBuf> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Backup(format!("creating {}: {e}", dir.display())))?;
        let dest = dir.join(backup_file_name(now));
        self.backup_to(&dest).await?;
        let names: Vec<String> = std::fs::read_dir(dir)
            .map_err(|e| Error::Backup(format!("reading {}: {e}", dir.display())))?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        for old in backups_to_delete(&names, keep) {
            if let Err(e) = std::fs::remove_file(dir.join(&old)) {
                tracing::warn!(file = %old, error = %e, "old backup not deleted");
            }
        }
        Ok(dest)
    }
}

enum Arg {
    Int(i64),
    Text(String),
}

/// User `uid`'s stored password (bytes: a legacy column may be binary), read with `select`
/// (which locks the row on MySQL); `None` when there is no such user.
async fn locked_password(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    select: &str,
    uid: i64,
    op: &'static str,
) -> Result<Option<Vec<u8>>> {
    let Some(row) = sqlx::query(select)
        .bind(uid)
        .fetch_optional(&mut **tx)
        .await
        .map_err(Error::query(op))?
    else {
        return Ok(None);
    };
    row.try_get::<Vec<u8>, _>(0)
        .or_else(|_| row.try_get::<String, _>(0).map(String::into_bytes))
        .map(Some)
        .map_err(Error::query(op))
}

/// The file name of a backup taken at `now` (unix seconds): zero-padded, so names sort by
/// time.
pub fn backup_file_name(now: i64) -> String {
    format!("hcpool-{:012}.db", now.max(0))
}

/// Of the file names in a backup directory, the backups ([`backup_file_name`]) to delete so
/// that the newest `keep` remain (0 keeps all); other files are never named.
pub fn backups_to_delete(names: &[String], keep: usize) -> Vec<String> {
    let mut ours: Vec<&String> = names
        .iter()
        .filter(|n| {
            n.strip_prefix("hcpool-")
                .and_then(|r| r.strip_suffix(".db"))
                .is_some_and(|d| d.len() == 12 && d.bytes().all(|b| b.is_ascii_digit()))
        })
        .collect();
    if keep == 0 || ours.len() <= keep {
        return Vec::new();
    }
    ours.sort();
    let extra = ours.len() - keep;
    ours.into_iter().take(extra).cloned().collect()
}

/// What [`check_backup_file`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupFile {
    /// Users in it.
    pub users: i64,
    /// It has hcpool's migrations table (else: an hcstakepool schema only).
    pub hcpool: bool,
}

/// Checks that `path` is a SQLite database with hcstakepool's `Users` table (an hcpool or
/// hcstakepool store) that passes SQLite's `quick_check`, opening it read-only.
///
/// # Errors
/// [`Error::Backup`] saying what is wrong.
#[cfg(feature = "sqlite")]
pub async fn check_backup_file(path: &Path) -> Result<BackupFile> {
    use sqlx::Connection as _;
    let bad = |what: String| Error::Backup(format!("{}: {what}", path.display()));
    if !path.is_file() {
        return Err(bad("no such file".into()));
    }
    crate::install_drivers();
    let url = crate::url::sqlite_url_for_path(path).replace("?mode=rwc", "?mode=ro");
    let mut c = sqlx::AnyConnection::connect(&url)
        .await
        .map_err(|e| bad(format!("not a SQLite database ({e})")))?;
    let check: String = sqlx::query("PRAGMA quick_check")
        .fetch_one(&mut c)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(|e| bad(format!("not a SQLite database ({e})")))?;
    if check != "ok" {
        return Err(bad(format!("damaged: {check}")));
    }
    let not_ours = |_| bad("not an hcpool or hcstakepool database (no Users table)".into());
    sqlx::query(
        "SELECT UserId, Email, Password, MultiSigAddress, MultiSigScript, UserFeeAddr, \
         VoteBits FROM Users LIMIT 1",
    )
    .fetch_optional(&mut c)
    .await
    .map_err(not_ours)?;
    let users: i64 = sqlx::query("SELECT COUNT(*) FROM Users")
        .fetch_one(&mut c)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(not_ours)?;
    let hcpool = sqlx::query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
        .bind("_sqlx_migrations")
        .fetch_optional(&mut c)
        .await
        .map_err(|e| bad(e.to_string()))?
        .is_some();
    let _ = c.close().await;
    Ok(BackupFile { users, hcpool })
}

/// Restores the SQLite backup `backup` over the store file `target`: checks the backup
/// ([`check_backup_file`]), refuses while `target` looks in use (its `-wal` or `-shm` file
/// exists: a running pool keeps them) unless `force`, then copies it into place through a
/// temporary file and a rename, removing the target's old `-wal`/`-shm`.
///
/// # Errors
/// [`Error::Backup`] saying what is wrong.
#[cfg(feature = "sqlite")]
pub async fn restore_sqlite(backup: &Path, target: &Path, force: bool) -> Result<BackupFile> {
    let found = check_backup_file(backup).await?;
    let side = |ext: &str| {
        let mut p = target.as_os_str().to_owned();
        p.push(ext);
        PathBuf::from(p)
    };
    let live: Vec<PathBuf> = ["-wal", "-shm"]
        .iter()
        .map(|e| side(e))
        .filter(|p| p.exists())
        .collect();
    if !live.is_empty() && !force {
        return Err(Error::Backup(format!(
            "{} looks in use ({} exists): stop hcpool-web and stakepoold first, or pass \
             --force",
            target.display(),
            live[0].display()
        )));
    }
    let io = |what: &str, e: std::io::Error| Error::Backup(format!("{what}: {e}"));
    let tmp = side(".restore-tmp");
    std::fs::copy(backup, &tmp).map_err(|e| io("copying the backup", e))?;
    for p in &live {
        std::fs::remove_file(p).map_err(|e| io(&format!("removing {}", p.display()), e))?;
    }
    std::fs::rename(&tmp, target).map_err(|e| io("moving the copy into place", e))?;
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_names_sort_by_time_and_rotation_keeps_the_newest() {
        assert_eq!(backup_file_name(1_700_000_000), "hcpool-001700000000.db");
        let names: Vec<String> = [5, 1, 3, 2, 4]
            .iter()
            .map(|t| backup_file_name(*t))
            .chain(["notes.txt".to_owned(), "hcpool-x.db".to_owned()])
            .collect();
        assert_eq!(
            backups_to_delete(&names, 2),
            [
                backup_file_name(1),
                backup_file_name(2),
                backup_file_name(3)
            ]
        );
        assert!(backups_to_delete(&names, 0).is_empty());
        assert!(backups_to_delete(&names, 5).is_empty());
    }
}
