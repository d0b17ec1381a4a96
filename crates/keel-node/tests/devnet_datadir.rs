//! `keel devnet --datadir DIR`: a devnet recorded into a data dir and rebuilt from it.
//! In process on tokio's paused clock: the replay gives back the very chains (L1 hash by
//! hash, with calldata and with blobs; both engines' forkchoice), an edited log is refused,
//! missed L1 slots are filled and the chain goes on from there, a too-long gap is refused.
//! As a process: two runs of `keel devnet --datadir D` make one chain.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod devnet_support;
mod e2e;

use std::{collections::HashMap, path::Path, process::Command};

use alloy_primitives::B256;
use keel_batcher::DataAvailability;
use keel_devchain::chain::Forkchoice;
use keel_node::devnet::{
    Devnet, DevnetConfig,
    datadir::{self, MAX_CATCH_UP_SLOTS},
    record::{DatadirError, LOG_FILE, Record},
};

use devnet_support::*;

fn config(da: DataAvailability) -> DevnetConfig {
    DevnetConfig {
        genesis_time: Some(START_MS / 1000),
        data_availability: da,
        ..DevnetConfig::default()
    }
}

/// What a devnet's chains are, as compared across a restart.
#[derive(Debug, PartialEq, Eq)]
struct Heads {
    l1: (u64, B256),
    sequencer: Forkchoice,
    verifier: Forkchoice,
}

fn heads(dn: &Devnet) -> Heads {
    let l1 = dn.l1.read();
    Heads {
        l1: (l1.head().number(), l1.head().hash()),
        sequencer: dn.sequencer_engine.with_chain(|c| c.forkchoice()),
        verifier: dn.verifier_engine.with_chain(|c| c.forkchoice()),
    }
}

/// A devnet on `dir` built at `now_ms` and restored from its log.
async fn restore(
    dir: &Path,
    cfg: &DevnetConfig,
    now_ms: u64,
) -> Result<(Devnet, datadir::Recorder), DatadirError> {
    let (cfg, dd) = datadir::open(dir, cfg, now_ms).unwrap();
    let dn = Devnet::new(&cfg, now_ms).unwrap();
    let rec = dd.restore(&dn).await?;
    Ok((dn, rec))
}

/// Runs a recorded devnet on `dir` until the verifier's safe head reaches `safe` (with an
/// L1 deposit on the way) and stops it; returns its heads at shutdown.
async fn run_recorded(dir: &Path, cfg: &DevnetConfig, now_ms: u64, safe: u64) -> Heads {
    init_tracing();
    let (dn, rec) = restore(dir, cfg, now_ms).await.unwrap();
    let rec = rec.spawn();
    let l1_chain_id = dn.rollup.l1_chain_id;
    let l1 = dn.l1.clone();
    let running = dn.start();
    let nonce = l1.read().pending_nonce(&deposit_sender());
    l1.write()
        .send_raw_transaction(&deposit_tx(l1_chain_id, nonce, 1_000))
        .unwrap();
    wait_until(&running, 300, "the safe head", |s| {
        s.verifier.heads.safe.number >= safe
    })
    .await;
    let (seq, ver) = (
        running.sequencer_engine.clone(),
        running.verifier_engine.clone(),
    );
    running.shutdown().await;
    rec.finish().await.unwrap();
    let l1 = l1.read();
    Heads {
        l1: (l1.head().number(), l1.head().hash()),
        sequencer: seq.with_chain(|c| c.forkchoice()),
        verifier: ver.with_chain(|c| c.forkchoice()),
    }
}

fn deposit_sender() -> alloy_primitives::Address {
    alloy_signer_local::PrivateKeySigner::from_bytes(&keel_devchain::genesis::DEV_PRIVATE_KEYS[3])
        .unwrap()
        .address()
}

fn read_log(dir: &Path) -> Vec<Record> {
    let bytes = std::fs::read(dir.join(LOG_FILE)).unwrap();
    keel_node::devnet::record::parse(bytes.as_slice(), Path::new(LOG_FILE))
        .unwrap()
        .0
}

