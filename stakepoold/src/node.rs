//! What the daemon needs from hcd and hcwallet beyond the core traits: the height of a block
//! (the purchase height of a ticket, for the fee check at start-up) and the state of the
//! link (health, and a rescan after a reconnect).

use async_trait::async_trait;
use hcpool_core::BlockHash;
use hcpool_rpc::{JsonRpcNode, JsonRpcWallet};
use tokio::sync::watch;

/// Block heights by hash (hcd `getblockheader <hash> false`).
#[async_trait]
pub trait BlockHeights: Send + Sync {
    /// The height of block `hash`.
    async fn block_height(&self, hash: &BlockHash) -> hcpool_core::Result<u32>;
}

#[async_trait]
impl BlockHeights for JsonRpcNode {
    async fn block_height(&self, hash: &BlockHash) -> hcpool_core::Result<u32> {
        self.block_header(hash)
            .await
            .map(|(_, height)| height)
            .map_err(|e| e.into_core(self.client().label()))
    }
}

/// A connection to hcd or hcwallet that can drop and come back.
pub trait Link: Send + Sync {
    /// The link is up now.
    fn is_connected(&self) -> bool;
    /// Changes each time the link is back up (notifications re-registered); `None` when the
    /// link never reconnects.
    fn reconnects(&self) -> Option<watch::Receiver<u64>>;
}

impl Link for JsonRpcNode {
    fn is_connected(&self) -> bool {
        self.client().is_connected()
    }
    fn reconnects(&self) -> Option<watch::Receiver<u64>> {
        self.client().reconnects()
    }
}

impl Link for JsonRpcWallet {
    fn is_connected(&self) -> bool {
        self.client().is_connected()
    }
    fn reconnects(&self) -> Option<watch::Receiver<u64>> {
        self.client().reconnects()
    }
}
