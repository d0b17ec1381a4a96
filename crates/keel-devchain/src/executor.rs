//! L2 block execution: build a block from payload attributes, or execute a payload received
//! through `newPayload`, and seal the header exactly as OP execution clients do.
//!
//! Transaction execution is alloy-op-evm's `OpBlockExecutor` (OP receipts with deposit
//! nonce and version, L1 data fee, operator fee, the EIP-4788 / EIP-2935 system calls,
//! Jovian's DA footprint); this module adds what a block needs around it: the base fee
//! (Holocene parameters and Jovian minimum from the parent's `extraData`), the header's
//! `extraData`, the roots, and the seal.
//!
//! Spec: protocol/exec-engine.md, protocol/holocene/exec-engine.md,
//! protocol/isthmus/exec-engine.md, protocol/jovian/exec-engine.md.

use alloy_consensus::{
    BlockBody, EMPTY_OMMER_ROOT_HASH, Header, Sealed, TxReceipt, transaction::Recovered,
};
use alloy_eips::{
    eip1559::{BaseFeeParams, calc_next_block_base_fee},
    eip2718::{Decodable2718, Encodable2718, WithEncoded},
    eip7685::EMPTY_REQUESTS_HASH,
};
use alloy_evm::{
    EvmEnv, EvmFactory,
    block::{BlockExecutor, BlockExecutorFactory},
};
use alloy_op_evm::{
    OpBlockExecutionCtx, OpBlockExecutorFactory, OpEvmFactory, OpTx, block::OpAlloyReceiptBuilder,
    spec_by_timestamp_after_bedrock,
};
use alloy_primitives::{Address, B64, B256, Bloom, Bytes, U256};
use alloy_trie::{EMPTY_ROOT_HASH, root::ordered_trie_root_with_encoder};
use keel_protocol::{hardfork::Hardfork, rollup_config::RollupConfig};
use op_alloy_consensus::{
    OpReceiptEnvelope, OpTxEnvelope, decode_holocene_extra_data, decode_jovian_extra_data,
};
use op_alloy_rpc_types_engine::{
    OpExecutionPayload, OpExecutionPayloadSidecar, OpPayloadAttributes,
};
use revm::{
    context::{BlockEnv, CfgEnv},
    context_interface::block::BlobExcessGasAndPrice,
};

use crate::{forks::ForkSchedule, genesis::L2_TO_L1_MESSAGE_PASSER, state::MemState};

/// Why a block could not be built or a payload is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// A transaction of the attributes or payload does not decode.
    #[error("transaction {index} does not decode: {reason}")]
    TxDecode {
        /// Index in the transaction list.
        index: usize,
        /// Decoder message.
        reason: String,
    },
    /// A transaction's signature does not recover.
    #[error("transaction {index} signer does not recover")]
    TxSigner {
        /// Index in the transaction list.
        index: usize,
    },
    /// A transaction the block must include failed to execute (invalid, not reverted).
    #[error("transaction {index} cannot be included: {reason}")]
    TxExecution {
        /// Index in the transaction list.
        index: usize,
        /// The executor's message.
        reason: String,
    },
    /// Block-level execution failed (system calls, post-block changes).
    #[error("block execution failed: {0}")]
    Block(String),
    /// The parent's `extraData` does not carry valid EIP-1559 parameters.
    #[error("parent extraData is invalid: {0}")]
    ParentExtraData(op_alloy_consensus::EIP1559ParamError),
    /// The attributes' EIP-1559 parameters or minimum base fee are missing or invalid.
    #[error("invalid payload attributes: {0}")]
    InvalidAttributes(String),
    /// The payload does not convert to a block.
    #[error("malformed payload: {0}")]
    Payload(String),
    /// A field of the payload disagrees with the parent or with execution.
    #[error("payload {field} mismatch: payload has {got}, expected {expected}")]
    Mismatch {
        /// Header field.
        field: &'static str,
        /// Value in the payload.
        got: String,
        /// Value Keel computed.
        expected: String,
    },
}

