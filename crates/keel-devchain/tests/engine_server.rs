#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! The devchain's Engine API server driven by Keel's own HTTP engine client: a sequencer
//! loop (forkchoiceUpdated with attributes, getPayload, newPayload, forkchoiceUpdated),
//! a verifier server fed the same payloads by newPayload only, a tampered payload, JWT
//! refusals and an unknown payload id.

mod common;

use common::*;

use alloy_consensus::{Header, Sealed};
use alloy_primitives::{B256, Bytes, U256};
use alloy_rpc_types_engine::{ForkchoiceState, JwtSecret, PayloadId, PayloadStatusEnum};
use keel_derive::{
    attributes::{EpochOrigin, prepare_payload_attributes},
    types::L2BlockRef,
};
use keel_devchain::{
    chain::{Chain, ChainConfig},
    engine_server::{EngineServer, codes},
    genesis::{DevGenesisConfig, build_genesis},
};
use keel_engine::{
    api::EngineApi,
    client::{HttpEngineClient, system_clock},
    error::EngineError,
};
use keel_protocol::{
    hardfork::{Hardfork, HardforkTimes},
    rollup_config::{BlockId, RollupConfig},
    system_config::SystemConfig,
};
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::{OpExecutionPayload, OpExecutionPayloadEnvelope};

const SECRET: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";
const OTHER_SECRET: &str = "0x2222222222222222222222222222222222222222222222222222222222222222";

struct Fixture {
    cfg: RollupConfig,
    sys: SystemConfig,
    l1_a: Sealed<Header>,
    l1_b: Sealed<Header>,
}

impl Fixture {
    fn new() -> Self {
        Self::with_forks(jovian_at_genesis())
    }

    fn with_forks(hardforks: HardforkTimes) -> Self {
        let sys = dev_system_config();
        let l1_a = l1_header(100, B256::repeat_byte(0x99), GENESIS_TIME - 12);
        let l1_b = l1_header(101, l1_a.hash(), GENESIS_TIME);
        let (cfg, _) = dev_rollup_config(hardforks, sys, &l1_a);
        Self {
            cfg,
            sys,
            l1_a,
            l1_b,
        }
    }

    fn chain(&self) -> Chain {
        let genesis = build_genesis(&DevGenesisConfig::from_rollup_config(&self.cfg)).unwrap();
        Chain::new(self.cfg.clone(), genesis, ChainConfig::default())
    }

    fn genesis_ref(&self) -> L2BlockRef {
        L2BlockRef {
            hash: self.cfg.genesis.l2.hash,
            number: 0,
            parent_hash: B256::ZERO,
            timestamp: GENESIS_TIME,
            l1_origin: BlockId {
                hash: self.l1_a.hash(),
                number: self.l1_a.number,
            },
            sequence_number: 0,
        }
    }
}

fn secret(hex: &str) -> JwtSecret {
    JwtSecret::from_hex(hex).unwrap()
}

async fn server(f: &Fixture) -> EngineServer {
    EngineServer::start("127.0.0.1:0".parse().unwrap(), secret(SECRET), f.chain())
        .await
        .unwrap()
}

fn client(f: &Fixture, server: &EngineServer, hex: &str) -> HttpEngineClient {
    HttpEngineClient::new(server.url().parse().unwrap(), secret(hex), f.cfg.hardforks).unwrap()
}

fn fcs(head: B256, safe: B256) -> ForkchoiceState {
    ForkchoiceState {
        head_block_hash: head,
        safe_block_hash: safe,
        finalized_block_hash: safe,
    }
}

