//! Metrics scraped over real HTTP: op-node's series names (namespace `op_node_default`)
//! and Keel's own carry exactly the values recorded; RPC calls are counted by method;
//! two handles do not share state.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::{
    collections::HashMap,
    net::SocketAddr,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use common::{h, l1ref, l2ref, start};
use keel_rpc::{CallOutcome, Metrics, MetricsServer};
use serde_json::json;

/// `series{labels}` → value, from the exposition text.
fn parse(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (k, v) = l.rsplit_once(' ').unwrap();
            (k.to_owned(), v.parse::<f64>().unwrap())
        })
        .collect()
}

async fn scrape(server: &MetricsServer) -> (String, HashMap<String, f64>) {
    let resp = reqwest::get(server.url()).await.unwrap();
    assert_eq!(resp.status(), 200);
    let ct = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("application/openmetrics-text"), "{ct}");
    let text = resp.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    let map = parse(&text);
    (text, map)
}

fn get(m: &HashMap<String, f64>, key: &str) -> f64 {
    *m.get(key)
        .unwrap_or_else(|| panic!("no series {key} in {:#?}", m.keys().collect::<Vec<_>>()))
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

#[tokio::test]
async fn scrape_returns_op_node_series_with_recorded_values() {
    let m = Metrics::new("v0.1.0-keel-test");
    let server = MetricsServer::start(SocketAddr::from(([127, 0, 0, 1], 0)), m.clone())
        .await
        .unwrap();
    let before = now();

    m.record_up();
    m.set_derivation_idle(true);
    m.record_pipeline_reset();
    m.record_pipeline_reset();
    m.record_l1_ref("l1_head", &l1ref(105));
    m.record_l2_ref("l2_safe", &l2ref(600));
    m.observe_rpc_client_call(
        "engine_forkchoiceUpdatedV3",
        Duration::from_millis(50),
        CallOutcome::Ok,
    );
    m.observe_rpc_client_call(
        "engine_forkchoiceUpdatedV3",
        Duration::from_millis(100),
        CallOutcome::Rpc(-38002),
    );
    m.observe_sequencer_sealing(Duration::from_millis(20));
    m.observe_sequencer_building_diff(-0.3);
    m.count_sequenced_txs(7);
    m.record_derived_batches("span", 1);
    m.record_l1_reorg_depth(3);
    m.record_pipeline_step("attributes");
    m.record_pipeline_step("attributes");
    m.record_pipeline_step("need_l1");
    m.record_safedb_write("record");

    let (text, s) = scrape(&server).await;
    assert_eq!(
        get(&s, r#"op_node_default_info{version="v0.1.0-keel-test"}"#),
        1.0
    );
    assert_eq!(get(&s, "op_node_default_up"), 1.0);
    assert_eq!(get(&s, "op_node_default_derivation_idle"), 1.0);
    assert_eq!(get(&s, "op_node_default_pipeline_resets_total"), 2.0);
    let last_reset = get(&s, "op_node_default_last_pipeline_resets_unix");
    assert!(
        last_reset >= before.floor() && last_reset <= now() + 1.0,
        "{last_reset}"
    );
    assert_eq!(get(&s, "op_node_default_derivation_errors_total"), 0.0);

    // Refs: number, time, hash-as-float (first 8 bytes little-endian), seqnr, L1 origin.
    let l1 = r#"{layer="l1",type="l1_head"}"#;
    assert_eq!(get(&s, &format!("op_node_default_refs_number{l1}")), 105.0);
    assert_eq!(
        get(&s, &format!("op_node_default_refs_time{l1}")),
        (1_700_000_000 + 12 * 105) as f64
    );
    // h(0x11, 105): byte 0 is 0x11, bytes 1..8 zero → 0x11 as a little-endian u64.
    assert_eq!(get(&s, &format!("op_node_default_refs_hash{l1}")), 17.0);
    let l2 = r#"{layer="l2",type="l2_safe"}"#;
    assert_eq!(get(&s, &format!("op_node_default_refs_number{l2}")), 600.0);
    assert_eq!(
        get(&s, &format!("op_node_default_refs_time{l2}")),
        (1_700_000_001 + 2 * 600) as f64
    );
    assert_eq!(get(&s, &format!("op_node_default_refs_hash{l2}")), 34.0);
    // The ref's timestamp (2023) minus the scrape-time clock: minus a few years.
    let latency = get(&s, &format!("op_node_default_refs_latency{l2}"));
    let expected = (1_700_000_001 + 1200) as f64 - before;
    assert!((latency - expected).abs() < 5.0, "{latency} vs {expected}");
    assert_eq!(
        get(
            &s,
            r#"op_node_default_refs_number{layer="l1_origin",type="l2_safe"}"#
        ),
        100.0
    );
    assert_eq!(
        get(&s, r#"op_node_default_refs_seqnr{type="l2_safe"}"#),
        0.0
    );
    assert!(!text.contains(r#"op_node_default_refs_time{layer="l1_origin""#));

    // Engine call latency: op-node's rpc_client series.
    let fcu = r#"method="engine_forkchoiceUpdatedV3""#;
    assert_eq!(
        get(
            &s,
            &format!("op_node_default_rpc_client_requests_total{{{fcu}}}")
        ),
        2.0
    );
    assert_eq!(
        get(
            &s,
            &format!("op_node_default_rpc_client_request_duration_seconds_count{{{fcu}}}")
        ),
        2.0
    );
    let sum = get(
        &s,
        &format!("op_node_default_rpc_client_request_duration_seconds_sum{{{fcu}}}"),
    );
    assert!((sum - 0.15).abs() < 1e-9, "{sum}");
    assert_eq!(
        get(
            &s,
            &format!(
                r#"op_node_default_rpc_client_request_duration_seconds_bucket{{le="0.025",{fcu}}}"#
            )
        ),
        0.0
    );
    assert_eq!(
        get(
            &s,
            &format!(
                r#"op_node_default_rpc_client_request_duration_seconds_bucket{{le="0.05",{fcu}}}"#
            )
        ),
        1.0
    );
    assert_eq!(
        get(
            &s,
            &format!(
                r#"op_node_default_rpc_client_request_duration_seconds_bucket{{le="0.1",{fcu}}}"#
            )
        ),
        2.0
    );
    assert_eq!(
        get(
            &s,
            &format!(r#"op_node_default_rpc_client_responses_total{{{fcu},error="<nil>"}}"#)
        ),
        1.0
    );
    assert_eq!(
        get(
            &s,
            &format!(r#"op_node_default_rpc_client_responses_total{{{fcu},error="rpc_-38002"}}"#)
        ),
        1.0
    );

    // Sequencer.
    assert_eq!(get(&s, "op_node_default_sequencer_sealing_total"), 1.0);
    assert_eq!(
        get(&s, "op_node_default_sequencer_sealing_seconds_count"),
        1.0
    );
    assert!((get(&s, "op_node_default_sequencer_sealing_seconds_sum") - 0.02).abs() < 1e-9);
    assert_eq!(
        get(&s, "op_node_default_sequencer_building_diff_total"),
        1.0
    );
    assert_eq!(
        get(
            &s,
            r#"op_node_default_sequencer_building_diff_seconds_bucket{le="-0.5"}"#
        ),
        0.0
    );
    // Cumulative buckets: -0.3 is counted from le=-0.25 on.
    assert_eq!(
        get(
            &s,
            r#"op_node_default_sequencer_building_diff_seconds_bucket{le="-0.25"}"#
        ),
        1.0
    );
    assert_eq!(get(&s, "op_node_default_transactions_sequenced_total"), 7.0);
    assert_eq!(
        get(&s, r#"op_node_default_derived_batches_total{type="span"}"#),
        1.0
    );
    assert_eq!(
        get(&s, r#"op_node_default_l1_reorg_depth_bucket{le="2.5"}"#),
        0.0
    );
    assert_eq!(
        get(&s, r#"op_node_default_l1_reorg_depth_bucket{le="3.5"}"#),
        1.0
    );

    // Keel's own.
    assert_eq!(
        get(&s, r#"keel_pipeline_steps_total{outcome="attributes"}"#),
        2.0
    );
    assert_eq!(
        get(&s, r#"keel_pipeline_steps_total{outcome="need_l1"}"#),
        1.0
    );
    assert_eq!(
        get(&s, r#"keel_safedb_writes_total{outcome="record"}"#),
        1.0
    );

    // Values move between scrapes.
    m.record_pipeline_reset();
    m.set_derivation_idle(false);
    let (_, s) = scrape(&server).await;
    assert_eq!(get(&s, "op_node_default_pipeline_resets_total"), 3.0);
    assert_eq!(get(&s, "op_node_default_derivation_idle"), 0.0);
    server.stop().await;
}

#[tokio::test]
async fn rpc_server_calls_are_counted_by_method() {
    let m = Metrics::new("v");
    let rpc = start(false, None, Some(m.clone())).await;
    rpc.ok("optimism_syncStatus", json!([])).await;
    rpc.ok("optimism_syncStatus", json!([])).await;
    rpc.ok("optimism_version", json!([])).await;
    rpc.err("optimism_outputAtBlock", json!(["0x7"])).await;
    let s = parse(&m.encode());
    let count = |method: &str| {
        get(
            &s,
            &format!(r#"op_node_default_rpc_server_requests_total{{method="{method}"}}"#),
        )
    };
    assert_eq!(count("optimism_syncStatus"), 2.0);
    assert_eq!(count("optimism_version"), 1.0);
    assert_eq!(count("optimism_outputAtBlock"), 1.0);
    assert_eq!(
        get(
            &s,
            r#"op_node_default_rpc_server_request_duration_seconds_count{method="optimism_syncStatus"}"#
        ),
        2.0
    );
}

#[tokio::test]
async fn two_handles_do_not_share_series() {
    let a = Metrics::new("a");
    let b = Metrics::new("b");
    a.record_pipeline_reset();
    a.record_ref("l2", "l2_unsafe", 9, 0, h(0x01, 0));
    let (sa, sb) = (parse(&a.encode()), parse(&b.encode()));
    assert_eq!(get(&sa, "op_node_default_pipeline_resets_total"), 1.0);
    assert_eq!(get(&sb, "op_node_default_pipeline_resets_total"), 0.0);
    assert_eq!(get(&sb, r#"op_node_default_info{version="b"}"#), 1.0);
    assert!(!sb.contains_key(r#"op_node_default_info{version="a"}"#));
    assert!(!sb.contains_key(r#"op_node_default_refs_number{layer="l2",type="l2_unsafe"}"#));
}

#[tokio::test]
async fn non_get_is_refused() {
    let m = Metrics::new("v");
    let server = MetricsServer::start(SocketAddr::from(([127, 0, 0, 1], 0)), m)
        .await
        .unwrap();
    let resp = reqwest::Client::new()
        .post(server.url())
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    server.stop().await;
}
