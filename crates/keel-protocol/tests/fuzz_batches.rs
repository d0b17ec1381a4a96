#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Fuzz targets for the batch decoders (stable driver in `common::fuzz`).

mod batches_support;
mod common;

use batches_support::{BLOCK_TIME, CHAIN_ID, GENESIS, realistic_blocks};
use keel_protocol::batch::{Batch, RawSpanBatch, SingleBatch, SpanBatch, read_channel_batches};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::TestRunner;

/// Seeds: real span batches, a generated one with every tx type, singular batches.
fn span_seeds() -> Vec<Vec<u8>> {
    let mut seeds = vec![common::read_bytes("batches/kona/raw_span_batch.bin")];
    let mut runner = TestRunner::deterministic();
    for _ in 0..4 {
        let singles = batches_support::singular_run(4)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let span =
            SpanBatch::from_singular_batches(&singles, GENESIS, BLOCK_TIME, CHAIN_ID).unwrap();
        seeds.push(span.to_raw(GENESIS, CHAIN_ID).unwrap().encode());
    }
    let real =
        SpanBatch::from_singular_batches(&realistic_blocks(3, 3), GENESIS, BLOCK_TIME, CHAIN_ID)
            .unwrap();
    seeds.push(real.to_raw(GENESIS, CHAIN_ID).unwrap().encode());
    seeds
}

fn typed_seeds() -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = span_seeds()
        .into_iter()
        .map(|s| {
            let mut t = vec![1u8];
            t.extend(s);
            t
        })
        .collect();
    for b in realistic_blocks(2, 2) {
        seeds.push(Batch::Single(b).encode());
    }
    seeds.push(Batch::Single(SingleBatch::default()).encode());
    seeds
}

fn channel_seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut all = Vec::new();
    for s in typed_seeds() {
        let b = Batch::decode(&s).unwrap();
        let mut one = Vec::new();
        b.encode_channel_item(&mut one);
        all.extend_from_slice(&one);
        out.push(one);
    }
    out.push(all);
    out
}

#[test]
fn fuzz_batch_decode() {
    common::fuzz::run("batch_decode", &typed_seeds(), 512, |bytes| {
        if let Ok(b) = Batch::decode(bytes) {
            // A decoded batch re-encodes to something that decodes to the same batch.
            assert_eq!(Batch::decode(&b.encode()).unwrap(), b);
        }
    });
}

#[test]
fn fuzz_raw_span_batch_decode() {
    common::fuzz::run("raw_span_batch_decode", &span_seeds(), 512, |bytes| {
        if let Ok(b) = RawSpanBatch::decode(bytes) {
            let enc = b.encode();
            assert_eq!(enc.len(), b.encoded_len());
            assert_eq!(RawSpanBatch::decode(&enc).unwrap(), b);
        }
    });
}

#[test]
fn fuzz_read_channel_batches() {
    common::fuzz::run("read_channel_batches", &channel_seeds(), 512, |bytes| {
        let (batches, _) = read_channel_batches(bytes, 10_000_000);
        // A small limit never yields more batches than a large one.
        let (fewer, _) = read_channel_batches(bytes, 1_000);
        assert!(fewer.len() <= batches.len());
    });
}

#[test]
fn fuzz_span_transactions() {
    common::fuzz::run("span_transactions", &span_seeds(), 512, |bytes| {
        if let Ok(b) = RawSpanBatch::decode(bytes)
            && let Ok(per_block) = b.transactions(CHAIN_ID)
        {
            assert_eq!(per_block.len() as u64, b.block_count());
            // Whatever decodes and converts must also convert back to the same wire form.
            // (Only a timestamp overflow stops the conversion.)
            let derived = b.to_span_batch(GENESIS, BLOCK_TIME, CHAIN_ID);
            if let Ok(raw) = derived.and_then(|d| d.to_raw(GENESIS, CHAIN_ID)) {
                assert_eq!(raw.encode(), b.encode());
            }
        }
    });
}
