//! Votes (SSGen) (hc-chain-facts.md §5.5; hcwallet-rpc.md §6.4).

use crate::fee::Amount;
use crate::ids::{BlockHash, Hash32, TicketHash};
use crate::params::Network;
use crate::tx::{OutPoint, Transaction, TxError, TxIn, TxOut};
use crate::votebits::{ExtendedVoteBits, VoteBits};

use super::{null_data, op, pay_to_ssgen, push_data, Ticket};

/// Outpoint index of a stakebase input.
const STAKEBASE_INDEX: u32 = 0xffff_ffff;

/// Output 0 of a vote: `6a 24 <block hash 32, internal order> <height LE32>`.
pub fn block_ref_script(block: &BlockHash, height: u32) -> Vec<u8> {
    let mut s = Vec::with_capacity(38);
    s.extend_from_slice(&[op::OP_RETURN, 0x24]);
    s.extend_from_slice(block.as_bytes());
    s.extend_from_slice(&height.to_le_bytes());
    s
}

fn parse_block_ref(script: &[u8]) -> Option<(BlockHash, u32)> {
    let data = null_data(script)?;
    if data.len() != 36 {
        return None;
    }
    let hash: [u8; 32] = data.get(..32)?.try_into().ok()?;
    let height = u32::from_le_bytes(data.get(32..36)?.try_into().ok()?);
    Some((Hash32::from_bytes(hash), height))
}

/// Output 1 of a vote: `6a <push> <votebits LE16> <extended>`; hcwallet's extended bytes
/// are the LE32 vote version (votebits 1, version 7 → `6a06010007000000`).
pub fn votebits_script(votebits: VoteBits, extended: &ExtendedVoteBits) -> Vec<u8> {
    let mut data = Vec::with_capacity(2 + extended.as_bytes().len());
    data.extend_from_slice(&votebits.bits().to_le_bytes());
    data.extend_from_slice(extended.as_bytes());
    let mut s = vec![op::OP_RETURN];
    // At most 2 + 75 bytes, which push_data always encodes.
    let pushed = push_data(&mut s, &data);
    debug_assert!(pushed, "votebits data is at most 77 bytes");
    s
}

/// Reads a votebits output: a null-data push of 2..=77 bytes.
pub fn parse_votebits_script(script: &[u8]) -> Option<(VoteBits, ExtendedVoteBits)> {
    let data = null_data(script)?;
    if !(2..=77).contains(&data.len()) {
        return None;
    }
    let bits = u16::from_le_bytes([*data.first()?, *data.get(1)?]);
    let extended = ExtendedVoteBits::from_bytes(data.get(2..)?).ok()?;
    Some((VoteBits(bits), extended))
}

/// `CalculateRewards`: each commitment's share of `price + subsidy`, proportional to its
/// amount, rounded down. Empty when the commitments sum to zero or less.
pub fn calculate_rewards(commitments: &[Amount], price: Amount, subsidy: Amount) -> Vec<Amount> {
    let total: i128 = commitments.iter().map(|a| i128::from(a.0)).sum();
    if total <= 0 {
        return Vec::new();
    }
    let pot = i128::from(price.0) + i128::from(subsidy.0);
    commitments
        .iter()
        .map(|a| {
            let share = i128::from(a.0) * pot / total;
            Amount(i64::try_from(share).unwrap_or(if share < 0 { i64::MIN } else { i64::MAX }))
        })
        .collect()
}

/// What a wallet's `generatevote` needs to build a vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteSpec<'a> {
    /// The winning ticket.
    pub ticket: &'a Ticket,
    /// The block voted on.
    pub block_hash: BlockHash,
    /// Its height.
    pub block_height: u32,
    /// The votebits.
    pub votebits: VoteBits,
    /// The extended votebits (the wallet's LE32 vote version).
    pub extended: ExtendedVoteBits,
    /// The stake vote subsidy the stakebase input claims.
    pub subsidy: Amount,
    /// The network (its stakebase signature script).
    pub network: Network,
}

