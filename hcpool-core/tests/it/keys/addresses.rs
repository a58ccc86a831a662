//! Address vectors: every kind from a hash, hcd's address tests (HC values where the test
//! file carries Decred strings), pubkey addresses, `DecodeAddress` results, invalid strings.

use hcpool_core::address::{validate_user_pubkey_address, AddressError};
use hcpool_core::{Address, AddressKind};
use serde_json::Value;

use super::vectors::{group, hc, hx, keys, net, s, Failures};

fn parse(f: &mut Failures, name: &str, text: &str) -> Option<Address> {
    match text.parse::<Address>() {
        Ok(a) => Some(a),
        Err(e) => {
            f.fail(name, format!("{text} does not decode: {e}"));
            None
        }
    }
}

#[test]
fn addresses_from_hash() {
    let mut f = Failures::new("addresses_from_hash");
    for (i, v) in group(hc(), "addresses_from_hash").iter().enumerate() {
        let network = net(v);
        let hash: [u8; 20] = hx(v, "hash160_hex").try_into().expect("20 bytes");
        let cases = [
            (
                "p2pkh_secp256k1",
                AddressKind::PubKeyHash,
                Some("pkscript_p2pkh_hex"),
            ),
            ("p2pkh_edwards", AddressKind::PubKeyHashEdwards, None),
            ("p2pkh_schnorr", AddressKind::PubKeyHashSchnorr, None),
            (
                "p2pkh_bliss",
                AddressKind::PubKeyHashBliss,
                Some("pkscript_p2pkh_bliss_hex"),
            ),
            ("p2sh", AddressKind::ScriptHash, Some("pkscript_p2sh_hex")),
        ];
        for (field, kind, script) in cases {
            let name = format!("addresses_from_hash[{i}] {network} {field}");
            let want = s(v, field);
            let a = Address::from_hash(network, kind, hash).expect("hash kind");
            f.eq(&name, a.to_string(), want.to_owned());
            f.eq(&name, want.parse::<Address>(), Ok(a.clone()));
            if let Some(script) = script {
                f.eq(&name, hex::encode(a.pk_script()), s(v, script).to_owned());
            }
        }
    }
    f.finish(18 * 5);
}

/// hcd's address_test.go. Where the file carries Decred mainnet strings (`decred_only`),
/// the HC encoding given next to it is asserted instead, and the Decred string must be
/// refused as an unknown address type.
#[test]
fn hcd_address_test_vectors() {
    let mut f = Failures::new("address_test_vectors");
    for v in group(hc(), "address_test_vectors") {
        let name = format!("address_test_vectors {:?}", s(v, "name"));
        let network = net(v);
        let in_test = s(v, "encoded_in_test");
        if let Some(err) = v["expect_error"].as_str() {
            f.eq(&name, err, "checksum mismatch");
            f.eq(
                &name,
                in_test.parse::<Address>(),
                Err(AddressError::ChecksumMismatch),
            );
            continue;
        }
        let decred_only = v["decred_only"].as_bool().unwrap_or(false);
        if decred_only {
            f.eq(
                &name,
                in_test.parse::<Address>(),
                Err(AddressError::UnknownType),
            );
        }
        if let Some(kind) = v["type"].as_str() {
            let hash: [u8; 20] = hx(v, "payload_hex").try_into().expect("20 bytes");
            let a = match kind {
                "p2pkh" => Address::p2pkh(network, hash),
                _ => Address::p2sh(network, hash),
            };
            let hc_str = s(v, "hc_encoding");
            f.eq(&name, a.to_string(), hc_str.to_owned());
            f.eq(&name, hc_str.parse::<Address>(), Ok(a));
            if !decred_only {
                f.eq(&name, in_test, hc_str);
            }
        } else {
            let key: [u8; 33] = hx(v, "compressed_pubkey_hex").try_into().expect("33 bytes");
            let a = Address::secp_pubkey(network, key).expect("valid key");
            let pubkey_addr = s(v, "hc_pubkey_addr");
            let p2pkh = s(v, "hc_p2pkh_of_compressed");
            f.eq(&name, a.to_string(), pubkey_addr.to_owned());
            f.eq(
                &name,
                a.to_p2pkh().map(|p| p.to_string()),
                Ok(p2pkh.to_owned()),
            );
            f.eq(&name, pubkey_addr.parse::<Address>(), Ok(a));
            if !decred_only {
                // The test decodes `encoded_in_test` and expects this P2PKH form.
                let want = s(v, "encode_address_in_test").to_owned();
                let got = in_test.parse::<Address>().and_then(|a| a.to_p2pkh());
                f.eq(&name, got.map(|a| a.to_string()), Ok(want));
            }
        }
    }
    f.finish(15);
}

