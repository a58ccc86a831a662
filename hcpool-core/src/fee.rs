//! Subsidy, pool fee and the ticket fee check (hc-chain-facts.md §5.6).
//! SKELETON: implementation in progress.

/// An amount in atoms (1 HC = 1e8 atoms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Amount(pub i64);

/// Why a fee computation or check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeeError {
    /// Placeholder.
    #[error("invalid fee")]
    Invalid,
}
