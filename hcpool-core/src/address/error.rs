//! [`AddressError`] and the user-facing messages of hcstakepool.

use crate::address::AddressKind;
use crate::base58::Base58Error;
use crate::params::Network;

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The base58check checksum does not match (hcd: "checksum mismatch").
    #[error("checksum mismatch")]
    ChecksumMismatch,
    /// Not base58, or too short for a version and checksum.
    #[error("decoded address is of unknown format: {0}")]
    UnknownFormat(Base58Error),
    /// Unknown first character, or version bytes that are no address id of that network.
    #[error("unknown address type")]
    UnknownType,
    /// The payload length does not fit the type.
    #[error("{kind} address payload must be {expected} bytes, got {found}")]
    WrongLength {
        /// The type the version bytes announced.
        kind: AddressKind,
        /// Required length.
        expected: usize,
        /// Actual length.
        found: usize,
    },
    /// The secp256k1 public key is not a point on the curve.
    #[error("public key is not a valid secp256k1 point")]
    NotOnCurve,
    /// A public key of this signature suite cannot be decoded (Edwards, as in hcd).
    #[error("invalid public key for signature suite {suite}")]
    InvalidPubKey {
        /// The suite byte.
        suite: u8,
    },
    /// The address is valid but of another type than required.
    #[error("incorrect address type: expected {expected}, got {found}")]
    WrongType {
        /// What was required.
        expected: &'static str,
        /// What the address is.
        found: AddressKind,
    },
    /// The address is valid but for another network.
    #[error("address is for {found}, expected {expected}")]
    WrongNetwork {
        /// The network required.
        expected: Network,
        /// The address's network.
        found: Network,
    },
    /// User input shorter than the pool accepts (hcstakepool: 40 characters).
    #[error("address too short: {len} characters, at least {min}")]
    TooShort {
        /// Input length in bytes.
        len: usize,
        /// Minimum.
        min: usize,
    },
    /// User input longer than the pool accepts (hcstakepool: 65 characters).
    #[error("address too long: {len} characters, at most {max}")]
    TooLong {
        /// Input length in bytes.
        len: usize,
        /// Maximum.
        max: usize,
    },
}

impl AddressError {
    /// The message hcstakepool's API shows for this error when a user submits a pubkey
    /// address (its `address error` texts; the HTML form capitalises them, e.g. "Address
    /// is too short", "Couldn't decode address", "Incorrect address type"). Wrong network
    /// is an hcpool addition.
    pub fn user_message(&self) -> &'static str {
        match self {
            AddressError::TooShort { .. } => "address too short",
            AddressError::TooLong { .. } => "address too long",
            AddressError::WrongType { .. } => "incorrect address type",
            AddressError::WrongNetwork { .. } => {
                "address is for a different network than this pool"
            }
            _ => "couldn't decode address",
        }
    }
}
