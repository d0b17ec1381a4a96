//! Block reference and system config of an L2 block, read from its header and its
//! L1-attributes deposit.

use alloy_consensus::{Header, Sealed, Typed2718};
use alloy_primitives::B256;
use keel_protocol::{
    hardfork::Hardfork,
    l1_info::{L1BlockInfo, L1InfoError},
    rollup_config::RollupConfig,
    system_config::{EcotoneScalars, SystemConfig, encode_ecotone_scalar},
};
use op_alloy_consensus::{
    EIP1559ParamError, OpBlock, OpTxEnvelope, decode_holocene_extra_data, decode_jovian_extra_data,
};

use crate::{error::ErrorClass, types::L2BlockRef};

/// Why an L2 block does not yield a block reference or a system config.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum L2BlockError {
    /// The block at the genesis height is not the configured genesis block: the execution
    /// client follows another chain.
    #[error("L2 block {number} is {got}, but the rollup genesis is {expected}")]
    GenesisMismatch {
        /// Genesis number.
        number: u64,
        /// Configured genesis hash.
        expected: B256,
        /// Hash found.
        got: B256,
    },
    /// A non-genesis block without transactions: every L2 block starts with the L1-info
    /// deposit.
    #[error("L2 block {number} ({hash}) has no L1-info deposit")]
    MissingL1InfoTx {
        /// Block number.
        number: u64,
        /// Block hash.
        hash: B256,
    },
    /// The first transaction is not a deposit.
    #[error("first transaction of L2 block {number} ({hash}) has type {tx_type}, not a deposit")]
    FirstTxNotDeposit {
        /// Block number.
        number: u64,
        /// Block hash.
        hash: B256,
        /// The EIP-2718 type found.
        tx_type: u8,
    },
    /// The L1-info calldata does not decode in the format the fork schedule demands.
    #[error("L1-info deposit of L2 block {number} ({hash}): {source}")]
    L1Info {
        /// Block number.
        number: u64,
        /// Block hash.
        hash: B256,
        /// Why.
        source: L1InfoError,
    },
    /// The header's `extraData` does not hold valid Holocene / Jovian fee parameters.
    #[error("extraData of L2 block {number} ({hash}): {reason}")]
    ExtraData {
        /// Block number.
        number: u64,
        /// Block hash.
        hash: B256,
        /// Why.
        reason: ExtraDataError,
    },
    /// The block falls under a fork whose system-config recovery Keel does not implement.
    #[error("L2 block {number}: {fork:?} system-config recovery is not implemented")]
    UnsupportedFork {
        /// Block number.
        number: u64,
        /// The fork.
        fork: Hardfork,
    },
}

/// What is wrong with a header's `extraData`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtraDataError {
    /// Length or version byte (decoded by op-alloy).
    #[error("{0}")]
    Format(EIP1559ParamError),
    /// A zero denominator with a non-zero elasticity.
    #[error("zero EIP-1559 denominator with elasticity {elasticity}")]
    ZeroDenominator {
        /// The elasticity found.
        elasticity: u32,
    },
}

impl L2BlockError {
    /// The class: a block the execution client itself accepted cannot be read, so the
    /// engine follows another chain or is corrupt; restarting derivation would not help.
    pub const fn class(&self) -> ErrorClass {
        ErrorClass::Critical
    }
}

/// The block reference of an L2 block: at the genesis height the configured genesis (whose
/// hash must match; its L1 origin is the genesis L1 block, sequence number 0), elsewhere the
/// L1 origin and sequence number of the L1-info deposit, which must be `first_tx`.
///
/// Spec: protocol/deposits.md#l1-attributes-deposited-transaction (first transaction of
/// every L2 block); op-node `BlockRefFromHeaderAndDeposit`.
pub fn block_ref(
    cfg: &RollupConfig,
    header: &Sealed<Header>,
    first_tx: Option<&OpTxEnvelope>,
) -> Result<L2BlockRef, L2BlockError> {
    block_ref_of(cfg, header.inner(), header.hash(), first_tx)
}

