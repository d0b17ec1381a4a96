//! The L1 dev chain's rules: every Ethereum fork through Prague active from genesis, its
//! blob parameters, and the chain's configuration.

use alloy_eips::eip7840::BlobParams;
use alloy_evm::eth::spec::EthExecutorSpec;
use alloy_hardforks::{EthereumHardfork, EthereumHardforks, ForkCondition};
use alloy_primitives::{Address, U256};
use revm::primitives::hardfork::SpecId;

/// The revm rules the L1 dev chain executes with.
pub const L1_SPEC_ID: SpecId = SpecId::PRAGUE;

/// Prague's blob parameters (EIP-7691): target 6, maximum 9 blobs per block, base-fee update
/// fraction 5,007,716.
pub const L1_BLOB_PARAMS: BlobParams = BlobParams::prague();

/// Fork activation of the L1 dev chain: Frontier through London at block 0, the merge at
/// genesis (no block rewards), Shanghai, Cancun and Prague at timestamp 0; nothing later.
/// The DAO fork is never active (its irregular state change would touch a dev genesis).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct L1Spec;

impl EthereumHardforks for L1Spec {
    fn ethereum_fork_activation(&self, fork: EthereumHardfork) -> ForkCondition {
        use EthereumHardfork as F;
        match fork {
            F::Frontier
            | F::Homestead
            | F::Tangerine
            | F::SpuriousDragon
            | F::Byzantium
            | F::Constantinople
            | F::Petersburg
            | F::Istanbul
            | F::MuirGlacier
            | F::Berlin
            | F::London
            | F::ArrowGlacier
            | F::GrayGlacier => ForkCondition::ZERO_BLOCK,
            F::Paris => ForkCondition::TTD {
                activation_block_number: 0,
                fork_block: None,
                total_difficulty: U256::ZERO,
            },
            F::Shanghai | F::Cancun | F::Prague => ForkCondition::ZERO_TIMESTAMP,
            _ => ForkCondition::Never,
        }
    }
}

impl EthExecutorSpec for L1Spec {
    /// No EIP-6110 deposit contract: the dev chain has no validators, so its requests are
    /// only the (empty) EIP-7002 / EIP-7251 queues.
    fn deposit_contract_address(&self) -> Option<Address> {
        None
    }
}

/// Settings of an L1 dev chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Config {
    /// Chain id (default 900, the OP devnet's L1).
    pub chain_id: u64,
    /// Seconds between blocks; also the beacon API's `SECONDS_PER_SLOT`.
    pub block_time: u64,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Fee recipient of every block.
    pub coinbase: Address,
    /// `safe` is this many blocks behind the head.
    pub safe_lag: u64,
    /// `finalized` is this many blocks behind the head.
    pub finalized_lag: u64,
    /// Post-states of blocks before the head kept in memory, genesis' included (at least
    /// 1); the head's is always kept.
    pub max_states: usize,
    /// Blobs kept for the beacon API, counted over whole blocks, oldest dropped first.
    pub max_kept_blobs: usize,
}

impl Default for L1Config {
    /// Chain 900, 6-second blocks (the OP devnet's L1), 30M gas, `safe` 4 and `finalized` 8
    /// blocks behind the head (short enough for tests to see them move, long enough to be
    /// distinct), 256 states and 1,024 blobs (128 MiB at most) kept.
    fn default() -> Self {
        Self {
            chain_id: 900,
            block_time: 6,
            gas_limit: 30_000_000,
            coinbase: Address::ZERO,
            safe_lag: 4,
            finalized_lag: 8,
            max_states: 256,
            max_kept_blobs: 1_024,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prague_blob_params_are_eip_7691() {
        assert_eq!(L1_BLOB_PARAMS.target_blob_count, 6);
        assert_eq!(L1_BLOB_PARAMS.max_blob_count, 9);
        assert_eq!(L1_BLOB_PARAMS.update_fraction, 5_007_716);
    }

    #[test]
    fn forks_through_prague_only() {
        let s = L1Spec;
        assert!(s.is_prague_active_at_timestamp(0));
        assert!(s.is_cancun_active_at_timestamp(0));
        assert!(!s.is_osaka_active_at_timestamp(u64::MAX));
        assert!(s.is_paris_active_at_block(0));
        assert!(
            !s.ethereum_fork_activation(EthereumHardfork::Dao)
                .active_at_block(1_920_000)
        );
    }
}
