//! A voting wallet (hcwallet) and a chain node (hcd), as the pool and stakepoold use them
//! (hcwallet-rpc.md §2).

use async_trait::async_trait;

use crate::address::Address;
use crate::error::Result;
use crate::ids::{BlockHash, TicketHash, TxHash};
use crate::multisig::RedeemScript;
use crate::votebits::VoteBits;

/// `walletinfo`.
#[derive(Debug, Clone, PartialEq)]
pub struct WalletInfo {
    /// The wallet's hcd connection answers.
    pub daemon_connected: bool,
    /// The wallet is unlocked (it can sign votes).
    pub unlocked: bool,
    /// Transaction fee per kB, coins.
    pub tx_fee: f64,
    /// Ticket fee per kB, coins.
    pub ticket_fee: f64,
    /// The wallet buys tickets itself.
    pub ticket_purchasing: bool,
    /// The wallet's default votebits.
    pub vote_bits: VoteBits,
    /// The extended votebits (LE32 vote version), raw bytes.
    pub vote_bits_extended: Vec<u8>,
    /// The vote version the wallet votes with.
    pub vote_version: u32,
    /// The wallet votes.
    pub voting: bool,
}

/// `validateaddress` (every field but `is_valid` optional, as the wallet omits them).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidatedAddress {
    /// The wallet could decode the address.
    pub is_valid: bool,
    /// The wallet owns the key.
    pub is_mine: bool,
    /// The pubkey-address of the key, when the wallet knows it.
    pub pubkey_addr: Option<Address>,
    /// The compressed public key, when the wallet knows it.
    pub pubkey: Option<Vec<u8>>,
    /// The wallet account holding the key.
    pub account: Option<String>,
}

/// `createmultisig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultisigInfo {
    /// The P2SH address.
    pub address: Address,
    /// The redeem script.
    pub redeem_script: RedeemScript,
}

/// `getbestblock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BestBlock {
    /// Block hash.
    pub hash: BlockHash,
    /// Block height.
    pub height: u32,
}

/// `getstakeinfo` (field meanings in hcwallet-rpc.md §2.2).
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct StakeInfo {
    /// Wallet tip height.
    pub block_height: i64,
    /// Network ticket pool size.
    pub pool_size: u32,
    /// Next stake difficulty, coins.
    pub difficulty: f64,
    /// Tickets in the mempool.
    pub all_mempool_tix: u32,
    /// The wallet's tickets in the mempool.
    pub own_mempool_tix: u32,
    /// Immature tickets.
    pub immature: u32,
    /// Live tickets.
    pub live: u32,
    /// live / pool size.
    pub proportion_live: f64,
    /// Voted tickets.
    pub voted: u32,
    /// Total subsidy earned, coins.
    pub total_subsidy: f64,
    /// Missed tickets.
    pub missed: u32,
    /// missed / (voted + missed).
    pub proportion_missed: f64,
    /// Revoked tickets.
    pub revoked: u32,
    /// Expired tickets.
    pub expired: u32,
}

/// A ticket's status in `stakepooluserinfo`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TicketStatus {
    /// Immature or live (also missed but not yet revoked).
    Live,
    /// Voted.
    Voted,
    /// Missed and revoked.
    Missed,
    /// Expired and revoked.
    Expired,
    /// A status string this version does not know.
    Other(String),
}

/// One ticket of `stakepooluserinfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTicket {
    /// Status.
    pub status: TicketStatus,
    /// Ticket hash.
    pub ticket: TicketHash,
    /// Height the ticket was mined at.
    pub ticket_height: u32,
    /// The vote or revocation that spent it (all zero when unspent).
    pub spent_by: TxHash,
    /// Height of the spending transaction (0 when unspent).
    pub spent_by_height: u32,
}

/// `stakepooluserinfo` (a `null` list on the wire is an empty list here).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StakePoolUserInfo {
    /// Tickets that paid the pool fee.
    pub tickets: Vec<UserTicket>,
    /// Tickets that did not (low fee / invalid).
    pub invalid: Vec<TicketHash>,
}

/// `gettransaction`, the parts stakepoold reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletTransaction {
    /// Transaction hash.
    pub txid: TxHash,
    /// Full serialized transaction.
    pub hex: Vec<u8>,
    /// Block that mined it, if mined.
    pub block_hash: Option<BlockHash>,
    /// Addresses of the `details` entries, in order.
    pub detail_addresses: Vec<String>,
}