fn block_ref_of(
    cfg: &RollupConfig,
    header: &Header,
    hash: B256,
    first_tx: Option<&OpTxEnvelope>,
) -> Result<L2BlockRef, L2BlockError> {
    let (l1_origin, sequence_number) = match genesis_check(cfg, header, hash)? {
        true => (cfg.genesis.l1, 0),
        false => {
            let info = l1_info(cfg, header, hash, first_tx)?;
            (
                keel_protocol::rollup_config::BlockId {
                    hash: info.block_hash(),
                    number: info.number(),
                },
                info.sequence_number(),
            )
        }
    };
    Ok(L2BlockRef {
        hash,
        number: header.number,
        parent_hash: header.parent_hash,
        timestamp: header.timestamp,
        l1_origin,
        sequence_number,
    })
}

/// [`block_ref`] of a whole block; `hash` is the block's hash as the execution client
/// reported it.
pub fn block_ref_from_block(
    cfg: &RollupConfig,
    hash: B256,
    block: &OpBlock,
) -> Result<L2BlockRef, L2BlockError> {
    block_ref_of(cfg, &block.header, hash, block.body.transactions.first())
}

/// The system config in force after an L2 block, recovered from the block: the genesis
/// config at genesis; otherwise the batcher and fee scalars from the L1-info deposit (after
/// Ecotone's activation block the two scalars are re-packed as a version-1 `scalar`, as
/// op-node does, since the deposit no longer says which version L1 used), the gas limit from
/// the header, the EIP-1559 parameters (Holocene) and minimum base fee (Jovian) from the
/// header's `extraData`, the operator fee (Isthmus) and DA footprint scalar (Jovian) from
/// the deposit.
///
/// Spec: protocol/system-config.md, protocol/holocene/exec-engine.md#eip-1559-parameters-in-block-header,
/// protocol/jovian/exec-engine.md#minimum-base-fee-in-block-header,
/// protocol/isthmus/l1-attributes.md, protocol/jovian/l1-attributes.md;
/// op-node `SystemConfigFromHeaderAndDeposit`.
pub fn system_config(
    cfg: &RollupConfig,
    header: &Sealed<Header>,
    first_tx: Option<&OpTxEnvelope>,
) -> Result<SystemConfig, L2BlockError> {
    system_config_of(cfg, header.inner(), header.hash(), first_tx)
}

fn system_config_of(
    cfg: &RollupConfig,
    header: &Header,
    hash: B256,
    first_tx: Option<&OpTxEnvelope>,
) -> Result<SystemConfig, L2BlockError> {
    if genesis_check(cfg, header, hash)? {
        return Ok(cfg.genesis.system_config);
    }
    let number = header.number;
    let time = header.timestamp;
    let info = l1_info(cfg, header, hash, first_tx)?;
    let mut sys = SystemConfig {
        batcher_addr: info.batcher_address(),
        gas_limit: header.gas_limit,
        ..Default::default()
    };
    // The Ecotone activation block still carries a Bedrock-format deposit, whose scalar is
    // kept as is; later formats are re-packed (op-node `isEcotoneButNotFirstBlock`).
    match info {
        L1BlockInfo::Bedrock(b) => {
            sys.overhead = B256::from(b.l1_fee_overhead);
            sys.scalar = B256::from(b.l1_fee_scalar);
        }
        L1BlockInfo::Ecotone(i) => {
            sys.scalar = ecotone_scalar(i.blob_base_fee_scalar, i.base_fee_scalar);
        }
        L1BlockInfo::Isthmus(i) => {
            sys.scalar = ecotone_scalar(i.blob_base_fee_scalar, i.base_fee_scalar);
        }
        L1BlockInfo::Jovian(i) => {
            sys.scalar = ecotone_scalar(i.blob_base_fee_scalar, i.base_fee_scalar);
        }
    }
    // op-node strips Karst's one-time upgrade gas from the activation block's gas limit
    // unless the chain keeps it; that gas amount is not implemented here.
    if cfg.is_activation_block(Hardfork::Karst, time) && !cfg.keep_karst_upgrade_gas {
        return Err(L2BlockError::UnsupportedFork {
            number,
            fork: Hardfork::Karst,
        });
    }
    let extra_err = |reason| L2BlockError::ExtraData {
        number,
        hash,
        reason,
    };
    if cfg.is_active(Hardfork::Jovian, time) {
        let (elasticity, denominator, min_base_fee) = decode_jovian_extra_data(&header.extra_data)
            .map_err(|e| extra_err(ExtraDataError::Format(e)))?;
        check_params(denominator, elasticity).map_err(extra_err)?;
        sys.set_eip1559_params(denominator, elasticity);
        sys.min_base_fee = min_base_fee;
    } else if cfg.is_active(Hardfork::Holocene, time) {
        let (elasticity, denominator) = decode_holocene_extra_data(&header.extra_data)
            .map_err(|e| extra_err(ExtraDataError::Format(e)))?;
        check_params(denominator, elasticity).map_err(extra_err)?;
        sys.set_eip1559_params(denominator, elasticity);
    }
    match info {
        L1BlockInfo::Isthmus(i) => {
            sys.set_operator_fee(i.operator_fee_scalar, i.operator_fee_constant);
        }
        L1BlockInfo::Jovian(i) => {
            sys.set_operator_fee(i.operator_fee_scalar, i.operator_fee_constant);
            sys.da_footprint_gas_scalar = i.da_footprint_gas_scalar;
        }
        _ => {}
    }
    Ok(sys)
}

