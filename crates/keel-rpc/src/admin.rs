//! op-node's `admin_` namespace, registered only with `--rpc.enable-admin`.

use alloy_eips::eip7685::{EMPTY_REQUESTS_HASH, RequestsOrHash};
use alloy_primitives::B256;
use alloy_rpc_types_engine::{CancunPayloadFields, PraguePayloadFields};
use jsonrpsee::{RpcModule, types::ErrorObjectOwned};
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::{
    OpExecutionPayload, OpExecutionPayloadEnvelope, OpExecutionPayloadSidecar,
};

use crate::{
    api::RollupNodeApi,
    server::{RpcServerError, Shared, handler_error, timed},
};

/// Registers the six admin methods on `m`.
pub(crate) fn register<N: RollupNodeApi>(
    m: &mut RpcModule<Shared<N>>,
) -> Result<(), RpcServerError> {
    m.register_async_method("admin_startSequencer", |p, s, _| async move {
        timed(s.metrics.as_ref(), "admin_startSequencer", async {
            let hash: B256 = p.one()?;
            s.node.start_sequencer(hash).await.map_err(to_rpc)
        })
        .await
    })?;
    m.register_async_method("admin_stopSequencer", |_, s, _| async move {
        timed(s.metrics.as_ref(), "admin_stopSequencer", async {
            s.node.stop_sequencer().await.map_err(to_rpc)
        })
        .await
    })?;
    m.register_async_method("admin_sequencerActive", |_, s, _| async move {
        timed(s.metrics.as_ref(), "admin_sequencerActive", async {
            s.node.sequencer_active().await.map_err(to_rpc)
        })
        .await
    })?;
    m.register_async_method("admin_resetDerivationPipeline", |_, s, _| async move {
        timed(s.metrics.as_ref(), "admin_resetDerivationPipeline", async {
            s.node.reset_derivation_pipeline().await.map_err(to_rpc)
        })
        .await
    })?;
    m.register_async_method("admin_postUnsafePayload", |p, s, _| async move {
        timed(s.metrics.as_ref(), "admin_postUnsafePayload", async {
            let envelope: OpExecutionPayloadEnvelope = p.one()?;
            check_block_hash(&envelope)?;
            s.node.post_unsafe_payload(envelope).await.map_err(to_rpc)
        })
        .await
    })?;
    m.register_async_method("admin_setRecoverMode", |p, s, _| async move {
        timed(s.metrics.as_ref(), "admin_setRecoverMode", async {
            let mode: bool = p.one()?;
            s.node.set_recover_mode(mode).await.map_err(to_rpc)
        })
        .await
    })?;
    Ok(())
}

fn to_rpc(e: crate::api::NodeApiError) -> ErrorObjectOwned {
    handler_error(e.to_string())
}

/// The hash of the block a payload describes, computed from its fields (op-node's
/// `CheckBlockHash`): the header fields, the transactions and withdrawals roots, and per
/// fork the beacon root, blob gas fields, withdrawals root (Isthmus) and the empty
/// requests hash (OP has no EL requests).
///
/// Spec: protocol/rollup-node-p2p.md#block-validation (hash check) and
/// protocol/isthmus/exec-engine.md (withdrawals root, requests hash).
pub fn payload_block_hash(envelope: &OpExecutionPayloadEnvelope) -> Result<B256, String> {
    let root = envelope.parent_beacon_block_root;
    let sidecar = match &envelope.execution_payload {
        OpExecutionPayload::V1(_) | OpExecutionPayload::V2(_) => {
            OpExecutionPayloadSidecar::default()
        }
        OpExecutionPayload::V3(_) | OpExecutionPayload::V4(_) => {
            let root = root.ok_or("Ecotone payload without parentBeaconBlockRoot")?;
            let cancun = CancunPayloadFields::new(root, Vec::new());
            if matches!(envelope.execution_payload, OpExecutionPayload::V4(_)) {
                OpExecutionPayloadSidecar::v4(
                    cancun,
                    PraguePayloadFields::new(RequestsOrHash::Hash(EMPTY_REQUESTS_HASH)),
                )
            } else {
                OpExecutionPayloadSidecar::v3(cancun)
            }
        }
    };
    let block = envelope
        .execution_payload
        .clone()
        .try_into_block_with_sidecar::<OpTxEnvelope>(&sidecar)
        .map_err(|e| format!("invalid payload: {e}"))?;
    Ok(block.header.hash_slow())
}

/// op-node refuses a payload whose claimed hash is not its contents' hash before it reaches
/// the driver, with this message.
fn check_block_hash(envelope: &OpExecutionPayloadEnvelope) -> Result<(), ErrorObjectOwned> {
    let claimed = envelope.execution_payload.block_hash();
    let actual = payload_block_hash(envelope).map_err(handler_error)?;
    if actual != claimed {
        return Err(handler_error(format!(
            "payload has bad block hash: {claimed}, actual block hash is: {actual}"
        )));
    }
    Ok(())
}
