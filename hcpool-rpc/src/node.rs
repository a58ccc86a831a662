//! [`JsonRpcNode`]: hcd's JSON-RPC as a [`ChainNode`], plus its notification stream.

use std::pin::Pin;

use async_trait::async_trait;
use futures::Stream;
use hcpool_core::backend::{BestBlock, BlockHeights, ChainNode, ChainNotification, Link};
use hcpool_core::voterecord::{ChainTx, VoteChain};
use hcpool_core::{BlockHash, Network, TicketHash, TxHash};
use serde_json::json;
use tracing::warn;

use crate::error::{Result, RpcError};
use crate::jsonrpc::convert;
use crate::jsonrpc::notify::chain_notification;
use crate::jsonrpc::replies::{BestBlockReply, VersionReply};
use crate::jsonrpc::{ClientConfig, RpcClient};

/// The registrations stakepoold makes, in its order.
pub const NOTIFY_METHODS: [&str; 4] = [
    "notifyblocks",
    "notifywinningtickets",
    "notifynewtickets",
    "notifyspentandmissedtickets",
];

/// A stream of chain notifications, in the order hcd sent them.
pub type NotificationStream = Pin<Box<dyn Stream<Item = ChainNotification> + Send>>;

/// One hcd over JSON-RPC. Cheap to clone.
#[derive(Debug, Clone)]
pub struct JsonRpcNode {
    client: RpcClient,
}

impl JsonRpcNode {
    /// Connects (see [`RpcClient::connect`]).
    pub async fn connect(cfg: ClientConfig) -> Result<Self> {
        Ok(JsonRpcNode {
            client: RpcClient::connect(cfg).await?,
        })
    }

    /// Wraps an existing client.
    pub fn from_client(client: RpcClient) -> Self {
        JsonRpcNode { client }
    }

    /// The underlying client.
    pub fn client(&self) -> &RpcClient {
        &self.client
    }

    /// `version` (key `hcdjsonrpcapi`).
    pub async fn version(&self) -> Result<VersionReply> {
        self.client.call("version", vec![]).await
    }

    /// `getcurrentnet`: the network magic.
    pub async fn current_net(&self) -> Result<u32> {
        self.client.call("getcurrentnet", vec![]).await
    }

    /// `getblockheader <hash> false`: the serialized header and its height.
    pub async fn block_header(&self, hash: &BlockHash) -> Result<(Vec<u8>, u32)> {
        let hex: String = self
            .client
            .call(
                "getblockheader",
                vec![json!(hash.to_string()), json!(false)],
            )
            .await?;
        let header = convert::blob("getblockheader", &hex)?;
        let height = convert::header_height(&header)?;
        Ok((header, height))
    }

    /// Registers all four notifications (stakepoold's order); they are re-registered after
    /// every reconnect.
    pub async fn register_notifications(&self) -> Result<()> {
        for m in NOTIFY_METHODS {
            self.client.register(m).await?;
        }
        Ok(())
    }

    /// The notifications pushed from now on. Malformed ones are logged and skipped;
    /// notifications sent while the link was down are lost (hcd does not replay them).
    pub fn notifications(&self) -> Result<NotificationStream> {
        let rx = self.client.notifications()?;
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            loop {
                let n = rx.recv().await?;
                match chain_notification(&n) {
                    Ok(Some(c)) => return Some((c, rx)),
                    Ok(None) => {}
                    Err(e) => warn!(error = %e, "dropping notification"),
                }
            }
        });
        Ok(Box::pin(stream))
    }

    fn wrap<T>(&self, r: Result<T>) -> hcpool_core::Result<T> {
        r.map_err(|e| e.into_core(self.client.label()))
    }
}

#[async_trait]
impl ChainNode for JsonRpcNode {
    fn label(&self) -> String {
        self.client.label().to_owned()
    }

