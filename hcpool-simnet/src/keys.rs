//! Address and key support of the simulated wallet, backed by hcpool-core: the voting
//! wallet's keys are the real HC BIP32 children of `votingwalletextpub`/0, and the pool
//! fee addresses those of `coldwalletextpub`/0.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hcpool_core::derive::FeeAddressSet;
use hcpool_core::{Address, AddressKind, Network, PoolKeys, UserId};

/// RIPEMD160(BLAKE-256(data)), HC's hash160.
pub fn hash160(data: &[u8]) -> [u8; 20] {
    hcpool_core::hash::hash160(data)
}

/// A decoded address.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decoded {
    /// A secp256k1 pubkey address (`Sk…`/`Tk…`).
    PubKey([u8; 33]),
    /// A P2PKH address.
    PubKeyHash([u8; 20]),
    /// A P2SH address.
    ScriptHash([u8; 20]),
}

/// One derived key of the voting account's external branch.
#[derive(Debug, Clone)]
pub struct PoolKey {
    /// Index (the user id).
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

#[derive(Debug, Default)]
struct Derived {
    keys: Vec<PoolKey>,
    by_hash: HashMap<[u8; 20], u32>,
}

/// The wallet's view of keys and addresses.
#[derive(Debug, Clone)]
pub struct SimKeys {
    network: Network,
    voting_xpub: String,
    pool: PoolKeys,
    fee_set: Arc<FeeAddressSet>,
    derived: Arc<Mutex<Derived>>,
}

impl SimKeys {
    /// Keys of the voting wallet (`voting_xpub`) and `fee_addresses` pool fee addresses of
    /// `cold_xpub`.
    pub fn new(
        network: Network,
        voting_xpub: &str,
        cold_xpub: &str,
        fee_addresses: u32,
    ) -> Result<Self, super::SimError> {
        // Which ticket addresses are the wallet's is bounded by what it was told to watch
        // (`accountsyncaddressindex`, the pool's `maxusers`), as a real hcwallet's, not by a
        // derivation cap of its own.
        let pool =
            PoolKeys::from_strings(voting_xpub, cold_xpub, network)?.with_max_users(u64::MAX);
        let fee_set = Arc::new(pool.fee_address_set(fee_addresses));
        Ok(SimKeys {
            network,
            voting_xpub: voting_xpub.to_owned(),
            pool,
            fee_set,
            derived: Arc::new(Mutex::new(Derived::default())),
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

    /// The pool's fee addresses.
    pub fn fee_set(&self) -> &FeeAddressSet {
        &self.fee_set
    }

    /// Decodes an address of this network.
    pub fn decode(&self, addr: &str) -> Result<Decoded, String> {
        let a: Address = addr
            .parse()
            .map_err(|e: hcpool_core::error::AddressError| e.to_string())?;
        let a = a.require_network(self.network).map_err(|e| e.to_string())?;
        match a.kind() {
            AddressKind::PubKeySecp256k1 => a
                .secp_pubkey_compressed()
                .map(Decoded::PubKey)
                .ok_or_else(|| "not a compressed secp256k1 key".to_owned()),
            AddressKind::PubKeyHash => Ok(Decoded::PubKeyHash(a.hash160())),
            AddressKind::ScriptHash => Ok(Decoded::ScriptHash(a.hash160())),
            other => Err(format!("unsupported address type {other}")),
        }
    }

    /// The P2SH address string of a script hash.
    pub fn p2sh_address(&self, h: &[u8; 20]) -> String {
        Address::p2sh(self.network, *h).to_string()
    }

    /// The P2PKH address string of a key hash.
    pub fn p2pkh_address(&self, h: &[u8; 20]) -> String {
        Address::p2pkh(self.network, *h).to_string()
    }

    /// The pool key at `index`.
    pub fn pool_key(&self, index: u32) -> Option<PoolKey> {
        let mut d = self.derived.lock().ok()?;
        self.extend(&mut d, index);
        d.keys.get(index as usize).cloned()
    }

    /// Derives keys up to `index` (inclusive). An invalid child (probability ~2^-127)
    /// leaves the list short, which only makes later indexes unknown.
    fn extend(&self, d: &mut Derived, index: u32) {
        while d.keys.len() <= index as usize {
            let i = u32::try_from(d.keys.len()).unwrap_or(u32::MAX);
            let Ok(k) = self.pool.ticket_key(UserId(u64::from(i))) else {
                return;
            };
            let pubkey = k.public_key();
            let p2pkh = k.to_address(self.network);
            d.by_hash.insert(p2pkh.hash160(), i);
            d.keys.push(PoolKey {
                index: i,
                p2pkh: p2pkh.to_string(),
                pubkey_addr: k.to_pubkey_address(self.network).to_string(),
                pubkey,
                pubkey_hex: hex::encode(pubkey),
            });
        }
    }

    /// The owned key whose P2PKH or pubkey address is `addr`, at index ≤ `max_index`.
    pub fn find_owned(&self, addr: &str, max_index: u32) -> Option<PoolKey> {
        let h = match self.decode(addr).ok()? {
            Decoded::PubKeyHash(h) => h,
            Decoded::PubKey(pk) => hash160(&pk),
            Decoded::ScriptHash(_) => return None,
        };
        let max = max_index.min(u32::try_from(self.pool.max_users()).unwrap_or(u32::MAX));
        let mut d = self.derived.lock().ok()?;
        if !d.by_hash.contains_key(&h) {
            self.extend(&mut d, max);
        }
        let i = *d.by_hash.get(&h)?;
        if i > max_index {
            return None;
        }
        d.keys.get(i as usize).cloned()
    }

    /// The hash160 of the pool fee address at `index`.
    pub fn fee_hash(&self, index: u32) -> Option<[u8; 20]> {
        self.pool
            .fee_address(UserId(u64::from(index)))
            .ok()
            .map(|a| a.hash160())
    }
}
