//! Helpers shared by the deposits / L1-info / upgrades integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use alloy_primitives::{Address, B64, B256, Bytes, U256};
use keel_protocol::{
    hardfork::HardforkTimes,
    rollup_config::{BlockId, ChainGenesis, ChainOpConfig, RollupConfig},
    system_config::SystemConfig,
};
use serde_json::Value;

/// A rollup config with 2-second blocks and the given fork times.
pub fn rollup_config(hardforks: HardforkTimes) -> RollupConfig {
    RollupConfig {
        genesis: ChainGenesis {
            l1: BlockId::default(),
            l2: BlockId::default(),
            l2_time: 0,
            system_config: SystemConfig::default(),
        },
        block_time: 2,
        max_sequencer_drift: 600,
        seq_window_size: 3600,
        channel_timeout: 300,
        l1_chain_id: 1,
        l2_chain_id: 10,
        hardforks,
        batch_inbox_address: Address::ZERO,
        deposit_contract_address: Address::ZERO,
        l1_system_config_address: Address::ZERO,
        protocol_versions_address: None,
        chain_op_config: ChainOpConfig {
            eip1559_elasticity: 6,
            eip1559_denominator: 50,
            eip1559_denominator_canyon: 250,
        },
        ..RollupConfig::default()
    }
}

/// Fork times with every fork up to `last` (inclusive, by name) active from 0.
pub fn forks_through(last: &str) -> HardforkTimes {
    let order = [
        "regolith", "canyon", "delta", "ecotone", "fjord", "granite", "holocene", "isthmus",
        "jovian",
    ];
    let n = order.iter().position(|f| *f == last).map_or(0, |i| i + 1);
    let on = |name: &str| {
        order
            .iter()
            .position(|f| *f == name)
            .filter(|i| *i < n)
            .map(|_| 0)
    };
    HardforkTimes {
        regolith_time: on("regolith"),
        canyon_time: on("canyon"),
        delta_time: on("delta"),
        ecotone_time: on("ecotone"),
        fjord_time: on("fjord"),
        granite_time: on("granite"),
        holocene_time: on("holocene"),
        pectra_blob_schedule_time: None,
        isthmus_time: on("isthmus"),
        jovian_time: on("jovian"),
        ..HardforkTimes::default()
    }
}

/// Hex string (optional 0x) to bytes.
pub fn hex_bytes(s: &str) -> Vec<u8> {
    hex::decode(s.trim().trim_start_matches("0x")).unwrap()
}

pub fn b256(v: &Value) -> B256 {
    v.as_str().unwrap().parse().unwrap()
}

pub fn addr(v: &Value) -> Address {
    v.as_str().unwrap().parse().unwrap()
}

/// A JSON number, decimal string or 0x-hex string as U256.
pub fn quantity(v: &Value) -> U256 {
    match v {
        Value::Number(n) => U256::from(n.as_u64().unwrap()),
        Value::String(s) => match s.strip_prefix("0x") {
            Some(h) => U256::from_str_radix(h, 16).unwrap(),
            None => U256::from_str_radix(s, 10).unwrap(),
        },
        other => panic!("not a quantity: {other}"),
    }
}

pub fn bytes(v: &Value) -> Bytes {
    Bytes::from(hex_bytes(v.as_str().unwrap()))
}

/// A system config that reproduces the given fee fields through the builder.
pub fn system_config_for(
    batcher: Address,
    overhead: U256,
    scalar: B256,
    operator_fee: (u32, u64),
    da_footprint_gas_scalar: u16,
) -> SystemConfig {
    let mut op = [0u8; 32];
    op[20..24].copy_from_slice(&operator_fee.0.to_be_bytes());
    op[24..32].copy_from_slice(&operator_fee.1.to_be_bytes());
    SystemConfig {
        batcher_addr: batcher,
        overhead: overhead.into(),
        scalar,
        gas_limit: 30_000_000,
        eip1559_params: B64::ZERO,
        operator_fee_params: B256::from(op),
        min_base_fee: 0,
        da_footprint_gas_scalar,
    }
}

/// Version-1 packed Ecotone scalars.
pub fn ecotone_scalar(base_fee_scalar: u32, blob_base_fee_scalar: u32) -> B256 {
    let mut s = [0u8; 32];
    s[0] = 1;
    s[24..28].copy_from_slice(&blob_base_fee_scalar.to_be_bytes());
    s[28..32].copy_from_slice(&base_fee_scalar.to_be_bytes());
    B256::from(s)
}