/// Builds an unsigned vote: inputs `[stakebase, ticket output 0 (stake tree)]`, outputs
/// `[block reference, votebits, one OP_SSGEN payout per commitment]`.
pub fn build_vote(spec: &VoteSpec<'_>) -> Transaction {
    let stakebase_sig = match spec.network {
        Network::Simnet => vec![0xde, 0xad, 0xbe, 0xef],
        Network::Mainnet | Network::Testnet => vec![0x00, 0x00],
    };
    let stakebase = TxIn {
        value_in: spec.subsidy.0,
        signature_script: stakebase_sig,
        ..TxIn::new(OutPoint {
            hash: Hash32::default(),
            index: STAKEBASE_INDEX,
            tree: 0,
        })
    };
    let ticket_in = TxIn {
        value_in: spec.ticket.price().0,
        ..TxIn::new(OutPoint {
            hash: spec.ticket.hash(),
            index: 0,
            tree: 1,
        })
    };
    let amounts: Vec<Amount> = spec.ticket.commitments().iter().map(|c| c.amount).collect();
    let rewards = calculate_rewards(&amounts, spec.ticket.price(), spec.subsidy);
    let mut outputs = vec![
        TxOut::new(0, block_ref_script(&spec.block_hash, spec.block_height)),
        TxOut::new(0, votebits_script(spec.votebits, &spec.extended)),
    ];
    for (c, reward) in spec.ticket.commitments().iter().zip(rewards) {
        outputs.push(TxOut::new(reward.0, pay_to_ssgen(&c.stake_address())));
    }
    Transaction {
        version: 1,
        inputs: vec![stakebase, ticket_in],
        outputs,
        lock_time: 0,
        expiry: 0,
    }
}

/// What the pool reads back from a vote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    /// The vote's transaction hash.
    pub hash: Hash32,
    /// The ticket it spends.
    pub ticket: TicketHash,
    /// The block voted on.
    pub block_hash: BlockHash,
    /// Its height.
    pub block_height: u32,
    /// The votebits.
    pub votebits: VoteBits,
    /// The extended votebits.
    pub extended: ExtendedVoteBits,
}

impl Vote {
    /// Reads a vote: two inputs (stakebase, then the ticket from the stake tree), a block
    /// reference at output 0 and votebits at output 1.
    pub fn from_tx(tx: &Transaction) -> Result<Vote, TxError> {
        let [stakebase, ticket_in] = tx.inputs.as_slice() else {
            return Err(TxError::NotVote("a vote has exactly two inputs"));
        };
        let sb = &stakebase.previous_outpoint;
        if sb.index != STAKEBASE_INDEX || sb.hash != Hash32::default() {
            return Err(TxError::NotVote("input 0 is not a stakebase"));
        }
        if ticket_in.previous_outpoint.tree != 1 || ticket_in.previous_outpoint.index != 0 {
            return Err(TxError::NotVote(
                "input 1 does not spend a ticket's output 0",
            ));
        }
        let (block_hash, block_height) = tx
            .outputs
            .first()
            .and_then(|o| parse_block_ref(&o.pk_script))
            .ok_or(TxError::NotVote("output 0 is not a block reference"))?;
        let (votebits, extended) = tx
            .outputs
            .get(1)
            .and_then(|o| parse_votebits_script(&o.pk_script))
            .ok_or(TxError::NotVote("output 1 is not a votebits output"))?;
        Ok(Vote {
            hash: tx.hash(),
            ticket: ticket_in.previous_outpoint.hash,
            block_hash,
            block_height,
            votebits,
            extended,
        })
    }

    /// The vote version (`SSGenVersion`: extended bytes 0..4, 0 when shorter).
    pub fn vote_version(&self) -> u32 {
        self.extended.vote_version()
    }
}
