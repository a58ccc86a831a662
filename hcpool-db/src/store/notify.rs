//! `hcpool_notify_prefs` and `hcpool_notify_events`: vote notifications. An event row is
//! keyed by (ticket, event): of several instances recording it, one insert wins and only that
//! transaction stores the mail in the outbox; a digest is claimed by moving the user's
//! `last_digest_day`, in the transaction that stores its mail. `hcpool_notify_scans` keys a
//! block's scan claim by its height: one instance's insert wins.

use hcpool_core::backend::OutboxMail;
use hcpool_core::notify::{
    NotifyEvent, NotifyPrefs, Subscriber, TicketEvent, SCAN_CLAIMS_KEPT, SCAN_OWNER_MAX,
};
use hcpool_core::{TicketHash, UserId};
use sqlx::Row;
use sqlx::{Any, Transaction};

use super::{in_tx, on_conn, Redo, SqlStore};
use crate::error::{Error, Result};
use crate::rows::{self, NOTIFY_EVENT_COLUMNS, NOTIFY_PREFS_COLUMNS};
use crate::url::Backend;

/// Events per `UPDATE … IN (…)` statement of a digest.
const BATCH: usize = 200;

fn id(user: UserId) -> i64 {
    i64::try_from(user.0).unwrap_or(i64::MAX)
}

fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// Stores `m` in the outbox within `tx` (as `enqueue_mail` does on its own).
async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    m: &OutboxMail,
    op: &'static str,
) -> Result<()> {
    sqlx::query(
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
    .execute(&mut **tx)
    .await
    .map_err(Error::query(op))?;
    Ok(())
}

impl SqlStore {
    pub(crate) async fn notify_prefs(&self, user: UserId) -> Result<Option<NotifyPrefs>> {
        const OP: &str = "notify_prefs";
        let row = on_conn!(self, OP, Redo::Idempotent, |c| {
            sqlx::query(&format!(
                "SELECT {NOTIFY_PREFS_COLUMNS} FROM hcpool_notify_prefs WHERE user_id = ?"
            ))
            .bind(id(user))
            .fetch_optional(&mut *c)
            .await
            .map_err(Error::query(OP))
        })?;
        row.as_ref().map(rows::notify_prefs).transpose()
    }

    pub(crate) async fn set_notify_prefs(&self, user: UserId, p: &NotifyPrefs) -> Result<bool> {
        const OP: &str = "set_notify_prefs";
        // The digest day is the digest claim's: an update keeps it.
        let upsert = match self.backend {
            Backend::MySql => {
                "INSERT INTO hcpool_notify_prefs (user_id, on_vote, on_miss, on_revoke, mode, \
                 lang, baseline_height, last_digest_day, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON DUPLICATE KEY UPDATE on_vote = VALUES(on_vote), on_miss = VALUES(on_miss), \
                 on_revoke = VALUES(on_revoke), mode = VALUES(mode), lang = VALUES(lang), \
                 baseline_height = VALUES(baseline_height), updated = VALUES(updated)"
            }
            Backend::Sqlite => {
                "INSERT INTO hcpool_notify_prefs (user_id, on_vote, on_miss, on_revoke, mode, \
                 lang, baseline_height, last_digest_day, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (user_id) DO UPDATE SET on_vote = excluded.on_vote, \
                 on_miss = excluded.on_miss, on_revoke = excluded.on_revoke, mode = excluded.mode, \
                 lang = excluded.lang, baseline_height = excluded.baseline_height, \
                 updated = excluded.updated"
            }
        };
        in_tx!(self, OP, Redo::Idempotent, |tx| {
            let exists = sqlx::query("SELECT UserId FROM Users WHERE UserId = ?")
                .bind(id(user))
                .fetch_optional(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            if exists.is_none() {
                return Ok(false);
            }
            sqlx::query(upsert)
                .bind(id(user))
                .bind(flag(p.on_vote))
                .bind(flag(p.on_miss))
                .bind(flag(p.on_revoke))
                .bind(p.mode.as_str())
                .bind(&p.lang)
                .bind(i64::from(p.baseline_height))
                .bind(p.last_digest_day)
                .bind(p.updated)
                .execute(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            if !p.any() {
                sqlx::query(
                    "UPDATE hcpool_notify_events SET pending = 0 WHERE user_id = ? AND pending = 1",
                )
                .bind(id(user))
                .execute(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            }
            Ok(true)
        })
    }

    pub(crate) async fn notify_subscribers(&self) -> Result<Vec<Subscriber>> {
        const OP: &str = "notify_subscribers";
        let cols: Vec<String> = NOTIFY_PREFS_COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect();
        let sql = format!(
            "SELECT {}, u.Email, u.MultiSigAddress FROM hcpool_notify_prefs p \
             JOIN Users u ON u.UserId = p.user_id \
             WHERE (p.on_vote <> 0 OR p.on_miss <> 0 OR p.on_revoke <> 0) \
             AND u.MultiSigAddress <> '' ORDER BY p.user_id",
            cols.join(", ")
        );
        let found = on_conn!(self, OP, Redo::Idempotent, |c| {
            sqlx::query(&sql)
                .fetch_all(&mut *c)
                .await
                .map_err(Error::query(OP))
        })?;
        found.iter().map(rows::subscriber).collect()
    }

    pub(crate) async fn notify_events_since(
        &self,
        user: UserId,
        height: u32,
    ) -> Result<Vec<(TicketHash, TicketEvent)>> {
        const OP: &str = "notify_events_since";
        let found = on_conn!(self, OP, Redo::Idempotent, |c| {
            sqlx::query(&format!(
                "SELECT {NOTIFY_EVENT_COLUMNS} FROM hcpool_notify_events \
                 WHERE user_id = ? AND height > ?"
            ))
            .bind(id(user))
            .bind(i64::from(height))
            .fetch_all(&mut *c)
            .await
            .map_err(Error::query(OP))
        })?;
        found
            .iter()
            .map(|r| rows::notify_event(r).map(|e| (e.ticket, e.event)))
            .collect()
    }

    pub(crate) async fn record_notify_event(
        &self,
        e: &NotifyEvent,
        mail: Option<&OutboxMail>,
    ) -> Result<bool> {
        const OP: &str = "record_notify_event";
        // A pair already there (another instance recorded it) is left as it is; only the
        // insert that added the row stores the mail. Not ON DUPLICATE KEY UPDATE: with
        // sqlx's CLIENT_FOUND_ROWS a duplicate reports one row affected.
        let sql = match self.backend {
            Backend::MySql => {
                "INSERT IGNORE INTO hcpool_notify_events (ticket_hash, event, user_id, height, \
                 created, pending) VALUES (?, ?, ?, ?, ?, ?)"
            }
            Backend::Sqlite => {
                "INSERT INTO hcpool_notify_events (ticket_hash, event, user_id, height, \
                 created, pending) VALUES (?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (ticket_hash, event) DO NOTHING"
            }
        };
        let ticket = e.ticket.to_string();
        in_tx!(self, OP, Redo::Once, |tx| {
            let done = sqlx::query(sql)
                .bind(&ticket)
                .bind(e.event.as_str())
                .bind(id(e.user_id))
                .bind(i64::from(e.height))
                .bind(e.created)
                .bind(flag(mail.is_none()))
                .execute(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            if done.rows_affected() == 0 {
                return Ok(false);
            }
            if let Some(m) = mail {
                enqueue(&mut tx, m, OP).await?;
            }
            Ok(true)
        })
    }

    pub(crate) async fn pending_notify_events(&self, before: i64) -> Result<Vec<NotifyEvent>> {
        const OP: &str = "pending_notify_events";
        let found = on_conn!(self, OP, Redo::Idempotent, |c| {
            sqlx::query(&format!(
                "SELECT {NOTIFY_EVENT_COLUMNS} FROM hcpool_notify_events \
                 WHERE pending = 1 AND created < ? ORDER BY user_id, created, ticket_hash, event"
            ))
            .bind(before)
            .fetch_all(&mut *c)
            .await
            .map_err(Error::query(OP))
        })?;
        found.iter().map(rows::notify_event).collect()
    }

    pub(crate) async fn send_notify_digest(
        &self,
        user: UserId,
        day: i64,
        events: &[NotifyEvent],
        mail: &OutboxMail,
    ) -> Result<bool> {
        const OP: &str = "send_notify_digest";
        let keys: Vec<(String, &'static str)> = events
            .iter()
            .filter(|e| e.user_id == user)
            .map(|e| (e.ticket.to_string(), e.event.as_str()))
            .collect();
        in_tx!(self, OP, Redo::Once, |tx| {
            // The claim: of two instances, one moves the day (a Galera certification
            // conflict retries the other, which then finds it moved).
            let claimed = sqlx::query(
                "UPDATE hcpool_notify_prefs SET last_digest_day = ? \
                 WHERE user_id = ? AND last_digest_day < ?",
            )
            .bind(day)
            .bind(id(user))
            .bind(day)
            .execute(&mut *tx)
            .await
            .map_err(Error::query(OP))?;
            if claimed.rows_affected() == 0 {
                return Ok(false);
            }
            for chunk in keys.chunks(BATCH) {
                let pairs = vec!["(ticket_hash = ? AND event = ?)"; chunk.len()].join(" OR ");
                let sql = format!(
                    "UPDATE hcpool_notify_events SET pending = 0 WHERE user_id = ? AND ({pairs})"
                );
                let mut q = sqlx::query(&sql).bind(id(user));
                for (t, e) in chunk {
                    q = q.bind(t.as_str()).bind(*e);
                }
                q.execute(&mut *tx).await.map_err(Error::query(OP))?;
            }
            enqueue(&mut tx, mail, OP).await?;
            Ok(true)
        })
    }

    pub(crate) async fn claim_notify_scan(
        &self,
        height: u32,
        owner: &str,
        now: i64,
    ) -> Result<bool> {
        const OP: &str = "claim_notify_scan";
        // Of several instances inserting the height, one row wins (on Galera the other
        // node's commit fails certification, is retried, and then finds the row). Not ON
        // DUPLICATE KEY UPDATE: with sqlx's CLIENT_FOUND_ROWS a duplicate reports one row.
        let insert = match self.backend {
            Backend::MySql => {
                "INSERT IGNORE INTO hcpool_notify_scans (height, owner, claimed) VALUES (?, ?, ?)"
            }
            Backend::Sqlite => {
                "INSERT INTO hcpool_notify_scans (height, owner, claimed) VALUES (?, ?, ?) \
                 ON CONFLICT (height) DO NOTHING"
            }
        };
        let owner: String = owner.chars().take(SCAN_OWNER_MAX).collect();
        let h = i64::from(height);
        let low = i64::from(height.saturating_sub(SCAN_CLAIMS_KEPT));
        let high = i64::from(height.saturating_add(SCAN_CLAIMS_KEPT));
        // Idempotent: a run after an unclear commit finds its own row and says true again.
        in_tx!(self, OP, Redo::Idempotent, |tx| {
            let done = sqlx::query(insert)
                .bind(h)
                .bind(owner.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await
                .map_err(Error::query(OP))?;
            if done.rows_affected() == 0 {
                let holder = sqlx::query("SELECT owner FROM hcpool_notify_scans WHERE height = ?")
                    .bind(h)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(Error::query(OP))?;
                let holder: Option<String> = holder
                    .map(|r| r.try_get("owner"))
                    .transpose()
                    .map_err(Error::query(OP))?;
                return Ok(holder.as_deref() == Some(owner.as_str()));
            }
            // Two ranges, each a primary-key range scan (an OR may scan, and lock, every
            // row); a lock wait or deadlock with another claim is retried as a conflict.
            for (sql, bound) in [
                ("DELETE FROM hcpool_notify_scans WHERE height < ?", low),
                ("DELETE FROM hcpool_notify_scans WHERE height > ?", high),
            ] {
                sqlx::query(sql)
                    .bind(bound)
                    .execute(&mut *tx)
                    .await
                    .map_err(Error::query(OP))?;
            }
            Ok(true)
        })
    }
}
