#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! System config JSON and `ConfigUpdate` logs: the kona vectors of
//! `testdata/config/system_config_updates.json`, the receipts scan, and property tests.

mod common;

use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope, ReceiptWithBloom};
use alloy_primitives::{Address, B64, B256, Bytes, Log, U256, address};
use keel_protocol::{
    config_update::{
        Applied, CONFIG_UPDATE_TOPIC, ConfigUpdateError, SystemConfigUpdate, UpdateType,
        apply_receipts_config_updates, parse_config_update, process_config_update_log,
    },
    system_config::SystemConfig,
};
use proptest::prelude::*;

fn b256(s: &str) -> B256 {
    s.parse().unwrap()
}

fn hex_u256(v: &serde_json::Value) -> U256 {
    v.as_str().unwrap().parse().unwrap()
}

/// Test-side ABI encoder of a `ConfigUpdate` log: independent of the decoder under test.
fn encode(update: &SystemConfigUpdate) -> (Vec<B256>, Vec<u8>) {
    let (kind, payload): (u8, Vec<u8>) = match *update {
        SystemConfigUpdate::Batcher(a) => (0, B256::left_padding_from(a.as_slice()).to_vec()),
        SystemConfigUpdate::FeeScalars { overhead, scalar } => {
            (1, [overhead.as_slice(), scalar.as_slice()].concat())
        }
        SystemConfigUpdate::GasLimit(g) => (2, U256::from(g).to_be_bytes_vec()),
        SystemConfigUpdate::UnsafeBlockSigner(a) => {
            (3, B256::left_padding_from(a.unwrap().as_slice()).to_vec())
        }
        SystemConfigUpdate::Eip1559Params(p) => (4, B256::left_padding_from(p.as_slice()).to_vec()),
        SystemConfigUpdate::OperatorFeeParams(p) => (5, p.to_vec()),
        SystemConfigUpdate::MinBaseFee(v) => (6, U256::from(v).to_be_bytes_vec()),
        SystemConfigUpdate::DaFootprintGasScalar(v) => (7, U256::from(v).to_be_bytes_vec()),
    };
    let mut data = U256::from(32).to_be_bytes_vec();
    data.extend(U256::from(payload.len()).to_be_bytes_vec());
    data.extend(payload);
    (
        vec![CONFIG_UPDATE_TOPIC, B256::ZERO, B256::with_last_byte(kind)],
        data,
    )
}

