//! Extended-key vectors: hcd's hdkeychain tests (BIP32 vectors in HC encoding), API, network
//! switch, errors, derivations from seeds, wallet account keys, the leading-zero quirk, the
//! 79-byte layout and the two xpubs of hcstakepool's sample config.

use hcpool_core::address::Address;
use hcpool_core::xpub::{ExtendedPrivKey, KeyError};
use hcpool_core::{AddressKind, ExtendedPubKey, Network};
use serde_json::Value;

use super::vectors::{group, hc, hx, keys, net, s, Failures};

fn path(v: &Value) -> Vec<u32> {
    v["path"]
        .as_array()
        .expect("path array")
        .iter()
        .map(|i| u32::try_from(i.as_u64().expect("index")).expect("u32 index"))
        .collect()
}

fn from_seed(v: &Value, network: Network) -> Result<ExtendedPrivKey, KeyError> {
    ExtendedPrivKey::new_master(&hx(v, "seed_hex"), network)?.derive_path(&path(v))
}

fn to_strings(k: &ExtendedPrivKey) -> (String, Result<String, KeyError>) {
    (k.to_string(), k.neuter().map(|p| p.to_string()))
}

#[test]
fn hd_test_file_vectors() {
    let mut f = Failures::new("hd_test_file_vectors");
    for v in group(hc(), "hd_test_file_vectors") {
        let name = format!("hd_test_file_vectors {:?} {:?}", s(v, "name"), v["path"]);
        if v.get("seed_hex").is_some() {
            match from_seed(v, net(v)) {
                Ok(k) => f.eq(
                    &name,
                    to_strings(&k),
                    (
                        s(v, "want_xprv").to_owned(),
                        Ok(s(v, "want_xpub").to_owned()),
                    ),
                ),
                Err(e) => f.fail(&name, e),
            }
        } else if let Some(parent) = v["parent_xprv"].as_str() {
            let got = parent
                .parse::<ExtendedPrivKey>()
                .and_then(|k| k.derive_path(&path(v)))
                .map(|k| k.to_string());
            f.eq(&name, got, Ok(s(v, "want_xprv").to_owned()));
        } else {
            let got = s(v, "parent_xpub")
                .parse::<ExtendedPubKey>()
                .and_then(|k| k.derive_path(&path(v)))
                .map(|k| k.to_string());
            f.eq(&name, got, Ok(s(v, "want_xpub").to_owned()));
        }
    }
    f.finish(43);
}

/// hcd's TestExtendedKeyAPI; the test file's Decred addresses are replaced by the HC
/// mainnet addresses given beside them.
#[test]
fn hd_api_vectors() {
    let mut f = Failures::new("hd_api_vectors");
    for v in group(hc(), "hd_api_vectors") {
        let text = s(v, "extkey");
        let name = format!("hd_api_vectors {}", &text[..12]);
        let public = if v["is_private"].as_bool() == Some(true) {
            let Ok(k) = text.parse::<ExtendedPrivKey>() else {
                f.fail(&name, "private key does not parse");
                continue;
            };
            f.eq(&name, k.private_key().to_vec(), hx(v, "privkey_hex"));
            f.eq(
                &name,
                text.parse::<ExtendedPubKey>(),
                Err(KeyError::PrivateKey),
            );
            k.neuter().expect("mainnet version")
        } else {
            text.parse::<ExtendedPubKey>().expect("public key parses")
        };
        f.eq(
            &name,
            u64::from(u32::from_be_bytes(public.parent_fingerprint())),
            v["parent_fp_uint32"].as_u64().expect("fp"),
        );
        f.eq(&name, public.public_key().to_vec(), hx(v, "pubkey_hex"));
        f.eq(
            &name,
            public.to_address(Network::Mainnet).to_string(),
            s(v, "hc_mainnet_address").to_owned(),
        );
        f.eq(&name, public.network(), Some(Network::Mainnet));
    }
    f.finish(2);
}

#[test]
fn hd_network_switch() {
    let mut f = Failures::new("hd_network_switch");
    for v in group(hc(), "hd_network_switch") {
        let main: ExtendedPrivKey = s(v, "mainnet_xprv").parse().expect("xprv");
        let sim = main.clone().with_network(Network::Simnet);
        f.eq(
            "simnet_xprv",
            sim.to_string(),
            s(v, "simnet_xprv").to_owned(),
        );
        f.eq(
            "simnet_xpub",
            to_strings(&sim).1,
            Ok(s(v, "simnet_xpub").to_owned()),
        );
        f.eq(
            "mainnet_xpub",
            to_strings(&main).1,
            Ok(s(v, "mainnet_xpub").to_owned()),
        );
        let pub_sim = s(v, "mainnet_xpub")
            .parse::<ExtendedPubKey>()
            .map(|k| k.with_network(Network::Simnet).to_string());
        f.eq(
            "xpub with_network",
            pub_sim,
            Ok(s(v, "simnet_xpub").to_owned()),
        );
    }
    f.finish(4);
}