/// A node notification (hcwallet-rpc.md §3).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainNotification {
    /// A block was connected to the main chain.
    BlockConnected {
        /// Block hash.
        hash: BlockHash,
        /// Height.
        height: u32,
    },
    /// Tickets chosen to vote on a block.
    WinningTickets {
        /// The block voted on.
        block_hash: BlockHash,
        /// Its height.
        height: u32,
        /// The winners.
        tickets: Vec<TicketHash>,
    },
    /// Tickets spent (voted/revoked) or missed in a block.
    SpentAndMissed {
        /// Block hash.
        block_hash: BlockHash,
        /// Height.
        height: u32,
        /// Spent tickets.
        spent: Vec<TicketHash>,
        /// Missed tickets.
        missed: Vec<TicketHash>,
    },
    /// Tickets that matured in a block.
    NewTickets {
        /// Block hash.
        block_hash: BlockHash,
        /// Height.
        height: u32,
        /// New tickets.
        tickets: Vec<TicketHash>,
    },
}

/// What every user of a wallet asks: its label, state and tip. The base of the other roles.
///
/// Implementations report failures as [`crate::Error::Wallet`]; `Unavailable` when the wallet
/// cannot be reached, `Rejected` when it answered with an RPC error, `Inconsistent` when the
/// reply cannot be right (bad hex, wrong shape). The same holds for every wallet role.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait WalletState: Send + Sync {
    /// A label for logs and errors (host:port).
    fn label(&self) -> String;
    /// `walletinfo`.
    async fn wallet_info(&self) -> Result<WalletInfo>;
    /// `getbestblock`.
    async fn best_block(&self) -> Result<BestBlock>;
    /// The tip height of the wallet's hcd, asked through the wallet (hcwallet answers
    /// `getinfo` from its hcd: `blocks`), to tell a wallet whose own tip stalled.
    /// `Ok(None)` (the default): this backend cannot tell.
    async fn node_height(&self) -> Result<Option<u32>> {
        Ok(None)
    }
    /// The header timestamp (Unix seconds) of block `hash` (`getblockheader`, passed
    /// through to hcd). `Ok(None)` (the default): this backend cannot tell.
    async fn block_time(&self, hash: &BlockHash) -> Result<Option<u64>> {
        let _ = hash;
        Ok(None)
    }
    /// The vote version the wallet votes with (`walletinfo`'s `voteversion`). The default
    /// reads [`WalletState::wallet_info`]; a set of wallets (hcpool-rpc's manager) answers
    /// from the wallets that answer, since knowing the version needs no readiness.
    async fn vote_version(&self) -> Result<u32> {
        Ok(self.wallet_info().await?.vote_version)
    }
}

/// The pool's side of a wallet: checking users' addresses, making and importing their
/// 1-of-2 multisig scripts, keeping the fee-address index in step (what `PoolService` and
/// the wallet manager's start-up sync use).
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait PoolWallet: Send + Sync {
    /// `validateaddress`.
    async fn validate_address(&self, address: &Address) -> Result<ValidatedAddress>;
    /// `createmultisig 1 [pool, user]` (both pubkey-addresses, pool first).
    async fn create_multisig(&self, pool: &Address, user: &Address) -> Result<MultisigInfo>;
    /// `importscript <script> true <rescan_from>`; importing a known script succeeds.
    async fn import_script(&self, script: &RedeemScript, rescan_from: u32) -> Result<()>;
    /// `listscripts`.
    async fn list_scripts(&self) -> Result<Vec<RedeemScript>>;
    /// `accountsyncaddressindex <account> <branch> <index>`.
    async fn account_sync_address_index(
        &self,
        account: &str,
        branch: u32,
        index: u32,
    ) -> Result<()>;
}

/// What the wallet knows about tickets: stake statistics for the pages and the API, a
/// user's tickets, and the raw transactions stakepoold and the sync read.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait StakeReporting: Send + Sync {
    /// `getstakeinfo`.
    async fn stake_info(&self) -> Result<StakeInfo>;
    /// `stakepooluserinfo <multisig address>`.
    async fn stake_pool_user_info(&self, multisig: &Address) -> Result<StakePoolUserInfo>;
    /// `gettickets <include_immature>`.
    async fn tickets(&self, include_immature: bool) -> Result<Vec<TicketHash>>;
    /// `getrawtransaction <hash> 0`, the serialized transaction.
    async fn raw_transaction(&self, hash: &TxHash) -> Result<Vec<u8>>;
    /// `gettransaction <hash>`.
    async fn transaction(&self, hash: &TxHash) -> Result<WalletTransaction>;
}

/// The voting side of a wallet, as stakepoold drives it: adding tickets, signing votes,
/// revoking missed tickets.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait VotingWallet: Send + Sync {
    /// `addticket <hex>`.
    async fn add_ticket(&self, tx: &[u8]) -> Result<()>;
    /// `generatevote`: a signed vote (not broadcast) for `ticket` on block `block_hash`.
    async fn generate_vote(
        &self,
        block_hash: &BlockHash,
        height: u32,
        ticket: &TicketHash,
        vote_bits: VoteBits,
        vote_bits_extended: &[u8],
    ) -> Result<Vec<u8>>;
    /// `revoketickets`: the wallet creates and relays a revocation for every missed or
    /// expired ticket it has voting rights for. A real hcwallet also revokes missed tickets
    /// by itself; an explicit call then fails with hcd's "already have transaction"
    /// while that revocation is unmined. One ticket the wallet cannot revoke fails the
    /// whole call.
    async fn revoke_tickets(&self) -> Result<()>;
}