#[test]
fn kona_config_update_vectors() {
    let v = common::read_json("config/system_config_updates.json");
    let cases = v["config_update_logs"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for case in cases {
        let id = case["id"].as_str().unwrap();
        let topics: Vec<B256> = case["topics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| b256(t.as_str().unwrap()))
            .collect();
        let data: Bytes = case["data"].as_str().unwrap().parse().unwrap();
        let ecotone = case["ecotone_active"].as_bool().unwrap();
        let update = parse_config_update(&topics, &data).unwrap();
        assert_eq!(
            update.apply(&mut SystemConfig::default(), false),
            Applied::Updated,
            "{id}"
        );
        let mut cfg = SystemConfig::default();
        assert_eq!(
            process_config_update_log(&mut cfg, &topics, &data, ecotone),
            Ok(Applied::Updated)
        );
        let e = &case["expected"];
        match id {
            "batcher" => assert_eq!(
                cfg.batcher_addr,
                e["batcher_address"]
                    .as_str()
                    .unwrap()
                    .parse::<Address>()
                    .unwrap()
            ),
            "gas_config_pre_ecotone" | "gas_config_post_ecotone" => {
                assert_eq!(
                    U256::from_be_bytes(cfg.overhead.0),
                    hex_u256(&e["overhead"]),
                    "{id}"
                );
                assert_eq!(
                    U256::from_be_bytes(cfg.scalar.0),
                    hex_u256(&e["scalar"]),
                    "{id}"
                );
            }
            "gas_limit" => assert_eq!(cfg.gas_limit, e["gas_limit"].as_u64().unwrap()),
            "eip1559_params" => {
                assert_eq!(
                    u64::from(cfg.eip1559_denominator()),
                    e["eip1559_denominator"].as_u64().unwrap()
                );
                assert_eq!(
                    u64::from(cfg.eip1559_elasticity()),
                    e["eip1559_elasticity"].as_u64().unwrap()
                );
            }
            "operator_fee" => {
                assert_eq!(
                    u64::from(cfg.operator_fee_scalar()),
                    e["operator_fee_scalar"].as_u64().unwrap()
                );
                assert_eq!(
                    cfg.operator_fee_constant(),
                    e["operator_fee_constant"].as_u64().unwrap()
                );
            }
            other => panic!("unexpected vector {other}"),
        }
        // The test-side encoder reproduces the vector's bytes.
        let (t2, d2) = encode(&update);
        assert_eq!((t2, d2), (topics.clone(), data.to_vec()), "{id}");
    }
}

#[test]
fn kona_system_config_serde_vectors() {
    let v = common::read_json("config/system_config_updates.json");
    let cases = v["system_config_json"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    for (i, case) in cases.iter().enumerate() {
        let text = case["json_text"].as_str().unwrap();
        let parsed = serde_json::from_str::<SystemConfig>(text);
        let e = &case["expected"];
        if e.is_string() {
            let err = parsed.unwrap_err().to_string();
            assert!(err.contains("unknown field `unknown`"), "case {i}: {err}");
            continue;
        }
        let cfg = parsed.unwrap();
        if let Some(a) = e.get("batcher_address") {
            assert_eq!(
                cfg.batcher_addr,
                a.as_str().unwrap().parse::<Address>().unwrap()
            );
            assert_eq!(
                U256::from_be_bytes(cfg.overhead.0),
                hex_u256(&e["overhead"])
            );
            assert_eq!(U256::from_be_bytes(cfg.scalar.0), hex_u256(&e["scalar"]));
            assert_eq!(cfg.gas_limit, e["gas_limit"].as_u64().unwrap());
        }
        if let Some(d) = e.get("eip1559_denominator") {
            assert_eq!(u64::from(cfg.eip1559_denominator()), d.as_u64().unwrap());
            assert_eq!(
                u64::from(cfg.eip1559_elasticity()),
                e["eip1559_elasticity"].as_u64().unwrap()
            );
        }
        if let Some(d) = e.get("da_footprint_gas_scalar") {
            assert_eq!(u64::from(cfg.da_footprint_gas_scalar), d.as_u64().unwrap());
        }
    }
}

fn receipt(ok: bool, logs: Vec<Log>) -> ReceiptEnvelope {
    ReceiptEnvelope::Eip1559(ReceiptWithBloom::new(
        Receipt {
            status: Eip658Value::Eip658(ok),
            cumulative_gas_used: 21_000,
            logs,
        },
        Default::default(),
    ))
}

fn log_of(addr: Address, update: &SystemConfigUpdate) -> Log {
    let (topics, data) = encode(update);
    Log::new_unchecked(addr, topics, data.into())
}

#[test]
fn receipts_scan_applies_good_updates_and_reports_bad_ones() {
    let sc = address!("0x229047fed2591dbec1ef1118d64f7af3db9eb290");
    let other = address!("0x0000000000000000000000000000000000000001");
    let good1 = log_of(sc, &SystemConfigUpdate::GasLimit(60_000_000));
    let mut bad = log_of(sc, &SystemConfigUpdate::GasLimit(1));
    let truncated = bad.data.data.slice(..95);
    bad.data = alloy_primitives::LogData::new_unchecked(bad.topics().to_vec(), truncated);
    let good2 = log_of(sc, &SystemConfigUpdate::MinBaseFee(7));
    let foreign = log_of(other, &SystemConfigUpdate::GasLimit(5));
    let failed = log_of(sc, &SystemConfigUpdate::GasLimit(6));
    let receipts = vec![
        receipt(true, vec![foreign, good1]),
        receipt(false, vec![failed]),
        receipt(true, vec![bad, good2]),
    ];
    let mut cfg = SystemConfig::default();
    let err = apply_receipts_config_updates(&mut cfg, sc, &receipts, true).unwrap_err();
    assert_eq!(err.errors.len(), 1);
    assert_eq!(
        (err.errors[0].receipt_index, err.errors[0].log_index),
        (2, 0)
    );
    assert!(matches!(
        err.errors[0].error,
        ConfigUpdateError::Truncated { .. }
    ));
    // Good updates before and after the bad log are applied; failed receipts are not.
    assert_eq!(cfg.gas_limit, 60_000_000);
    assert_eq!(cfg.min_base_fee, 7);

    let mut cfg = SystemConfig::default();
    let plain: Vec<Receipt> = vec![Receipt {
        status: Eip658Value::Eip658(true),
        cumulative_gas_used: 1,
        logs: vec![log_of(sc, &SystemConfigUpdate::DaFootprintGasScalar(9))],
    }];
    assert_eq!(
        apply_receipts_config_updates(&mut cfg, sc, &plain, true),
        Ok(1)
    );
    assert_eq!(cfg.da_footprint_gas_scalar, 9);
}

#[test]
fn layout_rejections() {
    let (t, d) = encode(&SystemConfigUpdate::Batcher(Address::repeat_byte(0xab)));
    let mut dd = d.clone();
    dd[64] = 1; // address high bytes
    assert!(matches!(
        parse_config_update(&t, &dd),
        Err(ConfigUpdateError::NonZeroPadding { .. })
    ));
    let (t, d) = encode(&SystemConfigUpdate::FeeScalars {
        overhead: B256::ZERO,
        scalar: B256::ZERO,
    });
    let mut dd = d.clone();
    dd[63] = 32; // fee scalars need length 64
    assert!(matches!(
        parse_config_update(&t, &dd),
        Err(ConfigUpdateError::BadLength {
            expected: 64,
            got: 32,
            ..
        })
    ));
    let (t, d) = encode(&SystemConfigUpdate::DaFootprintGasScalar(1));
    let mut dd = d.clone();
    dd[64 + 29] = 1; // above uint16
    assert!(matches!(
        parse_config_update(&t, &dd),
        Err(ConfigUpdateError::NonZeroPadding { .. })
    ));
    let mut t2 = t.clone();
    t2[0] = B256::ZERO;
    assert!(matches!(
        parse_config_update(&t2, &d),
        Err(ConfigUpdateError::WrongEvent(_))
    ));
    // EIP-1559: op-node reads only the low 8 bytes of the word.
    let (t, mut d) = encode(&SystemConfigUpdate::Eip1559Params(B64::from([
        0, 0, 0, 1, 0, 0, 0, 2,
    ])));
    d[64] = 0xff;
    assert_eq!(
        parse_config_update(&t, &d),
        Ok(SystemConfigUpdate::Eip1559Params(B64::from([
            0, 0, 0, 1, 0, 0, 0, 2
        ])))
    );
    let (t, d) = encode(&SystemConfigUpdate::Eip1559Params(B64::from([
        0, 0, 0, 0, 0, 0, 0, 2,
    ])));
    assert!(matches!(
        parse_config_update(&t, &d),
        Err(ConfigUpdateError::InvalidEip1559Params(_))
    ));
    let (t, d) = encode(&SystemConfigUpdate::Eip1559Params(B64::ZERO));
    assert_eq!(
        parse_config_update(&t, &d),
        Ok(SystemConfigUpdate::Eip1559Params(B64::ZERO))
    );
    assert!(
        UpdateType::ALL
            .iter()
            .all(|u| UpdateType::from_topic(&u.topic()) == Some(*u))
    );
}

fn arb_b256() -> impl Strategy<Value = B256> {
    any::<[u8; 32]>().prop_map(B256::from)
}

fn arb_update() -> impl Strategy<Value = SystemConfigUpdate> {
    prop_oneof![
        any::<[u8; 20]>().prop_map(|a| SystemConfigUpdate::Batcher(Address::from(a))),
        (arb_b256(), arb_b256())
            .prop_map(|(overhead, scalar)| SystemConfigUpdate::FeeScalars { overhead, scalar }),
        any::<u64>().prop_map(SystemConfigUpdate::GasLimit),
        any::<[u8; 20]>()
            .prop_map(|a| SystemConfigUpdate::UnsafeBlockSigner(Some(Address::from(a)))),
        (
            prop_oneof![Just(0u32), any::<u32>()],
            prop_oneof![Just(0u32), any::<u32>()]
        )
            .prop_map(|(d, e)| {
                let mut p = [0u8; 8];
                p[..4].copy_from_slice(&d.to_be_bytes());
                p[4..].copy_from_slice(&e.to_be_bytes());
                SystemConfigUpdate::Eip1559Params(B64::from(p))
            }),
        arb_b256().prop_map(SystemConfigUpdate::OperatorFeeParams),
        any::<u64>().prop_map(SystemConfigUpdate::MinBaseFee),
        any::<u16>().prop_map(SystemConfigUpdate::DaFootprintGasScalar),
    ]
}

fn arb_system_config() -> impl Strategy<Value = SystemConfig> {
    (
        any::<[u8; 20]>(),
        arb_b256(),
        arb_b256(),
        any::<u64>(),
        any::<[u8; 8]>(),
        arb_b256(),
        any::<u64>(),
        any::<u16>(),
    )
        .prop_map(|(b, o, s, g, e, f, m, d)| SystemConfig {
            batcher_addr: Address::from(b),
            overhead: o,
            scalar: s,
            gas_limit: g,
            eip1559_params: B64::from(e),
            operator_fee_params: f,
            min_base_fee: m,
            da_footprint_gas_scalar: d,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn system_config_json_round_trip(cfg in arb_system_config()) {
        let json = serde_json::to_string(&cfg).unwrap();
        prop_assert_eq!(serde_json::from_str::<SystemConfig>(&json).unwrap(), cfg);
    }

    #[test]
    fn config_update_encode_parse_apply(update in arb_update(), start in arb_system_config(), ecotone in any::<bool>()) {
        let (topics, data) = encode(&update);
        if let SystemConfigUpdate::Eip1559Params(p) = update
            && p[..4] == [0; 4]
            && p[4..] != [0; 4]
        {
            prop_assert_eq!(parse_config_update(&topics, &data), Err(ConfigUpdateError::InvalidEip1559Params(p)));
            return Ok(());
        }
        prop_assert_eq!(parse_config_update(&topics, &data), Ok(update));
        let mut cfg = start;
        let applied = process_config_update_log(&mut cfg, &topics, &data, ecotone).unwrap();
        match update {
            SystemConfigUpdate::Batcher(a) => prop_assert_eq!(cfg.batcher_addr, a),
            SystemConfigUpdate::GasLimit(g) => prop_assert_eq!(cfg.gas_limit, g),
            SystemConfigUpdate::MinBaseFee(v) => prop_assert_eq!(cfg.min_base_fee, v),
            SystemConfigUpdate::DaFootprintGasScalar(v) => prop_assert_eq!(cfg.da_footprint_gas_scalar, v),
            SystemConfigUpdate::Eip1559Params(p) => prop_assert_eq!(cfg.eip1559_params, p),
            SystemConfigUpdate::OperatorFeeParams(p) => prop_assert_eq!(cfg.operator_fee_params, p),
            SystemConfigUpdate::UnsafeBlockSigner(_) => {
                prop_assert_eq!(applied, Applied::Ignored);
                prop_assert_eq!(cfg, start);
            }
            SystemConfigUpdate::FeeScalars { overhead, scalar } => {
                if !ecotone {
                    prop_assert_eq!((cfg.overhead, cfg.scalar), (overhead, scalar));
                } else if applied == Applied::Updated {
                    prop_assert_eq!((cfg.overhead, cfg.scalar), (B256::ZERO, scalar));
                } else {
                    prop_assert_eq!(cfg, start);
                }
            }
        }
        // A trailing byte is rejected, except on a signer update, which op-node never reads.
        let mut longer = data.clone();
        longer.push(0);
        let got = parse_config_update(&topics, &longer);
        if matches!(update, SystemConfigUpdate::UnsafeBlockSigner(_)) {
            prop_assert_eq!(got, Ok(SystemConfigUpdate::UnsafeBlockSigner(None)));
        } else {
            let is_trailing = matches!(got, Err(ConfigUpdateError::TrailingBytes { extra: 1, .. }));
            prop_assert!(is_trailing);
        }
    }
}
