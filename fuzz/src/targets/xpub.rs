//! Extended key text: hcd's `NewKeyFromString` for private and public keys, the key checks,
//! child derivation and the pool's per-user derivations. A key that parses re-encodes to
//! text that parses to the same key.

use std::str::FromStr;

use hcpool_core::xpub::ExtendedPrivKey;
use hcpool_core::{ExtendedPubKey, Network, PoolKeys, UserId};

/// First hardened child index.
const HARDENED: u32 = 0x8000_0000;

/// The target.
pub fn check(data: &[u8]) {
    let Some(s) = crate::text(data) else {
        return;
    };
    if let Ok(prv) = ExtendedPrivKey::from_str(s) {
        let text = prv.to_string();
        let again = ExtendedPrivKey::from_str(&text).map(|k| k.to_string());
        assert_eq!(again.ok(), Some(text), "private key round trip");
        if let Ok(public) = prv.neuter() {
            assert_eq!(public.public_key(), prv.public_key());
            if let (Ok(a), Ok(b)) = (prv.derive_child(1), public.derive_child(1)) {
                assert_eq!(
                    a.public_key(),
                    b.public_key(),
                    "private and public derivation differ"
                );
            }
        }
    }
    let Ok(key) = ExtendedPubKey::from_str(s) else {
        return;
    };
    let text = key.to_string();
    assert_eq!(
        ExtendedPubKey::from_str(&text).as_ref(),
        Ok(&key),
        "re-encoded key parses differently"
    );
    for net in Network::ALL {
        let _ = key.to_address(net);
        let _ = key.to_pubkey_address(net);
    }
    assert!(
        key.derive_child(HARDENED).is_err(),
        "hardened child of a public key"
    );
    if let Ok(child) = key.derive_child(0) {
        assert_eq!(child.depth(), key.depth().wrapping_add(1));
        assert_eq!(child.parent_fingerprint(), key.fingerprint());
        assert_eq!(
            key.derive_child_public_key(0).ok(),
            Some(child.public_key())
        );
        assert_eq!(key.derive_path(&[0, 1]).ok(), child.derive_child(1).ok());
    }
    // The batched path (own field arithmetic, one inversion per batch) gives exactly the
    // single derivations (libsecp256k1), on whatever point the input carries.
    for (i, batched) in key.derive_child_public_keys(0..4) {
        assert_eq!(
            batched.ok(),
            key.derive_child_public_key(i).ok(),
            "batched child {i} differs"
        );
    }
    if let Some(net) = key.network() {
        if let Ok(keys) = PoolKeys::from_strings(s, s, net) {
            let uid = UserId(1);
            if let (Ok(ticket), Ok(fee)) = (keys.ticket_address(uid), keys.fee_address(uid)) {
                assert!(ticket.is_for_network(net) && fee.is_for_network(net));
            }
            let _ = keys.ticket_pubkey_address(uid);
        }
    }
}
