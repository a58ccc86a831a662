//! The pool's 1-of-2 multisig redeem script and its P2SH address (hc-chain-facts.md §5.2).
//!
//! hcstakepool asks the voting wallet for `createmultisig 1 [pool, user]`; the wallet builds
//! `OP_1 <pool key> <user key> OP_2 OP_CHECKMULTISIG` (71 bytes, pool key first). The wallet
//! stays the authority; this module builds the same bytes so the pool can check them, and
//! derives the P2SH address and the ticket's voting output from a stored script.

use std::fmt;
use std::str::FromStr;

use bitcoin::secp256k1::PublicKey;

use crate::address::{Address, AddressKind};
use crate::hash::hash160;
use crate::params::Network;

const OP_1: u8 = 0x51;
const OP_2: u8 = 0x52;
const OP_DATA_33: u8 = 0x21;
const OP_CHECKMULTISIG: u8 = 0xae;
const OP_HASH160: u8 = 0xa9;
const OP_EQUAL: u8 = 0x87;
const OP_SSTX: u8 = 0xba;

/// Length of a 1-of-2 script with two compressed keys.
pub const ONE_OF_TWO_LEN: usize = 71;

/// A redeem script (any bytes; [`RedeemScript::parse_one_of_two`] checks the pool's shape).
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

    /// Parses hex (what `createmultisig` returns and the database stores).
    pub fn from_hex(s: &str) -> Result<RedeemScript, ScriptError> {
        hex::decode(s.trim())
            .map(RedeemScript)
            .map_err(|_| ScriptError::InvalidHex)
    }

    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    /// The pool's script: `OP_1 <pool> <user> OP_2 OP_CHECKMULTISIG`, pool key first. Both
    /// must be secp256k1 public-key addresses of the same network.
    pub fn one_of_two(pool: &Address, user: &Address) -> Result<RedeemScript, ScriptError> {
        if pool.network() != user.network() {
            return Err(ScriptError::NetworkMismatch {
                pool: pool.network(),
                user: user.network(),
            });
        }
        RedeemScript::multisig(1, &[pool.clone(), user.clone()])
    }

    /// txscript's `MultiSigScript`: `OP_<required> <keys…> OP_<n> OP_CHECKMULTISIG` for
    /// 1..=16 secp256k1 public-key addresses (pushed compressed, which is what every key
    /// decoded from a pubkey-address string is).
    pub fn multisig(required: u8, keys: &[Address]) -> Result<RedeemScript, ScriptError> {
        if keys.len() > 16 {
            return Err(ScriptError::TooManyKeys(keys.len()));
        }
        if required == 0 || usize::from(required) > keys.len() {
            return Err(ScriptError::BadNumRequired {
                required,
                keys: keys.len(),
            });
        }
        let mut s = Vec::with_capacity(3 + keys.len() * 34);
        s.push(OP_1 - 1 + required);
        for (i, k) in keys.iter().enumerate() {
            let key = match (k.kind(), k.secp_pubkey_compressed()) {
                (AddressKind::PubKeySecp256k1, Some(key)) => key,
                _ => {
                    return Err(ScriptError::NotSecpPubKey {
                        index: i,
                        kind: k.kind(),
                    })
                }
            };
            s.push(OP_DATA_33);
            s.extend_from_slice(&key);
        }
        // keys.len() <= 16 was checked above.
        s.push(OP_1 - 1 + keys.len() as u8);
        s.push(OP_CHECKMULTISIG);
        Ok(RedeemScript(s))
    }

    /// The two compressed keys of a pool-shaped 1-of-2 script, pool first.
    pub fn parse_one_of_two(&self) -> Result<([u8; 33], [u8; 33]), ScriptError> {
        let s: &[u8; ONE_OF_TWO_LEN] =
            self.0
                .as_slice()
                .try_into()
                .map_err(|_| ScriptError::NotOneOfTwo {
                    why: "length is not 71 bytes",
                })?;
        let shape_ok = s[0] == OP_1
            && s[1] == OP_DATA_33
            && s[35] == OP_DATA_33
            && s[69] == OP_2
            && s[70] == OP_CHECKMULTISIG;
        if !shape_ok {
            return Err(ScriptError::NotOneOfTwo {
                why: "opcodes are not OP_1 <33> <33> OP_2 OP_CHECKMULTISIG",
            });
        }
        let mut pool = [0u8; 33];
        let mut user = [0u8; 33];
        pool.copy_from_slice(&s[2..35]);
        user.copy_from_slice(&s[36..69]);
        for (index, key) in [(0, &pool), (1, &user)] {
            PublicKey::from_slice(key).map_err(|_| ScriptError::InvalidPubKey { index })?;
        }
        Ok((pool, user))
    }

    /// The pool and user keys of a 1-of-2 script as pubkey addresses of `network`.
    pub fn one_of_two_pubkey_addresses(
        &self,
        network: Network,
    ) -> Result<(Address, Address), ScriptError> {
        let (pool, user) = self.parse_one_of_two()?;
        let to_addr = |index, key| {
            Address::secp_pubkey(network, key).map_err(|_| ScriptError::InvalidPubKey { index })
        };
        Ok((to_addr(0, pool)?, to_addr(1, user)?))
    }

    /// Hash160 of the script (the P2SH payload).
    pub fn hash160(&self) -> [u8; 20] {
        hash160(&self.0)
    }

    /// The P2SH address of this script on `network`.
    pub fn p2sh_address(&self, network: Network) -> Address {
        Address::p2sh(network, self.hash160())
    }

    /// `OP_HASH160 <hash> OP_EQUAL`.
    pub fn p2sh_pk_script(&self) -> Vec<u8> {
        let mut s = Vec::with_capacity(23);
        s.extend_from_slice(&[OP_HASH160, 0x14]);
        s.extend_from_slice(&self.hash160());
        s.push(OP_EQUAL);
        s
    }

    /// The ticket's voting output to this script: `OP_SSTX OP_HASH160 <hash> OP_EQUAL`.
    pub fn sstx_voting_pk_script(&self) -> Vec<u8> {
        let mut s = Vec::with_capacity(24);
        s.push(OP_SSTX);
        s.extend_from_slice(&self.p2sh_pk_script());
        s
    }
}

