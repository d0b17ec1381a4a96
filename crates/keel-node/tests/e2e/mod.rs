//! Helpers shared by the tests that run `keel node` as a process: reading its log lines,
//! starting it, and calling its JSON-RPC.
#![allow(dead_code)]

use std::{process::Stdio, time::Duration};

use alloy_primitives::B256;
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
