//! Batch queue behaviour with a scripted source: pre-Holocene buffering of future batches,
//! span batches expanded to singular batches, sequencing-window expiry producing empty
//! batches; Holocene's strict order (future dropped with its channel, past skipped, forward
//! invalidation of a span) and the switch at activation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::{
    collections::{BTreeMap, VecDeque},
    sync::Arc,
};

use alloy_primitives::{B256, Bytes, FixedBytes};
use keel_derive::{
    stages::{
        batch_queue::{BatchOutput, BatchQueue, BatchSource, Pulled},
        batch_validation::DropReason,
        channel_reader::{BatchWithInclusion, ReadBatch},
    },
    types::{L1BlockRef, L2BlockRef},
};
use keel_protocol::{
    batch::{SingleBatch, SpanBatch, SpanBatchElement},
    hardfork::HardforkTimes,
    rollup_config::{BlockId, RollupConfig},
};

fn cfg(holocene: Option<u64>, window: u64) -> Arc<RollupConfig> {
    Arc::new(RollupConfig {
        block_time: 2,
        max_sequencer_drift: 600,
        seq_window_size: window,
        hardforks: HardforkTimes {
            regolith_time: Some(0),
            canyon_time: Some(0),
            delta_time: Some(0),
            holocene_time: holocene,
            ..Default::default()
        },
        ..Default::default()
    })
}

fn l1(n: u64) -> L1BlockRef {
    L1BlockRef {
        hash: B256::repeat_byte(n as u8),
        number: n,
        parent_hash: B256::repeat_byte(n as u8 - 1),
        timestamp: 1000 + (n - 10) * 12,
    }
}

fn l2hash(n: u64) -> B256 {
    B256::left_padding_from(&[0x77, n as u8])
}

/// L2 block `n` at time 900 + n * 2 with origin `origin`.
fn l2(n: u64, origin: u64) -> L2BlockRef {
    L2BlockRef {
        hash: l2hash(n),
        number: n,
        parent_hash: l2hash(n - 1),
        timestamp: 900 + n * 2,
        l1_origin: BlockId {
            hash: B256::repeat_byte(origin as u8),
            number: origin,
        },
        sequence_number: 0,
    }
}

fn single(n: u64, epoch: u64) -> ReadBatch {
    ReadBatch::Single(SingleBatch {
        parent_hash: l2hash(n - 1),
        epoch_num: epoch,
        epoch_hash: B256::repeat_byte(epoch as u8),
        timestamp: 900 + n * 2,
        transactions: vec![Bytes::from(vec![2, n as u8])],
    })
}

fn span(first: u64, last: u64, epoch: u64, bad: Option<u64>) -> ReadBatch {
    ReadBatch::Span(SpanBatch {
        parent_check: FixedBytes::from_slice(&l2hash(first - 1)[..20]),
        l1_origin_check: FixedBytes::from_slice(&B256::repeat_byte(epoch as u8)[..20]),
        first_origin_bit: false,
        blocks: (first..=last)
            .map(|n| SpanBatchElement {
                epoch_num: epoch,
                timestamp: 900 + n * 2,
                transactions: vec![Bytes::from(vec![
                    if bad == Some(n) { 0x7e } else { 2 },
                    n as u8,
                ])],
            })
            .collect(),
    })
}

/// Channels of batches, read in order; a flush drops the rest of the current channel.
struct Script {
    origin: L1BlockRef,
    channels: VecDeque<VecDeque<ReadBatch>>,
    flushes: usize,
}

impl Script {
    fn new(origin: L1BlockRef, channels: Vec<Vec<ReadBatch>>) -> Self {
        Self {
            origin,
            channels: channels.into_iter().map(Into::into).collect(),
            flushes: 0,
        }
    }
}

impl BatchSource for Script {
    fn origin(&self) -> L1BlockRef {
        self.origin
    }
    fn next_batch(&mut self) -> Pulled {
        let Some(ch) = self.channels.front_mut() else {
            return Pulled::Eof;
        };
        match ch.pop_front() {
            Some(batch) => Pulled::Batch(BatchWithInclusion {
                batch,
                inclusion: self.origin,
            }),
            None => {
                self.channels.pop_front();
                Pulled::Progress
            }
        }
    }
    fn flush_channel(&mut self) {
        self.flushes += 1;
        self.channels.pop_front();
    }
}

