//! The traits an embedder (or hcpool's own adapter crates) implements.
//!
//! Every trait is `async_trait`, `Send + Sync` and object-safe: services hold
//! `Arc<dyn Trait>`. With the `test-utils` feature each trait has a `mockall` mock
//! (`MockWalletBackend`, `MockStore`, …).

pub mod clock;
pub mod mailer;
pub mod store;
pub mod voting;
pub mod wallet;

pub use clock::{Clock, SystemClock};
pub use mailer::{Email, Mailer};
pub use store::{
    EmailChange, LowFeeTicket, NewLowFeeTicket, NewUser, OutboxMail, PasswordReset,
    RegisteredScript, Registration, Session, Store, User, UserCounts,
};
pub use voting::{TicketEntry, UserVotingConfig, VotingNode, VotingNodeVersion};
pub use wallet::{
    BestBlock, ChainNode, ChainNotification, MultisigInfo, StakeInfo, StakePoolUserInfo,
    TicketStatus, UserTicket, ValidatedAddress, WalletBackend, WalletInfo, WalletTransaction,
};

#[cfg(any(test, feature = "test-utils"))]
pub use {
    clock::MockClock, mailer::MockMailer, store::MockStore, voting::MockVotingNode,
    wallet::MockChainNode, wallet::MockWalletBackend,
};
