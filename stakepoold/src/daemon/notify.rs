//! The notification handlers: votes for `winningtickets`, the live set for `newtickets`
//! and `spentandmissedtickets`.

use std::time::{Duration, Instant};

use hcpool_core::service::voter::{BitsSource, FeeCheck, VoteJob};
use hcpool_core::{BackendKind, BlockHash, TicketHash, TxHash, VoteBits};
use tracing::{debug, info, warn};

use super::{Daemon, PendingRevocation, REVOKE_RETRY_BLOCKS};

/// How one vote ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VoteOutcome {
    /// hcd accepted the vote.
    Cast(TxHash),
    /// hcd already had it (the wallet voted too): not an error.
    Duplicate,
    /// Every attempt failed, or the block moved on; the last error.
    Failed(String),
}

/// One vote of a `winningtickets` notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteResult {
    /// The ticket.
    pub ticket: TicketHash,
    /// Its multisig address.
    pub ticket_address: String,
    /// Bits voted with.
    pub vote_bits: VoteBits,
    /// Why those bits.
    pub source: BitsSource,
    /// Result.
    pub outcome: VoteOutcome,
    /// Attempts made.
    pub attempts: u32,
    /// Notification → vote handed to hcd (or given up).
    pub latency: Duration,
}

/// hcd's answer to a vote it already has (`-32603: already have transaction …`).
fn is_duplicate(e: &hcpool_core::Error) -> bool {
    e.to_string().contains("already have transaction")
}

impl Daemon {
    pub(super) async fn winning(
        &self,
        block_hash: BlockHash,
        height: u32,
        winners: &[TicketHash],
        received: Instant,
    ) -> Vec<VoteResult> {
        self.note_height(height);
        self.metrics.winning(height);
        let (jobs, unknown, ext) = {
            let s = self.read();
            (
                s.votes_for(winners),
                s.unknown(winners),
                s.defaults().vote_bits_extended.clone(),
            )
        };
        let known = futures::future::join_all(
            jobs.into_iter()
                .map(|job| self.vote(job, block_hash, height, &ext, received)),
        );
        // The known tickets' votes do not wait for the lookups of the unknown winners.
        let late = async {
            if unknown.is_empty() {
                return Vec::new();
            }
            let found = self.discover(height, &unknown).await;
            for t in unknown.iter().filter(|t| !found.contains(t)) {
                debug!(ticket = %t, height, "winner not managed by the pool");
            }
            let jobs = self.read().votes_for(&found);
            for j in &jobs {
                info!(ticket = %j.ticket, height,
                    "winner found in the wallet before its newtickets was handled");
            }
            futures::future::join_all(
                jobs.into_iter()
                    .map(|job| self.vote(job, block_hash, height, &ext, received)),
            )
            .await
        };
        let (mut results, late) = futures::future::join(known, late).await;
        results.extend(late);
        let count = |f: fn(&VoteOutcome) -> bool| results.iter().filter(|r| f(&r.outcome)).count();
        info!(
            height,
            block = %block_hash,
            winners = winners.len(),
            new = count(|o| matches!(o, VoteOutcome::Cast(_))),
            duplicate = count(|o| matches!(o, VoteOutcome::Duplicate)),
            failed = count(|o| matches!(o, VoteOutcome::Failed(_))),
            "votes for block"
        );
        self.revoke(height).await;
        results
    }

    /// After the votes of block `height`: `revoketickets` when a pool ticket is waiting for
    /// its first request, or was requested [`REVOKE_RETRY_BLOCKS`] ago and is still not
    /// revoked. The wallet revokes every missed ticket it holds, so one call covers all.
    async fn revoke(&self, height: u32) {
        let due: Vec<TicketHash> = self
            .revocation_map()
            .values()
            .filter(|r| {
                r.requested_at
                    .is_none_or(|at| height >= at.saturating_add(REVOKE_RETRY_BLOCKS))
            })
            .map(|r| r.ticket)
            .collect();
        if due.is_empty() {
            return;
        }
        match self.deps.wallet.revoke_tickets().await {
            Ok(()) => {
                self.metrics.revocation_requested();
                let mut map = self.revocation_map();
                for t in &due {
                    if let Some(r) = map.get_mut(t) {
                        r.requested_at = Some(height);
                    }
                }
                drop(map);
                for t in &due {
                    info!(ticket = %t, height, "revocation requested");
                }
            }
            Err(e) => {
                self.metrics.revocation_failed();
                warn!(tickets = due.len(), height, error = %e,
                    "revoketickets failed; retrying after the next block's votes");
            }
        }
    }

