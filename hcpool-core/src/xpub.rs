//! HC extended public keys (hc-chain-facts.md §4).
//!
//! BIP32 arithmetic with HC's encoding: BLAKE-256d checksum, RIPEMD160(BLAKE256) parent
//! fingerprint, Decred-style version bytes (`dpub`, `tpub`, `spub`). Parsing follows hcd's
//! `NewKeyFromString`: decoded lengths 82 (the written form) and 83 (an algtype byte after
//! the depth) are accepted for EC keys; version bytes are **not** validated at parse time
//! (use [`ExtendedPubKey::network`] / [`ExtendedPubKey::require_network`]).
//!
//! Decisions of hcpool: a private extended key given where a public one is expected is
//! refused ([`KeyError::PrivateKey`]) rather than neutered, so a secret pasted into the
//! pool's configuration is never used (nor echoed: errors never carry key material);
//! bliss extended keys (algtype 1, 947/436-byte layouts) are refused with
//! [`KeyError::Bliss`], since hcd cannot derive public children from them either.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use bitcoin::hashes::{hmac, sha512, Hash, HashEngine};
use bitcoin::secp256k1::{All, PublicKey, Scalar, Secp256k1, SecretKey};

use crate::address::Address;
use crate::base58::{self, Base58Error};
use crate::hash::hash160;
use crate::params::Network;

mod batch;
// Private keys are for test vectors only: the pool itself never holds one.
#[cfg(any(test, feature = "test-utils"))]
mod xpriv;

#[cfg(any(test, feature = "test-utils"))]
pub use xpriv::ExtendedPrivKey;

/// First hardened child index.
pub const HARDENED: u32 = 0x8000_0000;

/// Length of the serialized payload HC writes (without checksum).
pub const PAYLOAD_LEN: usize = 78;

/// The shared secp256k1 context (building one costs more than thousands of derivations).
pub(crate) fn secp() -> &'static Secp256k1<All> {
    static CTX: OnceLock<Secp256k1<All>> = OnceLock::new();
    CTX.get_or_init(Secp256k1::new)
}

/// IL (as a valid scalar) and IR of child `index` of the key `parent` whose chain code
/// `keyed` was keyed with (cloning a keyed engine skips hashing the key pads again).
pub(crate) fn child_tweak_with(
    keyed: &hmac::HmacEngine<sha512::Hash>,
    parent: &[u8; 33],
    index: u32,
) -> Result<(SecretKey, [u8; 32]), KeyError> {
    if index >= HARDENED {
        return Err(KeyError::DeriveHardFromPublic(index));
    }
    let mut engine = keyed.clone();
    engine.input(parent);
    engine.input(&index.to_be_bytes());
    let out = hmac::Hmac::<sha512::Hash>::from_engine(engine).to_byte_array();
    let mut il = [0u8; 32];
    let mut ir = [0u8; 32];
    il.copy_from_slice(&out[..32]);
    ir.copy_from_slice(&out[32..]);
    // IL = 0 or IL >= n is hcd's ErrInvalidChild; SecretKey refuses exactly those.
    let tweak = SecretKey::from_slice(&il).map_err(|_| KeyError::InvalidChild(index))?;
    Ok((tweak, ir))
}

/// The fields common to both key kinds, as decoded from a string.
pub(crate) struct RawKey {
    pub version: [u8; 4],
    pub depth: u8,
    pub parent_fp: [u8; 4],
    pub child_number: u32,
    pub chain_code: [u8; 32],
    pub key_data: [u8; 33],
}

impl RawKey {
    /// hcd's `NewKeyFromString` up to (not including) the key-data checks.
    pub fn decode(s: &str) -> Result<RawKey, KeyError> {
        let raw = base58::decode(s).map_err(KeyError::Base58)?;
        let payload_len = match raw.len() {
            82 => PAYLOAD_LEN,
            83 | 947 | 436 => raw.len() - 4,
            n => return Err(KeyError::InvalidKeyLength(n)),
        };
        let (payload, sum) = raw.split_at(payload_len);
        if base58::checksum(payload) != sum {
            return Err(KeyError::BadChecksum);
        }
        // With an algtype byte at offset 5, everything after it shifts by one.
        let rest_at = if payload_len == PAYLOAD_LEN {
            5
        } else {
            match payload.get(5).copied() {
                Some(0) if payload_len == PAYLOAD_LEN + 1 => 6,
                Some(0 | 1) => return Err(KeyError::Bliss),
                Some(other) => return Err(KeyError::UnknownAlg(other)),
                None => return Err(KeyError::InvalidKeyLength(raw.len())),
            }
        };
        match (payload.get(..5), payload.get(rest_at..)) {
            (Some(head), Some(rest)) => RawKey::from_body(head, rest),
            _ => Err(KeyError::InvalidKeyLength(raw.len())),
        }
    }

