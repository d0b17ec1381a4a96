//! op-geth's extra receipt fields: the L1 data fee of each non-deposit transaction and the
//! L1 parameters it was priced with, from the block's L1-attributes transaction; from
//! Jovian the DA footprint scalar and the transaction's DA footprint as `blobGasUsed`.
//!
//! Spec: protocol/exec-engine.md#l1-cost-fees-l1-fee-vault, protocol/fjord/exec-engine.md#fees,
//! protocol/isthmus/exec-engine.md#operator-fees, protocol/jovian/exec-engine.md#da-footprint-block-limit;
//! the fields and their presence are op-geth's (`deriveOPStackFields`).

use alloy_consensus::Header;
use alloy_eips::eip2718::Encodable2718;
use alloy_op_evm::spec_by_timestamp_after_bedrock;
use alloy_primitives::{U64, U256};
use keel_protocol::l1_info::L1BlockInfo as ProtocolInfo;
use op_alloy_consensus::{OpReceiptEnvelope, OpTxEnvelope};
use op_alloy_rpc_types::L1BlockInfo as RpcInfo;
use op_revm::{L1BlockInfo, OpSpecId, estimate_tx_compressed_size};
use serde::Serialize;

use crate::{chain::Chain, forks::ForkSchedule, rpc::BlockRef};

/// The OP fields of a receipt, flattened beside the standard ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpReceiptExtra {
    /// `l1GasPrice`, `l1Fee`, the scalars, ... (absent for deposits).
    #[serde(flatten)]
    pub l1: RpcInfo,
    /// Jovian: the transaction's DA footprint (op-geth reports it as `blobGasUsed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_gas_used: Option<U64>,
}

/// op-revm's L1 pricing state for a block, read from its L1-attributes transaction (the
/// block's first transaction), the values op-geth prices the block's transactions with.
///
/// One edge is not covered: an Ecotone block whose scalars are still unset falls back to
/// the Bedrock overhead, which only L1Block storage holds; it is taken as zero here.
pub fn block_l1_info(header: &Header, transactions: &[OpTxEnvelope]) -> Option<L1BlockInfo> {
    let OpTxEnvelope::Deposit(deposit) = transactions.first()? else {
        return None;
    };
    let info = ProtocolInfo::decode(&deposit.input).ok()?;
    let mut out = L1BlockInfo {
        l2_block: Some(U256::from(header.number)),
        ..Default::default()
    };
    match info {
        ProtocolInfo::Bedrock(i) => {
            out.l1_base_fee = i.base_fee;
            out.l1_fee_overhead = Some(i.l1_fee_overhead);
            out.l1_base_fee_scalar = i.l1_fee_scalar;
        }
        ProtocolInfo::Ecotone(i) => {
            ecotone(
                &mut out,
                i.base_fee,
                i.blob_base_fee,
                i.base_fee_scalar,
                i.blob_base_fee_scalar,
            );
        }
        ProtocolInfo::Isthmus(i) => {
            ecotone(
                &mut out,
                i.base_fee,
                i.blob_base_fee,
                i.base_fee_scalar,
                i.blob_base_fee_scalar,
            );
            out.operator_fee_scalar = Some(U256::from(i.operator_fee_scalar));
            out.operator_fee_constant = Some(U256::from(i.operator_fee_constant));
        }
        ProtocolInfo::Jovian(i) => {
            ecotone(
                &mut out,
                i.base_fee,
                i.blob_base_fee,
                i.base_fee_scalar,
                i.blob_base_fee_scalar,
            );
            out.operator_fee_scalar = Some(U256::from(i.operator_fee_scalar));
            out.operator_fee_constant = Some(U256::from(i.operator_fee_constant));
            out.da_footprint_gas_scalar = Some(i.da_footprint_gas_scalar);
        }
    }
    Some(out)
}

fn ecotone(
    out: &mut L1BlockInfo,
    base_fee: U256,
    blob_base_fee: U256,
    scalar: u32,
    blob_scalar: u32,
) {
    out.l1_base_fee = base_fee;
    out.l1_base_fee_scalar = U256::from(scalar);
    out.l1_blob_base_fee = Some(blob_base_fee);
    out.l1_blob_base_fee_scalar = Some(U256::from(blob_scalar));
    out.empty_ecotone_scalars = blob_base_fee.is_zero() && scalar == 0 && blob_scalar == 0;
}

fn to_u128(v: U256) -> u128 {
    v.saturating_to()
}

/// The OP fields of the receipt of transaction `index` of `block`: none for a deposit, nor
/// for any transaction of a deposit-only block (op-geth derives nothing then).
pub(super) fn receipt_extra(
    chain: &Chain,
    block: BlockRef<'_, OpTxEnvelope, OpReceiptEnvelope>,
    index: usize,
) -> OpReceiptExtra {
    let Some(tx) = block.transactions.get(index) else {
        return OpReceiptExtra::default();
    };
    if tx.is_deposit() {
        return OpReceiptExtra::default();
    }
    let Some(mut info) = block_l1_info(block.header, block.transactions) else {
        return OpReceiptExtra::default();
    };
    let spec = spec_by_timestamp_after_bedrock(
        ForkSchedule::new(chain.rollup_config()),
        block.header.timestamp,
    );
    let raw = tx.encoded_2718();
    let fee = info.calculate_tx_l1_cost(&raw, spec);
    let mut gas_used = info.data_gas(&raw, spec);
    if !spec.is_enabled_in(OpSpecId::ECOTONE) || info.empty_ecotone_scalars {
        gas_used = gas_used.saturating_add(info.l1_fee_overhead.unwrap_or_default());
    }
    let operator = (info.operator_fee_scalar, info.operator_fee_constant);
    let operator_set = matches!(operator, (Some(s), Some(c)) if !s.is_zero() || !c.is_zero());
    let ecotone = spec.is_enabled_in(OpSpecId::ECOTONE);
    let l1 = RpcInfo {
        l1_gas_price: Some(to_u128(info.l1_base_fee)),
        l1_gas_used: Some(to_u128(gas_used)),
        l1_fee: Some(to_u128(fee)),
        // Pre-Ecotone op-geth reports the scalar as a decimal (scalar / 1e6).
        l1_fee_scalar: (!ecotone).then(|| to_u128(info.l1_base_fee_scalar) as f64 / 1e6),
        l1_base_fee_scalar: ecotone.then(|| to_u128(info.l1_base_fee_scalar)),
        l1_blob_base_fee: info.l1_blob_base_fee.map(to_u128),
        l1_blob_base_fee_scalar: info.l1_blob_base_fee_scalar.map(to_u128),
        operator_fee_scalar: operator_set.then(|| operator.0.map(to_u128)).flatten(),
        operator_fee_constant: operator_set.then(|| operator.1.map(to_u128)).flatten(),
        da_footprint_gas_scalar: info.da_footprint_gas_scalar,
    };
    // Jovian: DA footprint = scalar × estimated compressed size (Spec:
    // protocol/jovian/exec-engine.md#da-footprint-block-limit).
    let blob_gas_used = info.da_footprint_gas_scalar.map(|scalar| {
        let size = estimate_tx_compressed_size(&raw) / 1_000_000;
        U64::from(u64::from(scalar).saturating_mul(size))
    });
    OpReceiptExtra { l1, blob_gas_used }
}
