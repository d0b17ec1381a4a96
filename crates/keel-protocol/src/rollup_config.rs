//! The rollup configuration: op-node's `rollup.json`.
//!
//! Spec: protocol/rollup-node.md, protocol/derivation.md (protocol parameters), and each
//! fork's derivation changes (Fjord, Granite).

use alloy_primitives::{Address, B256};

use crate::{
    hardfork::{Hardfork, HardforkTimes},
    system_config::SystemConfig,
};

/// A block identifier: hash and number (op-node's `eth.BlockID`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct BlockId {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    pub number: u64,
}

/// The chain's genesis anchors.
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// EIP-1559 parameters of the chain before Holocene moved them into the system config.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainOpConfig {
    /// `eip1559Elasticity`
    pub eip1559_elasticity: u64,
    /// `eip1559Denominator` (before Canyon)
    pub eip1559_denominator: u64,
    /// `eip1559DenominatorCanyon`
    pub eip1559_denominator_canyon: u64,
}

/// A parsed and validated rollup configuration.
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
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// L2 chain id.
    pub l2_chain_id: u64,
    /// Fork activation times.
    pub hardforks: HardforkTimes,
    /// The L1 address batchers post to.
    pub batch_inbox_address: Address,
    /// The L1 `OptimismPortal` whose `TransactionDeposited` logs are deposits.
    pub deposit_contract_address: Address,
    /// The L1 `SystemConfig` contract whose `ConfigUpdate` logs change the system config.
    pub l1_system_config_address: Address,
    /// The L1 `ProtocolVersions` contract, if any.
    pub protocol_versions_address: Option<Address>,
    /// EIP-1559 parameters before Holocene.
    pub chain_op_config: ChainOpConfig,
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
}
