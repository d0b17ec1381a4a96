#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! `keel node`'s command line, run as the built binary: op-node's flag names in the help,
//! clap's errors for unknown or missing flags, and start-up errors that name the problem
//! (JWT file, rollup config, unreachable L1 / L2, genesis mismatch) with exit code 1.

use std::{
    io::{Read, Write},
    net::TcpListener,
    process::{Command, Output},
    time::Duration,
};

const GOOD_SECRET: &str = "0x4444444444444444444444444444444444444444444444444444444444444444";

fn keel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_keel"))
        .args(args)
        // The tests name every flag; the environment must not add any.
        .env_clear()
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn jwt_file(dir: &tempfile::TempDir, content: &str) -> String {
    let path = dir.path().join("jwt.hex");
    std::fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn help_lists_op_node_flags_with_their_env_vars() {
    let out = keel(&["node", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for (flag, env) in [
        ("--l1 ", "OP_NODE_L1_ETH_RPC"),
        ("--l1.beacon ", "OP_NODE_L1_BEACON"),
        ("--l1.beacon-fallbacks", "OP_NODE_L1_BEACON_FALLBACKS"),
        ("--l1.trustrpc", "OP_NODE_L1_TRUST_RPC"),
        ("--l1.rpckind", "OP_NODE_L1_RPC_KIND"),
        ("--l2 ", "OP_NODE_L2_ENGINE_RPC"),
        ("--l2.jwt-secret", "OP_NODE_L2_ENGINE_AUTH"),
        ("--rollup.config", "OP_NODE_ROLLUP_CONFIG"),
        ("--network", "OP_NODE_NETWORK"),
        ("--sequencer.enabled", "OP_NODE_SEQUENCER_ENABLED"),
        ("--sequencer.stopped", "OP_NODE_SEQUENCER_STOPPED"),
        ("--sequencer.l1-confs", "OP_NODE_SEQUENCER_L1_CONFS"),
        ("--verifier.l1-confs", "OP_NODE_VERIFIER_L1_CONFS"),
        ("--rpc.addr", "OP_NODE_RPC_ADDR"),
        ("--rpc.port", "OP_NODE_RPC_PORT"),
        ("--rpc.enable-admin", "OP_NODE_RPC_ENABLE_ADMIN"),
        ("--metrics.enabled", "OP_NODE_METRICS_ENABLED"),
        ("--metrics.addr", "OP_NODE_METRICS_ADDR"),
        ("--metrics.port", "OP_NODE_METRICS_PORT"),
        ("--safedb.path", "OP_NODE_SAFEDB_PATH"),
        ("--log.level", "OP_NODE_LOG_LEVEL"),
        ("--log.format", "OP_NODE_LOG_FORMAT"),
    ] {
        let at = help
            .find(&format!("\n      {flag}"))
            .unwrap_or_else(|| panic!("help lacks {flag}:\n{help}"))
            + 7;
        // The flag's own entry names its variable before the next flag starts.
        let entry = &help[at..];
        let next = entry[2..].find("\n      --").map_or(entry.len(), |i| i + 2);
        assert!(
            entry[..next].contains(env),
            "{flag} entry lacks {env}: {}",
            &entry[..next]
        );
    }
    // Defaults as op-node's.
    assert!(help.contains("[default: 9545]"));
    assert!(help.contains("[default: 7300]"));
    assert!(help.contains("[default: standard]"));
    assert!(help.contains("op-mainnet") && help.contains("base-sepolia"));
    for heading in [
        "L1:",
        "L2:",
        "Chain:",
        "Sequencer:",
        "RPC:",
        "Metrics:",
        "Logging:",
    ] {
        assert!(help.contains(heading), "help lacks heading {heading}");
    }
}

#[test]
fn unknown_flag_is_an_error_naming_it() {
    let out = keel(&["node", "--network", "op-mainnet", "--l2.jwt-secrett", "x"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("unexpected argument '--l2.jwt-secrett'"),
        "{err}"
    );
}

#[test]
fn chain_is_required_once() {
    let dir = tempfile::tempdir().unwrap();
    let jwt = jwt_file(&dir, GOOD_SECRET);
    let neither = keel(&[
        "node",
        "--l2",
        "http://127.0.0.1:1",
        "--l2.jwt-secret",
        &jwt,
    ]);
    assert_eq!(neither.status.code(), Some(2));
    let err = stderr(&neither);
    assert!(
        err.contains("--rollup.config <FILE>|--network <NAME>"),
        "{err}"
    );
    let both = keel(&[
        "node",
        "--l2",
        "http://127.0.0.1:1",
        "--l2.jwt-secret",
        &jwt,
        "--network",
        "op-mainnet",
        "--rollup.config",
        "rollup.json",
    ]);
    assert_eq!(both.status.code(), Some(2));
    let err = stderr(&both);
    assert!(err.contains("cannot be used with"), "{err}");
    let unknown = keel(&[
        "node",
        "--l2",
        "http://x",
        "--l2.jwt-secret",
        &jwt,
        "--network",
        "op-moon",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("invalid value 'op-moon'"));
}

#[test]
fn bad_jwt_files_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "node",
        "--network",
        "op-sepolia",
        "--l2",
        "http://127.0.0.1:1",
    ];
    let missing = dir.path().join("absent.hex");
    let cases = [
        (
            missing.to_str().unwrap().to_owned(),
            "cannot read JWT secret file",
        ),
        (jwt_file(&dir, "0xzz"), "JWT secret is not hex"),
    ];
    for (path, expected) in cases {
        let mut args = base.to_vec();
        args.extend(["--l2.jwt-secret", &path]);
        let out = keel(&args);
        assert_eq!(out.status.code(), Some(1));
        let err = stderr(&out);
        let last = err.lines().last().unwrap();
        assert!(last.starts_with("error: --l2.jwt-secret: "), "{err}");
        assert!(last.contains(expected), "{err}");
    }
    let short = jwt_file(&dir, "0x1234");
    let mut args = base.to_vec();
    args.extend(["--l2.jwt-secret", &short]);
    let err = stderr(&keel(&args));
    assert!(err.contains("JWT secret has 2 bytes, 32 expected"), "{err}");
}

#[test]
fn malformed_rollup_config_is_a_named_error() {
    let dir = tempfile::tempdir().unwrap();
    let jwt = jwt_file(&dir, GOOD_SECRET);
    let rollup = dir.path().join("rollup.json");
    std::fs::write(&rollup, "{\"block_time\": \"soon\"}").unwrap();
    let out = keel(&[
        "node",
        "--l2",
        "http://127.0.0.1:1",
        "--l2.jwt-secret",
        &jwt,
        "--rollup.config",
        rollup.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.lines()
            .last()
            .unwrap()
            .starts_with(&format!("error: --rollup.config {}: ", rollup.display())),
        "{err}"
    );
}

/// A port nothing listens on: bound, then closed.
fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn unreachable_l1_fails_fast_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let jwt = jwt_file(&dir, GOOD_SECRET);
    let l1 = format!("http://127.0.0.1:{}", dead_port());
    let start = std::time::Instant::now();
    let out = keel(&[
        "node",
        "--network",
        "op-sepolia",
        "--l1",
        &l1,
        "--l2",
        "http://127.0.0.1:1",
        "--l2.jwt-secret",
        &jwt,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with(&format!("error: L1 ({l1}) unreachable")),
        "{err}"
    );
    // No retry schedule at start-up (the client's would take ~7 s).
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
}

/// A one-shot JSON-RPC server answering every request with `result`.
fn fake_rpc(result: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            let mut buf = [0u8; 65536];
            let _ = s.read(&mut buf);
            let body = format!("{{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{result}}}");
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn l1_without_the_genesis_block_is_a_genesis_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let jwt = jwt_file(&dir, GOOD_SECRET);
    // An L1 that has no block at op-sepolia's L1 genesis number.
    let l1 = fake_rpc("null");
    let out = keel(&[
        "node",
        "--network",
        "op-sepolia",
        "--l1",
        &l1,
        "--l2",
        "http://127.0.0.1:1",
        "--l2.jwt-secret",
        &jwt,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let last = err.lines().last().unwrap();
    assert!(last.starts_with("error: L1 genesis mismatch: the rollup config names block 4071408 0x48f520cf4ddaf34c8336e6e490632ea3cf1e5e93b0b2bc6e917557e31845371b"), "{err}");
    assert!(last.ends_with("but the L1 chain has no block"), "{err}");
}
