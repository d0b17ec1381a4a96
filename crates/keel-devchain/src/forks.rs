//! The rollup config's fork schedule in the shape alloy-op-evm asks for.
//!
//! Spec: protocol/superchain-upgrades.md. OP forks imply Ethereum forks: Canyon brings
//! Shanghai, Ecotone Cancun, Isthmus Prague (Spec: protocol/canyon/overview.md,
//! protocol/ecotone/overview.md, protocol/isthmus/overview.md); every earlier Ethereum fork
//! through the Merge is active from Bedrock's genesis.

use alloy_hardforks::{EthereumHardfork, EthereumHardforks, ForkCondition};
use alloy_op_hardforks::{OpHardfork, OpHardforks};
use keel_protocol::{
    hardfork::{Hardfork, HardforkTimes},
    rollup_config::RollupConfig,
};

/// A rollup config's fork activation times, implementing alloy's hardfork traits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForkSchedule(pub HardforkTimes);

impl ForkSchedule {
    /// The schedule of `cfg`.
    pub const fn new(cfg: &RollupConfig) -> Self {
        Self(cfg.hardforks)
    }

    fn at(&self, fork: Hardfork) -> ForkCondition {
        match self.0.activation_time(fork) {
            Some(t) => ForkCondition::Timestamp(t),
            None => ForkCondition::Never,
        }
    }
}

impl EthereumHardforks for ForkSchedule {
    fn ethereum_fork_activation(&self, fork: EthereumHardfork) -> ForkCondition {
        match fork {
            EthereumHardfork::Shanghai => self.at(Hardfork::Canyon),
            EthereumHardfork::Cancun => self.at(Hardfork::Ecotone),
            EthereumHardfork::Prague => self.at(Hardfork::Isthmus),
            // As alloy-op-hardforks' own schedule does: Karst brings Osaka.
            EthereumHardfork::Osaka => self.at(Hardfork::Karst),
            EthereumHardfork::Bpo1 | EthereumHardfork::Bpo2 => ForkCondition::Never,
            // Every fork through the Merge: active from the OP genesis (Bedrock).
            _ => ForkCondition::Block(0),
        }
    }
}

impl OpHardforks for ForkSchedule {
    fn op_fork_activation(&self, fork: OpHardfork) -> ForkCondition {
        match fork {
            OpHardfork::Bedrock => ForkCondition::Block(0),
            OpHardfork::Regolith => self.at(Hardfork::Regolith),
            OpHardfork::Canyon => self.at(Hardfork::Canyon),
            OpHardfork::Ecotone => self.at(Hardfork::Ecotone),
            OpHardfork::Fjord => self.at(Hardfork::Fjord),
            OpHardfork::Granite => self.at(Hardfork::Granite),
            OpHardfork::Holocene => self.at(Hardfork::Holocene),
            OpHardfork::Isthmus => self.at(Hardfork::Isthmus),
            OpHardfork::Jovian => self.at(Hardfork::Jovian),
            OpHardfork::Karst => self.at(Hardfork::Karst),
            OpHardfork::Interop => self.at(Hardfork::Interop),
            _ => ForkCondition::Never,
        }
    }
}
