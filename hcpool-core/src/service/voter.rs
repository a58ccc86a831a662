//! The voting decisions of stakepoold, as pure state (hcwallet-rpc.md §3.3,
//! hcstakepool-inventory.md §11.3–11.5).
//!
//! [`VoterState`] holds the live, ignored and added low-fee ticket maps and the users'
//! voting configuration; the daemon feeds it notifications and wallet answers and asks it
//! which votes to cast. It does no I/O, so the daemon can hold it under a lock that is never
//! kept across a network call.
//!
//! Deliberate differences from hcstakepool (upstream bugs, inv §11.3/§11.5):
//! - a ticket that fails the fee check goes to *ignored* only (upstream also voted it);
//! - a ticket removed from the added low-fee set leaves *live* (upstream kept voting it).

use std::collections::{HashMap, HashSet, VecDeque};

use crate::backend::{TicketEntry, UserVotingConfig};
use crate::ids::TicketHash;
use crate::votebits::VoteBits;

/// The wallet's default voting configuration (`walletinfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletVoteDefaults {
    /// Default votebits.
    pub vote_bits: VoteBits,
    /// Extended votebits (LE32 vote version).
    pub vote_bits_extended: Vec<u8>,
    /// The wallet's vote version.
    pub vote_version: u32,
}

/// Why a vote uses the bits it uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BitsSource {
    /// The ticket owner's preference.
    User,
    /// No user owns the ticket's multisig address: wallet default.
    UnknownUser,
    /// The user's bits were chosen for another vote version: wallet default.
    VersionMismatch,
}

/// One vote to cast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteJob {
    /// The winning ticket.
    pub ticket: TicketHash,
    /// Its multisig (ticket) address.
    pub ticket_address: String,
    /// The votebits to vote with.
    pub vote_bits: VoteBits,
    /// Why these bits.
    pub source: BitsSource,
}

/// The result of the pool-fee check for a new ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FeeCheck {
    /// The ticket paid the pool enough.
    Paid,
    /// It did not, or it could not be evaluated.
    NotPaid,
}

/// stakepoold's ticket and user state.
#[derive(Debug, Clone)]
pub struct VoterState {
    live: HashMap<TicketHash, String>,
    ignored: HashMap<TicketHash, String>,
    added: HashMap<TicketHash, String>,
    users: HashMap<String, UserVotingConfig>,
    defaults: WalletVoteDefaults,
    /// Recently spent or missed tickets, oldest first (at most [`GONE_CAPACITY`]): a lookup
    /// that finishes after the ticket was spent must not bring it back.
    gone: VecDeque<TicketHash>,
    gone_set: HashSet<TicketHash>,
}

/// How many spent or missed tickets [`VoterState`] remembers (a few hundred blocks' worth).
pub const GONE_CAPACITY: usize = 4096;

impl VoterState {
    /// An empty state voting with `defaults` when a user's bits cannot be used.
    pub fn new(defaults: WalletVoteDefaults) -> Self {
        VoterState {
            live: HashMap::new(),
            ignored: HashMap::new(),
            added: HashMap::new(),
            users: HashMap::new(),
            defaults,
            gone: VecDeque::new(),
            gone_set: HashSet::new(),
        }
    }

    /// The wallet defaults.
    pub fn defaults(&self) -> &WalletVoteDefaults {
        &self.defaults
    }

    /// Replaces every user's voting configuration (`SetUserVotingPrefs`).
    pub fn set_user_voting_prefs(&mut self, users: Vec<UserVotingConfig>) {
        self.users = users
            .into_iter()
            .map(|u| (u.multisig_address.clone(), u))
            .collect();
    }

    /// Whether `address` is a registered user's multisig address.
    pub fn is_user_multisig(&self, address: &str) -> bool {
        self.users.contains_key(address)
    }

    /// Every user's voting configuration, by user id.
    pub fn users(&self) -> Vec<UserVotingConfig> {
        let mut users: Vec<UserVotingConfig> = self.users.values().cloned().collect();
        users.sort_by_key(|u| u.user_id);
        users
    }

    /// The voting configuration of the user whose multisig address is `address`.
    pub fn user(&self, address: &str) -> Option<&UserVotingConfig> {
        self.users.get(address)
    }

    /// Number of users known.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// Replaces the added low-fee set (`SetAddedLowFeeTickets`): new members move from
    /// ignored to live; members no longer added move from live back to ignored.
    ///
    /// Only the pool's live tickets move: an added ticket the wallet has not listed (yet)
    /// goes live when it is found ([`VoterState::add_ticket`]), and a dropped one that was
    /// already voted, missed or never seen is just forgotten, not made "ignored".
    pub fn set_added_low_fee_tickets(&mut self, tickets: Vec<TicketEntry>) {
        let new: HashMap<TicketHash, String> = tickets
            .into_iter()
            .map(|t| (t.ticket_hash, t.ticket_address))
            .collect();
        for hash in self.added.keys() {
            if !new.contains_key(hash) {
                if let Some(addr) = self.live.remove(hash) {
                    self.ignored.insert(*hash, addr);
                }
            }
        }
        for hash in new.keys() {
            if let Some(addr) = self.ignored.remove(hash) {
                self.live.insert(*hash, addr);
            }
        }
        self.added = new;
    }

