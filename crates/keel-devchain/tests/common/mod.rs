//! The dev chain both integration tests run on: L1 headers, a Jovian-era system config, a
//! rollup config whose L2 genesis is the dev genesis, and a minting deposit.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use alloy_consensus::{Header, Receipt, ReceiptEnvelope, ReceiptWithBloom, Sealable, Sealed};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address};
use keel_devchain::genesis::DevGenesis;
use keel_protocol::{
    deposit::encode_deposit_log,
    hardfork::HardforkTimes,
    rollup_config::{BlockId, RollupConfig},
    system_config::SystemConfig,
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
    HardforkTimes::all_through(keel_protocol::hardfork::Hardfork::Jovian)
}

/// The shared dev system config (keel-devchain's [`dev_system_config`]).
pub fn dev_system_config() -> SystemConfig {
    keel_devchain::genesis::dev_system_config()
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
    cfg.genesis.l2_time = GENESIS_TIME;
    cfg.genesis.system_config = sys;
    cfg.genesis.l1 = BlockId {
        hash: l1_genesis.hash(),
        number: l1_genesis.number,
    };
    let genesis = keel_devchain::genesis::seal_dev_rollup_config(&mut cfg).unwrap();
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
