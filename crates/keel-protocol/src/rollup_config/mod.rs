//! The rollup configuration: op-node's `rollup.json`.
//!
//! Spec: protocol/rollup-node.md, protocol/derivation.md#protocol-parameters, and each
//! fork's derivation changes (protocol/fjord/derivation.md, protocol/granite/derivation.md,
//! protocol/pectra-blob-schedule/derivation.md).
//!
//! # Layout
//!
//! - this file: the types and the fork-dependent protocol parameters;
//! - `json`: parsing `rollup.json` (op-node's fields and kona's superset);
//! - `write`: writing it back in op-node's form;
//! - `validate`: op-node's `Config.Check()` as typed errors.

mod extra_data;
mod json;
mod validate;
mod write;

use alloy_eips::eip1559::BaseFeeParams;
use alloy_primitives::{Address, B256};

pub use extra_data::ExtraDataError;
pub use json::{MAX_ROLLUP_JSON_BYTES, ParseError};
pub use validate::ValidationError;

use crate::{
    hardfork::{Hardfork, HardforkTimes},
    system_config::SystemConfig,
};

pub use crate::compression::{MAX_RLP_BYTES_PER_CHANNEL_BEDROCK, MAX_RLP_BYTES_PER_CHANNEL_FJORD};

/// Maximum sequencer drift from Fjord on, in seconds; before Fjord it is the chain's
/// `max_sequencer_drift`.
///
/// Spec: protocol/fjord/derivation.md#constant-maximum-sequencer-drift
pub const MAX_SEQUENCER_DRIFT_FJORD: u64 = 1800;
/// `MAX_CHANNEL_BANK_SIZE` before Fjord.
///
/// Spec: protocol/derivation.md#protocol-parameters
pub const MAX_CHANNEL_BANK_SIZE_BEDROCK: u64 = 100_000_000;
/// `MAX_CHANNEL_BANK_SIZE` from Fjord on.
///
/// Spec: protocol/fjord/derivation.md#increasing-max_rlp_bytes_per_channel-and-max_channel_bank_size
pub const MAX_CHANNEL_BANK_SIZE_FJORD: u64 = 1_000_000_000;
pub use crate::batch::MAX_SPAN_BATCH_ELEMENT_COUNT;
/// `CHANNEL_TIMEOUT` from Granite on, in L1 blocks.
///
/// Spec: protocol/granite/derivation.md#reduce-channel-timeout
pub const GRANITE_CHANNEL_TIMEOUT: u64 = 50;

/// A block identifier: hash and number (op-node's `eth.BlockID`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(deny_unknown_fields)]
pub struct BlockId {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    pub number: u64,
}

/// The chain's genesis anchors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChainGenesis {
    /// The L1 block the rollup starts deriving from.
    pub l1: BlockId,
    /// The L2 genesis block.
    pub l2: BlockId,
    /// Timestamp of the L2 genesis block.
    pub l2_time: u64,
    /// System config at genesis.
    pub system_config: SystemConfig,
}

/// EIP-1559 parameters of the chain before Holocene moved them into the system config
/// (op-geth's `params.OptimismConfig`, `chain_op_config` in `rollup.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainOpConfig {
    /// `eip1559Elasticity`
    pub eip1559_elasticity: u64,
    /// `eip1559Denominator` (before Canyon)
    pub eip1559_denominator: u64,
    /// `eip1559DenominatorCanyon`
    pub eip1559_denominator_canyon: u64,
}

impl Default for ChainOpConfig {
    /// The superchain's standard values (OP Mainnet's): elasticity 6, denominator 50,
    /// Canyon denominator 250.
    fn default() -> Self {
        Self {
            eip1559_elasticity: 6,
            eip1559_denominator: 50,
            eip1559_denominator_canyon: 250,
        }
    }
}

/// Where a config's [`ChainOpConfig`] came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ChainOpConfigOrigin {
    /// The file's `chain_op_config`.
    #[default]
    File,
    /// The file had none; taken from the built-in preset with the same L2 chain id (as
    /// op-node loads it from the superchain registry).
    Preset(&'static str),
    /// The file had none and no preset matched; the superchain standard values were used
    /// (kona's default). A node should warn.
    StandardDefault,
}

