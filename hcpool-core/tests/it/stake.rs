//! Subsidy, pool fee, stake script, ticket and vote vectors from hc-vectors.json.

use hcpool_core::fee::{stake_pool_ticket_fee, Amount, PoolFeeRate};
use hcpool_core::params::{NetParams, Network};
use hcpool_core::subsidy::{block_subsidy, stake_vote_subsidy, tax_subsidy, work_subsidy};
use serde_json::Value;

fn vectors(group: &str) -> Vec<Value> {
    let path = format!("{}/tests/data/hc-vectors.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let all: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    all[group]
        .as_array()
        .unwrap_or_else(|| panic!("no group {group}"))
        .clone()
}

fn params(v: &Value) -> &'static NetParams {
    let net: Network = v["network"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad network in {v}"));
    net.params()
}

fn int(v: &Value, key: &str) -> i64 {
    v[key]
        .as_i64()
        .unwrap_or_else(|| panic!("no integer {key} in {v}"))
}

fn assert_no_failures(group: &str, n: usize, failures: Vec<String>) {
    assert!(n > 0, "{group}: no vectors");
    assert!(
        failures.is_empty(),
        "{group}: {} of {n} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn subsidy_vectors() {
    let rows = vectors("subsidy");
    let mut failures = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let p = params(r);
        let h = int(r, "height");
        let checks = [
            ("block_subsidy", block_subsidy(h, p)),
            ("stake_vote_subsidy", stake_vote_subsidy(h, p)),
            ("work_subsidy_5voters", work_subsidy(h, 5, p)),
            ("tax_subsidy_5voters", tax_subsidy(h, 5, p)),
        ];
        for (key, got) in checks {
            let want = int(r, key);
            if got != want {
                failures.push(format!(
                    "subsidy[{i}] {} h={h} {key}: want {want}, got {got}",
                    p.name
                ));
            }
        }
    }
    assert_no_failures("subsidy", rows.len(), failures);
}

#[test]
fn pool_fee_percent_vectors() {
    let rows = vectors("pool_fee_percent_to_int");
    let mut failures = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let pct = r["pool_fee_percent"].as_f64().expect("percent");
        let want = int(r, "p_int");
        match PoolFeeRate::from_percent(pct) {
            Ok(rate) if rate.hundredths() == want && rate.percent() == pct => {}
            other => failures.push(format!(
                "pool_fee_percent_to_int[{i}] {pct}: want {want}, got {other:?}"
            )),
        }
    }
    assert_no_failures("pool_fee_percent_to_int", rows.len(), failures);
}

/// The rows with `expected_in_test_atoms` are hcwallet's stale Decred expectations: HC's code
/// gives `hc_actual_fee_atoms`, which is what we assert.
#[test]
fn stake_pool_ticket_fee_vectors() {
    let rows = vectors("stake_pool_ticket_fee");
    let mut failures = Vec::new();
    let mut stale = 0;
    for (i, r) in rows.iter().enumerate() {
        let p = params(r);
        let want = if r.get("hc_actual_fee_atoms").is_some() {
            stale += 1;
            assert_ne!(
                int(r, "hc_actual_fee_atoms"),
                int(r, "expected_in_test_atoms")
            );
            int(r, "hc_actual_fee_atoms")
        } else {
            int(r, "fee_atoms")
        };
        let rate = PoolFeeRate::from_percent(r["pool_fee_percent"].as_f64().expect("percent"))
            .expect("valid rate");
        let got = stake_pool_ticket_fee(
            Amount(int(r, "stake_diff_atoms")),
            Amount(int(r, "relay_fee_atoms")),
            int(r, "height"),
            rate,
            p,
        );
        if got != Ok(Amount(want)) {
            failures.push(format!(
                "stake_pool_ticket_fee[{i}] {r}: want {want}, got {got:?}"
            ));
        }
    }
    assert_eq!(stale, 4, "the four stale hcwallet test rows");
    assert_no_failures("stake_pool_ticket_fee", rows.len(), failures);
}

mod scripts {
    use super::*;
    use hcpool_core::address::Address;
    use hcpool_core::stake::{
        parse_votebits_script, pay_to_ssgen, pay_to_ssrtx, pay_to_sstx, pay_to_sstx_change,
        votebits_script, Commitment, FeeLimits, StakeAddress, StakeOutput, StakeTag,
    };
    use hcpool_core::votebits::{ExtendedVoteBits, VoteBits};
    use std::collections::HashMap;

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn hash20(s: &str) -> [u8; 20] {
        unhex(s).try_into().expect("20 bytes")
    }

