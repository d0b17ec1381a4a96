#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! A *verifier* `keel node` process following a chain it learns only from L1.
//!
//! The chain is an in-process devnet on the real clock (embedded L1 served over HTTP with
//! its beacon blob API, a Keel sequencer, the batcher posting blobs). The node under test
//! runs as a separate process against that L1 and its own Engine API server (keel-devchain,
//! HTTP + JWT), with a safe-head database and metrics — all configured from the files
//! `keel devnet init` writes (rollup.json, the geth genesis.json the engine starts from,
//! jwt.hex), as an operator would set up op-geth and a node to follow a Keel devnet. The test checks through the node's
//! RPC and metrics only: its safe head equals the sequencer's block at every height it
//! reached, `optimism_safeHeadAtL1Block` answers from the safe-db, and after `kill -9` the
//! node resumes from the engine's heads and its safe-db still answers for the old L1 blocks.

mod e2e;

use std::time::Duration;

use alloy_primitives::B256;
use e2e::{
    Node, NodeFlags, call, engine_from_init_dir, metric, read_jwt, start_node, wait_for_head,
};
use keel_batcher::DataAvailability;
use keel_devchain::engine_server::{EngineServer, InProcessEngine};
use keel_node::{
    devnet::{Devnet, DevnetConfig, DevnetStatus, init, rpc::serve_rollup_rpc},
    driver::sources::{Clock, SystemClock},
};
use keel_protocol::rollup_config::RollupConfig;
use serde_json::{Value, json};

/// Polls until the node's safe head reaches `number`, for at most `secs` seconds.
async fn wait_for_safe(url: &str, number: u64, secs: u64) -> (u64, B256) {
    wait_for_head(url, "safe_l2", number, secs).await
}

fn hash_at(engine_chain: impl Fn(u64) -> Option<B256>, n: u64) -> B256 {
    engine_chain(n).unwrap_or_else(|| panic!("no block {n}"))
}