/// Which data-availability commitments an alt-DA chain accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitmentType {
    /// `KeccakCommitment`
    Keccak,
    /// `GenericCommitment`
    Generic,
}

impl CommitmentType {
    /// op-node's spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Keccak => "KeccakCommitment",
            Self::Generic => "GenericCommitment",
        }
    }
}

/// op-node's `AltDAConfig` (`alt_da`). Keel does not derive alt-DA chains; the section is
/// parsed and checked so such configs load and round-trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AltDaConfig {
    /// `da_challenge_contract_address` (kona: `da_challenge_address`).
    pub da_challenge_address: Option<Address>,
    /// `da_commitment_type`
    pub commitment_type: CommitmentType,
    /// `da_challenge_window`
    pub da_challenge_window: u64,
    /// `da_resolve_window`
    pub da_resolve_window: u64,
}

/// Fields kona writes into `rollup.json` that op-node does not have. They are kept so a
/// kona file loads, but [`RollupConfig::to_json`] does not write them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KonaExtras {
    /// `superchain_config_address`
    pub superchain_config_address: Option<Address>,
    /// `interop_message_expiry_window`
    pub interop_message_expiry_window: Option<u64>,
    /// `blobs_data`
    pub blobs_data: Option<u64>,
    /// top-level `da_challenge_address`
    pub da_challenge_address: Option<Address>,
}

/// A parsed rollup configuration. [`RollupConfig::from_json`] parses and
/// [`RollupConfig::validate`] checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupConfig {
    /// Genesis anchors and system config.
    pub genesis: ChainGenesis,
    /// Seconds between L2 blocks.
    pub block_time: u64,
    /// Pre-Fjord maximum sequencer drift in seconds (Fjord fixes it at 1800).
    pub max_sequencer_drift: u64,
    /// Sequencing window, in L1 blocks.
    pub seq_window_size: u64,
    /// Pre-Granite channel timeout, in L1 blocks.
    pub channel_timeout: u64,
    /// Granite channel timeout, in L1 blocks: [`GRANITE_CHANNEL_TIMEOUT`] unless a kona file
    /// says otherwise (`granite_channel_timeout`).
    pub granite_channel_timeout: u64,
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// L2 chain id.
    pub l2_chain_id: u64,
    /// Fork activation times.
    pub hardforks: HardforkTimes,
    /// `keep_karst_upgrade_gas`: keep the Karst activation block's upgrade gas in the gas
    /// limit of later blocks (op-node v1.19.1+, registry `[hardforks]`).
    pub keep_karst_upgrade_gas: bool,
    /// The L1 address batchers post to.
    pub batch_inbox_address: Address,
    /// The L1 `OptimismPortal` whose `TransactionDeposited` logs are deposits.
    pub deposit_contract_address: Address,
    /// The L1 `SystemConfig` contract whose `ConfigUpdate` logs change the system config.
    pub l1_system_config_address: Address,
    /// The L1 `ProtocolVersions` contract, if any.
    pub protocol_versions_address: Option<Address>,
    /// Alt-DA settings, if the chain uses alt-DA.
    pub alt_da: Option<AltDaConfig>,
    /// EIP-1559 parameters before Holocene.
    pub chain_op_config: ChainOpConfig,
    /// Where `chain_op_config` came from.
    pub chain_op_config_origin: ChainOpConfigOrigin,
    /// kona-only fields, kept as read.
    pub kona: KonaExtras,
}

impl Default for RollupConfig {
    fn default() -> Self {
        Self {
            genesis: ChainGenesis::default(),
            block_time: 0,
            max_sequencer_drift: 0,
            seq_window_size: 0,
            channel_timeout: 0,
            granite_channel_timeout: GRANITE_CHANNEL_TIMEOUT,
            l1_chain_id: 0,
            l2_chain_id: 0,
            hardforks: HardforkTimes::default(),
            keep_karst_upgrade_gas: false,
            batch_inbox_address: Address::ZERO,
            deposit_contract_address: Address::ZERO,
            l1_system_config_address: Address::ZERO,
            protocol_versions_address: None,
            alt_da: None,
            chain_op_config: ChainOpConfig::default(),
            chain_op_config_origin: ChainOpConfigOrigin::File,
            kona: KonaExtras::default(),
        }
    }
}

