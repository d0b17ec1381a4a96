//! The `admin_` namespace over real HTTP: refused with "method not found" when admin is
//! off (the node is never called), and each method reaching the node with its argument and
//! answering op-node's result when on; a posted payload whose hash does not match its
//! contents is refused before the node sees it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use alloy_consensus::{Block, BlockBody, EMPTY_OMMER_ROOT_HASH, Header, proofs};
use alloy_eips::{eip4895::Withdrawals, eip7685::EMPTY_REQUESTS_HASH};
use alloy_primitives::{Address, B256, Bytes, Sealable, TxKind, U256};
use common::{AdminCall, h, start};
use op_alloy_consensus::{OpTxEnvelope, TxDeposit};
use op_alloy_rpc_types_engine::{OpExecutionPayload, OpExecutionPayloadEnvelope};
use serde_json::{Value, json};

/// A method and a function making its (valid-looking) parameters.
type AdminCase = (&'static str, fn() -> Value);

const ADMIN_METHODS: [AdminCase; 6] = [
    ("admin_startSequencer", || json!([h(0x22, 640).to_string()])),
    ("admin_stopSequencer", || json!([])),
    ("admin_sequencerActive", || json!([])),
    ("admin_resetDerivationPipeline", || json!([])),
    ("admin_postUnsafePayload", || json!([{}])),
    ("admin_setRecoverMode", || json!([true])),
];

#[tokio::test]
async fn admin_is_method_not_found_when_disabled() {
    let rpc = start(false, None, None).await;
    for (method, params) in ADMIN_METHODS {
        let (code, _) = rpc.err(method, params()).await;
        assert_eq!(code, -32601, "{method}");
    }
    assert!(rpc.node.calls.lock().is_empty());
    assert!(!*rpc.node.active.lock());
}

#[tokio::test]
async fn sequencer_start_stop_and_status() {
    let rpc = start(true, None, None).await;
    assert_eq!(
        rpc.ok("admin_sequencerActive", json!([])).await,
        json!(false)
    );

    let head = h(0x22, 640);
    let r = rpc
        .ok("admin_startSequencer", json!([head.to_string()]))
        .await;
    assert_eq!(r, Value::Null);
    assert_eq!(
        rpc.ok("admin_sequencerActive", json!([])).await,
        json!(true)
    );

    // The node's refusal reaches the caller as op-node's handler error.
    let (code, msg) = rpc
        .err("admin_startSequencer", json!([head.to_string()]))
        .await;
    assert_eq!((code, msg.as_str()), (-32000, "sequencer already running"));

    // stopSequencer answers the hash it stopped at.
    let stopped = rpc.ok("admin_stopSequencer", json!([])).await;
    assert_eq!(stopped, json!(head.to_string()));
    assert_eq!(
        rpc.ok("admin_sequencerActive", json!([])).await,
        json!(false)
    );

    // A malformed hash is invalid params and never reaches the node.
    let (code, _) = rpc.err("admin_startSequencer", json!(["0x1234"])).await;
    assert_eq!(code, -32602);

    assert_eq!(
        *rpc.node.calls.lock(),
        vec![AdminCall::Start(head), AdminCall::Stop]
    );
}

#[tokio::test]
async fn reset_and_recover_mode_reach_the_node() {
    let rpc = start(true, None, None).await;
    assert_eq!(
        rpc.ok("admin_resetDerivationPipeline", json!([])).await,
        Value::Null
    );
    assert_eq!(
        rpc.ok("admin_setRecoverMode", json!([true])).await,
        Value::Null
    );
    assert_eq!(
        rpc.ok("admin_setRecoverMode", json!([false])).await,
        Value::Null
    );
    let (code, _) = rpc.err("admin_setRecoverMode", json!(["yes"])).await;
    assert_eq!(code, -32602);
    assert_eq!(
        *rpc.node.calls.lock(),
        vec![
            AdminCall::Reset,
            AdminCall::Recover(true),
            AdminCall::Recover(false)
        ]
    );
}

/// An L2 block with one deposit: Ecotone-shaped (beacon root, blob gas) and, with
/// `isthmus`, the message-passer withdrawals root and the empty requests hash.
fn block(isthmus: bool) -> Block<OpTxEnvelope> {
    let deposit = OpTxEnvelope::Deposit(
        TxDeposit {
            source_hash: h(0x77, 1),
            from: Address::repeat_byte(0xde),
            to: TxKind::Call(Address::repeat_byte(0x42)),
            mint: 0,
            value: U256::ZERO,
            gas_limit: 1_000_000,
            is_system_transaction: false,
            input: Bytes::from_static(&[0x01, 0x02, 0x03]),
        }
        .seal_slow(),
    );
    let txs = vec![deposit];
    let header = Header {
        parent_hash: h(0x22, 639),
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: Address::repeat_byte(0x42),
        state_root: h(0x5a, 640),
        transactions_root: proofs::calculate_transaction_root(&txs),
        receipts_root: h(0x6c, 640),
        number: 640,
        gas_limit: 30_000_000,
        gas_used: 50_000,
        timestamp: 1_700_001_281,
        mix_hash: h(0x99, 640),
        base_fee_per_gas: Some(1_000_000),
        withdrawals_root: Some(if isthmus {
            h(0x3b, 640)
        } else {
            alloy_trie_empty_root()
        }),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(h(0xbe, 640)),
        requests_hash: isthmus.then_some(EMPTY_REQUESTS_HASH),
        ..Header::default()
    };
    Block {
        header,
        body: BlockBody {
            transactions: txs,
            ommers: Vec::new(),
            withdrawals: Some(Withdrawals::default()),
        },
    }
}

/// The root of an empty trie (no withdrawals before Isthmus).
fn alloy_trie_empty_root() -> B256 {
    proofs::calculate_withdrawals_root(&[])
}

fn envelope(isthmus: bool) -> (OpExecutionPayloadEnvelope, B256) {
    let block = block(isthmus);
    let hash = block.header.hash_slow();
    let (payload, sidecar) = OpExecutionPayload::from_block_slow(&block);
    assert_eq!(payload.block_hash(), hash);
    let env = OpExecutionPayloadEnvelope {
        parent_beacon_block_root: sidecar.parent_beacon_block_root(),
        execution_payload: payload,
    };
    (env, hash)
}

#[tokio::test]
async fn post_unsafe_payload_checks_the_block_hash() {
    let rpc = start(true, None, None).await;
    for isthmus in [false, true] {
        let (env, hash) = envelope(isthmus);
        assert_eq!(
            matches!(env.execution_payload, OpExecutionPayload::V4(_)),
            isthmus
        );
        assert_eq!(keel_rpc::payload_block_hash(&env).unwrap(), hash);
        let r = rpc
            .ok(
                "admin_postUnsafePayload",
                json!([serde_json::to_value(&env).unwrap()]),
            )
            .await;
        assert_eq!(r, Value::Null);
    }
    let accepted = rpc.node.calls.lock().clone();
    assert_eq!(
        accepted,
        vec![
            AdminCall::Payload(envelope(false).1),
            AdminCall::Payload(envelope(true).1)
        ]
    );

    // Tamper with the gas used: the claimed hash no longer matches.
    let (env, claimed) = envelope(true);
    let mut v = serde_json::to_value(&env).unwrap();
    v["executionPayload"]["gasUsed"] = json!("0xc351");
    let mut tampered = env.clone();
    match &mut tampered.execution_payload {
        OpExecutionPayload::V4(p) => p.payload_inner.payload_inner.payload_inner.gas_used = 50_001,
        other => panic!("expected V4, got {other:?}"),
    }
    let actual = keel_rpc::payload_block_hash(&tampered).unwrap();
    assert_ne!(actual, claimed);
    let (code, msg) = rpc.err("admin_postUnsafePayload", json!([v])).await;
    assert_eq!(code, -32000);
    assert_eq!(
        msg,
        format!("payload has bad block hash: {claimed}, actual block hash is: {actual}")
    );
    // The refused payload never reached the node.
    assert_eq!(rpc.node.calls.lock().len(), 2);
}
