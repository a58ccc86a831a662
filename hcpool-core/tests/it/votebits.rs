//! Votebits vectors: `votebits_validity` in hc-vectors.json and all of votebits.json.

use hcpool_core::params::Network;
use hcpool_core::votebits::VoteBits;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Checks every case; returns the descriptions of the failures.
fn check_cases(group: &str, cases: &[Value]) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let net: Network = case["network"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{group}[{i}]: bad network"));
        let version = case["vote_version"].as_u64().expect("vote_version") as u32;
        let bits = case["votebits"].as_u64().expect("votebits") as u16;
        let valid = case["valid"].as_bool().expect("valid");
        let agendas = net.params().agendas(version);
        let got = VoteBits(bits).is_valid_for(agendas);
        if got != valid {
            failures.push(format!(
                "{group}[{i}] {net} v{version} bits {bits}: want {valid}, got {got}"
            ));
        }
        if got != VoteBits(bits).validate(agendas).is_ok() {
            failures.push(format!(
                "{group}[{i}]: validate disagrees with is_valid_for"
            ));
        }
        if got != VoteBits::all_valid(agendas).contains(&VoteBits(bits)) {
            failures.push(format!("{group}[{i}]: all_valid disagrees"));
        }
    }
    (cases.len(), failures)
}

#[test]
fn votebits_validity_vectors() {
    let all = load("hc-vectors.json");
    let cases = all["votebits_validity"].as_array().expect("group");
    let (n, failures) = check_cases("votebits_validity", cases);
    assert!(n >= 22, "only {n} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn votebits_json_vectors() {
    let all = load("votebits.json");
    let cases = all["cases"].as_array().expect("cases");
    let (n, failures) = check_cases("votebits.json", cases);
    assert!(n >= 44, "only {n} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn api_values_wrap_before_validation() {
    let agendas = Network::Testnet.params().agendas(7);
    for (input, bits, valid) in [
        ("65537", 1, true),
        ("-65535", 1, true),
        ("65539", 3, true),
        ("65536", 0, false),
        ("7", 7, false),
    ] {
        let vb = hcpool_core::votebits::parse_api_votebits(input).expect(input);
        assert_eq!(vb.bits(), bits, "{input}");
        assert_eq!(vb.is_valid_for(agendas), valid, "{input}");
    }
}

mod properties {
    use hcpool_core::params::Network;
    use hcpool_core::votebits::{parse_api_votebits, VoteBits};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn decode_then_encode_round_trips(bits in any::<u16>(), net in 0usize..3) {
            let agendas = Network::ALL[net].params().agendas(7);
            let vb = VoteBits(bits);
            let decoded = vb.decode(agendas);
            let selected: Option<Vec<(&str, &str)>> = decoded
                .iter()
                .map(|(a, c)| c.map(|c| (a.id, c.id)))
                .collect();
            match (vb.is_valid_for(agendas), selected) {
                (true, Some(sel)) => prop_assert_eq!(VoteBits::encode(&sel, agendas), Ok(vb)),
                (true, None) => prop_assert!(false, "valid bits must decode to choices"),
                (false, Some(sel)) => {
                    // The choices are fine, so what made it invalid is outside them.
                    let rebuilt = VoteBits::encode(&sel, agendas).expect("choices encode");
                    prop_assert_ne!(rebuilt, vb);
                }
                (false, None) => {}
            }
            prop_assert_eq!(vb.is_valid_for(agendas), VoteBits::all_valid(agendas).contains(&vb));
        }

        #[test]
        fn api_parse_is_go_uint16_of_atoi(n in any::<i64>()) {
            prop_assert_eq!(parse_api_votebits(&n.to_string()), Ok(VoteBits(n as u16)));
        }
    }
}
