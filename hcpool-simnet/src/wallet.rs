//! One simulated hcwallet's state (hcwallet-rpc.md §6.2) and how a mined block changes it
//! (§6.3 step 3).

use std::collections::{HashMap, HashSet};

use hcpool_core::fee::evaluate_pool_ticket;
use hcpool_core::tx::Transaction;
use hcpool_core::Hash32;
use hcpool_core::{PoolFeeRate, Ticket};

use super::chain::{BlockEvents, Chain, TicketState};
use super::envelope::RpcError;
use super::keys::SimKeys;
use super::stake_txs;

/// The relay fee a revocation pays from its outputs (atoms).
pub const REVOCATION_RELAY_FEE: i64 = 10_000;

/// The revocation the wallet signs for `ticket`; a ticket bought with so little that no
/// output can pay the relay fee cannot be revoked, and hcwallet fails with −4 "no suitable
/// revocation outputs to pay relay fee" (issue 11, item 1). `Ok(None)`: unknown ticket.
fn revocation(chain: &Chain, ticket: &Hash32) -> Result<Option<Transaction>, RpcError> {
    let Some(tx) = chain.revocation_for(ticket) else {
        return Ok(None);
    };
    if tx.outputs.iter().all(|o| o.value < REVOCATION_RELAY_FEE) {
        return Err(RpcError::wallet(
            "no suitable revocation outputs to pay relay fee",
        ));
    }
    Ok(Some(tx))
}

/// `stakepooluserinfo` statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserTicketStatus {
    /// Immature or live (also missed but not yet revoked).
    Live,
    /// Voted.
    Voted,
    /// Revoked.
    Missed,
}

/// One ticket of a pool user, as the wallet records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTicket {
    /// The ticket.
    pub ticket: Hash32,
    /// Its status.
    pub status: UserTicketStatus,
    /// Mined height.
    pub height: u32,
    /// The vote or revocation.
    pub spent_by: Hash32,
    /// Its height.
    pub spent_by_height: u32,
}

/// A pool user's record (keyed by the multisig script hash).
#[derive(Debug, Clone, Default)]
pub struct PoolUser {
    /// Valid tickets in insertion order.
    pub tickets: Vec<UserTicket>,
    /// Tickets that failed the fee check.
    pub invalid: Vec<Hash32>,
}

/// A transaction in the wallet's store.
#[derive(Debug, Clone)]
pub struct StoredTx {
    /// Full serialization.
    pub raw: Vec<u8>,
    /// Block hash and height once mined.
    pub block: Option<(Hash32, u32)>,
    /// The user multisig the tx pays (ticket output 0).
    pub msa: Option<[u8; 20]>,
    /// When the wallet first saw it.
    pub time: u32,
}

/// How the wallet decides whether a pool ticket paid enough.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum FeeRule {
    /// hcwallet's real check (`evaluateStakePoolTicket`) with this pool fee percent and the
    /// cold xpub's fee addresses.
    PoolPercent(f64),
    /// Test switch: valid iff the first commitment pays a pool fee address at least this
    /// many atoms.
    MinCommitment(i64),
}

/// The state of one simulated wallet.
#[derive(Debug, Clone)]
pub struct WalletState {
    /// `walletinfo.unlocked`. Always true in the real hcwallet, which is started with its
    /// passphrase (DIFFERENCES.md §20); false is a fault knob (a wallet that cannot sign).
    pub unlocked: bool,
    /// `walletinfo.daemonconnected`.
    pub daemon_connected: bool,
    /// `walletinfo.voting`: the wallet votes its winners itself ([`WalletState::auto_vote`]),
    /// as hcwallet with `--enablevoting`. Off by default: a pool's voting wallets run
    /// without it and stakepoold votes.
    pub voting: bool,
    /// `walletinfo.votebits`.
    pub votebits: u16,
    /// `walletinfo.voteversion`.
    pub vote_version: u32,
    /// Highest owned index of the default account's external branch.
    pub watched_index: u32,
    /// Imported redeem scripts in order.
    pub scripts: Vec<Vec<u8>>,
    /// Their hashes.
    pub script_hashes: HashSet<[u8; 20]>,
    /// Pool users by multisig script hash.
    pub pool_users: HashMap<[u8; 20], PoolUser>,
    /// The tx store.
    pub txstore: HashMap<Hash32, StoredTx>,
    /// Tickets added with `addticket` (stake manager only).
    pub added: Vec<Hash32>,
    /// The wallet's tip.
    pub tip: (Hash32, u32),
    /// When set, the wallet's tip stops following the chain.
    pub lag: bool,
    /// Fee rule.
    pub fee_rule: FeeRule,
    /// Revoke missed and expired tickets as soon as hcd reports them, as every real
    /// hcwallet holding a key does, voting or not (DIFFERENCES.md §9). On by default; off
    /// only to test a caller's own `revoketickets`.
    pub auto_revoke: bool,
}

