//! Base58 and HC's base58check (2-byte version, BLAKE-256d checksum).
//! SKELETON: implementation in progress.

/// Why a base58check string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Base58Error {
    /// Placeholder.
    #[error("invalid base58")]
    Invalid,
}
