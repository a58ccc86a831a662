//! `Users`: create, lookups, verification, passwords, API tokens, registration, votebits.

use hcpool_core::backend::{
    EmailVerification, NewUser, RegisteredScript, Registration, User, UserCounts, UserVotingConfig,
    ERASED_PASSWORD,
};
use hcpool_core::{Secret, UserId, VoteBits};
use sqlx::Row;

use super::{blank, in_tx, on_conn, Redo, SqlStore};
use crate::error::{Error, Result};
use crate::rows::{self, db_id, format_address, USER_COLUMNS};

/// Rows per statement when writing many users at once (well under every bind limit).
const BATCH: usize = 500;

impl SqlStore {
    pub(crate) async fn create_user(&self, u: &NewUser) -> Result<UserId> {
        const OP: &str = "create_user";
        in_tx!(self, OP, Redo::Once, |tx| {
            // Legacy rows (and rows hcstakepool itself may still write) have no claim: look
            // in Users too.
            let taken = sqlx::query("SELECT UserId FROM Users WHERE Email = ? LIMIT 1")
                .bind(&u.email)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            if taken.is_some() {
                return Err(Error::Conflict("email already in use"));
            }
            let done = sqlx::query(
                "INSERT INTO Users (Email, Username, Password, MultiSigAddress, MultiSigScript, \
                 PoolPubKeyAddr, UserPubKeyAddr, UserFeeAddr, HeightRegistered, EmailVerified, \
                 EmailToken, APIToken, VoteBits, VoteBitsVersion) \
                 VALUES (?, ?, ?, '', '', '', '', '', 0, ?, ?, '', ?, ?)",
            )
            .bind(&u.email)
            .bind(&u.email)
            .bind(u.password_hash.expose().as_bytes().to_vec())
            .bind(EmailVerification::Pending.code())
            .bind(u.email_token.expose())
            .bind(i64::from(u.vote_bits.0))
            .bind(i64::from(u.vote_bits_version))
            .execute(&mut *tx)
            .await
            .map_err(Error::query(OP))?;
            let id = match done.last_insert_id() {
                Some(id) => id,
                // sqlx's Any driver does not pass SQLite's rowid through; ask on the same
                // connection, inside the transaction.
                None => sqlx::query("SELECT last_insert_rowid()")
                    .fetch_one(&mut *tx)
                    .await
                    .and_then(|row| row.try_get::<i64, _>(0))
                    .map_err(Error::query(OP))?,
            };
            Self::claim_email(&mut tx, OP, &u.email, id).await?;
            u64::try_from(id).ok().map(UserId).ok_or(Error::CorruptRow {
                table: "Users",
                id: 0,
                column: "UserId",
                reason: "no usable id after insert".into(),
            })
        })
    }

    async fn user_where(&self, op: &'static str, cond: &str, arg: &str) -> Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM Users WHERE {cond} ORDER BY UserId LIMIT 1");
        let row = on_conn!(self, op, Redo::Idempotent, |c| {
            sqlx::query(&sql)
                .bind(arg)
                .fetch_optional(&mut *c)
                .await
                .map_err(Error::query(op))
        })?;
        row.as_ref().map(rows::user).transpose()
    }

    pub(crate) async fn user(&self, id: UserId) -> Result<Option<User>> {
        let Some(id) = db_id(id) else {
            return Ok(None);
        };
        let sql = format!("SELECT {USER_COLUMNS} FROM Users WHERE UserId = ?");
        let row = on_conn!(self, "user", Redo::Idempotent, |c| {
            sqlx::query(&sql)
                .bind(id)
                .fetch_optional(&mut *c)
                .await
                .map_err(Error::query("user"))
        })?;
        row.as_ref().map(rows::user).transpose()
    }