/// Checks one `DecodeAddress` result object (hcd's Go output).
fn check_decoded(f: &mut Failures, name: &str, v: &Value) {
    let input = s(v, "input");
    if let Some(err) = v["error"].as_str() {
        let want = match err {
            "checksum mismatch" => Err(AddressError::ChecksumMismatch),
            "unknown address type" => Err(AddressError::UnknownType),
            other => {
                f.fail(name, format!("unexpected error text {other:?}"));
                return;
            }
        };
        f.eq(name, input.parse::<Address>(), want);
        return;
    }
    let Some(a) = parse(f, name, input) else {
        return;
    };
    let kind = match s(v, "go_type") {
        "*hcutil.AddressPubKeyHash" => AddressKind::PubKeyHash,
        "*hcutil.AddressScriptHash" => AddressKind::ScriptHash,
        "*hcutil.AddressSecpPubKey" => AddressKind::PubKeySecp256k1,
        other => {
            f.fail(name, format!("unexpected Go type {other}"));
            return;
        }
    };
    f.eq(name, a.kind(), kind);
    f.eq(name, a.network().name(), s(v, "net"));
    f.eq(
        name,
        hex::encode(kind.net_id(a.network())),
        s(v, "netid_hex").to_owned(),
    );
    f.eq(
        name,
        hex::encode(a.payload()),
        s(v, "script_address_hex").to_owned(),
    );
    f.eq(
        name,
        hex::encode(a.hash160()),
        s(v, "hash160_hex").to_owned(),
    );
    f.eq(name, a.to_string(), s(v, "string").to_owned());
    let encode_address = a.to_p2pkh().unwrap_or(a.clone()).to_string();
    f.eq(name, encode_address, s(v, "encode_address").to_owned());
}

#[test]
fn decode_address_vectors() {
    let mut f = Failures::new("decode_address");
    for (i, v) in group(hc(), "decode_address").iter().enumerate() {
        check_decoded(&mut f, &format!("decode_address[{i}] {}", s(v, "input")), v);
    }
    f.finish(11);
}

#[test]
fn pubkey_address_vectors() {
    let mut f = Failures::new("pubkey_addresses");
    for (i, v) in group(hc(), "pubkey_addresses").iter().enumerate() {
        let name = format!("pubkey_addresses[{i}] {}", s(v, "pubkey_hex"));
        let network = net(v);
        let a = match Address::secp_pubkey_from_slice(network, &hx(v, "pubkey_hex")) {
            Ok(a) => a,
            Err(e) => {
                f.fail(&name, e);
                continue;
            }
        };
        f.eq(&name, a.to_string(), s(v, "pubkey_addr_String").to_owned());
        let p2pkh = a.to_p2pkh().expect("pubkey kind");
        f.eq(
            &name,
            p2pkh.to_string(),
            s(v, "p2pkh_EncodeAddress").to_owned(),
        );
        f.eq(
            &name,
            p2pkh.payload().to_vec(),
            hx(v, "hash160_of_serialized_hex"),
        );
        f.eq(
            &name,
            hex::encode(a.pk_script()),
            s(v, "pkscript_p2pk_hex").to_owned(),
        );
        check_decoded(
            &mut f,
            &format!("{name} decode_of_String"),
            &v["decode_of_String"],
        );
    }
    for (i, v) in group(keys(), "pubkey_addresses").iter().enumerate() {
        let name = format!("keys-addresses pubkey_addresses[{i}]");
        let network = net(v);
        let key: [u8; 33] = hx(v, "pubkey_compressed_hex").try_into().expect("33 bytes");
        let a = Address::secp_pubkey(network, key).expect("valid key");
        let pubkey_addr = s(v, "pubkey_address");
        f.eq(&name, a.to_string(), pubkey_addr.to_owned());
        f.eq(&name, a.hash160().to_vec(), hx(v, "hash160_hex"));
        f.eq(
            &name,
            a.to_p2pkh().map(|p| p.to_string()),
            Ok(s(v, "p2pkh_address").to_owned()),
        );
        f.eq(
            &name,
            validate_user_pubkey_address(pubkey_addr, network),
            Ok(a),
        );
    }
    f.finish(21 + 18);
}

#[test]
fn invalid_address_vectors() {
    let mut f = Failures::new("invalid_addresses");
    for v in group(keys(), "invalid_addresses") {
        let text = s(v, "address");
        let why = s(v, "why");
        let name = format!("invalid_addresses {text} ({why})");
        let got = text.parse::<Address>();
        let fits = match &got {
            Err(AddressError::ChecksumMismatch) => why.contains("checksum") || why == "truncated",
            Err(AddressError::UnknownFormat(_)) => why.contains("outside the base58 alphabet"),
            _ => false,
        };
        f.ok(&name, fits, got);
        let user = validate_user_pubkey_address(text, net(v));
        f.ok(&name, user.is_err(), user);
    }
    f.finish(9);
}
