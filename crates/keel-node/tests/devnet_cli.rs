//! `keel devnet --until-safe N` as a user runs it: real clock, real servers on loopback
//! (port 0), one JSON line at the end, exit 0 when the verifier's block N is the
//! sequencer's.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod e2e;

use std::process::Command;

use e2e::DEVNET_ANY_PORTS as ANY_PORTS;

#[test]
fn until_safe_prints_one_json_line_and_the_chains_agree() {
    let v = e2e::devnet_json(&["--until-safe", "3", "--timeout", "60"]);
    assert_eq!(v["safe_number"], 3);
    assert_eq!(v["safe_hash"], v["sequencer_hash_at_safe"]);
    assert_eq!(v["safe_hash"].as_str().unwrap().len(), 66);
    assert!(v["batcher_txs"].as_u64().unwrap() >= 1);
}

#[test]
fn bad_data_availability_is_refused_with_its_name() {
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .args(["devnet", "--batcher.data-availability", "carrier-pigeon"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("carrier-pigeon") && err.contains("calldata or blobs"),
        "{err}"
    );
}

#[test]
fn fork_options_are_checked_before_anything_starts() {
    let run = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_keel"))
            .arg("devnet")
            .args(args)
            .args(ANY_PORTS)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} was accepted");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = run(&["--hardforks.last", "karst"]);
    assert!(
        err.contains("karst") && err.contains("Canyon through Jovian"),
        "{err}"
    );
    let err = run(&[
        "--hardforks.stagger",
        "4",
        "--batcher.data-availability",
        "blobs",
    ]);
    assert!(err.contains("blobs need Ecotone at genesis"), "{err}");
}

#[test]
fn init_writes_the_chain_files_and_config_runs_that_chain() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .args(["devnet", "init"])
        .arg(dir.path())
        .args(["--l1.block-time", "1", "--l2.block-time", "1"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in ["rollup.json", "genesis.json", "jwt.hex", "devnet.json"] {
        assert!(dir.path().join(f).is_file(), "{f} not written");
    }
    let rollup: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("rollup.json")).unwrap()).unwrap();
    let genesis_hash = rollup["genesis"]["l2"]["hash"].as_str().unwrap().to_owned();
    let jwt = std::fs::read_to_string(dir.path().join("jwt.hex")).unwrap();
    assert_eq!(jwt.trim().len(), 66, "{jwt}");
    let geth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("genesis.json")).unwrap()).unwrap();
    assert_eq!(geth["config"]["chainId"], rollup["l2_chain_id"]);
    assert!(geth["alloc"].as_object().unwrap().len() > 10);

    // `--config DIR` runs that very chain (its L2 genesis) with the 1 s blocks of init.
    let v = e2e::devnet_json(&[
        std::ffi::OsStr::new("--config"),
        dir.path().as_os_str(),
        "--until-safe".as_ref(),
        "2".as_ref(),
        "--timeout".as_ref(),
        "60".as_ref(),
    ]);
    assert_eq!(v["l2_genesis_hash"], genesis_hash.as_str());
    assert_eq!(v["safe_hash"], v["sequencer_hash_at_safe"]);

    // A chain whose genesis is older than the sequencer drift cannot be started.
    let old = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_keel"))
        .args(["devnet", "init"])
        .arg(old.path())
        .args(["--genesis-time", "1700000000"])
        .status()
        .unwrap();
    assert!(status.success());
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .arg("devnet")
        .arg("--config")
        .arg(old.path())
        .args(ANY_PORTS)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("run `keel devnet init` again"), "{err}");
}
