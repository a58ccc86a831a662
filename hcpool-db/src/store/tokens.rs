//! `EmailChange` and `PasswordReset`: single-use tokens with expiry.

use hcpool_core::backend::{EmailChange, PasswordReset};
use hcpool_core::{Secret, UserId};

use super::{blank, rollback, SqlStore};
use crate::error::{Error, Result};
use crate::rows::{self, db_id};

impl SqlStore {
    pub(crate) async fn create_email_change(&self, c: &EmailChange) -> Result<()> {
        const OP: &str = "create_email_change";
        let mut tx = self.begin_write(OP).await?;
        if self.email_taken(&mut tx, OP, &c.new_email, None).await? {
            return rollback(tx, Err(Error::Conflict("email already in use"))).await;
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
        tx.commit().await.map_err(Error::query(OP))
    }

    pub(crate) async fn email_change(&self, token: &str) -> Result<Option<EmailChange>> {
        if blank(token) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT EmailChangeID, UserId, NewEmail, Token, Created, Expires FROM EmailChange \
             WHERE Token = ? ORDER BY EmailChangeID LIMIT 1",
        )
        .bind(token)
        .fetch_optional(&self.pool)
        .await
        .map_err(Error::query("email_change"))?;
        row.as_ref().map(rows::email_change).transpose()
    }

    pub(crate) async fn apply_email_change(&self, token: &str, now: i64) -> Result<Option<UserId>> {
        const OP: &str = "apply_email_change";
        if blank(token) {
            return Ok(None);
        }
        let mut tx = self.begin_write(OP).await?;
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
            return rollback(tx, Ok(None)).await;
        };
        let change = rows::email_change(&row)?;
        let Some(uid) = db_id(change.user_id) else {
            return rollback(tx, Ok(None)).await;
        };
        if self
            .email_taken(&mut tx, OP, &change.new_email, Some(uid))
            .await?
        {
            return rollback(tx, Err(Error::Conflict("email already in use"))).await;
        }
        let done = sqlx::query("UPDATE Users SET Email = ? WHERE UserId = ?")
            .bind(&change.new_email)
            .bind(uid)
            .execute(&mut *tx)
            .await
            .map_err(Error::query(OP))?;
        if done.rows_affected() == 0 {
            return rollback(tx, Ok(None)).await;
        }
        // Deletes this change with the user's other pending ones.
        Self::revoke(&mut tx, OP, uid).await?;
        tx.commit().await.map_err(Error::query(OP))?;
        Ok(Some(change.user_id))
    }

    pub(crate) async fn create_password_reset(&self, r: &PasswordReset) -> Result<()> {
        sqlx::query(
            "INSERT INTO PasswordReset (UserId, Token, Created, Expires) VALUES (?, ?, ?, ?)",
        )
        .bind(db_id(r.user_id).unwrap_or(-1))
        .bind(r.token.expose())
        .bind(r.created)
        .bind(r.expires)
        .execute(&self.pool)
        .await
        .map_err(Error::query("create_password_reset"))?;
        Ok(())
    }

    pub(crate) async fn password_reset(&self, token: &str) -> Result<Option<PasswordReset>> {
        if blank(token) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT PasswordResetID, UserId, Token, Created, Expires FROM PasswordReset \
             WHERE Token = ? ORDER BY PasswordResetID LIMIT 1",
        )
        .bind(token)
        .fetch_optional(&self.pool)
        .await
        .map_err(Error::query("password_reset"))?;
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
        let mut tx = self.begin_write(OP).await?;
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
            return rollback(tx, Ok(None)).await;
        };
        let reset = rows::password_reset(&row)?;
        let Some(uid) = db_id(reset.user_id) else {
            return rollback(tx, Ok(None)).await;
        };
        let done = sqlx::query("UPDATE Users SET Password = ? WHERE UserId = ?")
            .bind(hash.expose().as_bytes().to_vec())
            .bind(uid)
            .execute(&mut *tx)
            .await
            .map_err(Error::query(OP))?;
        if done.rows_affected() == 0 {
            return rollback(tx, Ok(None)).await;
        }
        Self::revoke(&mut tx, OP, uid).await?;
        tx.commit().await.map_err(Error::query(OP))?;
        Ok(Some(reset.user_id))
    }
}
