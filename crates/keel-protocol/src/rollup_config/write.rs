//! Writing a [`RollupConfig`] back as op-node's `rollup.json`.

use alloy_primitives::{Address, B64, B256};
use serde::Serialize;

use super::{BlockId, RollupConfig};
use crate::hardfork::HardforkTimes;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutChainOpConfig {
    eip1559_elasticity: u64,
    eip1559_denominator: u64,
    eip1559_denominator_canyon: u64,
}

/// op-node's `eth.SystemConfig` as written into `rollup.json`. The post-Bedrock fields are
/// written only when non-zero, so op-node versions that predate them still read the file.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct OutSystemConfig {
    batcher_addr: Address,
    overhead: B256,
    scalar: B256,
    gas_limit: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    eip1559_params: Option<B64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    operator_fee_params: Option<B256>,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_base_fee: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    da_footprint_gas_scalar: Option<u16>,
}

#[derive(Serialize)]
struct OutGenesis {
    l1: BlockId,
    l2: BlockId,
    l2_time: u64,
    system_config: OutSystemConfig,
}

#[derive(Serialize)]
struct OutAltDa {
    #[serde(skip_serializing_if = "Option::is_none")]
    da_challenge_contract_address: Option<Address>,
    da_commitment_type: &'static str,
    da_challenge_window: u64,
    da_resolve_window: u64,
}

/// op-node's field order and `omitempty` choices.
#[derive(Serialize)]
struct OutRollupConfig {
    genesis: OutGenesis,
    block_time: u64,
    max_sequencer_drift: u64,
    seq_window_size: u64,
    channel_timeout: u64,
    l1_chain_id: u64,
    l2_chain_id: u64,
    #[serde(flatten)]
    hardforks: HardforkTimes,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    keep_karst_upgrade_gas: bool,
    batch_inbox_address: Address,
    deposit_contract_address: Address,
    l1_system_config_address: Address,
    #[serde(skip_serializing_if = "Option::is_none")]
    protocol_versions_address: Option<Address>,
    #[serde(skip_serializing_if = "Option::is_none")]
    alt_da: Option<OutAltDa>,
    chain_op_config: OutChainOpConfig,
}

fn non_zero<T: PartialEq + Default>(v: T) -> Option<T> {
    if v == T::default() { None } else { Some(v) }
}

impl RollupConfig {
    /// Writes the config as op-node's `rollup.json` (pretty-printed). kona-only fields are
    /// not written; a `granite_channel_timeout` other than 50 is therefore lost.
    pub fn to_json(&self) -> String {
        let s = &self.genesis.system_config;
        let out = OutRollupConfig {
            genesis: OutGenesis {
                l1: self.genesis.l1,
                l2: self.genesis.l2,
                l2_time: self.genesis.l2_time,
                system_config: OutSystemConfig {
                    batcher_addr: s.batcher_addr,
                    overhead: s.overhead,
                    scalar: s.scalar,
                    gas_limit: s.gas_limit,
                    eip1559_params: non_zero(s.eip1559_params),
                    operator_fee_params: non_zero(s.operator_fee_params),
                    min_base_fee: non_zero(s.min_base_fee),
                    da_footprint_gas_scalar: non_zero(s.da_footprint_gas_scalar),
                },
            },
            block_time: self.block_time,
            max_sequencer_drift: self.max_sequencer_drift,
            seq_window_size: self.seq_window_size,
            channel_timeout: self.channel_timeout,
            l1_chain_id: self.l1_chain_id,
            l2_chain_id: self.l2_chain_id,
            hardforks: self.hardforks,
            keep_karst_upgrade_gas: self.keep_karst_upgrade_gas,
            batch_inbox_address: self.batch_inbox_address,
            deposit_contract_address: self.deposit_contract_address,
            l1_system_config_address: self.l1_system_config_address,
            protocol_versions_address: self.protocol_versions_address,
            alt_da: self.alt_da.map(|a| OutAltDa {
                da_challenge_contract_address: a.da_challenge_address,
                da_commitment_type: a.commitment_type.as_str(),
                da_challenge_window: a.da_challenge_window,
                da_resolve_window: a.da_resolve_window,
            }),
            chain_op_config: OutChainOpConfig {
                eip1559_elasticity: self.chain_op_config.eip1559_elasticity,
                eip1559_denominator: self.chain_op_config.eip1559_denominator,
                eip1559_denominator_canyon: self.chain_op_config.eip1559_denominator_canyon,
            },
        };
        // Serializing plain structs of integers, fixed bytes and strings cannot fail.
        serde_json::to_string_pretty(&out).unwrap_or_default()
    }
}
