//! Transaction bytes: HC's wire decoding, then the ticket (SStx) and vote (SSGen) readers
//! and the pool-fee check of a ticket.
//! A transaction that decodes re-encodes to exactly the input bytes (prefix-only inputs to
//! the prefix serialization), and what a ticket or vote reader accepts reads the same from
//! the re-encoded bytes.

use hcpool_core::fee::evaluate_pool_ticket;
use hcpool_core::stake::StakeOutput;
use hcpool_core::tx::Transaction;
use hcpool_core::{Network, PoolFeeRate, Ticket, Vote};

/// The target.
pub fn check(data: &[u8]) {
    if let Some(hex) = crate::text(data) {
        // RPC `hex` fields take this path.
        let _ = Transaction::decode_hex(hex).map(|tx| check_tx(&tx));
    }
    let Ok(tx) = Transaction::decode(data) else {
        return;
    };
    // Byte 2..4 of the first word is the serialization type (0 full, 1 prefix only).
    let prefix_only = data.get(2..4) == Some(&[1, 0][..]);
    let encoded = if prefix_only {
        tx.encode_prefix()
    } else {
        tx.encode()
    };
    assert_eq!(encoded, data, "transaction re-encodes to other bytes");
    assert_eq!(
        Transaction::decode(&tx.encode()).as_ref(),
        Ok(&tx),
        "full encoding round trip"
    );
    check_tx(&tx);
}

fn check_tx(tx: &Transaction) {
    let _ = tx.hash();
    for out in &tx.outputs {
        if let Some(s) = StakeOutput::parse(&out.pk_script) {
            assert_eq!(
                s.script(),
                out.pk_script,
                "stake output re-encodes differently"
            );
        }
    }
    if let Ok(ticket) = Ticket::from_tx(tx) {
        assert_eq!(ticket.hash(), tx.hash());
        let _ = ticket.price();
        let _ = ticket.voting_is_p2sh();
        for net in Network::ALL {
            let _ = ticket.voting_address(net);
            for c in ticket.commitments() {
                let _ = c.address(net);
            }
        }
        assert_eq!(
            ticket.commitments().first(),
            Some(ticket.first_commitment())
        );
        // stakepoold's fee check on every new ticket: sums of untrusted amounts.
        if let Ok(rate) = PoolFeeRate::from_percent(7.5) {
            for net in Network::ALL {
                for height in [0, i64::from(tx.expiry), -1, i64::MAX] {
                    let _ = evaluate_pool_ticket(&ticket, height, |_| true, rate, net.params());
                }
            }
        }
        let again = Ticket::decode(&tx.encode());
        assert_eq!(again.map(|t| t.hash()).ok(), Some(ticket.hash()));
    }
    if let Ok(vote) = Vote::from_tx(tx) {
        assert_eq!(vote.hash, tx.hash());
        let _ = vote.vote_version();
    }
}
