//! Channel reader: batches tagged with the reading origin, brotli only from Fjord (by the
//! origin's time), the `MAX_RLP_BYTES_PER_CHANNEL` bound, a bad batch ending its channel,
//! span batches before Delta skipped alone, flush; plus a stable fuzz target.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::sync::Arc;

use alloy_primitives::{B128, B256, Bytes};
use keel_derive::{
    stages::{
        channel_bank::ReadyChannel,
        channel_reader::{ChannelReader, ChannelReaderError, ReadBatch, ReaderOutput},
    },
    types::L1BlockRef,
};
use keel_protocol::{
    batch::{Batch, SingleBatch, SpanBatch},
    compression::{CompressionAlgo, compress},
    hardfork::HardforkTimes,
    rollup_config::RollupConfig,
};

fn cfg(delta: Option<u64>, fjord: Option<u64>) -> Arc<RollupConfig> {
    Arc::new(RollupConfig {
        block_time: 2,
        l2_chain_id: 10,
        hardforks: HardforkTimes {
            regolith_time: Some(0),
            canyon_time: Some(0),
            delta_time: delta,
            ecotone_time: fjord,
            fjord_time: fjord,
            ..Default::default()
        },
        ..Default::default()
    })
}

fn origin(t: u64) -> L1BlockRef {
    L1BlockRef {
        hash: B256::repeat_byte(3),
        number: 30,
        parent_hash: B256::ZERO,
        timestamp: t,
    }
}

fn single(ts: u64) -> SingleBatch {
    SingleBatch {
        parent_hash: B256::repeat_byte(1),
        epoch_num: 5,
        epoch_hash: B256::repeat_byte(5),
        timestamp: ts,
        transactions: vec![Bytes::from(vec![2, 1, 2, 3])],
    }
}

fn span_batch() -> Batch {
    let s = SpanBatch::from_singular_batches(
        &[SingleBatch {
            transactions: vec![],
            ..single(10)
        }],
        0,
        2,
        10,
    )
    .unwrap();
    Batch::Span(s.to_raw(0, 10).unwrap())
}

fn channel(items: &[Vec<u8>], algo: CompressionAlgo) -> ReadyChannel {
    let raw: Vec<u8> = items.concat();
    ReadyChannel {
        id: B128::repeat_byte(9),
        data: compress(algo, &raw).unwrap(),
        opened_at: 29,
        l1: origin(100),
    }
}

fn item(b: &Batch) -> Vec<u8> {
    let mut out = Vec::new();
    b.encode_channel_item(&mut out);
    out
}

fn drain(r: &mut ChannelReader, o: L1BlockRef) -> (Vec<ReadBatch>, Vec<String>) {
    let mut got = Vec::new();
    let mut skipped = Vec::new();
    loop {
        match r.next_batch(o) {
            ReaderOutput::Batch(b) => {
                assert_eq!(b.inclusion, o);
                got.push(b.batch);
            }
            ReaderOutput::Skipped(e) => skipped.push(e.to_string()),
            ReaderOutput::End | ReaderOutput::Empty => return (got, skipped),
        }
    }
}

#[test]
fn reads_every_batch_tagged_with_the_origin() {
    let mut r = ChannelReader::new(cfg(Some(0), None));
    let items: Vec<_> = (0..5)
        .map(|i| item(&Batch::Single(single(10 + 2 * i))))
        .collect();
    r.load(channel(&items, CompressionAlgo::Zlib), origin(100))
        .unwrap();
    let (got, skipped) = drain(&mut r, origin(100));
    assert_eq!(got.len(), 5);
    assert!(skipped.is_empty());
    assert!(!r.has_channel());
}

#[test]
fn brotli_only_from_fjord_by_origin_time() {
    let items = vec![item(&Batch::Single(single(10)))];
    let c = cfg(Some(0), Some(200));
    let mut r = ChannelReader::new(c);
    let err = r
        .load(channel(&items, CompressionAlgo::Brotli), origin(199))
        .unwrap_err();
    assert!(matches!(err, ChannelReaderError::Decompress { .. }));
    r.load(channel(&items, CompressionAlgo::Brotli), origin(200))
        .unwrap();
    assert_eq!(drain(&mut r, origin(200)).0.len(), 1);
}