/// [`system_config`] of a whole block; `hash` is the block's hash as the execution client
/// reported it.
pub fn system_config_from_block(
    cfg: &RollupConfig,
    hash: B256,
    block: &OpBlock,
) -> Result<SystemConfig, L2BlockError> {
    system_config_of(cfg, &block.header, hash, block.body.transactions.first())
}

/// `true` at the genesis height (after checking the hash), `false` elsewhere.
fn genesis_check(cfg: &RollupConfig, header: &Header, hash: B256) -> Result<bool, L2BlockError> {
    let genesis = cfg.genesis.l2;
    if header.number != genesis.number {
        return Ok(false);
    }
    if hash != genesis.hash {
        return Err(L2BlockError::GenesisMismatch {
            number: genesis.number,
            expected: genesis.hash,
            got: hash,
        });
    }
    Ok(true)
}

/// The decoded L1-info deposit, in the format the fork schedule demands for the block
/// (op-node `L1BlockInfoFromBytes`).
fn l1_info(
    cfg: &RollupConfig,
    header: &Header,
    hash: B256,
    first_tx: Option<&OpTxEnvelope>,
) -> Result<L1BlockInfo, L2BlockError> {
    let number = header.number;
    let tx = first_tx.ok_or(L2BlockError::MissingL1InfoTx { number, hash })?;
    let OpTxEnvelope::Deposit(deposit) = tx else {
        return Err(L2BlockError::FirstTxNotDeposit {
            number,
            hash,
            tx_type: tx.ty(),
        });
    };
    L1BlockInfo::decode_for_block(cfg, header.timestamp, &deposit.inner().input).map_err(|source| {
        L2BlockError::L1Info {
            number,
            hash,
            source,
        }
    })
}

fn ecotone_scalar(blob_base_fee_scalar: u32, base_fee_scalar: u32) -> B256 {
    encode_ecotone_scalar(EcotoneScalars {
        blob_base_fee_scalar,
        base_fee_scalar,
    })
}

/// A zero denominator is only valid with a zero elasticity (both zero means "use the
/// chain's defaults").
///
/// Spec: protocol/holocene/exec-engine.md#eip-1559-parameters-in-block-header
fn check_params(denominator: u32, elasticity: u32) -> Result<(), ExtraDataError> {
    if denominator == 0 && elasticity != 0 {
        return Err(ExtraDataError::ZeroDenominator { elasticity });
    }
    Ok(())
}
