//! # hcpool-core
//!
//! The domain of an HC (Hcash) proof-of-stake pool, with no I/O: network parameters,
//! base58check, addresses, extended public keys and the pool's per-user derivations, the
//! 1-of-2 multisig, ticket decoding and the pool-fee rule, votebits; and the traits
//! ([`backend`]) that storage, wallets, voting nodes and mail plug into, with the services
//! ([`service`]) that orchestrate them.
//!
//! Invariants: nothing here opens a socket or a file; no input makes a parser panic; every
//! value derived from chain data is byte-exact with HC's Go code (see the vectors under
//! `tests/data`).
//!
//! ## Main types
//!
//! | area | types |
//! |---|---|
//! | chain values | [`Network`], [`Address`], [`ExtendedPubKey`], [`RedeemScript`], [`Ticket`], [`Amount`], [`VoteBits`], [`Hash32`] |
//! | the pool's keys | [`PoolKeys`] (ticket and fee addresses per [`UserId`]), [`FeeAddressSet`] |
//! | fees | [`PoolFeeRate`], [`fee::evaluate_pool_ticket`], [`fee::stake_pool_ticket_fee`] |
//! | configuration | [`config::PoolConfig`] (the pool's hcstakepool.conf keys, checked), [`config::ini`] (the INI layering every binary shares) |
//! | accounts | [`EmailAddress`] (one validation rule), [`AccountService`] (sign-up, sign-in, reset, email change, API tokens, what the mail outbox sends) |
//! | what an embedder implements | [`WalletBackend`] (roles: [`backend::WalletState`], [`backend::PoolWallet`], [`backend::StakeReporting`], [`backend::VotingWallet`]), [`ChainNode`], [`backend::BlockHeights`], [`backend::Link`], [`Store`] (roles: [`backend::UserStore`], [`backend::TokenStore`], [`backend::SessionStore`], [`backend::ChallengeStore`], [`backend::LowFeeTicketStore`], [`backend::MailOutbox`], [`backend::StoreMaintenance`]), [`VotingNode`], [`Mailer`], [`Clock`]; for accounts `backend::PasswordHasher`, `backend::TokenSource`, `backend::ApiTokenIssuer`, `backend::WalletHealth`; [`backend::MemoryStore`] keeps every store role in memory |
//! | services | [`PoolService`] (register an address, purchase info, votebits), [`AccountService`], [`RegistrationGate`] (`closepool` and the wallets' sync, for both), [`VotingNodes`], [`service::VoterState`] |
//! | errors | [`Error`] (one per crate) with a [`BackendKind`] for backend failures |
//!
//! ## Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `serde` | yes | `Serialize`/`Deserialize` on the domain types |
//! | `test-utils` | no | [`mockall`](https://docs.rs/mockall) mocks of every backend trait and role (`backend::MockStore`, `backend::MockUserStore`, `backend::MockWalletBackend`, `backend::MockVotingWallet`, …), `testing::store_conformance` (the suite every store passes), and the private-key types test vectors need (`wif::Wif`, `xpub::ExtendedPrivKey`) |
//!
//! With `default-features = false` the crate depends on no web framework, database driver,
//! RPC stack or async runtime: only `bitcoin` (secp256k1 and hashes), `blake-hash`,
//! `async-trait`, `futures`, `thiserror`, `hex` and `tracing`.
//!
//! ## Example
//!
//! The offline part of a registration: check the user's pubkey address, derive the pool's key
//! for user 1 and build their 1-of-2 multisig and its P2SH ticket address.
//!
//! ```
//! use hcpool_core::address::validate_user_pubkey_address;
//! use hcpool_core::{Network, PoolKeys, RedeemScript, UserId};
//!
//! # fn main() -> Result<(), hcpool_core::Error> {
//! let net = Network::Testnet;
//! // votingwalletextpub and coldwalletextpub of hcstakepool's sample configuration.
//! let keys = PoolKeys::from_strings(
//!     "tpubVqDAKmg9L5R4FXFzFv3wFTgZaVAevp8NwYf4XAASSHpT1HB3KythGrBaYCRWD6KkvMp9KAtd9mzpj2ByWdpwkD4ktQ19eugSBuzePu68uep",
//!     "tpubVpKZscAJEjEP92yUv4SfwVeRjavHcz2EKd6EnCLt1fEKccvFnaM74Hkd64f6nhagFXWEsr2Vctu3ygmnWHCGtU5VYwVLghsCzHKY7vsBuvX",
//!     net,
//! )?;
//! let user_key =
//!     validate_user_pubkey_address("TkKmMiY5iDh4U3KkSopYgkU1AzhAcQZiSoVhYhFymZHGMi9LM9Fdt", net)?;
//! let uid = UserId(1);
//! let script = RedeemScript::one_of_two(&keys.ticket_pubkey_address(uid)?, &user_key)?;
//! assert_eq!(script.p2sh_address(net).to_string(), "Tcu5Ub5ZV1q2v4iuoMnG3xQb1NhYv5iDPF5");
//! assert_eq!(keys.fee_address(uid)?.to_string(), "TsYV9gPAgn4R88QwCDLzrYCVqffynDp8SSe");
//!
//! // Bad input is an error with a message for the user, never a panic.
//! let err = validate_user_pubkey_address("TsnVobTxqkZb6pXx6eekkwBbCoUQ1oQgVhf", net).unwrap_err();
//! assert_eq!(err.user_message(), "address too short");
//! # Ok(())
//! # }
//! ```
//!
//! The `hcpool-examples` package (`examples/` in the repository) shows the services wired to
//! an embedder's own store, to mocks and to the simulated wallet.

#![forbid(unsafe_code)]
#![deny(missing_docs)]
// Library code reports errors; it never unwraps or panics (tests may).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod address;
pub mod amount;
pub mod backend;
pub mod base58;
pub mod config;
pub mod derive;
pub mod email;
pub mod error;
pub mod fee;
pub mod hash;
pub mod history;
pub mod ids;
pub mod multisig;
pub mod notify;
pub mod params;
pub mod service;
pub mod stake;
pub mod status;
pub mod subsidy;
#[cfg(any(test, feature = "test-utils"))]
pub mod testing;
pub mod tx;
pub mod util;
pub mod votebits;
pub mod voterecord;
// Private keys are for test vectors only: the pool itself never holds one.
#[cfg(any(test, feature = "test-utils"))]
pub mod wif;
pub mod xpub;

pub use address::{Address, AddressKind};
pub use backend::{ChainNode, Clock, Mailer, Store, SystemClock, VotingNode, WalletBackend};
pub use config::PoolConfig;
pub use derive::{FeeAddressSet, PoolKeys};
pub use email::EmailAddress;
pub use error::{BackendKind, Error, Result};
pub use fee::{Amount, PoolFeeRate, TicketEvaluation};
pub use hcpool_i18n::Lang;
pub use ids::{BlockHash, Hash32, Secret, TicketHash, TxHash, UserId};
pub use multisig::RedeemScript;
pub use params::{NetParams, Network};
pub use service::{AccountService, PoolParts, PoolService, RegistrationGate, VotingNodes};
pub use stake::{Commitment, Ticket, Vote};
pub use votebits::{ExtendedVoteBits, VoteBits};
pub use xpub::ExtendedPubKey;
