//! Synthetic tests of every attributes rule: fork activation blocks, epoch changes with
//! deposits and config updates, sequence numbers, and each Reset / Critical condition.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod attributes_support;

use alloy_consensus::{Eip658Value, Receipt, ReceiptEnvelope, Sealed, TxReceipt};
use alloy_primitives::{Address, B256, Bytes, Log, LogData, TxKind, U256};
use attributes_support::*;
use keel_derive::{
    attributes::{AttributesError, EpochOrigin, PreparedAttributes, prepare_payload_attributes},
    error::ErrorClass,
};
use keel_protocol::{
    config_update::{CONFIG_UPDATE_TOPIC, UpdateType},
    deposit::encode_deposit_log,
    hardfork::{Hardfork, HardforkTimes},
    l1_info::{L1BlockInfo, L1InfoFormat},
    rollup_config::{BlockId, RollupConfig},
    system_config::SystemConfig,
    upgrades::{upgrade_transactions, upgrade_transactions_for_block},
};
use op_alloy_consensus::{TxDeposit, UserDepositSource};

const ORIGIN_TIME: u64 = 2000;

fn origin_id(h: &Sealed<alloy_consensus::Header>) -> BlockId {
    BlockId {
        hash: h.hash(),
        number: h.number,
    }
}

/// The L1 block the parent was built on, and its child.
fn l1_pair() -> (
    Sealed<alloy_consensus::Header>,
    Sealed<alloy_consensus::Header>,
) {
    let a = seal(l1_header(500, B256::repeat_byte(1), ORIGIN_TIME));
    let b = seal(l1_header(501, a.hash(), ORIGIN_TIME + 12));
    (a, b)
}

fn build(
    cfg: &RollupConfig,
    parent: &keel_derive::types::L2BlockRef,
    epoch: &Sealed<alloy_consensus::Header>,
    receipts: Option<&[ReceiptEnvelope]>,
) -> Result<PreparedAttributes, AttributesError> {
    prepare_payload_attributes(
        cfg,
        parent,
        &system_config(),
        origin_id(epoch),
        EpochOrigin {
            header: epoch,
            receipts,
            l1_blob_params: None,
        },
    )
}

fn format_of(p: &PreparedAttributes) -> L1InfoFormat {
    let tx0 = &p.attributes.transactions.as_ref().unwrap()[0];
    let env =
        <op_alloy_consensus::OpTxEnvelope as alloy_eips::eip2718::Decodable2718>::decode_2718(
            &mut tx0.as_ref(),
        )
        .unwrap();
    let op_alloy_consensus::OpTxEnvelope::Deposit(d) = env else {
        panic!()
    };
    L1BlockInfo::decode(&d.inner().input).unwrap().format()
}

fn receipt(ok: bool, logs: Vec<Log>) -> ReceiptEnvelope {
    ReceiptEnvelope::Eip1559(
        Receipt {
            status: Eip658Value::Eip658(ok),
            cumulative_gas_used: 21_000,
            logs,
        }
        .into_with_bloom(),
    )
}

fn deposit(n: u8) -> TxDeposit {
    TxDeposit {
        from: Address::repeat_byte(n),
        to: TxKind::Call(Address::repeat_byte(n + 1)),
        mint: u128::from(n) * 1000,
        value: U256::from(n),
        gas_limit: 100_000,
        input: Bytes::from(vec![n; 3]),
        ..Default::default()
    }
}

fn word(v: u64) -> [u8; 32] {
    B256::left_padding_from(&v.to_be_bytes()).0
}

/// A `ConfigUpdate(version 0, kind, abi.encode(payload))` log from the system config.
fn config_log(kind: UpdateType, payload: &[[u8; 32]]) -> Log {
    let mut data = word(32).to_vec();
    data.extend(word(32 * payload.len() as u64));
    for w in payload {
        data.extend(w);
    }
    Log {
        address: SYS_CFG,
        data: LogData::new_unchecked(
            vec![CONFIG_UPDATE_TOPIC, B256::ZERO, kind.topic()],
            data.into(),
        ),
    }
}

