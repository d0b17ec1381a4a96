#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! `rollup.json` files written by op-node, kona and Base: parse, validate, round-trip.

mod common;

use alloy_primitives::{Address, B64, B256, address, b256};
use keel_protocol::{
    hardfork::{Hardfork, HardforkTimes},
    rollup_config::{
        AltDaConfig, BlockId, ChainGenesis, ChainOpConfig, ChainOpConfigOrigin, CommitmentType,
        ParseError, RollupConfig, ValidationError,
    },
    system_config::SystemConfig,
};
use proptest::prelude::*;

fn load(rel: &str) -> RollupConfig {
    RollupConfig::from_json(&common::read_bytes(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn kona_executor_fixture_configs() {
    let dir = common::testdata("config/kona-executor");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let cfg = RollupConfig::from_json(&std::fs::read(&path).unwrap()).unwrap();
        cfg.validate().unwrap();
        n += 1;
        assert_eq!(cfg.l2_chain_id, 11_155_420);
        assert_eq!(cfg.l1_chain_id, 11_155_111);
        assert_eq!(cfg.granite_channel_timeout, 50);
        assert_eq!(cfg.channel_timeout(cfg.hardforks.granite_time.unwrap()), 50);
        assert_eq!(cfg.hardforks.pectra_blob_schedule_time, Some(1_742_486_400));
        assert_eq!(cfg.hardforks.isthmus_time, Some(1_744_905_600));
        assert_eq!(cfg.hardforks.jovian_time, None);
        // kona omits regolith_time; kona's reading (active with Canyon) is made explicit.
        assert_eq!(cfg.hardforks.regolith_time, Some(1_699_981_200));
        assert_eq!(
            cfg.kona.superchain_config_address,
            Some(address!("0xc2be75506d5724086deb7245bd260cc9753911be"))
        );
        assert_eq!(cfg.kona.interop_message_expiry_window, Some(3600));
        assert_eq!(cfg.alt_da, None);
        assert_eq!(cfg.chain_op_config_origin, ChainOpConfigOrigin::File);
        assert_eq!(
            cfg.chain_op_config,
            ChainOpConfig {
                eip1559_elasticity: 6,
                eip1559_denominator: 50,
                eip1559_denominator_canyon: 250
            }
        );
        let sys = &cfg.genesis.system_config;
        assert_eq!(
            sys.batcher_addr,
            address!("0x8f23bb38f531600e5d8fddaaec41f13fab46e98c")
        );
        assert_eq!(sys.gas_limit, 30_000_000);
        // The same chain as the op-sepolia preset, apart from fields the fixture predates.
        let preset = keel_protocol::presets::preset("op-sepolia").unwrap();
        assert_eq!(cfg.genesis, preset.genesis);
        assert_eq!(
            cfg.l1_system_config_address,
            preset.l1_system_config_address
        );
        assert_eq!(
            cfg.deposit_contract_address,
            preset.deposit_contract_address
        );
        assert_eq!(
            cfg.protocol_versions_address,
            preset.protocol_versions_address
        );
    }
    assert_eq!(n, 8);
}

#[test]
fn op_devnet_901() {
    let cfg = load("config/rollup-json/op-devnet-901-rollup.json");
    cfg.validate().unwrap();
    assert_eq!((cfg.l1_chain_id, cfg.l2_chain_id), (900, 901));
    assert_eq!(
        cfg.max_sequencer_drift(0),
        1800,
        "Fjord at genesis fixes the drift"
    );
    assert_eq!(cfg.channel_timeout(0), 120, "Granite not scheduled");
    assert_eq!(cfg.protocol_versions_address, Some(Address::ZERO));
    assert_eq!(
        cfg.chain_op_config_origin,
        ChainOpConfigOrigin::StandardDefault
    );
}

/// Base's 2023 files predate every fork-time field but Regolith and `chain_op_config`.
/// op-node reads them (each missing field is optional there) and so does Keel: the fork
/// times stay unset, and `chain_op_config` comes from the Base preset as op-node would
/// take it from the registry.
#[test]
fn old_base_rollup_json() {
    let main = load("config/rollup-json/base-mainnet-rollup.json");
    main.validate().unwrap();
    assert_eq!(main.l2_chain_id, 8453);
    assert_eq!(
        main.hardforks,
        HardforkTimes {
            regolith_time: Some(0),
            ..Default::default()
        }
    );
    assert_eq!(
        main.chain_op_config_origin,
        ChainOpConfigOrigin::Preset("base-mainnet")
    );
    assert_eq!(main.protocol_versions_address, None);
    let preset = keel_protocol::presets::preset("base-mainnet").unwrap();
    assert_eq!(main.genesis, preset.genesis);
    assert_eq!(
        main.l1_system_config_address,
        preset.l1_system_config_address
    );

    let sep = load("config/rollup-json/base-sepolia-rollup.json");
    sep.validate().unwrap();
    assert_eq!(
        sep.chain_op_config_origin,
        ChainOpConfigOrigin::Preset("base-sepolia")
    );
    assert_eq!(sep.chain_op_config.eip1559_elasticity, 10);
    assert_eq!(sep.protocol_versions_address, Some(Address::ZERO));
    assert_eq!(
        sep.genesis,
        keel_protocol::presets::preset("base-sepolia")
            .unwrap()
            .genesis
    );
}

#[test]
fn round_trip_of_every_file() {
    let mut files = vec![
        "config/rollup-json/op-devnet-901-rollup.json".to_string(),
        "config/rollup-json/base-mainnet-rollup.json".to_string(),
        "config/rollup-json/base-sepolia-rollup.json".to_string(),
        "config/kona-executor/block-26207960.rollup_config.json".to_string(),
    ];
    files.sort();
    for f in files {
        let cfg = load(&f);
        let again = RollupConfig::from_json(cfg.to_json().as_bytes()).unwrap();
        // to_json writes op-node's format: kona-only fields and the chain_op_config origin
        // are not carried.
        let expect = RollupConfig {
            chain_op_config_origin: ChainOpConfigOrigin::File,
            kona: Default::default(),
            ..cfg
        };
        assert_eq!(again, expect, "{f}");
    }
}

#[test]
fn validate_errors_are_typed() {
    let good = load("config/rollup-json/op-devnet-901-rollup.json");
    let check = |f: &dyn Fn(&mut RollupConfig), want: ValidationError| {
        let mut c = good.clone();
        f(&mut c);
        assert_eq!(c.validate(), Err(want));
    };
    check(&|c| c.block_time = 0, ValidationError::BlockTimeZero);
    check(
        &|c| c.channel_timeout = 0,
        ValidationError::ChannelTimeoutZero,
    );
    check(
        &|c| c.seq_window_size = 1,
        ValidationError::SeqWindowTooSmall(1),
    );
    check(
        &|c| c.max_sequencer_drift = 0,
        ValidationError::MaxSequencerDriftZero,
    );
    check(
        &|c| c.genesis.l1.hash = B256::ZERO,
        ValidationError::MissingGenesisL1Hash,
    );
    check(
        &|c| c.genesis.l2.hash = B256::ZERO,
        ValidationError::MissingGenesisL2Hash,
    );
    check(
        &|c| c.genesis.l2.hash = c.genesis.l1.hash,
        ValidationError::GenesisHashesSame(good.genesis.l1.hash),
    );
    check(
        &|c| c.genesis.l2_time = 0,
        ValidationError::MissingGenesisL2Time,
    );
    check(
        &|c| c.genesis.system_config.batcher_addr = Address::ZERO,
        ValidationError::MissingBatcherAddr,
    );
    check(
        &|c| c.genesis.system_config.scalar = B256::ZERO,
        ValidationError::MissingScalar,
    );
    check(
        &|c| c.genesis.system_config.gas_limit = 0,
        ValidationError::MissingGasLimit,
    );
    check(
        &|c| c.batch_inbox_address = Address::ZERO,
        ValidationError::MissingBatchInboxAddress,
    );
    check(
        &|c| c.deposit_contract_address = Address::ZERO,
        ValidationError::MissingDepositContractAddress,
    );
    check(&|c| c.l2_chain_id = 900, ValidationError::ChainIdsSame(900));
    check(&|c| c.l1_chain_id = 0, ValidationError::L1ChainIdZero);
    check(&|c| c.l2_chain_id = 0, ValidationError::L2ChainIdZero);
    check(
        &|c| c.l1_system_config_address = Address::ZERO,
        ValidationError::MissingSystemConfigAddress,
    );
    check(
        &|c| c.granite_channel_timeout = 0,
        ValidationError::GraniteChannelTimeoutZero,
    );
    check(
        &|c| c.hardforks.holocene_time = Some(9),
        ValidationError::PriorForkMissing {
            fork: Hardfork::Holocene,
            time: 9,
            prior: Hardfork::Granite,
        },
    );
    check(
        &|c| c.hardforks.delta_time = None,
        ValidationError::PriorForkMissing {
            fork: Hardfork::Ecotone,
            time: 0,
            prior: Hardfork::Delta,
        },
    );
    check(
        &|c| c.hardforks.ecotone_time = Some(10),
        ValidationError::ForkOrder {
            fork: Hardfork::Fjord,
            time: 0,
            prior: Hardfork::Ecotone,
            prior_time: 10,
        },
    );
    check(
        &|c| {
            c.alt_da = Some(AltDaConfig {
                da_challenge_address: None,
                commitment_type: CommitmentType::Keccak,
                da_challenge_window: 1,
                da_resolve_window: 1,
            })
        },
        ValidationError::AltDaMissingChallengeAddress,
    );
}

#[test]
fn parse_errors() {
    let text = String::from_utf8(common::read_bytes(
        "config/rollup-json/op-devnet-901-rollup.json",
    ))
    .unwrap();
    let err = RollupConfig::from_json(text.replacen("\"l2_time\"", "\"l2_timee\"", 1).as_bytes())
        .unwrap_err();
    assert!(err.to_string().contains("l2_timee"), "{err}");
    let err = RollupConfig::from_json(
        text.replacen("\"batch_inbox_address\"", "\"x\"", 1)
            .as_bytes(),
    )
    .unwrap_err();
    assert!(err.to_string().contains('x'), "{err}");
    let no_inbox = text.replacen(
        "\"batch_inbox_address\": \"0xff00000000000000000000000000000000000901\",",
        "",
        1,
    );
    assert!(matches!(
        RollupConfig::from_json(no_inbox.as_bytes()),
        Err(ParseError::MissingField("batch_inbox_address"))
    ));
    let bad_da = text.replacen(
        "\"block_time\"",
        "\"alt_da\": {\"da_commitment_type\": \"Nope\"}, \"block_time\"",
        1,
    );
    assert!(matches!(
        RollupConfig::from_json(bad_da.as_bytes()),
        Err(ParseError::CommitmentType(_))
    ));
    assert!(matches!(
        RollupConfig::from_json(&vec![b' '; (1 << 20) + 1]),
        Err(ParseError::TooLarge(_))
    ));
}

fn opt_time() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![Just(None), (0u64..2_000_000_000).prop_map(Some)]
}

prop_compose! {
    fn arb_config()(
        hashes in any::<([u8; 32], [u8; 32])>(),
        nums in any::<(u64, u64, u64)>(),
        params in (1u64..100, 1u64..10_000, 2u64..10_000, 1u64..1000, 1u64..u64::MAX, 1u64..u64::MAX),
        addrs in any::<([u8; 20], [u8; 20], [u8; 20], [u8; 20])>(),
        pv in any::<Option<[u8; 20]>>(),
        times in (opt_time(), opt_time(), opt_time(), opt_time(), opt_time(), opt_time()),
        times2 in (opt_time(), opt_time(), opt_time(), opt_time(), opt_time(), opt_time()),
        keep in any::<bool>(),
        sys in (any::<[u8; 32]>(), any::<[u8; 32]>(), any::<u64>(), any::<[u8; 8]>(), any::<[u8; 32]>(), any::<u64>(), any::<u16>()),
        op in any::<(u64, u64, u64)>(),
        alt in any::<Option<(bool, [u8; 20], u64, u64)>>(),
    ) -> RollupConfig {
        RollupConfig {
            genesis: ChainGenesis {
                l1: BlockId { hash: B256::from(hashes.0), number: nums.0 },
                l2: BlockId { hash: B256::from(hashes.1), number: nums.1 },
                l2_time: nums.2,
                system_config: SystemConfig {
                    batcher_addr: Address::from(addrs.0),
                    overhead: B256::from(sys.0),
                    scalar: B256::from(sys.1),
                    gas_limit: sys.2,
                    eip1559_params: B64::from(sys.3),
                    operator_fee_params: B256::from(sys.4),
                    min_base_fee: sys.5,
                    da_footprint_gas_scalar: sys.6,
                },
            },
            block_time: params.0,
            max_sequencer_drift: params.1,
            seq_window_size: params.2,
            channel_timeout: params.3,
            l1_chain_id: params.4,
            l2_chain_id: params.5,
            hardforks: HardforkTimes {
                regolith_time: times.0,
                canyon_time: times.1,
                delta_time: times.2,
                ecotone_time: times.3,
                fjord_time: times.4,
                granite_time: times.5,
                holocene_time: times2.0,
                pectra_blob_schedule_time: times2.1,
                isthmus_time: times2.2,
                jovian_time: times2.3,
                karst_time: times2.4,
                interop_time: times2.5,
            },
            keep_karst_upgrade_gas: keep,
            batch_inbox_address: Address::from(addrs.1),
            deposit_contract_address: Address::from(addrs.2),
            l1_system_config_address: Address::from(addrs.3),
            protocol_versions_address: pv.map(Address::from),
            alt_da: alt.map(|(k, a, w, r)| AltDaConfig {
                da_challenge_address: Some(Address::from(a)),
                commitment_type: if k { CommitmentType::Keccak } else { CommitmentType::Generic },
                da_challenge_window: w,
                da_resolve_window: r,
            }),
            chain_op_config: ChainOpConfig {
                eip1559_elasticity: op.0,
                eip1559_denominator: op.1,
                eip1559_denominator_canyon: op.2,
            },
            ..Default::default()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn rollup_config_json_round_trip(cfg in arb_config()) {
        let json = cfg.to_json();
        let back = RollupConfig::from_json(json.as_bytes()).unwrap();
        prop_assert_eq!(back, cfg);
    }
}

#[test]
fn fork_helpers_on_a_real_config() {
    let cfg = load("config/kona-executor/block-26207960.rollup_config.json");
    let holocene = cfg.hardforks.holocene_time.unwrap();
    assert!(cfg.is_active(Hardfork::Holocene, holocene));
    assert!(!cfg.is_active(Hardfork::Holocene, holocene - 1));
    assert_eq!(
        b256!("0x48f520cf4ddaf34c8336e6e490632ea3cf1e5e93b0b2bc6e917557e31845371b"),
        cfg.genesis.l1.hash
    );
}
