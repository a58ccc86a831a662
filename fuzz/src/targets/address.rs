//! Address text: hcd's `DecodeAddress`, the user pubkey-address rule, base58check and the
//! JSON-RPC side's address decoding. An address that parses re-encodes to text that parses
//! to the same address; every kind except bliss pubkeys (whose extra byte hcd drops)
//! re-encodes to the same text.

use std::str::FromStr;

use hcpool_core::address::validate_user_pubkey_address;
use hcpool_core::{base58, Address, AddressKind, Network};

/// The target.
pub fn check(data: &[u8]) {
    let Some(s) = crate::text(data) else {
        return;
    };
    if let Ok((version, payload)) = base58::check_decode(s) {
        assert_eq!(
            base58::check_encode(version, &payload),
            s,
            "base58check round trip"
        );
    }
    for net in Network::ALL {
        if let Ok(a) = validate_user_pubkey_address(s, net) {
            assert!(a.is_for_network(net), "user address of another network");
            assert_eq!(a.kind(), AddressKind::PubKeySecp256k1, "user address kind");
            assert!(
                a.secp_pubkey_compressed().is_some(),
                "user address without a key"
            );
        }
    }
    let parsed = Address::from_str(s);
    let rpc = hcpool_rpc::jsonrpc::convert::decode_address(s);
    assert_eq!(
        parsed.is_ok(),
        rpc.is_ok(),
        "core and RPC address decoding disagree"
    );
    let Ok(a) = parsed else {
        return;
    };
    let text = a.to_string();
    assert_eq!(
        Address::from_str(&text).as_ref(),
        Ok(&a),
        "re-encoded address parses differently"
    );
    if a.kind() != AddressKind::PubKeyBliss {
        assert_eq!(text, s, "address re-encodes to other text");
    }
    let _ = a.hash160();
    let _ = a.pk_script();
    let _ = a.pubkey_bytes();
    if let Ok(p2pkh) = a.to_p2pkh() {
        assert_eq!(p2pkh.network(), a.network());
        assert_eq!(Address::from_str(&p2pkh.to_string()).as_ref(), Ok(&p2pkh));
    }
}
