//! Derivation-only throughput: an in-memory L1 carrying span batches of L2 blocks with 100
//! user transactions each (zlib, calldata frames of up to 120 kB) is derived from genesis by
//! the full pipeline (sender recovery, frames, channels, decompression, span decoding, batch
//! checks, attributes). The world is built once, outside the measurement.
//!
//! Reports L2 blocks/s and MB/s of batcher data.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Duration;

use common::{driver::*, sim::*};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keel_derive::pipeline::Pipeline;
use keel_protocol::{
    channel_builder::BatchKind, compression::CompressionAlgo, hardfork::HardforkTimes,
};

fn world() -> World {
    let mut p = SimParams::new(42, BatchKind::Span, CompressionAlgo::Zlib);
    p.l2_blocks = 300;
    p.min_txs = 100;
    p.max_txs = 100;
    p.max_channel_blocks = 60;
    p.max_frame_size = Some(120_000);
    p.forks = HardforkTimes {
        regolith_time: Some(0),
        canyon_time: Some(0),
        delta_time: Some(0),
        ecotone_time: Some(0),
        fjord_time: Some(0),
        granite_time: Some(0),
        holocene_time: Some(0),
        isthmus_time: Some(0),
        ..Default::default()
    };
    build_world(&p)
}

fn derive_all(w: &World) -> usize {
    let mut pipe = Pipeline::new(w.cfg.clone(), w.l1[0].block_ref, genesis_system_config());
    let mut d = Derived::new(w);
    drive(w, &mut pipe, &mut d, None).unwrap();
    d.attrs.len()
}

fn bench(c: &mut Criterion) {
    let w = world();
    assert_eq!(
        derive_all(&w),
        w.l2.len(),
        "the bench world must derive completely"
    );
    let blocks = w.l2.len() as u64;
    let bytes = w.batcher_bytes as u64;
    eprintln!(
        "bench world: {blocks} L2 blocks, {} L1 blocks, {bytes} batcher bytes",
        w.l1.len()
    );
    let mut g = c.benchmark_group("derivation");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10));
    g.throughput(Throughput::Elements(blocks));
    g.bench_function("span_100tx_blocks", |b| b.iter(|| derive_all(&w)));
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("span_100tx_batcher_bytes", |b| b.iter(|| derive_all(&w)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
