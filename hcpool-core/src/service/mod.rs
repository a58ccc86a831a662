//! Pool services: the business steps that orchestrate the backends: [`PoolService`]
//! (addresses, purchase info, votebits), [`AccountService`] (accounts, sessions, tokens and
//! what the mail outbox sends; account deletion and export in [`erasure`]),
//! [`RegistrationGate`] (who may sign up and register), [`VotingNodes`], [`VoterState`]
//! and [`NotifyService`] (vote notifications).
//!
//! Each service holds `Arc<dyn Trait>` backends and is cheap to share. No service holds a
//! lock across a backend call.

pub mod accounts;
pub mod admin;
pub mod erasure;
pub mod gate;
pub mod nodes;
pub mod notify;
pub mod pool;
pub mod voter;

pub use accounts::{AccountParts, AccountService, AccountSettings};
pub use erasure::{erasure_decision, AccountExport, ErasureDecision, SweepReport};
pub use gate::RegistrationGate;
pub use nodes::{votable_low_fee_entries, ChangeGuard, NodeOutcome, NodeUpdate, VotingNodes};
pub use notify::{NotifyChoice, NotifyService, NotifySettings, ScanReport};
pub use pool::{PoolParts, PoolService, PurchaseInfo};
pub use voter::{BitsSource, FeeCheck, VoteJob, VoterState, WalletVoteDefaults};
