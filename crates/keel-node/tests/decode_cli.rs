//! `keel decode` end to end: the real binary on real data, and on bad input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

use serde_json::Value;

fn keel() -> Command {
    Command::new(env!("CARGO_BIN_EXE_keel"))
}

fn protocol_testdata(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../keel-protocol/testdata")
        .join(rel)
}

fn json_file(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn write_temp(dir: &tempfile::TempDir, name: &str, content: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, content).unwrap();
    path
}

/// Runs `keel decode <args>`, asserts success and one JSON document on stdout.
fn decode_ok(args: &[&str]) -> Value {
    let out = keel().arg("decode").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "keel decode {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is one JSON document")
}

/// Asserts the command failed with exit code 1 and exactly one line on stderr.
fn assert_clean_failure(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "one line on stderr, got {err:?}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn decode_err(args: &[&str]) -> String {
    assert_clean_failure(&keel().arg("decode").args(args).output().unwrap())
}

fn batcher_vectors() -> Vec<Value> {
    json_file(&protocol_testdata(
        "framing/batcher_tx_channels_batches.json",
    ))["vectors"]
        .as_array()
        .unwrap()
        .clone()
}

fn vector(id: &str) -> Value {
    batcher_vectors()
        .into_iter()
        .find(|v| v["id"] == id)
        .unwrap()
}

