//! Holocene's engine-queue rule: when the engine refuses a derived payload and the node
//! replaces it with its deposits-only version, the rest of that span batch and its channel
//! are dropped, so no later block of the span is derived on top of the replacement.
//!
//! Spec: protocol/holocene/derivation.md#engine-queue
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::sim::*;
use keel_derive::{
    pipeline::{Pipeline, Step},
    stages::attributes_queue::DerivedAttributes,
    types::L2BlockRef,
};
use keel_protocol::{channel_builder::BatchKind, compression::CompressionAlgo};

/// Steps `p` on `safe`, answering L1 requests from `w`, until it yields attributes or
/// runs out of L1 blocks.
fn next_attributes(w: &World, p: &mut Pipeline, safe: L2BlockRef) -> Option<DerivedAttributes> {
    for _ in 0..100_000 {
        match p.step(safe).unwrap() {
            Step::Attributes(a) => return Some(*a),
            Step::NeedL1Block(n) => {
                let b = w.l1.get((n - GENESIS_NUMBER) as usize)?;
                p.provide_l1_block(b.clone()).unwrap();
            }
            other => panic!("unexpected step {other:?}"),
        }
    }
    panic!("pipeline does not settle");
}

/// The block the engine builds from `a`'s deposits only (a different hash from the
/// block of the full attributes).
fn deposits_only(parent: &L2BlockRef, a: &DerivedAttributes) -> L2BlockRef {
    let mut attrs = a.attributes.clone();
    let txs = attrs.transactions.as_mut().unwrap();
    txs.retain(|t| t.first() == Some(&0x7e));
    execute(parent, &attrs)
}

/// The attributes' user transactions (everything but deposits).
fn user_txs(a: &DerivedAttributes) -> Vec<&alloy_primitives::Bytes> {
    a.attributes
        .transactions
        .as_ref()
        .unwrap()
        .iter()
        .filter(|t| t.first() != Some(&0x7e))
        .collect()
}

fn world() -> World {
    // Holocene from genesis, span batches, channels of many blocks, user txs in every block
    // (so the deposits-only replacement differs from the sequenced block).
    let mut p = SimParams::new(21, BatchKind::Span, CompressionAlgo::Zlib);
    p.l2_blocks = 40;
    p.min_txs = 1;
    p.max_channel_blocks = 20;
    p.forks.ecotone_time = Some(0);
    p.forks.fjord_time = Some(0);
    p.forks.granite_time = Some(0);
    p.forks.holocene_time = Some(0);
    build_world(&p)
}

#[test]
fn flushing_after_a_deposits_only_replacement_drops_the_rest_of_the_span() {
    let w = world();
    let start = || Pipeline::new(w.cfg.clone(), w.l1[0].block_ref, genesis_system_config());

    // Without the flush (the bug the rule prevents): the span's second block is derived on
    // top of the replacement, which the sequencer never built on.
    let mut control = start();
    let first = next_attributes(&w, &mut control, w.genesis).unwrap();
    assert_eq!(first.parent, w.genesis);
    assert!(
        !first.is_last_in_span,
        "the channel holds a multi-block span"
    );
    let replacement = deposits_only(&w.genesis, &first);
    assert_ne!(replacement.hash, w.l2[0].block_ref.hash);
    let second = next_attributes(&w, &mut control, replacement).unwrap();
    assert_eq!(second.parent, replacement);
    assert_eq!(
        second.attributes.payload_attributes.timestamp, w.l2[1].block_ref.timestamp,
        "without a flush the span's next block follows the replacement"
    );
    assert!(
        !user_txs(&second).is_empty(),
        "block 2 of the span carries user txs"
    );

    // With the flush: nothing more of that span; whatever is derived next on the
    // replacement carries none of the dropped span's user transactions.
    let mut p = start();
    let first = next_attributes(&w, &mut p, w.genesis).unwrap();
    let replacement = deposits_only(&w.genesis, &first);
    p.flush_channel();
    match next_attributes(&w, &mut p, replacement) {
        None => {}
        Some(next) => {
            assert_eq!(next.parent, replacement);
            let dropped = user_txs(&second);
            let got = next.attributes.transactions.as_ref().unwrap();
            assert!(
                dropped.iter().all(|t| !got.contains(t)),
                "a transaction of the flushed span was derived after the flush"
            );
        }
    }
}
