//! The pool's 1-of-2 multisig redeem script and its P2SH address (hc-chain-facts.md §5.2).
//! SKELETON: implementation in progress.

/// A redeem script.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RedeemScript(Vec<u8>);

impl RedeemScript {
    /// Wraps script bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> RedeemScript {
        RedeemScript(bytes)
    }

    /// The script bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Why a script was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// Placeholder.
    #[error("invalid script")]
    Invalid,
}