    /// Address string → the stake address it stands for, from `addresses_from_hash`.
    fn address_book() -> HashMap<String, StakeAddress> {
        let mut book = HashMap::new();
        for r in vectors("addresses_from_hash") {
            let h = hash20(r["hash160_hex"].as_str().expect("hash"));
            for (key, addr) in [
                ("p2pkh_secp256k1", StakeAddress::Secp256k1(h)),
                ("p2pkh_bliss", StakeAddress::Bliss(h)),
                ("p2sh", StakeAddress::ScriptHash(h)),
            ] {
                book.insert(r[key].as_str().expect(key).to_owned(), addr);
            }
        }
        book
    }

    fn to_address(net: Network, a: &StakeAddress) -> Address {
        match a {
            StakeAddress::ScriptHash(h) => Address::p2sh(net, *h),
            other => Address::p2pkh(net, *other.hash()),
        }
    }

    #[test]
    fn commitment_vectors() {
        let book = address_book();
        let mut failures = Vec::new();
        let mut n = 0;
        for (i, r) in vectors("stake_scripts").iter().enumerate() {
            let Some(script_hex) = r["commitment_pkscript_hex"].as_str() else {
                continue;
            };
            n += 1;
            let net = params(r).network;
            let want = unhex(script_hex);
            let name = r["address"].as_str().expect("address");
            let Some(addr) = book.get(name) else {
                failures.push(format!(
                    "stake_scripts[{i}]: {name} not in addresses_from_hash"
                ));
                continue;
            };
            let limits = FeeLimits(int(r, "limits") as u16);
            let built = Commitment::new(addr, Amount(int(r, "amount_atoms")), limits);
            if built.script() != want {
                failures.push(format!(
                    "stake_scripts[{i}] build: want {script_hex}, got {}",
                    hex::encode(built.script())
                ));
            }
            let Some(parsed) = Commitment::from_script(&want) else {
                failures.push(format!("stake_scripts[{i}]: does not parse"));
                continue;
            };
            let parsed_name = r["parsed_address"].as_str().expect("parsed_address");
            let want_addr = book.get(parsed_name).map(|a| to_address(net, a));
            if Some(parsed.address(net)) != want_addr {
                failures.push(format!(
                    "stake_scripts[{i}] address: want {parsed_name}, got {:?}",
                    parsed.address(net)
                ));
            }
            if parsed.amount != Amount(int(r, "parsed_amount")) || parsed.fee_limits != Some(limits)
            {
                failures.push(format!("stake_scripts[{i}] amount/limits: got {parsed:?}"));
            }
        }
        assert_eq!(n, 45);
        assert_no_failures("stake_scripts commitments", n, failures);
    }

    /// Vector key, what our builder gives, and the expected parse (tag, address, plain form).
    type ScriptCase = (&'static str, Option<Vec<u8>>, StakeTag, StakeAddress, bool);

    #[test]
    fn tagged_script_vectors() {
        let mut failures = Vec::new();
        let mut n = 0;
        for (i, r) in vectors("stake_scripts").iter().enumerate() {
            let Some(sstx) = r["sstx_p2pkh_hex"].as_str() else {
                continue;
            };
            n += 1;
            let h = hash20(&sstx[8..48]);
            let sh = hash20(&r["sstxchange_p2sh_hex"].as_str().expect("p2sh")[6..46]);
            let secp = StakeAddress::Secp256k1(h);
            let cases: [ScriptCase; 6] = [
                (
                    "sstx_p2pkh_hex",
                    Some(pay_to_sstx(&secp)),
                    StakeTag::SStx,
                    secp,
                    false,
                ),
                (
                    "sstx_p2pkh_bliss_hex",
                    Some(pay_to_sstx(&StakeAddress::Bliss(h))),
                    StakeTag::SStx,
                    StakeAddress::Bliss(h),
                    false,
                ),
                (
                    "ssgen_p2pkh_hex",
                    Some(pay_to_ssgen(&secp)),
                    StakeTag::SSGen,
                    secp,
                    false,
                ),
                (
                    "ssrtx_p2pkh_hex",
                    pay_to_ssrtx(&secp),
                    StakeTag::SSRtx,
                    secp,
                    true,
                ),
                (
                    "sstxchange_p2sh_hex",
                    Some(pay_to_sstx_change(&StakeAddress::ScriptHash(sh))),
                    StakeTag::SStxChange,
                    StakeAddress::ScriptHash(sh),
                    false,
                ),
                (
                    "sstxchange_zero_p2pkh_hex",
                    Some(pay_to_sstx_change(&StakeAddress::Secp256k1([0; 20]))),
                    StakeTag::SStxChange,
                    StakeAddress::Secp256k1([0; 20]),
                    false,
                ),
            ];
            for (key, built, tag, address, plain) in cases {
                let want = unhex(r[key].as_str().expect(key));
                if built.as_deref() != Some(&want[..]) {
                    failures.push(format!("stake_scripts[{i}] {key}: built {built:?}"));
                }
                let parsed = StakeOutput::parse(&want);
                let expect = StakeOutput {
                    tag,
                    address,
                    plain_checksig: plain,
                };
                if parsed != Some(expect) {
                    failures.push(format!("stake_scripts[{i}] {key}: parsed {parsed:?}"));
                }
            }
        }
        assert_eq!(n, 3);
        assert_no_failures("stake_scripts tagged", n, failures);
    }

    #[test]
    fn ssgen_votebits_vectors() {
        let rows = vectors("ssgen_votebits_script");
        let mut failures = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            let bits = VoteBits(int(r, "votebits") as u16);
            let ext = match r.get("vote_version").and_then(Value::as_u64) {
                Some(v) => ExtendedVoteBits::from_vote_version(v as u32),
                None => ExtendedVoteBits::from_bytes(&[]).expect("empty"),
            };
            let want = unhex(r["pkscript_hex"].as_str().expect("pkscript_hex"));
            if votebits_script(bits, &ext) != want {
                failures.push(format!("ssgen_votebits_script[{i}] build"));
            }
            if parse_votebits_script(&want) != Some((bits, ext.clone())) {
                failures.push(format!("ssgen_votebits_script[{i}] parse"));
            }
        }
        assert_no_failures("ssgen_votebits_script", rows.len(), failures);
    }