    /// Records one of the pool's tickets (found at start-up or in `newtickets`): added
    /// low-fee tickets and tickets that paid go live, the rest are ignored. A ticket already
    /// reported spent or missed stays out (its lookup finished late).
    pub fn add_ticket(&mut self, ticket: TicketHash, ticket_address: String, fee: FeeCheck) {
        if self.gone_set.contains(&ticket) {
            return;
        }
        if self.added.contains_key(&ticket) || fee == FeeCheck::Paid {
            self.ignored.remove(&ticket);
            self.live.insert(ticket, ticket_address);
        } else {
            self.live.remove(&ticket);
            self.ignored.insert(ticket, ticket_address);
        }
    }

    /// Whether `ticket` is in the added low-fee set (it needs no fee check).
    pub fn is_added(&self, ticket: &TicketHash) -> bool {
        self.added.contains_key(ticket)
    }

    /// Forgets spent or missed tickets (`spentandmissedtickets`) and remembers them, so a
    /// late [`VoterState::add_ticket`] cannot bring them back.
    pub fn remove_tickets<'a>(&mut self, tickets: impl IntoIterator<Item = &'a TicketHash>) {
        for t in tickets {
            self.live.remove(t);
            self.ignored.remove(t);
            if self.gone_set.insert(*t) {
                self.gone.push_back(*t);
            }
        }
        while self.gone.len() > GONE_CAPACITY {
            if let Some(old) = self.gone.pop_front() {
                self.gone_set.remove(&old);
            }
        }
    }

    /// Replaces the live and ignored maps (a start-up or reconnect rescan). Added low-fee
    /// tickets among them are live; an added ticket the rescan did not find stays out.
    pub fn replace_tickets(
        &mut self,
        live: HashMap<TicketHash, String>,
        ignored: HashMap<TicketHash, String>,
    ) {
        self.live = live;
        self.ignored = ignored;
        for hash in self.added.keys() {
            if let Some(addr) = self.ignored.remove(hash) {
                self.live.insert(*hash, addr);
            }
        }
    }

    /// The votes to cast for `winners` (`winningtickets`): one per winner in the live set;
    /// winners the pool does not manage are skipped.
    pub fn votes_for(&self, winners: &[TicketHash]) -> Vec<VoteJob> {
        winners
            .iter()
            .filter_map(|t| {
                let msa = self.live.get(t)?;
                let (vote_bits, source) = match self.users.get(msa) {
                    None => (self.defaults.vote_bits, BitsSource::UnknownUser),
                    Some(u) if u.vote_bits_version != self.defaults.vote_version => {
                        (self.defaults.vote_bits, BitsSource::VersionMismatch)
                    }
                    Some(u) => (u.vote_bits, BitsSource::User),
                };
                Some(VoteJob {
                    ticket: *t,
                    ticket_address: msa.clone(),
                    vote_bits,
                    source,
                })
            })
            .collect()
    }

    /// The `winners` that are neither live nor ignored: a ticket drawn in the block it
    /// matured in can win before that block's `newtickets` is handled, so these are worth
    /// looking up in the wallet before giving up on them.
    pub fn unknown(&self, winners: &[TicketHash]) -> Vec<TicketHash> {
        winners
            .iter()
            .filter(|t| !self.live.contains_key(t) && !self.ignored.contains_key(t))
            .copied()
            .collect()
    }

    /// Live tickets (`GetLiveTickets`).
    pub fn live(&self) -> Vec<TicketEntry> {
        entries(&self.live)
    }

    /// Ignored low-fee tickets (`GetIgnoredLowFeeTickets`).
    pub fn ignored(&self) -> Vec<TicketEntry> {
        entries(&self.ignored)
    }

    /// Added low-fee tickets (`GetAddedLowFeeTickets`).
    pub fn added(&self) -> Vec<TicketEntry> {
        entries(&self.added)
    }

    /// Number of live tickets.
    pub fn live_count(&self) -> usize {
        self.live.len()
    }
}

fn entries(map: &HashMap<TicketHash, String>) -> Vec<TicketEntry> {
    let mut v: Vec<TicketEntry> = map
        .iter()
        .map(|(h, a)| TicketEntry {
            ticket_address: a.clone(),
            ticket_hash: *h,
        })
        .collect();
    v.sort_by_key(|e| e.ticket_hash);
    v
}

#[cfg(test)]
mod tests;
