//! `LowFeeTicket`: tickets an admin lets vote although their pool fee was too low.

use std::collections::HashSet;

use hcpool_core::backend::{LowFeeTicket, NewLowFeeTicket, TicketEntry};
use hcpool_core::TicketHash;

use super::{in_tx, on_conn, Redo, SqlStore};
use crate::error::{Error, Result};
use crate::rows::{self, db_id, TICKET_COLUMNS};

/// Hashes per `DELETE … IN (…)` statement.
const BATCH: usize = 500;

impl SqlStore {
    pub(crate) async fn add_low_fee_tickets(&self, tickets: &[NewLowFeeTicket]) -> Result<u64> {
        const OP: &str = "add_low_fee_tickets";
        if tickets.is_empty() {
            return Ok(0);
        }
        in_tx!(self, OP, Redo::Once, |tx| {
            let mut seen = HashSet::new();
            let mut n = 0;
            let exists = format!(
                "SELECT LowFeeTicketID FROM LowFeeTicket WHERE TicketHash = ? LIMIT 1{}",
                self.for_update()
            );
            for t in tickets {
                let hash = t.ticket_hash.to_string();
                if !seen.insert(t.ticket_hash) {
                    continue;
                }
                let present = sqlx::query(&exists)
                    .bind(&hash)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(Error::query(OP))?;
                if present.is_some() {
                    continue;
                }
                // TicketExpiry is always 0, as hcstakepool writes it.
                sqlx::query(
                "INSERT INTO LowFeeTicket (AddedByUid, TicketAddress, TicketHash, TicketExpiry, \
                 Voted, Created, Expires) VALUES (?, ?, ?, 0, 0, ?, ?)",
            )
            .bind(db_id(t.added_by).unwrap_or(-1))
            .bind(crate::rows::format_address(&t.ticket_address))
            .bind(&hash)
            .bind(t.created)
            .bind(t.expires)
            .execute(&mut *tx)
            .await
            .map_err(Error::query(OP))?;
                n += 1;
            }
            Ok(n)
        })
    }

    pub(crate) async fn remove_low_fee_tickets(&self, hashes: &[TicketHash]) -> Result<u64> {
        const OP: &str = "remove_low_fee_tickets";
        if hashes.is_empty() {
            return Ok(0);
        }
        in_tx!(self, OP, Redo::Once, |tx| {
            let mut n = 0;
            for chunk in hashes.chunks(BATCH) {
                let marks = vec!["?"; chunk.len()].join(", ");
                let sql = format!("DELETE FROM LowFeeTicket WHERE TicketHash IN ({marks})");
                let mut q = sqlx::query(&sql);
                for h in chunk {
                    q = q.bind(h.to_string());
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

    pub(crate) async fn mark_low_fee_ticket_voted(&self, hash: &TicketHash) -> Result<bool> {
        let done = on_conn!(self, "mark_low_fee_ticket_voted", Redo::Idempotent, |c| {
            sqlx::query("UPDATE LowFeeTicket SET Voted = 1 WHERE TicketHash = ?")
                .bind(hash.to_string())
                .execute(&mut *c)
                .await
                .map_err(Error::query("mark_low_fee_ticket_voted"))
        })?;
        Ok(done.rows_affected() > 0)
    }

    pub(crate) async fn votable_low_fee_tickets(&self, now: i64) -> Result<Vec<LowFeeTicket>> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM LowFeeTicket WHERE Voted = 0 AND Expires > ? \
             ORDER BY LowFeeTicketID"
        );
        let rows = on_conn!(self, "votable_low_fee_tickets", Redo::Idempotent, |c| {
            sqlx::query(&sql)
                .bind(now)
                .fetch_all(&mut *c)
                .await
                .map_err(Error::query("votable_low_fee_tickets"))
        })?;
        rows.iter().map(rows::low_fee_ticket).collect()
    }

    pub(crate) async fn low_fee_ticket_entries(&self) -> Result<Vec<TicketEntry>> {
        let rows = on_conn!(self, "low_fee_ticket_entries", Redo::Idempotent, |c| {
            sqlx::query(
                "SELECT LowFeeTicketID, TicketAddress, TicketHash FROM LowFeeTicket \
             ORDER BY LowFeeTicketID",
            )
            .fetch_all(&mut *c)
            .await
            .map_err(Error::query("low_fee_ticket_entries"))
        })?;
        rows.iter().map(rows::ticket_entry).collect()
    }
}
