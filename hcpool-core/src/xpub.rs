//! HC extended public keys (hc-chain-facts.md §4).
//! SKELETON: implementation in progress.

/// An HC extended public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendedPubKey {
    _private: (),
}

/// Why an extended key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Placeholder.
    #[error("invalid key")]
    Invalid,
}
