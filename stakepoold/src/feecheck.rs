//! The start-up cross-check of `poolfees` against the wallet's own fee verdicts.
//!
//! hcwallet cannot be asked for its `--poolfees`, but it shows what it decided with it:
//! `stakepooluserinfo` lists a user's tickets that paid the pool (`tickets`) apart from those
//! that did not (`invalid`). Both the wallet and stakepoold run the same check
//! (`evaluateStakePoolTicket` at the ticket's height), so with the same rate and fee
//! addresses they agree on every ticket; a ticket they judge differently means the rates (or
//! fee address sets) differ. [`cross_check`] compares a sample of known users' tickets.
//!
//! Skipped, because the wallet's list does not reflect its fee check for them: tickets an
//! admin added for voting (`addticket` moves a low-fee ticket from `invalid` to `tickets`),
//! tickets listed in both lists (added before they were mined, DIFFERENCES.md item 13) and
//! tickets not mined yet.

use std::collections::HashSet;

use hcpool_core::backend::UserVotingConfig;
use hcpool_core::fee::{evaluate_pool_ticket, TicketEvaluation};
use hcpool_core::{Address, Ticket, TicketHash};
use tracing::{info, warn};

use crate::daemon::DaemonDeps;
use crate::error::{Error, Result};

/// Tickets compared at most (each costs a `gettransaction`).
pub const SAMPLE: usize = 50;

/// One ticket the wallet and stakepoold judge differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// The ticket.
    pub ticket: TicketHash,
    /// The wallet's verdict: it paid the pool (listed in `tickets`), or not (`invalid`).
    pub wallet_paid: bool,
    /// stakepoold's evaluation, as text.
    pub ours: String,
}

/// What [`cross_check`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeeCrossCheck {
    /// Tickets compared.
    pub compared: usize,
    /// Those judged differently.
    pub disagreements: Vec<Disagreement>,
}

impl FeeCrossCheck {
    /// A clear mismatch: at least one disagreement, and at least half the compared tickets
    /// disagree (a single odd ticket among many agreeing ones is only a warning).
    pub fn is_clear_mismatch(&self) -> bool {
        !self.disagreements.is_empty() && self.disagreements.len() * 2 >= self.compared
    }

    /// The refusal text (also fine as a warning).
    pub fn describe(&self, deps: &DaemonDeps) -> String {
        let (we_pay, wallet_pays) = self
            .disagreements
            .iter()
            .partition::<Vec<&Disagreement>, _>(|d| !d.wallet_paid);
        let mut hints = Vec::new();
        if !we_pay.is_empty() {
            hints.push(format!(
                "{} judged invalid by the wallet pass stakepoold's check (poolfees is \
                 probably below the wallets' --poolfees, or the wallets know fewer fee \
                 addresses), e.g. {}",
                we_pay.len(),
                we_pay[0].ticket
            ));
        }
        if !wallet_pays.is_empty() {
            hints.push(format!(
                "{} accepted by the wallet fail stakepoold's check (poolfees is probably \
                 above the wallets' --poolfees), e.g. {}: {}",
                wallet_pays.len(),
                wallet_pays[0].ticket,
                wallet_pays[0].ours
            ));
        }
        format!(
            "poolfees={} disagrees with the wallet {} on {} of {} tickets: {}",
            deps.pool_fees,
            deps.wallet.label(),
            self.disagreements.len(),
            self.compared,
            hints.join("; ")
        )
    }
}

fn evaluate(deps: &DaemonDeps, raw: &[u8], height: u32) -> Option<TicketEvaluation> {
    let ticket = Ticket::decode(raw).ok()?;
    let fees = &deps.fee_addresses;
    evaluate_pool_ticket(
        &ticket,
        i64::from(height),
        |a| fees.contains(a),
        deps.pool_fees,
        deps.network.params(),
    )
    .ok()
}

