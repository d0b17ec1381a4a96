#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! The HTTP client against a mock Engine API server on 127.0.0.1 (ephemeral port) that
//! checks the JWT and answers from a script.

mod common;

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{Arc, Mutex},
};

use alloy_primitives::B256;
use alloy_rpc_types_engine::{ForkchoiceState, JwtSecret, PayloadId, PayloadStatusEnum};
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, body::Bytes, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use keel_engine::{
    api::EngineApi,
    client::HttpEngineClient,
    error::{EngineError, ErrorClass},
    jwt::parse_jwt_secret,
};
use op_alloy_rpc_types_engine::OpExecutionPayloadEnvelopeV3;
use serde_json::{Value, json};

const SECRET: &str = "0xf79ae8046bc11c9927afe911db7143c51a806c4a537cc08e0d37140b0192f430";

#[derive(Default)]
struct Mock {
    /// method → what to answer: `{"result": ...}` or `{"error": ...}`.
    script: HashMap<String, Value>,
    /// (method, params) received, in order.
    calls: Vec<(String, Value)>,
}

type Shared = Arc<Mutex<Mock>>;

async fn handle(
    req: Request<hyper::body::Incoming>,
    secret: JwtSecret,
    mock: Shared,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::to_owned);
    if token.is_none_or(|t| secret.validate(&t).is_err()) {
        return Ok(Response::builder()
            .status(401)
            .body(Full::new(Bytes::from_static(b"unauthorized")))
            .unwrap());
    }
    let body = req.into_body().collect().await.unwrap().to_bytes();
    let call: Value = serde_json::from_slice(&body).unwrap();
    let method = call["method"].as_str().unwrap().to_owned();
    let mut m = mock.lock().unwrap();
    m.calls.push((method.clone(), call["params"].clone()));
    let mut reply = m
        .script
        .get(&method)
        .cloned()
        .unwrap_or_else(|| json!({"error": {"code": -32601, "message": "method not found"}}));
    reply["jsonrpc"] = json!("2.0");
    reply["id"] = call["id"].clone();
    Ok(Response::new(Full::new(Bytes::from(reply.to_string()))))
}

/// Starts the mock; returns its URL and state.
async fn serve() -> (reqwest::Url, Shared) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mock = Shared::default();
    let secret = parse_jwt_secret(SECRET).unwrap();
    let state = mock.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let state = state.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req| handle(req, secret, state.clone()));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    (format!("http://{addr}").parse().unwrap(), mock)
}

fn client(url: reqwest::Url, secret: &str) -> HttpEngineClient {
    let cfg = common::config(true);
    HttpEngineClient::new(url, parse_jwt_secret(secret).unwrap(), cfg.hardforks).unwrap()
}

fn script(mock: &Shared, method: &str, reply: Value) {
    mock.lock().unwrap().script.insert(method.into(), reply);
}

fn state() -> ForkchoiceState {
    ForkchoiceState {
        head_block_hash: B256::repeat_byte(1),
        safe_block_hash: B256::repeat_byte(2),
        finalized_block_hash: B256::repeat_byte(3),
    }
}

#[tokio::test]
async fn forkchoice_with_attributes_uses_v3_and_returns_the_payload_id() {
    let (url, mock) = serve().await;
    script(
        &mock,
        "engine_forkchoiceUpdatedV3",
        json!({"result": {"payloadStatus": {"status": "VALID", "latestValidHash": B256::repeat_byte(1), "validationError": null}, "payloadId": "0x0102030405060708"}}),
    );
    let c = client(url, SECRET);
    let cfg = common::config(true);
    let g = common::genesis(&cfg);
    let attrs = common::attributes(&cfg, &g, 10, &[1]);
    let res = c.forkchoice_updated(state(), Some(&attrs)).await.unwrap();
    assert_eq!(
        res.payload_id,
        Some(PayloadId::new([1, 2, 3, 4, 5, 6, 7, 8]))
    );
    assert!(res.payload_status.status.is_valid());
    let calls = &mock.lock().unwrap().calls;
    let (method, params) = &calls[0];
    assert_eq!(method, "engine_forkchoiceUpdatedV3");
    assert_eq!(params[0]["headBlockHash"], json!(B256::repeat_byte(1)));
    // The OP fields go out under their Engine API names.
    assert_eq!(params[1]["noTxPool"], json!(true));
    assert_eq!(params[1]["gasLimit"], json!("0x1c9c380"));
    assert_eq!(params[1]["eip1559Params"], json!("0x0000000000000000"));
    assert_eq!(params[1]["transactions"].as_array().unwrap().len(), 2);
    assert!(
        params[1].get("minBaseFee").is_none(),
        "no minBaseFee before Jovian"
    );
}

