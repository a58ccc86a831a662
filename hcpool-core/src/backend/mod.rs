//! The traits an embedder (or hcpool's own adapter crates) implements.
//!
//! Every trait is `async_trait`, `Send + Sync` and object-safe: services hold
//! `Arc<dyn Trait>`. With the `test-utils` feature each trait has a `mockall` mock
//! (`MockWalletBackend`, `MockStore`, …).

pub mod accounts;
pub mod clock;
pub mod health;
pub mod mailer;
pub mod store;
pub mod voting;
pub mod wallet;

pub use accounts::{ApiTokenIssuer, HashScheme, PasswordCheck, PasswordHasher, TokenSource};
pub use clock::{Clock, SystemClock};
pub use health::{Problem, SyncReport, WalletHealth, WalletTip};
pub use mailer::{Email, Mailer};
pub use store::{
    EmailChange, LowFeeTicket, NewLowFeeTicket, NewUser, OutboxMail, PasswordReset,
    RegisteredScript, Registration, Session, Store, StoreStatus, User, UserCounts,
};
pub use voting::{TicketEntry, UserVotingConfig, VotingNode, VotingNodeVersion};
pub use wallet::{
    BestBlock, ChainNode, ChainNotification, MultisigInfo, StakeInfo, StakePoolUserInfo,
    TicketStatus, UserTicket, ValidatedAddress, WalletBackend, WalletInfo, WalletTransaction,
};

#[cfg(any(test, feature = "test-utils"))]
pub use {
    accounts::MockApiTokenIssuer, accounts::MockPasswordHasher, accounts::MockTokenSource,
    clock::MockClock, health::MockWalletHealth, mailer::MockMailer, store::MockStore,
    voting::MockVotingNode, wallet::MockChainNode, wallet::MockWalletBackend,
};
