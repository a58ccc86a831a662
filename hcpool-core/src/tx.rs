//! HC transaction wire decoding and ticket outputs (hc-chain-facts.md §5.4).
//! SKELETON: implementation in progress.

/// Why a transaction was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TxError {
    /// Placeholder.
    #[error("invalid transaction")]
    Invalid,
}