#[test]
fn hd_errors() {
    let mut f = Failures::new("hd_errors");
    for v in group(hc(), "hd_errors") {
        let key = s(v, "key");
        let want = s(v, "expect_error");
        let name = format!("hd_errors {want:?}");
        match want {
            "invalid key length" => f.ok(
                &name,
                matches!(
                    key.parse::<ExtendedPubKey>(),
                    Err(KeyError::InvalidKeyLength(_))
                ),
                key.parse::<ExtendedPubKey>(),
            ),
            "bad extended key checksum" => f.eq(
                &name,
                key.parse::<ExtendedPubKey>(),
                Err(KeyError::BadChecksum),
            ),
            "pubkey not on curve" => f.eq(
                &name,
                key.parse::<ExtendedPubKey>(),
                Err(KeyError::NotOnCurve),
            ),
            w if w.starts_with("parses OK (unknown version bytes accepted)") => {
                let k = key.parse::<ExtendedPrivKey>();
                f.ok(&name, k.is_ok(), "private key with unknown version parses");
                if let Ok(k) = k {
                    f.eq(&name, k.network(), None);
                    let neutered = k.neuter().map(|p| p.to_string());
                    f.eq(&name, neutered, Err(KeyError::UnknownVersion(k.version())));
                }
                f.eq(
                    &name,
                    key.parse::<ExtendedPubKey>(),
                    Err(KeyError::PrivateKey),
                );
            }
            other => f.fail(&name, format!("unknown expectation {other}")),
        }
    }
    f.finish(4);
}

#[test]
fn hd_derivations() {
    let mut f = Failures::new("hd_derivations");
    for v in group(hc(), "hd_derivations") {
        let network = net(v);
        let name = format!(
            "hd_derivations {network} {} {}",
            s(v, "path_str"),
            &s(v, "seed_hex")[..8]
        );
        f.eq(&name, v["algtype"].as_u64(), Some(0));
        let k = match from_seed(v, network) {
            Ok(k) => k,
            Err(e) => {
                f.fail(&name, e);
                continue;
            }
        };
        f.eq(
            &name,
            to_strings(&k),
            (s(v, "xprv").to_owned(), Ok(s(v, "xpub").to_owned())),
        );
        let Ok(p) = k.neuter() else { continue };
        f.eq(&name, p.public_key().to_vec(), hx(v, "pubkey_hex"));
        f.eq(
            &name,
            u64::from(u32::from_be_bytes(p.parent_fingerprint())),
            v["parent_fp"].as_u64().expect("parent_fp"),
        );
        f.eq(
            &name,
            p.to_address(network).to_string(),
            s(v, "address_addrtype0").to_owned(),
        );
        let bliss_id = Address::from_hash(network, AddressKind::PubKeyHashBliss, p.pubkey_hash());
        f.eq(
            &name,
            bliss_id.map(|a| a.to_string()),
            Ok(s(v, "address_addrtype1").to_owned()),
        );
        // The xpub string parses back to the same key.
        f.eq(&name, s(v, "xpub").parse::<ExtendedPubKey>(), Ok(p));
    }
    f.finish(81);
}

#[test]
fn hd_wallet_account_derivation() {
    let mut f = Failures::new("hd_wallet_account_derivation");
    for v in group(hc(), "hd_wallet_account_derivation") {
        let name = format!("account 0 of seed {}", &s(v, "seed_hex")[..8]);
        let acct = ExtendedPrivKey::new_master(&hx(v, "seed_hex"), Network::Mainnet)
            .and_then(|m| m.derive_path(&[44 | 1 << 31, 171 | 1 << 31, 1 << 31]));
        match acct {
            Ok(k) => {
                f.eq(
                    &name,
                    k.to_string(),
                    s(v, "acct0_via_Child_xprv").to_owned(),
                );
                f.eq(
                    &name,
                    k.to_string(),
                    s(v, "acct0_via_SwitchChild_xprv").to_owned(),
                );
                f.eq(&name, to_strings(&k).1, Ok(s(v, "acct0_xpub").to_owned()));
            }
            Err(e) => f.fail(&name, e),
        }
    }
    f.finish(3);
}

