//! The `engine_` methods over the in-memory chain: forkchoice updates that start builds,
//! `getPayload` of those builds and `newPayload` execution.
//!
//! Spec: protocol/exec-engine.md (engine_forkchoiceUpdatedV2, engine_newPayloadV2,
//! engine_getPayloadV2), protocol/ecotone/exec-engine.md (the V3 methods),
//! protocol/isthmus/exec-engine.md#engine_newpayloadv4-api and #engine_getpayloadv4 (V4);
//! where they defer to the execution-apis, op-geth's behaviour.

use std::collections::{HashMap, VecDeque};

use alloy_consensus::Transaction;
use alloy_eips::eip7685::Requests;
use alloy_primitives::{B256, Bytes, U256};
use alloy_rpc_types_engine::{
    BlobsBundleV1, ExecutionPayloadEnvelopeV2, ExecutionPayloadFieldV2, ExecutionPayloadInputV2,
    ExecutionPayloadV3, ForkchoiceState, ForkchoiceUpdated, PayloadId, PayloadStatus,
    PayloadStatusEnum,
};
use jsonrpsee::types::ErrorObjectOwned;
use keel_protocol::hardfork::Hardfork;
use op_alloy_rpc_types_engine::{
    OpExecutionData, OpExecutionPayload, OpExecutionPayloadEnvelopeV3,
    OpExecutionPayloadEnvelopeV4, OpExecutionPayloadV4, OpPayloadAttributes,
};
use serde::Serialize;
use serde_json::Value;

use super::{arg, codes, rpc_err};
use crate::chain::{Chain, ChainError, StoredBlock};

/// How many started builds are remembered for `getPayload` (oldest forgotten first).
const MAX_PAYLOADS: usize = 64;

/// The chain and the builds started by forkchoice updates.
#[derive(Debug)]
pub(crate) struct EngineState {
    pub(crate) chain: Chain,
    payloads: HashMap<PayloadId, B256>,
    payload_order: VecDeque<PayloadId>,
}

fn to_value<T: Serialize>(v: &T) -> Result<Value, ErrorObjectOwned> {
    serde_json::to_value(v).map_err(|e| rpc_err(codes::INTERNAL, e.to_string()))
}

fn unsupported_fork(method: &str, timestamp: u64) -> ErrorObjectOwned {
    rpc_err(
        codes::UNSUPPORTED_FORK,
        format!("Unsupported fork: {method} does not apply at timestamp {timestamp}"),
    )
}

/// Engine method versions by fork: V2 before Ecotone, V3 from Ecotone, V4 (payloads only)
/// from Isthmus. `version` is the method's version number.
fn version_fits(chain: &Chain, version: u8, timestamp: u64, has_v4: bool) -> bool {
    let forks = &chain.rollup_config().hardforks;
    let ecotone = forks.is_active(Hardfork::Ecotone, timestamp);
    let isthmus = forks.is_active(Hardfork::Isthmus, timestamp);
    match version {
        2 => !ecotone,
        3 if has_v4 => ecotone && !isthmus,
        3 => ecotone,
        4 => isthmus,
        _ => false,
    }
}

/// The consensus block of a stored block.
pub(crate) fn consensus_block(
    block: &StoredBlock,
) -> alloy_consensus::Block<op_alloy_consensus::OpTxEnvelope> {
    alloy_consensus::Block {
        header: block.header.inner().clone(),
        body: alloy_consensus::BlockBody {
            transactions: block.transactions.clone(),
            ommers: Vec::new(),
            withdrawals: block.header.withdrawals_root.map(|_| Default::default()),
        },
    }
}

/// The fees the fee recipient earns: each transaction's gas used times its tip over the
/// base fee (deposits pay no tip).
fn block_value(block: &StoredBlock) -> U256 {
    let base_fee = block.header.base_fee_per_gas.unwrap_or_default();
    let mut previous = 0u64;
    let mut value = U256::ZERO;
    for (tx, receipt) in block.transactions.iter().zip(&block.receipts) {
        let cumulative = receipt.cumulative_gas_used();
        let used = cumulative.saturating_sub(previous);
        previous = cumulative;
        if !tx.is_deposit() {
            let tip = tx.effective_tip_per_gas(base_fee).unwrap_or_default();
            value += U256::from(used) * U256::from(tip);
        }
    }
    value
}

