//! hcpoolctl end to end: run the binary, check its output and exit code.

use std::process::Command;

use hcpool_core::amount::Amount;
use hcpool_core::derive::PoolKeys;
use hcpool_core::fee::{stake_pool_ticket_fee, PoolFeeRate};
use hcpool_core::multisig::RedeemScript;
use hcpool_core::stake::{build_pool_ticket, PoolTicketSpec, StakeAddress};
use hcpool_core::tx::OutPoint;
use hcpool_core::{Network, UserId};

const COLD: &str = "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX";
const VOTING: &str = "tpubVqDAKmg9L5R4FXFzFv3wFTgZaVAevp8NwYf4XAASSHpT1HB3KythGrBaYCRWD6KkvMp9KAtd9mzpj2ByWdpwkD4ktQ19eugSBuzePu68uep";
const USER_PK: &str = "TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt";

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_hcpoolctl"))
        .args(args)
        .output()
        .expect("run hcpoolctl");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn derive_prints_index_and_address() {
    let (code, out, _) = run(&["derive", "--xpub", COLD, "--from", "1", "--count", "2"]);
    assert_eq!(code, 0);
    let keys = PoolKeys::from_strings(VOTING, COLD, Network::Testnet).unwrap();
    let expected = format!(
        "1\t{}\n2\t{}",
        keys.fee_address(UserId(1)).unwrap(),
        keys.fee_address(UserId(2)).unwrap()
    );
    assert_eq!(out.trim_end(), expected);
    let (code, _, err) = run(&["derive", "--xpub", COLD, "--network", "mainnet"]);
    assert_eq!(code, 2);
    assert!(err.contains("expected mainnet"), "{err}");
}

#[test]
fn validate_address_reports_type_or_error() {
    let (code, out, _) = run(&["--json", "validate-address", USER_PK]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["network"], "testnet2");
    assert_eq!(v["valid"], true);
    let (code, out, _) = run(&["validate-address", "TsmWaPM77WSyA3aiQ2Q1KnwGDVWvEkhip23"]);
    assert_eq!(code, 1);
    assert!(out.contains("checksum"), "{out}");
    let (code, _, _) = run(&["validate-address", USER_PK, "--network", "mainnet"]);
    assert_eq!(code, 1);
}

