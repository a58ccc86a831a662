//! `EmailChange` and `PasswordReset`: single-use tokens with expiry.

use hcpool_core::backend::{EmailChange, PasswordReset};
use hcpool_core::{Secret, UserId};

use super::{blank, in_tx, on_conn, Redo, SqlStore};
use crate::error::{Error, Result};
use crate::rows::{self, db_id};

impl SqlStore {
    pub(crate) async fn create_email_change(&self, c: &EmailChange) -> Result<()> {
        const OP: &str = "create_email_change";
        in_tx!(self, OP, Redo::Once, |tx| {
            if self.email_taken(&mut tx, OP, &c.new_email, None).await? {
                return Err(Error::Conflict("email already in use"));
            }
            sqlx::query(
                "INSERT INTO EmailChange (UserId, NewEmail, Token, Created, Expires) \
             VALUES (?, ?, ?, ?, ?)",
            )
            .bind(db_id(c.user_id).unwrap_or(-1))
            .bind(&c.new_email)
            .bind(c.token.expose())
            .bind(c.created)
            .bind(c.expires)
            .execute(&mut *tx)
            .await
            .map_err(Error::query(OP))?;
            Ok(())
        })
    }

    pub(crate) async fn email_change(&self, token: &str) -> Result<Option<EmailChange>> {
        if blank(token) {
            return Ok(None);
        }
        let row = on_conn!(self, "email_change", Redo::Idempotent, |c| {
            sqlx::query(
                "SELECT EmailChangeID, UserId, NewEmail, Token, Created, Expires FROM EmailChange \
             WHERE Token = ? ORDER BY EmailChangeID LIMIT 1",
            )
            .bind(token)
            .fetch_optional(&mut *c)
            .await
            .map_err(Error::query("email_change"))
        })?;
        row.as_ref().map(rows::email_change).transpose()
    }

    pub(crate) async fn apply_email_change(&self, token: &str, now: i64) -> Result<Option<UserId>> {
        const OP: &str = "apply_email_change";
        if blank(token) {
            return Ok(None);
        }
        in_tx!(self, OP, Redo::Once, |tx| {
            let sql = format!(
                "SELECT EmailChangeID, UserId, NewEmail, Token, Created, Expires FROM EmailChange \
             WHERE Token = ? AND Expires > ? ORDER BY EmailChangeID LIMIT 1{}",
                self.for_update()
            );
            let Some(row) = sqlx::query(&sql)
                .bind(token)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Error::query(OP))?
            else {
                return Ok(None);
            };
            let change = rows::email_change(&row)?;
            let Some(uid) = db_id(change.user_id) else {
                return Ok(None);
            };
            if self
                .email_taken(&mut tx, OP, &change.new_email, Some(uid))
                .await?
            {
                return Err(Error::Conflict("email already in use"));
            }
            let done = sqlx::query("UPDATE Users SET Email = ? WHERE UserId = ?")
                .bind(&change.new_email)
                .bind(uid)
                .execute(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            if done.rows_affected() == 0 {
                return Ok(None);
            }
            // The user's claim moves to the new email.
            sqlx::query("DELETE FROM hcpool_emails WHERE UserId = ?")
                .bind(uid)
                .execute(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            Self::claim_email(&mut tx, OP, &change.new_email, uid).await?;
            // Deletes this change with the user's other pending ones.
            Self::revoke(&mut tx, OP, uid).await?;
            Ok(Some(change.user_id))
        })
    }

    pub(crate) async fn create_password_reset(&self, r: &PasswordReset) -> Result<()> {
        on_conn!(self, "create_password_reset", Redo::Once, |c| {
            sqlx::query(
                "INSERT INTO PasswordReset (UserId, Token, Created, Expires) VALUES (?, ?, ?, ?)",
            )
            .bind(db_id(r.user_id).unwrap_or(-1))
            .bind(r.token.expose())
            .bind(r.created)
            .bind(r.expires)
            .execute(&mut *c)
            .await
            .map_err(Error::query("create_password_reset"))
        })?;
        Ok(())
    }

    pub(crate) async fn password_reset(&self, token: &str) -> Result<Option<PasswordReset>> {
        if blank(token) {
            return Ok(None);
        }
        let row = on_conn!(self, "password_reset", Redo::Idempotent, |c| {
            sqlx::query(
                "SELECT PasswordResetID, UserId, Token, Created, Expires FROM PasswordReset \
             WHERE Token = ? ORDER BY PasswordResetID LIMIT 1",
            )
            .bind(token)
            .fetch_optional(&mut *c)
            .await
            .map_err(Error::query("password_reset"))
        })?;
        row.as_ref().map(rows::password_reset).transpose()
    }

    pub(crate) async fn reset_password(
        &self,
        token: &str,
        now: i64,
        hash: &Secret<String>,
    ) -> Result<Option<UserId>> {
        const OP: &str = "reset_password";
        if blank(token) {
            return Ok(None);
        }
        in_tx!(self, OP, Redo::Once, |tx| {
            let sql = format!(
                "SELECT PasswordResetID, UserId, Token, Created, Expires FROM PasswordReset \
             WHERE Token = ? AND Expires > ? ORDER BY PasswordResetID LIMIT 1{}",
                self.for_update()
            );
            let Some(row) = sqlx::query(&sql)
                .bind(token)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Error::query(OP))?
            else {
                return Ok(None);
            };
            let reset = rows::password_reset(&row)?;
            let Some(uid) = db_id(reset.user_id) else {
                return Ok(None);
            };
            let done = sqlx::query("UPDATE Users SET Password = ? WHERE UserId = ?")
                .bind(hash.expose().as_bytes().to_vec())
                .bind(uid)
                .execute(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            if done.rows_affected() == 0 {
                return Ok(None);
            }
            Self::revoke(&mut tx, OP, uid).await?;
            Ok(Some(reset.user_id))
        })
    }
}