    /// `head` = version ‖ depth, `rest` = fingerprint ‖ child ‖ chain code ‖ key (73 bytes).
    fn from_body(head: &[u8], rest: &[u8]) -> Result<RawKey, KeyError> {
        let (Ok(head), Ok(rest)) = (<&[u8; 5]>::try_from(head), <&[u8; 73]>::try_from(rest)) else {
            return Err(KeyError::InvalidKeyLength(head.len() + rest.len() + 4));
        };
        let mut k = RawKey {
            version: [head[0], head[1], head[2], head[3]],
            depth: head[4],
            parent_fp: [rest[0], rest[1], rest[2], rest[3]],
            child_number: u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]),
            chain_code: [0; 32],
            key_data: [0; 33],
        };
        k.chain_code.copy_from_slice(&rest[8..40]);
        k.key_data.copy_from_slice(&rest[40..73]);
        Ok(k)
    }

    /// The 78-byte payload + checksum, base58.
    pub fn encode(&self) -> String {
        let mut p = Vec::with_capacity(PAYLOAD_LEN);
        p.extend_from_slice(&self.version);
        p.push(self.depth);
        p.extend_from_slice(&self.parent_fp);
        p.extend_from_slice(&self.child_number.to_be_bytes());
        p.extend_from_slice(&self.chain_code);
        p.extend_from_slice(&self.key_data);
        base58::encode_with_checksum(&p)
    }
}

/// The network whose private or public HD id is `version`.
pub(crate) fn network_of_version(version: [u8; 4]) -> Option<Network> {
    Network::ALL.into_iter().find(|n| {
        let p = n.params();
        p.hd_public_key_id == version || p.hd_private_key_id == version
    })
}

/// An HC extended public key (secp256k1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtendedPubKey {
    version: [u8; 4],
    depth: u8,
    parent_fp: [u8; 4],
    child_number: u32,
    chain_code: [u8; 32],
    public_key: PublicKey,
}

impl ExtendedPubKey {
    /// Builds a key from its parts (the version selects the network).
    pub fn new(
        network: Network,
        depth: u8,
        parent_fingerprint: [u8; 4],
        child_number: u32,
        chain_code: [u8; 32],
        public_key: [u8; 33],
    ) -> Result<ExtendedPubKey, KeyError> {
        let public_key = PublicKey::from_slice(&public_key).map_err(|_| KeyError::NotOnCurve)?;
        Ok(ExtendedPubKey {
            version: network.params().hd_public_key_id,
            depth,
            parent_fp: parent_fingerprint,
            child_number,
            chain_code,
            public_key,
        })
    }

    pub(crate) fn from_parts(raw: &RawKey, public_key: PublicKey) -> ExtendedPubKey {
        ExtendedPubKey {
            version: raw.version,
            depth: raw.depth,
            parent_fp: raw.parent_fp,
            child_number: raw.child_number,
            chain_code: raw.chain_code,
            public_key,
        }
    }

    /// The 4 version bytes as parsed (not validated).
    pub fn version(&self) -> [u8; 4] {
        self.version
    }

    /// The network the version bytes name (public or private HD id), if any.
    pub fn network(&self) -> Option<Network> {
        network_of_version(self.version)
    }

    /// The key, if its version bytes are `network`'s (hcd's `IsForNet`).
    pub fn require_network(self, network: Network) -> Result<ExtendedPubKey, KeyError> {
        match self.network() {
            Some(n) if n == network => Ok(self),
            Some(found) => Err(KeyError::WrongNetwork {
                expected: network,
                found,
            }),
            None => Err(KeyError::UnknownVersion(self.version)),
        }
    }