/// Runs the queue on a safe chain starting at `safe` until EOF, applying each batch.
fn run(
    q: &mut BatchQueue,
    src: &mut Script,
    safe: &mut L2BlockRef,
) -> Vec<(SingleBatch, bool, Vec<DropReason>)> {
    let mut out = Vec::new();
    let mut drops = Vec::new();
    for _ in 0..1000 {
        match q.next_batch(safe, src, &BTreeMap::new()).unwrap() {
            BatchOutput::Batch {
                batch,
                is_last_in_span,
            } => {
                assert_eq!(batch.parent_hash, safe.hash);
                let mut next = l2(safe.number + 1, batch.epoch_num);
                next.timestamp = batch.timestamp;
                next.l1_origin.hash = batch.epoch_hash;
                *safe = next;
                out.push((batch, is_last_in_span, std::mem::take(&mut drops)));
            }
            BatchOutput::Dropped(r) => drops.push(r),
            BatchOutput::Progress => {}
            BatchOutput::Eof => return out,
            BatchOutput::NeedL2Block(n) => panic!("unexpected L2 request {n}"),
        }
    }
    panic!("queue does not reach EOF")
}

fn numbers(out: &[(SingleBatch, bool, Vec<DropReason>)]) -> Vec<u64> {
    out.iter()
        .map(|(b, _, _)| (b.timestamp - 900) / 2)
        .collect()
}

/// A queue at origin 10 that has moved to origin 11 (both buffered).
fn queue(c: &Arc<RollupConfig>) -> BatchQueue {
    BatchQueue::new(c.clone(), l1(10))
}

#[test]
fn bedrock_buffers_future_batches_until_their_turn() {
    let c = cfg(None, 100);
    let mut q = queue(&c);
    let mut src = Script::new(
        l1(11),
        vec![vec![single(52, 10), single(53, 10), single(51, 10)]],
    );
    let mut safe = l2(50, 10);
    let out = run(&mut q, &mut src, &mut safe);
    assert_eq!(numbers(&out), vec![51, 52, 53]);
    assert!(out.iter().all(|(_, last, _)| *last));
}

#[test]
fn bedrock_expands_span_batches_and_marks_the_last() {
    let c = cfg(None, 100);
    let mut q = queue(&c);
    let mut src = Script::new(l1(11), vec![vec![span(51, 54, 10, None)]]);
    let mut safe = l2(50, 10);
    let out = run(&mut q, &mut src, &mut safe);
    assert_eq!(numbers(&out), vec![51, 52, 53, 54]);
    let lasts: Vec<bool> = out.iter().map(|(_, l, _)| *l).collect();
    assert_eq!(lasts, vec![false, false, false, true]);
}

#[test]
fn bedrock_invalid_span_drops_whole_span() {
    let c = cfg(None, 100);
    let mut q = queue(&c);
    let mut src = Script::new(
        l1(11),
        vec![vec![span(51, 54, 10, Some(53)), single(51, 10)]],
    );
    let mut safe = l2(50, 10);
    let out = run(&mut q, &mut src, &mut safe);
    // The span goes entirely; the singular batch after it in the channel is used.
    assert_eq!(numbers(&out), vec![51]);
    assert_eq!(src.flushes, 0);
}

#[test]
fn holocene_future_batch_drops_with_its_channel() {
    let c = cfg(Some(0), 100);
    let mut q = queue(&c);
    let mut src = Script::new(
        l1(11),
        vec![
            vec![single(52, 10), single(51, 10)],
            vec![single(51, 10), single(52, 10)],
        ],
    );
    let mut safe = l2(50, 10);
    let out = run(&mut q, &mut src, &mut safe);
    assert_eq!(numbers(&out), vec![51, 52]);
    assert_eq!(out[0].2, vec![DropReason::FutureHolocene]);
    assert_eq!(src.flushes, 1);
}

#[test]
fn holocene_past_batches_are_skipped_and_the_channel_continues() {
    let c = cfg(Some(0), 100);
    let mut q = queue(&c);
    let mut src = Script::new(
        l1(11),
        vec![vec![single(49, 10), single(50, 10), single(51, 10)]],
    );
    let mut safe = l2(50, 10);
    let out = run(&mut q, &mut src, &mut safe);
    assert_eq!(numbers(&out), vec![51]);
    assert_eq!(src.flushes, 0);
}