impl RollupConfig {
    /// Whether `fork` is active at L2 timestamp `timestamp`.
    pub const fn is_active(&self, fork: Hardfork, timestamp: u64) -> bool {
        self.hardforks.is_active(fork, timestamp)
    }

    /// Whether the L2 block at `timestamp` is `fork`'s activation block.
    pub const fn is_activation_block(&self, fork: Hardfork, timestamp: u64) -> bool {
        self.hardforks
            .is_activation_block(fork, timestamp, self.block_time)
    }

    /// The maximum sequencer drift for a batch whose L1 origin has timestamp
    /// `l1_origin_time`: the chain's value before Fjord, 1800 s after.
    ///
    /// Spec: protocol/fjord/derivation.md#constant-maximum-sequencer-drift (activates with
    /// the L1 origin block timestamp)
    pub const fn max_sequencer_drift(&self, l1_origin_time: u64) -> u64 {
        if self.is_active(Hardfork::Fjord, l1_origin_time) {
            MAX_SEQUENCER_DRIFT_FJORD
        } else {
            self.max_sequencer_drift
        }
    }

    /// `MAX_RLP_BYTES_PER_CHANNEL` at `timestamp` (op-node passes the L1 origin time).
    ///
    /// Spec: protocol/fjord/derivation.md#increasing-max_rlp_bytes_per_channel-and-max_channel_bank_size
    pub const fn max_rlp_bytes_per_channel(&self, timestamp: u64) -> usize {
        crate::compression::max_rlp_bytes_per_channel(self.is_active(Hardfork::Fjord, timestamp))
    }

    /// `MAX_CHANNEL_BANK_SIZE` at `timestamp` (op-node passes the L1 origin time).
    ///
    /// Spec: protocol/fjord/derivation.md#increasing-max_rlp_bytes_per_channel-and-max_channel_bank_size
    pub const fn max_channel_bank_size(&self, timestamp: u64) -> u64 {
        if self.is_active(Hardfork::Fjord, timestamp) {
            MAX_CHANNEL_BANK_SIZE_FJORD
        } else {
            MAX_CHANNEL_BANK_SIZE_BEDROCK
        }
    }

    /// `CHANNEL_TIMEOUT` in L1 blocks at `timestamp` (op-node passes the L1 origin time).
    ///
    /// Spec: protocol/granite/derivation.md#reduce-channel-timeout
    pub const fn channel_timeout(&self, timestamp: u64) -> u64 {
        if self.is_active(Hardfork::Granite, timestamp) {
            self.granite_channel_timeout
        } else {
            self.channel_timeout
        }
    }

    /// The chain's EIP-1559 parameters before Holocene: the pre-Canyon or Canyon
    /// denominator by L2 timestamp, and the chain's elasticity.
    ///
    /// Spec: protocol/canyon/overview.md, protocol/holocene/exec-engine.md
    pub const fn base_fee_params(&self, timestamp: u64) -> BaseFeeParams {
        let denominator = if self.is_active(Hardfork::Canyon, timestamp) {
            self.chain_op_config.eip1559_denominator_canyon
        } else {
            self.chain_op_config.eip1559_denominator
        };
        BaseFeeParams::new(
            denominator as u128,
            self.chain_op_config.eip1559_elasticity as u128,
        )
    }

    /// The EIP-1559 parameters of the L2 block at `timestamp` under system config `sys`:
    /// from Holocene a non-zero `eip1559Params` wins; zero means the chain's defaults.
    ///
    /// Spec: protocol/holocene/exec-engine.md#eip-1559-parameters-in-payloadattributesv3
    pub fn eip1559_params(&self, sys: &SystemConfig, timestamp: u64) -> BaseFeeParams {
        if self.is_active(Hardfork::Holocene, timestamp) && !sys.eip1559_params.is_zero() {
            BaseFeeParams::new(
                sys.eip1559_denominator().into(),
                sys.eip1559_elasticity().into(),
            )
        } else {
            self.base_fee_params(timestamp)
        }
    }

