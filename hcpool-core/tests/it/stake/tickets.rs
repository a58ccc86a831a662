//! Pool tickets, their structure check, the fee check and votes.

use super::*;
use hcpool_core::address::Address;
use hcpool_core::fee::{evaluate_pool_ticket, TicketEvaluation};
use hcpool_core::ids::Hash32;
use hcpool_core::stake::{
    build_pool_ticket, build_vote, calculate_rewards, pay_to_sstx_change, FeeLimits,
    PoolTicketSpec, StakeAddress, Ticket, Vote, VoteSpec,
};
use hcpool_core::tx::{OutPoint, Transaction, TxError, TxOut};
use hcpool_core::votebits::{ExtendedVoteBits, VoteBits};

fn hash20(v: &Value, key: &str) -> [u8; 20] {
    hex::decode(v[key].as_str().expect(key))
        .expect("hex")
        .try_into()
        .expect("20 bytes")
}

/// (network, multisig script hash, expected SStx voting script) from `multisig`.
fn pool_multisigs() -> Vec<(Network, [u8; 20], Vec<u8>)> {
    vectors("multisig")
        .iter()
        .filter(|r| r.get("sstx_vote_output_pkscript_hex").is_some())
        .map(|r| {
            let script = hex::decode(r["sstx_vote_output_pkscript_hex"].as_str().expect("hex"))
                .expect("hex");
            (params(r).network, hash20(r, "script_hash160_hex"), script)
        })
        .collect()
}

fn fee_hash() -> [u8; 20] {
    hash20(&vectors("addresses_from_hash")[0], "hash160_hex")
}

/// A pool ticket whose transaction fee is `relay_fee` and whose pool commitment is
/// `pool_amount`, as a user's wallet would pay it.
fn spec(msa: [u8; 20], price: i64, pool_amount: i64, relay_fee: i64) -> PoolTicketSpec {
    PoolTicketSpec {
        voting_script_hash: msa,
        price: Amount(price),
        pool_input: OutPoint {
            hash: Hash32::from_bytes([1; 32]),
            index: 0,
            tree: 0,
        },
        pool_fee_hash: fee_hash(),
        pool_amount: Amount(pool_amount),
        user_input: OutPoint {
            hash: Hash32::from_bytes([2; 32]),
            index: 1,
            tree: 0,
        },
        user_reward: StakeAddress::ScriptHash(msa),
        user_amount: Amount(price - pool_amount + relay_fee),
        expiry: 0,
    }
}

#[test]
fn pool_ticket_round_trips() {
    let multisigs = pool_multisigs();
    assert_eq!(multisigs.len(), 6);
    for (net, msa, voting_script) in multisigs {
        let tx = build_pool_ticket(&spec(msa, 750_000_000, 2_181_458, 100_000));
        assert_eq!(tx.outputs[0].pk_script, voting_script, "{net}");
        let bytes = tx.encode();
        let ticket = Ticket::decode(&bytes).expect("valid ticket");
        assert_eq!(ticket.tx(), &tx);
        assert_eq!(ticket.hash(), tx.hash());
        assert_eq!(ticket.price(), Amount(750_000_000));
        assert_eq!(ticket.voting_hash(), &msa);
        assert!(ticket.voting_is_p2sh());
        assert_eq!(ticket.voting_address(net), Some(Address::p2sh(net, msa)));
        let [pool, user] = ticket.commitments() else {
            panic!("two commitments");
        };
        assert_eq!(pool.address(net), Address::p2pkh(net, fee_hash()));
        assert_eq!(
            (pool.amount, pool.is_p2sh, pool.sig_suite),
            (Amount(2_181_458), false, 0)
        );
        assert_eq!(pool.fee_limits, Some(FeeLimits::WALLET_DEFAULT));
        assert_eq!(user.address(net), Address::p2sh(net, msa));
        assert_eq!(user.amount, Amount(750_000_000 - 2_181_458 + 100_000));
        let zero_change = pay_to_sstx_change(&StakeAddress::Secp256k1([0; 20]));
        assert_eq!(ticket.change().len(), 2);
        for (value, out) in ticket.change() {
            assert_eq!(*value, Amount(0));
            assert_eq!(out.script(), zero_change);
        }
    }
}

fn base_ticket() -> Transaction {
    build_pool_ticket(&spec([9; 20], 1_000, 10, 1))
}

