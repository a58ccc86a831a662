//! The stake transactions the simulated wallets write and the simulated node reads: pool
//! tickets (SStx), votes (SSGen) and revocations (SSRtx), as hcwallet lays them out
//! (hcwallet-rpc.md §6.4, hc-chain-facts.md §5.4–5.5, DIFFERENCES.md §21–22).
//!
//! The wire format, hashing and scripts are hcpool-core's ([`Transaction`],
//! [`hcpool_core::stake`]); what is the simulator's own is how it fills them in: dummy
//! signatures (the simulated node does not verify them), funding outpoints made up from a
//! nonce, and vote payouts split evenly.

use hcpool_core::hash::blake256;
use hcpool_core::stake::{
    block_ref_script, pay_to_sstx, pay_to_sstx_change, votebits_script, Commitment, FeeLimits,
    StakeAddress, StakeOutput, StakeTag,
};
use hcpool_core::tx::{OutPoint, Transaction, TxIn, TxOut, SER_FULL};
use hcpool_core::{Amount, ExtendedVoteBits, Hash32, Vote, VoteBits};

/// The stakebase signature script of a vote on simnet (`deadbeef`).
pub const STAKEBASE_SCRIPT: [u8; 4] = [0xde, 0xad, 0xbe, 0xef];

/// The signature script standing in for a real signature.
const DUMMY_SIGNATURE: [u8; 1] = [0x00];

/// An input with the wallet's witness defaults and a dummy signature.
fn input(previous_outpoint: OutPoint, value_in: i64, block_height: u32) -> TxIn {
    TxIn {
        value_in,
        block_height,
        signature_script: DUMMY_SIGNATURE.to_vec(),
        ..TxIn::new(previous_outpoint)
    }
}

/// A stake-tagged P2PKH output in hcwallet's form `<tag> OP_DUP OP_HASH160 <h160>
/// OP_EQUALVERIFY 00 OP_CHECKSIGALT` (27 bytes), which it writes for ticket change, vote
/// payouts and revocation payouts alike (DIFFERENCES.md §21).
fn stake_p2pkh(tag: StakeTag, hash160: [u8; 20]) -> Vec<u8> {
    StakeOutput {
        tag,
        address: StakeAddress::Secp256k1(hash160),
        plain_checksig: false,
    }
    .script()
}

/// Decodes a full serialization (prefix and witness), the only form `sendrawtransaction`
/// and `addticket` take (any error → `None`).
pub fn decode(bytes: &[u8]) -> Option<Transaction> {
    let ser_type = u16::from_le_bytes([*bytes.get(2)?, *bytes.get(3)?]);
    if ser_type != SER_FULL {
        return None;
    }
    Transaction::decode(bytes).ok()
}

/// Parts of a pool ticket.
#[derive(Debug, Clone)]
pub struct PoolTicket {
    /// The user's multisig script hash (ticket output 0).
    pub msa_hash: [u8; 20],
    /// The ticket price (atoms).
    pub price: i64,
    /// The pool fee address' hash160 (first commitment).
    pub pool_fee_hash: [u8; 20],
    /// The pool's commitment (the fee paid to the pool).
    pub pool_amount: i64,
    /// The user's reward address' hash160 (second commitment).
    pub user_hash: [u8; 20],
    /// The user's commitment.
    pub user_amount: i64,
    /// Makes the funding outpoints unique.
    pub nonce: u64,
}

/// hcwallet's pool ticket: inputs [pool fee, user]; outputs [SStx→P2SH, commit pool,
/// change, commit user, change] (the layout of [`hcpool_core::stake::build_pool_ticket`],
/// with dummy signatures).
pub fn pool_ticket(t: &PoolTicket) -> Transaction {
    let funding = |k: u8, value: i64| {
        let mut seed = t.nonce.to_le_bytes().to_vec();
        seed.push(k);
        let outpoint = OutPoint {
            hash: Hash32::from_bytes(blake256(&seed)),
            index: 0,
            tree: 0,
        };
        input(outpoint, value, 0)
    };
    let commit = |hash: [u8; 20], amount: i64| {
        let c = Commitment::new(
            &StakeAddress::Secp256k1(hash),
            Amount(amount),
            FeeLimits::WALLET_DEFAULT,
        );
        TxOut::new(0, c.script())
    };
    let zero_change = || TxOut::new(0, pay_to_sstx_change(&StakeAddress::Secp256k1([0; 20])));
    Transaction {
        inputs: vec![funding(0, t.pool_amount), funding(1, t.user_amount)],
        outputs: vec![
            TxOut::new(t.price, pay_to_sstx(&StakeAddress::ScriptHash(t.msa_hash))),
            commit(t.pool_fee_hash, t.pool_amount),
            zero_change(),
            commit(t.user_hash, t.user_amount),
            zero_change(),
        ],
        ..Transaction::default()
    }
}

