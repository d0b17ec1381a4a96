#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! `keel devnet --l2.sequencer URL --l2.sequencer-jwt FILE --l2.verifier … --l2.verifier-jwt …`
//! drives external execution clients instead of its embedded engines.
//!
//! The "external" clients are keel-devchain Engine API servers in this test process (HTTP +
//! JWT), each initialised from the `genesis.json` that `keel devnet init` wrote, as op-geth
//! would be after `op-geth init`; `keel devnet --config DIR` runs as a separate process on
//! the real clock. The chain the sequencer builds and the verifier derives must land in
//! those two servers (read here through their own chains, not through the devnet), and a
//! wrong JWT or a client on another genesis must be refused before anything runs.

mod e2e;

use std::{path::Path, process::Output, time::Duration};

use alloy_primitives::B256;
use alloy_rpc_types_engine::JwtSecret;
use e2e::{DEVNET_ANY_PORTS, engine_from_init_dir, read_jwt};
use keel_devchain::engine_server::EngineServer;
use keel_node::{
    devnet::{DevnetConfig, init},
    driver::sources::{Clock, SystemClock},
};
use tokio::process::Command;

/// The safe head the devnet run aims at.
const UNTIL_SAFE: u64 = 4;

/// `init DIR` with 1 s L1 and L2 blocks, genesis now (minus `age` seconds).
fn init_dir(dir: &Path, age: u64) {
    let now = SystemClock.now_ms() / 1000 - age;
    let cfg = DevnetConfig {
        l1_block_time: 1,
        l2_block_time: 1,
        ..DevnetConfig::default()
    };
    init::write(dir, &cfg, now).unwrap();
}

/// Runs `keel devnet --config dir` with `extra` options and every server on a free port.
async fn devnet(dir: &Path, extra: &[&str]) -> Output {
    let run = Command::new(env!("CARGO_BIN_EXE_keel"))
        .arg("devnet")
        .arg("--config")
        .arg(dir)
        .args(extra)
        .args(DEVNET_ANY_PORTS)
        .kill_on_drop(true)
        .output();
    tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("keel devnet did not exit")
        .unwrap()
}

fn hash(engine: &EngineServer, n: u64) -> Option<B256> {
    engine.with_chain(|c| c.block_by_number(n).map(|b| b.header.hash()))
}

fn external_args<'a>(seq: &'a str, ver: &'a str, jwt: &'a str) -> [&'a str; 8] {
    [
        "--l2.sequencer",
        seq,
        "--l2.sequencer-jwt",
        jwt,
        "--l2.verifier",
        ver,
        "--l2.verifier-jwt",
        jwt,
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devnet_drives_external_execution_clients() {
    let dir = tempfile::tempdir().unwrap();
    init_dir(dir.path(), 0);
    let jwt_path = dir.path().join("jwt.hex");
    let secret = read_jwt(&jwt_path);
    let seq = engine_from_init_dir(dir.path(), secret).await;
    let ver = engine_from_init_dir(dir.path(), secret).await;
    let (seq_url, ver_url) = (seq.url(), ver.url());
    let jwt = jwt_path.to_str().unwrap();

    let until = UNTIL_SAFE.to_string();
    let mut args = external_args(&seq_url, &ver_url, jwt).to_vec();
    args.extend(["--until-safe", &until, "--timeout", "90"]);
    let out = devnet(dir.path(), &args).await;
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(v["safe_number"], UNTIL_SAFE);
    assert_eq!(v["safe_hash"], v["sequencer_hash_at_safe"]);
    assert!(v["batcher_txs"].as_u64().unwrap() >= 1, "{v}");

    // The chain is in the external clients: the sequencer built every block in its
    // server, the verifier derived the same blocks into its own.
    for n in 0..=UNTIL_SAFE {
        let s = hash(&seq, n).unwrap_or_else(|| panic!("sequencer client has no block {n}"));
        let d = hash(&ver, n).unwrap_or_else(|| panic!("verifier client has no block {n}"));
        assert_eq!(s, d, "block {n}");
    }
    assert_eq!(v["safe_hash"], serde_json::json!(hash(&ver, UNTIL_SAFE)));
    assert_eq!(v["l2_genesis_hash"], serde_json::json!(hash(&seq, 0)));
    seq.stop().await;
    ver.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_jwt_or_another_genesis_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    init_dir(dir.path(), 0);
    let jwt_path = dir.path().join("jwt.hex");
    let jwt = jwt_path.to_str().unwrap();
    let good = engine_from_init_dir(dir.path(), read_jwt(&jwt_path)).await;
    let good_url = good.url();

    // 1. The client runs another secret than the file given.
    let other_secret = engine_from_init_dir(dir.path(), JwtSecret::random()).await;
    let url = other_secret.url();
    let out = devnet(dir.path(), &external_args(&url, &good_url, jwt)).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sequencer execution client") && err.contains("refused the JWT"),
        "{err}"
    );

    // 2. The client was initialised from another chain's genesis.json (another genesis
    //    time, so another genesis block).
    let other = tempfile::tempdir().unwrap();
    init_dir(other.path(), 10);
    std::fs::copy(&jwt_path, other.path().join("jwt.hex")).unwrap();
    let other_chain = engine_from_init_dir(other.path(), read_jwt(&jwt_path)).await;
    let url = other_chain.url();
    let out = devnet(dir.path(), &external_args(&good_url, &url, jwt)).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("verifier execution client") && err.contains("another chain"),
        "{err}"
    );
    // Nothing was built on the good client either: the checks come first.
    assert!(good.with_chain(|c| c.block_by_number(1).is_none()));

    // 3. Without --config the devnet would build a chain the client was not initialised
    //    with: refused, saying why.
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .args([
            "devnet",
            "--l2.sequencer",
            &good_url,
            "--l2.sequencer-jwt",
            jwt,
        ])
        .args(DEVNET_ANY_PORTS)
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--config") && err.contains("genesis.json"),
        "{err}"
    );

    for e in [good, other_secret, other_chain] {
        e.stop().await;
    }
}
