//! `hcpool_erasures`: account deletion (hcpool-core's `ErasureStore`) and the reads of a
//! user's own rows the data export shows. What a deleted account's `Users` row keeps, and
//! why it stays as a tombstone, is in `hcpool_core::service::erasure`.

use hcpool_core::backend::{
    erased_email, EmailChange, EmailVerification, ErasureRecord, ErasureStarted, Session,
    ERASED_PASSWORD,
};
use hcpool_core::UserId;

use super::{in_tx, on_conn, Redo, SqlStore};
use crate::error::{Error, Result};
use crate::rows::{self, db_id, SESSION_COLUMNS};

/// The columns of erasure queries (`hcpool_erasures` joined with `Users`), in
/// [`rows::erasure`]'s order.
const ERASURE_QUERY: &str = "SELECT e.UserId, e.requested, e.erased, u.MultiSigAddress \
     FROM hcpool_erasures e LEFT JOIN Users u ON u.UserId = e.UserId";

impl SqlStore {
    pub(crate) async fn erase_account(
        &self,
        id: UserId,
        now: i64,
    ) -> Result<Option<ErasureStarted>> {
        const OP: &str = "erase_account";
        let Some(uid) = db_id(id) else {
            return Ok(None);
        };
        let select = format!(
            "SELECT Password, Email, MultiSigAddress FROM Users WHERE UserId = ?{}",
            self.for_update()
        );
        let placeholder = erased_email(id);
        in_tx!(self, OP, Redo::Once, |tx| {
            let Some(row) = sqlx::query(&select)
                .bind(uid)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Error::query(OP))?
            else {
                return Ok(None);
            };
            let (password, email, multisig) = rows::erase_target(&row, uid)?;
            if password == ERASED_PASSWORD.as_bytes() {
                return Ok(None);
            }
            let complete = multisig.is_empty();
            sqlx::query(
                "UPDATE Users SET Email = ?, Username = ?, Password = ?, EmailVerified = ?, \
                 EmailToken = '', APIToken = '' WHERE UserId = ?",
            )
            .bind(&placeholder)
            .bind(&placeholder)
            .bind(ERASED_PASSWORD.as_bytes().to_vec())
            .bind(EmailVerification::Pending.code())
            .bind(uid)
            .execute(&mut *tx)
            .await
            .map_err(Error::query(OP))?;
            let sessions = Self::revoke(&mut tx, OP, uid).await?;
            let mails = if email.trim().is_empty() {
                0
            } else {
                sqlx::query("DELETE FROM hcpool_mail_outbox WHERE LOWER(recipient) = LOWER(?)")
                    .bind(email.trim())
                    .execute(&mut *tx)
                    .await
                    .map_err(Error::query(OP))?
                    .rows_affected()
            };
            // The user's claim goes (the email can sign up again); the placeholder is
            // claimed, as every email in use is.
            sqlx::query("DELETE FROM hcpool_emails WHERE UserId = ?")
                .bind(uid)
                .execute(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            Self::claim_email(&mut tx, OP, &placeholder, uid).await?;
            sqlx::query("DELETE FROM hcpool_vote_records WHERE user_id = ?")
                .bind(uid)
                .execute(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            for (sql, with_erased) in [
                ("DELETE FROM hcpool_erasures WHERE UserId = ?", false),
                (
                    "INSERT INTO hcpool_erasures (UserId, requested, erased) VALUES (?, ?, ?)",
                    true,
                ),
            ] {
                let mut q = sqlx::query(sql).bind(uid);
                if with_erased {
                    q = q.bind(now).bind(if complete { now } else { 0 });
                }
                q.execute(&mut *tx).await.map_err(Error::query(OP))?;
            }
            Ok(Some(ErasureStarted {
                sessions,
                mails,
                complete,
            }))
        })
    }

    pub(crate) async fn pending_erasures(&self) -> Result<Vec<ErasureRecord>> {
        const OP: &str = "pending_erasures";
        let sql = format!("{ERASURE_QUERY} WHERE e.erased = 0 ORDER BY e.UserId");
        let found = on_conn!(self, OP, Redo::Idempotent, |c| {
            sqlx::query(&sql)
                .fetch_all(&mut *c)
                .await
                .map_err(Error::query(OP))
        })?;
        found.iter().map(rows::erasure).collect()
    }

    pub(crate) async fn erasure(&self, id: UserId) -> Result<Option<ErasureRecord>> {
        const OP: &str = "erasure";
        let Some(uid) = db_id(id) else {
            return Ok(None);
        };
        let sql = format!("{ERASURE_QUERY} WHERE e.UserId = ?");
        let row = on_conn!(self, OP, Redo::Idempotent, |c| {
            sqlx::query(&sql)
                .bind(uid)
                .fetch_optional(&mut *c)
                .await
                .map_err(Error::query(OP))
        })?;
        row.as_ref().map(rows::erasure).transpose()
    }

    pub(crate) async fn finish_erasure(&self, id: UserId, now: i64) -> Result<bool> {
        const OP: &str = "finish_erasure";
        let Some(uid) = db_id(id) else {
            return Ok(false);
        };
        let select = format!(
            "SELECT erased FROM hcpool_erasures WHERE UserId = ? AND erased = 0{}",
            self.for_update()
        );
        in_tx!(self, OP, Redo::Idempotent, |tx| {
            let pending = sqlx::query(&select)
                .bind(uid)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            if pending.is_none() {
                return Ok(false);
            }
            // Only a row that is still the deleted account's (its password locked).
            sqlx::query(
                "UPDATE Users SET MultiSigAddress = '', MultiSigScript = '', \
                 PoolPubKeyAddr = '', UserPubKeyAddr = '', UserFeeAddr = '', \
                 HeightRegistered = 0, VoteBits = 1 WHERE UserId = ? AND Password = ?",
            )
            .bind(uid)
            .bind(ERASED_PASSWORD.as_bytes().to_vec())
            .execute(&mut *tx)
            .await
            .map_err(Error::query(OP))?;
            // A request that was running at the deletion may have stored a record since.
            sqlx::query("DELETE FROM hcpool_vote_records WHERE user_id = ?")
                .bind(uid)
                .execute(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            sqlx::query("UPDATE hcpool_erasures SET erased = ? WHERE UserId = ? AND erased = 0")
                .bind(now.max(1))
                .bind(uid)
                .execute(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            Ok(true)
        })
    }

    pub(crate) async fn user_sessions(&self, id: UserId) -> Result<Vec<Session>> {
        const OP: &str = "user_sessions";
        let Some(uid) = db_id(id) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM hcpool_sessions WHERE user_id = ? \
             ORDER BY created, id_hash"
        );
        let found = on_conn!(self, OP, Redo::Idempotent, |c| {
            sqlx::query(&sql)
                .bind(uid)
                .fetch_all(&mut *c)
                .await
                .map_err(Error::query(OP))
        })?;
        found.iter().map(rows::session).collect()
    }

    pub(crate) async fn user_email_changes(&self, id: UserId) -> Result<Vec<EmailChange>> {
        const OP: &str = "user_email_changes";
        let Some(uid) = db_id(id) else {
            return Ok(Vec::new());
        };
        let found = on_conn!(self, OP, Redo::Idempotent, |c| {
            sqlx::query(
                "SELECT EmailChangeID, UserId, NewEmail, Token, Created, Expires \
                 FROM EmailChange WHERE UserId = ? ORDER BY Created, EmailChangeID",
            )
            .bind(uid)
            .fetch_all(&mut *c)
            .await
            .map_err(Error::query(OP))
        })?;
        found.iter().map(rows::email_change).collect()
    }
}
