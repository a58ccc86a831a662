//! `hcpool_sessions`: server-side web sessions, revocable, and the sign-up captcha
//! challenges.
//!
//! Challenges live in the same table as rows of user id 0 (no account has it), as they did
//! when hcpool-web stored them as sessions: no migration, instances of the previous version
//! and of this one answer each other's challenges during a rolling upgrade, and the purge of
//! expired sessions already covers them. The id hashes cannot collide with a session's
//! (hcpool-web hashes `captcha:<id>` for challenges and the cookie value for sessions).

use hcpool_core::backend::{Challenge, Session};
use hcpool_core::{Secret, UserId};

use sqlx::Row;

use super::{in_tx, on_conn, Redo, SqlStore};
use crate::error::{Error, Result};
use crate::rows::{self, db_id, SESSION_COLUMNS};

/// The `user_id` of challenge rows.
const CHALLENGE_OWNER: i64 = 0;

impl SqlStore {
    pub(crate) async fn create_session(&self, s: &Session) -> Result<()> {
        on_conn!(self, "create_session", Redo::Once, |c| {
            sqlx::query(
                "INSERT INTO hcpool_sessions (id_hash, user_id, csrf_token, created, expires, \
             last_seen) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(&s.id_hash)
            .bind(db_id(s.user_id).unwrap_or(-1))
            .bind(s.csrf_token.expose())
            .bind(s.created)
            .bind(s.expires)
            .bind(s.last_seen)
            .execute(&mut *c)
            .await
            .map_err(Error::query("create_session"))
        })?;
        Ok(())
    }

    pub(crate) async fn session(&self, id_hash: &str, now: i64) -> Result<Option<Session>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM hcpool_sessions WHERE id_hash = ? AND expires > ?"
        );
        let row = on_conn!(self, "session", Redo::Idempotent, |c| {
            sqlx::query(&sql)
                .bind(id_hash)
                .bind(now)
                .fetch_optional(&mut *c)
                .await
                .map_err(Error::query("session"))
        })?;
        row.as_ref().map(rows::session).transpose()
    }

    pub(crate) async fn touch_session(
        &self,
        id_hash: &str,
        now: i64,
        expires: i64,
    ) -> Result<bool> {
        let done = on_conn!(self, "touch_session", Redo::Idempotent, |c| {
            sqlx::query(
                "UPDATE hcpool_sessions SET last_seen = ?, expires = ? \
             WHERE id_hash = ? AND expires > ?",
            )
            .bind(now)
            .bind(expires)
            .bind(id_hash)
            .bind(now)
            .execute(&mut *c)
            .await
            .map_err(Error::query("touch_session"))
        })?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn delete_session(&self, id_hash: &str) -> Result<bool> {
        let done = on_conn!(self, "delete_session", Redo::Once, |c| {
            sqlx::query("DELETE FROM hcpool_sessions WHERE id_hash = ?")
                .bind(id_hash)
                .execute(&mut *c)
                .await
                .map_err(Error::query("delete_session"))
        })?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn delete_user_sessions(&self, id: UserId) -> Result<u64> {
        let Some(id) = db_id(id) else {
            return Ok(0);
        };
        let done = on_conn!(self, "delete_user_sessions", Redo::Idempotent, |c| {
            sqlx::query("DELETE FROM hcpool_sessions WHERE user_id = ?")
                .bind(id)
                .execute(&mut *c)
                .await
                .map_err(Error::query("delete_user_sessions"))
        })?;
        Ok(done.rows_affected())
    }

    pub(crate) async fn create_challenge(&self, c: &Challenge) -> Result<()> {
        on_conn!(self, "create_challenge", Redo::Once, |conn| {
            sqlx::query(
                "INSERT INTO hcpool_sessions (id_hash, user_id, csrf_token, created, expires, \
             last_seen) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(&c.id_hash)
            .bind(CHALLENGE_OWNER)
            .bind(c.answer_hash.expose())
            .bind(c.created)
            .bind(c.expires)
            .bind(c.created)
            .execute(&mut *conn)
            .await
            .map_err(Error::query("create_challenge"))
        })?;
        Ok(())
    }

    pub(crate) async fn take_challenge(
        &self,
        id_hash: &str,
        now: i64,
    ) -> Result<Option<Secret<String>>> {
        const OP: &str = "take_challenge";
        in_tx!(self, OP, Redo::Once, |tx| {
            let sql = format!(
                "SELECT csrf_token FROM hcpool_sessions \
             WHERE id_hash = ? AND user_id = ? AND expires > ?{}",
                self.for_update()
            );
            let Some(row) = sqlx::query(&sql)
                .bind(id_hash)
                .bind(CHALLENGE_OWNER)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Error::query(OP))?
            else {
                return Ok(None);
            };
            let answer: String = row.try_get("csrf_token").map_err(|e| Error::CorruptRow {
                table: "hcpool_sessions",
                id: 0,
                column: "csrf_token",
                reason: e.to_string(),
            })?;
            let done = sqlx::query("DELETE FROM hcpool_sessions WHERE id_hash = ? AND user_id = ?")
                .bind(id_hash)
                .bind(CHALLENGE_OWNER)
                .execute(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            Ok((done.rows_affected() > 0).then(|| Secret::new(answer)))
        })
    }

    pub(crate) async fn purge_expired(&self, now: i64) -> Result<u64> {
        const OP: &str = "purge_expired";
        in_tx!(self, OP, Redo::Idempotent, |tx| {
            let mut n = 0;
            for sql in [
                "DELETE FROM hcpool_sessions WHERE expires <= ?",
                "DELETE FROM EmailChange WHERE Expires <= ?",
                "DELETE FROM PasswordReset WHERE Expires <= ?",
            ] {
                n += sqlx::query(sql)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(Error::query(OP))?
                    .rows_affected();
            }
            Ok(n)
        })
    }
}