#[test]
fn same_epoch_increments_sequence_number_without_deposits() {
    let cfg = config(forks_through("holocene"));
    let (a, _) = l1_pair();
    let parent = l2_parent(10, ORIGIN_TIME + 4, origin_id(&a), 2);
    // Receipts are ignored within an epoch, even if handed in.
    let junk = [receipt(true, vec![encode_deposit_log(PORTAL, &deposit(1))])];
    let out = build(&cfg, &parent, &a, Some(&junk)).unwrap();
    assert_eq!(out.sequence_number, 3);
    assert_eq!(out.deposit_count, 0);
    assert_eq!(out.attributes.transactions.as_ref().unwrap().len(), 1);
    assert_eq!(out.system_config, system_config());
    assert_eq!(out.attributes.payload_attributes.timestamp, ORIGIN_TIME + 6);
    assert_eq!(out.attributes.payload_attributes.prev_randao, a.mix_hash);
    assert_eq!(out.attributes.gas_limit, Some(30_000_000));
    assert_eq!(
        out.attributes.eip_1559_params,
        Some(system_config().eip1559_params)
    );
    assert_eq!(out.attributes.min_base_fee, None);
    assert_eq!(out.skipped_config_updates, None);
}

#[test]
fn new_epoch_has_sequence_zero_deposits_in_log_order_and_config_updates() {
    let cfg = config(forks_through("jovian"));
    let (a, b) = l1_pair();
    let parent = l2_parent(10, ORIGIN_TIME + 10, origin_id(&a), 5);
    let (d1, d2, d3) = (deposit(1), deposit(2), deposit(3));
    let receipts = vec![
        receipt(true, vec![encode_deposit_log(PORTAL, &d1)]),
        // A failed transaction's logs do not count (but do count for log indices).
        receipt(false, vec![encode_deposit_log(PORTAL, &deposit(9))]),
        receipt(
            true,
            vec![
                config_log(UpdateType::GasLimit, &[word(45_000_000)]),
                encode_deposit_log(PORTAL, &d2),
                config_log(UpdateType::MinBaseFee, &[word(77)]),
                encode_deposit_log(PORTAL, &d3),
            ],
        ),
    ];
    let out = build(&cfg, &parent, &b, Some(&receipts)).unwrap();
    assert_eq!(out.sequence_number, 0);
    assert_eq!(out.deposit_count, 3);
    assert_eq!(out.system_config.gas_limit, 45_000_000);
    assert_eq!(out.system_config.min_base_fee, 77);
    assert_eq!(out.attributes.gas_limit, Some(45_000_000));
    assert_eq!(out.attributes.min_base_fee, Some(77));
    let txs = out.attributes.transactions.as_ref().unwrap();
    assert_eq!(txs.len(), 4);
    let expect = [(d1, 0u64), (d2, 3), (d3, 5)];
    for (i, (mut d, log_index)) in expect.into_iter().enumerate() {
        d.source_hash = UserDepositSource::new(b.hash(), log_index).source_hash();
        assert_eq!(txs[i + 1], enc(&d), "deposit {i}");
    }
    assert_eq!(format_of(&out), L1InfoFormat::Jovian);
}

#[test]
fn malformed_config_update_is_skipped_like_current_op_node() {
    let cfg = config(forks_through("holocene"));
    let (a, b) = l1_pair();
    let parent = l2_parent(10, ORIGIN_TIME + 10, origin_id(&a), 5);
    let mut bad = config_log(UpdateType::GasLimit, &[word(1)]);
    bad.data = LogData::new_unchecked(bad.data.topics().to_vec(), Bytes::from_static(&[1, 2]));
    let receipts = vec![receipt(
        true,
        vec![bad, config_log(UpdateType::GasLimit, &[word(50_000_000)])],
    )];
    let out = build(&cfg, &parent, &b, Some(&receipts)).unwrap();
    assert_eq!(out.system_config.gas_limit, 50_000_000);
    let skipped = out.skipped_config_updates.unwrap();
    assert_eq!(skipped.errors.len(), 1);
    assert_eq!(skipped.errors[0].log_index, 0);
}

#[test]
fn malformed_deposit_is_critical() {
    let cfg = config(forks_through("holocene"));
    let (a, b) = l1_pair();
    let parent = l2_parent(10, ORIGIN_TIME + 10, origin_id(&a), 5);
    let mut bad = encode_deposit_log(PORTAL, &deposit(1));
    bad.data = LogData::new_unchecked(bad.data.topics().to_vec(), Bytes::new());
    let receipts = vec![receipt(
        true,
        vec![encode_deposit_log(PORTAL, &deposit(2)), bad],
    )];
    let err = build(&cfg, &parent, &b, Some(&receipts)).unwrap_err();
    assert!(matches!(
        err,
        AttributesError::Deposits {
            parent_number: 10,
            ..
        }
    ));
    assert_eq!(err.class(), ErrorClass::Critical);
}

