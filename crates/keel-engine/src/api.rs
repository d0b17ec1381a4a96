//! The narrow view of the execution engine that the engine actor drives: four calls, each
//! already at the right method version. The HTTP client implements it; tests implement it
//! in memory.

use std::future::Future;

use alloy_rpc_types_engine::{ForkchoiceState, ForkchoiceUpdated, PayloadId, PayloadStatus};
use op_alloy_rpc_types_engine::{OpExecutionPayloadEnvelope, OpPayloadAttributes};

use crate::error::EngineError;

/// The Engine API calls the controller needs, plus reading back an unsafe block.
///
/// Implementations choose the method version from the payload or attributes timestamp
/// ([`crate::version`]) and report `INVALID_BLOCK_HASH` as
/// [`alloy_rpc_types_engine::PayloadStatusEnum::Invalid`] (op-node treats both alike).
pub trait EngineApi {
    /// `engine_forkchoiceUpdated`: move the heads, and start a build if `attributes` are
    /// given.
    fn forkchoice_updated(
        &self,
        state: ForkchoiceState,
        attributes: Option<&OpPayloadAttributes>,
    ) -> impl Future<Output = Result<ForkchoiceUpdated, EngineError>> + Send;

    /// `engine_newPayload`: execute a payload without making it canonical.
    fn new_payload(
        &self,
        envelope: &OpExecutionPayloadEnvelope,
    ) -> impl Future<Output = Result<PayloadStatus, EngineError>> + Send;

    /// `engine_getPayload`: seal the build `id` started for a block at `timestamp`.
    fn get_payload(
        &self,
        id: PayloadId,
        timestamp: u64,
    ) -> impl Future<Output = Result<OpExecutionPayloadEnvelope, EngineError>> + Send;

    /// The canonical block at `number` as a payload (`eth_getBlockByNumber` with full
    /// transactions), or `None` if the engine has none.
    fn payload_by_number(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<OpExecutionPayloadEnvelope>, EngineError>> + Send;
}
