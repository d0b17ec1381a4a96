//! Building the L1-attributes deposit of a new L2 block.
//!
//! Spec: protocol/deposits.md#l1-attributes-deposited-transaction and the fork
//! `l1-attributes.md` pages; protocol/pectra-blob-schedule/derivation.md for the blob base
//! fee.

use alloy_consensus::{Header, Sealed};
use alloy_eips::eip7840::BlobParams;
use alloy_primitives::{Address, B256, TxKind, U256, address};
use op_alloy_consensus::{L1InfoDepositSource, TxDeposit};

use super::{
    L1BlockInfo, L1BlockInfoBedrock, L1BlockInfoEcotone, L1BlockInfoIsthmus, L1BlockInfoJovian,
    L1InfoError, L1InfoFormat,
};
use crate::{hardfork::Hardfork, rollup_config::RollupConfig, system_config::SystemConfig};

/// The L1-attributes depositor account, the sender of the deposit.
///
/// Spec: protocol/deposits.md#l1-attributes-depositor-account
pub const L1_INFO_DEPOSITOR: Address = address!("0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001");

/// The `L1Block` predeploy, the deposit's recipient.
///
/// Spec: protocol/predeploys.md#l1block
pub const L1_BLOCK_PREDEPLOY: Address = address!("0x4200000000000000000000000000000000000015");

/// Gas limit of the L1-attributes deposit before Regolith (a system transaction).
///
/// Spec: protocol/deposits.md#l1-attributes-deposited-transaction
pub const SYSTEM_TX_GAS_PRE_REGOLITH: u64 = 150_000_000;

/// Gas limit of the L1-attributes deposit from Regolith on.
///
/// Spec: protocol/regolith/overview.md, protocol/deposits.md#l1-attributes-deposited-transaction
pub const SYSTEM_TX_GAS_REGOLITH: u64 = 1_000_000;

/// How the L1 origin's blob base fee is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L1BlobFee {
    /// L1 had no blobs yet at the origin (no `excess_blob_gas`): the deposit carries 1, the
    /// EIP-4844 minimum.
    PreCancun,
    /// Computed from the origin header's excess blob gas with the blob parameters L1 itself
    /// used at that block (Cancun, Prague, Osaka, a BPO fork). A rollup config with a
    /// `pectra_blob_schedule_time` overrides them with Cancun's before that time.
    Excess {
        /// The header's `excess_blob_gas`.
        excess_blob_gas: u64,
        /// L1's blob parameters at that block.
        l1_params: BlobParams,
    },
    /// Already known (for example read back from an existing L1-attributes deposit).
    Known(U256),
}

/// The L1 origin facts the L1-attributes deposit carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L1Origin {
    /// Block number.
    pub number: u64,
    /// Block timestamp.
    pub timestamp: u64,
    /// Block hash.
    pub hash: B256,
    /// Base fee (`base_fee_per_gas`).
    pub base_fee: U256,
    /// Blob base fee source.
    pub blob_fee: L1BlobFee,
}

impl L1Origin {
    /// The origin facts of a sealed L1 header (its hash is the seal's, not recomputed: the
    /// attributes builder calls this once per L2 block). L1's blob schedule is inferred as
    /// Prague when the header has a `requests_hash` (EIP-7685, Prague on) and Cancun
    /// otherwise; [`Self::from_l1_header`] knows better for the public L1s, and a caller that
    /// knows L1's parameters sets [`L1BlobFee::Excess`] itself.
    pub fn from_header(header: &Sealed<Header>) -> Self {
        let blob_fee = match header.excess_blob_gas {
            None => L1BlobFee::PreCancun,
            Some(excess_blob_gas) => L1BlobFee::Excess {
                excess_blob_gas,
                l1_params: if header.requests_hash.is_some() {
                    BlobParams::prague()
                } else {
                    BlobParams::cancun()
                },
            },
        };
        Self {
            number: header.number,
            timestamp: header.timestamp,
            hash: header.hash(),
            base_fee: U256::from(header.base_fee_per_gas.unwrap_or_default()),
            blob_fee,
        }
    }