/// Every block 0..=upto of the node's engine is the sequencer's.
fn assert_same_chain(sequencer: &InProcessEngine, node_engine: &EngineServer, upto: u64) {
    for n in 0..=upto {
        let seq = hash_at(
            |n| sequencer.with_chain(|c| c.block_by_number(n).map(|b| b.header.hash())),
            n,
        );
        let ours = hash_at(
            |n| node_engine.with_chain(|c| c.block_by_number(n).map(|b| b.header.hash())),
            n,
        );
        assert_eq!(
            ours, seq,
            "block {n}: the verifier node's is not the sequencer's"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verifier_node_follows_the_chain_from_l1_and_resumes_after_kill() {
    tokio::time::timeout(Duration::from_secs(150), run())
        .await
        .expect("verifier end-to-end test timed out");
}

async fn run() {
    // The chain: 1 s L1 and L2 blocks, batches in blobs (so the node needs the beacon API).
    // Its files come from `keel devnet init`: the node's execution client starts from the
    // written genesis.json (as op-geth would after `op-geth init`), the node from the
    // written rollup.json and jwt.hex.
    let now_ms = SystemClock.now_ms();
    let cfg = DevnetConfig {
        l1_block_time: 1,
        l2_block_time: 1,
        data_availability: DataAvailability::Blobs,
        genesis_time: Some(now_ms / 1000),
        ..DevnetConfig::default()
    };
    let dir = tempfile::tempdir().unwrap();
    init::write(dir.path(), &cfg, now_ms / 1000).unwrap();
    let devnet = Devnet::new(&cfg, now_ms).unwrap();
    let rollup_path = dir.path().join("rollup.json");
    let rollup = RollupConfig::from_json(&std::fs::read(&rollup_path).unwrap()).unwrap();
    assert_eq!(
        rollup.genesis, devnet.rollup.genesis,
        "init wrote this chain"
    );
    let any = "127.0.0.1:0".parse().unwrap();
    let l1_rpc = keel_devchain::l1_rpc::serve(devnet.l1.clone(), any)
        .await
        .unwrap();
    let beacon = keel_devchain::l1::beacon::serve(devnet.l1.clone(), any)
        .await
        .unwrap();
    let sequencer = devnet.sequencer_engine.clone();
    // The devnet's own rollup RPC for its sequencer node, as `keel devnet` serves it.
    let (seq_handle, _) = devnet.handles();
    let seq_rollup_rpc =
        serve_rollup_rpc(&devnet.rollup, seq_handle, &devnet.sequencer_engine, any)
            .await
            .unwrap();
    let (status_tx, _status_rx) = tokio::sync::watch::channel(DevnetStatus::default());
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let chain = tokio::spawn(devnet.run(
        async move {
            let _ = stop_rx.wait_for(|s| *s).await;
        },
        status_tx,
    ));

    // The node's own execution client, initialised from genesis.json, served over HTTP
    // with the JWT secret of jwt.hex.
    let jwt_path = dir.path().join("jwt.hex");
    let engine = engine_from_init_dir(dir.path(), read_jwt(&jwt_path)).await;

    let args = NodeFlags {
        l1: &l1_rpc.url(),
        beacon: Some(&beacon.url()),
        l2: &engine.url(),
        jwt: &jwt_path,
        rollup: &rollup_path,
        dir: dir.path(),
        poll: "250ms",
    }
    .args(&["--verifier.l1-confs", "0"]);

    // 1. The node derives safe blocks from L1 alone, and they are the sequencer's.
    let mut node: Node = start_node(&args).await;
    let (safe_n, safe_hash) = wait_for_safe(&node.rpc, 6, 60).await;
    assert_same_chain(&sequencer, &engine, safe_n);
    assert_eq!(
        safe_hash,
        hash_at(
            |n| sequencer.with_chain(|c| c.block_by_number(n).map(|b| b.header.hash())),
            safe_n
        )
    );
    let status = call(&node.rpc, "optimism_syncStatus", json!([]))
        .await
        .unwrap();
    // Without p2p gossip a verifier's unsafe head is its derived chain.
    assert!(
        status["unsafe_l2"]["number"].as_u64().unwrap() >= safe_n,
        "{status}"
    );
    let derived_from = status["current_l1"]["number"].as_u64().unwrap();
    assert!(derived_from >= 1, "{status}");

    // 2. The safe-head database answers for the L1 block derivation has reached: a safe
    //    head that is the sequencer's block at its height, derived from an L1 block at or
    //    before the one asked about.
    let at = call(
        &node.rpc,
        "optimism_safeHeadAtL1Block",
        json!([format!("{derived_from:#x}")]),
    )
    .await
    .unwrap_or_else(|e| panic!("safeHeadAtL1Block({derived_from}): {e}"));
    let recorded_l1 = at["l1Block"]["number"].as_u64().unwrap();
    assert!(recorded_l1 <= derived_from, "{at}");
    let recorded_safe = at["safeHead"]["number"].as_u64().unwrap();
    assert!(recorded_safe >= 1, "{at}");
    assert_eq!(
        at["safeHead"]["hash"],
        json!(hash_at(
            |n| sequencer.with_chain(|c| c.block_by_number(n).map(|b| b.header.hash())),
            recorded_safe
        )),
        "{at}"
    );

    // 3. Metrics: the safe head and the batches derived from L1, under op-node's names.
    let metric_safe = metric(
        &node.metrics,
        "op_node_default_refs_number{",
        &["type=\"l2_safe\"", "layer=\"l2\""],
    )
    .await
    .expect("no l2_safe refs_number metric");
    assert!(metric_safe >= 1.0, "l2_safe metric {metric_safe}");
    let batches = metric(&node.metrics, "op_node_default_derived_batches_total", &[])
        .await
        .unwrap_or(0.0);
    assert!(batches >= 1.0, "derived batches metric {batches}");

    // 4. kill -9 and restart: the node resumes from the engine's heads, keeps deriving,
    //    and the safe-db kept what it recorded.
    node.child.kill().await.unwrap();
    let node = start_node(&args).await;
    let (after_n, _) = wait_for_safe(&node.rpc, safe_n + 4, 60).await;
    assert_same_chain(&sequencer, &engine, after_n);
    let again = call(
        &node.rpc,
        "optimism_safeHeadAtL1Block",
        json!([format!("{derived_from:#x}")]),
    )
    .await
    .unwrap();
    assert!(
        again["safeHead"]["number"].as_u64().unwrap() >= recorded_safe,
        "after restart: {again} (before: {at})"
    );

    // 5. The output root at the safe head is the one of the sequencer's block.
    let out: Value = call(
        &node.rpc,
        "optimism_outputAtBlock",
        json!([format!("{after_n:#x}")]),
    )
    .await
    .unwrap();
    let header = sequencer.with_chain(|c| c.block_by_number(after_n).unwrap().header.clone());
    assert_eq!(out["blockRef"]["hash"], json!(header.hash()));
    assert_eq!(out["stateRoot"], json!(header.state_root));
    // The devnet's sequencer node computes the same output root for that block.
    let seq_out = call(
        &seq_rollup_rpc.url(),
        "optimism_outputAtBlock",
        json!([format!("{after_n:#x}")]),
    )
    .await
    .unwrap();
    assert_eq!(seq_out["outputRoot"], out["outputRoot"]);
    assert_eq!(
        call(&seq_rollup_rpc.url(), "admin_sequencerActive", json!([])).await,
        Ok(json!(true))
    );
    seq_rollup_rpc.stop().await;

    let _ = stop_tx.send(true);
    let _ = chain.await;
    engine.stop().await;
}