impl WalletState {
    /// A fresh wallet at the chain's tip.
    pub fn new(chain: &Chain, vote_version: u32) -> Self {
        WalletState {
            unlocked: true,
            daemon_connected: true,
            voting: false,
            votebits: 1,
            vote_version,
            watched_index: 20,
            scripts: Vec::new(),
            script_hashes: HashSet::new(),
            pool_users: HashMap::new(),
            txstore: HashMap::new(),
            added: Vec::new(),
            tip: chain.tip(),
            lag: false,
            fee_rule: FeeRule::PoolPercent(7.5),
            auto_revoke: true,
        }
    }

    /// `walletinfo.votebitsextended`: hex of the vote version, little-endian.
    pub fn votebits_extended(&self) -> String {
        hex::encode(self.vote_version.to_le_bytes())
    }

    /// Tickets the wallet has voting rights for (paying an imported script, or added with
    /// `addticket`), with their chain state, sorted by hash.
    pub fn own_tickets(&self, chain: &Chain) -> Vec<(Hash32, TicketState)> {
        let mut v: Vec<(Hash32, TicketState)> = self
            .txstore
            .iter()
            .filter(|(_, t)| t.msa.is_some())
            .map(|(h, _)| *h)
            .chain(self.added.iter().copied())
            .filter_map(|h| chain.tickets.get(&h).map(|t| (h, t.state)))
            .collect();
        v.sort_by_key(|(h, _)| *h);
        v.dedup_by_key(|(h, _)| *h);
        v
    }

    /// Sends hcd a revocation for every missed or expired ticket the wallet has voting
    /// rights for (what `revoketickets` does, and what the wallet does by itself after a
    /// block). The first rejection fails the call, as in hcwallet. Returns the revocations
    /// sent.
    pub fn revoke_missed(&self, chain: &mut Chain) -> Result<Vec<Hash32>, RpcError> {
        let mut sent = Vec::new();
        for (ticket, state) in self.own_tickets(chain) {
            if !matches!(state, TicketState::Missed | TicketState::Expired) {
                continue;
            }
            let Some(tx) = revocation(chain, &ticket)? else {
                continue;
            };
            sent.push(chain.submit_raw(&tx.encode())?);
        }
        Ok(sent)
    }

    /// The wallet's own revocations after a block (when `auto_revoke` is on and it can
    /// sign): tickets another wallet already revoked are skipped.
    pub fn auto_revoke(&self, chain: &mut Chain, ev: &BlockEvents) {
        if !(self.auto_revoke && self.daemon_connected && self.unlocked) {
            return;
        }
        let reported: HashSet<Hash32> = ev
            .spent_missed
            .iter()
            .filter(|(_, spent)| !**spent)
            .map(|(t, _)| *t)
            .collect();
        for (ticket, state) in self.own_tickets(chain) {
            let revocable = matches!(state, TicketState::Missed | TicketState::Expired);
            if !revocable || !reported.contains(&ticket) {
                continue;
            }
            if chain.pending_revocation(&ticket).is_some() {
                continue;
            }
            let sent = revocation(chain, &ticket)
                .and_then(|tx| tx.map(|tx| chain.submit_raw(&tx.encode())).transpose());
            if let Err(e) = sent {
                tracing::debug!("simnet wallet revocation of {ticket}: {}", e.message);
            }
        }
    }

    /// The vote this wallet signs for `ticket` on `block` at `height`: `None` when the
    /// wallet has no voting rights for the ticket.
    pub fn build_vote(
        &self,
        chain: &Chain,
        block: &Hash32,
        height: u32,
        ticket: &Hash32,
        bits: u16,
        ext: &[u8],
    ) -> Option<Transaction> {
        let known = self.txstore.contains_key(ticket) || self.added.contains(ticket);
        let t = chain.tickets.get(ticket).filter(|_| known)?;
        let payees: Vec<[u8; 20]> = stake_txs::commitments(&t.tx)
            .iter()
            .map(|c| c.hash)
            .collect();
        let price = t.tx.outputs.first().map_or(0, |o| o.value);
        Some(stake_txs::vote(
            block,
            height,
            ticket,
            price,
            chain.params.vote_subsidy,
            bits,
            ext,
            &payees,
        ))
    }

    /// A wallet started with `--enablevoting` (`voting`) votes its own winners as soon as
    /// hcd reports them, with its default vote bits, racing any other voter of the ticket
    /// (a stakepoold's vote then comes back "already have transaction").
    pub fn auto_vote(&self, chain: &mut Chain, ev: &BlockEvents) {
        if !(self.voting && self.daemon_connected && self.unlocked) {
            return;
        }
        let Some(winners) = &ev.winners else {
            return;
        };
        let ext = self.vote_version.to_le_bytes();
        for ticket in winners {
            let live = chain
                .tickets
                .get(ticket)
                .is_some_and(|t| t.state == TicketState::Live);
            if !live {
                continue;
            }
            let Some(tx) = self.build_vote(chain, &ev.hash, ev.height, ticket, self.votebits, &ext)
            else {
                continue;
            };
            if let Err(e) = chain.submit_raw(&tx.encode()) {
                tracing::debug!("simnet wallet vote of {ticket}: {}", e.message);
            }
        }
    }

