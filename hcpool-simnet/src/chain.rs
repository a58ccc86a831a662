//! The shared simulated chain (the hcd side, hcwallet-rpc.md §6.2–6.3).

use std::collections::{BTreeMap, HashMap};

use hcpool_core::Hash32;

use super::envelope::RpcError;
use super::header::Header;
use hcpool_core::tx::Transaction;

use super::stake_txs;

/// Stake parameters of the simulated chain. Small values make tests fast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainParams {
    /// Blocks before a mined ticket is live.
    pub ticket_maturity: u32,
    /// Blocks after which a live ticket expires.
    pub ticket_expiry: u32,
    /// First height whose blocks carry stake notifications.
    pub stake_enabled_height: u32,
    /// Stake validation height; winners are drawn from `svh - 1` on.
    pub stake_validation_height: u32,
    /// Winners per block.
    pub tickets_per_block: usize,
    /// The (constant) stake difficulty, atoms.
    pub stake_difficulty: i64,
    /// The vote subsidy paid by a vote, atoms.
    pub vote_subsidy: i64,
    /// Seed of the winner draw.
    pub seed: u64,
}

impl ChainParams {
    /// simnet's stake parameters (hcwallet-rpc.md §3.2).
    pub fn simnet() -> Self {
        ChainParams {
            ticket_maturity: 16,
            ticket_expiry: 384,
            stake_enabled_height: 32,
            stake_validation_height: 144,
            tickets_per_block: 5,
            stake_difficulty: 200_000_000,
            vote_subsidy: 38_400_000,
            seed: 1,
        }
    }

    /// Tiny values for fast tests: maturity 2, SEH 2, SVH 4, expiry 40.
    pub fn fast() -> Self {
        ChainParams {
            ticket_maturity: 2,
            ticket_expiry: 40,
            stake_enabled_height: 2,
            stake_validation_height: 4,
            ..ChainParams::simnet()
        }
    }
}

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TicketState {
    /// Submitted, not mined.
    Mempool,
    /// Mined, not yet mature.
    Immature,
    /// Mature and unspent.
    Live,
    /// Voted.
    Voted,
    /// Drawn and did not vote.
    Missed,
    /// Expired without being drawn.
    Expired,
    /// Revoked after being missed or expiring.
    Revoked,
}

/// A ticket the chain knows.
#[derive(Debug, Clone)]
pub struct ChainTicket {
    /// The decoded transaction.
    pub tx: Transaction,
    /// Output 0's P2SH script hash.
    pub script_hash: [u8; 20],
    /// The mined height.
    pub height: Option<u32>,
    /// The state.
    pub state: TicketState,
    /// The vote or revocation that spent it.
    pub spender: Option<(Hash32, u32)>,
}

/// A mined block.
#[derive(Debug, Clone)]
pub struct Block {
    /// Hash.
    pub hash: Hash32,
    /// The 180-byte header.
    pub header: [u8; 180],
    /// Timestamp.
    pub time: u32,
}

/// A transaction the node can return with `getrawtransaction`.
#[derive(Debug, Clone)]
pub struct ChainTx {
    /// Full serialization.
    pub raw: Vec<u8>,
    /// The mined height, if mined.
    pub height: Option<u32>,
}

/// What happened in one mined block; drives the wallets and the notifications.
#[derive(Debug, Clone, Default)]
pub struct BlockEvents {
    /// Height.
    pub height: u32,
    /// Hash.
    pub hash: Hash32,
    /// Header bytes.
    pub header: Vec<u8>,
    /// Whether stake notifications are sent (height ≥ StakeEnabledHeight).
    pub stake_enabled: bool,
    /// Tickets mined in this block.
    pub mined_tickets: Vec<Hash32>,
    /// Votes mined: (vote hash, ticket).
    pub votes: Vec<(Hash32, Hash32)>,
    /// Revocations mined: (revocation hash, ticket).
    pub revocations: Vec<(Hash32, Hash32)>,
    /// `spentandmissedtickets`: ticket → spent (true) or missed (false).
    pub spent_missed: BTreeMap<Hash32, bool>,
    /// `newtickets`: tickets maturing in this block.
    pub new_tickets: Vec<Hash32>,
    /// `winningtickets` for this block, if drawn.
    pub winners: Option<Vec<Hash32>>,
}

