//! The notification handlers: votes for `winningtickets`, the live set for `newtickets`
//! and `spentandmissedtickets`, revocations of the pool's missed tickets.

use std::time::{Duration, Instant};

use hcpool_core::service::voter::{BitsSource, FeeCheck, VoteJob};
use hcpool_core::{BackendKind, BlockHash, TicketHash, TxHash, VoteBits};
use tracing::{debug, info, warn};

use super::{Daemon, PendingRevocation, REVOKE_MAX_ATTEMPTS, REVOKE_RETRY_BLOCKS};

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

/// hcd's answer to a transaction it already has: `-1 "Rejected transaction <h>: already
/// have transaction <h>"` while it is in the mempool, `… transaction already exists` once
/// it is mined (DIFFERENCES.md §5). For a vote: another wallet voted the ticket. For
/// `revoketickets`: the wallet had revoked the ticket by itself (§9).
pub(super) fn is_already_relayed(e: &hcpool_core::Error) -> bool {
    let s = e.to_string();
    s.contains("already have transaction") || s.contains("transaction already exists")
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
        self.mark_added_voted(
            results
                .iter()
                .filter(|r| matches!(r.outcome, VoteOutcome::Cast(_) | VoteOutcome::Duplicate))
                .map(|r| r.ticket),
        )
        .await;
        self.revoke(height).await;
        results
    }

    /// With a store: an added low-fee ticket whose vote hcd accepted (or already had), or
    /// that hcd reports spent, is marked voted (`LowFeeTicketStore::mark_low_fee_ticket_voted`), so the
    /// web app stops pushing it and a restart does not load it again. Drawn once, a ticket
    /// is never votable again; the update is idempotent (both voting nodes make it).
    async fn mark_added_voted(&self, tickets: impl IntoIterator<Item = TicketHash>) {
        let Some(store) = self.store() else {
            return;
        };
        let added: Vec<TicketHash> = {
            let s = self.read();
            tickets.into_iter().filter(|t| s.is_added(t)).collect()
        };
        for t in added {
            match store.mark_low_fee_ticket_voted(&t).await {
                Ok(true) => info!(ticket = %t, "added low-fee ticket marked voted"),
                Ok(false) => debug!(ticket = %t, "added low-fee ticket not in the store"),
                Err(e) => {
                    warn!(ticket = %t, error = %e, "could not mark the added low-fee ticket voted")
                }
            }
        }
    }

    /// After the votes of block `height`:
    /// 1. the pending tickets already asked for are checked on chain (hcd's
    ///    `existsmissedtickets`): one no longer in hcd's missed set was revoked, by this
    ///    daemon's request, by the wallet on its own, or by another wallet holding a key,
    ///    whatever the calls answered;
    /// 2. `revoketickets` when a ticket waits for its first request, or was asked
    ///    [`REVOKE_RETRY_BLOCKS`] ago and is still pending. The wallet revokes every missed
    ///    ticket it holds, so one call covers all; "already have transaction" means the
    ///    wallet had revoked them itself and counts as a request made;
    /// 3. a ticket asked [`REVOKE_MAX_ATTEMPTS`] times is given up: logged once, counted in
    ///    a gauge, asked no more. One ticket the wallet cannot revoke fails every call, so
    ///    retrying it forever would only repeat the same warning after every block.
    async fn revoke(&self, height: u32) {
        self.check_revoked_on_chain(height).await;
        let (due, given_up) = {
            let mut map = self.revocation_map();
            let mut due = Vec::new();
            let mut given_up = Vec::new();
            for r in map.pending.values_mut() {
                let waiting = r
                    .requested_at
                    .is_none_or(|at| height >= at.saturating_add(REVOKE_RETRY_BLOCKS));
                if r.given_up || !waiting {
                    continue;
                }
                if r.attempts >= REVOKE_MAX_ATTEMPTS {
                    r.given_up = true;
                    given_up.push(r.clone());
                } else {
                    due.push(r.ticket);
                }
            }
            (due, given_up)
        };
        for r in &given_up {
            warn!(ticket = %r.ticket, msa = %r.ticket_address, missed_at = r.missed_at,
                attempts = r.attempts, last_error = r.last_error.as_deref().unwrap_or("none"),
                "gave up revoking a missed pool ticket: the wallet did not revoke it; \
                 revoke it by hand (it stays in tickets_to_revoke until revoked)");
        }
        if !given_up.is_empty() {
            self.update_gauges();
        }
        if due.is_empty() {
            return;
        }
        let result = self.deps.wallet.revoke_tickets().await;
        let failure = match &result {
            Err(e) if !is_already_relayed(e) => Some(e.to_string()),
            _ => None,
        };
        {
            let mut map = self.revocation_map();
            for t in &due {
                if let Some(r) = map.pending.get_mut(t) {
                    r.attempts = r.attempts.saturating_add(1);
                    r.requested_at = Some(height);
                    r.last_error.clone_from(&failure);
                }
            }
        }
        match (result, failure) {
            (Ok(()), _) => {
                self.metrics.revocation_requested();
                for t in &due {
                    info!(ticket = %t, height, "revocation requested");
                }
            }
            (Err(e), None) => {
                self.metrics.revocation_requested();
                for t in &due {
                    info!(ticket = %t, height, reply = %e,
                        "revocation already relayed (the wallet revoked it by itself)");
                }
            }
            (Err(e), Some(_)) => {
                self.metrics.revocation_failed();
                warn!(tickets = due.len(), height, error = %e,
                    "revoketickets failed; asked again in {REVOKE_RETRY_BLOCKS} blocks, \
                     at most {REVOKE_MAX_ATTEMPTS} times per ticket");
            }
        }
    }

    /// Ends the pending revocations already asked for that hcd's missed-ticket set no
    /// longer holds (revoked). A node that cannot answer leaves them to the notifications.
    async fn check_revoked_on_chain(&self, height: u32) {
        let asked: Vec<TicketHash> = self
            .revocation_map()
            .pending
            .values()
            .filter(|r| r.attempts > 0)
            .map(|r| r.ticket)
            .collect();
        if asked.is_empty() {
            return;
        }
        match self.deps.node.exists_missed_tickets(&asked).await {
            Ok(missed) if missed.len() == asked.len() => {
                let revoked: Vec<TicketHash> = asked
                    .iter()
                    .zip(missed)
                    .filter(|(_, m)| !m)
                    .map(|(t, _)| *t)
                    .collect();
                self.revoked(&revoked, height, "no longer in hcd's missed tickets");
            }
            Ok(missed) => {
                debug!(
                    asked = asked.len(),
                    answered = missed.len(),
                    "existsmissedtickets answered for other tickets; ignored"
                );
            }
            Err(e) => debug!(error = %e, "existsmissedtickets failed; waiting for notifications"),
        }
    }

    /// Ends the pending revocations of `tickets` (counted once each).
    fn revoked(&self, tickets: &[TicketHash], height: u32, how: &'static str) {
        if tickets.is_empty() {
            return;
        }
        let done: Vec<PendingRevocation> = {
            let mut map = self.revocation_map();
            tickets.iter().filter_map(|t| map.finish(t)).collect()
        };
        for r in &done {
            self.metrics.ticket_revoked();
            info!(ticket = %r.ticket, msa = %r.ticket_address, missed_at = r.missed_at, height,
                attempts = r.attempts, how, "pool ticket revoked");
        }
        if !done.is_empty() {
            self.update_gauges();
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
                Err(e) if is_already_relayed(&e) => break VoteOutcome::Duplicate,
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
    /// a revocation. hcd reports a revoked ticket as missed again: a second report (in a
    /// later block) of a pending ticket means it is revoked, whoever revoked it and
    /// whatever this daemon's own requests answered. Spent added low-fee tickets are marked
    /// voted in the store.
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
        let mut again = Vec::new();
        let mut new = Vec::new();
        {
            let mut map = self.revocation_map();
            for (ticket, msa) in revoke {
                match map.pending.get(&ticket) {
                    Some(r) if height > r.missed_at => again.push(ticket),
                    // The same block's report twice.
                    Some(_) => {}
                    // The revocation's own report, after the on-chain check ended it.
                    None if map.was_revoked(&ticket) => {
                        debug!(%ticket, height, "revocation of a ticket already seen revoked");
                    }
                    None => {
                        map.pending.insert(
                            ticket,
                            PendingRevocation {
                                ticket,
                                ticket_address: msa,
                                missed_at: height,
                                requested_at: None,
                                attempts: 0,
                                last_error: None,
                                given_up: false,
                            },
                        );
                        new.push(ticket);
                    }
                }
            }
        }
        for t in new {
            warn!(ticket = %t, height, "pool ticket missed or expired: to revoke");
        }
        self.revoked(&again, height, "reported again by hcd");
        self.update_gauges();
        self.mark_added_voted(spent.iter().copied()).await;
    }
}