#[test]
fn multisig_matches_core() {
    let keys = PoolKeys::from_strings(VOTING, COLD, Network::Testnet).unwrap();
    let pool = keys.ticket_pubkey_address(UserId(1)).unwrap().to_string();
    let (code, out, _) = run(&[
        "--json",
        "multisig",
        "--pool-pubkey-addr",
        &pool,
        "--user-pubkey-addr",
        USER_PK,
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["p2sh"], "Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5");
    let (code, _, err) = run(&[
        "multisig",
        "--pool-pubkey-addr",
        &pool,
        "--user-pubkey-addr",
        "TsRA4Qm6jYc1x9jWLnauPjPjaLemS4it7MM",
    ]);
    assert_eq!(code, 2, "a P2PKH is not a pubkey-address");
    assert!(err.contains("user pubkey-address"), "{err}");
}

#[test]
fn votebits_check_and_explain() {
    let (code, out, _) = run(&[
        "votebits",
        "explain",
        "5",
        "--vote-version",
        "7",
        "--network",
        "testnet",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("maxblocksize: yes"), "{out}");
    let (code, _, _) = run(&[
        "votebits",
        "check",
        "0x7",
        "--vote-version",
        "7",
        "--network",
        "testnet",
    ]);
    assert_eq!(code, 1);
    let (code, _, _) = run(&["votebits", "check", "1", "--vote-version", "0"]);
    assert_eq!(code, 0);
    let (code, _, _) = run(&["votebits", "check", "70000", "--vote-version", "0"]);
    assert_eq!(code, 2);
}

#[test]
fn ticket_fee_matches_vectors() {
    let (code, out, _) = run(&[
        "ticket-fee",
        "--stake-diff",
        "750000000",
        "--relay-fee",
        "100000",
        "--height",
        "300000",
        "--pool-fee",
        "1.15",
    ]);
    assert_eq!(code, 0);
    assert!(out.starts_with("400942 atoms"), "{out}");
}

fn ticket_hex(pool_amount_delta: i64) -> (String, i64) {
    let net = Network::Testnet;
    let keys = PoolKeys::from_strings(VOTING, COLD, net).unwrap();
    let user: hcpool_core::Address = USER_PK.parse().unwrap();
    let script =
        RedeemScript::one_of_two(&keys.ticket_pubkey_address(UserId(1)).unwrap(), &user).unwrap();
    let price = Amount(750_000_000);
    let tx_fee = Amount(100_000);
    let height = 300_000;
    let rate = PoolFeeRate::from_percent(7.5).unwrap();
    let required = stake_pool_ticket_fee(price, tx_fee, height, rate, net.params()).unwrap();
    let pool_amount = Amount(required.0 + pool_amount_delta);
    let fee_hash = keys.fee_address(UserId(1)).unwrap().hash160();
    let spec = PoolTicketSpec {
        voting_script_hash: script.hash160(),
        price,
        pool_input: OutPoint::default(),
        pool_fee_hash: fee_hash,
        pool_amount,
        user_input: OutPoint::default(),
        user_reward: StakeAddress::Secp256k1([7; 20]),
        user_amount: Amount(price.0 - pool_amount.0 + tx_fee.0),
        expiry: 0,
    };
    (build_pool_ticket(&spec).to_hex(), height)
}

#[test]
fn inspect_ticket_runs_the_fee_check() {
    for (delta, want_ok) in [(0, true), (-1, false)] {
        let (hex, height) = ticket_hex(delta);
        let h = height.to_string();
        let (code, out, err) = run(&[
            "--json",
            "inspect-ticket",
            &hex,
            "--network",
            "testnet",
            "--coldwalletextpub",
            COLD,
            "--pool-fee",
            "7.5",
            "--height",
            &h,
            "--max-users",
            "10",
        ]);
        assert_eq!(code, if want_ok { 0 } else { 1 }, "{out}{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["fee_check"]["valid"], want_ok);
        assert_eq!(v["commitments"].as_array().unwrap().len(), 2);
    }
    let (code, _, err) = run(&["inspect-ticket", "zz"]);
    assert_eq!(code, 2);
    assert!(err.contains("hex"), "{err}");
}

#[test]
fn check_config_reports_problems() {
    let dir = std::env::temp_dir().join(format!("hcpoolctl-cfg-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.cert"), "x").unwrap();
    std::fs::write(dir.join("b.cert"), "x").unwrap();
    let conf = |cold: &str| {
        format!(
            "testnet=1\napisecret=a\ncookiesecret=b\ndbpassword=c\ncoldwalletextpub={cold}\n\
             votingwalletextpub={VOTING}\nwallethosts=h1,h2\nwalletusers=u,u\n\
             walletpasswords=p,p\nwalletcerts=a.cert,b.cert\nadminips=127.0.0.1\n"
        )
    };
    let good = dir.join("good.conf");
    std::fs::write(&good, conf(COLD)).unwrap();
    let (code, out, err) = run(&["check-config", good.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let bad = dir.join("bad.conf");
    std::fs::write(&bad, conf("tpubnotakey").replace("b.cert", "missing.cert")).unwrap();
    let (code, out, _) = run(&["check-config", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        out.contains("coldwalletextpub") && out.contains("missing.cert"),
        "{out}"
    );
    // The web app's values are checked too: hcpool-web would refuse this file at start.
    let web_bad = dir.join("web-bad.conf");
    std::fs::write(&web_bad, conf(COLD) + "captcha=maybe\n").unwrap();
    let (code, out, err) = run(&["check-config", web_bad.to_str().unwrap()]);
    assert_ne!(code, 0, "{out}{err}");
    assert!(err.contains("captcha"), "{out}{err}");
    let (code, _, err) = run(&["check-config", dir.join("none.conf").to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("reading"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn version_names_the_commit() {
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with(&format!("hcpoolctl {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
}
