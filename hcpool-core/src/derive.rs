//! The pool's per-user addresses (hc-chain-facts.md §4.6, inventory §10.1).
//!
//! * ticket address of user `uid` = voting-wallet account xpub `/0/uid`, P2PKH; its
//!   pubkey-address form is the pool key of the user's 1-of-2 multisig;
//! * fee address of user `uid` = cold-wallet account xpub `/0/uid`, P2PKH;
//! * `uid + 1 <= max_users` (hcstakepool's `MaxUsers`, 10,000), so uid 0..=9,999; real
//!   users start at 1 (the database's auto-increment id).
//!
//! The external branch keys (`xpub/0`) are derived once, in [`PoolKeys::new`], so a
//! user's address costs one child derivation.
//!
//! `ErrInvalidChild` (an index with no valid key, probability ~2^-127): a per-user call
//! returns [`KeyError::InvalidChild`] as hcstakepool's derivation would (the user cannot
//! register); [`PoolKeys::fee_address_set`] skips the index, as stakepoold and hcwallet's
//! `--stakepoolcoldextkey` do.
//!
//! ```
//! use hcpool_core::{Network, PoolKeys, RedeemScript, UserId};
//! use hcpool_core::address::validate_user_pubkey_address;
//!
//! // hcstakepool's sample configuration (testnet2).
//! let voting = "tpubVqDAKmg9L5R4FXFzFv3wFTgZaVAevp8NwYf4XAASSHpT1HB3KythGrBaYCRWD6KkvMp9KAtd9mzpj2ByWdpwkD4ktQ19eugSBuzePu68uep";
//! let cold = "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX";
//! let keys = PoolKeys::from_strings(voting, cold, Network::Testnet)?;
//! let uid = UserId(1);
//! assert_eq!(keys.fee_address(uid)?.to_string(), "TsYV9gPAgn4R88QwCDLzrYCVqffynDp8SSe");
//!
//! // A user registers a pubkey address; the pool key comes first in the multisig.
//! let user = validate_user_pubkey_address(
//!     "TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt",
//!     Network::Testnet,
//! )?;
//! let script = RedeemScript::one_of_two(&keys.ticket_pubkey_address(uid)?, &user)?;
//! assert_eq!(
//!     script.p2sh_address(Network::Testnet).to_string(),
//!     "Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5"
//! );
//! # Ok::<(), hcpool_core::Error>(())
//! ```

use std::collections::HashSet;
use std::ops::Range;

use crate::address::{Address, AddressKind};
use crate::error::{Error, Result};
use crate::hash::hash160;
use crate::ids::UserId;
use crate::params::Network;
use crate::xpub::{ExtendedPubKey, KeyError};

/// hcstakepool's `MaxUsers`: user ids 0..10,000 can be derived.
pub const DEFAULT_MAX_USERS: u64 = 10_000;

/// Below this many addresses, building the fee set on one thread is faster than spawning.
const PARALLEL_THRESHOLD: u32 = 1024;

/// The pool's two account xpubs with their external branches derived once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolKeys {
    network: Network,
    max_users: u64,
    voting_branch: ExtendedPubKey,
    fee_branch: ExtendedPubKey,
}

impl PoolKeys {
    /// From the voting wallet's account xpub (`votingwalletextpub`) and the cold wallet's
    /// (`coldwalletextpub`). Both must carry `network`'s version bytes (hcpool checks; the
    /// original did not).
    pub fn new(
        voting: &ExtendedPubKey,
        cold: &ExtendedPubKey,
        network: Network,
    ) -> Result<PoolKeys> {
        let voting = voting.clone().require_network(network)?;
        let cold = cold.clone().require_network(network)?;
        Ok(PoolKeys {
            network,
            max_users: DEFAULT_MAX_USERS,
            voting_branch: voting.derive_child(0)?,
            fee_branch: cold.derive_child(0)?,
        })
    }

    /// Parses both xpubs, then [`PoolKeys::new`].
    pub fn from_strings(voting: &str, cold: &str, network: Network) -> Result<PoolKeys> {
        PoolKeys::new(&voting.parse()?, &cold.parse()?, network)
    }

    /// Changes the user limit (at most 2^31, the non-hardened index range).
    pub fn with_max_users(mut self, max_users: u64) -> PoolKeys {
        self.max_users = max_users.min(u64::from(crate::xpub::HARDENED));
        self
    }

    /// The pool's network.
    pub fn network(&self) -> Network {
        self.network
    }

    /// The user limit.
    pub fn max_users(&self) -> u64 {
        self.max_users
    }

    /// The voting wallet's external branch key (`votingxpub/0`).
    pub fn voting_branch(&self) -> &ExtendedPubKey {
        &self.voting_branch
    }

    /// The cold wallet's external branch key (`coldxpub/0`).
    pub fn fee_branch(&self) -> &ExtendedPubKey {
        &self.fee_branch
    }

