use super::*;

const COLD: &str = "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX";

#[test]
fn parse_display_and_derive() {
    let k: ExtendedPubKey = COLD.parse().unwrap();
    assert_eq!(k.to_string(), COLD);
    assert_eq!(k.network(), Some(Network::Testnet));
    assert_eq!(k.depth(), 3);
    assert_eq!(k.child_number(), HARDENED);
    assert_eq!(hex::encode(k.parent_fingerprint()), "79813020");
    let a = k.derive_path(&[0, 1]).unwrap().to_address(Network::Testnet);
    assert_eq!(a.to_string(), "TsYV9gPAgn4R88QwCDLzrYCVqffynDp8SSe");
    assert_eq!(
        k.derive_child(0).unwrap().parent_fingerprint(),
        k.fingerprint()
    );
}

#[test]
fn error_variants() {
    let k: ExtendedPubKey = COLD.parse().unwrap();
    assert_eq!(
        k.derive_child(HARDENED),
        Err(KeyError::DeriveHardFromPublic(HARDENED))
    );
    assert_eq!(
        k.clone().require_network(Network::Mainnet),
        Err(KeyError::WrongNetwork {
            expected: Network::Mainnet,
            found: Network::Testnet
        })
    );
    assert_eq!(
        "dpub1234".parse::<ExtendedPubKey>(),
        Err(KeyError::InvalidKeyLength(6))
    );
    assert!(matches!(
        "0pub".parse::<ExtendedPubKey>(),
        Err(KeyError::Base58(Base58Error::InvalidCharacter('0')))
    ));
    // Unknown version bytes parse, but name no network.
    let mut raw = k.raw();
    raw.version = [1, 2, 3, 4];
    let odd: ExtendedPubKey = raw.encode().parse().unwrap();
    assert_eq!(odd.network(), None);
    assert_eq!(
        odd.require_network(Network::Testnet),
        Err(KeyError::UnknownVersion([1, 2, 3, 4]))
    );
    // An algtype byte other than 0/1, and a bliss algtype, in the 79-byte layout.
    for (alg, want) in [(7u8, KeyError::UnknownAlg(7)), (1, KeyError::Bliss)] {
        let raw = k.raw();
        let mut p = Vec::new();
        p.extend_from_slice(&raw.version);
        p.push(raw.depth);
        p.push(alg);
        p.extend_from_slice(&raw.parent_fp);
        p.extend_from_slice(&raw.child_number.to_be_bytes());
        p.extend_from_slice(&raw.chain_code);
        p.extend_from_slice(&raw.key_data);
        let s = base58::encode_with_checksum(&p);
        assert_eq!(s.parse::<ExtendedPubKey>(), Err(want));
    }
    // A private key where a public one is expected, and the reverse.
    let xprv = ExtendedPrivKey::new_master(&[7u8; 32], Network::Testnet).unwrap();
    let e = xprv.to_string().parse::<ExtendedPubKey>().unwrap_err();
    assert_eq!(e, KeyError::PrivateKey);
    assert!(!e.to_string().contains(&xprv.to_string()));
    assert_eq!(COLD.parse::<ExtendedPrivKey>(), Err(KeyError::PublicKey));
    assert_eq!(
        ExtendedPrivKey::new_master(&[7u8; 15], Network::Testnet),
        Err(KeyError::InvalidSeedLength(15))
    );
    assert!(!format!("{xprv:?}").contains(&hex::encode(xprv.private_key())));
}

#[cfg(feature = "serde")]
#[test]
fn serde_as_string() {
    let k: ExtendedPubKey = COLD.parse().unwrap();
    let j = serde_json::to_string(&k).unwrap();
    assert_eq!(j, format!("\"{COLD}\""));
    assert_eq!(serde_json::from_str::<ExtendedPubKey>(&j).unwrap(), k);
    assert!(serde_json::from_str::<ExtendedPubKey>("\"tpub\"").is_err());
}

#[test]
fn tweak_add_equals_generator_then_combine() {
    // The variable-time K + IL·G must give exactly the former IL·G (constant-time) + K,
    // on the account key, its external branch, and a deeper key.
    let account: ExtendedPubKey = COLD.parse().unwrap();
    let branch = account.derive_child(0).unwrap();
    let deeper = branch.derive_child(7).unwrap();
    for key in [&account, &branch, &deeper] {
        for i in (0..300).chain([HARDENED - 1]) {
            let fast = key.derive_child_public_key(i).unwrap();
            assert_eq!(fast, key.ckd_pub_combine(i).unwrap(), "index {i}");
            assert_eq!(fast, key.derive_child(i).unwrap().public_key());
        }
    }
}

#[test]
fn batch_equals_single_derivations() {
    let account: ExtendedPubKey = COLD.parse().unwrap();
    let branch = account.derive_child(0).unwrap();
    for key in [&account, &branch] {
        for range in [
            0..0,
            0..1,
            0..400,
            1_000_000..1_000_050,
            HARDENED - 2..HARDENED + 1,
        ] {
            let batch = key.derive_child_public_keys(range.clone());
            assert_eq!(batch.len(), range.len());
            for ((i, got), want) in batch.into_iter().zip(range) {
                assert_eq!(i, want);
                assert_eq!(got, key.derive_child_public_key(i), "index {i}");
            }
        }
    }
}

#[test]
fn batch_falls_back_on_exceptional_additions() {
    // Parent key G: every child whose IL has low byte 1 adds G to G (H = 0 in the
    // incomplete formula), which must take the libsecp256k1 path and still be right.
    let mut g = [0u8; 33];
    let one = SecretKey::from_slice(&{
        let mut b = [0u8; 32];
        b[31] = 1;
        b
    })
    .unwrap();
    g.copy_from_slice(&PublicKey::from_secret_key(secp(), &one).serialize());
    let key = ExtendedPubKey::new(Network::Testnet, 4, [1; 4], 0, [9; 32], g).unwrap();
    let exceptional = (0..3000)
        .filter(|&i| key.child_tweak(i).unwrap().0.secret_bytes()[31] == 1)
        .count();
    assert!(exceptional > 0, "no index exercises the fallback");
    for (i, got) in key.derive_child_public_keys(0..3000) {
        assert_eq!(got, key.derive_child_public_key(i), "index {i}");
    }
}
