//! Fuzz targets for the deposit-area decoders: L1-attributes calldata, deposit logs (data
//! and topics mutated), opaque data and output root preimages. None may panic.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use alloy_primitives::{Address, B256, Bytes, Log, TxKind, U256};
use common::fuzz;
use keel_protocol::{
    deposit::{DEPOSIT_EVENT_TOPIC, OpaqueDataV0, decode_deposit_log, encode_deposit_log},
    l1_info::L1BlockInfo,
    output_root::OutputRootV0,
};
use op_alloy_consensus::TxDeposit;

fn l1_info_seeds() -> Vec<Vec<u8>> {
    let v = common::read_json("deposits/l1_info_deposits.json");
    v["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["calldata"].as_str())
        .map(|s| hex::decode(s.trim_start_matches("0x")).unwrap())
        .collect()
}

#[test]
fn fuzz_l1_info_calldata() {
    fuzz::run("l1_info_calldata", &l1_info_seeds(), 300, |bytes| {
        if let Ok(info) = L1BlockInfo::decode(bytes) {
            // Anything accepted is canonical: it re-encodes to the same bytes.
            assert_eq!(info.encode().as_ref(), bytes);
        }
    });
}

fn deposit_log_seed(input: &[u8], create: bool) -> Log {
    let tx = TxDeposit {
        from: Address::repeat_byte(0x11),
        to: if create {
            TxKind::Create
        } else {
            TxKind::Call(Address::repeat_byte(0x22))
        },
        mint: 5,
        value: U256::from(6),
        gas_limit: 100_000,
        input: Bytes::copy_from_slice(input),
        ..Default::default()
    };
    encode_deposit_log(Address::ZERO, &tx)
}

/// Serializes a log as `topic count ‖ topics ‖ data` so the driver mutates topics and data
/// together.
fn flatten(log: &Log) -> Vec<u8> {
    let mut out = vec![log.topics().len() as u8];
    for t in log.topics() {
        out.extend_from_slice(t.as_slice());
    }
    out.extend_from_slice(&log.data.data);
    out
}

fn unflatten(bytes: &[u8]) -> Log {
    let (count, rest) = bytes
        .split_first()
        .map_or((0, &[][..]), |(c, r)| (*c as usize % 6, r));
    let mut topics = Vec::new();
    let mut rest = rest;
    for _ in 0..count {
        let Some((t, r)) = rest.split_first_chunk::<32>() else {
            break;
        };
        topics.push(B256::from(*t));
        rest = r;
    }
    Log::new_unchecked(Address::ZERO, topics, Bytes::copy_from_slice(rest))
}

#[test]
fn fuzz_deposit_log() {
    let seeds: Vec<Vec<u8>> = [
        deposit_log_seed(&[], false),
        deposit_log_seed(&[1, 2, 3], true),
        deposit_log_seed(&[0xab; 100], false),
    ]
    .iter()
    .map(flatten)
    .collect();
    fuzz::run("deposit_log", &seeds, 400, |bytes| {
        let log = unflatten(bytes);
        let _ = decode_deposit_log(&log, B256::ZERO, 0);
        // Keep the event topic so mutations reach the data checks more often.
        let mut topics = log.topics().to_vec();
        if let Some(first) = topics.first_mut() {
            *first = DEPOSIT_EVENT_TOPIC;
        }
        let log = Log::new_unchecked(Address::ZERO, topics, log.data.data);
        if let Ok(tx) = decode_deposit_log(&log, B256::ZERO, 0) {
            // What decodes re-encodes to data of the same (minimal) length that decodes to
            // the same tx. Bytes may differ: like op-node, the decoder ignores the padding's
            // content and reads any non-zero isCreation byte as true.
            let again = encode_deposit_log(Address::ZERO, &tx);
            assert_eq!(again.data.data.len(), log.data.data.len());
            assert_eq!(decode_deposit_log(&again, B256::ZERO, 0).unwrap(), tx);
        }
    });
}

#[test]
fn fuzz_opaque_data() {
    let seeds = vec![OpaqueDataV0::default().encode(), vec![0; 80]];
    fuzz::run("opaque_data_v0", &seeds, 200, |bytes| {
        if let Ok(d) = OpaqueDataV0::decode(bytes) {
            assert_eq!(d.data.len() + 73, bytes.len());
        }
    });
}

#[test]
fn fuzz_output_root_preimage() {
    let seeds = vec![OutputRootV0::default().encode().to_vec()];
    fuzz::run("output_root_v0", &seeds, 200, |bytes| {
        let _ = OutputRootV0::decode(bytes);
    });
}
