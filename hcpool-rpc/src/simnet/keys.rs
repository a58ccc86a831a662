//! Address and key support of the simulated wallet, backed by hcpool-core.
//!
//! PENDING the keys merge: decoding, encoding and xpub derivation come from hcpool-core.

use std::collections::HashSet;

use hcpool_core::Network;

use super::txbytes::blake256;

/// RIPEMD160(BLAKE-256(data)), HC's hash160.
pub fn hash160(data: &[u8]) -> [u8; 20] {
    use bitcoin::hashes::{ripemd160, Hash};
    ripemd160::Hash::hash(&blake256(data)).to_byte_array()
}

/// A decoded address.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decoded {
    /// A secp256k1 pubkey address (`Tk…`).
    PubKey([u8; 33]),
    /// A P2PKH address.
    PubKeyHash([u8; 20]),
    /// A P2SH address.
    ScriptHash([u8; 20]),
}

/// One derived key of the voting account's external branch.
#[derive(Debug, Clone)]
pub struct PoolKey {
    /// Index.
    pub index: u32,
    /// The P2PKH address.
    pub p2pkh: String,
    /// The pubkey address.
    pub pubkey_addr: String,
    /// The compressed pubkey.
    pub pubkey: [u8; 33],
    /// Its hex.
    pub pubkey_hex: String,
}

/// The wallet's view of keys and addresses.
#[derive(Debug, Clone)]
pub struct SimKeys {
    network: Network,
    voting_xpub: String,
    fee_hashes: HashSet<[u8; 20]>,
}

impl SimKeys {
    /// Keys of the voting wallet (`voting_xpub`) and the pool's fee addresses (`cold_xpub`).
    pub fn new(network: Network, voting_xpub: &str, _cold_xpub: &str) -> Result<Self, super::SimError> {
        Ok(SimKeys {
            network,
            voting_xpub: voting_xpub.to_owned(),
            fee_hashes: HashSet::new(),
        })
    }

    /// The network.
    pub fn network(&self) -> Network {
        self.network
    }

    /// The voting account xpub (`getmasterpubkey`).
    pub fn voting_xpub(&self) -> &str {
        &self.voting_xpub
    }

    /// Hash160s of the pool's fee addresses.
    pub fn fee_hashes(&self) -> &HashSet<[u8; 20]> {
        &self.fee_hashes
    }

    /// Decodes an address of this network.
    pub fn decode(&self, _addr: &str) -> Result<Decoded, String> {
        Err("address decoding not available".into())
    }

    /// The P2SH address string of a script hash.
    pub fn p2sh_address(&self, h: &[u8; 20]) -> String {
        hex::encode(h)
    }

    /// The owned key whose P2PKH or pubkey address is `addr`, at index ≤ `max_index`.
    pub fn find_owned(&self, _addr: &str, _max_index: u32) -> Option<PoolKey> {
        None
    }

    /// The pool key at `index`.
    pub fn pool_key(&self, _index: u32) -> Option<PoolKey> {
        None
    }

    /// The hash160 of the pool fee address at `index`.
    pub fn fee_hash(&self, _index: u32) -> Option<[u8; 20]> {
        None
    }
}
