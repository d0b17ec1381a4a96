//! op-node's `rollup.Config.Check()`, as typed errors.
//!
//! Spec: protocol/rollup-node.md; protocol/superchain-upgrades.md (fork ordering).

use alloy_primitives::{Address, B256};

use super::{AltDaConfig, CommitmentType, RollupConfig};
use crate::hardfork::Hardfork;

/// Why a rollup config is not usable. The checks and their order are op-node's; the last
/// three (`MissingSystemConfigAddress`, `GraniteChannelTimeoutZero`, Karst/Interop order)
/// are Keel's additions for fields op-node either lacks or does not check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// `block_time` is 0.
    #[error("block time cannot be 0")]
    BlockTimeZero,
    /// `channel_timeout` is 0.
    #[error("channel timeout must be set")]
    ChannelTimeoutZero,
    /// `seq_window_size` is below 2.
    #[error("sequencing window size must be at least 2, got {0}")]
    SeqWindowTooSmall(u64),
    /// `max_sequencer_drift` is 0.
    #[error("maximum sequencer drift must be greater than 0")]
    MaxSequencerDriftZero,
    /// `genesis.l1.hash` is zero.
    #[error("genesis L1 hash cannot be empty")]
    MissingGenesisL1Hash,
    /// `genesis.l2.hash` is zero.
    #[error("genesis L2 hash cannot be empty")]
    MissingGenesisL2Hash,
    /// The L1 and L2 genesis hashes are equal.
    #[error("L1 and L2 genesis hashes are the same: {0}")]
    GenesisHashesSame(B256),
    /// `genesis.l2_time` is 0.
    #[error("missing L2 genesis time")]
    MissingGenesisL2Time,
    /// The genesis batcher address is zero.
    #[error("missing genesis system config batcher address")]
    MissingBatcherAddr,
    /// The genesis scalar is zero.
    #[error("missing genesis system config scalar")]
    MissingScalar,
    /// The genesis gas limit is zero.
    #[error("missing genesis system config gas limit")]
    MissingGasLimit,
    /// `batch_inbox_address` is zero.
    #[error("missing batch inbox address")]
    MissingBatchInboxAddress,
    /// `deposit_contract_address` is zero.
    #[error("missing deposit contract address")]
    MissingDepositContractAddress,
    /// `l1_chain_id` is zero.
    #[error("L1 chain ID must be non-zero")]
    L1ChainIdZero,
    /// `l2_chain_id` is zero.
    #[error("L2 chain ID must be non-zero")]
    L2ChainIdZero,
    /// `l1_chain_id == l2_chain_id`.
    #[error("L1 and L2 chain IDs must be different, both are {0}")]
    ChainIdsSame(u64),
    /// A keccak alt-DA config has no challenge contract.
    #[error("alt-DA keccak commitments need da_challenge_contract_address")]
    AltDaMissingChallengeAddress,
    /// A generic alt-DA config has a challenge contract.
    #[error("alt-DA generic commitments need an empty da_challenge_contract_address, got {0}")]
    AltDaUnexpectedChallengeAddress(Address),
    /// A fork is scheduled but the fork before it is not.
    #[error("fork {fork} set (to {time}), but prior fork {prior} missing")]
    PriorForkMissing {
        /// The scheduled fork.
        fork: Hardfork,
        /// Its time.
        time: u64,
        /// The unscheduled earlier fork.
        prior: Hardfork,
    },
    /// A fork is scheduled before the fork preceding it.
    #[error("fork {fork} set to {time}, but prior fork {prior} has higher time {prior_time}")]
    ForkOrder {
        /// The later fork.
        fork: Hardfork,
        /// Its time.
        time: u64,
        /// The earlier fork.
        prior: Hardfork,
        /// The earlier fork's (larger) time.
        prior_time: u64,
    },
    /// `l1_system_config_address` is zero (no system-config update could ever be seen).
    #[error("missing L1 system config address")]
    MissingSystemConfigAddress,
    /// kona's `granite_channel_timeout` is 0.
    #[error("granite channel timeout cannot be 0")]
    GraniteChannelTimeoutZero,
}

