//! The manager as one [`WalletBackend`], so hcpool-core's services can take "the wallets"
//! as a single `Arc<dyn WalletBackend>`.
//!
//! Writes and agreement checks follow the manager's rules; calls stakepoold makes to its one
//! wallet (`gettransaction`, `generatevote`) and the read-only ones go to the first wallet
//! that answers.

use async_trait::async_trait;
use hcpool_core::backend::{
    BestBlock, MultisigInfo, PoolWallet, StakeInfo, StakePoolUserInfo, StakeReporting,
    ValidatedAddress, VotingWallet, WalletBackend, WalletInfo, WalletState, WalletTransaction,
};
use hcpool_core::{Address, BlockHash, RedeemScript, TicketHash, TxHash, VoteBits};

use super::{first, WalletManager};
use crate::error::{Error, Result};

impl WalletManager {
    fn core<T>(&self, r: Result<T>) -> hcpool_core::Result<T> {
        r.map_err(|e| e.into_core(WalletState::label(self)))
    }

    /// Runs `f` on the wallets in order until one succeeds.
    pub(super) async fn take_first<T, F, Fut>(&self, op: &str, f: F) -> Result<T>
    where
        F: Fn(std::sync::Arc<dyn WalletBackend>) -> Fut,
        Fut: std::future::Future<Output = hcpool_core::Result<T>>,
    {
        let mut last = None;
        for i in self.all_ids() {
            let mut r = self.fan_out(op, &[i], |_, w| f(w)).await;
            match r.pop().map(|(_, r)| r) {
                Some(Ok(v)) => return Ok(v),
                Some(Err(e)) => last = Some(e),
                None => {}
            }
        }
        Err(last.map(Error::Backend).unwrap_or(Error::BelowMinServers {
            available: 0,
            min: 1,
        }))
    }

    /// Runs `f` on every ready wallet; all must succeed.
    async fn on_all_ready<F, Fut>(&self, op: &str, f: F) -> Result<()>
    where
        F: Fn(std::sync::Arc<dyn WalletBackend>) -> Fut,
        Fut: std::future::Future<Output = hcpool_core::Result<()>>,
    {
        let ids = self.ready_wallets().await?;
        let results = self.fan_out(op, &ids, |_, w| f(w)).await;
        self.answered(results).map(|_| ())
    }
}

#[async_trait]
impl WalletState for WalletManager {
    fn label(&self) -> String {
        format!("wallets [{}]", self.labels().join(", "))
    }
    /// The first ready wallet's `walletinfo` (at least `minservers` must be ready).
    async fn wallet_info(&self) -> hcpool_core::Result<WalletInfo> {
        let r = async {
            let ids = self.ready_wallets().await?;
            let results = self
                .fan_out(
                    "walletinfo",
                    &ids,
                    |_, w| async move { w.wallet_info().await },
                )
                .await;
            first(self.answered(results)?)
        }
        .await;
        self.core(r)
    }
    async fn best_block(&self) -> hcpool_core::Result<BestBlock> {
        self.core(WalletManager::best_block(self).await)
    }
    /// [`WalletManager::vote_version`]: the answering wallets', else the last known one.
    async fn vote_version(&self) -> hcpool_core::Result<u32> {
        self.core(WalletManager::vote_version(self).await)
    }
}

#[async_trait]
impl PoolWallet for WalletManager {
    async fn validate_address(&self, address: &Address) -> hcpool_core::Result<ValidatedAddress> {
        self.core(WalletManager::validate_address(self, address).await)
    }
    async fn create_multisig(
        &self,
        pool: &Address,
        user: &Address,
    ) -> hcpool_core::Result<MultisigInfo> {
        self.core(WalletManager::create_multisig(self, pool, user).await)
    }
    async fn import_script(
        &self,
        script: &RedeemScript,
        rescan_from: u32,
    ) -> hcpool_core::Result<()> {
        self.core(WalletManager::import_script(self, script, rescan_from).await)
    }
    async fn list_scripts(&self) -> hcpool_core::Result<Vec<RedeemScript>> {
        let r = self
            .take_first("listscripts", |w| async move { w.list_scripts().await })
            .await;
        self.core(r)
    }
    async fn account_sync_address_index(
        &self,
        account: &str,
        branch: u32,
        index: u32,
    ) -> hcpool_core::Result<()> {
        let r = self
            .on_all_ready("accountsyncaddressindex", |w| {
                let account = account.to_owned();
                async move { w.account_sync_address_index(&account, branch, index).await }
            })
            .await;
        self.core(r)
    }
}

#[async_trait]
impl StakeReporting for WalletManager {
    async fn stake_info(&self) -> hcpool_core::Result<StakeInfo> {
        self.core(WalletManager::stake_info(self).await)
    }
    async fn stake_pool_user_info(
        &self,
        multisig: &Address,
    ) -> hcpool_core::Result<StakePoolUserInfo> {
        self.core(WalletManager::stake_pool_user_info(self, multisig).await)
    }
    async fn tickets(&self, include_immature: bool) -> hcpool_core::Result<Vec<TicketHash>> {
        let r = self
            .take_first("gettickets", |w| async move {
                w.tickets(include_immature).await
            })
            .await;
        self.core(r)
    }
    async fn raw_transaction(&self, hash: &TxHash) -> hcpool_core::Result<Vec<u8>> {
        let r = self
            .take_first("getrawtransaction", |w| async move {
                w.raw_transaction(hash).await
            })
            .await;
        self.core(r)
    }
    async fn transaction(&self, hash: &TxHash) -> hcpool_core::Result<WalletTransaction> {
        let r = self
            .take_first(
                "gettransaction",
                |w| async move { w.transaction(hash).await },
            )
            .await;
        self.core(r)
    }
}

#[async_trait]
impl VotingWallet for WalletManager {
    async fn add_ticket(&self, tx: &[u8]) -> hcpool_core::Result<()> {
        let r = self
            .on_all_ready("addticket", |w| async move { w.add_ticket(tx).await })
            .await;
        self.core(r)
    }
    async fn generate_vote(
        &self,
        block_hash: &BlockHash,
        height: u32,
        ticket: &TicketHash,
        vote_bits: VoteBits,
        vote_bits_extended: &[u8],
    ) -> hcpool_core::Result<Vec<u8>> {
        let r = self
            .take_first("generatevote", |w| async move {
                w.generate_vote(block_hash, height, ticket, vote_bits, vote_bits_extended)
                    .await
            })
            .await;
        self.core(r)
    }
    async fn revoke_tickets(&self) -> hcpool_core::Result<()> {
        // Each wallet revokes the missed tickets it holds, as `addticket` reaches them all.
        let r = self
            .on_all_ready("revoketickets", |w| async move { w.revoke_tickets().await })
            .await;
        self.core(r)
    }
}
