//! Property tests of the transaction codec and the stake parsers on arbitrary input.

use hcpool_core::ids::Hash32;
use hcpool_core::stake::{
    build_pool_ticket, parse_votebits_script, votebits_script, Commitment, PoolTicketSpec,
    StakeAddress, StakeOutput, Ticket, Vote,
};
use hcpool_core::tx::{OutPoint, Transaction, TxIn, TxOut};
use hcpool_core::votebits::{ExtendedVoteBits, VoteBits};
use hcpool_core::Amount;
use proptest::prelude::*;

fn outpoint() -> impl Strategy<Value = OutPoint> {
    (any::<[u8; 32]>(), any::<u32>(), any::<i8>()).prop_map(|(h, index, tree)| OutPoint {
        hash: Hash32::from_bytes(h),
        index,
        tree,
    })
}

fn tx_in() -> impl Strategy<Value = TxIn> {
    (
        outpoint(),
        any::<u32>(),
        any::<i64>(),
        any::<u32>(),
        any::<u32>(),
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(
            |(
                previous_outpoint,
                sequence,
                value_in,
                block_height,
                block_index,
                signature_script,
            )| TxIn {
                previous_outpoint,
                sequence,
                value_in,
                block_height,
                block_index,
                signature_script,
            },
        )
}

fn tx_out() -> impl Strategy<Value = TxOut> {
    (
        any::<i64>(),
        any::<u16>(),
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(value, version, pk_script)| TxOut {
            value,
            version,
            pk_script,
        })
}

fn transaction() -> impl Strategy<Value = Transaction> {
    (
        any::<u16>(),
        prop::collection::vec(tx_in(), 0..6),
        prop::collection::vec(tx_out(), 0..6),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(version, inputs, outputs, lock_time, expiry)| Transaction {
                version,
                inputs,
                outputs,
                lock_time,
                expiry,
            },
        )
}

proptest! {
    #[test]
    fn encode_then_decode_is_identity(tx in transaction()) {
        let bytes = tx.encode();
        prop_assert_eq!(Transaction::decode(&bytes), Ok(tx.clone()));
        let prefix_only = Transaction::decode(&tx.encode_prefix()).expect("prefix decodes");
        prop_assert_eq!(prefix_only.hash(), tx.hash());
        prop_assert_eq!(&prefix_only.outputs, &tx.outputs);
        prop_assert_eq!(prefix_only.inputs.len(), tx.inputs.len());
    }

    /// Whatever decodes re-encodes to the same bytes (varints must be canonical).
    #[test]
    fn decode_of_arbitrary_bytes_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(tx) = Transaction::decode(&bytes) {
            let again = if bytes.get(2..4) == Some(&[1, 0][..]) { tx.encode_prefix() } else { tx.encode() };
            prop_assert_eq!(again, bytes.clone());
        }
        let _ = Ticket::decode(&bytes);
        let _ = StakeOutput::parse(&bytes);
        let _ = Commitment::from_script(&bytes);
        let _ = parse_votebits_script(&bytes);
    }

    /// Corrupting one byte or truncating a valid encoding is handled without panicking.
    #[test]
    fn corrupted_transactions_never_panic(tx in transaction(), at in any::<prop::sample::Index>(), b in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let mut bytes = tx.encode();
        let i = at.index(bytes.len());
        bytes[i] = b;
        if let Ok(t) = Transaction::decode(&bytes) {
            let _ = Ticket::from_tx(&t);
            let _ = Vote::from_tx(&t);
        }
        let good = tx.encode();
        let n = cut.index(good.len());
        prop_assert!(Transaction::decode(&good[..n]).is_err());
    }

    #[test]
    fn pool_tickets_always_parse(
        msa in any::<[u8; 20]>(),
        fee_hash in any::<[u8; 20]>(),
        price in 0i64..i64::MAX / 4,
        pool in 0i64..i64::MAX / 4,
        user in 0i64..i64::MAX / 4,
        expiry in any::<u32>(),
    ) {
        let spec = PoolTicketSpec {
            voting_script_hash: msa,
            price: Amount(price),
            pool_input: OutPoint::default(),
            pool_fee_hash: fee_hash,
            pool_amount: Amount(pool),
            user_input: OutPoint::default(),
            user_reward: StakeAddress::Secp256k1(msa),
            user_amount: Amount(user),
            expiry,
        };
        let ticket = Ticket::decode(&build_pool_ticket(&spec).encode()).expect("valid ticket");
        prop_assert_eq!(ticket.price(), Amount(price));
        prop_assert_eq!(ticket.commitments()[0].amount, Amount(pool));
        prop_assert_eq!(ticket.commitments()[0].hash, fee_hash);
        prop_assert_eq!(ticket.commitments()[1].amount, Amount(user));
        prop_assert!(!ticket.commitments()[1].is_p2sh);
    }

    #[test]
    fn votebits_script_round_trips(bits in any::<u16>(), ext in prop::collection::vec(any::<u8>(), 0..=73)) {
        let ext = ExtendedVoteBits::from_bytes(&ext).expect("≤ 73 bytes");
        let script = votebits_script(VoteBits(bits), &ext);
        prop_assert!(script.len() <= 77);
        let script = votebits_script(VoteBits(bits), &ext);
        prop_assert_eq!(parse_votebits_script(&script), Some((VoteBits(bits), ext)));
    }
}