    /// The origin facts of a header of L1 chain `l1_chain_id`: like [`Self::from_header`],
    /// but with L1's real blob parameters at that block when Keel knows the chain's blob
    /// schedule ([`crate::l1_blob_schedule`]), so blocks after a BPO fork get the right
    /// blob base fee.
    pub fn from_l1_header(header: &Sealed<Header>, l1_chain_id: u64) -> Self {
        let mut origin = Self::from_header(header);
        if let (Some(excess_blob_gas), Some(l1_params)) = (
            header.excess_blob_gas,
            crate::l1_blob_schedule::known_l1_blob_params(l1_chain_id, header.timestamp),
        ) {
            origin.blob_fee = L1BlobFee::Excess {
                excess_blob_gas,
                l1_params,
            };
        }
        origin
    }

    /// The blob base fee the L1-attributes deposit reports for this origin.
    ///
    /// Spec: protocol/ecotone/l1-attributes.md (1 before L1 has blobs),
    /// protocol/pectra-blob-schedule/derivation.md (Cancun's update fraction for origins
    /// before the schedule's time, if the chain has one).
    pub fn blob_base_fee(&self, cfg: &RollupConfig) -> U256 {
        match self.blob_fee {
            L1BlobFee::PreCancun => U256::from(1),
            L1BlobFee::Known(fee) => fee,
            L1BlobFee::Excess {
                excess_blob_gas,
                l1_params,
            } => {
                let params = if cfg.pectra_blob_schedule_forces_cancun(self.timestamp) {
                    BlobParams::cancun()
                } else {
                    l1_params
                };
                U256::from(params.calc_blob_fee(excess_blob_gas))
            }
        }
    }
}

/// The L1-attributes format of the L2 block at `l2_timestamp`.
///
/// A fork's activation block still uses the previous format, because the upgrade
/// transactions that install the new `L1Block` code run after the L1-attributes deposit.
///
/// Spec: protocol/ecotone/l1-attributes.md, protocol/isthmus/l1-attributes.md,
/// protocol/jovian/l1-attributes.md (activation block rules).
pub fn l1_info_format(cfg: &RollupConfig, l2_timestamp: u64) -> L1InfoFormat {
    let past_activation =
        |fork| cfg.is_active(fork, l2_timestamp) && !cfg.is_activation_block(fork, l2_timestamp);
    if past_activation(Hardfork::Jovian) {
        L1InfoFormat::Jovian
    } else if past_activation(Hardfork::Isthmus) {
        L1InfoFormat::Isthmus
    } else if past_activation(Hardfork::Ecotone) {
        L1InfoFormat::Ecotone
    } else {
        L1InfoFormat::Bedrock
    }
}

/// The L1-attributes values of a new L2 block: origin `origin`, `sequence_number` blocks
/// into the epoch, at `l2_timestamp`, under `system_config`.
///
/// Spec: protocol/deposits.md#l1-attributes-deposited-transaction and the fork
/// `l1-attributes.md` pages.
pub fn l1_block_info(
    cfg: &RollupConfig,
    system_config: &SystemConfig,
    origin: &L1Origin,
    sequence_number: u64,
    l2_timestamp: u64,
) -> Result<L1BlockInfo, L1InfoError> {
    let format = l1_info_format(cfg, l2_timestamp);
    if format == L1InfoFormat::Bedrock {
        return Ok(L1BlockInfo::Bedrock(L1BlockInfoBedrock {
            number: origin.number,
            timestamp: origin.timestamp,
            base_fee: origin.base_fee,
            block_hash: origin.hash,
            sequence_number,
            batcher_address: system_config.batcher_addr,
            l1_fee_overhead: system_config.overhead.into(),
            l1_fee_scalar: system_config.scalar.into(),
        }));
    }
    let scalars = system_config
        .ecotone_scalars()
        .map_err(|_| L1InfoError::InvalidScalar(system_config.scalar))?;
    let (base_fee_scalar, blob_base_fee_scalar) =
        (scalars.base_fee_scalar, scalars.blob_base_fee_scalar);
    let head = L1BlockInfoEcotone {
        number: origin.number,
        timestamp: origin.timestamp,
        base_fee: origin.base_fee,
        block_hash: origin.hash,
        sequence_number,
        batcher_address: system_config.batcher_addr,
        blob_base_fee: origin.blob_base_fee(cfg),
        base_fee_scalar,
        blob_base_fee_scalar,
    };
    let isthmus = L1BlockInfoIsthmus::from_parts(
        head,
        system_config.operator_fee_scalar(),
        system_config.operator_fee_constant(),
    );
    Ok(match format {
        L1InfoFormat::Bedrock | L1InfoFormat::Ecotone => L1BlockInfo::Ecotone(head),
        L1InfoFormat::Isthmus => L1BlockInfo::Isthmus(isthmus),
        L1InfoFormat::Jovian => L1BlockInfo::Jovian(L1BlockInfoJovian::from_parts(
            isthmus,
            system_config.effective_da_footprint_gas_scalar(),
        )),
    })
}