/// Sequences one block on `parent` through the client: FCU with attributes, getPayload,
/// newPayload, FCU to the new block. Returns the payload and the new block's ref.
async fn sequence(
    f: &Fixture,
    engine: &HttpEngineClient,
    parent: &L2BlockRef,
) -> (OpExecutionPayloadEnvelope, L2BlockRef) {
    let epoch = BlockId {
        hash: f.l1_b.hash(),
        number: f.l1_b.number,
    };
    let receipts = vec![deposit_receipt()];
    let attrs = prepare_payload_attributes(
        &f.cfg,
        parent,
        &f.sys,
        epoch,
        EpochOrigin {
            header: &f.l1_b,
            receipts: Some(&receipts),
            l1_blob_params: None,
        },
    )
    .unwrap()
    .attributes;
    let genesis = f.cfg.genesis.l2.hash;
    let fcu = engine
        .forkchoice_updated(fcs(parent.hash, genesis), Some(&attrs))
        .await
        .unwrap();
    assert_eq!(fcu.payload_status.status, PayloadStatusEnum::Valid);
    assert_eq!(fcu.payload_status.latest_valid_hash, Some(parent.hash));
    let id = fcu.payload_id.expect("a build started");
    // The id is op-geth's: derived from the parent, the attributes and the FCU version.
    let ts = attrs.payload_attributes.timestamp;
    let version = if f.cfg.hardforks.is_active(Hardfork::Ecotone, ts) {
        3
    } else {
        2
    };
    assert_eq!(id, attrs.payload_id(&parent.hash, version));
    let env = engine.get_payload(id, ts).await.unwrap();
    assert_eq!(env.execution_payload.parent_hash(), parent.hash);
    assert_eq!(
        env.parent_beacon_block_root,
        attrs.payload_attributes.parent_beacon_block_root
    );
    let hash = env.execution_payload.block_hash();
    let status = engine.new_payload(&env).await.unwrap();
    assert_eq!(status.status, PayloadStatusEnum::Valid);
    assert_eq!(status.latest_valid_hash, Some(hash));
    let fcu = engine
        .forkchoice_updated(fcs(hash, genesis), None)
        .await
        .unwrap();
    assert_eq!(fcu.payload_status.status, PayloadStatusEnum::Valid);
    assert!(fcu.payload_id.is_none());
    let next = L2BlockRef {
        hash,
        number: parent.number + 1,
        parent_hash: parent.hash,
        timestamp: ts,
        l1_origin: epoch,
        sequence_number: if parent.l1_origin == epoch {
            parent.sequence_number + 1
        } else {
            0
        },
    };
    (env, next)
}

/// The payload with another state root and the block hash recomputed, so only execution
/// can tell it is wrong.
fn tamper_state_root(env: &OpExecutionPayloadEnvelope) -> OpExecutionPayloadEnvelope {
    let mut block = env
        .execution_payload
        .clone()
        .try_into_block::<OpTxEnvelope>()
        .unwrap();
    block.header.parent_beacon_block_root = env.parent_beacon_block_root;
    block.header.requests_hash = Some(alloy_eips::eip7685::EMPTY_REQUESTS_HASH);
    block.header.state_root = B256::repeat_byte(0x5a);
    let (payload, _) = OpExecutionPayload::from_block_unchecked(block.header.hash_slow(), &block);
    OpExecutionPayloadEnvelope {
        parent_beacon_block_root: env.parent_beacon_block_root,
        execution_payload: payload,
    }
}

