//! [`JsonRpcWallet`]: hcwallet's legacy JSON-RPC as a [`WalletBackend`](hcpool_core::backend::WalletBackend) (every wallet role), and a [`Link`].

use async_trait::async_trait;
use hcpool_core::backend::{
    BestBlock, Link, MultisigInfo, PoolWallet, StakeInfo, StakePoolUserInfo, StakeReporting,
    ValidatedAddress, VotingWallet, WalletInfo, WalletState, WalletTransaction,
};
use hcpool_core::{Address, BlockHash, RedeemScript, TicketHash, TxHash, VoteBits};
use serde_json::{json, Value};

use crate::error::Result;
use crate::jsonrpc::convert;
use crate::jsonrpc::replies::{
    BestBlockReply, CreateMultisigReply, GenerateVoteReply, GetTicketsReply, GetTransactionReply,
    ListScriptsReply, StakeInfoReply, StakePoolUserInfoReply, TicketsForAddressReply,
    ValidateAddressReply, VersionReply, WalletInfoReply,
};
use crate::jsonrpc::{ClientConfig, RpcClient};

/// One hcwallet over JSON-RPC. Cheap to clone.
#[derive(Debug, Clone)]
pub struct JsonRpcWallet {
    client: RpcClient,
}

impl JsonRpcWallet {
    /// Connects (see [`RpcClient::connect`]).
    pub async fn connect(cfg: ClientConfig) -> Result<Self> {
        Ok(JsonRpcWallet {
            client: RpcClient::connect(cfg).await?,
        })
    }

    /// Wraps an existing client.
    pub fn from_client(client: RpcClient) -> Self {
        JsonRpcWallet { client }
    }

    /// The underlying client (for calls this type has no method for).
    pub fn client(&self) -> &RpcClient {
        &self.client
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        params: Vec<Value>,
    ) -> Result<T> {
        self.client.call(method, params).await
    }

    /// `walletinfo`, raw.
    pub async fn wallet_info_reply(&self) -> Result<WalletInfoReply> {
        self.call("walletinfo", vec![]).await
    }

    /// `validateaddress <addr>`, raw (takes any string, so invalid input can be tested).
    pub async fn validate_address_str(&self, address: &str) -> Result<ValidateAddressReply> {
        self.call("validateaddress", vec![json!(address)]).await
    }

    /// `createmultisig 1 [pool, user]`, raw.
    pub async fn create_multisig_str(&self, pool: &str, user: &str) -> Result<CreateMultisigReply> {
        self.call("createmultisig", vec![json!(1), json!([pool, user])])
            .await
    }

    /// `stakepooluserinfo <msa>`, raw.
    pub async fn stake_pool_user_info_str(&self, msa: &str) -> Result<StakePoolUserInfoReply> {
        self.call("stakepooluserinfo", vec![json!(msa)]).await
    }

    /// `version`: the wallet's and its hcd's API versions.
    pub async fn version(&self) -> Result<VersionReply> {
        self.call("version", vec![]).await
    }

    /// `ticketsforaddress <addr>` (unused by hcstakepool at runtime).
    pub async fn tickets_for_address(&self, address: &str) -> Result<Vec<TicketHash>> {
        let r: TicketsForAddressReply =
            self.call("ticketsforaddress", vec![json!(address)]).await?;
        convert::hashes("ticketsforaddress", &r.tickets)
    }

    fn wrap<T>(&self, r: Result<T>) -> hcpool_core::Result<T> {
        r.map_err(|e| e.into_core(self.client.label()))
    }
}

#[async_trait]
impl WalletState for JsonRpcWallet {
    fn label(&self) -> String {
        self.client.label().to_owned()
    }
    async fn wallet_info(&self) -> hcpool_core::Result<WalletInfo> {
        self.wrap(async { convert::wallet_info(self.wallet_info_reply().await?) }.await)
    }
    async fn best_block(&self) -> hcpool_core::Result<BestBlock> {
        self.wrap(
            async {
                let r: BestBlockReply = self.call("getbestblock", vec![]).await?;
                convert::best_block(r)
            }
            .await,
        )
    }
    async fn node_height(&self) -> hcpool_core::Result<Option<u32>> {
        // hcwallet's `getinfo` is hcd's `getinfo` with wallet fields added: `blocks` is the
        // node's tip, not the wallet's (`getbestblock`/`getblockcount` are the wallet's).
        self.wrap(
            async {
                let r: GetInfoReply = self.call("getinfo", vec![]).await?;
                Ok(Some(r.blocks))
            }
            .await,
        )
    }
    async fn block_time(&self, hash: &BlockHash) -> hcpool_core::Result<Option<u64>> {
        // Not a wallet method: hcwallet passes it through to its hcd.
        self.wrap(
            async {
                let hex: String = self
                    .call(
                        "getblockheader",
                        vec![json!(hash.to_string()), json!(false)],
                    )
                    .await?;
                let header = convert::blob("getblockheader", &hex)?;
                Ok(Some(u64::from(convert::header_time(&header)?)))
            }
            .await,
        )
    }
}

