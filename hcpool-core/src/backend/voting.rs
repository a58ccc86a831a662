//! Control of a voting node (stakepoold) by the web app (hcstakepool-functional.md,
//! "stakepoold").

use async_trait::async_trait;

use crate::error::Result;
use crate::ids::{TicketHash, UserId};
use crate::votebits::VoteBits;

/// One user's voting configuration as stakepoold needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserVotingConfig {
    /// The user.
    pub user_id: UserId,
    /// The user's 1-of-2 multisig P2SH address (the ticket address), as a string.
    pub multisig_address: String,
    /// The user's votebits.
    pub vote_bits: VoteBits,
    /// The vote version the bits were chosen for.
    pub vote_bits_version: u32,
}

/// A ticket and its (multisig) ticket address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TicketEntry {
    /// The ticket's voting address.
    pub ticket_address: String,
    /// The ticket hash.
    pub ticket_hash: TicketHash,
}

/// A voting node's API version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VotingNodeVersion {
    /// Full version string.
    pub version: String,
    /// Major.
    pub major: u32,
    /// Minor.
    pub minor: u32,
    /// Patch.
    pub patch: u32,
}

/// The chain heights a voting node reports ([`VotingNode::chain_heights`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct NodeChainHeights {
    /// Its voting wallet's best block height.
    pub wallet: Option<u32>,
    /// Its hcd's best block height.
    pub node: Option<u32>,
}

/// A stakepoold node the web app keeps informed.
///
/// Errors are [`crate::Error::VotingNode`]; `Unavailable` when the node is down.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait VotingNode: Send + Sync {
    /// A label for logs and errors.
    fn label(&self) -> String;
    /// `Version`.
    async fn version(&self) -> Result<VotingNodeVersion>;
    /// `Ping`.
    async fn ping(&self) -> Result<()>;
    /// The node's instance: a nonzero number its process chose at start (hcpool's
    /// stakepoold answers it in `Ping`), so that a restart, which loses what the node was
    /// pushed, shows as a new number ([`VotingNodes::check_restarts`](crate::service::VotingNodes::check_restarts)).
    /// `None` when the node does not tell (hcstakepool's stakepoold). The default pings
    /// and tells none.
    async fn instance(&self) -> Result<Option<u64>> {
        self.ping().await.map(|()| None)
    }
    /// The best block heights of the node's voting wallet and of its hcd (hcpool's
    /// stakepoold answers them in `Ping`), so that a node whose wallet lags can be shown.
    /// Each `None` when unknown (hcstakepool's stakepoold tells neither). The default pings
    /// and knows none.
    async fn chain_heights(&self) -> Result<NodeChainHeights> {
        self.ping().await.map(|()| NodeChainHeights::default())
    }
    /// `SetUserVotingPrefs`: replaces the node's whole user set.
    async fn set_user_voting_prefs(&self, users: Vec<UserVotingConfig>) -> Result<()>;
    /// `SetAddedLowFeeTickets`: replaces the node's whole added set.
    async fn set_added_low_fee_tickets(&self, tickets: Vec<TicketEntry>) -> Result<()>;
    /// `GetAddedLowFeeTickets`.
    async fn added_low_fee_tickets(&self) -> Result<Vec<TicketEntry>>;
    /// `GetIgnoredLowFeeTickets`.
    async fn ignored_low_fee_tickets(&self) -> Result<Vec<TicketEntry>>;
    /// `GetLiveTickets`.
    async fn live_tickets(&self) -> Result<Vec<TicketEntry>>;
}
