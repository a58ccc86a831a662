//! Votebits and agenda validation (hc-chain-facts.md §6).
//! SKELETON: implementation in progress.

/// A vote's 16 votebits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VoteBits(pub u16);

/// Why votebits were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VoteBitsError {
    /// Placeholder.
    #[error("invalid votebits")]
    Invalid,
}
