//! Script bytes: the 1-of-2 multisig redeem script the pool checks against the wallets'
//! `createmultisig`, stake-tagged outputs, ticket commitments and a vote's votebits output.
//! What parses rebuilds to the same bytes.

use hcpool_core::stake::{parse_votebits_script, votebits_script, StakeOutput};
use hcpool_core::{Commitment, Network, RedeemScript};

/// The target.
pub fn check(data: &[u8]) {
    if let Some(hex) = crate::text(data) {
        // `createmultisig`'s `redeemScript` and `listscripts` arrive as hex.
        if let Ok(s) = RedeemScript::from_hex(hex) {
            assert_eq!(RedeemScript::from_hex(&s.to_hex()).ok(), Some(s.clone()));
            check_redeem(&s);
        }
    }
    let script = RedeemScript::from_bytes(data.to_vec());
    check_redeem(&script);

    if let Some(s) = StakeOutput::parse(data) {
        assert_eq!(s.script(), data, "stake output re-encodes differently");
        for net in Network::ALL {
            let _ = s.address.to_address(net);
        }
    }
    if let Some(c) = Commitment::from_script(data) {
        for net in Network::ALL {
            let _ = c.address(net);
        }
        let _ = c.stake_address();
        if data.len() == 33 && data.starts_with(&[0x6a, 0x1f]) {
            assert_eq!(c.script(), data, "commitment re-encodes differently");
        }
    }
    if let Some((bits, extended)) = parse_votebits_script(data) {
        let _ = extended.vote_version();
        // A direct push of everything after the push byte is the form HC writes.
        if data.get(1).map(|&b| usize::from(b)) == Some(data.len() - 2) {
            assert_eq!(
                votebits_script(bits, &extended),
                data,
                "votebits script re-encodes differently"
            );
        }
    }
}

fn check_redeem(script: &RedeemScript) {
    let _ = script.hash160();
    let parsed = script.parse_one_of_two();
    for net in Network::ALL {
        let _ = script.p2sh_address(net);
        match script.one_of_two_pubkey_addresses(net) {
            Ok((pool, user)) => {
                assert!(parsed.is_ok());
                let rebuilt = RedeemScript::one_of_two(&pool, &user);
                assert_eq!(
                    rebuilt.as_ref().ok(),
                    Some(script),
                    "1-of-2 script rebuilds differently"
                );
            }
            Err(_) => assert!(parsed.is_err(), "parsed keys that are not pubkey addresses"),
        }
    }
}
