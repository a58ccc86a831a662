//! `EmailChange` and `PasswordReset`: single-use tokens with expiry.

use hcpool_core::backend::{EmailChange, PasswordReset};
use hcpool_core::{Secret, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use super::{blank, in_tx, on_conn, Redo, SqlStore};
use crate::error::{Error, Result};
use crate::rows::{self, db_id};

/// The two tables of single-use tokens; looking a token up and consuming it is the same
/// for both.
#[derive(Debug, Clone, Copy)]
enum TokenTable {
    EmailChange,
    PasswordReset,
}

impl TokenTable {
    /// `SELECT <the columns rows:: reads> FROM <table>`.
    fn select(self) -> &'static str {
        match self {
            TokenTable::EmailChange => {
                "SELECT EmailChangeID, UserId, NewEmail, Token, Created, Expires FROM EmailChange"
            }
            TokenTable::PasswordReset => {
                "SELECT PasswordResetID, UserId, Token, Created, Expires FROM PasswordReset"
            }
        }
    }

    /// The id column: with duplicate tokens, the oldest row answers.
    fn id_column(self) -> &'static str {
        match self {
            TokenTable::EmailChange => "EmailChangeID",
            TokenTable::PasswordReset => "PasswordResetID",
        }
    }
}

impl SqlStore {
    /// The row holding `token`, expired or not, without consuming it; never for a blank
    /// token.
    async fn token_row(
        &self,
        table: TokenTable,
        op: &'static str,
        token: &str,
    ) -> Result<Option<AnyRow>> {
        if blank(token) {
            return Ok(None);
        }
        let sql = format!(
            "{} WHERE Token = ? ORDER BY {} LIMIT 1",
            table.select(),
            table.id_column()
        );
        on_conn!(self, op, Redo::Idempotent, |c| {
            sqlx::query(&sql)
                .bind(token)
                .fetch_optional(&mut *c)
                .await
                .map_err(Error::query(op))
        })
    }

    /// In `tx`: the row holding `token` if it has not expired at `now`, locked until the
    /// transaction ends (the caller consumes it: applies it and revokes the user's tokens).
    /// The caller has refused a blank token.
    async fn live_token_row(
        &self,
        tx: &mut Transaction<'static, Any>,
        table: TokenTable,
        op: &'static str,
        token: &str,
        now: i64,
    ) -> Result<Option<AnyRow>> {
        let sql = format!(
            "{} WHERE Token = ? AND Expires > ? ORDER BY {} LIMIT 1{}",
            table.select(),
            table.id_column(),
            self.for_update()
        );
        sqlx::query(&sql)
            .bind(token)
            .bind(now)
            .fetch_optional(&mut **tx)
            .await
            .map_err(Error::query(op))
    }

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
        let row = self
            .token_row(TokenTable::EmailChange, "email_change", token)
            .await?;
        row.as_ref().map(rows::email_change).transpose()
    }

    pub(crate) async fn apply_email_change(&self, token: &str, now: i64) -> Result<Option<UserId>> {
        const OP: &str = "apply_email_change";
        if blank(token) {
            return Ok(None);
        }
        in_tx!(self, OP, Redo::Once, |tx| {
            let Some(row) = self
                .live_token_row(&mut tx, TokenTable::EmailChange, OP, token, now)
                .await?
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
        let row = self
            .token_row(TokenTable::PasswordReset, "password_reset", token)
            .await?;
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
            let Some(row) = self
                .live_token_row(&mut tx, TokenTable::PasswordReset, OP, token, now)
                .await?
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
