#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! `keel node` as a process, end to end: anvil is the L1, keel-devchain's Engine API server
//! (HTTP, JWT) the L2 execution client. The node sequences on the real clock (1 s blocks);
//! the test drives it only through its JSON-RPC and metrics endpoints, kills it with
//! SIGKILL and restarts it on the same engine, then stops it with SIGTERM.
//!
//! Needs anvil (npm `@foundry-rs/anvil`, `npm ci --prefix tools`, or `KEEL_ANVIL`); without
//! it the test fails under CI (`CI=true`) and is skipped with a message elsewhere.

mod e2e;

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use e2e::{NodeFlags, call, head, start_node, wait_for_head, watch_lines};

use alloy_primitives::{Address, B256, address};
use alloy_rpc_types_engine::JwtSecret;
use keel_derive::types::L1BlockRef;
use keel_devchain::{
    chain::{Chain, ChainConfig},
    engine_server::EngineServer,
    genesis::{DevGenesisConfig, build_genesis, dev_system_config, seal_dev_rollup_config},
};
use keel_l1::{L1Client, L1Config};
use keel_protocol::{
    hardfork::{Hardfork, HardforkTimes},
    rollup_config::{BlockId, RollupConfig},
    system_config::SystemConfig,
};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

const SECRET: &str = "0x3333333333333333333333333333333333333333333333333333333333333333";
const BATCH_INBOX: Address = address!("0xff00000000000000000000000000000000000901");

fn anvil_path() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("KEEL_ANVIL") {
        return Some(PathBuf::from(p));
    }
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/node_modules");
    // The platform binary first: `.bin/anvil` is a node wrapper that does not pass a kill on.
    [
        "@foundry-rs/anvil-linux-amd64/bin/anvil",
        "@foundry-rs/anvil-linux-arm64/bin/anvil",
        "@foundry-rs/anvil-darwin-arm64/bin/anvil",
        "@foundry-rs/anvil-darwin-amd64/bin/anvil",
        ".bin/anvil",
    ]
    .iter()
    .map(|c| modules.join(c))
    .find(|p| p.exists())
}

async fn start_anvil(bin: &Path) -> (Child, String) {
    let mut child = Command::new(bin)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--hardfork",
            "prague",
            "--block-time",
            "1",
            "--slots-in-an-epoch",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let addr = watch_lines(child.stdout.take().unwrap(), "anvil", |l| {
        l.trim().strip_prefix("Listening on ").map(str::to_owned)
    });
    let addr = tokio::time::timeout(Duration::from_secs(60), addr)
        .await
        .expect("anvil did not start listening within 60 s")
        .expect("anvil exited before listening");
    (child, format!("http://{addr}"))
}