    fn index(&self, uid: UserId) -> Result<u32> {
        let out_of_range = || Error::UserIdOutOfRange {
            uid: uid.0,
            max_users: self.max_users,
        };
        if uid.0.checked_add(1).is_none_or(|n| n > self.max_users) {
            return Err(out_of_range());
        }
        u32::try_from(uid.0).map_err(|_| out_of_range())
    }

    /// The key of user `uid` on the voting branch.
    pub fn ticket_key(&self, uid: UserId) -> Result<ExtendedPubKey> {
        Ok(self.voting_branch.derive_child(self.index(uid)?)?)
    }

    /// The user's ticket address (P2PKH, `TicketAddressForUserID`).
    pub fn ticket_address(&self, uid: UserId) -> Result<Address> {
        let key = self
            .voting_branch
            .derive_child_public_key(self.index(uid)?)?;
        Ok(Address::p2pkh(self.network, hash160(&key)))
    }

    /// The pubkey-address form of the user's ticket key: the pool key of the 1-of-2
    /// multisig (what the voting wallet's `validateaddress` reports as `pubkeyaddr`).
    pub fn ticket_pubkey_address(&self, uid: UserId) -> Result<Address> {
        Ok(self.ticket_key(uid)?.to_pubkey_address(self.network))
    }

    /// The user's pool-fee address (P2PKH, `FeeAddressForUserID`).
    pub fn fee_address(&self, uid: UserId) -> Result<Address> {
        let index = self.index(uid)?;
        Ok(self
            .fee_branch
            .derive_child(index)?
            .to_address(self.network))
    }

    /// The fee addresses of indexes `0..count`, for checking that a ticket pays the pool
    /// fee to the pool (stakepoold derives 10,000 at start). Invalid children are skipped.
    /// Work is batched ([`ExtendedPubKey::derive_child_public_keys`]) and split over the
    /// machine's cores when `count` is large; it is CPU-bound (tens of milliseconds for
    /// 10,000 on a small machine), so async callers should run it in `spawn_blocking`.
    pub fn fee_address_set(&self, count: u32) -> FeeAddressSet {
        FeeAddressSet::from_branch(&self.fee_branch, self.network, count)
    }
}

impl FeeAddressSet {
    /// The fee addresses `0..count` of a cold-wallet account xpub (`coldwalletextpub`), as
    /// stakepoold derives them without the voting key.
    pub fn derive(cold: &ExtendedPubKey, network: Network, count: u32) -> Result<FeeAddressSet> {
        let branch = cold.clone().require_network(network)?.derive_child(0)?;
        Ok(FeeAddressSet::from_branch(&branch, network, count))
    }

    /// Work is split over the machine's cores when `count` is large.
    fn from_branch(branch: &ExtendedPubKey, network: Network, count: u32) -> FeeAddressSet {
        let hashes = in_parallel(0..count, |range| fee_hashes(branch, range));
        FeeAddressSet {
            network,
            hashes: hashes.into_iter().collect(),
        }
    }
}

/// The P2PKH addresses of children `range` of `branch` (e.g. an account xpub's external
/// branch `xpub/0`), in index order, as hcd's `EncodeAddress` writes them: what
/// hcstakepool derives per user, for many indexes at once. An index with no valid key gives
/// [`KeyError::InvalidChild`] (its caller decides whether to skip it); a hardened index
/// gives [`KeyError::DeriveHardFromPublic`].
///
/// Work is split over the machine's cores when the range is large; it is CPU-bound, so
/// async callers should run it in `spawn_blocking`.
pub fn child_addresses(
    branch: &ExtendedPubKey,
    network: Network,
    range: Range<u32>,
) -> Vec<(u32, std::result::Result<String, KeyError>)> {
    in_parallel(range, |part| {
        branch
            .derive_child_public_keys(part)
            .into_iter()
            .map(|(i, key)| {
                let addr = key.map(|k| Address::p2pkh(network, hash160(&k)).to_string());
                (i, addr)
            })
            .collect()
    })
}

/// `work` over `range`, split into one contiguous chunk per core (at most 16) when the
/// range is at least [`PARALLEL_THRESHOLD`] long; the results concatenated in order.
fn in_parallel<T: Send>(range: Range<u32>, work: impl Fn(Range<u32>) -> Vec<T> + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let len = range.end.saturating_sub(range.start);
    if len < PARALLEL_THRESHOLD || threads < 2 {
        return work(range);
    }
    let threads = u32::try_from(threads).unwrap_or(u32::MAX).min(16);
    let chunk = len.div_ceil(threads);
    let work = &work;
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let start = range
                    .start
                    .saturating_add(t.saturating_mul(chunk))
                    .min(range.end);
                let end = start.saturating_add(chunk).min(range.end);
                scope.spawn(move || work(start..end))
            })
            .collect();
        let mut all = Vec::with_capacity(len as usize);
        for h in handles {
            match h.join() {
                Ok(part) => all.extend(part),
                // A worker panic is a bug here, not bad input: re-raise it as is.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        all
    })
}