    /// Imports a redeem script; a duplicate is fine. Returns whether it was new.
    pub fn import_script(&mut self, script: Vec<u8>, hash: [u8; 20]) -> bool {
        if self.script_hashes.insert(hash) {
            self.scripts.push(script);
            true
        } else {
            false
        }
    }

    fn fee_ok(&self, keys: &SimKeys, raw: &[u8], height: u32) -> bool {
        let Ok(ticket) = Ticket::decode(raw) else {
            return false;
        };
        match self.fee_rule {
            FeeRule::PoolPercent(p) => {
                let Ok(rate) = PoolFeeRate::from_percent(p) else {
                    return false;
                };
                let params = keys.network().params();
                let fees = keys.fee_set();
                evaluate_pool_ticket(
                    &ticket,
                    i64::from(height),
                    |a| fees.contains(a),
                    rate,
                    params,
                )
                .is_ok_and(|e| e.is_valid())
            }
            FeeRule::MinCommitment(min) => {
                let c = ticket.first_commitment();
                keys.fee_set().contains(&c.address(keys.network())) && c.amount.0 >= min
            }
        }
    }

    /// Records a mined ticket paying one of our scripts (fee check → live or invalid).
    fn see_ticket(&mut self, keys: &SimKeys, chain: &Chain, hash: Hash32, height: u32) {
        let Some(t) = chain.tickets.get(&hash) else {
            return;
        };
        if !self.script_hashes.contains(&t.script_hash) {
            return;
        }
        let block = chain.block_at(height).map(|b| (b.hash, height));
        let time = chain.block_at(height).map_or(0, |b| b.time);
        self.txstore.entry(hash).or_insert_with(|| StoredTx {
            raw: t.tx.encode(),
            block,
            msa: Some(t.script_hash),
            time,
        });
        let valid = self.fee_ok(keys, &t.tx.encode(), height);
        let user = self.pool_users.entry(t.script_hash).or_default();
        if user.invalid.contains(&hash) {
            return;
        }
        if let Some(u) = user.tickets.iter_mut().find(|u| u.ticket == hash) {
            // Added with `addticket` before it was mined (height 0): a paid ticket gets its
            // height; an unpaid one is *also* appended to `invalid`, so hcwallet lists it in
            // both (DIFFERENCES.md §13).
            if u.height == 0 {
                if valid {
                    u.height = height;
                } else {
                    user.invalid.push(hash);
                }
            }
            return;
        }
        if valid {
            user.tickets.push(UserTicket {
                ticket: hash,
                status: UserTicketStatus::Live,
                height,
                spent_by: Hash32::default(),
                spent_by_height: 0,
            });
        } else {
            user.invalid.push(hash);
        }
    }

    fn see_spend(
        &mut self,
        chain: &Chain,
        ticket: Hash32,
        spender: Hash32,
        height: u32,
        vote: bool,
    ) {
        let Some(t) = chain.tickets.get(&ticket) else {
            return;
        };
        let Some(user) = self.pool_users.get_mut(&t.script_hash) else {
            return;
        };
        if let Some(u) = user.tickets.iter_mut().find(|u| u.ticket == ticket) {
            u.status = if vote {
                UserTicketStatus::Voted
            } else {
                UserTicketStatus::Missed
            };
            u.spent_by = spender;
            u.spent_by_height = height;
        }
        if let Some(tx) = chain.txs.get(&spender) {
            let block = chain.block_at(height).map(|b| (b.hash, height));
            self.txstore.entry(spender).or_insert_with(|| StoredTx {
                raw: tx.raw.clone(),
                block,
                msa: None,
                time: chain.block_at(height).map_or(0, |b| b.time),
            });
        }
    }

    /// Applies a mined block (§6.3 step 3).
    pub fn apply_block(&mut self, keys: &SimKeys, chain: &Chain, ev: &BlockEvents) {
        for t in &ev.mined_tickets {
            self.see_ticket(keys, chain, *t, ev.height);
        }
        for (vote, ticket) in &ev.votes {
            self.see_spend(chain, *ticket, *vote, ev.height, true);
        }
        for (rev, ticket) in &ev.revocations {
            self.see_spend(chain, *ticket, *rev, ev.height, false);
        }
        if !self.lag {
            self.tip = (ev.hash, ev.height);
        }
    }

    /// Re-scans the chain from `from` (what `importscript` with rescan does).
    pub fn rescan(&mut self, keys: &SimKeys, chain: &Chain, from: u32) {
        let mut mined: Vec<(u32, Hash32)> = chain
            .tickets
            .iter()
            .filter_map(|(h, t)| t.height.filter(|ht| *ht >= from).map(|ht| (ht, *h)))
            .collect();
        mined.sort();
        for (height, hash) in mined {
            self.see_ticket(keys, chain, hash, height);
            if let Some(t) = chain.tickets.get(&hash) {
                if let Some((spender, sh)) = t.spender {
                    let vote = t.state == super::chain::TicketState::Voted;
                    self.see_spend(chain, hash, spender, sh, vote);
                }
            }
        }
    }
}
