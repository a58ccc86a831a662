//! hcstakepool's rule for the pubkey address a user registers (inventory §10.2).

use crate::address::{Address, AddressError, AddressKind};
use crate::params::Network;

/// Shortest accepted input, in bytes (hcstakepool's form `minlength`).
pub const USER_ADDRESS_MIN_LEN: usize = 40;
/// Longest accepted input, in bytes (hcstakepool's form `maxlength`).
pub const USER_ADDRESS_MAX_LEN: usize = 65;

/// Checks a user-submitted pubkey address as hcstakepool does — 40..=65 bytes long, decodes,
/// is a secp256k1 public-key address — and, unlike hcstakepool, that it is for the pool's
/// `network` (hcstakepool let a foreign key through to `createmultisig`, which then failed
/// and stopped the pool). [`AddressError::user_message`] gives the text to show.
pub fn validate_user_pubkey_address(s: &str, network: Network) -> Result<Address, AddressError> {
    if s.len() < USER_ADDRESS_MIN_LEN {
        return Err(AddressError::TooShort {
            len: s.len(),
            min: USER_ADDRESS_MIN_LEN,
        });
    }
    if s.len() > USER_ADDRESS_MAX_LEN {
        return Err(AddressError::TooLong {
            len: s.len(),
            max: USER_ADDRESS_MAX_LEN,
        });
    }
    let addr: Address = s.parse()?;
    if addr.kind() != AddressKind::PubKeySecp256k1 {
        return Err(AddressError::WrongType {
            expected: "a secp256k1 pubkey address",
            found: addr.kind(),
        });
    }
    addr.require_network(network)
}
