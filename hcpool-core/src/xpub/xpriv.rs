//! Extended private keys, only as far as the HD vectors need them: `NewMaster`, hardened
//! and normal derivation (with hcd's leading-zero quirk), `Neuter`. The pool itself never
//! holds a private key.
//!
//! The quirk (hc-chain-facts.md §4.5): hcd keeps a *derived* private key as big-endian
//! bytes without leading zeros, and for a hardened child copies them left-aligned behind
//! the 0x00 pad, so the zeros land just before ser32(i). A master key or a key parsed from
//! a string keeps all 32 bytes, so the quirk only shows when deriving twice in memory.

use std::fmt;
use std::str::FromStr;

use bitcoin::hashes::{hmac, sha512, Hash, HashEngine};
use bitcoin::secp256k1::{PublicKey, Scalar, SecretKey};

use super::{network_of_version, secp, ExtendedPubKey, KeyError, RawKey, HARDENED};
use crate::hash::hash160;
use crate::params::Network;

/// HMAC-SHA512 split into (IL, IR).
fn hmac_sha512(key: &[u8], parts: &[&[u8]]) -> ([u8; 32], [u8; 32]) {
    let mut engine = hmac::HmacEngine::<sha512::Hash>::new(key);
    for p in parts {
        engine.input(p);
    }
    let out = hmac::Hmac::<sha512::Hash>::from_engine(engine).to_byte_array();
    let mut il = [0u8; 32];
    let mut ir = [0u8; 32];
    il.copy_from_slice(&out[..32]);
    ir.copy_from_slice(&out[32..]);
    (il, ir)
}

/// An HC extended private key. `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct ExtendedPrivKey {
    raw: RawKeyPriv,
    secret: SecretKey,
    /// How many of the 32 key bytes hcd would hold (32 minus leading zeros for keys it
    /// derived, 32 otherwise); see the module docs.
    stored_len: usize,
}

#[derive(Clone, PartialEq, Eq)]
struct RawKeyPriv {
    version: [u8; 4],
    depth: u8,
    parent_fp: [u8; 4],
    child_number: u32,
    chain_code: [u8; 32],
}

impl ExtendedPrivKey {
    /// hcd's `NewMaster`: HMAC-SHA512(key = "Bitcoin seed", seed), seed of 16..=64 bytes.
    pub fn new_master(seed: &[u8], network: Network) -> Result<ExtendedPrivKey, KeyError> {
        if !(16..=64).contains(&seed.len()) {
            return Err(KeyError::InvalidSeedLength(seed.len()));
        }
        let (il, ir) = hmac_sha512(b"Bitcoin seed", &[seed]);
        let secret = SecretKey::from_slice(&il).map_err(|_| KeyError::UnusableSeed)?;
        Ok(ExtendedPrivKey {
            raw: RawKeyPriv {
                version: network.params().hd_private_key_id,
                depth: 0,
                parent_fp: [0; 4],
                child_number: 0,
                chain_code: ir,
            },
            secret,
            stored_len: 32,
        })
    }

    /// The private key, 32 bytes big-endian.
    pub fn private_key(&self) -> [u8; 32] {
        self.secret.secret_bytes()
    }

    /// The compressed public key.
    pub fn public_key(&self) -> [u8; 33] {
        self.pubkey().serialize()
    }

    fn pubkey(&self) -> PublicKey {
        PublicKey::from_secret_key(secp(), &self.secret)
    }

    /// The 4 version bytes as parsed.
    pub fn version(&self) -> [u8; 4] {
        self.raw.version
    }

    /// Depth in the tree.
    pub fn depth(&self) -> u8 {
        self.raw.depth
    }

    /// The parent fingerprint.
    pub fn parent_fingerprint(&self) -> [u8; 4] {
        self.raw.parent_fp
    }

    /// The child number.
    pub fn child_number(&self) -> u32 {
        self.raw.child_number
    }

    /// The same key with `network`'s private version bytes (hcd's `SetNet`).
    pub fn with_network(mut self, network: Network) -> ExtendedPrivKey {
        self.raw.version = network.params().hd_private_key_id;
        self
    }

