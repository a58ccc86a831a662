//! The crate's one error type.
//!
//! Parsers keep a detail enum inside one variant (`Address(AddressError)`); backend traits
//! return [`Error::Store`], [`Error::Wallet`], [`Error::VotingNode`] or [`Error::Mailer`] with a
//! small [`BackendKind`] so services branch without downcasting.

use std::fmt;

pub use crate::address::AddressError;
pub use crate::base58::Base58Error;
pub use crate::fee::FeeError;
pub use crate::multisig::ScriptError;
pub use crate::tx::TxError;
pub use crate::votebits::VoteBitsError;
pub use crate::xpub::KeyError;

/// A boxed error from an adapter crate.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure a backend reported; services branch on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BackendKind {
    /// The thing asked for does not exist.
    NotFound,
    /// A uniqueness rule or a concurrent change refused the write.
    Conflict,
    /// The backend cannot be reached now; retrying later may work.
    Unavailable,
    /// Backends disagree, or a backend answered something that cannot be right.
    Inconsistent,
    /// The backend refused the input.
    Rejected,
    /// Anything else.
    Other,
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BackendKind::NotFound => "not found",
            BackendKind::Conflict => "conflict",
            BackendKind::Unavailable => "unavailable",
            BackendKind::Inconsistent => "inconsistent",
            BackendKind::Rejected => "rejected",
            BackendKind::Other => "failed",
        })
    }
}

/// Every error hcpool-core reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A base58check string could not be decoded.
    #[error(transparent)]
    Base58(#[from] Base58Error),
    /// An address could not be decoded or has the wrong type or network.
    #[error(transparent)]
    Address(#[from] AddressError),
    /// An extended key could not be parsed or derived from.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A script could not be built or parsed.
    #[error(transparent)]
    Script(#[from] ScriptError),
    /// A transaction could not be decoded or is not a ticket.
    #[error(transparent)]
    Tx(#[from] TxError),
    /// Pool fee arithmetic or the fee check failed.
    #[error(transparent)]
    Fee(#[from] FeeError),
    /// Votebits are not valid for the agendas.
    #[error(transparent)]
    VoteBits(#[from] VoteBitsError),
    /// The pool configuration is invalid.
    #[error("config: {0}")]
    Config(#[from] crate::config::ConfigError),
    /// A network name was not recognised.
    #[error("unknown network {0:?} (expected mainnet, testnet or simnet)")]
    UnknownNetwork(String),
    /// A user id is outside the pool's derivation range.
    #[error("bad uid index {uid}: the pool derives at most {max_users} users")]
    UserIdOutOfRange {
        /// The user id.
        uid: u64,
        /// The configured maximum.
        max_users: u64,
    },
    /// No user has this id.
    #[error("user {0} not found")]
    UserNotFound(crate::ids::UserId),
    /// The user already registered an address (one per account).
    #[error("address already submitted")]
    AddressAlreadySubmitted,
    /// The user has not registered an address yet.
    #[error("no address submitted")]
    NoAddressSubmitted,
    /// The wallets do not own the pool's ticket address for the user: the configured
    /// `votingwalletextpub` does not belong to the voting wallets, or their address index
    /// has not been synced that far.
    #[error("unable to validate pool ticket address {0}: the wallets do not own it")]
    TicketAddressNotOwned(String),
    /// The pool is closed to new accounts and addresses (`closepool`); the text is
    /// `closepoolmsg`.
    #[error("pool closed: {0}")]
    PoolClosed(String),
    /// The wallets cannot take new registrations now (see
    /// [`SyncReport`](crate::backend::health::SyncReport)).
    #[error("wallets not in sync: {0:?}")]
    WalletsNotSynced(Vec<crate::backend::health::Problem>),
    /// An account request was refused; the text is for the user.
    #[error(transparent)]
    Account(#[from] crate::service::accounts::Refusal),
    /// Hashing or checking a password failed.
    #[error("password hashing failed: {0}")]
    PasswordHash(String),
    /// Input that is not valid for the operation (the message says why).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The store failed.
    #[error("store {kind}: {source}")]
    Store {
        /// What kind of failure.
        kind: BackendKind,
        /// The adapter's error.
        #[source]
        source: BoxError,
    },
    /// A wallet failed.
    #[error("wallet {wallet} {kind}: {source}")]
    Wallet {
        /// Which wallet (host or label).
        wallet: String,
        /// What kind of failure.
        kind: BackendKind,
        /// The adapter's error.
        #[source]
        source: BoxError,
    },
    /// A voting node (stakepoold) failed.
    #[error("voting node {node} {kind}: {source}")]
    VotingNode {
        /// Which node.
        node: String,
        /// What kind of failure.
        kind: BackendKind,
        /// The adapter's error.
        #[source]
        source: BoxError,
    },
    /// Sending mail failed.
    #[error("mailer {kind}: {source}")]
    Mailer {
        /// What kind of failure.
        kind: BackendKind,
        /// The adapter's error.
        #[source]
        source: BoxError,
    },
}

impl Error {
    /// The backend kind, when this error came from a backend.
    pub fn backend_kind(&self) -> Option<BackendKind> {
        match self {
            Error::Store { kind, .. }
            | Error::Wallet { kind, .. }
            | Error::VotingNode { kind, .. }
            | Error::Mailer { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// A store error of `kind` with a message.
    pub fn store(kind: BackendKind, msg: impl Into<String>) -> Self {
        Error::Store {
            kind,
            source: msg.into().into(),
        }
    }

    /// A wallet error of `kind` with a message.
    pub fn wallet(wallet: impl Into<String>, kind: BackendKind, msg: impl Into<String>) -> Self {
        Error::Wallet {
            wallet: wallet.into(),
            kind,
            source: msg.into().into(),
        }
    }
}