    async fn vote(
        &self,
        job: VoteJob,
        block_hash: BlockHash,
        height: u32,
        ext: &[u8],
        received: Instant,
    ) -> VoteResult {
        if job.source != BitsSource::User {
            warn!(ticket = %job.ticket, msa = %job.ticket_address, source = ?job.source,
                "vote config not usable; using the wallet's default votebits");
        }
        let attempts_max = self.opts.vote_attempts.max(1);
        let mut attempts = 0;
        let outcome = loop {
            attempts += 1;
            let r = async {
                let tx = self
                    .deps
                    .wallet
                    .generate_vote(&block_hash, height, &job.ticket, job.vote_bits, ext)
                    .await?;
                self.deps.node.send_raw_transaction(&tx).await
            }
            .await;
            match r {
                Ok(txid) => break VoteOutcome::Cast(txid),
                Err(e) if is_duplicate(&e) => break VoteOutcome::Duplicate,
                Err(e) => {
                    let last = attempts >= attempts_max || self.too_late(height);
                    warn!(ticket = %job.ticket, height, attempt = attempts, error = %e,
                        "vote failed{}", if last { "" } else { "; retrying" });
                    if last {
                        break VoteOutcome::Failed(e.to_string());
                    }
                    self.metrics.vote_retried();
                    tokio::time::sleep(self.opts.retry_delay).await;
                    if self.too_late(height) {
                        break VoteOutcome::Failed(format!("block {height} superseded: {e}"));
                    }
                }
            }
        };
        let latency = received.elapsed();
        match &outcome {
            VoteOutcome::Cast(txid) => {
                self.metrics.vote_cast(latency);
                info!(ticket = %job.ticket, msa = %job.ticket_address, bits = %job.vote_bits,
                    source = ?job.source, %txid, height, attempts,
                    latency_ms = latency.as_millis() as u64, "voted");
            }
            VoteOutcome::Duplicate => {
                self.metrics.vote_duplicate(latency);
                info!(ticket = %job.ticket, bits = %job.vote_bits, height, attempts,
                    latency_ms = latency.as_millis() as u64, "vote already relayed");
            }
            VoteOutcome::Failed(e) => {
                self.metrics.vote_failed();
                warn!(ticket = %job.ticket, bits = %job.vote_bits, height, attempts, error = %e,
                    latency_ms = latency.as_millis() as u64, "vote FAILED");
            }
        }
        VoteResult {
            ticket: job.ticket,
            ticket_address: job.ticket_address,
            vote_bits: job.vote_bits,
            source: job.source,
            outcome,
            attempts,
            latency,
        }
    }

    /// `newtickets`: the pool's tickets among those that matured at `height`, fee-checked
    /// at `height` (as the original), go live or ignored.
    pub(super) async fn new_tickets(&self, height: u32, tickets: &[TicketHash]) {
        self.discover(height, tickets).await;
    }

    /// Looks `tickets` up in the wallet: the pool's ones, fee-checked at `height`, go live
    /// or ignored. Returns the pool's tickets found (live or ignored).
    async fn discover(&self, height: u32, tickets: &[TicketHash]) -> Vec<TicketHash> {
        let mut found = Vec::new();
        for (ticket, tx) in self.transactions(tickets).await {
            let tx = match tx {
                Ok(tx) => tx,
                // -5 "No information for transaction": not one of the wallet's.
                Err(hcpool_core::Error::Wallet {
                    kind: BackendKind::NotFound,
                    ..
                }) => continue,
                Err(e) => {
                    warn!(%ticket, error = %e, "gettransaction failed for a new ticket");
                    continue;
                }
            };
            let Some(msa) = self.owner(&tx) else { continue };
            let fee = if self.read().is_added(&ticket) {
                FeeCheck::Paid
            } else {
                self.fee_check(&ticket, &tx.hex, height)
            };
            info!(%ticket, msa = %msa, height, fee = ?fee, "new pool ticket");
            self.write().add_ticket(ticket, msa, fee);
            found.push(ticket);
        }
        if !found.is_empty() {
            self.update_gauges();
        }
        found
    }

    /// `spentandmissedtickets`: forget them; the pool's missed (or expired) ones wait for
    /// a revocation. hcd reports a revoked ticket as missed again: one already requested is
    /// then done.
    pub(super) async fn spent_and_missed(
        &self,
        height: u32,
        spent: &[TicketHash],
        missed: &[TicketHash],
    ) {
        self.write()
            .remove_tickets(spent.iter().chain(missed.iter()));
        let mut revoke = Vec::new();
        for (ticket, tx) in self.transactions(missed).await {
            if let Ok(tx) = tx {
                if let Some(msa) = self.owner(&tx) {
                    debug!(%ticket, msa = %msa, height, "pool ticket reported missed");
                    revoke.push((ticket, msa));
                }
            }
        }
        if !revoke.is_empty() {
            let mut revoked = Vec::new();
            let mut map = self.revocation_map();
            for (ticket, msa) in revoke {
                match map.get(&ticket) {
                    Some(r) if r.requested_at.is_some() => {
                        map.remove(&ticket);
                        revoked.push(ticket);
                    }
                    Some(_) => {}
                    None => {
                        map.insert(
                            ticket,
                            PendingRevocation {
                                ticket,
                                ticket_address: msa,
                                missed_at: height,
                                requested_at: None,
                            },
                        );
                    }
                }
            }
            let new: Vec<TicketHash> = map
                .values()
                .filter(|r| r.missed_at == height && r.requested_at.is_none())
                .map(|r| r.ticket)
                .collect();
            drop(map);
            for t in new {
                warn!(ticket = %t, height, "pool ticket missed or expired: to revoke");
            }
            for t in revoked {
                self.metrics.ticket_revoked();
                info!(ticket = %t, height, "pool ticket revoked");
            }
        }
        self.update_gauges();
    }
}
