//! keel-rpc's [`RollupNodeApi`] over a running driver: status and admin commands go to the
//! driver's [`NodeHandle`]; block references and output fields are read from the L2
//! execution client, as op-node reads them (its `L2Client`), so an answer never waits for
//! the driver's loop.

use std::sync::Arc;

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{Address, B256, address};
use keel_derive::l2::block_ref_from_block;
use keel_derive::types::L2BlockRef;
use keel_engine::client::{EngineClient, HttpTransport, Transport, block_from_rpc};
use keel_protocol::{output_root::OutputRootV0, rollup_config::RollupConfig};
use keel_rpc::{NodeApiError, RollupNodeApi, SyncStatus};
use op_alloy_rpc_types_engine::OpExecutionPayloadEnvelope;
use serde_json::json;

use crate::driver::control::{DriverGone, NodeHandle, NodeStatus};

/// The `L2ToL1MessagePasser` predeploy, whose storage root is part of every output root.
///
/// Spec: protocol/predeploys.md#l2tol1messagepasser,
/// protocol/proposals.md#l2-output-commitment-construction
pub const MESSAGE_PASSER: Address = address!("0x4200000000000000000000000000000000000016");

/// The node as the RPC server sees it.
#[derive(Debug)]
pub struct NodeApi<T = HttpTransport> {
    handle: NodeHandle,
    l2: Arc<EngineClient<T>>,
    rollup: Arc<RollupConfig>,
}

impl<T> NodeApi<T> {
    /// An API over the driver behind `handle`, reading L2 blocks through `l2`.
    pub const fn new(
        handle: NodeHandle,
        l2: Arc<EngineClient<T>>,
        rollup: Arc<RollupConfig>,
    ) -> Self {
        Self { handle, l2, rollup }
    }
}

/// op-node's `SyncStatus` from the driver's snapshot. Before interop the cross-unsafe head
/// is the unsafe head and the local-safe head the safe head; `current_l1_finalized` is
/// deprecated in op-node and carries `finalized_l1`.
pub fn sync_status(s: &NodeStatus) -> SyncStatus {
    SyncStatus {
        current_l1: s.current_l1,
        current_l1_finalized: s.finalized_l1,
        head_l1: s.head_l1,
        safe_l1: s.safe_l1,
        finalized_l1: s.finalized_l1,
        unsafe_l2: s.heads.unsafe_head,
        safe_l2: s.heads.safe,
        finalized_l2: s.heads.finalized,
        pending_safe_l2: s.heads.pending_safe,
        cross_unsafe_l2: s.heads.cross_unsafe,
        local_safe_l2: s.heads.safe,
    }
}

/// A failure of the L2 execution client, for the caller.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum L2ReadError {
    /// The client failed or answered something unreadable.
    #[error("L2 execution client: {0}")]
    Client(#[from] keel_engine::error::EngineError),
    /// The block it returned is not an OP Stack block of this chain.
    #[error("L2 block {hash}: {reason}")]
    Block {
        /// The block.
        hash: B256,
        /// Why it is unusable.
        reason: String,
    },
    /// The header it returned does not hash to the block asked for.
    #[error("L2 client returned block {got} when asked for {asked}")]
    WrongBlock {
        /// Asked for.
        asked: B256,
        /// The header's hash.
        got: B256,
    },
    /// `eth_getProof` answered without a usable `storageHash`.
    #[error("eth_getProof at block {block}: {reason}")]
    Proof {
        /// The block.
        block: B256,
        /// What was wrong.
        reason: String,
    },
}

fn gone(e: DriverGone) -> NodeApiError {
    NodeApiError::failed(e)
}