#[test]
fn bad_batch_ends_the_channel() {
    let bad = {
        let mut out = Vec::new();
        alloy_rlp::Header {
            list: false,
            payload_length: 3,
        }
        .encode(&mut out);
        out.extend_from_slice(&[5, 1, 2]); // unknown batch type 5
        out
    };
    let items = vec![
        item(&Batch::Single(single(10))),
        bad,
        item(&Batch::Single(single(12))),
    ];
    let mut r = ChannelReader::new(cfg(Some(0), None));
    r.load(channel(&items, CompressionAlgo::Zlib), origin(100))
        .unwrap();
    let (got, skipped) = drain(&mut r, origin(100));
    assert_eq!(got.len(), 1);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
}

#[test]
fn span_batch_before_delta_is_skipped_alone() {
    let items = vec![item(&span_batch()), item(&Batch::Single(single(12)))];
    let mut r = ChannelReader::new(cfg(Some(500), None));
    r.load(channel(&items, CompressionAlgo::Zlib), origin(100))
        .unwrap();
    let (got, skipped) = drain(&mut r, origin(100));
    assert!(matches!(got[..], [ReadBatch::Single(_)]));
    assert!(skipped[0].contains("before Delta"));
    // After Delta the span batch is read in derived form.
    let mut r = ChannelReader::new(cfg(Some(0), None));
    r.load(channel(&items, CompressionAlgo::Zlib), origin(100))
        .unwrap();
    let (got, _) = drain(&mut r, origin(100));
    assert!(matches!(
        got[..],
        [ReadBatch::Span(_), ReadBatch::Single(_)]
    ));
}

#[test]
fn channel_over_max_rlp_bytes_is_cut() {
    // One batch whose RLP string ends past 10,000,000 bytes (pre-Fjord bound): unreadable;
    // the batch before it is still read.
    let mut big = Vec::new();
    let payload = 10_000_000;
    alloy_rlp::Header {
        list: false,
        payload_length: payload,
    }
    .encode(&mut big);
    big.push(0);
    big.resize(big.len() + payload - 1, 0);
    let items = vec![item(&Batch::Single(single(10))), big];
    let mut r = ChannelReader::new(cfg(Some(0), None));
    r.load(channel(&items, CompressionAlgo::Zlib), origin(100))
        .unwrap();
    let (got, skipped) = drain(&mut r, origin(100));
    assert_eq!(got.len(), 1);
    assert_eq!(skipped.len(), 1);
}

#[test]
fn flush_drops_the_rest_of_the_channel() {
    let items: Vec<_> = (0..3)
        .map(|i| item(&Batch::Single(single(10 + 2 * i))))
        .collect();
    let mut r = ChannelReader::new(cfg(Some(0), None));
    r.load(channel(&items, CompressionAlgo::Zlib), origin(100))
        .unwrap();
    assert!(matches!(r.next_batch(origin(100)), ReaderOutput::Batch(_)));
    r.flush();
    assert!(matches!(r.next_batch(origin(100)), ReaderOutput::Empty));
}

#[test]
fn fuzz_channel_reader() {
    let items = vec![item(&Batch::Single(single(10))), item(&span_batch())];
    let seeds = vec![
        channel(&items, CompressionAlgo::Zlib).data,
        channel(&items, CompressionAlgo::Brotli).data,
        items.concat(),
    ];
    let c = cfg(Some(0), Some(0));
    common::fuzz::run("channel_reader", &seeds, 512, |bytes| {
        let mut r = ChannelReader::new(c.clone());
        let ch = ReadyChannel {
            id: B128::ZERO,
            data: bytes.to_vec(),
            opened_at: 0,
            l1: origin(1),
        };
        if r.load(ch, origin(1)).is_ok() {
            let _ = drain(&mut r, origin(1));
        }
    });
}
