//! Votes (SSGen) (hc-chain-facts.md §5.5; hcwallet-rpc.md §6.4).

use crate::fee::Amount;
use crate::ids::{BlockHash, Hash32, TicketHash};
use crate::params::Network;
use crate::tx::{OutPoint, Transaction, TxError, TxIn, TxOut};
use crate::votebits::{ExtendedVoteBits, VoteBits};

use super::{null_data, op, pay_to_ssgen, push_data, StakeOutput, StakeTag, Ticket};

/// `MaxOutputsPerSSGen`: block reference, votebits and one payout per possible ticket input.
const MAX_VOTE_OUTPUTS: usize = 66;

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
    // IsSSGen: exactly 38 bytes with the prefix `6a 24`.
    if script.len() != 38 || script.get(..2) != Some(&[op::OP_RETURN, 0x24][..]) {
        return None;
    }
    let hash: [u8; 32] = script.get(2..34)?.try_into().ok()?;
    let height = u32::from_le_bytes(script.get(34..38)?.try_into().ok()?);
    Some((Hash32::from_bytes(hash), height))
}

/// Output 1 of a vote: `6a <push> <votebits LE16> <extended>`; hcwallet's extended bytes
/// are the LE32 vote version (votebits 1, version 7 → `6a06010007000000`).
pub fn votebits_script(votebits: VoteBits, extended: &ExtendedVoteBits) -> Vec<u8> {
    let mut data = Vec::with_capacity(2 + extended.as_bytes().len());
    data.extend_from_slice(&votebits.bits().to_le_bytes());
    data.extend_from_slice(extended.as_bytes());
    let mut s = vec![op::OP_RETURN];
    // At most 2 + 73 bytes: always a single-byte push, so the script is at most 77 bytes.
    let pushed = push_data(&mut s, &data);
    debug_assert!(pushed, "votebits data is at most 75 bytes");
    s
}

/// Reads a votebits output as HC does: a null-data script of 4..=77 bytes whose push byte
/// is 2..=77 (IsSSGen), votebits at bytes 2..4 (`SSGenVoteBits`) and the extended bits
/// after them (the vote version at 4..8, `SSGenVersion`).
pub fn parse_votebits_script(script: &[u8]) -> Option<(VoteBits, ExtendedVoteBits)> {
    if !(4..=77).contains(&script.len()) || !(2..=77).contains(script.get(1)?) {
        return None;
    }
    null_data(script)?;
    let bits = u16::from_le_bytes([*script.get(2)?, *script.get(3)?]);
    let extended = ExtendedVoteBits::from_bytes(script.get(4..)?).ok()?;
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
    /// Reads a vote with `IsSSGen`'s checks: two inputs (stakebase, then output 0 of a
    /// ticket from the stake tree), at most 66 outputs of script version 0, a block
    /// reference at output 0, votebits at output 1, `OP_SSGEN` payouts after them. The
    /// witness (stakebase fraud proof) is not checked, so a prefix-only vote reads too.
    pub fn from_tx(tx: &Transaction) -> Result<Vote, TxError> {
        let [stakebase, ticket_in] = tx.inputs.as_slice() else {
            return Err(TxError::NotVote("a vote has exactly two inputs"));
        };
        let sb = &stakebase.previous_outpoint;
        if sb.index != STAKEBASE_INDEX || sb.hash != Hash32::default() || sb.tree != 0 {
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
        if tx.outputs.len() > MAX_VOTE_OUTPUTS {
            return Err(TxError::NotVote("too many outputs"));
        }
        if tx.outputs.iter().any(|o| o.version != 0) {
            return Err(TxError::NotVote(
                "an output has a script version other than 0",
            ));
        }
        let payouts_ok =
            tx.outputs.iter().skip(2).all(|o| {
                StakeOutput::parse(&o.pk_script).is_some_and(|s| s.tag == StakeTag::SSGen)
            });
        if !payouts_ok {
            return Err(TxError::NotVote("a payout is not OP_SSGEN-tagged"));
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_ref_needs_the_exact_prefix() {
        let good = block_ref_script(&Hash32::from_bytes([3; 32]), 9);
        assert_eq!(
            parse_block_ref(&good),
            Some((Hash32::from_bytes([3; 32]), 9))
        );
        let mut pushdata1 = vec![op::OP_RETURN, op::OP_PUSHDATA1, 0x24];
        pushdata1.extend_from_slice(&good[2..]);
        assert_eq!(parse_block_ref(&pushdata1), None);
        assert_eq!(parse_block_ref(&good[..37]), None);
    }

    #[test]
    fn votebits_script_bounds() {
        assert_eq!(
            parse_votebits_script(&[0x6a, 0x01, 0x05]),
            None,
            "too short"
        );
        assert_eq!(
            parse_votebits_script(&[0x6a, 0x02, 0x05, 0x00]),
            Some((VoteBits(5), ExtendedVoteBits::default()))
        );
        let mut long = vec![0x6a, 0x4c, 76];
        long.extend_from_slice(&[0; 76]);
        assert_eq!(parse_votebits_script(&long), None, "79 bytes");
        assert_eq!(
            parse_votebits_script(&[0x6a, 0x03, 0x05, 0x00]),
            None,
            "bad push"
        );
        assert_eq!(
            parse_votebits_script(&[0x00, 0x02, 0x05, 0x00]),
            None,
            "no OP_RETURN"
        );
        let ext = ExtendedVoteBits::from_bytes(&[9; 73]).expect("73 bytes");
        let max = votebits_script(VoteBits(1), &ext);
        assert_eq!(max.len(), 77);
        assert_eq!(parse_votebits_script(&max), Some((VoteBits(1), ext)));
    }

    #[test]
    fn rewards_are_proportional_and_floor() {
        let r = calculate_rewards(&[Amount(1), Amount(2)], Amount(10), Amount(0));
        assert_eq!(r, vec![Amount(3), Amount(6)]);
        assert_eq!(calculate_rewards(&[], Amount(10), Amount(1)), vec![]);
    }
}
