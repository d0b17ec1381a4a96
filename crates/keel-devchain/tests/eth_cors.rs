#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! The public `eth_` server answers browsers on other origins (wallets, dapps on
//! `localhost:3000`): a CORS preflight is allowed, and a JSON-RPC call carries
//! `Access-Control-Allow-Origin`.

mod common;

use alloy_primitives::B256;
use alloy_rpc_types_engine::JwtSecret;
use common::*;
use keel_devchain::{
    chain::{Chain, ChainConfig},
    engine_server::EngineServer,
    genesis::{DevGenesisConfig, build_genesis},
};

const ORIGIN: &str = "http://localhost:3000";

#[tokio::test]
async fn browsers_on_other_origins_may_call_the_public_rpc() {
    let l1 = l1_header(100, B256::repeat_byte(0x99), GENESIS_TIME - 12);
    let (cfg, _) = dev_rollup_config(jovian_at_genesis(), dev_system_config(), &l1);
    let genesis = build_genesis(&DevGenesisConfig::from_rollup_config(&cfg)).unwrap();
    let engine = EngineServer::start(
        "127.0.0.1:0".parse().unwrap(),
        JwtSecret::random(),
        Chain::new(cfg.clone(), genesis, ChainConfig::default()),
    )
    .await
    .unwrap();
    let public = engine
        .start_public_rpc("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let http = reqwest::Client::new();

    let preflight = http
        .request(reqwest::Method::OPTIONS, public.url())
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let allow = |r: &reqwest::Response, h: &str| {
        r.headers()
            .get(h)
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
    };
    assert_eq!(
        allow(&preflight, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert!(
        allow(&preflight, "access-control-allow-methods")
            .unwrap_or_default()
            .contains("post")
    );
    assert!(
        allow(&preflight, "access-control-allow-headers")
            .unwrap_or_default()
            .contains("content-type")
    );

    let call = http
        .post(public.url())
        .header("Origin", ORIGIN)
        .json(&serde_json::json!({"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        allow(&call, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    let body: serde_json::Value = call.json().await.unwrap();
    assert_eq!(body["result"], format!("{:#x}", cfg.l2_chain_id));
    public.stop().await;
    engine.stop().await;
}