#[test]
fn new_epoch_must_extend_parent_origin() {
    let cfg = config(forks_through("holocene"));
    let (a, _) = l1_pair();
    let stranger = seal(l1_header(501, B256::repeat_byte(0x77), ORIGIN_TIME + 12));
    let parent = l2_parent(10, ORIGIN_TIME + 20, origin_id(&a), 5);
    let err = build(&cfg, &parent, &stranger, Some(&[])).unwrap_err();
    assert!(
        matches!(err, AttributesError::EpochParentMismatch { .. }),
        "{err}"
    );
    assert_eq!(err.class(), ErrorClass::Reset);
}

#[test]
fn same_epoch_number_with_other_hash_is_reset() {
    let cfg = config(forks_through("holocene"));
    let (a, _) = l1_pair();
    let twin = seal(l1_header(500, B256::repeat_byte(2), ORIGIN_TIME));
    let parent = l2_parent(10, ORIGIN_TIME + 4, origin_id(&a), 0);
    let err = build(&cfg, &parent, &twin, None).unwrap_err();
    assert!(matches!(err, AttributesError::EpochHashMismatch { .. }));
    assert_eq!(err.class(), ErrorClass::Reset);
}

#[test]
fn older_epoch_is_reset() {
    let cfg = config(forks_through("holocene"));
    let (a, b) = l1_pair();
    let parent = l2_parent(10, ORIGIN_TIME + 40, origin_id(&b), 0);
    let err = build(&cfg, &parent, &a, Some(&[])).unwrap_err();
    assert_eq!(err.class(), ErrorClass::Reset);
}

#[test]
fn origin_after_next_l2_time_is_reset() {
    let cfg = config(forks_through("holocene"));
    let (a, b) = l1_pair();
    // Next L2 time is ORIGIN_TIME + 11, the new origin is at ORIGIN_TIME + 12.
    let parent = l2_parent(10, ORIGIN_TIME + 9, origin_id(&a), 4);
    let err = build(&cfg, &parent, &b, Some(&[])).unwrap_err();
    assert!(matches!(
        err,
        AttributesError::OriginInFuture {
            l2_time: 2011,
            origin_time: 2012,
            ..
        }
    ));
    assert_eq!(err.class(), ErrorClass::Reset);
    // Equal times are fine.
    let parent = l2_parent(10, ORIGIN_TIME + 10, origin_id(&a), 4);
    assert!(build(&cfg, &parent, &b, Some(&[])).is_ok());
}

#[test]
fn caller_contract_violations_are_critical() {
    let cfg = config(forks_through("holocene"));
    let (a, b) = l1_pair();
    let parent = l2_parent(10, ORIGIN_TIME + 20, origin_id(&a), 4);
    let err = build(&cfg, &parent, &b, None).unwrap_err();
    assert!(matches!(err, AttributesError::MissingReceipts { .. }));
    assert_eq!(err.class(), ErrorClass::Critical);
    let err = prepare_payload_attributes(
        &cfg,
        &parent,
        &system_config(),
        origin_id(&a),
        EpochOrigin {
            header: &b,
            receipts: Some(&[]),
            l1_blob_params: None,
        },
    )
    .unwrap_err();
    assert!(matches!(err, AttributesError::OriginDataMismatch { .. }));
    assert_eq!(err.class(), ErrorClass::Critical);
}

