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

impl Address {
    /// A secp256k1 P2PKH address from its 20-byte hash.
    pub fn p2pkh(network: Network, hash: [u8; 20]) -> Address {
        Address {
            network,
            kind: AddressKind::PubKeyHash,
            payload: hash.to_vec(),
        }
    }

    /// A P2SH address from its 20-byte script hash.
    pub fn p2sh(network: Network, hash: [u8; 20]) -> Address {
        Address {
            network,
            kind: AddressKind::ScriptHash,
            payload: hash.to_vec(),
        }
    }

    /// The network.
    pub fn network(&self) -> Network {
        self.network
    }

    /// The kind.
    pub fn kind(&self) -> AddressKind {
        self.kind
    }

    /// The payload (hash or key bytes).
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }
}

/// Why an address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// Placeholder.
    #[error("invalid address")]
    Invalid,
}