/// The L1-attributes deposit transaction carrying `info`, for a block at `l2_timestamp`.
///
/// Spec: protocol/deposits.md#l1-attributes-deposited-transaction — from the depositor
/// account to the `L1Block` predeploy, no mint or value, source hash from the L1 block hash
/// and sequence number; a 150M-gas system transaction before Regolith, a 1M-gas ordinary
/// deposit after.
pub fn l1_info_deposit_from_info(
    cfg: &RollupConfig,
    info: &L1BlockInfo,
    l2_timestamp: u64,
) -> TxDeposit {
    let regolith = cfg.is_active(Hardfork::Regolith, l2_timestamp);
    TxDeposit {
        source_hash: L1InfoDepositSource::new(info.block_hash(), info.sequence_number())
            .source_hash(),
        from: L1_INFO_DEPOSITOR,
        to: TxKind::Call(L1_BLOCK_PREDEPLOY),
        mint: 0,
        value: U256::ZERO,
        gas_limit: if regolith {
            SYSTEM_TX_GAS_REGOLITH
        } else {
            SYSTEM_TX_GAS_PRE_REGOLITH
        },
        is_system_transaction: !regolith,
        input: info.encode(),
    }
}

/// The L1-attributes deposit transaction of a new L2 block (see [`l1_block_info`]).
pub fn l1_info_deposit(
    cfg: &RollupConfig,
    system_config: &SystemConfig,
    origin: &L1Origin,
    sequence_number: u64,
    l2_timestamp: u64,
) -> Result<TxDeposit, L1InfoError> {
    let info = l1_block_info(cfg, system_config, origin, sequence_number, l2_timestamp)?;
    Ok(l1_info_deposit_from_info(cfg, &info, l2_timestamp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::Sealable;
    use alloy_primitives::b256;

    #[test]
    fn scalars_follow_op_node() {
        let scalars = |scalar: B256| {
            SystemConfig {
                scalar,
                ..Default::default()
            }
            .ecotone_scalars()
            .map(|s| (s.base_fee_scalar, s.blob_base_fee_scalar))
        };
        assert_eq!(scalars(B256::with_last_byte(7)).unwrap(), (7, 0));
        let dirty = b256!("0x0000000000000000000000000000000000000000000000000000000100000007");
        assert_eq!(scalars(dirty).unwrap(), (u32::MAX, 0));
        let v1 = b256!("0x010000000000000000000000000000000000000000000000000c5fc500000558");
        assert_eq!(scalars(v1).unwrap(), (1368, 810_949));
        let v1_dirty = b256!("0x010000000000000000000000000000000000000000000001000c5fc500000558");
        assert!(scalars(v1_dirty).is_err());
        assert!(scalars(B256::repeat_byte(2)).is_err());
    }

    #[test]
    fn known_l1_blob_schedule_beats_header_inference() {
        use alloy_hardforks::ethereum::mainnet::MAINNET_BPO2_TIMESTAMP;
        let header = Header {
            timestamp: MAINNET_BPO2_TIMESTAMP + 12,
            excess_blob_gas: Some(80_000_000),
            requests_hash: Some(B256::ZERO),
            ..Default::default()
        }
        .seal_slow();
        let cfg = RollupConfig::default();
        let bpo2 = U256::from(BlobParams::bpo2().calc_blob_fee(80_000_000));
        let prague = U256::from(BlobParams::prague().calc_blob_fee(80_000_000));
        assert_ne!(bpo2, prague);
        assert_eq!(
            L1Origin::from_l1_header(&header, 1).blob_base_fee(&cfg),
            bpo2
        );
        // An L1 Keel has no schedule for falls back to the header's hint (Prague).
        assert_eq!(
            L1Origin::from_l1_header(&header, 900).blob_base_fee(&cfg),
            prague
        );
    }
}