#[test]
fn fork_dependent_fields() {
    let (a, _) = l1_pair();
    let parent = l2_parent(10, ORIGIN_TIME + 4, origin_id(&a), 0);
    let cases: [(&str, bool, bool, bool, bool); 5] = [
        // (last fork, withdrawals, beacon root, eip1559 params, min base fee)
        ("regolith", false, false, false, false),
        ("canyon", true, false, false, false),
        ("ecotone", true, true, false, false),
        ("holocene", true, true, true, false),
        ("jovian", true, true, true, true),
    ];
    for (fork, w, root, eip, min) in cases {
        let cfg = config(forks_through(fork));
        let p = build(&cfg, &parent, &a, None).unwrap().attributes;
        assert_eq!(p.payload_attributes.withdrawals.is_some(), w, "{fork}");
        if w {
            assert_eq!(p.payload_attributes.withdrawals, Some(vec![]));
        }
        assert_eq!(
            p.payload_attributes.parent_beacon_block_root,
            root.then_some(B256::repeat_byte(0xbe)),
            "{fork}"
        );
        assert_eq!(p.eip_1559_params.is_some(), eip, "{fork}");
        assert_eq!(p.min_base_fee.is_some(), min, "{fork}");
        assert_eq!(p.no_tx_pool, Some(true));
    }
    // No beacon root in the L1 header: zero.
    let cfg = config(forks_through("ecotone"));
    let mut h = l1_header(500, B256::repeat_byte(1), ORIGIN_TIME);
    h.parent_beacon_block_root = None;
    let bare = seal(h);
    let parent = l2_parent(10, ORIGIN_TIME + 4, origin_id(&bare), 0);
    let p = build(&cfg, &parent, &bare, None).unwrap().attributes;
    assert_eq!(
        p.payload_attributes.parent_beacon_block_root,
        Some(B256::ZERO)
    );
    // Pre-Regolith: the L1-info deposit is a 150M-gas system transaction.
    let pre = HardforkTimes {
        regolith_time: Some(1_000_000),
        ..Default::default()
    };
    let p = build(&config(pre), &parent, &bare, None).unwrap();
    let tx0 = &p.attributes.transactions.unwrap()[0];
    let env =
        <op_alloy_consensus::OpTxEnvelope as alloy_eips::eip2718::Decodable2718>::decode_2718(
            &mut tx0.as_ref(),
        )
        .unwrap();
    let d = env.as_deposit().unwrap();
    assert!(d.is_system_transaction);
    assert_eq!(d.gas_limit, 150_000_000);
}

/// Each fork's activation block: its upgrade transactions follow the L1-info deposit (and
/// the deposits), and the L1-info deposit keeps the previous format.
#[test]
fn activation_blocks_carry_upgrade_transactions_after_deposits() {
    let (a, b) = l1_pair();
    let t = ORIGIN_TIME + 12;
    let cases = [
        ("ecotone", "delta", Hardfork::Ecotone, L1InfoFormat::Bedrock),
        ("fjord", "ecotone", Hardfork::Fjord, L1InfoFormat::Ecotone),
        ("granite", "fjord", Hardfork::Granite, L1InfoFormat::Ecotone),
        (
            "holocene",
            "granite",
            Hardfork::Holocene,
            L1InfoFormat::Ecotone,
        ),
        (
            "isthmus",
            "holocene",
            Hardfork::Isthmus,
            L1InfoFormat::Ecotone,
        ),
        ("jovian", "isthmus", Hardfork::Jovian, L1InfoFormat::Isthmus),
    ];
    let dep = deposit(4);
    let receipts = vec![receipt(true, vec![encode_deposit_log(PORTAL, &dep)])];
    for (fork, before, hf, format) in cases {
        let mut forks = forks_through(before);
        set_fork(&mut forks, fork, Some(t));
        let cfg = config(forks);
        assert!(cfg.is_activation_block(hf, t));
        let parent = l2_parent(10, t - 2, origin_id(&a), 3);
        let out = build(&cfg, &parent, &b, Some(&receipts)).unwrap();
        let txs = out.attributes.transactions.as_ref().unwrap();
        let upgrades = upgrade_transactions(hf);
        assert_eq!(txs.len(), 2 + upgrades.len(), "{fork}");
        let mut d = dep.clone();
        d.source_hash = UserDepositSource::new(b.hash(), 0).source_hash();
        assert_eq!(
            txs[1],
            enc(&d),
            "{fork}: deposit right after the L1-info tx"
        );
        for (i, u) in upgrades.iter().enumerate() {
            assert_eq!(txs[2 + i], enc(u), "{fork} upgrade {i}");
        }
        assert_eq!(format_of(&out), format, "{fork}");
        // The block after activation has no upgrade transactions and the new format.
        let next = l2_parent(11, t, origin_id(&b), 0);
        let out = build(&cfg, &next, &b, None).unwrap();
        assert_eq!(out.attributes.transactions.as_ref().unwrap().len(), 1);
    }
}