/// The fields of the block to execute that do not come from execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInputs {
    /// Block timestamp.
    pub timestamp: u64,
    /// Fee recipient (`suggestedFeeRecipient`).
    pub beneficiary: Address,
    /// `prevRandao` (the header's `mixHash`).
    pub prev_randao: B256,
    /// Gas limit.
    pub gas_limit: u64,
    /// Header `extraData`.
    pub extra_data: Bytes,
    /// Parent beacon block root (Ecotone).
    pub parent_beacon_block_root: Option<B256>,
    /// Base fee.
    pub base_fee: u64,
}

/// An executed, sealed block with its post-state.
#[derive(Debug, Clone)]
pub struct ExecutedBlock {
    /// The sealed header.
    pub header: Sealed<Header>,
    /// The transactions, in block order.
    pub transactions: Vec<OpTxEnvelope>,
    /// The receipts, in block order.
    pub receipts: Vec<OpReceiptEnvelope>,
    /// The state after the block (its own hash already in the `BLOCKHASH` window).
    pub state: MemState,
    /// Pool transactions that were left out, with the reason (building only).
    pub skipped: Vec<(B256, String)>,
}

impl ExecutedBlock {
    /// The block hash.
    pub fn hash(&self) -> B256 {
        self.header.hash()
    }

    /// The block as an execution payload and its sidecar (what `getPayload` returns).
    pub fn to_payload(&self) -> (OpExecutionPayload, OpExecutionPayloadSidecar) {
        let block = alloy_consensus::Block {
            header: self.header.inner().clone(),
            body: BlockBody {
                transactions: self.transactions.clone(),
                ommers: Vec::new(),
                withdrawals: self.header.withdrawals_root.map(|_| Default::default()),
            },
        };
        OpExecutionPayload::from_block_unchecked(self.header.hash(), &block)
    }
}

/// The base fee of the block after `parent` at `timestamp`.
///
/// EIP-1559 with the OP parameters: from Holocene the parent's `extraData` carries them
/// (Spec: protocol/holocene/exec-engine.md#eip-1559-parameters-in-block-header), before it
/// the config's (Canyon denominator from Canyon); from Jovian the parent's `extraData` also
/// carries the minimum base fee the result is clamped to, and the gas metered is
/// `max(gasUsed, blobGasUsed)` (Spec: protocol/jovian/exec-engine.md#minimum-base-fee,
/// #da-footprint-block-limit).
pub fn next_base_fee(
    cfg: &RollupConfig,
    parent: &Header,
    timestamp: u64,
) -> Result<u64, ExecError> {
    let parent_jovian = cfg.is_active(Hardfork::Jovian, parent.timestamp);
    let (params, min_base_fee) = if parent_jovian {
        let (elasticity, denominator, min) =
            decode_jovian_extra_data(&parent.extra_data).map_err(ExecError::ParentExtraData)?;
        (
            BaseFeeParams::new(denominator.into(), elasticity.into()),
            min,
        )
    } else if cfg.is_active(Hardfork::Holocene, parent.timestamp) {
        let (elasticity, denominator) =
            decode_holocene_extra_data(&parent.extra_data).map_err(ExecError::ParentExtraData)?;
        (BaseFeeParams::new(denominator.into(), elasticity.into()), 0)
    } else {
        (cfg.base_fee_params(timestamp), 0)
    };
    let gas_metered = if parent_jovian {
        parent.gas_used.max(parent.blob_gas_used.unwrap_or(0))
    } else {
        parent.gas_used
    };
    let base = calc_next_block_base_fee(
        gas_metered,
        parent.gas_limit,
        parent.base_fee_per_gas.unwrap_or_default(),
        params,
    );
    Ok(base.max(min_base_fee))
}

/// The header `extraData` for a block at `timestamp` built from `attrs`: the protocol's rule
/// ([`RollupConfig::header_extra_data`]), shared with the engine controller's consolidation.
pub fn extra_data_for(
    cfg: &RollupConfig,
    attrs: &OpPayloadAttributes,
    timestamp: u64,
) -> Result<Bytes, ExecError> {
    cfg.header_extra_data(attrs.eip_1559_params, attrs.min_base_fee, timestamp)
        .map_err(|e| ExecError::InvalidAttributes(e.to_string()))
}