    /// The same key with `network`'s public version bytes (hcd's `SetNet`).
    pub fn with_network(mut self, network: Network) -> ExtendedPubKey {
        self.version = network.params().hd_public_key_id;
        self
    }

    /// Depth in the tree (0 = master), as serialized.
    pub fn depth(&self) -> u8 {
        self.depth
    }

    /// The index this key was derived with (≥ [`HARDENED`] for hardened).
    pub fn child_number(&self) -> u32 {
        self.child_number
    }

    /// First 4 bytes of Hash160 of the parent's public key (0 for a master key).
    pub fn parent_fingerprint(&self) -> [u8; 4] {
        self.parent_fp
    }

    /// This key's fingerprint (what its children carry as parent fingerprint).
    pub fn fingerprint(&self) -> [u8; 4] {
        let h = hash160(&self.public_key.serialize());
        [h[0], h[1], h[2], h[3]]
    }

    /// The chain code.
    pub fn chain_code(&self) -> [u8; 32] {
        self.chain_code
    }

    /// The compressed public key.
    pub fn public_key(&self) -> [u8; 33] {
        self.public_key.serialize()
    }

    /// Hash160 of the compressed public key (the P2PKH payload).
    pub fn pubkey_hash(&self) -> [u8; 20] {
        hash160(&self.public_key.serialize())
    }

    /// The secp256k1 P2PKH address of this key (hcd's `Address(net, 0)`).
    pub fn to_address(&self, network: Network) -> Address {
        Address::p2pkh(network, self.pubkey_hash())
    }

    /// The pubkey-address form of this key (what `validateaddress` reports as `pubkeyaddr`).
    #[allow(
        clippy::expect_used,
        reason = "the key was parsed as a curve point, so its compressed form is one"
    )]
    pub fn to_pubkey_address(&self, network: Network) -> Address {
        Address::secp_pubkey(network, self.public_key())
            .expect("a PublicKey always serializes to a valid compressed point")
    }

    /// The non-hardened child `index` (BIP32 CKDpub).
    ///
    /// [`KeyError::InvalidChild`] (probability ~2^-127) means "skip to the next index", as
    /// every HC caller does.
    pub fn derive_child(&self, index: u32) -> Result<ExtendedPubKey, KeyError> {
        let (public_key, chain_code) = self.ckd_pub(index)?;
        let h = hash160(&self.public_key.serialize());
        Ok(ExtendedPubKey {
            version: self.version,
            depth: self.depth.wrapping_add(1),
            parent_fp: [h[0], h[1], h[2], h[3]],
            child_number: index,
            chain_code,
            public_key,
        })
    }

    /// Only the compressed public key of child `index` (skips the fingerprint; what the
    /// pool needs for an address).
    pub fn derive_child_public_key(&self, index: u32) -> Result<[u8; 33], KeyError> {
        Ok(self.ckd_pub(index)?.0.serialize())
    }

    /// BIP32 CKDpub: child = K + IL·G, chain code = IR.
    fn ckd_pub(&self, index: u32) -> Result<(PublicKey, [u8; 32]), KeyError> {
        let (tweak, ir) = self.child_tweak(index)?;
        // K + IL·G in one variable-time multi-multiplication (libsecp256k1's
        // `ec_pubkey_tweak_add`: the G part comes from its precomputed table). IL is derived
        // from public data only, so variable time leaks nothing.
        let child = self
            .public_key
            .add_exp_tweak(secp(), &Scalar::from(tweak))
            .map_err(|_| KeyError::InvalidChild(index))?;
        Ok((child, ir))
    }

    /// IL (as a valid scalar) and IR of child `index`.
    fn child_tweak(&self, index: u32) -> Result<(SecretKey, [u8; 32]), KeyError> {
        let parent = self.public_key.serialize();
        let keyed = hmac::HmacEngine::<sha512::Hash>::new(&self.chain_code);
        child_tweak_with(&keyed, &parent, index)
    }

    /// The former CKDpub (IL·G by the constant-time generator multiplication, then a point
    /// addition), kept to check the fast path against.
    #[cfg(test)]
    pub(crate) fn ckd_pub_combine(&self, index: u32) -> Result<[u8; 33], KeyError> {
        let (tweak, _) = self.child_tweak(index)?;
        let child = PublicKey::from_secret_key(secp(), &tweak)
            .combine(&self.public_key)
            .map_err(|_| KeyError::InvalidChild(index))?;
        Ok(child.serialize())
    }

    /// Derives along a path of non-hardened indexes.
    pub fn derive_path(&self, path: &[u32]) -> Result<ExtendedPubKey, KeyError> {
        path.iter()
            .try_fold(self.clone(), |key, &i| key.derive_child(i))
    }

    fn raw(&self) -> RawKey {
        RawKey {
            version: self.version,
            depth: self.depth,
            parent_fp: self.parent_fp,
            child_number: self.child_number,
            chain_code: self.chain_code,
            key_data: self.public_key.serialize(),
        }
    }
}