    pub(crate) async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        self.user_where("user_by_email", "Email = ?", email).await
    }

    pub(crate) async fn user_by_api_token(&self, token: &str) -> Result<Option<User>> {
        if blank(token) {
            return Ok(None);
        }
        self.user_where("user_by_api_token", "APIToken = ?", token)
            .await
    }

    pub(crate) async fn verify_email(&self, token: &str) -> Result<Option<UserId>> {
        const OP: &str = "verify_email";
        if blank(token) {
            return Ok(None);
        }
        let sql = format!(
            "SELECT UserId FROM Users WHERE EmailToken = ? ORDER BY UserId LIMIT 1{}",
            self.for_update()
        );
        in_tx!(self, OP, Redo::Once, |tx| {
            let Some(row) = sqlx::query(&sql)
                .bind(token)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Error::query(OP))?
            else {
                return Ok(None);
            };
            let id: i64 = row.try_get(0).map_err(Error::query(OP))?;
            sqlx::query("UPDATE Users SET EmailVerified = ?, EmailToken = '' WHERE UserId = ?")
                .bind(EmailVerification::Verified.code())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            Ok(u64::try_from(id).ok().map(UserId))
        })
    }

    pub(crate) async fn change_password(&self, id: UserId, hash: &Secret<String>) -> Result<bool> {
        const OP: &str = "change_password";
        let Some(id) = db_id(id) else {
            return Ok(false);
        };
        in_tx!(self, OP, Redo::Idempotent, |tx| {
            let done = sqlx::query("UPDATE Users SET Password = ? WHERE UserId = ?")
                .bind(hash.expose().as_bytes().to_vec())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            Self::revoke(&mut tx, OP, id).await?;
            Ok(true)
        })
    }

    pub(crate) async fn upgrade_password_hash(
        &self,
        id: UserId,
        hash: &Secret<String>,
    ) -> Result<bool> {
        let Some(id) = db_id(id) else {
            return Ok(false);
        };
        let done = on_conn!(self, "upgrade_password_hash", Redo::Idempotent, |c| {
            sqlx::query("UPDATE Users SET Password = ? WHERE UserId = ?")
                .bind(hash.expose().as_bytes().to_vec())
                .bind(id)
                .execute(&mut *c)
                .await
                .map_err(Error::query("upgrade_password_hash"))
        })?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn set_api_token(&self, id: UserId, token: &Secret<String>) -> Result<bool> {
        let Some(id) = db_id(id) else {
            return Ok(false);
        };
        let done = on_conn!(self, "set_api_token", Redo::Idempotent, |c| {
            sqlx::query("UPDATE Users SET APIToken = ? WHERE UserId = ?")
                .bind(token.expose())
                .bind(id)
                .execute(&mut *c)
                .await
                .map_err(Error::query("set_api_token"))
        })?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn set_email_token(&self, id: UserId, token: &Secret<String>) -> Result<bool> {
        let Some(id) = db_id(id) else {
            return Ok(false);
        };
        let done = on_conn!(self, "set_email_token", Redo::Idempotent, |c| {
            sqlx::query("UPDATE Users SET EmailToken = ? WHERE UserId = ? AND EmailVerified = ?")
                .bind(token.expose())
                .bind(id)
                .bind(EmailVerification::Pending.code())
                .execute(&mut *c)
                .await
                .map_err(Error::query("set_email_token"))
        })?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn verified_users_without_api_token(&self) -> Result<Vec<UserId>> {
        const OP: &str = "verified_users_without_api_token";
        // `> 0`: verified or grandfathered, hcstakepool's own start-up query.
        let rows = on_conn!(self, OP, Redo::Idempotent, |c| {
            sqlx::query(
                "SELECT UserId FROM Users WHERE APIToken = '' AND EmailVerified > 0 \
             AND (Password IS NULL OR Password NOT LIKE '!disabled!%') ORDER BY UserId",
            )
            .fetch_all(&mut *c)
            .await
            .map_err(Error::query(OP))
        })?;
        let mut ids = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: i64 = r.try_get(0).map_err(Error::query(OP))?;
            // A negative key is no user id hcpool could have made; skip it.
            ids.extend(u64::try_from(id).ok().map(UserId));
        }
        Ok(ids)
    }

    pub(crate) async fn set_missing_api_tokens(
        &self,
        tokens: &[(UserId, Secret<String>)],
    ) -> Result<u64> {
        const OP: &str = "set_missing_api_tokens";
        let tokens: Vec<(i64, &str)> = tokens
            .iter()
            .filter_map(|(id, t)| Some((db_id(*id)?, t.expose().as_str())))
            .collect();
        if tokens.is_empty() {
            return Ok(0);
        }
        in_tx!(self, OP, Redo::Idempotent, |tx| {
            let mut n = 0;
            for chunk in tokens.chunks(BATCH) {
                let cases = " WHEN ? THEN ?".repeat(chunk.len());
                let ids = vec!["?"; chunk.len()].join(", ");
                let sql = format!(
                    "UPDATE Users SET APIToken = CASE UserId{cases} END \
                 WHERE APIToken = '' AND UserId IN ({ids})"
                );
                let mut q = sqlx::query(&sql);
                for (id, token) in chunk {
                    q = q.bind(*id).bind(*token);
                }
                for (id, _) in chunk {
                    q = q.bind(*id);
                }
                n += q
                    .execute(&mut *tx)
                    .await
                    .map_err(Error::query(OP))?
                    .rows_affected();
            }
            Ok(n)
        })
    }

    pub(crate) async fn register_address(&self, id: UserId, reg: &Registration) -> Result<bool> {
        const OP: &str = "register_address";
        let Some(id) = db_id(id) else {
            return Ok(false);
        };
        in_tx!(self, OP, Redo::Once, |tx| {
            let sql = format!(
                "SELECT COALESCE(MultiSigAddress, ''), COALESCE(UserPubKeyAddr, '') \
             FROM Users WHERE UserId = ?{}",
                self.for_update()
            );
            let Some(row) = sqlx::query(&sql)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Error::query(OP))?
            else {
                return Ok(false);
            };
            let multisig: String = row.try_get(0).map_err(Error::query(OP))?;
            let user_addr: String = row.try_get(1).map_err(Error::query(OP))?;
            if !multisig.is_empty() || !user_addr.is_empty() {
                return Err(Error::Conflict("address already registered"));
            }
            sqlx::query(
                "UPDATE Users SET MultiSigAddress = ?, MultiSigScript = ?, PoolPubKeyAddr = ?, \
             UserPubKeyAddr = ?, UserFeeAddr = ?, HeightRegistered = ? WHERE UserId = ?",
            )
            .bind(format_address(&reg.multisig_address))
            .bind(reg.multisig_script.to_hex())
            .bind(format_address(&reg.pool_pubkey_addr))
            .bind(format_address(&reg.user_pubkey_addr))
            .bind(format_address(&reg.user_fee_addr))
            .bind(i64::from(reg.height_registered))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(Error::query(OP))?;
            Ok(true)
        })
    }

    pub(crate) async fn set_vote_bits(&self, id: UserId, bits: VoteBits, ver: u32) -> Result<bool> {
        let Some(id) = db_id(id) else {
            return Ok(false);
        };
        let done = on_conn!(self, "set_vote_bits", Redo::Idempotent, |c| {
            sqlx::query("UPDATE Users SET VoteBits = ?, VoteBitsVersion = ? WHERE UserId = ?")
                .bind(i64::from(bits.0))
                .bind(i64::from(ver))
                .bind(id)
                .execute(&mut *c)
                .await
                .map_err(Error::query("set_vote_bits"))
        })?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn reset_vote_bits(&self, version: u32, valid: &[VoteBits]) -> Result<u64> {
        let mut bits: Vec<u16> = valid.iter().map(|b| b.0).collect();
        bits.push(1);
        bits.sort_unstable();
        bits.dedup();
        // Integer literals we format ourselves: no injection, and no bind-count limit however
        // many combinations the agendas allow.
        let list = bits
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let sql = format!(
            "UPDATE Users SET VoteBits = 1, VoteBitsVersion = ? \
             WHERE VoteBitsVersion IS NULL OR VoteBitsVersion <> ? \
             OR VoteBits IS NULL OR VoteBits NOT IN ({list})"
        );
        let done = on_conn!(self, "reset_vote_bits", Redo::Idempotent, |c| {
            sqlx::query(&sql)
                .bind(i64::from(version))
                .bind(i64::from(version))
                .execute(&mut *c)
                .await
                .map_err(Error::query("reset_vote_bits"))
        })?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn voting_configs(&self) -> Result<Vec<UserVotingConfig>> {
        let rows = on_conn!(self, "voting_configs", Redo::Idempotent, |c| {
            sqlx::query(
                "SELECT UserId, MultiSigAddress, VoteBits, VoteBitsVersion FROM Users \
             WHERE MultiSigAddress <> '' ORDER BY UserId",
            )
            .fetch_all(&mut *c)
            .await
            .map_err(Error::query("voting_configs"))
        })?;
        rows.iter().map(rows::voting_config).collect()
    }

    pub(crate) async fn multisig_scripts(&self) -> Result<Vec<RegisteredScript>> {
        let rows = on_conn!(self, "multisig_scripts", Redo::Idempotent, |c| {
            sqlx::query(
                "SELECT UserId, MultiSigScript, HeightRegistered FROM Users \
             WHERE MultiSigAddress <> '' ORDER BY UserId",
            )
            .fetch_all(&mut *c)
            .await
            .map_err(Error::query("multisig_scripts"))
        })?;
        rows.iter().map(rows::registered_script).collect()
    }

    pub(crate) async fn user_counts(&self) -> Result<UserCounts> {
        const OP: &str = "user_counts";
        // Deleted accounts' rows (tombstones, see `ErasureStore`) are not users any more.
        let erased = ERASED_PASSWORD.as_bytes().to_vec();
        let row = on_conn!(self, OP, Redo::Idempotent, |c| {
            sqlx::query(
                "SELECT (SELECT COUNT(*) FROM Users WHERE Password IS NULL OR Password <> ?), \
                 (SELECT COUNT(*) FROM Users WHERE MultiSigAddress <> '' \
                 AND (Password IS NULL OR Password <> ?))",
            )
            .bind(erased.clone())
            .bind(erased.clone())
            .fetch_one(&mut *c)
            .await
            .map_err(Error::query(OP))
        })?;
        let all: i64 = row.try_get(0).map_err(Error::query(OP))?;
        let active: i64 = row.try_get(1).map_err(Error::query(OP))?;
        Ok(UserCounts {
            all: u64::try_from(all).unwrap_or_default(),
            active: u64::try_from(active).unwrap_or_default(),
        })
    }
}
