//! `hcpool_mail_outbox`: mail waiting to be sent, claimed with a lease by any instance.

use hcpool_core::backend::OutboxMail;
use sqlx::Row;

use super::SqlStore;
use crate::error::{Error, Result};
use crate::rows::{self, OUTBOX_COLUMNS};

impl SqlStore {
    pub(crate) async fn enqueue_mail(&self, m: &OutboxMail) -> Result<i64> {
        const OP: &str = "enqueue_mail";
        let mut conn = self.pool.acquire().await.map_err(Error::query(OP))?;
        let done = sqlx::query(
            "INSERT INTO hcpool_mail_outbox (kind, recipient, subject, body, ip, attempts, \
             next_attempt, created) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
        )
        .bind(&m.kind)
        .bind(&m.recipient)
        .bind(&m.subject)
        .bind(m.body.expose())
        .bind(&m.ip)
        .bind(m.next_attempt)
        .bind(m.created)
        .execute(&mut *conn)
        .await
        .map_err(Error::query(OP))?;
        match done.last_insert_id() {
            Some(id) => Ok(id),
            // sqlx's Any driver does not pass SQLite's rowid through; ask on the same
            // connection.
            None => sqlx::query("SELECT last_insert_rowid()")
                .fetch_one(&mut *conn)
                .await
                .and_then(|row| row.try_get::<i64, _>(0))
                .map_err(Error::query(OP)),
        }
    }

    pub(crate) async fn claim_mail(
        &self,
        now: i64,
        lease_until: i64,
        limit: u32,
    ) -> Result<Vec<OutboxMail>> {
        const OP: &str = "claim_mail";
        let mut tx = self.begin_write(OP).await?;
        let sql = format!(
            "SELECT {OUTBOX_COLUMNS} FROM hcpool_mail_outbox WHERE next_attempt <= ? \
             ORDER BY id LIMIT {limit}{}",
            self.for_update()
        );
        let found = sqlx::query(&sql)
            .bind(now)
            .fetch_all(&mut *tx)
            .await
            .map_err(Error::query(OP))?;
        let mut claimed = Vec::with_capacity(found.len());
        for row in &found {
            let mut m = rows::outbox_mail(row)?;
            sqlx::query(
                "UPDATE hcpool_mail_outbox SET attempts = attempts + 1, next_attempt = ? \
                 WHERE id = ?",
            )
            .bind(lease_until)
            .bind(m.id)
            .execute(&mut *tx)
            .await
            .map_err(Error::query(OP))?;
            m.attempts = m.attempts.saturating_add(1);
            m.next_attempt = lease_until;
            claimed.push(m);
        }
        tx.commit().await.map_err(Error::query(OP))?;
        Ok(claimed)
    }

    pub(crate) async fn delete_mail(&self, id: i64, attempts: u32) -> Result<bool> {
        let done = sqlx::query("DELETE FROM hcpool_mail_outbox WHERE id = ? AND attempts = ?")
            .bind(id)
            .bind(i64::from(attempts))
            .execute(&self.pool)
            .await
            .map_err(Error::query("delete_mail"))?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn retry_mail(
        &self,
        id: i64,
        attempts: u32,
        next_attempt: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE hcpool_mail_outbox SET next_attempt = ? WHERE id = ? AND attempts = ?",
        )
        .bind(next_attempt)
        .bind(id)
        .bind(i64::from(attempts))
        .execute(&self.pool)
        .await
        .map_err(Error::query("retry_mail"))?;
        Ok(done.rows_affected() > 0)
    }
}