fn status(status: PayloadStatusEnum, latest_valid_hash: Option<B256>) -> PayloadStatus {
    PayloadStatus::new(status, latest_valid_hash)
}

impl EngineState {
    pub(crate) fn new(chain: Chain) -> Self {
        Self {
            chain,
            payloads: HashMap::new(),
            payload_order: VecDeque::new(),
        }
    }

    fn remember(&mut self, id: PayloadId, block: B256) {
        if self.payloads.insert(id, block).is_none() {
            self.payload_order.push_back(id);
        }
        while self.payload_order.len() > MAX_PAYLOADS {
            if let Some(old) = self.payload_order.pop_front() {
                self.payloads.remove(&old);
            }
        }
    }

    /// `engine_forkchoiceUpdatedV{version}`: an unknown head answers SYNCING; otherwise the
    /// labels move and, with attributes, the block is built at once (so `getPayload` only
    /// seals what is already there) under op-geth's payload id.
    pub(crate) fn forkchoice_updated(
        &mut self,
        version: u8,
        args: &[Value],
    ) -> Result<Value, ErrorObjectOwned> {
        let method = format!("engine_forkchoiceUpdatedV{version}");
        let state: ForkchoiceState = arg(args, 0)?;
        let attrs: Option<OpPayloadAttributes> = arg(args, 1)?;
        if let Some(a) = &attrs {
            let ts = a.payload_attributes.timestamp;
            if !version_fits(&self.chain, version, ts, false) {
                return Err(unsupported_fork(&method, ts));
            }
            let root = a.payload_attributes.parent_beacon_block_root;
            if (version == 3) != root.is_some() {
                return Err(rpc_err(
                    codes::INVALID_ATTRIBUTES,
                    format!("Invalid payload attributes: parentBeaconBlockRoot with {method}"),
                ));
            }
        }
        if self.chain.block_by_hash(&state.head_block_hash).is_none() {
            return to_value(&ForkchoiceUpdated::new(status(
                PayloadStatusEnum::Syncing,
                None,
            )));
        }
        match self.chain.forkchoice_update(
            state.head_block_hash,
            state.safe_block_hash,
            state.finalized_block_hash,
        ) {
            Ok(()) => {}
            Err(e @ ChainError::InvalidForkchoice { .. }) => {
                return Err(rpc_err(codes::INVALID_FORKCHOICE_STATE, e.to_string()));
            }
            Err(e) => return Err(rpc_err(codes::INTERNAL, e.to_string())),
        }
        let head = state.head_block_hash;
        let mut payload_id = None;
        if let Some(a) = &attrs {
            let id = a.payload_id(&head, version);
            if !self.payloads.contains_key(&id) {
                let built = self.chain.build(head, a).map_err(|e| {
                    rpc_err(
                        codes::INVALID_ATTRIBUTES,
                        format!("Invalid payload attributes: {e}"),
                    )
                })?;
                let hash = built.header.hash();
                self.remember(id, hash);
            }
            payload_id = Some(id);
        }
        let mut answer = ForkchoiceUpdated::new(status(PayloadStatusEnum::Valid, Some(head)));
        answer.payload_id = payload_id;
        to_value(&answer)
    }

    /// `engine_getPayloadV{version}`: the block built for `payloadId` in that version's
    /// envelope; an unknown id is error -38001.
    pub(crate) fn get_payload(
        &self,
        version: u8,
        args: &[Value],
    ) -> Result<Value, ErrorObjectOwned> {
        let id: PayloadId = arg(args, 0)?;
        let block = self
            .payloads
            .get(&id)
            .and_then(|h| self.chain.block_by_hash(h))
            .ok_or_else(|| rpc_err(codes::UNKNOWN_PAYLOAD, "Unknown payload"))?;
        let ts = block.header.timestamp;
        let method = format!("engine_getPayloadV{version}");
        if !version_fits(&self.chain, version, ts, true) {
            return Err(unsupported_fork(&method, ts));
        }
        let block_value = block_value(block);
        let root = block.header.parent_beacon_block_root.unwrap_or_default();
        let (payload, _) =
            OpExecutionPayload::from_block_unchecked(block.header.hash(), &consensus_block(block));
        let mismatch = || {
            rpc_err(
                codes::INTERNAL,
                format!("payload shape does not fit {method}"),
            )
        };
        match (version, payload) {
            (2, OpExecutionPayload::V1(p)) => to_value(&ExecutionPayloadEnvelopeV2 {
                execution_payload: ExecutionPayloadFieldV2::V1(p),
                block_value,
            }),
            (2, OpExecutionPayload::V2(p)) => to_value(&ExecutionPayloadEnvelopeV2 {
                execution_payload: ExecutionPayloadFieldV2::V2(p),
                block_value,
            }),
            (3, OpExecutionPayload::V3(p)) => to_value(&OpExecutionPayloadEnvelopeV3 {
                execution_payload: p,
                block_value,
                blobs_bundle: empty_blobs(),
                should_override_builder: false,
                parent_beacon_block_root: root,
            }),
            (4, OpExecutionPayload::V4(p)) => to_value(&OpExecutionPayloadEnvelopeV4 {
                execution_payload: p,
                block_value,
                blobs_bundle: empty_blobs(),
                should_override_builder: false,
                parent_beacon_block_root: root,
                execution_requests: Vec::new(),
            }),
            _ => Err(mismatch()),
        }
    }

