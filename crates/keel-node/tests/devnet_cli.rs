//! `keel devnet --until-safe N` as a user runs it: real clock, real servers on loopback
//! (port 0), one JSON line at the end, exit 0 when the verifier's block N is the
//! sequencer's.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::process::Command;

#[test]
fn until_safe_prints_one_json_line_and_the_chains_agree() {
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .args([
            "devnet",
            "--until-safe",
            "3",
            "--timeout",
            "60",
            "--l1.addr",
            "127.0.0.1:0",
            "--l1.beacon.addr",
            "127.0.0.1:0",
            "--l2.addr",
            "127.0.0.1:0",
            "--verifier.l2.addr",
            "127.0.0.1:0",
            "--rollup.addr",
            "127.0.0.1:0",
            "--verifier.rollup.addr",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
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
            .args([
                "--l1.addr",
                "127.0.0.1:0",
                "--l1.beacon.addr",
                "127.0.0.1:0",
                "--rollup.addr",
                "127.0.0.1:0",
                "--verifier.rollup.addr",
                "127.0.0.1:0",
            ])
            .args([
                "--l2.addr",
                "127.0.0.1:0",
                "--verifier.l2.addr",
                "127.0.0.1:0",
            ])
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
