//! HC addresses: decode, encode, type and network (hc-chain-facts.md §3).
//! SKELETON: implementation in progress.

use crate::params::Network;

/// What an address is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressKind {
    /// secp256k1 public key (the `Tk…` pubkey-address form).
    PubKeySecp256k1,
    /// secp256k1 P2PKH (`Ts…`).
    PubKeyHash,
    /// P2SH (`Tc…`).
    ScriptHash,
}

/// A decoded HC address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Address {
    network: Network,
    kind: AddressKind,
    payload: Vec<u8>,
}

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// Placeholder.
    #[error("invalid address")]
    Invalid,
}
