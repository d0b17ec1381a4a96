//! Execution throughput of `Chain::insert_payload` (`newPayload`): decoding, sender
//! recovery, execution, every root and the block-hash check, on a state of 100,000 funded
//! accounts plus the dev genesis. Two blocks, each built first by the chain's own builder:
//!
//! - transfers: the L1-info deposit and 1,000 ETH transfers from distinct senders;
//! - contract-heavy: the L1-info deposit and 40 calls of a loop contract, each writing 30
//!   fresh storage slots (a cold zero-to-non-zero SSTORE and a KECCAK256 per slot) into a
//!   contract that already holds 10,000 slots.
//!
//! Prints Mgas/s from the median of 30 runs, then runs the criterion measurement (its
//! "elem/s" figure is gas/s).
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

mod common;

use std::time::{Duration, Instant};

use alloy_consensus::transaction::Recovered;
use common::*;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keel_devchain::{
    chain::{Chain, ChainConfig},
    executor::{build_block, decode_transactions},
};
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::{OpExecutionPayload, OpExecutionPayloadSidecar};

struct Case {
    name: &'static str,
    payload: OpExecutionPayload,
    sidecar: OpExecutionPayloadSidecar,
    gas: u64,
}

fn case(w: &World, name: &'static str, txs: &[Recovered<OpTxEnvelope>]) -> Case {
    let block = build_block(&w.cfg, &w.genesis.header, &w.genesis.state, &w.attrs, txs).unwrap();
    assert_eq!(
        block.transactions.len(),
        txs.len() + 1,
        "{name}: every tx is included"
    );
    assert!(
        block.receipts.iter().all(|r| r.is_success()),
        "{name}: every tx succeeds"
    );
    let (payload, sidecar) = block.to_payload();
    Case {
        name,
        payload,
        sidecar,
        gas: block.header.gas_used,
    }
}

fn run(chain: &mut Chain, case: &Case) -> Duration {
    let start = Instant::now();
    let block = chain.insert_payload(&case.payload, &case.sidecar).unwrap();
    let elapsed = start.elapsed();
    assert_eq!(block.header.hash(), case.payload.block_hash());
    elapsed
}

fn bench(c: &mut Criterion) {
    let (accounts, transfers_n, calls, writes, runs) = if full_run() {
        (100_000, 1_000, 40, 30, 30)
    } else {
        (2_000, 20, 2, 3, 1)
    };
    let w = world(accounts, transfers_n);
    let cases = [
        case(&w, "transfers", &transfers(&w, accounts)),
        case(&w, "contract_heavy", &loop_calls(&w, calls, writes)),
    ];
    let mut chain = Chain::new(
        w.cfg.clone(),
        w.genesis.clone(),
        ChainConfig { max_states: 4 },
    );
    let mut g = c.benchmark_group("devchain_execution");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(6));
    for case in &cases {
        let mut samples: Vec<Duration> = (0..runs).map(|_| run(&mut chain, case)).collect();
        report(
            &format!("insert_payload {} ({} gas)", case.name, case.gas),
            &mut samples,
        );
        let median = percentile(&samples, 0.5);
        let mut recovery: Vec<Duration> = (0..runs)
            .map(|_| {
                let start = Instant::now();
                decode_transactions(&case.payload.as_v1().transactions).unwrap();
                start.elapsed()
            })
            .collect();
        recovery.sort();
        eprintln!(
            "{}: {:.1} Mgas/s (median); of which decoding + sender recovery {:.2?}",
            case.name,
            case.gas as f64 / median.as_secs_f64() / 1e6,
            percentile(&recovery, 0.5)
        );
        g.throughput(Throughput::Elements(case.gas));
        g.bench_function(case.name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| run(&mut chain, case)).sum())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