impl fmt::Display for RedeemScript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl FromStr for RedeemScript {
    type Err = ScriptError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RedeemScript::from_hex(s)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for RedeemScript {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for RedeemScript {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a script was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScriptError {
    /// The text is not hex.
    #[error("redeem script is not valid hex")]
    InvalidHex,
    /// A multisig key is not a secp256k1 public-key address.
    #[error("multisig key {index} must be a secp256k1 pubkey address, got {kind}")]
    NotSecpPubKey {
        /// Position of the key (0 = pool).
        index: usize,
        /// What it was.
        kind: AddressKind,
    },
    /// The pool and user addresses are for different networks.
    #[error("pool key is for {pool}, user key for {user}")]
    NetworkMismatch {
        /// The pool key's network.
        pool: Network,
        /// The user key's network.
        user: Network,
    },
    /// More signatures required than keys (txscript `ErrBadNumRequired`), or zero.
    #[error("bad number of required signatures: {required} of {keys} keys")]
    BadNumRequired {
        /// Required signatures.
        required: u8,
        /// Number of keys.
        keys: usize,
    },
    /// More than 16 keys.
    #[error("too many multisig keys: {0} (at most 16)")]
    TooManyKeys(usize),
    /// The script is not the pool's 1-of-2 shape.
    #[error("not a 1-of-2 multisig script: {why}")]
    NotOneOfTwo {
        /// What is wrong.
        why: &'static str,
    },
    /// A key in the script is not a valid secp256k1 point.
    #[error("multisig key {index} is not a valid secp256k1 public key")]
    InvalidPubKey {
        /// Position of the key (0 = pool).
        index: usize,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    const POOL: &str = "TkQ4ZzWaZijLGFfwM4THhTRYFKnjvJPSHweChUsQhkH8zRZAE1Dor";
    const USER: &str = "TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt";

    fn addr(s: &str) -> Address {
        s.parse().unwrap()
    }

    #[test]
    fn pool_example() {
        let rs = RedeemScript::one_of_two(&addr(POOL), &addr(USER)).unwrap();
        assert_eq!(rs.as_bytes().len(), ONE_OF_TWO_LEN);
        assert_eq!(
            rs.p2sh_address(Network::Testnet).to_string(),
            "Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5"
        );
        let (p, u) = rs.one_of_two_pubkey_addresses(Network::Testnet).unwrap();
        assert_eq!(
            (p.to_string().as_str(), u.to_string().as_str()),
            (POOL, USER)
        );
        assert_eq!(rs.to_string().parse::<RedeemScript>(), Ok(rs.clone()));
        #[cfg(feature = "serde")]
        {
            let j = serde_json::to_string(&rs).unwrap();
            assert_eq!(j, format!("\"{}\"", rs.to_hex()));
            assert_eq!(serde_json::from_str::<RedeemScript>(&j).unwrap(), rs);
            assert!(serde_json::from_str::<RedeemScript>("\"xyz\"").is_err());
        }
    }

    #[test]
    fn errors() {
        let p2pkh = addr(POOL).to_p2pkh().unwrap();
        assert_eq!(
            RedeemScript::one_of_two(&addr(POOL), &p2pkh),
            Err(ScriptError::NotSecpPubKey {
                index: 1,
                kind: AddressKind::PubKeyHash
            })
        );
        let main = Address::secp_pubkey(
            Network::Mainnet,
            addr(USER).secp_pubkey_compressed().unwrap(),
        )
        .unwrap();
        assert!(matches!(
            RedeemScript::one_of_two(&addr(POOL), &main),
            Err(ScriptError::NetworkMismatch { .. })
        ));
        assert_eq!(
            RedeemScript::multisig(3, &[addr(POOL), addr(USER)]),
            Err(ScriptError::BadNumRequired {
                required: 3,
                keys: 2
            })
        );
        assert_eq!(
            RedeemScript::multisig(1, &vec![addr(POOL); 17]),
            Err(ScriptError::TooManyKeys(17))
        );
        assert_eq!(RedeemScript::from_hex("zz"), Err(ScriptError::InvalidHex));
        assert!(matches!(
            RedeemScript::from_bytes(vec![0x51]).parse_one_of_two(),
            Err(ScriptError::NotOneOfTwo { .. })
        ));
        let mut bytes = RedeemScript::one_of_two(&addr(POOL), &addr(USER))
            .unwrap()
            .as_bytes()
            .to_vec();
        bytes[69] = OP_1;
        assert!(matches!(
            RedeemScript::from_bytes(bytes.clone()).parse_one_of_two(),
            Err(ScriptError::NotOneOfTwo { .. })
        ));
        bytes[69] = OP_2;
        bytes[36] = 0x05; // not a valid compressed-key prefix
        assert_eq!(
            RedeemScript::from_bytes(bytes).parse_one_of_two(),
            Err(ScriptError::InvalidPubKey { index: 1 })
        );
    }
}