    async fn best_block(&self) -> hcpool_core::Result<BestBlock> {
        self.wrap(
            async {
                let r: BestBlockReply = self.client.call("getbestblock", vec![]).await?;
                convert::best_block(r)
            }
            .await,
        )
    }

    async fn send_raw_transaction(&self, tx: &[u8]) -> hcpool_core::Result<TxHash> {
        self.wrap(
            async {
                let r: String = self
                    .client
                    .call(
                        "sendrawtransaction",
                        vec![json!(hex::encode(tx)), json!(false)],
                    )
                    .await?;
                convert::one_hash("sendrawtransaction", &r)
            }
            .await,
        )
    }

    async fn exists_missed_tickets(
        &self,
        tickets: &[TicketHash],
    ) -> hcpool_core::Result<Vec<bool>> {
        if tickets.is_empty() {
            return Ok(Vec::new());
        }
        self.wrap(
            async {
                const M: &str = "existsmissedtickets";
                let r: String = self
                    .client
                    .call(M, vec![json!(convert::hash_blob(tickets))])
                    .await?;
                convert::bitset(M, &r, tickets.len())
            }
            .await,
        )
    }
}

#[async_trait]
impl BlockHeights for JsonRpcNode {
    async fn block_height(&self, hash: &BlockHash) -> hcpool_core::Result<u32> {
        let header = self.block_header(hash).await;
        self.wrap(header.map(|(_, height)| height))
    }
}

/// `getrawtransaction <hash> 1`, the parts a vote check reads (`blockhash` is absent or
/// empty while the transaction is unmined).
#[derive(Debug, serde::Deserialize)]
struct VerboseTx {
    hex: String,
    #[serde(default)]
    blockhash: Option<String>,
}

/// Verifying vote records against hcd: `getcurrentnet`, `getblockhash <height>` (an
/// out-of-range height is `None`) and `getrawtransaction <hash> 1` (unknown: `None`; hcd
/// knows mined transactions only with `--txindex`).
#[async_trait]
impl VoteChain for JsonRpcNode {
    async fn network(&self) -> hcpool_core::Result<Network> {
        let magic = self.wrap(self.current_net().await)?;
        crate::check::network_of_magic(magic).ok_or_else(|| {
            hcpool_core::Error::wallet(
                self.label(),
                hcpool_core::BackendKind::Inconsistent,
                format!("unknown network magic {magic}"),
            )
        })
    }

    async fn block_hash_at(&self, height: u32) -> hcpool_core::Result<Option<BlockHash>> {
        let r: Result<String> = self.client.call("getblockhash", vec![json!(height)]).await;
        match r {
            Ok(s) => self.wrap(convert::one_hash("getblockhash", &s)).map(Some),
            Err(crate::Error::Rpc(e)) if e.code == -1 || e.code == RpcError::NO_INFORMATION => {
                Ok(None)
            }
            Err(e) => Err(e.into_core(self.client.label())),
        }
    }

    async fn transaction(&self, hash: &TxHash) -> hcpool_core::Result<Option<ChainTx>> {
        let r: Result<VerboseTx> = self
            .client
            .call("getrawtransaction", vec![json!(hash.to_string()), json!(1)])
            .await;
        match r {
            Ok(v) => {
                let raw = self.wrap(convert::blob("getrawtransaction", &v.hex))?;
                let block_hash = match v.blockhash.as_deref().filter(|b| !b.is_empty()) {
                    Some(b) => Some(self.wrap(convert::one_hash("getrawtransaction", b))?),
                    None => None,
                };
                Ok(Some(ChainTx { raw, block_hash }))
            }
            Err(crate::Error::Rpc(e)) if e.code == RpcError::NO_INFORMATION => Ok(None),
            Err(e) => Err(e.into_core(self.client.label())),
        }
    }
}

impl Link for JsonRpcNode {
    fn is_connected(&self) -> bool {
        self.client.is_connected()
    }
    fn reconnects(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        self.client.reconnects()
    }
}