/// Decodes and recovers a list of EIP-2718 transactions.
pub fn decode_transactions(
    raw: &[Bytes],
) -> Result<Vec<WithEncoded<Recovered<OpTxEnvelope>>>, ExecError> {
    raw.iter()
        .enumerate()
        .map(|(index, bytes)| {
            let tx = OpTxEnvelope::decode_2718_exact(bytes).map_err(|e| ExecError::TxDecode {
                index,
                reason: e.to_string(),
            })?;
            let signer = recover(&tx).ok_or(ExecError::TxSigner { index })?;
            Ok(WithEncoded::new(
                bytes.clone(),
                Recovered::new_unchecked(tx, signer),
            ))
        })
        .collect()
}

/// The sender of `tx` (the `from` field of a deposit, the signer otherwise).
pub fn recover(tx: &OpTxEnvelope) -> Option<Address> {
    use alloy_consensus::transaction::SignerRecoverable;
    match tx {
        OpTxEnvelope::Deposit(d) => Some(d.from),
        other => other.recover_signer().ok(),
    }
}

/// Builds the block after `parent` from `attrs`: the attributes' transactions first (each
/// must be includable), then `pool` transactions unless `noTxPool` (those that do not fit or
/// fail validation are skipped, as a block builder does).
///
/// Spec: protocol/exec-engine.md#extended-payloadattributesv1.
pub fn build_block(
    cfg: &RollupConfig,
    parent: &Sealed<Header>,
    parent_state: &MemState,
    attrs: &OpPayloadAttributes,
    pool: &[Recovered<OpTxEnvelope>],
) -> Result<ExecutedBlock, ExecError> {
    let timestamp = attrs.payload_attributes.timestamp;
    let inputs = BlockInputs {
        timestamp,
        beneficiary: attrs.payload_attributes.suggested_fee_recipient,
        prev_randao: attrs.payload_attributes.prev_randao,
        gas_limit: attrs
            .gas_limit
            .ok_or_else(|| ExecError::InvalidAttributes("gasLimit missing".into()))?,
        extra_data: extra_data_for(cfg, attrs, timestamp)?,
        parent_beacon_block_root: attrs.payload_attributes.parent_beacon_block_root,
        base_fee: next_base_fee(cfg, parent, timestamp)?,
    };
    let forced = decode_transactions(attrs.transactions.as_deref().unwrap_or_default())?;
    let pool: Vec<_> = if attrs.no_tx_pool.unwrap_or(false) {
        Vec::new()
    } else {
        pool.iter()
            .filter(|tx| !tx.inner().is_deposit())
            .map(|tx| WithEncoded::new(tx.inner().encoded_2718().into(), tx.clone()))
            .collect()
    };
    execute(cfg, parent, parent_state, &inputs, forced, pool)
}