/// A dev chain (every fork through Jovian at genesis, 1 s blocks) on L1 `genesis_l1` of
/// chain `l1_chain_id`, starting at the L1 genesis time.
fn rollup_config(genesis_l1: L1BlockRef, l1_chain_id: u64) -> RollupConfig {
    let mut cfg = RollupConfig {
        block_time: 1,
        max_sequencer_drift: 1800,
        seq_window_size: 3600,
        channel_timeout: 300,
        l1_chain_id,
        l2_chain_id: 901,
        batch_inbox_address: BATCH_INBOX,
        hardforks: HardforkTimes::all_through(Hardfork::Jovian),
        deposit_contract_address: address!("0xDe00000000000000000000000000000000000001"),
        l1_system_config_address: address!("0x5C00000000000000000000000000000000000001"),
        ..Default::default()
    };
    cfg.genesis.l2_time = genesis_l1.timestamp;
    cfg.genesis.system_config = SystemConfig {
        batcher_addr: address!("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
        ..dev_system_config()
    };
    cfg.genesis.l1 = BlockId {
        hash: genesis_l1.hash,
        number: genesis_l1.number,
    };
    seal_dev_rollup_config(&mut cfg).unwrap();
    cfg
}

async fn unsafe_head(url: &str) -> (u64, B256) {
    head(url, "unsafe_l2").await
}

/// Polls until the node's unsafe head reaches `number`.
async fn wait_for_unsafe(url: &str, number: u64) -> (u64, B256) {
    wait_for_head(url, "unsafe_l2", number, 20).await
}

fn engine_head(engine: &EngineServer) -> (u64, B256) {
    engine.with_chain(|c| {
        let h = c.head().unwrap();
        (h.header.number, h.header.hash())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_sequences_serves_admin_and_metrics_and_resumes_after_kill() {
    let Some(bin) = anvil_path() else {
        assert!(
            std::env::var("CI").is_err(),
            "anvil not found: run `npm ci --prefix tools` or set KEEL_ANVIL"
        );
        eprintln!(
            "SKIPPED node_e2e: anvil not found (run `npm ci --prefix tools` or set KEEL_ANVIL)"
        );
        return;
    };
    tokio::time::timeout(Duration::from_secs(90), run(&bin))
        .await
        .expect("node end-to-end test timed out");
}

async fn run(anvil_bin: &Path) {
    let (_anvil, l1_url) = start_anvil(anvil_bin).await;
    let l1 = L1Client::new_http(&l1_url, L1Config::default()).unwrap();
    let genesis_l1 = l1.block_by_number(0).await.unwrap().block_ref();
    let cfg = rollup_config(genesis_l1, 31337);
    let genesis = build_genesis(&DevGenesisConfig::from_rollup_config(&cfg)).unwrap();
    let secret = JwtSecret::from_hex(SECRET).unwrap();
    let engine = EngineServer::start(
        "127.0.0.1:0".parse().unwrap(),
        secret,
        Chain::new(cfg.clone(), genesis, ChainConfig::default()),
    )
    .await
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let rollup_path = dir.path().join("rollup.json");
    std::fs::write(&rollup_path, cfg.to_json()).unwrap();
    let jwt_path = dir.path().join("jwt.hex");
    std::fs::write(&jwt_path, format!("{SECRET}\n")).unwrap();
    let args = |admin: bool| {
        let mut a = NodeFlags {
            l1: &l1_url,
            beacon: None,
            l2: &engine.url(),
            jwt: &jwt_path,
            rollup: &rollup_path,
            dir: dir.path(),
            poll: "500ms",
        }
        .args(&["--sequencer.enabled", "--sequencer.l1-confs", "0"]);
        if admin {
            a.push("--rpc.enable-admin".into());
        }
        a
    };

    // 1. The sequencer builds blocks; optimism_syncStatus has op-node's shape and agrees
    //    with the engine.
    let mut node = start_node(&args(true)).await;
    let (n, hash) = wait_for_unsafe(&node.rpc, 3).await;
    let engine_hash = engine.with_chain(|c| c.block_by_number(n).map(|b| b.header.hash()));
    assert_eq!(
        engine_hash,
        Some(hash),
        "status head is the engine's block {n}"
    );
    let status = call(&node.rpc, "optimism_syncStatus", json!([]))
        .await
        .unwrap();
    for key in [
        "current_l1",
        "current_l1_finalized",
        "head_l1",
        "safe_l1",
        "finalized_l1",
        "unsafe_l2",
        "safe_l2",
        "finalized_l2",
        "pending_safe_l2",
        "cross_unsafe_l2",
        "local_safe_l2",
    ] {
        assert!(
            status.get(key).is_some(),
            "syncStatus lacks {key}: {status}"
        );
    }
    let unsafe_l2 = &status["unsafe_l2"];
    for key in [
        "hash",
        "number",
        "parentHash",
        "timestamp",
        "l1origin",
        "sequenceNumber",
    ] {
        assert!(
            unsafe_l2.get(key).is_some(),
            "unsafe_l2 lacks {key}: {unsafe_l2}"
        );
    }
    assert_eq!(
        unsafe_l2["timestamp"].as_u64().unwrap(),
        cfg.genesis.l2_time + unsafe_l2["number"].as_u64().unwrap(),
        "1 s blocks from genesis"
    );
    assert_eq!(
        status["safe_l2"]["hash"],
        json!(cfg.genesis.l2.hash),
        "no batches: safe is genesis"
    );
    assert!(
        status["head_l1"]["number"].as_u64().unwrap() >= 1,
        "{status}"
    );

    // 2. Admin: active; stop answers the head it stopped at, and the head stays there.
    assert_eq!(
        call(&node.rpc, "admin_sequencerActive", json!([])).await,
        Ok(json!(true))
    );
    let stopped: B256 = serde_json::from_value(
        call(&node.rpc, "admin_stopSequencer", json!([]))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        call(&node.rpc, "admin_sequencerActive", json!([])).await,
        Ok(json!(false))
    );
    let (stopped_n, head) = unsafe_head(&node.rpc).await;
    assert_eq!(head, stopped, "stopSequencer answers the unsafe head");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        unsafe_head(&node.rpc).await,
        (stopped_n, stopped),
        "no blocks while stopped"
    );
    assert_eq!(engine_head(&engine), (stopped_n, stopped));
    // Starting on a hash that is not the head is refused with op-node's handler code.
    let wrong = call(
        &node.rpc,
        "admin_startSequencer",
        json!([B256::repeat_byte(1)]),
    )
    .await;
    assert_eq!(wrong.unwrap_err()["code"], json!(-32000));
    assert_eq!(
        call(&node.rpc, "admin_startSequencer", json!([stopped])).await,
        Ok(Value::Null)
    );
    let (resumed_n, _) = wait_for_unsafe(&node.rpc, stopped_n + 2).await;
    let parent =
        engine.with_chain(|c| c.block_by_number(stopped_n + 1).unwrap().header.parent_hash);
    assert_eq!(parent, stopped, "resumed on the block it stopped at");

    // 3. Metrics in op-node's names.
    let scrape = reqwest::get(format!("{}/metrics", node.metrics))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let unsafe_metric = scrape
        .lines()
        .find(|l| {
            l.starts_with("op_node_default_refs_number{")
                && l.contains("type=\"l2_unsafe\"")
                && l.contains("layer=\"l2\"")
        })
        .unwrap_or_else(|| panic!("no l2_unsafe refs_number in:\n{scrape}"));
    let value: f64 = unsafe_metric.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(
        value >= resumed_n as f64,
        "{unsafe_metric} (head {resumed_n})"
    );
    assert!(scrape.contains("op_node_default_up 1"), "{scrape}");
    assert!(
        scrape.contains("op_node_default_sequencer_sealing_seconds_count"),
        "{scrape}"
    );
    // Every sealed block's build-to-seal time against the block time, and the engine
    // calls by method.
    assert!(
        scrape.contains("op_node_default_sequencer_building_diff_seconds_count"),
        "{scrape}"
    );
    assert!(
        scrape
            .contains("op_node_default_rpc_client_requests_total{method=\"engine_getPayloadV4\"}"),
        "{scrape}"
    );

    // optimism_outputAtBlock: the state root of the engine's block and the message
    // passer's storage root through the engine's eth_getProof, hashed as the spec's v0
    // output root. The passer is a proxied predeploy, so its storage (the ERC-1967 slots)
    // is never the empty trie; on this Isthmus chain the header's withdrawalsRoot is that
    // root (Spec: protocol/isthmus/exec-engine.md).
    let out = call(
        &node.rpc,
        "optimism_outputAtBlock",
        json!([format!("{:#x}", stopped_n)]),
    )
    .await
    .unwrap();
    let block = engine.with_chain(|c| c.block_by_number(stopped_n).unwrap().header.clone());
    assert_eq!(out["blockRef"]["hash"], json!(block.hash()));
    assert_eq!(out["stateRoot"], json!(block.state_root));
    let passer_root = block.withdrawals_root.unwrap();
    assert_ne!(passer_root, alloy_consensus::EMPTY_ROOT_HASH);
    assert_eq!(out["withdrawalStorageRoot"], json!(passer_root));
    let mut pre = [0u8; 128];
    pre[32..64].copy_from_slice(block.state_root.as_slice());
    pre[64..96].copy_from_slice(passer_root.as_slice());
    pre[96..].copy_from_slice(block.hash().as_slice());
    assert_eq!(out["outputRoot"], json!(alloy_primitives::keccak256(pre)));

    // The safe-head database is open (no batches, so no records yet: op-node's
    // "not found", not "safe head database not enabled").
    let safe_at = call(&node.rpc, "optimism_safeHeadAtL1Block", json!(["0x1"])).await;
    assert_eq!(safe_at.unwrap_err()["message"], json!("not found"));

    // 4. kill -9, restart (admin off this time): the node picks up the engine's head and
    //    builds on it.
    node.child.kill().await.unwrap();
    let (killed_n, killed_hash) = engine_head(&engine);
    let node = start_node(&args(false)).await;
    // Before its first reset the node reports zero heads; it then starts from the engine's
    // head, so block killed_n + 1 builds on the block that was the head at the kill.
    wait_for_unsafe(&node.rpc, killed_n + 2).await;
    let parent = engine.with_chain(|c| c.block_by_number(killed_n + 1).unwrap().header.parent_hash);
    assert_eq!(
        parent, killed_hash,
        "the restarted node continues the chain"
    );
    let refused = call(&node.rpc, "admin_sequencerActive", json!([])).await;
    assert_eq!(refused.unwrap_err()["code"], json!(-32601), "admin is off");

    // 5. SIGTERM stops it cleanly (exit 0).
    let pid = node.child.id().unwrap();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut child = node.child;
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("node did not stop within 10 s of SIGTERM")
        .unwrap();
    assert!(exit.success(), "exit after SIGTERM: {exit:?}");

    // 6. A rollup config whose L2 genesis is not the engine's block 0 is refused at start.
    let mut wrong = cfg.clone();
    wrong.genesis.l2.hash = B256::repeat_byte(0xee);
    std::fs::write(&rollup_path, wrong.to_json()).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_keel"))
        .arg("node")
        .args(args(false))
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let expected = format!(
        "error: L2 genesis mismatch: the rollup config names block 0 {}, but the L2 chain has {}",
        wrong.genesis.l2.hash, cfg.genesis.l2.hash
    );
    assert_eq!(err.lines().last(), Some(expected.as_str()), "{err}");
    engine.stop().await;
}