#[test]
fn frames_of_real_calldata() {
    let v = vector("hildr-batcher-tx-calldata-single-frame");
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(
        &dir,
        "calldata.hex",
        v["calldata"].as_str().unwrap().as_bytes(),
    );
    let out = decode_ok(&["frames", path.to_str().unwrap()]);
    let frames = out["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 1);
    assert_eq!(
        frames[0]["channel_id"],
        "0xb3ec7df691dc58384222fbdc05891b08"
    );
    assert_eq!(frames[0]["frame_number"], 0);
    assert_eq!(frames[0]["data_len"], 3028);
    assert_eq!(frames[0]["is_last"], true);
    assert!(frames[0].get("data").is_none());

    let with_data = decode_ok(&["frames", path.to_str().unwrap(), "--with-data"]);
    let data = with_data["frames"][0]["data"].as_str().unwrap();
    let channel = vector("hildr-channel-zlib-6-singular-batches");
    assert_eq!(data, channel["channel_data"].as_str().unwrap());
}

#[test]
fn raw_bytes_on_stdin_equal_hex_in_a_file() {
    let v = vector("hildr-batcher-tx-calldata-single-frame");
    let hex_text = v["calldata"].as_str().unwrap();
    let raw = hex::decode(hex_text.trim_start_matches("0x")).unwrap();
    let mut child = keel()
        .args(["decode", "frames", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&raw).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let from_stdin: Value = serde_json::from_slice(&out.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(&dir, "calldata.hex", format!("\n  {hex_text}\n").as_bytes());
    assert_eq!(from_stdin, decode_ok(&["frames", path.to_str().unwrap()]));
}

#[test]
fn channel_with_six_singular_batches() {
    let v = vector("hildr-channel-zlib-6-singular-batches");
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(
        &dir,
        "channel.hex",
        v["channel_data"].as_str().unwrap().as_bytes(),
    );
    let out = decode_ok(&["channel", path.to_str().unwrap()]);
    assert_eq!(out["compression"], "zlib");
    let batches = out["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 6);
    for b in batches {
        assert_eq!(b["type"], "single");
        for key in [
            "parent_hash",
            "epoch_num",
            "epoch_hash",
            "timestamp",
            "transactions",
        ] {
            assert!(b.get(key).is_some(), "{key} missing");
        }
    }
    assert!(
        batches[0]["parent_hash"]
            .as_str()
            .unwrap()
            .starts_with("0x9a6d7cf8")
    );
    assert!(
        batches[0]["parent_hash"]
            .as_str()
            .unwrap()
            .ends_with("6454")
    );
}

#[test]
fn brotli_channels_decode() {
    for id in [
        "hildr-channel-brotli-a",
        "hildr-channel-brotli-b",
        "hildr-channel-brotli-c",
    ] {
        let v = vector(id);
        let dir = tempfile::tempdir().unwrap();
        let path = write_temp(
            &dir,
            "c.hex",
            v["channel_data"].as_str().unwrap().as_bytes(),
        );
        let out = decode_ok(&["channel", path.to_str().unwrap()]);
        assert_eq!(out["compression"], "brotli", "{id}");
        assert_eq!(out["batches"].as_array().unwrap().len(), 1, "{id}");
    }
}

#[test]
fn span_batch_blocks_gain_timestamps_and_transactions_with_options() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/op-sepolia-batcher-calldata.hex");
    let path = path.to_str().unwrap();
    let bare = decode_ok(&["batcher-data", path]);
    let channel = &bare["channels"][0];
    assert_eq!(channel["id"], "0x656531d7fca1ad32740ea3adca85922a");
    assert_eq!(channel["complete"], true);
    assert_eq!(channel["compression"], "zlib");
    let span = &channel["batches"][0];
    assert_eq!(span["type"], "span");
    let blocks = span["blocks"].as_array().unwrap();
    assert_eq!(blocks.len() as u64, span["block_count"].as_u64().unwrap());
    let counted: u64 = blocks.iter().map(|b| b["tx_count"].as_u64().unwrap()).sum();
    assert_eq!(counted, span["total_txs"].as_u64().unwrap());
    assert!(blocks[0].get("timestamp").is_none());
    assert!(blocks[0].get("transactions").is_none());

    // OP Sepolia: genesis 1691802540, 2 s blocks, chain id 11155420.
    let full = decode_ok(&[
        "batcher-data",
        path,
        "--chain-id",
        "11155420",
        "--genesis-timestamp",
        "1691802540",
        "--block-time",
        "2",
    ]);
    let span = &full["channels"][0]["batches"][0];
    let rel = span["rel_timestamp"].as_u64().unwrap();
    for (i, b) in span["blocks"].as_array().unwrap().iter().enumerate() {
        assert_eq!(
            b["timestamp"].as_u64().unwrap(),
            1_691_802_540 + rel + 2 * i as u64
        );
        let txs = b["transactions"].as_array().unwrap();
        assert_eq!(txs.len() as u64, b["tx_count"].as_u64().unwrap());
    }
}

#[test]
fn blob_decodes_to_its_expected_data() {
    let blob = protocol_testdata("framing/hildr-blobs/blob9.txt");
    let expected =
        std::fs::read_to_string(protocol_testdata("framing/hildr-blobs/blob9_decode.txt")).unwrap();
    let out = decode_ok(&["blob", blob.to_str().unwrap()]);
    let expected = expected.trim().to_lowercase();
    assert_eq!(out["data"].as_str().unwrap(), expected);
    assert_eq!(
        out["len"].as_u64().unwrap() as usize,
        (expected.len() - 2) / 2
    );
}

#[test]
fn l1_info_of_every_vector_with_calldata() {
    let vectors = json_file(&protocol_testdata("deposits/l1_info_deposits.json"));
    let mut seen = 0;
    for v in vectors["vectors"].as_array().unwrap() {
        let Some(calldata) = v["calldata"].as_str() else {
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        let path = write_temp(&dir, "l1info.hex", calldata.as_bytes());
        let out = decode_ok(&["l1-info", path.to_str().unwrap()]);
        for key in [
            "fork",
            "number",
            "timestamp",
            "base_fee",
            "block_hash",
            "sequence_number",
            "batcher_address",
        ] {
            assert!(out.get(key).is_some(), "{}: {key} missing", v["id"]);
        }
        if let Some(number) = v["expected"].get("number").and_then(Value::as_u64) {
            assert_eq!(out["number"].as_u64(), Some(number), "{}", v["id"]);
        }
        seen += 1;
    }
    assert!(seen >= 8, "only {seen} vectors had calldata");
}

#[test]
fn deposit_log_gives_the_l2_tx_hash_seen_on_chain() {
    let vectors = json_file(&protocol_testdata(
        "deposits/deposits_and_source_hashes.json",
    ));
    let v = vectors["deposit_log_vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == "viem-deposit-log-to-l2-hash")
        .unwrap()
        .clone();
    let dir = tempfile::tempdir().unwrap();
    let path = write_temp(&dir, "log.json", v["log"].to_string().as_bytes());
    let out = decode_ok(&["deposit-log", path.to_str().unwrap()]);
    assert_eq!(out["tx_hash"], v["expected_l2_tx_hash"]);
    assert_eq!(out["is_system_tx"], false);
    assert!(out["tx"].as_str().unwrap().starts_with("0x7e"));
    assert_eq!(out["value"], 69);
    assert_eq!(out["gas"], 21000);
}

#[test]
fn bad_input_fails_with_one_line_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write_temp(&dir, "empty", b"");
    let garbage = write_temp(&dir, "garbage", &[0xa5; 5000]);
    let odd = write_temp(&dir, "odd.hex", b"0xabc");
    let truncated = write_temp(&dir, "trunc.hex", b"0x00b3ec7df691dc58384222fbdc05891b08");
    let short_blob = write_temp(&dir, "blob.hex", &[0u8; 1000]);
    let bad_log = write_temp(&dir, "log.json", br#"{"topics":[],"data":"0x"}"#);
    let p = |p: &PathBuf| p.to_str().unwrap().to_owned();

    assert!(decode_err(&["frames", &p(&empty)]).contains("empty"));
    assert!(decode_err(&["frames", "/nonexistent/keel-input"]).contains("cannot read"));
    assert!(decode_err(&["frames", &p(&odd)]).contains("odd number"));
    assert!(decode_err(&["frames", &p(&truncated)]).contains("frame"));
    assert!(decode_err(&["channel", &p(&garbage)]).contains("channel"));
    assert!(decode_err(&["batcher-data", &p(&garbage)]).contains("batcher data"));
    assert!(decode_err(&["blob", &p(&short_blob)]).contains("131072"));
    assert!(decode_err(&["l1-info", &p(&garbage)]).contains("l1-info"));
    assert!(decode_err(&["deposit-log", &p(&bad_log)]).contains("blockHash"));
}