/// Executes a payload received through `newPayload` on `parent` and checks it: the block
/// hash must match the header built from the payload's fields, and every execution-derived
/// field (state root, receipts root, logs bloom, gas used, withdrawals root, blob gas used)
/// must match what execution produced; the base fee must follow from the parent.
///
/// Spec: protocol/exec-engine.md#engine_newpayloadv2 and later versions (op-geth's
/// `ExecutableDataToBlock` then block validation).
pub fn execute_payload(
    cfg: &RollupConfig,
    parent: &Sealed<Header>,
    parent_state: &MemState,
    payload: &OpExecutionPayload,
    sidecar: &OpExecutionPayloadSidecar,
) -> Result<ExecutedBlock, ExecError> {
    let block = payload
        .clone()
        .into_block_with_sidecar_raw(sidecar)
        .map_err(|e| ExecError::Payload(e.to_string()))?;
    let claimed = block.header.clone();
    let computed_hash = claimed.hash_slow();
    check("blockHash", payload.block_hash(), computed_hash)?;
    check("parentHash", claimed.parent_hash, parent.hash())?;
    check("number", claimed.number, parent.number.saturating_add(1))?;
    check_extra_data(cfg, &claimed)?;
    let base_fee = next_base_fee(cfg, parent, claimed.timestamp)?;
    check("baseFeePerGas", claimed.base_fee_per_gas, Some(base_fee))?;
    let inputs = BlockInputs {
        timestamp: claimed.timestamp,
        beneficiary: claimed.beneficiary,
        prev_randao: claimed.mix_hash,
        gas_limit: claimed.gas_limit,
        extra_data: claimed.extra_data.clone(),
        parent_beacon_block_root: claimed.parent_beacon_block_root,
        base_fee,
    };
    let txs = decode_transactions(&block.body.transactions)?;
    let executed = execute(cfg, parent, parent_state, &inputs, txs, Vec::new())?;
    let got = executed.header.inner();
    check("stateRoot", claimed.state_root, got.state_root)?;
    check("receiptsRoot", claimed.receipts_root, got.receipts_root)?;
    check("logsBloom", claimed.logs_bloom, got.logs_bloom)?;
    check("gasUsed", claimed.gas_used, got.gas_used)?;
    check(
        "transactionsRoot",
        claimed.transactions_root,
        got.transactions_root,
    )?;
    check(
        "withdrawalsRoot",
        claimed.withdrawals_root,
        got.withdrawals_root,
    )?;
    check("blobGasUsed", claimed.blob_gas_used, got.blob_gas_used)?;
    check("blockHash", computed_hash, executed.hash())?;
    Ok(executed)
}

/// The header's `extraData` must be well formed for its fork, with non-zero parameters, as
/// op-geth's header verification requires.
///
/// Spec: protocol/holocene/exec-engine.md#eip-1559-parameters-in-block-header ("denominator
/// and elasticity must be non-zero"), protocol/jovian/exec-engine.md#minimum-base-fee-in-block-header.
fn check_extra_data(cfg: &RollupConfig, header: &Header) -> Result<(), ExecError> {
    let params = if cfg.is_active(Hardfork::Jovian, header.timestamp) {
        decode_jovian_extra_data(&header.extra_data).map(|(e, d, _)| (e, d))
    } else if cfg.is_active(Hardfork::Holocene, header.timestamp) {
        decode_holocene_extra_data(&header.extra_data)
    } else {
        return Ok(());
    };
    match params {
        Ok((elasticity, denominator)) if elasticity != 0 && denominator != 0 => Ok(()),
        _ => Err(ExecError::Mismatch {
            field: "extraData",
            got: header.extra_data.to_string(),
            expected: "the fork's EIP-1559 extraData format with non-zero parameters".into(),
        }),
    }
}

fn check<T: PartialEq + core::fmt::Debug>(
    field: &'static str,
    got: T,
    expected: T,
) -> Result<(), ExecError> {
    if got == expected {
        Ok(())
    } else {
        Err(ExecError::Mismatch {
            field,
            got: format!("{got:?}"),
            expected: format!("{expected:?}"),
        })
    }
}