impl fmt::Display for ExtendedPubKey {
    /// The 78-byte form (even if parsed from the 79-byte layout), as hcd writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw().encode())
    }
}

impl FromStr for ExtendedPubKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let raw = RawKey::decode(s)?;
        if raw.key_data[0] == 0 {
            return Err(KeyError::PrivateKey);
        }
        let pk = PublicKey::from_slice(&raw.key_data).map_err(|_| KeyError::NotOnCurve)?;
        Ok(ExtendedPubKey::from_parts(&raw, pk))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for ExtendedPubKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for ExtendedPubKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Why an extended key was refused or could not derive. Messages never contain key
/// material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not base58 (or absurdly long).
    #[error("extended key is not base58: {0}")]
    Base58(Base58Error),
    /// Decoded length is none of 82, 83, 947, 436 (hcd `ErrInvalidKeyLen`).
    #[error("invalid key length: {0} decoded bytes")]
    InvalidKeyLength(usize),
    /// Checksum mismatch (hcd `ErrBadChecksum`).
    #[error("bad extended key checksum")]
    BadChecksum,
    /// Algtype byte other than 0 (EC) or 1 (bliss) (hcd `ErrUnknownAlg`).
    #[error("unknown extended key algorithm type {0}")]
    UnknownAlg(u8),
    /// A bliss extended key; the pool only derives from secp256k1 keys.
    #[error("bliss extended keys are not supported")]
    Bliss,
    /// The public key is not a secp256k1 point.
    #[error("pubkey not on curve")]
    NotOnCurve,
    /// A private extended key was given where a public one is expected.
    #[error(
        "expected an extended public key, got a private one (never configure a private key here)"
    )]
    PrivateKey,
    /// A public extended key was given where a private one is expected.
    #[error("expected an extended private key, got a public one")]
    PublicKey,
    /// The private key is 0 or ≥ n, or the seed gives such a key (hcd `ErrUnusableSeed`).
    #[error("unusable seed or private key")]
    UnusableSeed,
    /// Seed length outside 16..=64 bytes (hcd `ErrInvalidSeedLen`).
    #[error("seed length must be between 16 and 64 bytes, got {0}")]
    InvalidSeedLength(usize),
    /// A hardened index asked of a public key (hcd `ErrDeriveHardFromPublic`).
    #[error("cannot derive hardened child {0} from a public key")]
    DeriveHardFromPublic(u32),
    /// This index gives no valid key (hcd `ErrInvalidChild`); use the next one.
    #[error("child {0} is invalid; the next index must be used")]
    InvalidChild(u32),
    /// The version bytes belong to another network.
    #[error("extended key is for {found}, expected {expected}")]
    WrongNetwork {
        /// The network required.
        expected: Network,
        /// The key's network.
        found: Network,
    },
    /// A WIF's 2-byte network id is no HC network's `PrivateKeyID`.
    #[error("unknown WIF network id {}", hex::encode(.0))]
    UnknownWifNetwork([u8; 2]),
    /// The version bytes belong to no HC network (hcd `ErrUnknownHDKeyID` on `Neuter`).
    #[error("unknown extended key version bytes {}", hex::encode(.0))]
    UnknownVersion([u8; 4]),
}

#[cfg(test)]
mod tests;
