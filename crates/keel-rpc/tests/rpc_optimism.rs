//! The `optimism_` namespace over real HTTP against a fake node: each answer's JSON equals
//! op-node's shape, written out here from op-node's Go struct tags (op-service/eth
//! `SyncStatus`, `L1BlockRef`, `L2BlockRef`, `BlockID`, `OutputResponse`,
//! `SafeHeadResponse`) and compared field by field; errors carry op-node's code and text.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::sync::Arc;

use alloy_primitives::keccak256;
use common::{assert_json_eq, h, l2_json, start, status_json};
use keel_protocol::rollup_config::BlockId;
use keel_safedb::SafeDb;
use serde_json::{Value, json};

#[tokio::test]
async fn sync_status_is_op_nodes_shape() {
    let rpc = start(false, None, None).await;
    let got = rpc.ok("optimism_syncStatus", json!([])).await;
    assert_json_eq(&got, &status_json(), "syncStatus");
    // Spot checks of the encodings: numbers are JSON numbers, hashes 0x-hex of 32 bytes.
    assert_eq!(got["unsafe_l2"]["number"], json!(640));
    assert_eq!(got["unsafe_l2"]["sequenceNumber"], json!(4));
    assert_eq!(got["unsafe_l2"]["l1origin"]["number"], json!(106));
    assert_eq!(
        got["head_l1"]["hash"],
        json!("0x1100000000000000000000000000000000000000000000000000000000000069")
    );
    // The answer reads back into the Rust type unchanged.
    let back: keel_rpc::SyncStatus = serde_json::from_value(got).unwrap();
    assert_eq!(back, common::status());
}

#[tokio::test]
async fn output_at_block_is_op_nodes_shape_with_the_v0_root() {
    let rpc = start(false, None, None).await;
    // hexutil.Uint64 argument, as op-node's clients send it.
    let got = rpc.ok("optimism_outputAtBlock", json!(["0x1f4"])).await;

    // The v0 root computed here independently: keccak256 of the four 32-byte words.
    let mut preimage = vec![0u8; 32];
    preimage.extend_from_slice(h(0x5a, 500).as_slice());
    preimage.extend_from_slice(h(0x3b, 500).as_slice());
    preimage.extend_from_slice(h(0x22, 500).as_slice());
    let root = keccak256(&preimage);

    let expected = json!({
        "version": "0x0000000000000000000000000000000000000000000000000000000000000000",
        "outputRoot": root.to_string(),
        "blockRef": l2_json(500),
        "withdrawalStorageRoot": h(0x3b, 500).to_string(),
        "stateRoot": h(0x5a, 500).to_string(),
        "syncStatus": status_json(),
    });
    assert_json_eq(&got, &expected, "outputAtBlock");
}

#[tokio::test]
async fn output_at_block_errors_as_op_node() {
    let rpc = start(false, None, None).await;
    let (code, msg) = rpc.err("optimism_outputAtBlock", json!(["0x7"])).await;
    assert_eq!(code, -32000);
    assert_eq!(
        msg,
        "failed to get L2 block ref with sync status: not found"
    );

    // The node's output names another block: refused, not answered with a wrong root.
    let (code, msg) = rpc.err("optimism_outputAtBlock", json!(["0x1f5"])).await;
    assert_eq!(code, -32000);
    assert!(
        msg.starts_with(&format!(
            "failed to get L2 output at block {}:501: output is of block {}",
            h(0x22, 501),
            h(0x22, 999)
        )),
        "{msg}"
    );

    // A missing or malformed argument is invalid params.
    let (code, _) = rpc.err("optimism_outputAtBlock", json!([])).await;
    assert_eq!(code, -32602);
    let (code, _) = rpc.err("optimism_outputAtBlock", json!(["zz"])).await;
    assert_eq!(code, -32602);
}

fn record_db() -> (tempfile::TempDir, Arc<SafeDb>) {
    let dir = tempfile::tempdir().unwrap();
    let db = SafeDb::open(dir.path().join("safedb")).unwrap();
    for (l1, l2) in [(10u64, 100u64), (14, 150)] {
        db.record(
            BlockId {
                hash: h(0x11, l1),
                number: l1,
            },
            BlockId {
                hash: h(0x22, l2),
                number: l2,
            },
        )
        .unwrap();
    }
    (dir, Arc::new(db))
}

fn safe_head_json(l1: u64, l2: u64) -> Value {
    json!({
        "l1Block": { "hash": h(0x11, l1).to_string(), "number": l1 },
        "safeHead": { "hash": h(0x22, l2).to_string(), "number": l2 },
    })
}

#[tokio::test]
async fn safe_head_at_l1_block_reads_the_safedb() {
    let (_dir, db) = record_db();
    let rpc = start(false, Some(db), None).await;
    let at = rpc.ok("optimism_safeHeadAtL1Block", json!(["0xa"])).await;
    assert_json_eq(&at, &safe_head_json(10, 100), "at record");
    let between = rpc.ok("optimism_safeHeadAtL1Block", json!(["0xd"])).await;
    assert_json_eq(&between, &safe_head_json(10, 100), "between records");
    let after = rpc.ok("optimism_safeHeadAtL1Block", json!(["0x3e8"])).await;
    assert_json_eq(&after, &safe_head_json(14, 150), "after last record");

    let (code, msg) = rpc.err("optimism_safeHeadAtL1Block", json!(["0x9"])).await;
    assert_eq!((code, msg.as_str()), (-32000, "not found"));
}

#[tokio::test]
async fn safe_head_at_l1_block_without_a_safedb_is_op_nodes_error() {
    let rpc = start(false, None, None).await;
    let (code, msg) = rpc.err("optimism_safeHeadAtL1Block", json!(["0x5"])).await;
    assert_eq!(code, -32000);
    assert_eq!(
        msg,
        "failed to get safe head at l1 block 0x5: safe head database not enabled"
    );
}

#[tokio::test]
async fn rollup_config_is_the_op_node_rollup_json() {
    let rpc = start(false, None, None).await;
    let got = rpc.ok("optimism_rollupConfig", json!([])).await;
    let rollup = keel_protocol::presets::preset("op-sepolia").unwrap();
    let written: Value = serde_json::from_str(&rollup.to_json()).unwrap();
    assert_json_eq(&got, &written, "rollupConfig");
    // OP Sepolia's published values in op-node's field names.
    assert_eq!(got["l2_chain_id"], json!(11_155_420));
    assert_eq!(got["l1_chain_id"], json!(11_155_111));
    assert_eq!(got["block_time"], json!(2));
    assert_eq!(got["genesis"]["l2_time"], json!(1_691_802_540));
    assert_eq!(
        got["batch_inbox_address"],
        json!("0xff00000000000000000000000000000011155420")
    );
}

#[tokio::test]
async fn version_is_the_configured_string() {
    let rpc = start(false, None, None).await;
    let got = rpc.ok("optimism_version", json!([])).await;
    assert_eq!(got, json!("v0.1.0-keel-test"));
}

#[tokio::test]
async fn an_unknown_method_is_method_not_found() {
    let rpc = start(false, None, None).await;
    let (code, _) = rpc.err("optimism_noSuchThing", json!([])).await;
    assert_eq!(code, -32601);
}