impl<T: Transport + 'static> NodeApi<T> {
    async fn block_ref(&self, number: u64) -> Result<Option<L2BlockRef>, L2ReadError> {
        let Some((hash, block)) = self
            .l2
            .block_by_tag(BlockNumberOrTag::Number(number))
            .await?
        else {
            return Ok(None);
        };
        block_ref_from_block(&self.rollup, hash, &block)
            .map(Some)
            .map_err(|e| L2ReadError::Block {
                hash,
                reason: e.to_string(),
            })
    }

    /// Block `hash`'s state root (from a header checked to hash to `hash`) and the message
    /// passer's storage root in that state.
    async fn output_fields(&self, hash: B256) -> Result<Option<OutputRootV0>, L2ReadError> {
        let raw = self
            .l2
            .transport()
            .call_raw("eth_getBlockByHash", json!([hash, true]))
            .await?;
        let Some((_, block)) = block_from_rpc(raw)? else {
            return Ok(None);
        };
        let got = block.header.hash_slow();
        if got != hash {
            return Err(L2ReadError::WrongBlock { asked: hash, got });
        }
        // op-node names the block by hash (EIP-1898), so a reorg between the two reads
        // cannot mix two blocks' state.
        let proof = self
            .l2
            .transport()
            .call_raw(
                "eth_getProof",
                json!([MESSAGE_PASSER, Vec::<B256>::new(), hash]),
            )
            .await?;
        let storage_root = storage_hash(&proof).map_err(|reason| L2ReadError::Proof {
            block: hash,
            reason,
        })?;
        Ok(Some(OutputRootV0 {
            state_root: block.header.state_root,
            message_passer_storage_root: storage_root,
            block_hash: hash,
        }))
    }
}

/// The `storageHash` of an `eth_getProof` answer (EIP-1186).
fn storage_hash(proof: &serde_json::Value) -> Result<B256, String> {
    let field = proof
        .get("storageHash")
        .ok_or_else(|| "answer has no storageHash".to_owned())?;
    serde_json::from_value(field.clone()).map_err(|e| format!("storageHash: {e}"))
}

impl<T: Transport + 'static> RollupNodeApi for NodeApi<T> {
    async fn sync_status(&self) -> Result<SyncStatus, NodeApiError> {
        Ok(sync_status(&self.handle.status()))
    }

    async fn block_ref_with_status(
        &self,
        number: u64,
    ) -> Result<(L2BlockRef, SyncStatus), NodeApiError> {
        // Status first, as op-node: the block may be newer than the status, never older.
        let status = sync_status(&self.handle.status());
        let block = self
            .block_ref(number)
            .await
            .map_err(NodeApiError::failed)?
            .ok_or(NodeApiError::NotFound)?;
        Ok((block, status))
    }

    async fn output_v0_at_block(&self, block_hash: B256) -> Result<OutputRootV0, NodeApiError> {
        self.output_fields(block_hash)
            .await
            .map_err(NodeApiError::failed)?
            .ok_or(NodeApiError::NotFound)
    }

    async fn start_sequencer(&self, unsafe_head: B256) -> Result<(), NodeApiError> {
        self.handle
            .start_sequencer(unsafe_head)
            .await
            .map_err(gone)?
            .map_err(NodeApiError::Refused)
    }

    async fn stop_sequencer(&self) -> Result<B256, NodeApiError> {
        self.handle
            .stop_sequencer()
            .await
            .map_err(gone)?
            .map_err(NodeApiError::Refused)
    }

    async fn sequencer_active(&self) -> Result<bool, NodeApiError> {
        self.handle.sequencer_active().await.map_err(gone)
    }

    async fn reset_derivation_pipeline(&self) -> Result<(), NodeApiError> {
        self.handle
            .reset_derivation()
            .await
            .map_err(gone)?
            .map_err(NodeApiError::Refused)
    }

    async fn post_unsafe_payload(
        &self,
        envelope: OpExecutionPayloadEnvelope,
    ) -> Result<(), NodeApiError> {
        self.handle
            .post_unsafe_payload(envelope)
            .await
            .map_err(gone)?
            .map_err(NodeApiError::Refused)
    }

    async fn set_recover_mode(&self, mode: bool) -> Result<(), NodeApiError> {
        self.handle
            .set_recover_mode(mode)
            .await
            .map_err(gone)?
            .map_err(NodeApiError::Refused)
    }
}