/// One voting wallet (hcwallet) as the pool uses it: every wallet role at once. Implemented
/// for every type that implements the roles, so an implementation writes only the role
/// traits; callers that need one role can take that role.
pub trait WalletBackend: WalletState + PoolWallet + StakeReporting + VotingWallet {}

impl<T> WalletBackend for T where
    T: WalletState + PoolWallet + StakeReporting + VotingWallet + ?Sized
{
}

#[cfg(any(test, feature = "test-utils"))]
mockall::mock! {
    /// A mock of the whole [`WalletBackend`] (every role's methods). The roles have mocks of
    /// their own (`MockWalletState`, `MockPoolWallet`, …).
    pub WalletBackend {}

    #[async_trait]
    impl WalletState for WalletBackend {
        fn label(&self) -> String;
        async fn wallet_info(&self) -> Result<WalletInfo>;
        async fn best_block(&self) -> Result<BestBlock>;
    }

    #[async_trait]
    impl PoolWallet for WalletBackend {
        async fn validate_address(&self, address: &Address) -> Result<ValidatedAddress>;
        async fn create_multisig(&self, pool: &Address, user: &Address) -> Result<MultisigInfo>;
        async fn import_script(&self, script: &RedeemScript, rescan_from: u32) -> Result<()>;
        async fn list_scripts(&self) -> Result<Vec<RedeemScript>>;
        async fn account_sync_address_index(
            &self,
            account: &str,
            branch: u32,
            index: u32,
        ) -> Result<()>;
    }

    #[async_trait]
    impl StakeReporting for WalletBackend {
        async fn stake_info(&self) -> Result<StakeInfo>;
        async fn stake_pool_user_info(&self, multisig: &Address) -> Result<StakePoolUserInfo>;
        async fn tickets(&self, include_immature: bool) -> Result<Vec<TicketHash>>;
        async fn raw_transaction(&self, hash: &TxHash) -> Result<Vec<u8>>;
        async fn transaction(&self, hash: &TxHash) -> Result<WalletTransaction>;
    }

    #[async_trait]
    impl VotingWallet for WalletBackend {
        async fn add_ticket(&self, tx: &[u8]) -> Result<()>;
        async fn generate_vote(
            &self,
            block_hash: &BlockHash,
            height: u32,
            ticket: &TicketHash,
            vote_bits: VoteBits,
            vote_bits_extended: &[u8],
        ) -> Result<Vec<u8>>;
        async fn revoke_tickets(&self) -> Result<()>;
    }
}

/// A chain node (hcd) as stakepoold uses it. Notifications are delivered by the adapter's
/// own stream (see hcpool-rpc), as [`ChainNotification`] values.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait ChainNode: Send + Sync {
    /// A label for logs and errors.
    fn label(&self) -> String;
    /// `getbestblock`.
    async fn best_block(&self) -> Result<BestBlock>;
    /// `sendrawtransaction <hex>`; returns the transaction hash.
    async fn send_raw_transaction(&self, tx: &[u8]) -> Result<TxHash>;
    /// `existsmissedtickets`: for each ticket, whether hcd has it in its missed-ticket set
    /// (missed or expired and **not yet revoked**), in the order given. A missed ticket
    /// that is no longer in the set was revoked.
    ///
    /// The default fails (kind `Other`), for nodes that cannot tell: callers then rely on
    /// notifications alone.
    async fn exists_missed_tickets(&self, tickets: &[TicketHash]) -> Result<Vec<bool>> {
        let _ = tickets;
        Err(crate::Error::Wallet {
            wallet: self.label(),
            kind: crate::BackendKind::Other,
            source: "existsmissedtickets is not supported by this node".into(),
        })
    }
}

/// Block heights by hash (hcd `getblockheader <hash> false`): the purchase height of a ticket,
/// for stakepoold's fee check at start-up.
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
#[async_trait]
pub trait BlockHeights: Send + Sync {
    /// The height of block `hash`.
    async fn block_height(&self, hash: &BlockHash) -> Result<u32>;
}

/// A connection to hcd or hcwallet that can drop and come back (stakepoold's health answer,
/// and its rescan after a reconnect).
#[cfg_attr(any(test, feature = "test-utils"), mockall::automock)]
pub trait Link: Send + Sync {
    /// The link is up now.
    fn is_connected(&self) -> bool;
    /// Changes each time the link is back up (notifications re-registered); `None` when the
    /// link never reconnects.
    fn reconnects(&self) -> Option<tokio::sync::watch::Receiver<u64>>;
}
