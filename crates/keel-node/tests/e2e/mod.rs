//! Helpers shared by the tests that run `keel node` or `keel devnet` as a process: reading
//! its log lines, starting it, calling its JSON-RPC, and the execution client an operator
//! would start from `keel devnet init`'s files.
#![allow(dead_code)]

use std::{path::Path, process::Stdio, time::Duration};

use alloy_primitives::B256;
use alloy_rpc_types_engine::JwtSecret;
use keel_devchain::{
    chain::{Chain, ChainConfig},
    engine_server::EngineServer,
    genesis::DevGenesis,
    geth_genesis,
};
use keel_protocol::rollup_config::RollupConfig;
use serde_json::{Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
    sync::oneshot,
};

/// Reads a child's stream line by line, keeping the pipe drained, and hands the first line
/// `pick` accepts to the returned receiver.
pub(crate) fn watch_lines<R: tokio::io::AsyncRead + Unpin + Send + 'static>(
    stream: R,
    label: &'static str,
    pick: impl Fn(&str) -> Option<String> + Send + 'static,
) -> oneshot::Receiver<String> {
    let (tx, rx) = oneshot::channel();
    let mut tx = Some(tx);
    let mut lines = BufReader::new(stream).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if std::env::var_os("KEEL_E2E_LOG").is_some() {
                eprintln!("[{label}] {line}");
            }
            if let Some(found) = pick(&line)
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(found);
            }
        }
    });
    rx
}

/// A running `keel node` and the URLs it serves.
pub(crate) struct Node {
    pub child: Child,
    pub rpc: String,
    pub metrics: String,
}

/// Starts `keel node` and waits for its "node started" log line (JSON), which names the
/// RPC and metrics URLs it bound (port 0).
pub(crate) async fn start_node(args: &[String]) -> Node {
    let mut child = Command::new(env!("CARGO_BIN_EXE_keel"))
        .arg("node")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let started = watch_lines(child.stderr.take().unwrap(), "node", |line| {
        let v: Value = serde_json::from_str(line).ok()?;
        (v["fields"]["message"] == "node started").then(|| v["fields"].to_string())
    });
    let fields = tokio::time::timeout(Duration::from_secs(20), started)
        .await
        .expect("node did not start within 20 s")
        .expect("node exited before starting (KEEL_E2E_LOG=1 shows its log)");
    let fields: Value = serde_json::from_str(&fields).unwrap();
    Node {
        child,
        rpc: fields["rpc"].as_str().unwrap().to_owned(),
        metrics: fields["metrics"].as_str().unwrap().to_owned(),
    }
}

/// One JSON-RPC call: `Ok(result)` or `Err(error object)`.
pub(crate) async fn call(url: &str, method: &str, params: Value) -> Result<Value, Value> {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let reply: Value = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    match reply.get("error") {
        Some(e) => Err(e.clone()),
        None => Ok(reply["result"].clone()),
    }
}

