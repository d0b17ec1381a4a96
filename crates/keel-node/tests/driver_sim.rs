//! The node's driver over a simulated world (paused tokio clock, in-memory L1, embedded
//! L2 engines in process): a sequencer builds a chain; a verifier given only L1 derives
//! exactly the same blocks from the sequencer's batches.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod sim;

use std::{sync::Arc, time::Duration};

use keel_devchain::engine_server::InProcessEngine;
use keel_engine::client::EngineClient;
use keel_node::{
    driver::{Driver, DriverConfig, NoHooks, sources::TokioClock},
    node::timed::TimedTransport,
    sources::{in_process::InProcessTransport, rpc::RpcL2},
};
use keel_protocol::rollup_config::RollupConfig;
use keel_sequencer::sequencer::SequencerConfig;
use sim::*;

fn sequencer_config(rollup: Arc<RollupConfig>) -> DriverConfig {
    DriverConfig {
        sequencer: Some(SequencerConfig::default()),
        l1_poll_interval: Duration::from_millis(500),
        ..DriverConfig::verifier(rollup)
    }
}

/// Runs a sequencer for `seconds` of simulated time from genesis; returns its engine.
async fn run_sequencer(l1: &FakeL1, cfg: &RollupConfig, seconds: u64) -> InProcessEngine {
    let engine = engine(cfg);
    let driver = driver(
        sequencer_config(Arc::new(cfg.clone())),
        l1.clone(),
        &engine,
        l1.clock,
    );
    let handle = driver.handle();
    driver
        .run(tokio::time::sleep(Duration::from_secs(seconds)))
        .await
        .unwrap();
    let status = handle.status();
    assert!(status.sequencer_active);
    assert_eq!(status.sequenced_blocks, status.heads.unsafe_head.number);
    engine
}

#[tokio::test(start_paused = true)]
async fn sequencer_builds_one_block_per_slot_following_l1() {
    let clock = TokioClock::starting_at(GENESIS_TIME * 1000);
    let l1 = FakeL1::new(clock, 40);
    let cfg = rollup_config(&l1);
    let engine = run_sequencer(&l1, &cfg, 120).await;
    let head = engine.with_chain(|c| c.head().unwrap().header.number);
    // Blocks are built one block time ahead and sealed at their slot: by t = 120 s the
    // block at 120 s (number 60) may or may not be sealed.
    assert!((59..=60).contains(&head), "head {head}");
    let mut last_origin = 0;
    for n in 1..=head {
        let (hash, block) = l2_block(&engine, n).await;
        let r = keel_derive::l2::block_ref_from_block(&cfg, hash, &block).unwrap();
        assert_eq!(r.timestamp, GENESIS_TIME + 2 * n, "one block per 2 s slot");
        let origin = l1.block(r.l1_origin.number).block_ref;
        assert_eq!(origin.hash, r.l1_origin.hash);
        assert!(origin.timestamp <= r.timestamp);
        // The origin moves by at most one L1 block per L2 block, and never lags more than
        // an L1 block behind the newest L1 block that existed at the block's slot.
        assert!(r.l1_origin.number <= last_origin + 1);
        assert!(
            (r.timestamp - origin.timestamp) < 2 * L1_BLOCK_TIME,
            "{r:?}"
        );
        last_origin = r.l1_origin.number;
    }
    assert!(last_origin >= 8, "origin {last_origin}");
}

#[tokio::test(start_paused = true)]
async fn verifier_derives_exactly_the_sequencers_blocks_from_l1() {
    let clock = TokioClock::starting_at(GENESIS_TIME * 1000);
    let l1 = FakeL1::new(clock, 60);
    let cfg = rollup_config(&l1);
    let seq_engine = run_sequencer(&l1, &cfg, 60).await;
    let last = seq_engine.with_chain(|c| c.head().unwrap().header.number);
    assert!(last >= 29);

    // Batch the sequencer's blocks into L1 block 7 (t = 84 s: after the sequencer stopped,
    // so no origin it used changes).
    let tx = batcher_tx(&cfg, batches(&seq_engine, &cfg, last).await, 0);
    l1.rebuild_from(7, 60, &[tx]);

    // The verifier's engine calls go through the node's timing wrapper, whose metrics
    // count them by method.
    let verifier_engine = engine(&cfg);
    let metrics = keel_rpc::Metrics::new("test");
    let timed = |e: &InProcessEngine| {
        EngineClient::with_transport(
            TimedTransport::new(InProcessTransport(e.clone()), Some(metrics.clone())),
            cfg.hardforks,
        )
    };
    let driver = Driver::new(
        DriverConfig {
            l1_poll_interval: Duration::from_millis(500),
            ..DriverConfig::verifier(Arc::new(cfg.clone()))
        },
        l1.clone(),
        RpcL2(timed(&verifier_engine)),
        timed(&verifier_engine),
        clock,
        NoHooks,
    );
    let handle = driver.handle();
    // 90 s more: L1 reaches block 12, so block 8 is finalized (lag 4).
    driver
        .run(tokio::time::sleep(Duration::from_secs(90)))
        .await
        .unwrap();
    let status = handle.status();
    assert_eq!(status.finalized_l1.number, 8);
    assert_eq!(status.heads.safe.number, last, "{status:?}");
    assert_eq!(status.heads.unsafe_head, status.heads.safe);
    for n in 1..=last {
        let (a, _) = l2_block(&seq_engine, n).await;
        let (b, _) = l2_block(&verifier_engine, n).await;
        assert_eq!(a, b, "block {n}");
    }
    // Derived from L1 block 7, now finalized.
    assert_eq!(status.heads.finalized.number, last);

    // All those blocks came from one L1 block. Each is built by a forkchoice update
    // carrying its attributes (the verifier has no unsafe blocks to consolidate against);
    // the new safe and finalized heads reach the engine in a few more (one per turn of
    // derivation steps), not in one more per block.
    let scrape = metrics.encode();
    let fcus: f64 = scrape
        .lines()
        .filter(|l| {
            l.starts_with("op_node_default_rpc_client_requests_total{")
                && l.contains("engine_forkchoiceUpdated")
        })
        .map(|l| l.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum();
    assert!(fcus >= last as f64, "{scrape}");
    assert!(
        fcus <= (last + 5) as f64,
        "{fcus} forkchoice updates for {last} derived blocks"
    );
}
