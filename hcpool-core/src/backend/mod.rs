//! The traits an embedder (or hcpool's own adapter crates) implements.
//!
//! Every trait is `async_trait`, `Send + Sync` and object-safe: services hold
//! `Arc<dyn Trait>`. [`Store`] and [`WalletBackend`] are cut into role traits (see their
//! modules) and implemented for every type that implements all of their roles. With the
//! `test-utils` feature each trait and role has a `mockall` mock (`MockWalletBackend`,
//! `MockVotingWallet`, `MockStore`, `MockUserStore`, …).

pub mod accounts;
pub mod clock;
pub mod health;
pub mod mailer;
pub mod memory;
pub mod store;
pub mod voting;
pub mod wallet;

pub use accounts::{ApiTokenIssuer, HashScheme, PasswordCheck, PasswordHasher, TokenSource};
pub use clock::{Clock, SystemClock};
pub use health::{
    tip_lag, Lag, LagLimits, LagReason, Problem, SyncReport, WalletHealth, WalletLag, WalletTip,
};
pub use mailer::{Email, Mailer};
pub use memory::MemoryStore;
pub use store::{
    erased_email, user_vote_bits_reset, Challenge, ChallengeStore, EmailChange, EmailVerification,
    ErasureRecord, ErasureStarted, ErasureStore, HistorySample, HistoryStore, LowFeeTicket,
    LowFeeTicketStore, MailOutbox, NewLowFeeTicket, NewUser, NotificationStore, NotifyEvent,
    NotifyPrefs, OutboxMail, PasswordReset, RegisteredScript, Registration, Session, SessionStore,
    Store, StoreMaintenance, StoreStatus, StoredVoteRecord, Subscriber, TicketEvent, TokenStore,
    User, UserCounts, UserStore, VoteRecordStore, DISABLED_PASSWORD_PREFIX, ERASED_PASSWORD,
};
pub use voting::{NodeChainHeights, TicketEntry, UserVotingConfig, VotingNode, VotingNodeVersion};
pub use wallet::{
    BestBlock, BlockHeights, ChainNode, ChainNotification, Link, MultisigInfo, PoolWallet,
    StakeInfo, StakePoolUserInfo, StakeReporting, TicketStatus, UserTicket, ValidatedAddress,
    VotingWallet, WalletBackend, WalletInfo, WalletState, WalletTransaction,
};

#[cfg(any(test, feature = "test-utils"))]
pub use {
    accounts::{MockApiTokenIssuer, MockPasswordHasher, MockTokenSource},
    clock::MockClock,
    health::MockWalletHealth,
    mailer::MockMailer,
    store::{
        MockChallengeStore, MockErasureStore, MockHistoryStore, MockLowFeeTicketStore,
        MockMailOutbox, MockNotificationStore, MockSessionStore, MockStore, MockStoreMaintenance,
        MockTokenStore, MockUserStore, MockVoteRecordStore,
    },
    voting::MockVotingNode,
    wallet::{
        MockBlockHeights, MockChainNode, MockLink, MockPoolWallet, MockStakeReporting,
        MockVotingWallet, MockWalletBackend, MockWalletState,
    },
};
