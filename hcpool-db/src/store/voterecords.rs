//! `hcpool_vote_records`: each voted ticket's vote record, stored once (hcpool-core's
//! `VoteRecordStore`). Rows are keyed by the ticket: of several instances storing the same
//! ticket's record, one insert wins and the others' are ignored; a replacement after a reorg
//! is conditional on the stored block, so two instances replacing at once do it once.

use hcpool_core::backend::StoredVoteRecord;
use hcpool_core::{BlockHash, UserId};

use super::{in_tx, on_conn, Redo, SqlStore};
use crate::error::{Error, Result};
use crate::rows::{self, db_id, VOTE_RECORD_COLUMNS};
use crate::url::Backend;

/// Rows per multi-row `INSERT` (9 placeholders each; well below SQLite's 32766).
const BATCH: usize = 200;

impl SqlStore {
    pub(crate) async fn vote_records(&self, user: UserId) -> Result<Vec<StoredVoteRecord>> {
        const OP: &str = "vote_records";
        let Some(uid) = db_id(user) else {
            return Ok(Vec::new());
        };
        let sql = format!(
            "SELECT {VOTE_RECORD_COLUMNS} FROM hcpool_vote_records WHERE user_id = ? \
             ORDER BY block_height, ticket_hash"
        );
        let found = on_conn!(self, OP, Redo::Idempotent, |c| {
            sqlx::query(&sql)
                .bind(uid)
                .fetch_all(&mut *c)
                .await
                .map_err(Error::query(OP))
        })?;
        found.iter().map(rows::vote_record).collect()
    }

    pub(crate) async fn put_vote_records(&self, records: &[StoredVoteRecord]) -> Result<u64> {
        const OP: &str = "put_vote_records";
        if records.is_empty() {
            return Ok(0);
        }
        // A ticket already stored keeps its row. MySQL: not ON DUPLICATE KEY UPDATE, which
        // with sqlx's CLIENT_FOUND_ROWS counts a duplicate as a row affected.
        let (head, tail) = match self.backend {
            Backend::MySql => ("INSERT IGNORE INTO", ""),
            Backend::Sqlite => ("INSERT INTO", " ON CONFLICT (ticket_hash) DO NOTHING"),
        };
        let statements: Vec<(String, &[StoredVoteRecord])> = records
            .chunks(BATCH)
            .map(|chunk| {
                let marks = vec!["(?, ?, ?, ?, ?, ?, ?, ?, ?)"; chunk.len()].join(", ");
                (
                    format!(
                        "{head} hcpool_vote_records ({VOTE_RECORD_COLUMNS}) VALUES {marks}{tail}"
                    ),
                    chunk,
                )
            })
            .collect();
        in_tx!(self, OP, Redo::Once, |tx| {
            let mut n = 0;
            for (sql, chunk) in &statements {
                let mut q = sqlx::query(sql);
                for r in *chunk {
                    q = q
                        .bind(r.ticket.to_string())
                        .bind(db_id(r.user_id).unwrap_or(i64::MAX))
                        .bind(r.vote_tx.to_string())
                        .bind(r.block_hash.to_string())
                        .bind(i64::from(r.block_height))
                        .bind(i64::from(r.votebits))
                        .bind(i64::from(r.vote_version))
                        .bind(i64::from(r.requested_votebits))
                        .bind(r.created);
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

    pub(crate) async fn replace_vote_record(
        &self,
        r: &StoredVoteRecord,
        stale_block: &BlockHash,
    ) -> Result<bool> {
        const OP: &str = "replace_vote_record";
        // Rows affected are matched rows on both backends (sqlx's MySQL connections set
        // CLIENT_FOUND_ROWS), so a row in the stale block counts even when nothing changed.
        let done = on_conn!(self, OP, Redo::Once, |c| {
            sqlx::query(
                "UPDATE hcpool_vote_records SET user_id = ?, vote_tx = ?, block_hash = ?, \
                 block_height = ?, votebits = ?, vote_version = ?, requested_votebits = ?, \
                 created = ? WHERE ticket_hash = ? AND block_hash = ?",
            )
            .bind(db_id(r.user_id).unwrap_or(i64::MAX))
            .bind(r.vote_tx.to_string())
            .bind(r.block_hash.to_string())
            .bind(i64::from(r.block_height))
            .bind(i64::from(r.votebits))
            .bind(i64::from(r.vote_version))
            .bind(i64::from(r.requested_votebits))
            .bind(r.created)
            .bind(r.ticket.to_string())
            .bind(stale_block.to_string())
            .execute(&mut *c)
            .await
            .map_err(Error::query(OP))
        })?;
        Ok(done.rows_affected() > 0)
    }
}