/// The value of the first metric line starting with `prefix` (name and labels) that
/// contains every one of `labels`, from a scrape of `metrics_url`.
pub(crate) async fn metric(metrics_url: &str, name: &str, labels: &[&str]) -> Option<f64> {
    let scrape = reqwest::get(format!("{metrics_url}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    scrape
        .lines()
        .filter(|l| l.starts_with(name) && labels.iter().all(|want| l.contains(want)))
        .find_map(|l| l.rsplit(' ').next()?.parse().ok())
}

/// The node's head `which` (`unsafe_l2`, `safe_l2`, …) from `optimism_syncStatus`.
pub(crate) async fn head(url: &str, which: &str) -> (u64, B256) {
    let s = call(url, "optimism_syncStatus", json!([])).await.unwrap();
    let h = &s[which];
    (
        h["number"].as_u64().unwrap(),
        h["hash"].as_str().unwrap().parse().unwrap(),
    )
}

/// Polls until the node's head `which` reaches `number`, for at most `secs` seconds.
pub(crate) async fn wait_for_head(url: &str, which: &str, number: u64, secs: u64) -> (u64, B256) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let h = head(url, which).await;
        if h.0 >= number {
            return h;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{which} stuck at {} (waiting for {number}; KEEL_E2E_LOG=1 shows the node's log)",
            h.0
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `keel devnet` options putting every server it starts on a free loopback port.
pub(crate) const DEVNET_ANY_PORTS: [&str; 12] = [
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
];

/// The secret of a `jwt.hex` file.
pub(crate) fn read_jwt(path: &Path) -> JwtSecret {
    JwtSecret::from_hex(std::fs::read_to_string(path).unwrap().trim()).unwrap()
}

/// An execution client as an operator sets one up for a Keel devnet: a keel-devchain Engine
/// API server (HTTP + JWT `secret`, free loopback port) whose chain starts from
/// `dir/genesis.json` (geth format, as op-geth after `op-geth init`) with the rules of
/// `dir/rollup.json` — both as `keel devnet init dir` wrote them. Checks that the genesis
/// block it builds is the one the rollup config names.
pub(crate) async fn engine_from_init_dir(dir: &Path, secret: JwtSecret) -> EngineServer {
    let rollup = RollupConfig::from_json(&std::fs::read(dir.join("rollup.json")).unwrap()).unwrap();
    let geth = geth_genesis::parse(&std::fs::read(dir.join("genesis.json")).unwrap()).unwrap();
    let header = geth_genesis::genesis_header(&geth, &rollup.hardforks).unwrap();
    assert_eq!(header.hash_slow(), rollup.genesis.l2.hash);
    let mut state = geth_genesis::state_from_alloc(&geth.alloc);
    state.push_block_hash(0, header.hash_slow());
    let genesis = DevGenesis {
        state,
        header: alloy_consensus::Sealed::new(header),
    };
    EngineServer::start(
        "127.0.0.1:0".parse().unwrap(),
        secret,
        Chain::new(rollup, genesis, ChainConfig::default()),
    )
    .await
    .unwrap()
}

/// `keel node`'s flags for a test node: L1 (and beacon), the engine with its JWT file, the
/// rollup config, L1 polled every `poll`, RPC and metrics on free loopback ports, a safe-db
/// in `dir`, JSON logs; then `extra`.
pub(crate) struct NodeFlags<'a> {
    pub l1: &'a str,
    pub beacon: Option<&'a str>,
    pub l2: &'a str,
    pub jwt: &'a Path,
    pub rollup: &'a Path,
    pub dir: &'a Path,
    pub poll: &'a str,
}

impl NodeFlags<'_> {
    pub(crate) fn args(&self, extra: &[&str]) -> Vec<String> {
        let path = |p: &Path| p.to_str().unwrap().to_owned();
        let mut a: Vec<String> = vec!["--l1".into(), self.l1.into()];
        if let Some(b) = self.beacon {
            a.extend(["--l1.beacon".into(), b.into()]);
        }
        a.extend([
            "--l2".into(),
            self.l2.into(),
            "--l2.jwt-secret".into(),
            path(self.jwt),
            "--rollup.config".into(),
            path(self.rollup),
            "--l1.http-poll-interval".into(),
            self.poll.into(),
            "--rpc.port".into(),
            "0".into(),
            "--metrics.enabled".into(),
            "--metrics.addr".into(),
            "127.0.0.1".into(),
            "--metrics.port".into(),
            "0".into(),
            "--safedb.path".into(),
            path(&self.dir.join("safedb")),
            "--log.format".into(),
            "json".into(),
        ]);
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    }
}

/// Runs `keel devnet ARGS` with every port on 127.0.0.1:0 to its end, asserts it exited 0
/// having printed one JSON line, and returns that line.
pub(crate) fn devnet_json<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_keel"))
        .arg("devnet")
        .args(args)
        .args(DEVNET_ANY_PORTS)
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
    serde_json::from_str(lines[0]).unwrap()
}
