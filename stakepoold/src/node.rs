//! What the daemon needs from hcd beyond [`hcpool_core::backend::ChainNode`]: the height of
//! a block (the purchase height of a ticket, for the fee check at start-up).

use async_trait::async_trait;
use hcpool_core::BlockHash;
use hcpool_rpc::JsonRpcNode;

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
