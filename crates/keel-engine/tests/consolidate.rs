#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Consolidation: each compared field, and the Holocene / Jovian fee parameters in
//! `extraData`.

mod common;

use alloy_eips::eip1559::BaseFeeParams;
use alloy_primitives::{Address, B64, B256, Bytes};
use alloy_rpc_types_engine::ExecutionPayloadV1;
use common::*;
use keel_engine::consolidate::{Mismatch, attributes_match_block};
use keel_protocol::rollup_config::RollupConfig;
use op_alloy_consensus::{encode_holocene_extra_data, encode_jovian_extra_data};
use op_alloy_rpc_types_engine::{
    OpExecutionPayload, OpExecutionPayloadEnvelope, OpPayloadAttributes,
};

fn fixture(
    holocene: bool,
) -> (
    RollupConfig,
    OpPayloadAttributes,
    OpExecutionPayloadEnvelope,
    B256,
) {
    let cfg = config(holocene);
    let g = genesis(&cfg);
    let a = attributes(&cfg, &g, 10, &[1, 2]);
    let p = payload(&cfg, &a, &g, 0);
    (cfg, a, p, g.hash)
}

fn v1(p: &mut OpExecutionPayloadEnvelope) -> &mut ExecutionPayloadV1 {
    p.execution_payload.as_v1_mut()
}

fn check(
    cfg: &RollupConfig,
    a: &OpPayloadAttributes,
    p: &OpExecutionPayloadEnvelope,
    parent: B256,
) -> Result<(), Mismatch> {
    attributes_match_block(cfg, a, parent, p)
}

#[test]
fn identical_block_matches() {
    for holocene in [false, true] {
        let (cfg, a, p, parent) = fixture(holocene);
        assert_eq!(check(&cfg, &a, &p, parent), Ok(()));
    }
}

#[test]
fn each_field_is_compared() {
    let (cfg, a, p, parent) = fixture(true);
    assert!(matches!(
        check(&cfg, &a, &p, B256::ZERO),
        Err(Mismatch::ParentHash { .. })
    ));

    let mut q = p.clone();
    v1(&mut q).timestamp += 1;
    assert!(matches!(
        check(&cfg, &a, &q, parent),
        Err(Mismatch::Timestamp { .. })
    ));

    let mut q = p.clone();
    v1(&mut q).prev_randao = B256::repeat_byte(3);
    assert!(matches!(
        check(&cfg, &a, &q, parent),
        Err(Mismatch::PrevRandao { .. })
    ));

    let mut q = p.clone();
    v1(&mut q).fee_recipient = Address::repeat_byte(9);
    assert!(matches!(
        check(&cfg, &a, &q, parent),
        Err(Mismatch::FeeRecipient { .. })
    ));

    let mut q = p.clone();
    v1(&mut q).gas_limit += 1;
    assert!(matches!(
        check(&cfg, &a, &q, parent),
        Err(Mismatch::GasLimit { .. })
    ));
    let mut b = a.clone();
    b.gas_limit = None;
    assert!(matches!(
        check(&cfg, &b, &p, parent),
        Err(Mismatch::GasLimit { expected: None, .. })
    ));

    let mut q = p.clone();
    v1(&mut q).transactions.pop();
    assert!(matches!(
        check(&cfg, &a, &q, parent),
        Err(Mismatch::TransactionCount {
            expected: 3,
            got: 2
        })
    ));

    // One byte differs in the last transaction.
    let mut q = p.clone();
    let mut last = v1(&mut q).transactions[2].to_vec();
    *last.last_mut().unwrap() ^= 1;
    v1(&mut q).transactions[2] = Bytes::from(last);
    assert_eq!(
        check(&cfg, &a, &q, parent),
        Err(Mismatch::Transaction { index: 2 })
    );

    let mut q = p.clone();
    q.parent_beacon_block_root = Some(B256::repeat_byte(4));
    assert!(matches!(
        check(&cfg, &a, &q, parent),
        Err(Mismatch::ParentBeaconBlockRoot { .. })
    ));
}

