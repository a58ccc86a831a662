//! Stake script, commitment and votebits-output vectors.

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
        if parsed.amount != Amount(int(r, "parsed_amount")) || parsed.fee_limits != Some(limits) {
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

// Every commitment vector by address string (`commitment_vectors` checks by hash).
#[test]
fn commitment_addresses_as_strings() {
    let mut failures = Vec::new();
    for (i, r) in vectors("stake_scripts").iter().enumerate() {
        let Some(script_hex) = r["commitment_pkscript_hex"].as_str() else {
            continue;
        };
        let c = Commitment::from_script(&unhex(script_hex)).expect("parses");
        let got = c.address(params(r).network).to_string();
        if got != r["parsed_address"].as_str().expect("parsed_address") {
            failures.push(format!("stake_scripts[{i}]: got {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
