//! Pool services: the business steps that orchestrate the backends.
//!
//! Each service holds `Arc<dyn Trait>` backends and is cheap to share. No service holds a
//! lock across a backend call.

pub mod nodes;
pub mod pool;
pub mod voter;

pub use nodes::{votable_low_fee_entries, ChangeGuard, NodeOutcome, NodeUpdate, VotingNodes};
pub use pool::{PoolParts, PoolService, PurchaseInfo};
pub use voter::{BitsSource, FeeCheck, VoteJob, VoterState, WalletVoteDefaults};