#[test]
fn forks_activating_together_append_upgrades_oldest_first() {
    let (a, _) = l1_pair();
    let t = ORIGIN_TIME + 12;
    let mut forks = forks_through("delta");
    for f in [
        "ecotone", "fjord", "granite", "holocene", "isthmus", "jovian",
    ] {
        set_fork(&mut forks, f, Some(t));
    }
    let cfg = config(forks);
    let parent = l2_parent(10, t - 2, origin_id(&a), 3);
    let out = build(&cfg, &parent, &a, None).unwrap();
    let txs = out.attributes.transactions.unwrap();
    let mut want = vec![txs[0].clone()];
    for hf in [
        Hardfork::Ecotone,
        Hardfork::Fjord,
        Hardfork::Isthmus,
        Hardfork::Jovian,
    ] {
        want.extend(upgrade_transactions(hf).iter().map(enc));
    }
    assert_eq!(txs, want);
    assert_eq!(
        &txs[1..],
        upgrade_transactions_for_block(&cfg, t).as_slice()
    );
}

#[test]
fn unsupported_forks_are_refused() {
    let (a, _) = l1_pair();
    let t = ORIGIN_TIME + 12;
    let parent = l2_parent(10, t - 2, origin_id(&a), 3);
    let mut forks = forks_through("jovian");
    forks.karst_time = Some(t);
    let err = build(&config(forks), &parent, &a, None).unwrap_err();
    assert!(matches!(
        err,
        AttributesError::UnsupportedFork {
            fork: Hardfork::Karst,
            ..
        }
    ));
    assert_eq!(err.class(), ErrorClass::Critical);
    // After Karst's activation block the builder proceeds.
    let next = l2_parent(11, t, origin_id(&a), 4);
    assert!(build(&config(forks), &next, &a, None).is_ok());
    forks.interop_time = Some(0);
    assert!(build(&config(forks), &next, &a, None).is_err());
}

#[test]
fn invalid_scalar_is_critical() {
    let cfg = config(forks_through("ecotone"));
    let (a, _) = l1_pair();
    let parent = l2_parent(10, ORIGIN_TIME + 4, origin_id(&a), 0);
    let mut sys: SystemConfig = system_config();
    sys.scalar = B256::repeat_byte(7);
    let err = prepare_payload_attributes(
        &cfg,
        &parent,
        &sys,
        origin_id(&a),
        EpochOrigin {
            header: &a,
            receipts: None,
            l1_blob_params: None,
        },
    )
    .unwrap_err();
    assert!(matches!(err, AttributesError::L1Info { .. }));
    assert_eq!(err.class(), ErrorClass::Critical);
}

/// The L1 blob schedule handed in decides the blob base fee (a BPO fork's update fraction
/// differs from Prague's); without it the header decides Cancun or Prague.
#[test]
fn l1_blob_params_decide_the_blob_base_fee() {
    let cfg = config(forks_through("holocene"));
    let mut h = l1_header(500, B256::repeat_byte(1), ORIGIN_TIME);
    h.excess_blob_gas = Some(50_000_000);
    let a = seal(h);
    let parent = l2_parent(10, ORIGIN_TIME + 4, origin_id(&a), 0);
    let fee_with = |params| {
        let out = prepare_payload_attributes(
            &cfg,
            &parent,
            &system_config(),
            origin_id(&a),
            EpochOrigin {
                header: &a,
                receipts: None,
                l1_blob_params: params,
            },
        )
        .unwrap();
        let tx0 = &out.attributes.transactions.unwrap()[0];
        let env =
            <op_alloy_consensus::OpTxEnvelope as alloy_eips::eip2718::Decodable2718>::decode_2718(
                &mut tx0.as_ref(),
            )
            .unwrap();
        L1BlockInfo::decode(&env.as_deposit().unwrap().input)
            .unwrap()
            .blob_base_fee()
            .unwrap()
    };
    use alloy_eips::eip7840::BlobParams;
    let cancun = U256::from(BlobParams::cancun().calc_blob_fee(50_000_000));
    let bpo1 = U256::from(BlobParams::bpo1().calc_blob_fee(50_000_000));
    assert_ne!(cancun, bpo1);
    assert_eq!(fee_with(None), cancun, "no requests hash: Cancun");
    assert_eq!(fee_with(Some(BlobParams::bpo1())), bpo1);
}