/// Compares stakepoold's fee check with the wallet's verdicts on up to `max` tickets of
/// `users` (in order), skipping the tickets in `skip` (the admin-added low-fee ones).
///
/// # Errors
/// A wallet or node call failing.
pub async fn cross_check(
    deps: &DaemonDeps,
    users: &[UserVotingConfig],
    skip: &HashSet<TicketHash>,
    max: usize,
) -> Result<FeeCrossCheck> {
    let mut out = FeeCrossCheck::default();
    for user in users {
        if out.compared >= max {
            break;
        }
        let Ok(address) = user.multisig_address.parse::<Address>() else {
            continue;
        };
        let info = deps.wallet.stake_pool_user_info(&address).await?;
        let paid: HashSet<TicketHash> = info.tickets.iter().map(|t| t.ticket).collect();
        let invalid: HashSet<TicketHash> = info.invalid.iter().copied().collect();
        let mut sample: Vec<(TicketHash, bool, Option<u32>)> = Vec::new();
        for t in &info.invalid {
            if !paid.contains(t) && !skip.contains(t) {
                sample.push((*t, false, None));
            }
        }
        for t in &info.tickets {
            if t.ticket_height > 0 && !invalid.contains(&t.ticket) && !skip.contains(&t.ticket) {
                sample.push((t.ticket, true, Some(t.ticket_height)));
            }
        }
        for (ticket, wallet_paid, height) in sample {
            if out.compared >= max {
                break;
            }
            let tx = deps.wallet.transaction(&ticket).await?;
            let height = match (height, tx.block_hash) {
                (Some(h), _) => h,
                (None, Some(block)) => deps.heights.block_height(&block).await?,
                (None, None) => continue, // not mined: the wallet has not judged it for good
            };
            let Some(ours) = evaluate(deps, &tx.hex, height) else {
                continue;
            };
            out.compared += 1;
            if ours.is_valid() != wallet_paid {
                out.disagreements.push(Disagreement {
                    ticket,
                    wallet_paid,
                    ours: format!("{ours:?}"),
                });
            }
        }
    }
    if out.disagreements.is_empty() {
        info!(
            compared = out.compared,
            "poolfees agrees with the wallet's fee verdicts"
        );
    } else {
        // A few examples; the summary names the count.
        for d in out.disagreements.iter().take(3) {
            warn!(ticket = %d.ticket, wallet_paid = d.wallet_paid, ours = %d.ours,
                "the wallet's fee verdict differs from stakepoold's");
        }
    }
    Ok(out)
}

/// The start-up step: with a store, cross-checks the wallet's verdicts on the known users'
/// tickets ([`cross_check`], at most [`SAMPLE`]) and refuses a clear mismatch. Without a
/// store, or when the store cannot be read, there is nothing to compare (logged).
///
/// # Errors
/// [`Error::PoolFeesDisagree`] on a clear mismatch; a wallet or node call failing.
pub async fn check_at_start(deps: &DaemonDeps) -> Result<FeeCrossCheck> {
    let Some(store) = &deps.store else {
        return Ok(FeeCrossCheck::default());
    };
    let users = match store.voting_configs().await {
        Ok(u) => u,
        Err(e) => {
            warn!(error = %e, "poolfees cross-check skipped: cannot read the users");
            return Ok(FeeCrossCheck::default());
        }
    };
    let skip: HashSet<TicketHash> = match store.low_fee_ticket_entries().await {
        Ok(t) => t.into_iter().map(|t| t.ticket_hash).collect(),
        Err(e) => {
            warn!(error = %e, "poolfees cross-check skipped: cannot read the added tickets");
            return Ok(FeeCrossCheck::default());
        }
    };
    let r = cross_check(deps, &users, &skip, SAMPLE).await?;
    if r.is_clear_mismatch() {
        return Err(Error::PoolFeesDisagree(r.describe(deps)));
    }
    if !r.disagreements.is_empty() {
        warn!("{}", r.describe(deps));
    }
    Ok(r)
}
