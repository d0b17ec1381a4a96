//! The node as the RPC server sees it: the trait the driver implements.

use std::future::Future;

use alloy_primitives::B256;
use keel_derive::types::L2BlockRef;
use keel_protocol::output_root::OutputRootV0;
use op_alloy_rpc_types_engine::OpExecutionPayloadEnvelope;

use crate::types::SyncStatus;

/// Why the node could not answer. Every variant reaches the caller as JSON-RPC error
/// `-32000` (go-ethereum's code for a handler error, which op-node returns) with the
/// variant's message, wrapped in op-node's context where op-node wraps it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeApiError {
    /// The block, payload or record does not exist (go-ethereum's `ethereum.NotFound`).
    #[error("not found")]
    NotFound,
    /// The request is refused in the node's current state (e.g. "sequencer already
    /// running", "sequencer not enabled"); the message says why.
    #[error("{0}")]
    Refused(String),
    /// The node failed while answering (L2 client unreachable, driver stopped, …).
    #[error(transparent)]
    Failed(Box<dyn std::error::Error + Send + Sync>),
}

impl NodeApiError {
    /// Wraps any error as [`Self::Failed`].
    pub fn failed(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Failed(Box::new(e))
    }
}

/// The rollup node behind the RPC server: the driver implements it (op-node's
/// `driverClient` plus the L2 client's `OutputV0AtBlock`).
///
/// Every method is async and called from the server's tokio tasks, several at a time; an
/// implementation typically forwards a request over a bounded channel to the driver's
/// event loop and awaits the reply, or reads a snapshot the loop publishes (a
/// `tokio::sync::watch` of [`SyncStatus`]). The admin methods are only called when the
/// server was started with admin enabled.
pub trait RollupNodeApi: Send + Sync + 'static {
    /// The current sync status (`optimism_syncStatus`).
    fn sync_status(&self) -> impl Future<Output = Result<SyncStatus, NodeApiError>> + Send;

    /// The canonical L2 block `number` and the sync status at the time it was read
    /// (op-node's `BlockRefWithStatus`, for `optimism_outputAtBlock`).
    fn block_ref_with_status(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<(L2BlockRef, SyncStatus), NodeApiError>> + Send;

    /// The fields of block `block_hash`'s version-0 output: its state root, the storage root
    /// of `L2ToL1MessagePasser` in that state (from `eth_getProof`), and the block hash
    /// (op-node's `OutputV0AtBlock`). The server checks the block hash and computes the root.
    fn output_v0_at_block(
        &self,
        block_hash: B256,
    ) -> impl Future<Output = Result<OutputRootV0, NodeApiError>> + Send;

    /// `admin_startSequencer`: start sequencing on top of unsafe head `unsafe_head`
    /// (refused if the unsafe head differs or the sequencer is already running).
    fn start_sequencer(
        &self,
        unsafe_head: B256,
    ) -> impl Future<Output = Result<(), NodeApiError>> + Send;

    /// `admin_stopSequencer`: stop sequencing; answers the unsafe head it stopped at.
    fn stop_sequencer(&self) -> impl Future<Output = Result<B256, NodeApiError>> + Send;

    /// `admin_sequencerActive`: whether the sequencer is running.
    fn sequencer_active(&self) -> impl Future<Output = Result<bool, NodeApiError>> + Send;

    /// `admin_resetDerivationPipeline`: reset derivation to a safe starting point.
    fn reset_derivation_pipeline(&self) -> impl Future<Output = Result<(), NodeApiError>> + Send;

    /// `admin_postUnsafePayload`: insert an unsafe payload as if gossiped. The server has
    /// already checked that the payload's block hash matches its contents.
    fn post_unsafe_payload(
        &self,
        envelope: OpExecutionPayloadEnvelope,
    ) -> impl Future<Output = Result<(), NodeApiError>> + Send;

    /// `admin_setRecoverMode`: in recover mode the sequencer builds deposit-only blocks
    /// (no transaction pool) until it catches up with the sequencing window.
    fn set_recover_mode(&self, mode: bool)
    -> impl Future<Output = Result<(), NodeApiError>> + Send;
}
