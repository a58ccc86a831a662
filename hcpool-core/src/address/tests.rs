use super::*;

const T_PUBKEY: &str = "TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt";
const T_PKH: &str = "Tso9sQD3ALqRsmEkAm7KvPrkGbeG2Vun7Kv";

#[test]
fn pubkey_address_decodes_and_converts() {
    let a: Address = T_PUBKEY.parse().unwrap();
    assert_eq!(a.kind(), AddressKind::PubKeySecp256k1);
    assert_eq!(a.network(), Network::Testnet);
    assert_eq!(a.to_string(), T_PUBKEY);
    assert_eq!(a.to_p2pkh().unwrap().to_string(), T_PKH);
    assert_eq!(a.pk_script().len(), 35);
}

#[test]
fn error_variants() {
    assert_eq!(
        "TsmWaPM77WSyA3aiQ2Q1KnwGDVWvEkhip23".parse::<Address>(),
        Err(AddressError::ChecksumMismatch)
    );
    assert_eq!(
        "DsUZxxoHJSty8DCfwfartwTYbuhmVct7tJu".parse::<Address>(),
        Err(AddressError::UnknownType)
    );
    assert!(matches!(
        "0OIl".parse::<Address>(),
        Err(AddressError::UnknownFormat(Base58Error::InvalidCharacter(
            '0'
        )))
    ));
    assert!(matches!(
        "".parse::<Address>(),
        Err(AddressError::UnknownFormat(Base58Error::TooShort { .. }))
    ));
    // With a 2-byte id, a wrong payload length almost always changes the leading
    // character, so the length checks are exercised directly.
    assert_eq!(
        decode_pubkey(Network::Testnet, &[2u8; 32]),
        Err(AddressError::WrongLength {
            kind: AddressKind::PubKeySecp256k1,
            expected: 33,
            found: 32
        })
    );
    assert!(matches!(
        decode_bliss_pubkey(Network::Testnet, &[4u8; 897]),
        Err(AddressError::WrongLength { found: 897, .. })
    ));
    // Suite 0 with an X that is not on the curve (x = 5 has no y on secp256k1).
    let mut bad = [0u8; 33];
    bad[32] = 5;
    let s = base58::check_encode([0x28, 0xf7], &bad);
    assert_eq!(s.parse::<Address>(), Err(AddressError::NotOnCurve));
    // Edwards pubkey addresses never decode, as in hcd.
    let ed = Address::edwards_pubkey(Network::Testnet, [9u8; 32]);
    assert_eq!(
        ed.to_string().parse::<Address>(),
        Err(AddressError::InvalidPubKey { suite: 1 })
    );
    // Unknown suite 3.
    let mut s3 = [0u8; 33];
    s3[0] = 3;
    let s = base58::check_encode([0x28, 0xf7], &s3);
    assert_eq!(s.parse::<Address>(), Err(AddressError::UnknownType));
    // Mainnet ids behind a T prefix cannot happen; a T string with mainnet id is unknown.
    let a: Address = T_PKH.parse().unwrap();
    assert_eq!(
        a.clone().require_network(Network::Mainnet),
        Err(AddressError::WrongNetwork {
            expected: Network::Mainnet,
            found: Network::Testnet
        })
    );
    assert!(a.is_for_network(Network::Testnet));
    assert!(matches!(
        Address::p2sh(Network::Simnet, [0; 20]).to_p2pkh(),
        Err(AddressError::WrongType { .. })
    ));
    assert!(Address::from_hash(Network::Simnet, AddressKind::PubKeyBliss, [0; 20]).is_err());
}

#[test]
fn bliss_pubkey_does_not_round_trip() {
    let mut key = vec![1u8; BLISS_PUBKEY_LEN];
    key[5] = 0x42;
    let a = Address::bliss_pubkey(Network::Mainnet, &key).unwrap();
    let s = a.to_string();
    let back: Address = s.parse().unwrap();
    assert_eq!(back.kind(), AddressKind::PubKeyBliss);
    assert_ne!(back, a);
    assert_eq!(back.payload()[0], 4);
    assert!(Address::bliss_pubkey(Network::Mainnet, &key[1..]).is_err());
}

#[test]
fn user_validation_messages() {
    let net = Network::Testnet;
    let e = validate_user_pubkey_address("Tk", net).unwrap_err();
    assert_eq!(e.user_message(), "address too short");
    let e = validate_user_pubkey_address(&"T".repeat(66), net).unwrap_err();
    assert_eq!(e.user_message(), "address too long");
    let e = validate_user_pubkey_address(&"T".repeat(53), net).unwrap_err();
    assert_eq!(e.user_message(), "couldn't decode address");
    let a: Address = T_PUBKEY.parse().unwrap();
    let schnorr = Address::schnorr_pubkey(net, a.secp_pubkey_compressed().unwrap()).unwrap();
    let e = validate_user_pubkey_address(&schnorr.to_string(), net).unwrap_err();
    assert_eq!(e.user_message(), "incorrect address type");
    let e = validate_user_pubkey_address(T_PUBKEY, Network::Mainnet).unwrap_err();
    assert!(matches!(e, AddressError::WrongNetwork { .. }));
    assert!(e.user_message().contains("network"));
    let ok = validate_user_pubkey_address(T_PUBKEY, net).unwrap();
    assert_eq!(ok.to_string(), T_PUBKEY);
}

#[test]
fn push_data_sizes() {
    assert_eq!(push_data(&[1; 33])[0], 33);
    assert_eq!(&push_data(&[1; 80])[..2], &[0x4c, 80]);
    assert_eq!(&push_data(&[1; 897])[..3], &[0x4d, 0x81, 0x03]);
}

#[cfg(feature = "serde")]
#[test]
fn serde_as_string() {
    let a: Address = T_PUBKEY.parse().unwrap();
    let j = serde_json::to_string(&a).unwrap();
    assert_eq!(j, format!("\"{T_PUBKEY}\""));
    let b: Address = serde_json::from_str(&j).unwrap();
    assert_eq!(a, b);
    assert!(serde_json::from_str::<Address>("\"nope\"").is_err());
}