#[test]
fn hd_leading_zero_quirk() {
    let v = &hc()["hd_leading_zero_quirk"];
    let mut f = Failures::new("hd_leading_zero_quirk");
    f.eq("path", s(v, "path"), "m/0H/1H");
    let master = ExtendedPrivKey::new_master(&hx(v, "seed_hex"), Network::Mainnet).expect("seed");
    let m0h = master.derive_child(1 << 31).expect("m/0H");
    f.eq(
        "m/0H key",
        m0h.private_key().to_vec(),
        hx(v, "m_0H_private_key_hex"),
    );
    let quirk = m0h.derive_child(1 | 1 << 31).expect("m/0H/1H");
    f.eq(
        "in-memory m/0H/1H",
        to_strings(&quirk),
        (
            s(v, "hc_go_xprv").to_owned(),
            Ok(s(v, "hc_go_xpub").to_owned()),
        ),
    );
    // After a string round trip the key has all 32 bytes and BIP32's result appears.
    let reparsed: ExtendedPrivKey = m0h.to_string().parse().expect("round trip");
    let standard = reparsed.derive_child(1 | 1 << 31).map(|k| k.to_string());
    f.eq(
        "reparsed m/0H/1H",
        standard,
        Ok(s(v, "bip32_standard_xprv_with_hc_encoding").to_owned()),
    );
    f.finish(4);
}

#[test]
fn hd_79_byte_payload_variant() {
    let v = &hc()["hd_79_byte_payload_variant"];
    let mut f = Failures::new("hd_79_byte_payload_variant");
    let k: Result<ExtendedPubKey, _> = s(v, "xpub_79byte_payload_variant").parse();
    f.eq(
        "reserialized",
        k.as_ref().map(|k| k.to_string()),
        Ok(s(v, "reserialized").to_owned()),
    );
    let child = k.and_then(|k| k.derive_path(&[0, 1]));
    f.eq(
        "child 0/1",
        child.map(|c| c.to_address(Network::Testnet).to_string()),
        Ok(s(v, "child_0_1_p2pkh").to_owned()),
    );
    f.finish(2);
}

#[test]
fn stakepool_sample_xpubs() {
    let mut f = Failures::new("stakepool_sample_xpubs");
    for v in group(hc(), "stakepool_sample_xpubs") {
        let name = s(v, "config_key");
        let network = net(v);
        let k: ExtendedPubKey = s(v, "xpub").parse().expect("sample xpub");
        f.eq(name, k.network(), Some(network));
        f.eq(
            name,
            u64::from(k.depth()),
            v["depth"].as_u64().expect("depth"),
        );
        f.eq(
            name,
            hex::encode(k.parent_fingerprint()),
            s(v, "parent_fp_hex").to_owned(),
        );
        f.eq(
            name,
            format!("{:08x}", k.child_number()),
            s(v, "child_number_hex").to_owned(),
        );
        f.eq(name, k.chain_code().to_vec(), hx(v, "chain_code_hex"));
        f.eq(name, k.public_key().to_vec(), hx(v, "pubkey_hex"));
        let branch = k.derive_child(0).expect("branch 0");
        f.eq(
            name,
            branch.to_string(),
            s(v, "external_branch_xpub").to_owned(),
        );
        for c in v["children_index_equals_user_id"]
            .as_array()
            .expect("children")
        {
            let index = u32::try_from(c["index"].as_u64().expect("index")).expect("u32");
            let cname = format!("{name} child {index}");
            let child = branch.derive_child(index).expect("child");
            f.eq(&cname, child.to_string(), s(c, "child_xpub").to_owned());
            f.eq(
                &cname,
                child.to_address(network).to_string(),
                s(c, "p2pkh").to_owned(),
            );
            f.eq(
                &cname,
                child.to_pubkey_address(network).to_string(),
                s(c, "pubkey_addr").to_owned(),
            );
            f.eq(&cname, child.public_key().to_vec(), hx(c, "pubkey_hex"));
        }
    }
    f.finish(2 * (7 + 6 * 4));
}

#[test]
fn keys_addresses_derivations() {
    let mut f = Failures::new("keys-addresses derivations");
    let mut expected = 0;
    for v in group(keys(), "derivations") {
        expected += 1 + v["addresses"].as_array().map_or(0, Vec::len);
        let network = net(v);
        let k: ExtendedPubKey = s(v, "xpub").parse().expect("xpub");
        f.eq(s(v, "xpub"), k.network(), Some(network));
        let branch_index = u32::try_from(v["branch"].as_u64().expect("branch")).expect("u32");
        let branch = k.derive_child(branch_index).expect("branch");
        for a in v["addresses"].as_array().expect("addresses") {
            let index = u32::try_from(a["index"].as_u64().expect("index")).expect("u32");
            let name = format!("{} /{branch_index}/{index}", &s(v, "xpub")[..16]);
            let got = branch
                .derive_child(index)
                .map(|c| c.to_address(network).to_string());
            f.eq(&name, got, Ok(s(a, "address").to_owned()));
        }
    }
    f.finish(expected.max(8 * 5));
}