#[test]
fn withdrawals_must_be_empty_lists_from_canyon() {
    let (cfg, a, p, parent) = fixture(true);
    let mut b = a.clone();
    b.payload_attributes.withdrawals = None;
    assert!(matches!(
        check(&cfg, &b, &p, parent),
        Err(Mismatch::Withdrawals { .. })
    ));
    // A V1 payload (no withdrawals list) after Canyon.
    let mut q = p.clone();
    q.execution_payload = OpExecutionPayload::V1(p.execution_payload.as_v1().clone());
    assert!(matches!(
        check(&cfg, &a, &q, parent),
        Err(Mismatch::Withdrawals { .. })
    ));
    // After Isthmus the payload must carry withdrawalsRoot (a V4 payload).
    let mut isthmus = cfg.clone();
    isthmus.hardforks.isthmus_time = Some(0);
    assert!(matches!(
        check(&isthmus, &a, &p, parent),
        Err(Mismatch::Withdrawals { .. })
    ));
}

#[test]
fn holocene_eip1559_params_are_compared_through_extra_data() {
    let (cfg, a, p, parent) = fixture(true);
    let defaults = cfg.base_fee_params(a.payload_attributes.timestamp);

    // Zero params mean the chain's Canyon defaults, which is what the fixture's block holds.
    assert_eq!(
        p.execution_payload.as_v1().extra_data,
        encode_holocene_extra_data(B64::ZERO, defaults).unwrap()
    );
    assert_eq!(check(&cfg, &a, &p, parent), Ok(()));

    // Explicit params other than OP Mainnet's defaults (250, 6): denominator 100, elasticity 4.
    let params = B64::from_slice(&[0, 0, 0, 100, 0, 0, 0, 4]);
    let mut b = a.clone();
    b.eip_1559_params = Some(params);
    assert!(matches!(
        check(&cfg, &b, &p, parent),
        Err(Mismatch::ExtraData { .. })
    ));
    let mut q = p.clone();
    v1(&mut q).extra_data = encode_holocene_extra_data(params, defaults).unwrap();
    assert_eq!(check(&cfg, &b, &q, parent), Ok(()));

    // Missing params under Holocene.
    let mut c = a.clone();
    c.eip_1559_params = None;
    assert!(matches!(
        check(&cfg, &c, &p, parent),
        Err(Mismatch::FeeParams { .. })
    ));

    // Before Holocene extraData is not compared.
    let (cfg, a, mut p, parent) = fixture(false);
    v1(&mut p).extra_data = Bytes::from_static(b"anything");
    assert_eq!(check(&cfg, &a, &p, parent), Ok(()));
}

#[test]
fn jovian_min_base_fee_is_compared_through_extra_data() {
    let (mut cfg, mut a, mut p, parent) = fixture(true);
    cfg.hardforks.isthmus_time = Some(0);
    cfg.hardforks.jovian_time = Some(0);
    // Isthmus payload shape: V4 with withdrawalsRoot.
    let v3 = p.execution_payload.as_v3().unwrap().clone();
    p.execution_payload = OpExecutionPayload::V4(
        op_alloy_rpc_types_engine::OpExecutionPayloadV4::from_v3_with_withdrawals_root(
            v3,
            B256::repeat_byte(5),
        ),
    );
    let params = B64::from_slice(&[0, 0, 0, 250, 0, 0, 0, 6]);
    let defaults = BaseFeeParams::new(250, 6);
    a.eip_1559_params = Some(params);
    a.min_base_fee = Some(1_000);
    v1(&mut p).extra_data = encode_jovian_extra_data(params, defaults, 1_000).unwrap();
    assert_eq!(check(&cfg, &a, &p, parent), Ok(()));

    let mut b = a.clone();
    b.min_base_fee = Some(1_001);
    assert!(matches!(
        check(&cfg, &b, &p, parent),
        Err(Mismatch::ExtraData { .. })
    ));
    b.min_base_fee = None;
    assert!(matches!(
        check(&cfg, &b, &p, parent),
        Err(Mismatch::FeeParams { .. })
    ));
    // A Holocene-format (version 0) extraData under Jovian does not match.
    let mut q = p.clone();
    v1(&mut q).extra_data = encode_holocene_extra_data(params, defaults).unwrap();
    assert!(matches!(
        check(&cfg, &a, &q, parent),
        Err(Mismatch::ExtraData { .. })
    ));
}