    /// Decred-era fixtures are not HC truth: HC's reader still reads them at its own
    /// offsets, which is what we reproduce (the amount is not Decred's amount).
    #[test]
    fn decred_fixtures_read_at_hc_offsets() {
        let rows = vectors("stake_test_file_fixtures");
        let voting = unhex(rows[0]["pkscript_hex"].as_str().expect("hex"));
        let parsed = StakeOutput::parse(&voting).expect("plain P2PKH SStx output");
        assert_eq!((parsed.tag, parsed.plain_checksig), (StakeTag::SStx, true));
        assert_eq!(parsed.address.hash()[..], voting[4..24]);
        let commit = unhex(rows[1]["pkscript_hex"].as_str().expect("hex"));
        // Push byte 0x1e (30) but 31 bytes follow: not even a well-formed null-data push.
        assert_eq!((commit.len(), commit[1]), (33, 0x1e));
        let c = Commitment::from_script(&commit).expect("the fixed-offset reader reads it");
        assert_eq!(c.hash[..], commit[2..22]);
        assert_eq!(c.sig_suite, commit[22]);
        let limits = u16::from_le_bytes([commit[31], commit[32]]);
        assert_eq!(c.fee_limits, Some(FeeLimits(limits)));
        assert_eq!(
            Commitment::from_script(&commit[..32]).map(|c| c.fee_limits),
            Some(None)
        );
        let raw = u64::from_le_bytes(commit[23..31].try_into().expect("8"));
        assert_eq!(c.amount.0 as u64, raw & !(1 << 63));
        assert_eq!(c.is_p2sh, raw >> 63 == 1);
        assert_eq!(Commitment::from_script(&commit[..31]), None);
    }
}

mod tickets {
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
            let rate = PoolFeeRate::from_percent(r["pool_fee_percent"].as_f64().expect("pct"))
                .expect("rate");
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
            let ticket = Ticket::from_tx(&build_pool_ticket(&spec([7; 20], price, fee, relay)))
                .expect("ticket");
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
        let fee =
            stake_pool_ticket_fee(Amount(price), Amount(relay), height, rate, p).expect("fee");
        let mut tx = build_pool_ticket(&spec([7; 20], price, fee.0, relay));
        // Give the user 5 atoms of change; the relay fee HC sees drops by 5.
        tx.outputs[4].value = 5;
        let ticket = Ticket::from_tx(&tx).expect("ticket");
        let pool = Address::p2pkh(p.network, fee_hash());
        let got =
            evaluate_pool_ticket(&ticket, height, |a| *a == pool, rate, p).expect("evaluates");
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
        let got =
            evaluate_pool_ticket(&ticket, height, |a| *a == pool, rate, p).expect("evaluates");
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
}
