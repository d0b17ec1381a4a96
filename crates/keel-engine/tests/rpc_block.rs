#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Reading an unsafe block back from the engine (`eth_getBlockByNumber`, full
//! transactions) as a payload, on real OP Goerli blocks (hildr's test data).

mod common;

use alloy_primitives::B256;
use alloy_rpc_types_engine::CancunPayloadFields;
use keel_derive::l2::block_ref_from_block;
use keel_engine::client::envelope_from_rpc_block;
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::OpExecutionPayloadSidecar;
use serde_json::Value;

fn num(v: &Value) -> u64 {
    v.as_str().unwrap().parse().unwrap()
}

fn check(file: &str, full_tx_list: bool) {
    let text = std::fs::read_to_string(common::testdata(file)).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let want_hash: B256 = v["assert_l2_block_hash"].as_str().unwrap().parse().unwrap();
    let env = envelope_from_rpc_block(v["test_block_data"].clone())
        .unwrap()
        .expect("a block");
    let p = &env.execution_payload;
    assert_eq!(p.block_hash(), want_hash);
    assert_eq!(p.block_number(), num(&v["assert_l2_block_number"]));
    assert_eq!(p.timestamp(), num(&v["assert_l2_block_timestamp"]));
    assert_eq!(
        p.transactions().len(),
        v["test_block_data"]["transactions"]
            .as_array()
            .unwrap()
            .len()
    );
    // The payload re-assembles into a block with the same hash: nothing was lost.
    let sidecar = match env.parent_beacon_block_root {
        Some(root) => OpExecutionPayloadSidecar::v3(CancunPayloadFields::new(root, vec![])),
        None => OpExecutionPayloadSidecar::default(),
    };
    let mut block = p
        .clone()
        .try_into_block_with_sidecar::<OpTxEnvelope>(&sidecar)
        .unwrap();
    if full_tx_list {
        assert_eq!(block.header.hash_slow(), want_hash, "{file}");
    } else {
        // hildr trimmed this block's transaction list (gasUsed shows more than the L1-info
        // deposit): every other header field must still re-hash to the block.
        let root: B256 = v["test_block_data"]["transactionsRoot"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_ne!(block.header.transactions_root, root);
        block.header.transactions_root = root;
        assert_eq!(block.header.hash_slow(), want_hash, "{file}");
    }
    // And its L1-info deposit names the expected origin.
    let mut cfg = common::config(false);
    cfg.hardforks.ecotone_time = Some(num(&v["assert_l2_block_timestamp"]).min(1_709_000_000));
    if file.contains("bedrock") {
        cfg.hardforks.ecotone_time = None;
        cfg.hardforks.fjord_time = None;
        cfg.hardforks.granite_time = None;
    }
    let r = block_ref_from_block(&cfg, want_hash, &block).unwrap();
    let l1_hash: B256 = v["assert_l1_block_hash"].as_str().unwrap().parse().unwrap();
    assert_eq!(r.l1_origin.hash, l1_hash);
    assert_eq!(r.l1_origin.number, num(&v["assert_l1_block_number"]));
}

#[test]
fn bedrock_block_reads_back_as_payload() {
    check("hildr/bedrock_raw_block.json", true);
}

#[test]
fn ecotone_block_reads_back_as_payload() {
    check("hildr/ecotone_raw_block.json", false);
}

#[test]
fn null_block_is_none() {
    assert!(envelope_from_rpc_block(Value::Null).unwrap().is_none());
}
