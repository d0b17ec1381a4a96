//! The dev chain both integration tests run on: L1 headers, a Jovian-era system config, a
//! rollup config whose L2 genesis is the dev genesis, and a minting deposit.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use alloy_consensus::{Header, Receipt, ReceiptEnvelope, ReceiptWithBloom, Sealable, Sealed};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address};
use keel_devchain::genesis::{DevGenesis, DevGenesisConfig, build_genesis};
use keel_protocol::{
    deposit::encode_deposit_log,
    hardfork::HardforkTimes,
    rollup_config::{BlockId, RollupConfig},
    system_config::{EcotoneScalars, SystemConfig, encode_ecotone_scalar},
};
use op_alloy_consensus::TxDeposit;

pub const GENESIS_TIME: u64 = 1_700_000_000;
pub const CHAIN_ID: u64 = 901;
pub const ETH: u128 = 1_000_000_000_000_000_000;
pub const DEPOSIT_CONTRACT: Address = address!("0xDe00000000000000000000000000000000000001");
pub const SYSTEM_CONFIG: Address = address!("0x5C00000000000000000000000000000000000001");
pub const DEPOSITOR: Address = address!("0xD0000000000000000000000000000000000000D1");
pub const DEPOSIT_TO: Address = address!("0xD0000000000000000000000000000000000000D2");

/// A post-Prague L1 header.
pub fn l1_header(number: u64, parent_hash: B256, timestamp: u64) -> Sealed<Header> {
    Header {
        parent_hash,
        number,
        timestamp,
        gas_limit: 30_000_000,
        base_fee_per_gas: Some(7_000_000_000),
        mix_hash: B256::repeat_byte(number as u8),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::repeat_byte(0xbe)),
        withdrawals_root: Some(B256::ZERO),
        requests_hash: Some(B256::ZERO),
        ..Default::default()
    }
    .seal_slow()
}

/// Every fork through Jovian active at genesis.
pub fn jovian_at_genesis() -> HardforkTimes {
    HardforkTimes {
        regolith_time: Some(0),
        canyon_time: Some(0),
        delta_time: Some(0),
        ecotone_time: Some(0),
        fjord_time: Some(0),
        granite_time: Some(0),
        holocene_time: Some(0),
        isthmus_time: Some(0),
        jovian_time: Some(0),
        ..Default::default()
    }
}

/// A Jovian-era system config: Ecotone scalars, Holocene EIP-1559 params 250/6, a min base
/// fee and the default DA footprint scalar.
pub fn dev_system_config() -> SystemConfig {
    let mut sys = SystemConfig {
        scalar: encode_ecotone_scalar(EcotoneScalars {
            blob_base_fee_scalar: 810_949,
            base_fee_scalar: 1_368,
        }),
        gas_limit: 30_000_000,
        min_base_fee: 1_000,
        da_footprint_gas_scalar: 400,
        ..Default::default()
    };
    sys.set_eip1559_params(250, 6);
    sys
}

/// A rollup config on L1 origin `l1_genesis` whose L2 genesis is the dev genesis built from
/// it, returned with that genesis.
pub fn dev_rollup_config(
    hardforks: HardforkTimes,
    sys: SystemConfig,
    l1_genesis: &Sealed<Header>,
) -> (RollupConfig, DevGenesis) {
    let mut cfg = RollupConfig {
        block_time: 2,
        max_sequencer_drift: 1800,
        seq_window_size: 3600,
        channel_timeout: 300,
        l1_chain_id: 900,
        l2_chain_id: CHAIN_ID,
        hardforks,
        deposit_contract_address: DEPOSIT_CONTRACT,
        l1_system_config_address: SYSTEM_CONFIG,
        ..Default::default()
    };
    cfg.chain_op_config.eip1559_elasticity = 6;
    cfg.chain_op_config.eip1559_denominator = 50;
    cfg.chain_op_config.eip1559_denominator_canyon = 250;
    cfg.genesis.l2_time = GENESIS_TIME;
    cfg.genesis.system_config = sys;
    cfg.genesis.l1 = BlockId {
        hash: l1_genesis.hash(),
        number: l1_genesis.number,
    };
    let genesis = build_genesis(&DevGenesisConfig::from_rollup_config(&cfg)).unwrap();
    cfg.genesis.l2 = BlockId {
        hash: genesis.header.hash(),
        number: 0,
    };
    (cfg, genesis)
}

/// An L1 receipt carrying one deposit: 5 ETH minted to the depositor's alias, 2 ETH sent to
/// [`DEPOSIT_TO`].
pub fn deposit_receipt() -> ReceiptEnvelope {
    let deposit = TxDeposit {
        source_hash: B256::ZERO,
        from: DEPOSITOR,
        to: TxKind::Call(DEPOSIT_TO),
        mint: 5 * ETH,
        value: U256::from(2 * ETH),
        gas_limit: 100_000,
        is_system_transaction: false,
        input: Bytes::new(),
    };
    ReceiptEnvelope::Eip1559(ReceiptWithBloom::from(Receipt {
        status: true.into(),
        cumulative_gas_used: 50_000,
        logs: vec![encode_deposit_log(DEPOSIT_CONTRACT, &deposit)],
    }))
}
