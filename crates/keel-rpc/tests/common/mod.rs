//! A fake node implementing `RollupNodeApi` from fixed data, and a JSON-RPC client over
//! real HTTP.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::{collections::HashMap, net::SocketAddr, sync::Arc};

use alloy_primitives::B256;
use keel_derive::types::{L1BlockRef, L2BlockRef};
use keel_protocol::{output_root::OutputRootV0, rollup_config::BlockId};
use keel_rpc::{Metrics, NodeApiError, RollupNodeApi, RpcServer, RpcServerConfig, SyncStatus};
use keel_safedb::SafeDb;
use op_alloy_rpc_types_engine::OpExecutionPayloadEnvelope;
use parking_lot::Mutex;
use serde_json::{Value, json};

/// A hash whose bytes say what it is: `tag` in byte 0, `n` in the last 8 bytes.
pub fn h(tag: u8, n: u64) -> B256 {
    let mut b = [0u8; 32];
    b[0] = tag;
    b[24..].copy_from_slice(&n.to_be_bytes());
    B256::from(b)
}

pub fn l1ref(n: u64) -> L1BlockRef {
    L1BlockRef {
        hash: h(0x11, n),
        number: n,
        parent_hash: h(0x11, n - 1),
        timestamp: 1_700_000_000 + 12 * n,
    }
}

pub fn l2ref(n: u64) -> L2BlockRef {
    L2BlockRef {
        hash: h(0x22, n),
        number: n,
        parent_hash: h(0x22, n - 1),
        timestamp: 1_700_000_001 + 2 * n,
        l1_origin: BlockId {
            hash: h(0x11, n / 6),
            number: n / 6,
        },
        sequence_number: n % 6,
    }
}

/// Every field distinct, so a swapped field shows.
pub fn status() -> SyncStatus {
    SyncStatus {
        current_l1: l1ref(100),
        current_l1_finalized: l1ref(90),
        head_l1: l1ref(105),
        safe_l1: l1ref(98),
        finalized_l1: l1ref(91),
        unsafe_l2: l2ref(640),
        safe_l2: l2ref(600),
        finalized_l2: l2ref(540),
        pending_safe_l2: l2ref(601),
        cross_unsafe_l2: l2ref(639),
        local_safe_l2: l2ref(599),
    }
}

/// op-node's `eth.L1BlockRef` JSON, written from its Go struct tags.
pub fn l1_json(n: u64) -> Value {
    json!({
        "hash": h(0x11, n).to_string(),
        "number": n,
        "parentHash": h(0x11, n - 1).to_string(),
        "timestamp": 1_700_000_000 + 12 * n,
    })
}

/// op-node's `eth.L2BlockRef` JSON, written from its Go struct tags.
pub fn l2_json(n: u64) -> Value {
    json!({
        "hash": h(0x22, n).to_string(),
        "number": n,
        "parentHash": h(0x22, n - 1).to_string(),
        "timestamp": 1_700_000_001 + 2 * n,
        "l1origin": { "hash": h(0x11, n / 6).to_string(), "number": n / 6 },
        "sequenceNumber": n % 6,
    })
}

pub fn status_json() -> Value {
    json!({
        "current_l1": l1_json(100),
        "current_l1_finalized": l1_json(90),
        "head_l1": l1_json(105),
        "safe_l1": l1_json(98),
        "finalized_l1": l1_json(91),
        "unsafe_l2": l2_json(640),
        "safe_l2": l2_json(600),
        "finalized_l2": l2_json(540),
        "pending_safe_l2": l2_json(601),
        "cross_unsafe_l2": l2_json(639),
        "local_safe_l2": l2_json(599),
    })
}

/// Compares two JSON values field by field (same keys at every level, same leaves), naming
/// the path of the first difference.
pub fn assert_json_eq(actual: &Value, expected: &Value, path: &str) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            let mut ak: Vec<_> = a.keys().collect();
            let mut ek: Vec<_> = e.keys().collect();
            ak.sort();
            ek.sort();
            assert_eq!(ak, ek, "keys of {path}");
            for (k, ev) in e {
                assert_json_eq(&a[k], ev, &format!("{path}.{k}"));
            }
        }
        _ => assert_eq!(actual, expected, "at {path}"),
    }
}

/// What the admin methods did, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminCall {
    Start(B256),
    Stop,
    Reset,
    Payload(B256),
    Recover(bool),
}