#[test]
fn ticket_structure_errors() {
    let check = |tx: &Transaction, want: TxError| {
        assert_eq!(Ticket::from_tx(tx).map(|t| t.hash()), Err(want));
    };
    let mut tx = base_ticket();
    tx.inputs.clear();
    check(&tx, TxError::TicketInputCount(0));
    let mut tx = base_ticket();
    let extra = tx.inputs[0].clone();
    tx.inputs.resize(65, extra);
    check(&tx, TxError::TicketInputCount(65));
    let mut tx = base_ticket();
    tx.outputs.pop();
    check(
        &tx,
        TxError::TicketOutputCount {
            inputs: 2,
            outputs: 4,
        },
    );
    let mut tx = base_ticket();
    tx.outputs[3].version = 1;
    check(
        &tx,
        TxError::ScriptVersion {
            output: 3,
            version: 1,
        },
    );
    let mut tx = base_ticket();
    tx.outputs[0].pk_script[0] = 0xbd;
    check(&tx, TxError::NotStakeSubmission);
    let mut tx = base_ticket();
    tx.outputs[1].pk_script.truncate(31);
    check(&tx, TxError::BadCommitment(1));
    let mut tx = base_ticket();
    tx.outputs[3].pk_script[1] = 0x1d; // push byte below 30
    check(&tx, TxError::BadCommitment(3));
    let mut tx = base_ticket();
    tx.outputs[3].pk_script[0] = 0x00; // not OP_RETURN
    check(&tx, TxError::BadCommitment(3));
    // The Decred-era 33-byte fixture with a 30-byte push is not a null-data script.
    let mut tx = base_ticket();
    let fixture = &vectors("stake_test_file_fixtures")[1];
    tx.outputs[1].pk_script =
        hex::decode(fixture["pkscript_hex"].as_str().expect("hex")).expect("hex");
    check(&tx, TxError::BadCommitment(1));
    let mut tx = base_ticket();
    tx.outputs[2] = TxOut::new(0, tx.outputs[0].pk_script.clone());
    check(&tx, TxError::BadChange(2));
    assert!(matches!(
        Ticket::decode(&[0]),
        Err(TxError::Truncated { .. })
    ));
}

#[test]
fn a_64_input_ticket_is_accepted() {
    let mut tx = base_ticket();
    let (input, commit, change) = (
        tx.inputs[1].clone(),
        tx.outputs[3].clone(),
        tx.outputs[4].clone(),
    );
    while tx.inputs.len() < 64 {
        tx.inputs.push(input.clone());
        tx.outputs.push(commit.clone());
        tx.outputs.push(change.clone());
    }
    let ticket = Ticket::from_tx(&tx).expect("64 inputs");
    assert_eq!(ticket.commitments().len(), 64);
}

/// For every pool-fee vector: a ticket committing exactly the fee passes, one atom less
/// fails, and an unknown fee address is reported as such.
#[test]
fn evaluation_at_vector_fees() {
    let rows = vectors("stake_pool_ticket_fee");
    let mut failures = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let p = params(r);
        let fee = if r.get("hc_actual_fee_atoms").is_some() {
            int(r, "hc_actual_fee_atoms")
        } else {
            int(r, "fee_atoms")
        };
        let (price, relay, height) = (
            int(r, "stake_diff_atoms"),
            int(r, "relay_fee_atoms"),
            int(r, "height"),
        );
        let rate =
            PoolFeeRate::from_percent(r["pool_fee_percent"].as_f64().expect("pct")).expect("rate");
        let pool = Address::p2pkh(p.network, fee_hash());
        let is_pool = |a: &Address| *a == pool;
        for (paid, want_valid) in [(fee, true), (fee - 1, false)] {
            let tx = build_pool_ticket(&spec([7; 20], price, paid, relay));
            let ticket = Ticket::from_tx(&tx).expect("ticket");
            let got = evaluate_pool_ticket(&ticket, height, is_pool, rate, p);
            let want = if want_valid {
                TicketEvaluation::Valid {
                    paid: Amount(paid),
                    required: Amount(fee),
                }
            } else {
                TicketEvaluation::FeeTooLow {
                    paid: Amount(paid),
                    required: Amount(fee),
                }
            };
            if got != Ok(want) {
                failures.push(format!(
                    "stake_pool_ticket_fee[{i}] paid {paid}: got {got:?}"
                ));
            }
        }
        let ticket =
            Ticket::from_tx(&build_pool_ticket(&spec([7; 20], price, fee, relay))).expect("ticket");
        let got = evaluate_pool_ticket(&ticket, height, |_| false, rate, p);
        if got
            != Ok(TicketEvaluation::UnknownCommitmentAddress {
                address: pool.clone(),
            })
        {
            failures.push(format!(
                "stake_pool_ticket_fee[{i}] unknown address: got {got:?}"
            ));
        }
    }
    assert_no_failures("evaluation", rows.len(), failures);
}

