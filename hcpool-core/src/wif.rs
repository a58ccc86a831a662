//! Wallet import format for HC private keys (hc-chain-facts.md §3.6).
//!
//! `base58(netID(2) ‖ suite(1) ‖ key(32) ‖ BLAKE256(netID ‖ suite ‖ key)[..4])`: note the
//! **single** BLAKE-256, unlike addresses. Only 32-byte keys (secp256k1, Edwards,
//! Schnorr) are handled; bliss WIFs (385-byte keys) are refused. The pool itself never
//! imports private keys; this exists for operator tooling and tests.

use std::fmt;
use std::str::FromStr;

use bitcoin::secp256k1::{PublicKey, SecretKey};

use crate::base58;
use crate::hash::blake256;
use crate::params::Network;
use crate::xpub::{secp, KeyError};

/// Signature suite of a private key (`chainec.ECType*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SigSuite {
    /// secp256k1 ECDSA (0).
    Secp256k1,
    /// Ed25519 (1).
    Edwards,
    /// secp256k1 Schnorr (2).
    Schnorr,
}

impl SigSuite {
    /// The suite byte.
    pub fn id(self) -> u8 {
        match self {
            SigSuite::Secp256k1 => 0,
            SigSuite::Edwards => 1,
            SigSuite::Schnorr => 2,
        }
    }

    /// The suite with this byte, if handled here.
    pub fn from_id(id: u8) -> Option<SigSuite> {
        match id {
            0 => Some(SigSuite::Secp256k1),
            1 => Some(SigSuite::Edwards),
            2 => Some(SigSuite::Schnorr),
            _ => None,
        }
    }
}

/// Decoded length of a WIF with a 32-byte key.
const WIF_LEN: usize = 2 + 1 + 32 + 4;

/// A private key in wallet import format. `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct Wif {
    network: Network,
    suite: SigSuite,
    key: [u8; 32],
}

impl Wif {
    /// Wraps a 32-byte private key. secp256k1 and Schnorr keys must be in 1..n.
    pub fn new(network: Network, suite: SigSuite, key: [u8; 32]) -> Result<Wif, KeyError> {
        if suite != SigSuite::Edwards {
            SecretKey::from_slice(&key).map_err(|_| KeyError::UnusableSeed)?;
        }
        Ok(Wif {
            network,
            suite,
            key,
        })
    }

    /// The network.
    pub fn network(&self) -> Network {
        self.network
    }

    /// The signature suite.
    pub fn suite(&self) -> SigSuite {
        self.suite
    }

    /// The private key bytes.
    pub fn private_key(&self) -> [u8; 32] {
        self.key
    }

    /// The compressed public key, for secp256k1 and Schnorr keys.
    pub fn public_key(&self) -> Option<[u8; 33]> {
        if self.suite == SigSuite::Edwards {
            return None;
        }
        let sk = SecretKey::from_slice(&self.key).ok()?;
        Some(PublicKey::from_secret_key(secp(), &sk).serialize())
    }
}

impl fmt::Display for Wif {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = Vec::with_capacity(WIF_LEN);
        buf.extend_from_slice(&self.network.params().private_key_id);
        buf.push(self.suite.id());
        buf.extend_from_slice(&self.key);
        let sum = blake256(&buf);
        buf.extend_from_slice(&sum[..4]);
        f.write_str(&base58::encode(&buf))
    }
}

impl fmt::Debug for Wif {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wif")
            .field("network", &self.network)
            .field("suite", &self.suite)
            .finish_non_exhaustive()
    }
}

impl FromStr for Wif {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let raw = base58::decode(s).map_err(KeyError::Base58)?;
        let raw: &[u8; WIF_LEN] = raw
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::InvalidKeyLength(raw.len()))?;
        let (body, sum) = raw.split_at(WIF_LEN - 4);
        if blake256(body)[..4] != *sum {
            return Err(KeyError::BadChecksum);
        }
        let net_id = [raw[0], raw[1]];
        let network = Network::ALL
            .into_iter()
            .find(|n| n.params().private_key_id == net_id)
            .ok_or(KeyError::UnknownWifNetwork(net_id))?;
        let suite = SigSuite::from_id(raw[2]).ok_or(KeyError::UnknownAlg(raw[2]))?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&raw[3..35]);
        Wif::new(network, suite, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_errors() {
        let w = Wif::new(Network::Simnet, SigSuite::Secp256k1, [3u8; 32]).unwrap();
        let s = w.to_string();
        assert!(s.starts_with("Ps"));
        assert_eq!(s.parse::<Wif>(), Ok(w.clone()));
        assert!(!format!("{w:?}").contains("0303"));
        let mut bad = s.clone();
        bad.pop();
        bad.push(if s.ends_with('1') { '2' } else { '1' });
        assert!(bad.parse::<Wif>().is_err());
        assert!(matches!(
            "1111".parse::<Wif>(),
            Err(KeyError::InvalidKeyLength(_))
        ));
        assert_eq!(
            Wif::new(Network::Simnet, SigSuite::Schnorr, [0u8; 32]),
            Err(KeyError::UnusableSeed)
        );
        assert!(Wif::new(Network::Simnet, SigSuite::Edwards, [0u8; 32]).is_ok());
        let mut buf = vec![0x12, 0x34, 0];
        buf.extend_from_slice(&[3u8; 32]);
        let sum = blake256(&buf);
        buf.extend_from_slice(&sum[..4]);
        assert_eq!(
            base58::encode(&buf).parse::<Wif>(),
            Err(KeyError::UnknownWifNetwork([0x12, 0x34]))
        );
    }
}