async fn replay_gives_back_the_chains(da: DataAvailability) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(da);
    let before = run_recorded(dir.path(), &cfg, START_MS, 6).await;
    let log = read_log(dir.path());
    // The deposit and the batcher's transactions are in the log (so replaying them is
    // tested), blob sidecars too when posting blobs.
    let txs: usize = log
        .iter()
        .map(|r| match r {
            Record::L1Block { txs, .. } => txs.len(),
            _ => 0,
        })
        .sum();
    assert!(txs >= 2, "{txs} L1 transactions recorded");
    // Built at the first run's start, the clock is behind the log: nothing to fill.
    let (dn, _) = restore(dir.path(), &cfg, START_MS).await.unwrap();
    assert_eq!(heads(&dn), before);
}

#[tokio::test(start_paused = true)]
async fn replay_gives_back_the_chains_with_calldata() {
    replay_gives_back_the_chains(DataAvailability::Calldata).await;
}

#[tokio::test(start_paused = true)]
async fn replay_gives_back_the_chains_with_blobs() {
    replay_gives_back_the_chains(DataAvailability::Blobs).await;
}

#[tokio::test(start_paused = true)]
async fn a_log_whose_l1_block_mines_differently_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(DataAvailability::Calldata);
    run_recorded(dir.path(), &cfg, START_MS, 3).await;
    // Shift one recorded L1 block's slot: mined again it hashes differently.
    let path = dir.path().join(LOG_FILE);
    let mut log = read_log(dir.path());
    let edited = log
        .iter_mut()
        .find_map(|r| match r {
            Record::L1Block {
                number: 2,
                timestamp,
                hash,
                ..
            } => {
                *timestamp += 1;
                Some(*hash)
            }
            _ => None,
        })
        .unwrap();
    let text: String = log
        .iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\n")
        .collect();
    std::fs::write(&path, text).unwrap();
    match restore(dir.path(), &cfg, START_MS).await {
        Err(DatadirError::L1Mismatch {
            number: 2,
            recorded,
            replayed,
        }) => {
            assert_eq!(recorded, edited);
            assert_ne!(replayed, edited);
        }
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("an edited log was replayed"),
    }
}

#[tokio::test(start_paused = true)]
async fn missed_l1_slots_are_filled_and_the_chain_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(DataAvailability::Calldata);
    let before = run_recorded(dir.path(), &cfg, START_MS, 3).await;
    let (head_number, _) = before.l1;
    // Down for 10 minutes past the last L1 block (2 s slots).
    let last_time = START_MS / 1000 + head_number * 2;
    let now_ms = (last_time + 600) * 1000;
    let (dn, rec) = restore(dir.path(), &cfg, now_ms).await.unwrap();
    {
        let l1 = dn.l1.read();
        assert_eq!(l1.head().number(), head_number + 300);
        assert_eq!(l1.head().header.timestamp, last_time + 600);
        assert!(
            (head_number + 1..=head_number + 300).all(|n| l1
                .block_by_number(n)
                .unwrap()
                .transactions
                .is_empty())
        );
    }
    assert_eq!(
        dn.sequencer_engine.with_chain(|c| c.forkchoice()),
        before.sequencer
    );
    let rec = rec.spawn();
    let running = dn.start();
    // The sequencer catches up the 10 minutes and the verifier derives past them.
    let target = before.sequencer_head_number(&running) + 310;
    wait_until(&running, 600, "the safe head past the gap", |s| {
        s.verifier.heads.safe.number >= target
    })
    .await;
    assert_same_chain(&running.sequencer_engine, &running.verifier_engine, target);
    running.shutdown().await;
    rec.finish().await.unwrap();
    // The filled blocks were recorded: the next restore replays them.
    let after: HashMap<u64, B256> = read_log(dir.path())
        .iter()
        .filter_map(|r| match r {
            Record::L1Block { number, hash, .. } => Some((*number, *hash)),
            _ => None,
        })
        .collect();
    assert!(after.contains_key(&(head_number + 300)));
}

impl Heads {
    fn sequencer_head_number(&self, running: &keel_node::devnet::RunningDevnet) -> u64 {
        running
            .sequencer_engine
            .with_chain(|c| c.block_by_hash(&self.sequencer.head).unwrap().header.number)
    }
}