    /// Whether the Pectra blob schedule fork forces the Cancun blob base fee fraction for
    /// an L2 block whose L1 origin has timestamp `l1_origin_time`.
    ///
    /// Spec: protocol/pectra-blob-schedule/derivation.md
    pub const fn pectra_blob_schedule_forces_cancun(&self, l1_origin_time: u64) -> bool {
        match self.hardforks.pectra_blob_schedule_time {
            Some(t) => l1_origin_time < t,
            None => false,
        }
    }

    /// Timestamp of L2 block `number`; `None` before genesis or on overflow.
    pub fn timestamp_for_block(&self, number: u64) -> Option<u64> {
        let since = number.checked_sub(self.genesis.l2.number)?;
        self.genesis
            .l2_time
            .checked_add(since.checked_mul(self.block_time)?)
    }

    /// The L2 block number whose timestamp is the latest at or before `timestamp`;
    /// `None` before genesis or with a zero block time.
    pub fn target_block_number(&self, timestamp: u64) -> Option<u64> {
        let since = timestamp.checked_sub(self.genesis.l2_time)?;
        self.genesis
            .l2
            .number
            .checked_add(since.checked_div(self.block_time)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> RollupConfig {
        RollupConfig {
            block_time: 2,
            max_sequencer_drift: 600,
            channel_timeout: 300,
            hardforks: HardforkTimes {
                canyon_time: Some(10),
                fjord_time: Some(100),
                granite_time: Some(200),
                holocene_time: Some(300),
                pectra_blob_schedule_time: Some(400),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn fork_dependent_parameters() {
        let c = cfg();
        assert_eq!(c.max_sequencer_drift(99), 600);
        assert_eq!(c.max_sequencer_drift(100), 1800);
        assert_eq!(c.max_rlp_bytes_per_channel(99), 10_000_000);
        assert_eq!(c.max_rlp_bytes_per_channel(100), 100_000_000);
        assert_eq!(c.max_channel_bank_size(99), 100_000_000);
        assert_eq!(c.max_channel_bank_size(100), 1_000_000_000);
        assert_eq!(c.channel_timeout(199), 300);
        assert_eq!(c.channel_timeout(200), 50);
        assert_eq!(c.base_fee_params(9), BaseFeeParams::new(50, 6));
        assert_eq!(c.base_fee_params(10), BaseFeeParams::new(250, 6));
        assert!(c.is_activation_block(Hardfork::Fjord, 100));
        assert!(!c.is_activation_block(Hardfork::Fjord, 102));
        assert!(c.pectra_blob_schedule_forces_cancun(399));
        assert!(!c.pectra_blob_schedule_forces_cancun(400));
    }

    #[test]
    fn holocene_eip1559_params() {
        let c = cfg();
        let mut sys = SystemConfig::default();
        assert_eq!(c.eip1559_params(&sys, 300), BaseFeeParams::new(250, 6));
        sys.set_eip1559_params(8, 2);
        assert_eq!(c.eip1559_params(&sys, 298), BaseFeeParams::new(250, 6));
        assert_eq!(c.eip1559_params(&sys, 300), BaseFeeParams::new(8, 2));
    }

    #[test]
    fn block_time_arithmetic() {
        let mut c = cfg();
        c.genesis.l2 = BlockId {
            hash: B256::ZERO,
            number: 100,
        };
        c.genesis.l2_time = 1000;
        assert_eq!(c.timestamp_for_block(105), Some(1010));
        assert_eq!(c.timestamp_for_block(99), None);
        assert_eq!(c.target_block_number(1011), Some(105));
        assert_eq!(c.target_block_number(999), None);
        c.block_time = 0;
        assert_eq!(c.target_block_number(1011), None);
    }
}