/// A vote in hcd's mempool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MempoolVote {
    /// The vote's hash.
    pub hash: Hash32,
    /// The ticket it spends.
    pub ticket: Hash32,
    /// The height of the block it votes on.
    pub height: u32,
}

/// How many blocks a vote that was not mined stays in hcd's mempool (dcrd's
/// `heightDiffToPruneVotes`): hcd keeps a vote for a ticket that did not win, or for an
/// older block, and never mines it (DIFFERENCES.md §4).
pub const VOTE_PRUNE_DEPTH: u32 = 10;

/// Which transactions `getrawmempool` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MempoolKind {
    /// Every transaction.
    All,
    /// Tickets (SStx).
    Tickets,
    /// Votes (SSGen).
    Votes,
    /// Revocations (SSRtx).
    Revocations,
}

/// The chain state.
#[derive(Debug)]
pub struct Chain {
    /// Parameters.
    pub params: ChainParams,
    blocks: Vec<Block>,
    by_hash: HashMap<Hash32, u32>,
    /// Every ticket, by hash.
    pub tickets: HashMap<Hash32, ChainTicket>,
    /// Every transaction, by hash.
    pub txs: HashMap<Hash32, ChainTx>,
    winners: HashMap<u32, Vec<Hash32>>,
    mempool_tickets: Vec<Hash32>,
    /// Votes waiting in the mempool, in arrival order.
    mempool_votes: Vec<MempoolVote>,
    /// Revocations waiting for the next block: (ticket, revocation hash).
    mempool_revocations: Vec<(Hash32, Hash32)>,
    rng: u64,
    clock: u32,
}

impl Chain {
    /// A chain holding only its genesis block.
    pub fn new(params: ChainParams) -> Self {
        let clock = 1_600_000_000;
        let genesis = Header {
            timestamp: clock,
            ..Header::default()
        };
        let hash = genesis.hash();
        let rng = params.seed ^ 0x9e37_79b9_7f4a_7c15;
        Chain {
            params,
            blocks: vec![Block {
                hash,
                header: genesis.serialize(),
                time: clock,
            }],
            by_hash: HashMap::from([(hash, 0)]),
            tickets: HashMap::new(),
            txs: HashMap::new(),
            winners: HashMap::new(),
            mempool_tickets: Vec::new(),
            mempool_votes: Vec::new(),
            mempool_revocations: Vec::new(),
            rng,
            clock,
        }
    }

    /// The tip: (hash, height).
    pub fn tip(&self) -> (Hash32, u32) {
        let h = self.blocks.len().saturating_sub(1);
        let hash = self.blocks.last().map(|b| b.hash).unwrap_or_default();
        (hash, u32::try_from(h).unwrap_or(u32::MAX))
    }

    /// The block at `height`.
    pub fn block_at(&self, height: u32) -> Option<&Block> {
        self.blocks.get(height as usize)
    }

    /// The height of a block hash.
    pub fn height_of(&self, hash: &Hash32) -> Option<u32> {
        self.by_hash.get(hash).copied()
    }

    /// The winners drawn after block `height`.
    pub fn winners(&self, height: u32) -> Option<&[Hash32]> {
        self.winners.get(&height).map(Vec::as_slice)
    }

    /// Count of live tickets.
    pub fn live_count(&self) -> usize {
        self.tickets
            .values()
            .filter(|t| t.state == TicketState::Live)
            .count()
    }

    /// Tickets in the mempool.
    pub fn mempool_ticket_count(&self) -> usize {
        self.mempool_tickets.len()
    }

