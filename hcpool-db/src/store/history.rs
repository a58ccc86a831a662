//! `hcpool_history`: one sample of the stake info per block, for the charts.

use hcpool_core::backend::HistorySample;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{on_conn, Redo, SqlStore};
use crate::error::{Error, Result};
use crate::url::Backend;

/// Heights per `DELETE … IN (…)` statement.
const BATCH: usize = 500;

/// A stored count back to `u32` (a value out of range reads as the nearest bound).
fn count(row: &AnyRow, col: &str) -> std::result::Result<u32, sqlx::Error> {
    let v: i64 = row.try_get(col)?;
    Ok(u32::try_from(v.max(0)).unwrap_or(u32::MAX))
}

fn sample(row: &AnyRow) -> std::result::Result<HistorySample, sqlx::Error> {
    Ok(HistorySample {
        height: count(row, "height")?,
        time: row.try_get("sampled_at")?,
        live: count(row, "live")?,
        voted: count(row, "voted")?,
        missed: count(row, "missed")?,
        network_live: count(row, "network_live")?,
        ticket_price: row.try_get("ticket_price")?,
    })
}

impl SqlStore {
    pub(crate) async fn record_sample(&self, s: &HistorySample) -> Result<bool> {
        const OP: &str = "record_sample";
        // A height already there (another instance recorded the block) is left as it is.
        let sql = match self.backend {
            Backend::MySql => {
                // Not ON DUPLICATE KEY UPDATE: with sqlx's CLIENT_FOUND_ROWS a duplicate
                // reports one row affected.
                "INSERT IGNORE INTO hcpool_history (height, sampled_at, live, voted, missed, \
                 network_live, ticket_price) VALUES (?, ?, ?, ?, ?, ?, ?)"
            }
            Backend::Sqlite => {
                "INSERT INTO hcpool_history (height, sampled_at, live, voted, missed, \
                 network_live, ticket_price) VALUES (?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (height) DO NOTHING"
            }
        };
        let price = if s.ticket_price.is_finite() {
            s.ticket_price
        } else {
            0.0
        };
        let done = on_conn!(self, OP, Redo::Once, |c| {
            sqlx::query(sql)
                .bind(i64::from(s.height))
                .bind(s.time)
                .bind(i64::from(s.live))
                .bind(i64::from(s.voted))
                .bind(i64::from(s.missed))
                .bind(i64::from(s.network_live))
                .bind(price)
                .execute(&mut *c)
                .await
                .map_err(Error::query(OP))
        })?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn history_samples(
        &self,
        since: i64,
        until: i64,
    ) -> Result<Vec<HistorySample>> {
        const OP: &str = "history_samples";
        let rows = on_conn!(self, OP, Redo::Idempotent, |c| {
            sqlx::query(
                "SELECT height, sampled_at, live, voted, missed, network_live, ticket_price \
                 FROM hcpool_history WHERE sampled_at >= ? AND sampled_at < ? ORDER BY height",
            )
            .bind(since)
            .bind(until)
            .fetch_all(&mut *c)
            .await
            .map_err(Error::query(OP))
        })?;
        rows.iter()
            .map(sample)
            .collect::<std::result::Result<_, _>>()
            .map_err(Error::query(OP))
    }

    pub(crate) async fn delete_history_samples(&self, heights: &[u32]) -> Result<u64> {
        const OP: &str = "delete_history_samples";
        let mut n = 0;
        for chunk in heights.chunks(BATCH) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!("DELETE FROM hcpool_history WHERE height IN ({marks})");
            let done = on_conn!(self, OP, Redo::Idempotent, |c| {
                let mut q = sqlx::query(&sql);
                for h in chunk {
                    q = q.bind(i64::from(*h));
                }
                q.execute(&mut *c).await.map_err(Error::query(OP))
            })?;
            n += done.rows_affected();
        }
        Ok(n)
    }
}