/// Runs the block's transactions on a copy of the parent state and seals the header.
fn execute(
    cfg: &RollupConfig,
    parent: &Sealed<Header>,
    parent_state: &MemState,
    inputs: &BlockInputs,
    forced: Vec<WithEncoded<Recovered<OpTxEnvelope>>>,
    pool: Vec<WithEncoded<Recovered<OpTxEnvelope>>>,
) -> Result<ExecutedBlock, ExecError> {
    let forks = ForkSchedule::new(cfg);
    let ts = inputs.timestamp;
    let number = parent.number.saturating_add(1);
    let spec = spec_by_timestamp_after_bedrock(forks, ts);
    let ecotone = cfg.is_active(Hardfork::Ecotone, ts);
    let env = EvmEnv::new(
        CfgEnv::new()
            .with_chain_id(cfg.l2_chain_id)
            .with_spec_and_mainnet_gas_params(spec),
        BlockEnv {
            number: U256::from(number),
            beneficiary: inputs.beneficiary,
            timestamp: U256::from(ts),
            difficulty: U256::ZERO,
            prevrandao: Some(inputs.prev_randao),
            gas_limit: inputs.gas_limit,
            basefee: inputs.base_fee,
            // OP Stack chains carry no blobs: excess blob gas stays 0 (Spec:
            // protocol/ecotone/exec-engine.md), so the blob base fee is the minimum.
            blob_excess_gas_and_price: ecotone.then_some(BlobExcessGasAndPrice {
                excess_blob_gas: 0,
                blob_gasprice: 1,
            }),
            slot_num: 0,
        },
    );
    let factory = OpBlockExecutorFactory::new(
        OpAlloyReceiptBuilder::default(),
        forks,
        OpEvmFactory::<OpTx>::default(),
    );
    let mut state = parent_state.clone();
    let mut transactions = Vec::with_capacity(forced.len() + pool.len());
    let mut skipped = Vec::new();
    let (receipts, gas_used, blob_gas_used) = {
        let evm = factory.evm_factory().create_evm(&mut state, env);
        let mut executor = factory.create_executor(
            evm,
            OpBlockExecutionCtx {
                parent_hash: parent.hash(),
                parent_beacon_block_root: inputs.parent_beacon_block_root,
                extra_data: inputs.extra_data.clone(),
            },
        );
        executor
            .apply_pre_execution_changes()
            .map_err(|e| ExecError::Block(e.to_string()))?;
        for (index, tx) in forced.into_iter().enumerate() {
            let envelope = tx.1.inner().clone();
            executor
                .execute_transaction(tx)
                .map_err(|e| ExecError::TxExecution {
                    index,
                    reason: e.to_string(),
                })?;
            transactions.push(envelope);
        }
        for tx in pool {
            let envelope = tx.1.inner().clone();
            match executor.execute_transaction(tx) {
                Ok(_) => transactions.push(envelope),
                Err(e) => skipped.push((envelope.tx_hash(), e.to_string())),
            }
        }
        let (_evm, result) = executor
            .finish()
            .map_err(|e| ExecError::Block(e.to_string()))?;
        (result.receipts, result.gas_used, result.blob_gas_used)
    };

    let mut logs_bloom = Bloom::ZERO;
    for r in &receipts {
        logs_bloom |= r.bloom();
    }
    let isthmus = cfg.is_active(Hardfork::Isthmus, ts);
    let withdrawals_root = if isthmus {
        // Spec: protocol/isthmus/exec-engine.md#l2tol1messagepasser-storage-root-in-header
        Some(state.storage_root(&L2_TO_L1_MESSAGE_PASSER))
    } else if cfg.is_active(Hardfork::Canyon, ts) {
        Some(EMPTY_ROOT_HASH)
    } else {
        None
    };
    let header = Header {
        parent_hash: parent.hash(),
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: inputs.beneficiary,
        state_root: state.state_root(),
        transactions_root: ordered_trie_root_with_encoder(&transactions, |tx, buf| {
            tx.encode_2718(buf)
        }),
        receipts_root: ordered_trie_root_with_encoder(&receipts, |r, buf| r.encode_2718(buf)),
        logs_bloom,
        difficulty: U256::ZERO,
        number,
        gas_limit: inputs.gas_limit,
        gas_used,
        timestamp: ts,
        extra_data: inputs.extra_data.clone(),
        mix_hash: inputs.prev_randao,
        nonce: B64::ZERO,
        base_fee_per_gas: Some(inputs.base_fee),
        withdrawals_root,
        // Spec: protocol/jovian/exec-engine.md#da-footprint-block-limit (0 from Ecotone).
        blob_gas_used: if cfg.is_active(Hardfork::Jovian, ts) {
            Some(blob_gas_used)
        } else {
            ecotone.then_some(0)
        },
        excess_blob_gas: ecotone.then_some(0),
        parent_beacon_block_root: inputs.parent_beacon_block_root,
        requests_hash: isthmus.then_some(EMPTY_REQUESTS_HASH),
        block_access_list_hash: None,
        slot_number: None,
    };
    let header = Sealed::new(header);
    state.push_block_hash(number, header.hash());
    Ok(ExecutedBlock {
        header,
        transactions,
        receipts,
        state,
        skipped,
    })
}