    /// Child `index` (hardened when ≥ [`HARDENED`]).
    pub fn derive_child(&self, index: u32) -> Result<ExtendedPrivKey, KeyError> {
        let parent_pub = self.public_key();
        let (il, ir) = if index >= HARDENED {
            // 0x00 ‖ key as hcd holds it, left-aligned in 32 bytes ‖ ser32(i).
            let key = self.secret.secret_bytes();
            let mut data = [0u8; 33];
            let held = key.get(32 - self.stored_len..).unwrap_or(&key);
            if let Some(dst) = data.get_mut(1..1 + held.len()) {
                dst.copy_from_slice(held);
            }
            hmac_sha512(&self.raw.chain_code, &[&data, &index.to_be_bytes()])
        } else {
            hmac_sha512(&self.raw.chain_code, &[&parent_pub, &index.to_be_bytes()])
        };
        let tweak = Scalar::from_be_bytes(il).map_err(|_| KeyError::InvalidChild(index))?;
        if tweak == Scalar::ZERO {
            return Err(KeyError::InvalidChild(index));
        }
        let secret = self
            .secret
            .add_tweak(&tweak)
            .map_err(|_| KeyError::InvalidChild(index))?;
        let bytes = secret.secret_bytes();
        let leading_zeros = bytes.iter().take_while(|&&b| b == 0).count();
        let h = hash160(&parent_pub);
        Ok(ExtendedPrivKey {
            raw: RawKeyPriv {
                version: self.raw.version,
                depth: self.raw.depth.wrapping_add(1),
                parent_fp: [h[0], h[1], h[2], h[3]],
                child_number: index,
                chain_code: ir,
            },
            secret,
            stored_len: 32 - leading_zeros,
        })
    }

    /// Derives along a path.
    pub fn derive_path(&self, path: &[u32]) -> Result<ExtendedPrivKey, KeyError> {
        path.iter()
            .try_fold(self.clone(), |key, &i| key.derive_child(i))
    }

    /// hcd's `Neuter`: the public key, with the public version of the private version's
    /// network ([`KeyError::UnknownVersion`] when the version is no HC network's).
    pub fn neuter(&self) -> Result<ExtendedPubKey, KeyError> {
        let network = Network::ALL
            .into_iter()
            .find(|n| n.params().hd_private_key_id == self.raw.version)
            .ok_or(KeyError::UnknownVersion(self.raw.version))?;
        let raw = self.raw_key();
        Ok(ExtendedPubKey::from_parts(&raw, self.pubkey()).with_network(network))
    }

    /// The network the version bytes name, if any.
    pub fn network(&self) -> Option<Network> {
        network_of_version(self.raw.version)
    }

    fn raw_key(&self) -> RawKey {
        let mut key_data = [0u8; 33];
        key_data[1..].copy_from_slice(&self.secret.secret_bytes());
        RawKey {
            version: self.raw.version,
            depth: self.raw.depth,
            parent_fp: self.raw.parent_fp,
            child_number: self.raw.child_number,
            chain_code: self.raw.chain_code,
            key_data,
        }
    }
}

impl fmt::Display for ExtendedPrivKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw_key().encode())
    }
}

impl fmt::Debug for ExtendedPrivKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtendedPrivKey")
            .field("depth", &self.raw.depth)
            .field("child_number", &self.raw.child_number)
            .finish_non_exhaustive()
    }
}

impl FromStr for ExtendedPrivKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let raw = RawKey::decode(s)?;
        if raw.key_data[0] != 0 {
            return Err(KeyError::PublicKey);
        }
        let secret =
            SecretKey::from_slice(&raw.key_data[1..]).map_err(|_| KeyError::UnusableSeed)?;
        Ok(ExtendedPrivKey {
            raw: RawKeyPriv {
                version: raw.version,
                depth: raw.depth,
                parent_fp: raw.parent_fp,
                child_number: raw.child_number,
                chain_code: raw.chain_code,
            },
            secret,
            stored_len: 32,
        })
    }
}
