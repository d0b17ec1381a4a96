#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Fuzz targets of the config area: `rollup.json` parsing and `ConfigUpdate` log decoding.
//! See `common/fuzz.rs` for the driver and the `KEEL_FUZZ_*` knobs.

mod common;

use alloy_primitives::{B256, Bytes};
use keel_protocol::{
    config_update::{UpdateType, parse_config_update, process_config_update_log},
    presets::{preset, preset_names},
    rollup_config::RollupConfig,
    system_config::SystemConfig,
};

#[test]
fn fuzz_rollup_config_json() {
    let mut seeds: Vec<Vec<u8>> = preset_names()
        .iter()
        .map(|n| preset(n).unwrap().to_json().into_bytes())
        .collect();
    for rel in [
        "config/rollup-json/op-devnet-901-rollup.json",
        "config/rollup-json/base-mainnet-rollup.json",
        "config/kona-executor/block-26207960.rollup_config.json",
    ] {
        seeds.push(common::read_bytes(rel));
    }
    common::fuzz::run("rollup_config_json", &seeds, 512, |bytes| {
        if let Ok(cfg) = RollupConfig::from_json(bytes) {
            // Whatever parses must validate or fail cleanly, and write back out.
            let _ = cfg.validate();
            let again = RollupConfig::from_json(cfg.to_json().as_bytes());
            assert!(again.is_ok());
            let _ = cfg.max_sequencer_drift(u64::MAX);
            let _ = cfg.timestamp_for_block(u64::MAX);
            let _ = cfg.target_block_number(u64::MAX);
        }
    });
}

#[test]
fn fuzz_system_config_json() {
    let v = common::read_json("config/system_config_updates.json");
    let seeds: Vec<Vec<u8>> = v["system_config_json"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["json_text"].as_str().unwrap().as_bytes().to_vec())
        .collect();
    common::fuzz::run("system_config_json", &seeds, 256, |bytes| {
        if let Ok(cfg) = serde_json::from_slice::<SystemConfig>(bytes) {
            let _ = cfg.ecotone_scalars();
            let json = serde_json::to_vec(&cfg).unwrap();
            assert_eq!(serde_json::from_slice::<SystemConfig>(&json).unwrap(), cfg);
        }
    });
}

#[test]
fn fuzz_config_update_log() {
    let v = common::read_json("config/system_config_updates.json");
    // Seed layout: one byte of update type, then the log data.
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    for case in v["config_update_logs"].as_array().unwrap() {
        let data: Bytes = case["data"].as_str().unwrap().parse().unwrap();
        let mut seed = vec![case["update_type"].as_u64().unwrap() as u8];
        seed.extend_from_slice(&data);
        seeds.push(seed);
    }
    common::fuzz::run("config_update_log", &seeds, 200, |bytes| {
        let Some((kind, data)) = bytes.split_first() else {
            return;
        };
        let topics = [
            keel_protocol::config_update::CONFIG_UPDATE_TOPIC,
            B256::ZERO,
            B256::with_last_byte(*kind % 9),
        ];
        let parsed = parse_config_update(&topics, data);
        if let Some(t) = UpdateType::from_topic(&topics[2]) {
            // A well-formed update of a non-signer type needs exactly 32 + 32 + payload bytes.
            if parsed.is_ok() && t != UpdateType::UnsafeBlockSigner {
                assert_eq!(data.len() as u64, 64 + t.payload_len());
            }
        } else {
            assert!(parsed.is_err());
        }
        let mut cfg = SystemConfig::default();
        let before = cfg;
        for ecotone in [false, true] {
            if process_config_update_log(&mut cfg, &topics, data, ecotone).is_err() {
                assert_eq!(cfg, before, "a rejected log must not change the config");
            }
        }
        // Topic-count handling on the same data.
        let _ = parse_config_update(&topics[..kind.min(&3).to_owned() as usize], data);
    });
}