/// A vote (SSGen) on `block` at `height` for `ticket`, paying `ticket_value + subsidy`
/// evenly to `payees` (hash160s; the split is not checked by the simulator).
#[allow(clippy::too_many_arguments)]
pub fn vote(
    block: &Hash32,
    height: u32,
    ticket: &Hash32,
    ticket_value: i64,
    subsidy: i64,
    votebits: u16,
    votebits_ext: &[u8],
    payees: &[[u8; 20]],
) -> Transaction {
    let ext = &votebits_ext[..votebits_ext.len().min(ExtendedVoteBits::MAX_LEN)];
    let ext = ExtendedVoteBits::from_bytes(ext).unwrap_or_default();
    let mut outputs = vec![
        TxOut::new(0, block_ref_script(block, height)),
        TxOut::new(0, votebits_script(VoteBits(votebits), &ext)),
    ];
    let n = payees.len().max(1) as i64;
    for p in payees {
        outputs.push(TxOut::new(
            (ticket_value + subsidy) / n,
            stake_p2pkh(StakeTag::SSGen, *p),
        ));
    }
    // The stakebase: witness value = the subsidy, script `deadbeef` on simnet.
    let stakebase = TxIn {
        signature_script: STAKEBASE_SCRIPT.to_vec(),
        ..input(
            OutPoint {
                hash: Hash32::default(),
                index: u32::MAX,
                tree: 0,
            },
            subsidy,
            0,
        )
    };
    // The ticket: hcwallet leaves its witness value at -1 and its height at 0.
    let ticket_in = input(
        OutPoint {
            hash: *ticket,
            index: 0,
            tree: 1,
        },
        TxIn::NULL_VALUE_IN,
        0,
    );
    Transaction {
        inputs: vec![stakebase, ticket_in],
        outputs,
        ..Transaction::default()
    }
}

/// A revocation (SSRtx) of `ticket` (mined at `ticket_height`): its output 0 back to each
/// commitment of the ticket, `bc`-tagged (P2PKH with `OP_CHECKSIGALT`, or P2SH).
pub fn revocation(ticket: &Hash32, ticket_height: u32, ticket_tx: &Transaction) -> Transaction {
    let price = ticket_tx.outputs.first().map_or(0, |o| o.value);
    let commitments = commitments(ticket_tx);
    let total: i64 = commitments.iter().map(|c| c.amount.0).sum::<i64>().max(1);
    let outputs = commitments
        .iter()
        .map(|c| {
            // Each commitment gets its share of the price (the split is not checked).
            let value =
                i64::try_from(i128::from(price) * i128::from(c.amount.0) / i128::from(total))
                    .unwrap_or(0);
            let script = if c.is_p2sh {
                StakeOutput {
                    tag: StakeTag::SSRtx,
                    address: StakeAddress::ScriptHash(c.hash),
                    plain_checksig: false,
                }
                .script()
            } else {
                stake_p2pkh(StakeTag::SSRtx, c.hash)
            };
            TxOut::new(value, script)
        })
        .collect();
    let ticket_in = input(
        OutPoint {
            hash: *ticket,
            index: 0,
            tree: 1,
        },
        price,
        ticket_height,
    );
    Transaction {
        inputs: vec![ticket_in],
        outputs,
        ..Transaction::default()
    }
}

/// The P2SH script hash of an `OP_SSTX` ticket's output 0, if this looks like a ticket.
pub fn ticket_script_hash(tx: &Transaction) -> Option<[u8; 20]> {
    let out = StakeOutput::parse(&tx.outputs.first()?.pk_script)?;
    match (out.tag, out.address) {
        (StakeTag::SStx, StakeAddress::ScriptHash(h)) => Some(h),
        _ => None,
    }
}

/// The commitments of a ticket's odd outputs (null-data scripts read at HC's offsets).
pub fn commitments(tx: &Transaction) -> Vec<Commitment> {
    tx.outputs
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|o| o.pk_script.first() == Some(&hcpool_core::stake::op::OP_RETURN))
        .filter_map(|o| Commitment::from_script(&o.pk_script))
        .collect()
}

/// The ticket a revocation (one stake-tree input, `bc`-tagged outputs) revokes.
pub fn revoked_ticket(tx: &Transaction) -> Option<Hash32> {
    let [input] = tx.inputs.as_slice() else {
        return None;
    };
    let revocation = input.previous_outpoint.tree == 1
        && !tx.outputs.is_empty()
        && tx
            .outputs
            .iter()
            .all(|o| o.pk_script.first() == Some(&StakeTag::SSRtx.opcode()));
    revocation.then_some(input.previous_outpoint.hash)
}