/// The part of `getinfo` the pool reads.
#[derive(Debug, serde::Deserialize)]
struct GetInfoReply {
    blocks: u32,
}

#[async_trait]
impl PoolWallet for JsonRpcWallet {
    async fn validate_address(&self, address: &Address) -> hcpool_core::Result<ValidatedAddress> {
        let s = convert::encode_address(address);
        self.wrap(async { convert::validated_address(self.validate_address_str(&s).await?) }.await)
    }
    async fn create_multisig(
        &self,
        pool: &Address,
        user: &Address,
    ) -> hcpool_core::Result<MultisigInfo> {
        let (p, u) = (convert::encode_address(pool), convert::encode_address(user));
        self.wrap(async { convert::multisig_info(self.create_multisig_str(&p, &u).await?) }.await)
    }
    async fn import_script(
        &self,
        script: &RedeemScript,
        rescan_from: u32,
    ) -> hcpool_core::Result<()> {
        // hcstakepool always sends all three params.
        let params = vec![
            json!(hex::encode(script.as_bytes())),
            json!(true),
            json!(rescan_from),
        ];
        self.wrap(self.client.call_unit("importscript", params).await)
    }
    async fn list_scripts(&self) -> hcpool_core::Result<Vec<RedeemScript>> {
        self.wrap(
            async {
                let r: ListScriptsReply = self.call("listscripts", vec![]).await?;
                convert::scripts(r)
            }
            .await,
        )
    }
    async fn account_sync_address_index(
        &self,
        account: &str,
        branch: u32,
        index: u32,
    ) -> hcpool_core::Result<()> {
        let params = vec![json!(account), json!(branch), json!(index)];
        self.wrap(
            self.client
                .call_unit("accountsyncaddressindex", params)
                .await,
        )
    }
}

#[async_trait]
impl StakeReporting for JsonRpcWallet {
    async fn stake_info(&self) -> hcpool_core::Result<StakeInfo> {
        self.wrap(
            async {
                let r: StakeInfoReply = self.call("getstakeinfo", vec![]).await?;
                Ok(convert::stake_info(r))
            }
            .await,
        )
    }
    async fn stake_pool_user_info(
        &self,
        multisig: &Address,
    ) -> hcpool_core::Result<StakePoolUserInfo> {
        let s = convert::encode_address(multisig);
        self.wrap(
            async { convert::stake_pool_user_info(self.stake_pool_user_info_str(&s).await?) }.await,
        )
    }
    async fn tickets(&self, include_immature: bool) -> hcpool_core::Result<Vec<TicketHash>> {
        self.wrap(
            async {
                let r: GetTicketsReply = self
                    .call("gettickets", vec![json!(include_immature)])
                    .await?;
                convert::hashes("gettickets", &r.hashes)
            }
            .await,
        )
    }
    async fn raw_transaction(&self, hash: &TxHash) -> hcpool_core::Result<Vec<u8>> {
        // verbose is an int here, not a bool.
        self.wrap(
            async {
                let r: String = self
                    .call("getrawtransaction", vec![json!(hash.to_string()), json!(0)])
                    .await?;
                convert::blob("getrawtransaction", &r)
            }
            .await,
        )
    }
    async fn transaction(&self, hash: &TxHash) -> hcpool_core::Result<WalletTransaction> {
        // The optional includewatchonly is never sent.
        self.wrap(
            async {
                let r: GetTransactionReply = self
                    .call("gettransaction", vec![json!(hash.to_string())])
                    .await?;
                convert::wallet_transaction(r)
            }
            .await,
        )
    }
}

#[async_trait]
impl VotingWallet for JsonRpcWallet {
    async fn add_ticket(&self, tx: &[u8]) -> hcpool_core::Result<()> {
        self.wrap(
            self.client
                .call_unit("addticket", vec![json!(hex::encode(tx))])
                .await,
        )
    }
    async fn generate_vote(
        &self,
        block_hash: &BlockHash,
        height: u32,
        ticket: &TicketHash,
        vote_bits: VoteBits,
        vote_bits_extended: &[u8],
    ) -> hcpool_core::Result<Vec<u8>> {
        let params = vec![
            json!(block_hash.to_string()),
            json!(height),
            json!(ticket.to_string()),
            json!(vote_bits.0),
            json!(hex::encode(vote_bits_extended)),
        ];
        self.wrap(
            async {
                let r: GenerateVoteReply = self.call("generatevote", params).await?;
                convert::blob("generatevote", &r.hex)
            }
            .await,
        )
    }
    async fn revoke_tickets(&self) -> hcpool_core::Result<()> {
        self.wrap(self.client.call_unit("revoketickets", vec![]).await)
    }
}

impl Link for JsonRpcWallet {
    fn is_connected(&self) -> bool {
        self.client().is_connected()
    }
    fn reconnects(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        self.client().reconnects()
    }
}