fn check_alt_da(alt_da: &AltDaConfig) -> Result<(), ValidationError> {
    let addr = alt_da.da_challenge_address.unwrap_or_default();
    match alt_da.commitment_type {
        CommitmentType::Keccak if addr.is_zero() => {
            Err(ValidationError::AltDaMissingChallengeAddress)
        }
        CommitmentType::Generic if !addr.is_zero() => {
            Err(ValidationError::AltDaUnexpectedChallengeAddress(addr))
        }
        _ => Ok(()),
    }
}

impl RollupConfig {
    /// Checks the config the way op-node's `Config.Check()` does, returning the first
    /// problem found.
    ///
    /// Fork ordering: every scheduled fork after Regolith needs the fork before it
    /// scheduled at the same time or earlier (op-node's `checkFork` chain, extended through
    /// Jovian, Karst and Interop). The Pectra blob schedule is not a link in that chain.
    ///
    /// Spec: protocol/rollup-node.md, protocol/superchain-upgrades.md
    pub fn validate(&self) -> Result<(), ValidationError> {
        use ValidationError as E;
        let g = &self.genesis;
        if self.block_time == 0 {
            return Err(E::BlockTimeZero);
        }
        if self.channel_timeout == 0 {
            return Err(E::ChannelTimeoutZero);
        }
        if self.seq_window_size < 2 {
            return Err(E::SeqWindowTooSmall(self.seq_window_size));
        }
        if self.max_sequencer_drift == 0 {
            return Err(E::MaxSequencerDriftZero);
        }
        if g.l1.hash.is_zero() {
            return Err(E::MissingGenesisL1Hash);
        }
        if g.l2.hash.is_zero() {
            return Err(E::MissingGenesisL2Hash);
        }
        if g.l1.hash == g.l2.hash {
            return Err(E::GenesisHashesSame(g.l1.hash));
        }
        if g.l2_time == 0 {
            return Err(E::MissingGenesisL2Time);
        }
        if g.system_config.batcher_addr.is_zero() {
            return Err(E::MissingBatcherAddr);
        }
        if g.system_config.scalar.is_zero() {
            return Err(E::MissingScalar);
        }
        if g.system_config.gas_limit == 0 {
            return Err(E::MissingGasLimit);
        }
        if self.batch_inbox_address.is_zero() {
            return Err(E::MissingBatchInboxAddress);
        }
        if self.deposit_contract_address.is_zero() {
            return Err(E::MissingDepositContractAddress);
        }
        if self.l1_chain_id == self.l2_chain_id {
            return Err(E::ChainIdsSame(self.l1_chain_id));
        }
        if self.l1_chain_id == 0 {
            return Err(E::L1ChainIdZero);
        }
        if self.l2_chain_id == 0 {
            return Err(E::L2ChainIdZero);
        }
        if let Some(alt_da) = &self.alt_da {
            check_alt_da(alt_da)?;
        }
        self.check_fork_order()?;
        if self.l1_system_config_address.is_zero() {
            return Err(E::MissingSystemConfigAddress);
        }
        if self.granite_channel_timeout == 0 {
            return Err(E::GraniteChannelTimeoutZero);
        }
        Ok(())
    }

    fn check_fork_order(&self) -> Result<(), ValidationError> {
        // Bedrock is implicit (always active), so the chain of checks starts at Regolith.
        let forks = Hardfork::ALL;
        for pair in forks.windows(2).skip(1) {
            let [prior, fork] = pair else { continue };
            let (a, b) = (
                self.hardforks.activation_time(*prior),
                self.hardforks.activation_time(*fork),
            );
            match (a, b) {
                (None, Some(time)) => {
                    return Err(ValidationError::PriorForkMissing {
                        fork: *fork,
                        time,
                        prior: *prior,
                    });
                }
                (Some(prior_time), Some(time)) if prior_time > time => {
                    return Err(ValidationError::ForkOrder {
                        fork: *fork,
                        time,
                        prior: *prior,
                        prior_time,
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }
}