/// fees = Σ commitments − Σ outputs: change values are subtracted too (HC quirk).
#[test]
fn evaluation_subtracts_change_values() {
    let p = Network::Testnet.params();
    let rate = PoolFeeRate::from_percent(7.5).expect("rate");
    let (price, relay, height) = (1_000_000_000, 100_000, 200_000);
    let fee = stake_pool_ticket_fee(Amount(price), Amount(relay), height, rate, p).expect("fee");
    let mut tx = build_pool_ticket(&spec([7; 20], price, fee.0, relay));
    // Give the user 5 atoms of change; the relay fee HC sees drops by 5.
    tx.outputs[4].value = 5;
    let ticket = Ticket::from_tx(&tx).expect("ticket");
    let pool = Address::p2pkh(p.network, fee_hash());
    let got = evaluate_pool_ticket(&ticket, height, |a| *a == pool, rate, p).expect("evaluates");
    let required =
        stake_pool_ticket_fee(Amount(price), Amount(relay - 5), height, rate, p).expect("fee");
    assert_eq!(
        got,
        TicketEvaluation::Valid {
            paid: fee,
            required
        }
    );
    assert!(got.is_valid());
    // A P2SH first commitment never matches a P2PKH fee address set.
    let mut tx = build_pool_ticket(&spec([7; 20], price, fee.0, relay));
    tx.outputs.swap(1, 3);
    let ticket = Ticket::from_tx(&tx).expect("ticket");
    let got = evaluate_pool_ticket(&ticket, height, |a| *a == pool, rate, p).expect("evaluates");
    assert_eq!(
        got,
        TicketEvaluation::UnknownCommitmentAddress {
            address: Address::p2sh(p.network, [7; 20])
        }
    );
    assert!(!got.is_valid());
}

#[test]
fn evaluation_reports_a_degenerate_price() {
    let p = Network::Testnet.params();
    let rate = PoolFeeRate::from_percent(7.5).expect("rate");
    let mut tx = build_pool_ticket(&spec([7; 20], 1_000, 10, 1));
    tx.outputs[0].value = -1_000_000_000_000;
    let ticket = Ticket::from_tx(&tx).expect("structure is fine");
    let got = evaluate_pool_ticket(&ticket, 1_000, |_| true, rate, p);
    assert!(
        matches!(
            got,
            Err(hcpool_core::fee::FeeError::NonPositiveDenominator { .. })
        ),
        "{got:?}"
    );
}

#[test]
fn vote_round_trips() {
    let (net, msa, _) = pool_multisigs()[3];
    let ticket = Ticket::from_tx(&build_pool_ticket(&spec(
        msa,
        750_000_000,
        2_181_458,
        100_000,
    )))
    .expect("ticket");
    let subsidy = Amount(hcpool_core::subsidy::stake_vote_subsidy(1000, net.params()));
    let vote_spec = VoteSpec {
        ticket: &ticket,
        block_hash: Hash32::from_bytes([0xab; 32]),
        block_height: 1000,
        votebits: VoteBits(5),
        extended: ExtendedVoteBits::from_vote_version(7),
        subsidy,
        network: net,
    };
    let tx = build_vote(&vote_spec);
    let decoded = Transaction::decode(&tx.encode()).expect("decodes");
    let vote = Vote::from_tx(&decoded).expect("a vote");
    assert_eq!(vote.ticket, ticket.hash());
    assert_eq!(vote.hash, tx.hash());
    assert_eq!(
        (vote.block_hash, vote.block_height),
        (Hash32::from_bytes([0xab; 32]), 1000)
    );
    assert_eq!(vote.votebits, VoteBits(5));
    assert_eq!(vote.vote_version(), 7);
    assert_eq!(hex::encode(&tx.outputs[1].pk_script), "6a06050007000000");
    let amounts: Vec<Amount> = ticket.commitments().iter().map(|c| c.amount).collect();
    let rewards = calculate_rewards(&amounts, ticket.price(), subsidy);
    let paid: i64 = tx.outputs[2..].iter().map(|o| o.value).sum();
    assert_eq!(rewards.iter().map(|a| a.0).sum::<i64>(), paid);
    assert!(paid <= ticket.price().0 + subsidy.0 && paid > ticket.price().0);
    assert_eq!(tx.outputs.len(), 4);
}

#[test]
fn vote_errors() {
    let ticket = Ticket::from_tx(&base_ticket()).expect("ticket");
    let good = build_vote(&VoteSpec {
        ticket: &ticket,
        block_hash: Hash32::from_bytes([1; 32]),
        block_height: 5,
        votebits: VoteBits(1),
        extended: ExtendedVoteBits::from_vote_version(7),
        subsidy: Amount(100),
        network: Network::Simnet,
    });
    assert_eq!(
        good.inputs[0].signature_script,
        vec![0xde, 0xad, 0xbe, 0xef]
    );
    let not_vote = |tx: &Transaction| matches!(Vote::from_tx(tx), Err(TxError::NotVote(_)));
    let mut tx = good.clone();
    tx.inputs.pop();
    assert!(not_vote(&tx));
    let mut tx = good.clone();
    tx.inputs[0].previous_outpoint.index = 0;
    assert!(not_vote(&tx));
    let mut tx = good.clone();
    tx.inputs[1].previous_outpoint.tree = 0;
    assert!(not_vote(&tx));
    let mut tx = good.clone();
    tx.outputs[0].pk_script.pop();
    assert!(not_vote(&tx));
    let mut tx = good.clone();
    tx.outputs[1].pk_script = vec![0x6a, 0x01, 0x01];
    assert!(not_vote(&tx));
    let mut tx = good.clone();
    tx.outputs.truncate(1);
    assert!(not_vote(&tx));
    assert!(Vote::from_tx(&good).is_ok());
    assert_eq!(
        calculate_rewards(&[Amount(0)], Amount(5), Amount(5)),
        vec![]
    );
}
