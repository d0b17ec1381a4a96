//! L2 block building latency: `Chain::build` of block 1 from OP payload attributes (the
//! L1-info deposit, then 1,000 pooled ETH transfers from 1,000 distinct senders to 1,000
//! other accounts) on a state of 100,000 funded accounts plus the dev genesis. The time
//! covers execution, the state / storage / receipts / transactions roots, the seal, and
//! storing the block and its post-state in the chain; refilling the pool is not counted.
//!
//! Prints p50 / p99 / max over 100 builds, then runs the criterion measurement.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use common::*;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keel_devchain::chain::{Chain, ChainConfig};

fn bench(c: &mut Criterion) {
    let (accounts, txs, runs) = if full_run() {
        (100_000, 1_000, 100)
    } else {
        (2_000, 20, 2)
    };
    let w = world(accounts, txs);
    let pool = transfers(&w, accounts);
    let parent = w.genesis.header.hash();
    eprintln!(
        "bench world: {} accounts, {} transfers",
        account_count(&w.genesis.state),
        pool.len()
    );
    let mut chain = Chain::new(
        w.cfg.clone(),
        w.genesis.clone(),
        ChainConfig { max_states: 4 },
    );
    let build = |chain: &mut Chain| -> Duration {
        for tx in &pool {
            chain.add_to_pool(tx.clone()).unwrap();
        }
        let start = Instant::now();
        let block = chain.build(parent, black_box(&w.attrs)).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(
            block.transactions.len(),
            txs + 1,
            "every transfer is included"
        );
        elapsed
    };
    let first = build(&mut chain);
    assert!(chain.pool().is_empty(), "the pool drains");
    eprintln!("first build: {first:.2?}");
    let mut samples: Vec<Duration> = (0..runs).map(|_| build(&mut chain)).collect();
    report(
        &format!("build {txs} transfers on {accounts} accounts"),
        &mut samples,
    );

    let mut g = c.benchmark_group("devchain");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(8));
    g.throughput(Throughput::Elements(txs as u64));
    g.bench_function("build_1000_transfers_100k_accounts", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| build(&mut chain)).sum())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
