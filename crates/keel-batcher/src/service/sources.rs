//! Where the service reads L2 blocks and the safe head: narrow traits, with JSON-RPC
//! implementations (the L2 execution client, op-node's `optimism_syncStatus`).

use std::future::Future;

use alloy_primitives::B256;
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::BlockNumberOrTag;
use keel_protocol::rollup_config::BlockId;
use op_alloy_consensus::OpBlock;
use op_alloy_network::Optimism;

use super::ServiceError;

/// The sequencer's L2 chain.
pub trait L2Source: Send + Sync {
    /// Number of the newest (unsafe) L2 block.
    fn head_number(&self) -> impl Future<Output = Result<u64, ServiceError>> + Send;
    /// Block `number` with its hash, or `None` if the client does not have it.
    fn block(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<(B256, OpBlock)>, ServiceError>> + Send;
}

/// The L2 safe head: the newest L2 block derived from L1 (the rollup node knows it).
pub trait SafeHeadSource: Send + Sync {
    /// The current safe head.
    fn safe_head(&self) -> impl Future<Output = Result<BlockId, ServiceError>> + Send;
}

/// [`L2Source`] over an OP execution client's `eth_` JSON-RPC.
#[derive(Debug, Clone)]
pub struct RpcL2Source {
    provider: RootProvider<Optimism>,
}

impl RpcL2Source {
    /// A source reading from `url`.
    pub fn new_http(url: url::Url) -> Self {
        Self {
            provider: RootProvider::new_http(url),
        }
    }
}

impl L2Source for RpcL2Source {
    async fn head_number(&self) -> Result<u64, ServiceError> {
        self.provider
            .get_block_number()
            .await
            .map_err(|e| ServiceError::rpc("L2 eth_blockNumber", e))
    }

    /// Reads the block with full transactions and checks the hash the client reports is the
    /// hash of the header it sent, so a batch is never built from a mangled block.
    async fn block(&self, number: u64) -> Result<Option<(B256, OpBlock)>, ServiceError> {
        let Some(block) = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .full()
            .await
            .map_err(|e| ServiceError::rpc("L2 eth_getBlockByNumber", e))?
        else {
            return Ok(None);
        };
        let reported = block.header.hash;
        let block: OpBlock = block
            .into_consensus()
            .map_transactions(|tx| tx.inner.into_inner());
        let computed = block.header.hash_slow();
        if computed != reported {
            return Err(ServiceError::BadL2Block {
                number,
                reported,
                computed,
            });
        }
        Ok(Some((reported, block)))
    }
}

/// [`SafeHeadSource`] over a rollup node's `optimism_syncStatus` (op-node and Keel).
#[derive(Debug, Clone)]
pub struct RollupRpcSafeHead {
    provider: RootProvider,
}

#[derive(Debug, serde::Deserialize)]
struct SyncStatus {
    safe_l2: SyncRef,
}

#[derive(Debug, serde::Deserialize)]
struct SyncRef {
    hash: B256,
    number: u64,
}

impl RollupRpcSafeHead {
    /// A source asking the rollup node at `url`.
    pub fn new_http(url: url::Url) -> Self {
        Self {
            provider: RootProvider::new_http(url),
        }
    }

    /// The rollup node's `optimism_rollupConfig`, as JSON (op-node's `rollup.json` form).
    pub async fn rollup_config_json(&self) -> Result<serde_json::Value, ServiceError> {
        self.provider
            .raw_request("optimism_rollupConfig".into(), ())
            .await
            .map_err(|e| ServiceError::rpc("optimism_rollupConfig", e))
    }
}

impl SafeHeadSource for RollupRpcSafeHead {
    async fn safe_head(&self) -> Result<BlockId, ServiceError> {
        let status: SyncStatus = self
            .provider
            .raw_request("optimism_syncStatus".into(), ())
            .await
            .map_err(|e| ServiceError::rpc("optimism_syncStatus", e))?;
        Ok(BlockId {
            hash: status.safe_l2.hash,
            number: status.safe_l2.number,
        })
    }
}