#[tokio::test(start_paused = true)]
async fn a_gap_longer_than_the_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(DataAvailability::Calldata);
    run_recorded(dir.path(), &cfg, START_MS, 1).await;
    let now_ms = START_MS + (MAX_CATCH_UP_SLOTS + 100) * 2 * 1000;
    match restore(dir.path(), &cfg, now_ms).await {
        Err(DatadirError::TooFarBehind { max, .. }) => assert_eq!(max, MAX_CATCH_UP_SLOTS),
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("a {MAX_CATCH_UP_SLOTS}+ slot gap was filled"),
    }
}

/// Two runs of the binary on one data dir: the second continues the first's chain.
#[test]
fn keel_devnet_datadir_continues_the_chain_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("chain");
    let run = |args: &[&str]| {
        let mut all = vec!["--datadir", data.to_str().unwrap(), "--timeout", "120"];
        all.extend_from_slice(args);
        e2e::devnet_json(&all)
    };
    let first = run(&[
        "--until-safe",
        "3",
        "--l1.block-time",
        "1",
        "--l2.block-time",
        "1",
    ]);
    let block3 = first["safe_hash"]
        .as_str()
        .unwrap()
        .parse::<B256>()
        .unwrap();
    let second = run(&["--until-safe", "8"]);
    assert_eq!(first["l2_genesis_hash"], second["l2_genesis_hash"]);
    assert_eq!(second["safe_number"], 8);
    assert_eq!(first["start_unsafe_number"], 0);
    // The second run's sequencer started on the replayed chain (at least the first run's
    // safe block), not on genesis.
    assert!(
        second["start_unsafe_number"].as_u64().unwrap() >= 3,
        "{second}"
    );
    // The second run's safe block 8 descends from the first run's block 3, and no other
    // block 3 was ever built: the chain went on instead of starting again.
    let log = read_log(&data);
    let mut parents = HashMap::new();
    let mut threes = Vec::new();
    for r in &log {
        if let Record::L2Block {
            number,
            parent_hash,
            hash,
            ..
        } = r
        {
            parents.insert(*hash, (*number, *parent_hash));
            if *number == 3 {
                threes.push(*hash);
            }
        }
    }
    assert!(threes.iter().all(|h| *h == block3), "{threes:?}");
    let mut cursor = second["safe_hash"]
        .as_str()
        .unwrap()
        .parse::<B256>()
        .unwrap();
    while parents[&cursor].0 > 3 {
        cursor = parents[&cursor].1;
    }
    assert_eq!(cursor, block3);
}

/// A devnet killed (SIGKILL, no shutdown) keeps what it recorded: the next run replays it
/// and goes on.
#[test]
fn a_killed_devnet_restarts_from_its_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("chain");
    let mut child = Command::new(env!("CARGO_BIN_EXE_keel"))
        .args(["devnet", "--datadir", data.to_str().unwrap()])
        .args(["--l1.block-time", "1", "--l2.block-time", "1"])
        .args(e2e::DEVNET_ANY_PORTS)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_secs(4));
    child.kill().unwrap();
    child.wait().unwrap();
    let recorded = read_log(&data)
        .iter()
        .filter(|r| matches!(r, Record::L2Block { .. }))
        .count();
    assert!(
        recorded >= 2,
        "{recorded} L2 blocks recorded before the kill"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .args(["devnet", "--datadir", data.to_str().unwrap()])
        .args(["--until-safe", "6", "--timeout", "120"])
        .args(e2e::DEVNET_ANY_PORTS)
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert!(v["start_unsafe_number"].as_u64().unwrap() >= 1, "{v}");
}

#[test]
fn datadir_is_refused_with_config_or_an_external_engine() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_keel"))
            .args(["devnet", "--datadir", d])
            .args(args)
            .args(e2e::DEVNET_ANY_PORTS)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} was accepted");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = run(&["--config", d]);
    assert!(
        err.contains("--config") && err.contains("--datadir"),
        "{err}"
    );
    let jwt = dir.path().join("jwt.hex");
    let err = run(&[
        "--l2.sequencer",
        "http://127.0.0.1:1",
        "--l2.sequencer-jwt",
        jwt.to_str().unwrap(),
    ]);
    assert!(err.contains("embedded engines"), "{err}");
    // Nothing was written for the refused runs.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