#[tokio::test]
async fn sequencer_and_verifier_over_the_engine_api() {
    let f = Fixture::new();
    let genesis = f.cfg.genesis.l2.hash;
    let seq_server = server(&f).await;
    let ver_server = server(&f).await;
    let seq = client(&f, &seq_server, SECRET);
    let ver = client(&f, &ver_server, SECRET);

    // Five blocks through the sequencer; each payload also goes to the verifier.
    let mut head = f.genesis_ref();
    let mut payloads = Vec::new();
    for _ in 0..5 {
        let (env, next) = sequence(&f, &seq, &head).await;
        let status = ver.new_payload(&env).await.unwrap();
        assert_eq!(status.status, PayloadStatusEnum::Valid);
        assert_eq!(status.latest_valid_hash, Some(next.hash));
        payloads.push(env);
        head = next;
    }
    assert_eq!(seq_server.with_chain(|c| c.forkchoice().head), head.hash);
    assert_eq!(
        seq_server.with_chain(|c| c.head_state().unwrap().balance(&DEPOSIT_TO)),
        U256::from(2 * ETH)
    );
    // The verifier has every block (same hashes) but its head is still genesis.
    for env in &payloads {
        let hash = env.execution_payload.block_hash();
        assert!(ver_server.with_chain(|c| c.block_by_hash(&hash).is_some()));
    }
    assert_eq!(ver_server.with_chain(|c| c.forkchoice().head), genesis);

    // Reading back canonical blocks as payloads (eth_getBlockByNumber).
    for (i, env) in payloads.iter().enumerate() {
        let back = seq.payload_by_number(i as u64 + 1).await.unwrap().unwrap();
        assert_eq!(back.execution_payload, env.execution_payload);
        assert_eq!(back.parent_beacon_block_root, env.parent_beacon_block_root);
    }
    assert!(seq.payload_by_number(6).await.unwrap().is_none());

    // A tampered state root is INVALID on the verifier, which stays as it was; the honest
    // sixth block is then VALID there.
    let (sixth, sixth_ref) = sequence(&f, &seq, &head).await;
    let bad = tamper_state_root(&sixth);
    assert_ne!(
        bad.execution_payload.block_hash(),
        sixth.execution_payload.block_hash()
    );
    let status = ver.new_payload(&bad).await.unwrap();
    assert!(
        matches!(status.status, PayloadStatusEnum::Invalid { .. }),
        "{status:?}"
    );
    assert_eq!(status.latest_valid_hash, Some(head.hash));
    let bad_hash = bad.execution_payload.block_hash();
    assert!(ver_server.with_chain(|c| c.block_by_hash(&bad_hash).is_none()));
    // A block hash that does not match the header: INVALID with no latest valid hash.
    let mut wrong_hash = sixth.clone();
    if let OpExecutionPayload::V4(p) = &mut wrong_hash.execution_payload {
        p.payload_inner.payload_inner.payload_inner.block_hash = B256::repeat_byte(0x42);
    }
    let status = ver.new_payload(&wrong_hash).await.unwrap();
    assert!(
        matches!(status.status, PayloadStatusEnum::Invalid { .. }),
        "{status:?}"
    );
    assert_eq!(status.latest_valid_hash, None);
    let status = ver.new_payload(&sixth).await.unwrap();
    assert_eq!(status.status, PayloadStatusEnum::Valid);

    // The verifier's forkchoice follows; both chains then agree block by block.
    let fcu = ver
        .forkchoice_updated(fcs(sixth_ref.hash, genesis), None)
        .await
        .unwrap();
    assert_eq!(fcu.payload_status.status, PayloadStatusEnum::Valid);
    for n in 0..=6 {
        let a = seq_server.with_chain(|c| c.block_by_number(n).map(|b| b.header.hash()));
        let b = ver_server.with_chain(|c| c.block_by_number(n).map(|b| b.header.hash()));
        assert!(a.is_some());
        assert_eq!(a, b, "block {n}");
    }
    assert_eq!(
        ver_server.with_chain(|c| c.head_state().unwrap().balance(&DEPOSIT_TO)),
        U256::from(2 * ETH),
        "the deposit in block 1 only"
    );

    // An unknown head answers SYNCING and moves nothing.
    let fcu = ver
        .forkchoice_updated(fcs(B256::repeat_byte(0x77), genesis), None)
        .await
        .unwrap();
    assert_eq!(fcu.payload_status.status, PayloadStatusEnum::Syncing);
    assert_eq!(
        ver_server.with_chain(|c| c.forkchoice().head),
        sixth_ref.hash
    );

    seq_server.stop().await;
    ver_server.stop().await;
}

