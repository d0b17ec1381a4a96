#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Round-trip properties of the batch codecs, with random transactions of every type.

mod batches_support;

use alloy_primitives::B256;
use batches_support::{
    BLOCK_TIME, CHAIN_ID, GENESIS, any_tx, epoch_hash, realistic_blocks, singular_run,
};
use keel_protocol::batch::{
    Batch, BitList, RawSpanBatch, SingleBatch, SpanBatch, read_channel_batches,
};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn single_batch_round_trip(
        parent in any::<[u8; 32]>(), epoch in any::<u64>(), hash in any::<[u8; 32]>(), ts in any::<u64>(),
        txs in prop::collection::vec(any_tx(), 0..6),
    ) {
        let b = SingleBatch { parent_hash: parent.into(), epoch_num: epoch, epoch_hash: hash.into(), timestamp: ts, transactions: txs };
        prop_assert_eq!(SingleBatch::decode(&b.encode()).unwrap(), b.clone());
        let batch = Batch::Single(b);
        prop_assert_eq!(Batch::decode(&batch.encode()).unwrap(), batch);
    }

    #[test]
    fn span_batch_round_trips(singles in singular_run(12)) {
        let span = SpanBatch::from_singular_batches(&singles, GENESIS, BLOCK_TIME, CHAIN_ID).unwrap();
        prop_assert_eq!(span.parent_check.as_slice(), &singles[0].parent_hash[..20]);
        prop_assert_eq!(span.l1_origin_check.as_slice(), &singles.last().unwrap().epoch_hash[..20]);

        let raw = span.to_raw(GENESIS, CHAIN_ID).unwrap();
        let bytes = raw.encode();
        prop_assert_eq!(bytes.len(), raw.encoded_len());
        let decoded = RawSpanBatch::decode(&bytes).unwrap();
        prop_assert_eq!(&decoded, &raw);
        prop_assert_eq!(decoded.block_count(), singles.len() as u64);
        prop_assert_eq!(decoded.total_txs(), singles.iter().map(|s| s.transactions.len() as u64).sum::<u64>());
        prop_assert_eq!(decoded.epoch_numbers(), singles.iter().map(|s| s.epoch_num).collect::<Vec<_>>());

        // Full transactions come back byte for byte, legacy v included.
        let per_block = decoded.transactions(CHAIN_ID).unwrap();
        for (got, want) in per_block.iter().zip(&singles) {
            prop_assert_eq!(got, &want.transactions);
        }
        let derived = decoded.to_span_batch(GENESIS, BLOCK_TIME, CHAIN_ID).unwrap();
        prop_assert_eq!(&derived, &span);
        let back = derived.to_singular_batches(|n| Some(epoch_hash(n)), singles[0].parent_hash).unwrap();
        prop_assert_eq!(back, singles);

        // Through a channel's RLP stream.
        let mut channel = Vec::new();
        Batch::Span(raw.clone()).encode_channel_item(&mut channel);
        Batch::Span(raw.clone()).encode_channel_item(&mut channel);
        let (batches, err) = read_channel_batches(&channel, 10_000_000);
        prop_assert!(err.is_none());
        prop_assert_eq!(batches, vec![Batch::Span(raw.clone()), Batch::Span(raw)]);
    }

    #[test]
    fn truncated_span_batches_are_errors(singles in singular_run(4), cut in any::<prop::sample::Index>()) {
        let bytes = SpanBatch::from_singular_batches(&singles, GENESIS, BLOCK_TIME, CHAIN_ID).unwrap().to_raw(GENESIS, CHAIN_ID).unwrap().encode();
        let at = cut.index(bytes.len());
        prop_assert!(RawSpanBatch::decode(&bytes[..at]).is_err());
    }

    #[test]
    fn bitlist_round_trip(bits in prop::collection::vec(any::<bool>(), 0..70)) {
        let b = BitList::from_bools(&bits);
        prop_assert_eq!(b.len(), bits.len() as u64);
        prop_assert_eq!(b.as_bytes().len(), bits.len().div_ceil(8));
        prop_assert_eq!(b.iter().collect::<Vec<_>>(), bits.clone());
        prop_assert_eq!(b.count_ones(), bits.iter().filter(|x| **x).count() as u64);
    }
}

#[test]
fn wrong_chain_and_unsupported_txs_are_rejected() {
    let mut singles = realistic_blocks(2, 2);
    assert!(SpanBatch::from_singular_batches(&singles, GENESIS, BLOCK_TIME, CHAIN_ID + 1).is_err());
    // A deposit (type 0x7e) cannot go into a span batch.
    singles[1].transactions.push(vec![0x7e, 0xc0].into());
    assert!(SpanBatch::from_singular_batches(&singles, GENESIS, BLOCK_TIME, CHAIN_ID).is_err());
}

#[test]
fn non_consecutive_blocks_and_epoch_jumps_are_rejected() {
    let mut singles = realistic_blocks(3, 1);
    singles[2].timestamp += 1;
    assert!(SpanBatch::from_singular_batches(&singles, GENESIS, BLOCK_TIME, CHAIN_ID).is_err());
    let mut singles = realistic_blocks(3, 1);
    singles[2].epoch_num += 2;
    assert!(SpanBatch::from_singular_batches(&singles, GENESIS, BLOCK_TIME, CHAIN_ID).is_err());
    assert!(SpanBatch::from_singular_batches(&[], GENESIS, BLOCK_TIME, CHAIN_ID).is_err());
}

#[test]
fn realistic_span_batch_round_trips() {
    let singles = realistic_blocks(50, 20);
    let span = SpanBatch::from_singular_batches(&singles, GENESIS, BLOCK_TIME, CHAIN_ID).unwrap();
    let raw = span.to_raw(GENESIS, CHAIN_ID).unwrap();
    let decoded = RawSpanBatch::decode(&raw.encode()).unwrap();
    assert_eq!(decoded.total_txs(), 1000);
    let back = decoded
        .to_span_batch(GENESIS, BLOCK_TIME, CHAIN_ID)
        .unwrap()
        .to_singular_batches(|n| Some(epoch_hash(n)), B256::repeat_byte(0xab))
        .unwrap();
    assert_eq!(back, singles);
}