    /// `engine_newPayloadV{version}`: executes the payload on its parent. VALID with the
    /// block's hash; INVALID with the parent as latest valid hash and the reason; SYNCING
    /// when the parent is unknown (or its state is gone, so it cannot be executed).
    pub(crate) fn new_payload(
        &mut self,
        version: u8,
        args: &[Value],
    ) -> Result<Value, ErrorObjectOwned> {
        let data = match version {
            2 => OpExecutionData::v2(arg::<ExecutionPayloadInputV2>(args, 0)?),
            3 => OpExecutionData::v3(
                arg::<ExecutionPayloadV3>(args, 0)?,
                arg(args, 1)?,
                arg(args, 2)?,
            ),
            _ => {
                let requests: Vec<Bytes> = arg(args, 3)?;
                if !requests.is_empty() {
                    return Err(rpc_err(
                        codes::INVALID_PARAMS,
                        "non-empty executionRequests on L2",
                    ));
                }
                OpExecutionData::v4(
                    arg::<OpExecutionPayloadV4>(args, 0)?,
                    arg(args, 1)?,
                    arg(args, 2)?,
                    Requests::new(Vec::new()),
                )
            }
        };
        let ts = data.payload.timestamp();
        if !version_fits(&self.chain, version, ts, true) {
            return Err(unsupported_fork(
                &format!("engine_newPayloadV{version}"),
                ts,
            ));
        }
        if data
            .sidecar
            .versioned_hashes()
            .is_some_and(|h| !h.is_empty())
        {
            return to_value(&status(
                PayloadStatusEnum::Invalid {
                    validation_error: "blob versioned hashes on L2".into(),
                },
                None,
            ));
        }
        let hash = data.payload.block_hash();
        let parent = data.payload.parent_hash();
        if self.chain.block_by_hash(&hash).is_some() {
            return to_value(&status(PayloadStatusEnum::Valid, Some(hash)));
        }
        // A hash that does not match the header is INVALID with no latest valid hash
        // (execution-apis shanghai.md, which retired INVALID_BLOCK_HASH).
        if let Ok(block) = data
            .payload
            .clone()
            .into_block_with_sidecar_raw(&data.sidecar)
        {
            let computed = block.header.hash_slow();
            if computed != hash {
                return to_value(&status(
                    PayloadStatusEnum::Invalid {
                        validation_error: format!(
                            "blockHash mismatch: payload has {hash}, header hashes to {computed}"
                        ),
                    },
                    None,
                ));
            }
        }
        if self.chain.block_by_hash(&parent).is_none() {
            return to_value(&status(PayloadStatusEnum::Syncing, None));
        }
        let answer = match self.chain.insert_payload(&data.payload, &data.sidecar) {
            Ok(block) => status(PayloadStatusEnum::Valid, Some(block.header.hash())),
            Err(ChainError::UnknownBlock(_) | ChainError::StatePruned(_)) => {
                status(PayloadStatusEnum::Syncing, None)
            }
            Err(e) => status(
                PayloadStatusEnum::Invalid {
                    validation_error: e.to_string(),
                },
                Some(parent),
            ),
        };
        to_value(&answer)
    }
}

fn empty_blobs() -> BlobsBundleV1 {
    BlobsBundleV1 {
        commitments: Vec::new(),
        proofs: Vec::new(),
        blobs: Vec::new(),
    }
}