#[tokio::test]
async fn get_and_new_payload_v3_round_trip_the_op_alloy_vector() {
    let (url, mock) = serve().await;
    let text = std::fs::read_to_string(common::testdata("op_alloy_engine_vectors.json")).unwrap();
    let vectors: Value = serde_json::from_str(&text).unwrap();
    let env_text = vectors["vectors"][0]["json_text"].as_str().unwrap();
    let env: Value = serde_json::from_str(env_text).unwrap();
    script(&mock, "engine_getPayloadV3", json!({ "result": env }));
    script(
        &mock,
        "engine_newPayloadV3",
        json!({"result": {"status": "INVALID_BLOCK_HASH", "latestValidHash": null, "validationError": "hash mismatch"}}),
    );
    let c = client(url, SECRET);
    let got = c.get_payload(PayloadId::new([9; 8]), 1_000).await.unwrap();
    let want: OpExecutionPayloadEnvelopeV3 = serde_json::from_str(env_text).unwrap();
    assert_eq!(
        got.parent_beacon_block_root,
        Some(want.parent_beacon_block_root)
    );
    let status = c.new_payload(&got).await.unwrap();
    assert!(matches!(
        status.status,
        PayloadStatusEnum::Invalid { ref validation_error } if validation_error.contains("hash mismatch")
    ));
    let calls = &mock.lock().unwrap().calls;
    assert_eq!(calls[0].1, json!(["0x0909090909090909"]));
    assert_eq!(calls[1].0, "engine_newPayloadV3");
    // The payload goes back exactly as the engine gave it.
    assert_eq!(calls[1].1[0], env["executionPayload"]);
    assert_eq!(calls[1].1[2], env["parentBeaconBlockRoot"]);
}

#[tokio::test]
async fn engine_error_codes_are_classed() {
    let (url, mock) = serve().await;
    let c = client(url, SECRET);
    for (code, class) in [
        (-38001, ErrorClass::Reset),
        (-38002, ErrorClass::Reset),
        (-38003, ErrorClass::Reset),
        (-38005, ErrorClass::Critical),
        (-32000, ErrorClass::Temporary),
    ] {
        script(
            &mock,
            "engine_forkchoiceUpdatedV3",
            json!({"error": {"code": code, "message": "scripted"}}),
        );
        let err = c.forkchoice_updated(state(), None).await.unwrap_err();
        assert_eq!(err.rpc_code(), Some(code));
        assert_eq!(err.class(), class, "code {code}");
    }
    // An unknown method (an engine too old) is critical.
    let err = c
        .get_payload(PayloadId::new([0; 8]), 1_000)
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Critical);
}

#[tokio::test]
async fn syncing_and_accepted_statuses_are_returned() {
    let (url, mock) = serve().await;
    let c = client(url, SECRET);
    for s in ["SYNCING", "ACCEPTED"] {
        script(
            &mock,
            "engine_forkchoiceUpdatedV3",
            json!({"result": {"payloadStatus": {"status": s, "latestValidHash": null}, "payloadId": null}}),
        );
        let res = c.forkchoice_updated(state(), None).await.unwrap();
        assert_eq!(res.payload_status.status.as_str(), s);
        assert_eq!(res.payload_id, None);
    }
}

#[tokio::test]
async fn wrong_missing_or_stale_tokens_are_refused() {
    let (url, mock) = serve().await;
    script(
        &mock,
        "engine_forkchoiceUpdatedV3",
        json!({"result": {"payloadStatus": {"status": "VALID", "latestValidHash": null}, "payloadId": null}}),
    );
    let wrong = client(
        url.clone(),
        "0x0000000000000000000000000000000000000000000000000000000000000001",
    );
    let err = wrong.forkchoice_updated(state(), None).await.unwrap_err();
    assert!(matches!(err, EngineError::Unauthorized { status: 401, .. }));
    assert_eq!(err.class(), ErrorClass::Critical);

    fn two_minutes_ago() -> u64 {
        keel_engine::client::system_clock() - 120
    }
    let stale = client(url.clone(), SECRET).with_clock(two_minutes_ago);
    assert!(matches!(
        stale.forkchoice_updated(state(), None).await,
        Err(EngineError::Unauthorized { .. })
    ));

    let plain = reqwest::Client::new()
        .post(url.clone())
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "engine_forkchoiceUpdatedV3", "params": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status().as_u16(), 401);

    // The right secret at the right time passes.
    client(url, SECRET)
        .forkchoice_updated(state(), None)
        .await
        .unwrap();
    assert_eq!(
        mock.lock().unwrap().calls.len(),
        1,
        "refused calls never reach the engine"
    );
}

#[tokio::test]
async fn connection_refused_is_temporary() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url: reqwest::Url = format!("http://{}", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    drop(listener);
    let err = client(url, SECRET)
        .forkchoice_updated(state(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::Transport { .. }));
    assert_eq!(err.class(), ErrorClass::Temporary);
}

#[tokio::test]
async fn payload_by_number_reads_a_block() {
    let (url, mock) = serve().await;
    let text = std::fs::read_to_string(common::testdata("hildr/bedrock_raw_block.json")).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    script(
        &mock,
        "eth_getBlockByNumber",
        json!({"result": v["test_block_data"]}),
    );
    let c = client(url, SECRET);
    let env = c.payload_by_number(42).await.unwrap().unwrap();
    assert_eq!(
        env.execution_payload.block_hash(),
        v["assert_l2_block_hash"]
            .as_str()
            .unwrap()
            .parse::<B256>()
            .unwrap()
    );
    assert_eq!(mock.lock().unwrap().calls[0].1, json!(["0x2a", true]));
    script(&mock, "eth_getBlockByNumber", json!({"result": null}));
    assert!(c.payload_by_number(43).await.unwrap().is_none());
}