    /// Accepts a ticket into the mempool (as `sendrawtransaction` of an SStx).
    pub fn submit_ticket(&mut self, tx: Transaction) -> Result<Hash32, RpcError> {
        let hash = tx.hash();
        let script_hash = stake_txs::ticket_script_hash(&tx).ok_or_else(|| {
            RpcError::new(-1, format!("Rejected transaction {hash}: not a ticket"))
        })?;
        self.check_new(&hash)?;
        self.txs.insert(
            hash,
            ChainTx {
                raw: tx.encode(),
                height: None,
            },
        );
        self.tickets.insert(
            hash,
            ChainTicket {
                tx,
                script_hash,
                height: None,
                state: TicketState::Mempool,
                spender: None,
            },
        );
        self.mempool_tickets.push(hash);
        Ok(hash)
    }

    /// hcd's answer to a transaction it knows: `already have transaction` while it waits in
    /// the mempool, `transaction already exists` once mined (DIFFERENCES.md §5).
    fn check_new(&self, hash: &Hash32) -> Result<(), RpcError> {
        match self.txs.get(hash) {
            None => Ok(()),
            Some(t) if t.height.is_some() => Err(RpcError::new(
                -1,
                format!("Rejected transaction {hash}: transaction already exists"),
            )),
            Some(_) => Err(RpcError::new(
                -1,
                format!("Rejected transaction {hash}: already have transaction {hash}"),
            )),
        }
    }

    /// `sendrawtransaction`: accepts a ticket, a vote or a revocation into the mempool.
    ///
    /// Like the real hcd, a vote is not checked against the winners: a vote for a ticket
    /// that did not win (or for an older block) is accepted, stays in the mempool and is
    /// never mined (DIFFERENCES.md §4).
    pub fn submit_raw(&mut self, raw: &[u8]) -> Result<Hash32, RpcError> {
        let tx = stake_txs::decode(raw)
            .ok_or_else(|| RpcError::new(-22, "Could not decode Tx: unexpected EOF"))?;
        let hash = tx.hash();
        if let Some(t) = stake_txs::ticket_script_hash(&tx).map(|_| tx.clone()) {
            return self.submit_ticket(t);
        }
        let reject = |why: String| RpcError::new(-1, format!("Rejected transaction {hash}: {why}"));
        self.check_new(&hash)?;
        if let Some(ticket) = stake_txs::revoked_ticket(&tx) {
            let revocable = self
                .tickets
                .get(&ticket)
                .is_some_and(|c| matches!(c.state, TicketState::Missed | TicketState::Expired));
            if !revocable {
                return Err(reject(format!("ticket {ticket} is not missed or expired")));
            }
            if let Some((_, other)) = self.mempool_revocations.iter().find(|(t, _)| *t == ticket) {
                return Err(reject(format!(
                    "transaction {other} in the pool already spends ticket {ticket}"
                )));
            }
            self.txs.insert(
                hash,
                ChainTx {
                    raw: raw.to_vec(),
                    height: None,
                },
            );
            self.mempool_revocations.push((ticket, hash));
            return Ok(hash);
        }
        let vr = stake_txs::read_vote(&tx)
            .ok_or_else(|| reject("transaction is neither a ticket nor a vote".into()))?;
        if self
            .mempool_votes
            .iter()
            .any(|v| v.ticket == vr.ticket && v.height == vr.block_height)
        {
            return Err(reject(format!("already have transaction {hash}")));
        }
        if self.block_at(vr.block_height).map(|b| b.hash) != Some(vr.block_hash) {
            return Err(reject(format!(
                "vote references unknown block {}",
                vr.block_hash
            )));
        }
        let spendable = self
            .tickets
            .get(&vr.ticket)
            .is_some_and(|t| t.state == TicketState::Live);
        if !spendable {
            return Err(reject(format!("ticket {} is not a live ticket", vr.ticket)));
        }
        self.txs.insert(
            hash,
            ChainTx {
                raw: raw.to_vec(),
                height: None,
            },
        );
        self.mempool_votes.push(MempoolVote {
            hash,
            ticket: vr.ticket,
            height: vr.block_height,
        });
        Ok(hash)
    }