#[tokio::test]
async fn refuses_bad_tokens_and_unknown_payload_ids() {
    let f = Fixture::new();
    let genesis = f.cfg.genesis.l2.hash;
    let srv = server(&f).await;
    let good = client(&f, &srv, SECRET);
    let (_, one) = sequence(&f, &good, &f.genesis_ref()).await;
    assert_eq!(srv.with_chain(|c| c.forkchoice().head), one.hash);

    // Each refused call would move the head back to genesis if it got through.
    let wrong_secret = client(&f, &srv, OTHER_SECRET);
    let stale = client(&f, &srv, SECRET).with_clock(|| system_clock() - 120);
    let future = client(&f, &srv, SECRET).with_clock(|| system_clock() + 120);
    for c in [&wrong_secret, &stale, &future] {
        let err = c
            .forkchoice_updated(fcs(genesis, genesis), None)
            .await
            .unwrap_err();
        assert!(
            matches!(err, EngineError::Unauthorized { status: 401, .. }),
            "{err:?}"
        );
    }
    assert_eq!(srv.with_chain(|c| c.forkchoice().head), one.hash);

    // The same call with a good token goes through.
    good.forkchoice_updated(fcs(genesis, genesis), None)
        .await
        .unwrap();
    assert_eq!(srv.with_chain(|c| c.forkchoice().head), genesis);

    let err = good
        .get_payload(PayloadId::new([9; 8]), one.timestamp)
        .await
        .unwrap_err();
    assert_eq!(
        err.rpc_code(),
        Some(i64::from(codes::UNKNOWN_PAYLOAD)),
        "{err:?}"
    );
    srv.stop().await;
}