#[test]
fn holocene_invalid_span_block_forward_invalidates() {
    let c = cfg(Some(0), 100);
    let mut q = queue(&c);
    let mut src = Script::new(
        l1(11),
        vec![
            vec![span(51, 55, 10, Some(53)), single(53, 10)],
            vec![single(53, 10)],
        ],
    );
    let mut safe = l2(50, 10);
    let out = run(&mut q, &mut src, &mut safe);
    // 51 and 52 stay (no backwards invalidation); 53 drops the rest of the span and the
    // channel; the next channel continues at 53.
    assert_eq!(numbers(&out), vec![51, 52, 53]);
    assert_eq!(out[2].2, vec![DropReason::DepositTransaction]);
    assert_eq!(src.flushes, 1);
}

#[test]
fn holocene_overlapping_span_streams_only_new_blocks() {
    let c = cfg(Some(0), 100);
    let mut q = queue(&c);
    let mut src = Script::new(l1(11), vec![vec![span(49, 52, 10, None)]]);
    let mut safe = l2(50, 10);
    let mut chain = BTreeMap::new();
    chain.insert(
        48,
        keel_derive::types::L2BlockInput {
            block_ref: l2(48, 10),
            transactions: vec![],
            system_config: Default::default(),
        },
    );
    let mut got = Vec::new();
    for _ in 0..100 {
        match q.next_batch(&safe, &mut src, &chain).unwrap() {
            BatchOutput::Batch { batch, .. } => {
                got.push(batch.timestamp);
                safe = l2(safe.number + 1, 10);
            }
            BatchOutput::Eof => break,
            _ => {}
        }
    }
    assert_eq!(got, vec![1002, 1004]);
}

#[test]
fn holocene_activation_discards_buffered_batches() {
    // Holocene at L1 time of block 12.
    let c = cfg(Some(l1(12).timestamp), 100);
    let mut q = queue(&c);
    let mut safe = l2(50, 10);
    // Pre-Holocene: a future batch is buffered.
    let mut src = Script::new(l1(11), vec![vec![single(52, 10)]]);
    assert!(run(&mut q, &mut src, &mut safe).is_empty());
    assert_eq!(q.buffered(), 1);
    // Origin moves to the activation block: the buffer is discarded.
    src.origin = l1(12);
    src.channels.push_back(vec![single(51, 10)].into());
    let out = run(&mut q, &mut src, &mut safe);
    assert!(q.is_holocene());
    assert_eq!(numbers(&out), vec![51]);
    assert_eq!(q.buffered(), 0);
}

/// With no batches at all, once `epoch + seq_window_size` is behind the origin the queue
/// fills the epoch with empty batches up to the next epoch's time, then adopts the next
/// epoch (each epoch gets at least one block), as op-node.
fn empty_batches_after_window(holocene: Option<u64>) {
    let c = cfg(holocene, 2);
    let mut q = queue(&c);
    let mut safe = l2(50, 10);
    let mut src = Script::new(l1(10), vec![]);
    let mut all = Vec::new();
    for origin in 11..=16 {
        src.origin = l1(origin);
        let out = run(&mut q, &mut src, &mut safe);
        for (b, last, _) in &out {
            // Only epochs whose window expired before this origin (or at it, at EOF).
            assert!(
                b.epoch_num + 2 <= origin,
                "epoch {} forced at origin {origin}",
                b.epoch_num
            );
            assert!(b.transactions.is_empty());
            // Each forced block is a batch of its own: the safe head moves through it.
            assert!(last, "empty batch at {} not last in its span", b.timestamp);
        }
        all.extend(out);
    }
    assert!(!all.is_empty());
    // Epochs follow op-node's rule: stay while the next timestamp is before the next L1 block.
    let mut epoch = 10;
    for (b, _, _) in &all {
        if b.timestamp >= l1(epoch + 1).timestamp {
            epoch += 1;
        }
        assert_eq!(b.epoch_num, epoch, "batch at {}", b.timestamp);
        assert_eq!(b.epoch_hash, l1(epoch).hash);
    }
    // Forced up to epoch 14 (14 + 2 == 16 with the origin's data exhausted).
    assert_eq!(all.last().unwrap().0.epoch_num, 14);
}

#[test]
fn sequencing_window_expiry_generates_empty_batches() {
    empty_batches_after_window(None);
}

#[test]
fn sequencing_window_expiry_generates_empty_batches_holocene() {
    empty_batches_after_window(Some(0));
}