    /// The revocation a wallet builds for `ticket`: the same transaction from every wallet
    /// holding the key (signatures are deterministic), so a second wallet's copy is a
    /// duplicate. `None` for a ticket the chain does not know.
    pub fn revocation_for(&self, ticket: &Hash32) -> Option<Transaction> {
        let t = self.tickets.get(ticket)?;
        Some(stake_txs::revocation(ticket, t.height.unwrap_or(0), &t.tx))
    }

    /// Revocations waiting for the next block (the revoked tickets).
    pub fn pending_revocations(&self) -> Vec<Hash32> {
        self.mempool_revocations.iter().map(|(t, _)| *t).collect()
    }

    /// The revocation of `ticket` waiting in the mempool, if any.
    pub fn pending_revocation(&self, ticket: &Hash32) -> Option<Hash32> {
        self.mempool_revocations
            .iter()
            .find(|(t, _)| t == ticket)
            .map(|(_, r)| *r)
    }

    /// The votes waiting in the mempool.
    pub fn mempool_votes(&self) -> &[MempoolVote] {
        &self.mempool_votes
    }

    /// `getrawmempool false <kind>`: the hashes waiting in the mempool.
    pub fn mempool(&self, kind: MempoolKind) -> Vec<Hash32> {
        let tickets = || self.mempool_tickets.iter().copied();
        let votes = || self.mempool_votes.iter().map(|v| v.hash);
        let revs = || self.mempool_revocations.iter().map(|(_, r)| *r);
        match kind {
            MempoolKind::Tickets => tickets().collect(),
            MempoolKind::Votes => votes().collect(),
            MempoolKind::Revocations => revs().collect(),
            MempoolKind::All => tickets().chain(votes()).chain(revs()).collect(),
        }
    }