/// A raw JSON-RPC call with a fresh token (or none): the status and the parsed body.
async fn raw(
    srv: &EngineServer,
    token: Option<&JwtSecret>,
    method: &str,
    params: serde_json::Value,
) -> (u16, serde_json::Value) {
    let body = serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let mut req = reqwest::Client::new().post(srv.url()).json(&body);
    if let Some(s) = token {
        req = req.bearer_auth(keel_engine::jwt::token(s, system_clock()).unwrap());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

fn error_code(reply: &serde_json::Value) -> Option<i64> {
    reply["error"]["code"].as_i64()
}

#[tokio::test]
async fn method_versions_by_fork_and_eth_reads() {
    let f = Fixture::new();
    let srv = server(&f).await;
    let s = secret(SECRET);
    let good = client(&f, &srv, SECRET);
    let (env, one) = sequence(&f, &good, &f.genesis_ref()).await;

    // No token at all: refused before any method runs.
    let (status, _) = raw(&srv, None, "eth_blockNumber", serde_json::json!([])).await;
    assert_eq!(status, 401);

    let (_, r) = raw(&srv, Some(&s), "eth_chainId", serde_json::json!([])).await;
    assert_eq!(r["result"], "0x385");
    let (_, r) = raw(&srv, Some(&s), "eth_blockNumber", serde_json::json!([])).await;
    assert_eq!(r["result"], "0x1");
    let (_, r) = raw(
        &srv,
        Some(&s),
        "eth_getBlockByHash",
        serde_json::json!([one.hash, false]),
    )
    .await;
    assert_eq!(r["result"]["hash"], serde_json::json!(one.hash));
    assert_eq!(r["result"]["transactions"].as_array().unwrap().len(), 2);
    let (_, r) = raw(
        &srv,
        Some(&s),
        "engine_exchangeCapabilities",
        serde_json::json!([["engine_newPayloadV4"]]),
    )
    .await;
    let caps = r["result"].as_array().unwrap();
    assert!(caps.contains(&serde_json::json!("engine_getPayloadV4")));

    // Isthmus is active from genesis: the V3 payload methods and FCU V2 with attributes
    // are the wrong versions (-38005).
    let OpExecutionPayload::V4(v4) = &env.execution_payload else {
        panic!("not a V4 payload")
    };
    let root = env.parent_beacon_block_root.unwrap();
    let (_, r) = raw(
        &srv,
        Some(&s),
        "engine_newPayloadV3",
        serde_json::json!([v4.payload_inner, Vec::<B256>::new(), root]),
    )
    .await;
    assert_eq!(
        error_code(&r),
        Some(i64::from(codes::UNSUPPORTED_FORK)),
        "{r}"
    );
    let (_, r) = raw(
        &srv,
        Some(&s),
        "engine_newPayloadV4",
        serde_json::json!([v4, Vec::<B256>::new(), root, Vec::<Bytes>::new()]),
    )
    .await;
    assert_eq!(r["result"]["status"], "VALID", "{r}");
    let mut attrs = serde_json::to_value(
        prepare_payload_attributes(
            &f.cfg,
            &one,
            &f.sys,
            one.l1_origin,
            EpochOrigin {
                header: &f.l1_b,
                receipts: None,
                l1_blob_params: None,
            },
        )
        .unwrap()
        .attributes,
    )
    .unwrap();
    let state = serde_json::json!({
        "headBlockHash": one.hash,
        "safeBlockHash": B256::ZERO,
        "finalizedBlockHash": B256::ZERO,
    });
    let (_, r) = raw(
        &srv,
        Some(&s),
        "engine_forkchoiceUpdatedV2",
        serde_json::json!([state, attrs]),
    )
    .await;
    assert_eq!(
        error_code(&r),
        Some(i64::from(codes::UNSUPPORTED_FORK)),
        "{r}"
    );
    let (_, r) = raw(
        &srv,
        Some(&s),
        "engine_forkchoiceUpdatedV3",
        serde_json::json!([state, attrs]),
    )
    .await;
    let id = r["result"]["payloadId"].clone();
    assert!(id.is_string(), "{r}");
    let (_, r) = raw(
        &srv,
        Some(&s),
        "engine_getPayloadV3",
        serde_json::json!([id]),
    )
    .await;
    assert_eq!(
        error_code(&r),
        Some(i64::from(codes::UNSUPPORTED_FORK)),
        "{r}"
    );
    let (_, r) = raw(
        &srv,
        Some(&s),
        "engine_getPayloadV4",
        serde_json::json!([id]),
    )
    .await;
    assert_eq!(
        r["result"]["executionRequests"],
        serde_json::json!([]),
        "{r}"
    );
    assert_eq!(
        r["result"]["parentBeaconBlockRoot"],
        serde_json::json!(root)
    );

    // FCU V3 attributes without a parent beacon block root are invalid attributes.
    attrs
        .as_object_mut()
        .unwrap()
        .remove("parentBeaconBlockRoot");
    let (_, r) = raw(
        &srv,
        Some(&s),
        "engine_forkchoiceUpdatedV3",
        serde_json::json!([state, attrs]),
    )
    .await;
    assert_eq!(
        error_code(&r),
        Some(i64::from(codes::INVALID_ATTRIBUTES)),
        "{r}"
    );
    srv.stop().await;
}

#[tokio::test]
async fn canyon_to_ecotone_to_isthmus_uses_v2_v3_v4() {
    // Blocks 1 (Canyon: V2 methods), 2 (Ecotone: V3), 3 (Isthmus: V4) go through the
    // sequencer and to a verifier; both end on the same head.
    let t = GENESIS_TIME;
    let f = Fixture::with_forks(HardforkTimes {
        regolith_time: Some(0),
        canyon_time: Some(0),
        delta_time: Some(0),
        ecotone_time: Some(t + 4),
        fjord_time: Some(t + 4),
        granite_time: Some(t + 4),
        holocene_time: Some(t + 4),
        isthmus_time: Some(t + 6),
        ..Default::default()
    });
    let seq_server = server(&f).await;
    let ver_server = server(&f).await;
    let seq = client(&f, &seq_server, SECRET);
    let ver = client(&f, &ver_server, SECRET);
    let mut head = f.genesis_ref();
    let mut shapes = Vec::new();
    for _ in 0..3 {
        let (env, next) = sequence(&f, &seq, &head).await;
        shapes.push(match env.execution_payload {
            OpExecutionPayload::V1(_) => 1,
            OpExecutionPayload::V2(_) => 2,
            OpExecutionPayload::V3(_) => 3,
            OpExecutionPayload::V4(_) => 4,
        });
        assert_eq!(
            ver.new_payload(&env).await.unwrap().status,
            PayloadStatusEnum::Valid
        );
        head = next;
    }
    assert_eq!(shapes, [2, 3, 4]);
    ver.forkchoice_updated(fcs(head.hash, f.cfg.genesis.l2.hash), None)
        .await
        .unwrap();
    assert_eq!(ver_server.with_chain(|c| c.forkchoice().head), head.hash);
    assert_eq!(seq_server.with_chain(|c| c.forkchoice().head), head.hash);
    seq_server.stop().await;
    ver_server.stop().await;
}