/// A vote as hcd reads it (`IsSSGen`), or `None`.
pub fn read_vote(tx: &Transaction) -> Option<Vote> {
    Vote::from_tx(tx).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_round_trips_and_reads_back() {
        let t = PoolTicket {
            msa_hash: [7; 20],
            price: 250_000_000,
            pool_fee_hash: [1; 20],
            pool_amount: 5_000_000,
            user_hash: [2; 20],
            user_amount: 245_100_000,
            nonce: 9,
        };
        let tx = pool_ticket(&t);
        let bytes = tx.encode();
        let back = decode(&bytes).unwrap();
        assert_eq!(back.encode(), bytes);
        assert_eq!(back.hash(), tx.hash());
        assert_eq!(ticket_script_hash(&back), Some([7; 20]));
        let c: Vec<_> = commitments(&back)
            .iter()
            .map(|c| (c.hash, c.amount.0, c.is_p2sh))
            .collect();
        assert_eq!(
            c,
            vec![([1; 20], 5_000_000, false), ([2; 20], 245_100_000, false)]
        );
        assert_eq!(tx.outputs[1].pk_script.len(), 33);
        assert!(decode(&bytes[..bytes.len() - 1]).is_none());
        // The core's strict ticket reader accepts it too.
        assert!(hcpool_core::Ticket::decode(&bytes).is_ok());
        // A prefix-only serialization is not what the wallet or hcd take.
        assert!(decode(&tx.encode_prefix()).is_none());
    }

    /// The bytes the simulator wrote before it used the core's types, pinned: the same
    /// ticket hashes to the same id, so recorded scenarios stay reproducible.
    #[test]
    fn pool_ticket_bytes_are_pinned() {
        let tx = pool_ticket(&PoolTicket {
            msa_hash: [7; 20],
            price: 20_000,
            pool_fee_hash: [1; 20],
            pool_amount: 5_622,
            user_hash: [2; 20],
            user_amount: 69_122,
            nonce: 1,
        });
        let funding = |k: u8| {
            let mut seed = 1u64.to_le_bytes().to_vec();
            seed.push(k);
            hex::encode(blake256(&seed))
        };
        let want = [
            "0100000002",
            &funding(0),
            "0000000000ffffffff",
            &funding(1),
            "0000000000ffffffff05",
            "204e000000000000000018baa9140707070707070707070707070707070707070707870000000000",
            "0000000000216a1f010101010101010101010101010101010101010100f6150000000000000058",
            "000000000000000000001bbd76a914000000000000000000000000000000000000000088",
            "00be00000000000000000000216a1f02020202020202020202020202020202020202020002",
            "0e0100000000000058000000000000000000001bbd76a91400000000000000000000000000",
            "000000000000008800be000000000000000002f61500000000000000000000ffffffff0100",
            "020e01000000000000000000ffffffff0100",
        ]
        .concat();
        assert_eq!(hex::encode(tx.encode()), want);
    }

    #[test]
    fn vote_refers_to_its_block_and_ticket() {
        let block = Hash32::from_bytes([3; 32]);
        let ticket = Hash32::from_bytes([4; 32]);
        let v = vote(&block, 900, &ticket, 1, 2, 5, &[7, 0, 0, 0], &[[1; 20]]);
        let back = decode(&v.encode()).unwrap();
        // hcwallet's layout: stakebase script deadbeef, ticket witness value -1, payouts
        // `bb 76 a9 14 <h160> 88 00 be`.
        assert_eq!(back.inputs[0].signature_script, STAKEBASE_SCRIPT);
        assert_eq!(back.inputs[0].value_in, 2);
        assert_eq!(back.inputs[1].value_in, -1);
        assert_eq!(
            hex::encode(&back.outputs[2].pk_script),
            format!("bb76a914{}8800be", "01".repeat(20))
        );
        let read = read_vote(&back).unwrap();
        assert_eq!(
            (read.ticket, read.block_hash, read.block_height),
            (ticket, block, 900)
        );
        assert_eq!(read.votebits, VoteBits(5));
        assert_eq!(hex::encode(&back.outputs[1].pk_script), "6a06050007000000");
        assert!(ticket_script_hash(&back).is_none());
        assert!(revoked_ticket(&back).is_none());
    }

    #[test]
    fn revocation_pays_the_commitments() {
        let ticket_tx = pool_ticket(&PoolTicket {
            msa_hash: [7; 20],
            price: 1_000,
            pool_fee_hash: [1; 20],
            pool_amount: 100,
            user_hash: [2; 20],
            user_amount: 900,
            nonce: 3,
        });
        let ticket = ticket_tx.hash();
        let r = revocation(&ticket, 12, &ticket_tx);
        let back = decode(&r.encode()).unwrap();
        assert_eq!(revoked_ticket(&back), Some(ticket));
        assert_eq!(back.inputs[0].block_height, 12);
        let values: Vec<i64> = back.outputs.iter().map(|o| o.value).collect();
        assert_eq!(values, [100, 900]);
        assert_eq!(
            hex::encode(&back.outputs[0].pk_script),
            format!("bc76a914{}8800be", "01".repeat(20))
        );
        assert!(read_vote(&back).is_none());
    }
}
