//! Property tests: encode∘decode identities, and no parser panics on any input.

use bitcoin::secp256k1::{PublicKey, Secp256k1, SecretKey};
use hcpool_core::address::{validate_user_pubkey_address, AddressError};
use hcpool_core::base58;
use hcpool_core::wif::Wif;
use hcpool_core::xpub::ExtendedPrivKey;
use hcpool_core::{Address, AddressKind, ExtendedPubKey, Network, RedeemScript};
use proptest::prelude::*;

fn network() -> impl Strategy<Value = Network> {
    prop::sample::select(Network::ALL.to_vec())
}

fn hash_kind() -> impl Strategy<Value = AddressKind> {
    prop::sample::select(
        AddressKind::ALL
            .into_iter()
            .filter(|k| !k.is_pubkey())
            .collect::<Vec<_>>(),
    )
}

/// A valid compressed secp256k1 key from 32 random bytes (retrying the rare invalid ones).
fn pubkey() -> impl Strategy<Value = [u8; 33]> {
    any::<[u8; 32]>().prop_filter_map("valid secret", |b| {
        let sk = SecretKey::from_slice(&b).ok()?;
        Some(PublicKey::from_secret_key(&Secp256k1::signing_only(), &sk).serialize())
    })
}

const B58: &str = "[1-9A-HJ-NP-Za-km-z]{0,130}";

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn hash_address_round_trip(net in network(), kind in hash_kind(), hash in any::<[u8; 20]>()) {
        let a = Address::from_hash(net, kind, hash).unwrap();
        let s = a.to_string();
        prop_assert_eq!(s.parse::<Address>(), Ok(a.clone()));
        prop_assert_eq!(s.chars().next(), Some(net.params().address_prefix));
        prop_assert_eq!(a.hash160(), hash);
    }

    #[test]
    fn pubkey_address_round_trip(net in network(), key in pubkey()) {
        let a = Address::secp_pubkey(net, key).unwrap();
        prop_assert_eq!(a.to_string().parse::<Address>(), Ok(a.clone()));
        prop_assert_eq!(validate_user_pubkey_address(&a.to_string(), net), Ok(a.clone()));
        let schnorr = Address::schnorr_pubkey(net, key).unwrap();
        prop_assert_eq!(schnorr.to_string().parse::<Address>(), Ok(schnorr.clone()));
        prop_assert_eq!(
            validate_user_pubkey_address(&schnorr.to_string(), net).map_err(|e| e.user_message()),
            Err("incorrect address type")
        );
        let p2pkh = a.to_p2pkh().unwrap();
        prop_assert_eq!(p2pkh.to_string().parse::<Address>(), Ok(p2pkh));
    }

    #[test]
    fn edwards_and_bliss_pubkeys_decode_as_hcd_does(net in network(), key in any::<[u8; 32]>(), fill in any::<u8>()) {
        let ed = Address::edwards_pubkey(net, key);
        prop_assert_eq!(ed.to_string().parse::<Address>(), Err(AddressError::InvalidPubKey { suite: 1 }));
        let bliss = Address::bliss_pubkey(net, &[fill; 897]).unwrap();
        let back = bliss.to_string().parse::<Address>().unwrap();
        prop_assert_eq!(back.kind(), AddressKind::PubKeyBliss);
        prop_assert_eq!(back.payload()[0], 4);
    }

    #[test]
    fn xpub_round_trip(
        net in network(),
        depth in any::<u8>(),
        fp in any::<[u8; 4]>(),
        child in 0u32..(1 << 31),
        chain in any::<[u8; 32]>(),
        key in pubkey(),
    ) {
        let k = ExtendedPubKey::new(net, depth, fp, child, chain, key).unwrap();
        let s = k.to_string();
        prop_assert_eq!(s.len(), 111);
        prop_assert_eq!(s.parse::<ExtendedPubKey>(), Ok(k.clone()));
        prop_assert_eq!(k.network(), Some(net));
    }

    #[test]
    fn base58_round_trip(data in prop::collection::vec(any::<u8>(), 0..100), v in any::<[u8; 2]>()) {
        prop_assert_eq!(base58::decode(&base58::encode(&data)), Ok(data.clone()));
        prop_assert_eq!(base58::check_decode(&base58::check_encode(v, &data)), Ok((v, data)));
    }

    #[test]
    fn parsers_never_panic_on_strings(s in "\\PC{0,200}", b in B58) {
        for text in [s.as_str(), b.as_str()] {
            let _ = text.parse::<Address>();
            let _ = text.parse::<ExtendedPubKey>();
            let _ = text.parse::<ExtendedPrivKey>();
            let _ = text.parse::<RedeemScript>();
            let _ = text.parse::<Wif>();
            let _ = base58::decode(text);
            let _ = base58::check_decode(text);
            for net in Network::ALL {
                let _ = validate_user_pubkey_address(text, net);
            }
        }
    }

    /// Correctly checksummed strings with real version bytes reach the structure checks.
    #[test]
    fn address_parser_never_panics_past_the_checksum(
        net in network(),
        kind in prop::sample::select(AddressKind::ALL.to_vec()),
        payload in prop::collection::vec(any::<u8>(), 0..80),
        first in any::<u8>(),
    ) {
        let mut p = payload;
        p.insert(0, first);
        let s = base58::check_encode(kind.net_id(net), &p);
        let _ = s.parse::<Address>();
    }

    #[test]
    fn key_parsers_never_panic_past_the_checksum(
        len in prop::sample::select(vec![78usize, 79, 943, 432, 77, 80]),
        fill in any::<u8>(),
        alg in any::<u8>(),
        seed in prop::collection::vec(any::<u8>(), 0..80),
    ) {
        let mut p: Vec<u8> = seed.iter().copied().cycle().take(len).collect();
        if p.len() < len { p.resize(len, fill); }
        if let Some(b) = p.get_mut(5) { *b = alg % 3; }
        let s = base58::encode_with_checksum(&p);
        let _ = s.parse::<ExtendedPubKey>();
        let _ = s.parse::<ExtendedPrivKey>();
        let _ = ExtendedPrivKey::new_master(&seed, Network::Mainnet);
    }

    #[test]
    fn script_parser_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..100)) {
        let rs = RedeemScript::from_bytes(bytes);
        let _ = rs.parse_one_of_two();
        let _ = rs.one_of_two_pubkey_addresses(Network::Testnet);
        prop_assert_eq!(rs.to_hex().parse::<RedeemScript>(), Ok(rs.clone()));
    }

    #[test]
    fn one_of_two_round_trip(net in network(), pool in pubkey(), user in pubkey()) {
        let (p, u) = (Address::secp_pubkey(net, pool).unwrap(), Address::secp_pubkey(net, user).unwrap());
        let rs = RedeemScript::one_of_two(&p, &u).unwrap();
        prop_assert_eq!(rs.as_bytes().len(), 71);
        prop_assert_eq!(rs.parse_one_of_two(), Ok((pool, user)));
        prop_assert_eq!(rs.one_of_two_pubkey_addresses(net), Ok((p, u)));
    }
}
