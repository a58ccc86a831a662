//! # hcpool-core
//!
//! The domain of an HC (Hcash) proof-of-stake pool, with no I/O: network parameters,
//! base58check, addresses, extended public keys and the pool's per-user derivations, the
//! 1-of-2 multisig, ticket decoding and the pool-fee rule, votebits; and the traits
//! ([`backend`]) that storage, wallets, voting nodes and mail plug into.
//!
//! Invariants: nothing here opens a socket or a file; no input makes a parser panic; every
//! value derived from chain data is byte-exact with HC's Go code (see the vectors under
//! `tests/data`).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod address;
pub mod amount;
pub mod backend;
pub mod base58;
pub mod config;
pub mod derive;
pub mod error;
pub mod fee;
pub mod hash;
pub mod ids;
pub mod multisig;
pub mod params;
pub mod service;
pub mod stake;
pub mod subsidy;
#[cfg(any(test, feature = "test-utils"))]
pub mod testing;
pub mod tx;
pub mod votebits;
pub mod wif;
pub mod xpub;

pub use address::{Address, AddressKind};
pub use derive::{FeeAddressSet, PoolKeys};
pub use error::{BackendKind, Error, Result};
pub use fee::{Amount, PoolFeeRate, TicketEvaluation};
pub use ids::{BlockHash, Hash32, Secret, TicketHash, TxHash, UserId};
pub use multisig::RedeemScript;
pub use params::{NetParams, Network};
pub use stake::{Commitment, Ticket, Vote};
pub use votebits::{ExtendedVoteBits, VoteBits};
pub use xpub::ExtendedPubKey;