fn fee_hashes(branch: &ExtendedPubKey, range: Range<u32>) -> Vec<[u8; 20]> {
    branch
        .derive_child_public_keys(range)
        .into_iter()
        .filter_map(|(_, key)| match key {
            Ok(k) => Some(hash160(&k)),
            Err(KeyError::InvalidChild(_)) => None,
            // Indexes stay below 2^31, so no other error can happen; skip defensively.
            Err(_) => None,
        })
        .collect()
}

/// The pool's fee addresses as a set of P2PKH hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeeAddressSet {
    network: Network,
    hashes: HashSet<[u8; 20]>,
}

impl FeeAddressSet {
    /// Whether `address` is one of the pool's fee addresses (secp256k1 P2PKH on the pool's
    /// network).
    pub fn contains(&self, address: &Address) -> bool {
        address.kind() == AddressKind::PubKeyHash
            && address.network() == self.network
            && self.contains_hash(&address.hash160())
    }

    /// Whether a P2PKH hash (e.g. from a ticket commitment) is a fee address.
    pub fn contains_hash(&self, hash: &[u8; 20]) -> bool {
        self.hashes.contains(hash)
    }

    /// Number of addresses.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The network of the addresses.
    pub fn network(&self) -> Network {
        self.network
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xpub::HARDENED;

    const VOTING: &str = "tpubVqDAKmg9L5R4FXFzFv3wFTgZaVAevp8NwYf4XAASSHpT1HB3KythGrBaYCRWD6KkvMp9KAtd9mzpj2ByWdpwkD4ktQ19eugSBuzePu68uep";
    const COLD: &str = "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX";

    fn keys() -> PoolKeys {
        PoolKeys::from_strings(VOTING, COLD, Network::Testnet).unwrap()
    }

    #[test]
    fn bounds() {
        let k = keys();
        assert!(k.ticket_address(UserId(9_999)).is_ok());
        assert!(matches!(
            k.fee_address(UserId(10_000)),
            Err(Error::UserIdOutOfRange {
                uid: 10_000,
                max_users: 10_000
            })
        ));
        assert!(matches!(
            k.ticket_address(UserId(u64::MAX)),
            Err(Error::UserIdOutOfRange { .. })
        ));
        let small = keys().with_max_users(2);
        assert!(small.ticket_pubkey_address(UserId(1)).is_ok());
        assert!(small.ticket_pubkey_address(UserId(2)).is_err());
        assert_eq!(keys().with_max_users(u64::MAX).max_users(), 1 << 31);
    }

    #[test]
    fn wrong_network_xpub_is_refused() {
        assert!(matches!(
            PoolKeys::from_strings(VOTING, COLD, Network::Mainnet),
            Err(Error::Key(KeyError::WrongNetwork { .. }))
        ));
        assert!(matches!(
            PoolKeys::from_strings("nope", COLD, Network::Testnet),
            Err(Error::Key(_))
        ));
    }

    #[test]
    fn child_addresses_match_single_derivations() {
        let k = keys();
        // Both sides of the threshold, and a range not starting at 0.
        for range in [0..5, 7..7, 100..(100 + PARALLEL_THRESHOLD + 5)] {
            let got = child_addresses(k.fee_branch(), Network::Testnet, range.clone());
            assert_eq!(got.len(), range.len());
            for ((i, addr), want) in got.into_iter().zip(range) {
                assert_eq!(i, want);
                let single = k.fee_address(UserId(u64::from(i))).unwrap();
                assert_eq!(addr.unwrap(), single.to_string());
            }
        }
        let hard = child_addresses(k.fee_branch(), Network::Testnet, HARDENED - 1..HARDENED + 1);
        assert!(hard[0].1.is_ok());
        assert_eq!(hard[1].1, Err(KeyError::DeriveHardFromPublic(HARDENED)));
    }

    #[test]
    fn fee_set_matches_single_derivations() {
        let k = keys();
        for count in [0, 5, PARALLEL_THRESHOLD + 3] {
            let set = k.fee_address_set(count);
            assert_eq!(set.len(), count as usize);
            if count > 0 {
                let last = k.fee_address(UserId(u64::from(count) - 1)).unwrap();
                assert!(set.contains(&last));
            }
            let outside = k.fee_address(UserId(u64::from(count))).unwrap();
            assert!(!set.contains(&outside));
        }
        let set = k.fee_address_set(3);
        let ticket = k.ticket_address(UserId(1)).unwrap();
        assert!(!set.contains(&ticket));
        let fee1 = k.fee_address(UserId(1)).unwrap();
        let as_p2sh = Address::p2sh(Network::Testnet, fee1.hash160());
        assert!(!set.contains(&as_p2sh));
        assert!(set.contains_hash(&fee1.hash160()));
        assert_eq!(set.network(), Network::Testnet);
        assert!(!set.is_empty());
    }
}