#[derive(Default)]
pub struct FakeNode {
    pub blocks: HashMap<u64, L2BlockRef>,
    pub outputs: HashMap<B256, OutputRootV0>,
    pub active: Mutex<bool>,
    pub calls: Mutex<Vec<AdminCall>>,
}

impl FakeNode {
    pub fn new() -> Self {
        let mut node = Self::default();
        let block = l2ref(500);
        node.blocks.insert(500, block);
        node.outputs.insert(
            block.hash,
            OutputRootV0 {
                state_root: h(0x5a, 500),
                message_passer_storage_root: h(0x3b, 500),
                block_hash: block.hash,
            },
        );
        // Block 501 exists but its output answers for another block (a driver bug).
        let odd = l2ref(501);
        node.blocks.insert(501, odd);
        node.outputs.insert(
            odd.hash,
            OutputRootV0 {
                state_root: h(0x5a, 501),
                message_passer_storage_root: h(0x3b, 501),
                block_hash: h(0x22, 999),
            },
        );
        node
    }
}

impl RollupNodeApi for FakeNode {
    async fn sync_status(&self) -> Result<SyncStatus, NodeApiError> {
        Ok(status())
    }

    async fn block_ref_with_status(
        &self,
        number: u64,
    ) -> Result<(L2BlockRef, SyncStatus), NodeApiError> {
        let block = self.blocks.get(&number).ok_or(NodeApiError::NotFound)?;
        Ok((*block, status()))
    }

    async fn output_v0_at_block(&self, block_hash: B256) -> Result<OutputRootV0, NodeApiError> {
        self.outputs
            .get(&block_hash)
            .copied()
            .ok_or(NodeApiError::NotFound)
    }

    async fn start_sequencer(&self, unsafe_head: B256) -> Result<(), NodeApiError> {
        let mut active = self.active.lock();
        if *active {
            return Err(NodeApiError::Refused("sequencer already running".into()));
        }
        *active = true;
        self.calls.lock().push(AdminCall::Start(unsafe_head));
        Ok(())
    }

    async fn stop_sequencer(&self) -> Result<B256, NodeApiError> {
        *self.active.lock() = false;
        self.calls.lock().push(AdminCall::Stop);
        Ok(l2ref(640).hash)
    }

    async fn sequencer_active(&self) -> Result<bool, NodeApiError> {
        Ok(*self.active.lock())
    }

    async fn reset_derivation_pipeline(&self) -> Result<(), NodeApiError> {
        self.calls.lock().push(AdminCall::Reset);
        Ok(())
    }

    async fn post_unsafe_payload(
        &self,
        envelope: OpExecutionPayloadEnvelope,
    ) -> Result<(), NodeApiError> {
        self.calls
            .lock()
            .push(AdminCall::Payload(envelope.execution_payload.block_hash()));
        Ok(())
    }

    async fn set_recover_mode(&self, mode: bool) -> Result<(), NodeApiError> {
        self.calls.lock().push(AdminCall::Recover(mode));
        Ok(())
    }
}

pub struct Running {
    pub server: RpcServer,
    pub node: Arc<FakeNode>,
    pub client: reqwest::Client,
}

pub async fn start(
    enable_admin: bool,
    safe_db: Option<Arc<SafeDb>>,
    metrics: Option<Metrics>,
) -> Running {
    let node = Arc::new(FakeNode::new());
    let config = RpcServerConfig {
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        enable_admin,
        version: "v0.1.0-keel-test".into(),
    };
    let rollup = keel_protocol::presets::preset("op-sepolia").unwrap();
    let server = RpcServer::start(&config, node.clone(), &rollup, safe_db, metrics)
        .await
        .unwrap();
    Running {
        server,
        node,
        client: reqwest::Client::new(),
    }
}

impl Running {
    /// The whole JSON-RPC response object.
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
        let resp = self
            .client
            .post(self.server.url())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let v: Value = resp.json().await.unwrap();
        assert_eq!(v["id"], 7);
        v
    }

    /// The `result` of a call that must succeed.
    pub async fn ok(&self, method: &str, params: Value) -> Value {
        let v = self.call(method, params).await;
        assert!(v.get("error").is_none(), "{method}: {v}");
        v["result"].clone()
    }

    /// `(code, message)` of a call that must fail.
    pub async fn err(&self, method: &str, params: Value) -> (i64, String) {
        let v = self.call(method, params).await;
        assert!(v.get("result").is_none(), "{method} answered {v}");
        (
            v["error"]["code"].as_i64().unwrap(),
            v["error"]["message"].as_str().unwrap().to_owned(),
        )
    }
}