    fn next_rand(&mut self) -> u64 {
        // splitmix64: deterministic per seed, good enough to pick winners.
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Mines the next block (§6.3 steps 1–2) and returns what happened.
    pub fn mine(&mut self) -> BlockEvents {
        let (prev, prev_height) = self.tip();
        let n = prev_height.saturating_add(1);
        let p = self.params.clone();
        let mut ev = BlockEvents {
            height: n,
            stake_enabled: n >= p.stake_enabled_height,
            ..BlockEvents::default()
        };

        // Votes on block n-1 by its winners are mined; the others stay in the mempool (hcd
        // never mines them) until they are VOTE_PRUNE_DEPTH blocks old.
        let winners_prev = self.winners.get(&prev_height).cloned().unwrap_or_default();
        let mut waiting = Vec::new();
        for v in std::mem::take(&mut self.mempool_votes) {
            let voted = ev.votes.iter().any(|(_, t)| *t == v.ticket);
            if v.height == prev_height && winners_prev.contains(&v.ticket) && !voted {
                ev.votes.push((v.hash, v.ticket));
            } else {
                waiting.push(v);
            }
        }
        ev.votes.sort();
        for (vote, ticket) in &ev.votes {
            if let Some(t) = self.tickets.get_mut(ticket) {
                t.state = TicketState::Voted;
                t.spender = Some((*vote, n));
            }
            if let Some(tx) = self.txs.get_mut(vote) {
                tx.height = Some(n);
            }
            ev.spent_missed.insert(*ticket, true);
        }
        for w in &winners_prev {
            if !ev.spent_missed.contains_key(w) {
                if let Some(t) = self.tickets.get_mut(w) {
                    t.state = TicketState::Missed;
                }
                ev.spent_missed.insert(*w, false);
            }
        }

        // Revocations in the mempool (sent by the wallets: hcd revokes nothing by itself).
        for (ticket, rhash) in std::mem::take(&mut self.mempool_revocations) {
            if let Some(tx) = self.txs.get_mut(&rhash) {
                tx.height = Some(n);
            }
            if let Some(t) = self.tickets.get_mut(&ticket) {
                t.state = TicketState::Revoked;
                t.spender = Some((rhash, n));
            }
            ev.revocations.push((rhash, ticket));
            ev.spent_missed.insert(ticket, false);
        }

        // Waiting votes whose ticket is spent now, or that are too old, leave the mempool.
        for v in waiting {
            let live = self
                .tickets
                .get(&v.ticket)
                .is_some_and(|t| t.state == TicketState::Live);
            if live && v.height.saturating_add(VOTE_PRUNE_DEPTH) >= n {
                self.mempool_votes.push(v);
            } else {
                self.txs.remove(&v.hash);
            }
        }

        // Expiry and maturity.
        let mut maturing = Vec::new();
        let mut expiring = Vec::new();
        for (hash, t) in &self.tickets {
            let Some(h) = t.height else { continue };
            let age = n.saturating_sub(h);
            if t.state == TicketState::Immature && age >= p.ticket_maturity {
                maturing.push(*hash);
            } else if t.state == TicketState::Live && age >= p.ticket_expiry {
                expiring.push(*hash);
            }
        }
        maturing.sort();
        expiring.sort();
        for hash in &expiring {
            if let Some(t) = self.tickets.get_mut(hash) {
                t.state = TicketState::Expired;
            }
            ev.spent_missed.insert(*hash, false);
        }
        for hash in &maturing {
            if let Some(t) = self.tickets.get_mut(hash) {
                t.state = TicketState::Live;
            }
        }
        ev.new_tickets = maturing;

        // Tickets mined in this block.
        for hash in std::mem::take(&mut self.mempool_tickets) {
            if let Some(t) = self.tickets.get_mut(&hash) {
                t.height = Some(n);
                t.state = if p.ticket_maturity == 0 {
                    TicketState::Live
                } else {
                    TicketState::Immature
                };
            }
            if let Some(tx) = self.txs.get_mut(&hash) {
                tx.height = Some(n);
            }
            ev.mined_tickets.push(hash);
        }

        self.clock = self.clock.saturating_add(1);
        let header = Header {
            prev: *prev.as_bytes(),
            voters: u16::try_from(ev.votes.len()).unwrap_or(u16::MAX),
            fresh_stake: u8::try_from(ev.mined_tickets.len()).unwrap_or(u8::MAX),
            revocations: u8::try_from(ev.revocations.len()).unwrap_or(u8::MAX),
            pool_size: u32::try_from(self.live_count()).unwrap_or(u32::MAX),
            sbits: p.stake_difficulty,
            height: n,
            timestamp: self.clock,
        };
        let hash = header.hash();
        let bytes = header.serialize();
        self.blocks.push(Block {
            hash,
            header: bytes,
            time: self.clock,
        });
        self.by_hash.insert(hash, n);
        ev.hash = hash;
        ev.header = bytes.to_vec();

        // Winners that must vote on this block.
        if n.saturating_add(1) >= p.stake_validation_height {
            let mut live: Vec<Hash32> = self
                .tickets
                .iter()
                .filter(|(_, t)| t.state == TicketState::Live)
                .map(|(h, _)| *h)
                .collect();
            live.sort();
            if !live.is_empty() {
                let mut drawn = Vec::new();
                while drawn.len() < p.tickets_per_block && !live.is_empty() {
                    let i = (self.next_rand() % live.len() as u64) as usize;
                    drawn.push(live.swap_remove(i));
                }
                self.winners.insert(n, drawn.clone());
                ev.winners = Some(drawn);
            }
        }
        if !ev.stake_enabled {
            ev.spent_missed.clear();
            ev.new_tickets.clear();
        }
        ev
    }
}
