//! Helpers shared by the attributes, L2 and reset integration tests.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use alloy_consensus::{Header, Sealable, Sealed};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B256, Bytes, U256, address, b256};
use keel_derive::types::L2BlockRef;
use keel_protocol::{
    hardfork::HardforkTimes,
    rollup_config::{BlockId, ChainGenesis, RollupConfig},
    system_config::SystemConfig,
};
use op_alloy_consensus::OpTxEnvelope;

keel_testkit::testdata_readers!();

/// A `0x` hex string of a JSON value as bytes.
pub fn hex_bytes(v: &serde_json::Value) -> Vec<u8> {
    let s = v.as_str().expect("hex string");
    hex::decode(s.trim_start_matches("0x")).expect("hex")
}

/// A `0x` quantity of a JSON value.
pub fn quantity(v: &serde_json::Value) -> u64 {
    u64::from_str_radix(v.as_str().expect("quantity").trim_start_matches("0x"), 16).expect("hex")
}

/// A 32-byte `0x` value.
pub fn b256(v: &serde_json::Value) -> B256 {
    B256::from_slice(&hex_bytes(v))
}

/// Decodes an EIP-2718 transaction given as a `0x` hex JSON string.
pub fn tx(v: &serde_json::Value) -> OpTxEnvelope {
    OpTxEnvelope::decode_2718(&mut hex_bytes(v).as_slice()).expect("2718 tx")
}

pub const PORTAL: Address = address!("0x16fc5058f25648194471939df75cf27a2fdc48bc");
pub const SYS_CFG: Address = address!("0x034edd2a225f7f429a63e0f1d2084b9e0a93b538");
pub const BATCHER: Address = address!("0x8f23bb38f531600e5d8fddaaec41f13fab46e98c");
pub const GENESIS_L1: B256 =
    b256!("0x48f520cf4ddaf34c8336e6e490632ea3cf1e5e93b0b2bc6e917557e31845371b");
pub const GENESIS_L2: B256 =
    b256!("0x102de6ffb001480cc9b8b548fd05c34cd4f46ae4aa91759393db90ea0409887d");

/// A small synthetic chain config: 2 s blocks, genesis at time 1000, forks from `forks`.
pub fn config(forks: HardforkTimes) -> RollupConfig {
    RollupConfig {
        genesis: ChainGenesis {
            l1: BlockId {
                hash: GENESIS_L1,
                number: 100,
            },
            l2: BlockId {
                hash: GENESIS_L2,
                number: 0,
            },
            l2_time: 1000,
            system_config: system_config(),
        },
        block_time: 2,
        max_sequencer_drift: 600,
        seq_window_size: 10,
        channel_timeout: 5,
        l1_chain_id: 1,
        l2_chain_id: 10,
        hardforks: forks,
        deposit_contract_address: PORTAL,
        l1_system_config_address: SYS_CFG,
        ..Default::default()
    }
}

/// Every fork through `last` (by name) active at genesis, later ones unscheduled.
pub fn forks_through(last: &str) -> HardforkTimes {
    let mut f = HardforkTimes::default();
    let order = [
        "regolith", "canyon", "delta", "ecotone", "fjord", "granite", "holocene", "isthmus",
        "jovian",
    ];
    for name in order {
        set_fork(&mut f, name, Some(0));
        if name == last {
            break;
        }
    }
    f
}

/// Sets one fork's time by name.
pub fn set_fork(f: &mut HardforkTimes, name: &str, t: Option<u64>) {
    match name {
        "regolith" => f.regolith_time = t,
        "canyon" => f.canyon_time = t,
        "delta" => f.delta_time = t,
        "ecotone" => f.ecotone_time = t,
        "fjord" => f.fjord_time = t,
        "granite" => f.granite_time = t,
        "holocene" => f.holocene_time = t,
        "isthmus" => f.isthmus_time = t,
        "jovian" => f.jovian_time = t,
        "karst" => f.karst_time = t,
        "interop" => f.interop_time = t,
        other => panic!("unknown fork {other}"),
    }
}

/// A system config with version-1 scalars and non-zero Holocene/Isthmus/Jovian values.
pub fn system_config() -> SystemConfig {
    let mut sys = SystemConfig {
        batcher_addr: BATCHER,
        overhead: B256::ZERO,
        scalar: keel_protocol::system_config::encode_ecotone_scalar(
            keel_protocol::system_config::EcotoneScalars {
                blob_base_fee_scalar: 810_949,
                base_fee_scalar: 1368,
            },
        ),
        gas_limit: 30_000_000,
        min_base_fee: 1_000,
        da_footprint_gas_scalar: 0,
        ..Default::default()
    };
    sys.set_eip1559_params(250, 6);
    sys.set_operator_fee(20_000, 500);
    sys
}

/// An L1 header at `number`, child of `parent`, at `timestamp`.
pub fn l1_header(number: u64, parent: B256, timestamp: u64) -> Header {
    Header {
        number,
        parent_hash: parent,
        timestamp,
        base_fee_per_gas: Some(7),
        mix_hash: B256::repeat_byte(0xab),
        excess_blob_gas: Some(0),
        blob_gas_used: Some(0),
        parent_beacon_block_root: Some(B256::repeat_byte(0xbe)),
        ..Default::default()
    }
}

/// Seals an L1 header with its real hash.
pub fn seal(h: Header) -> Sealed<Header> {
    h.seal_slow()
}

/// An L2 parent block reference at `number`/`timestamp` with the given origin and sequence
/// number.
pub fn l2_parent(number: u64, timestamp: u64, origin: BlockId, seq: u64) -> L2BlockRef {
    L2BlockRef {
        hash: B256::with_last_byte(number as u8),
        number,
        parent_hash: B256::with_last_byte(number.wrapping_sub(1) as u8),
        timestamp,
        l1_origin: origin,
        sequence_number: seq,
    }
}

/// `U256` helper.
pub fn u(v: u64) -> U256 {
    U256::from(v)
}

/// `Bytes` of an encodable 2718 transaction.
pub fn enc(tx: &op_alloy_consensus::TxDeposit) -> Bytes {
    use alloy_eips::eip2718::Encodable2718;
    Bytes::from(tx.encoded_2718())
}
