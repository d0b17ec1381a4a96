//! Batch stream: a span batch expanded to singular batches, handed out one per L2 block, and
//! the Holocene batch stage built on it (strict order, `past` batches skipped, invalid batches
//! flush their channel).
//!
//! Spec: protocol/delta/span-batches.md#batch-queue, protocol/holocene/derivation.md#span-batches,
//! protocol/holocene/derivation.md#batch-queue.

use std::collections::VecDeque;

use alloy_primitives::B256;
use keel_protocol::batch::{SingleBatch, SpanBatch};

use super::{
    batch_queue::{BatchOutput, BatchQueue, BatchQueueError, BatchSource, Pulled},
    batch_validation::{BatchValidity, L2Blocks, check_single_batch, check_span_batch_prefix},
    channel_reader::{BatchWithInclusion, ReadBatch},
};
use crate::types::{L1BlockRef, L2BlockRef};

/// The singular batches left of the span batch being applied.
///
/// Bound: at most one span batch's blocks (`MAX_SPAN_BATCH_ELEMENT_COUNT`, and in practice the
/// blocks of one channel of at most `MAX_RLP_BYTES_PER_CHANNEL`).
#[derive(Debug, Clone, Default)]
pub struct BatchStream {
    next: VecDeque<SingleBatch>,
}

/// The span's blocks after the safe head could not all be given an L1 origin hash from the
/// batch queue's L1 blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissingEpoch(pub u64);

impl BatchStream {
    /// Whether no singular batch is left.
    pub fn is_empty(&self) -> bool {
        self.next.is_empty()
    }

    /// Number of singular batches left.
    pub fn len(&self) -> usize {
        self.next.len()
    }

    /// Drops the remaining batches.
    pub fn clear(&mut self) {
        self.next.clear();
    }

    /// Replaces the stream by the blocks of `span` after `parent` (op-node's
    /// `GetSingularBatches`), each with its epoch hash from `l1_blocks` (searched forward, as
    /// epochs never decrease). On a missing epoch the stream is left empty.
    pub fn load(
        &mut self,
        span: SpanBatch,
        l1_blocks: &[L1BlockRef],
        parent: &L2BlockRef,
    ) -> Result<(), MissingEpoch> {
        self.next.clear();
        let mut idx = 0usize;
        let mut out = VecDeque::with_capacity(span.blocks.len());
        for b in span.blocks {
            if b.timestamp <= parent.timestamp {
                continue;
            }
            let Some((off, origin)) = l1_blocks
                .get(idx..)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .find(|(_, o)| o.number == b.epoch_num)
            else {
                return Err(MissingEpoch(b.epoch_num));
            };
            idx = idx.saturating_add(off);
            out.push_back(SingleBatch {
                parent_hash: B256::ZERO,
                epoch_num: b.epoch_num,
                epoch_hash: origin.hash,
                timestamp: b.timestamp,
                transactions: b.transactions,
            });
        }
        self.next = out;
        Ok(())
    }

    /// The next singular batch if it is the block right after `parent` (its parent hash set to
    /// `parent`'s, the span's parent check having covered the first). A mismatch means the
    /// previous batch was not applied: the rest of the span is dropped (op-node's
    /// `nextFromSpanBatch`). Returns the batch and whether it is the last of the span.
    pub fn next_for(
        &mut self,
        parent: &L2BlockRef,
        block_time: u64,
    ) -> Option<(SingleBatch, bool)> {
        let first = self.next.front()?;
        if first.timestamp != parent.timestamp.saturating_add(block_time) {
            self.next.clear();
            return None;
        }
        self.pop(parent)
    }

    /// Pops the next batch with `parent`'s hash as its parent.
    pub(crate) fn pop(&mut self, parent: &L2BlockRef) -> Option<(SingleBatch, bool)> {
        let mut b = self.next.pop_front()?;
        b.parent_hash = parent.hash;
        Some((b, self.next.is_empty()))
    }
}

impl BatchQueue {
    /// The Holocene batch stage (op-node's `BatchStage`): batches are validated as they are
    /// read, in order, never buffered; a span batch passes the prefix checks and is then
    /// streamed block by block, each block checked as a singular batch.
    ///
    /// - `past`: the batch is skipped, its channel continues;
    /// - `drop`: the batch, the rest of its span and the rest of its channel are dropped;
    /// - no batch at this origin: the sequencing-window rule may force an empty batch.
    ///
    /// Returned empty batches are marked last-in-span: each is a batch of its own, and the
    /// safe head must advance through a window with no batcher data (op-node's `BatchStage`:
    /// "an empty batch always advances the (local) safe head"). Not marking them left the
    /// forced blocks pending-safe until the batcher came back.
    ///
    /// Spec: protocol/holocene/derivation.md#batch-queue, protocol/holocene/derivation.md#span-batches.
    pub(crate) fn next_batch_holocene(
        &mut self,
        parent: &L2BlockRef,
        src: &mut dyn BatchSource,
        l2: &dyn L2Blocks,
    ) -> Result<BatchOutput, BatchQueueError> {
        self.update_origins(parent, src.origin());
        if self.origin_behind(parent, &src.origin())
            || parent.l1_origin.number == self.origin.number
        {
            // A channel read at the parent's own L1 origin can only hold past batches.
            self.resume = None;
            return Ok(match src.next_batch() {
                Pulled::Eof => BatchOutput::Eof,
                Pulled::Batch(_) | Pulled::Progress => BatchOutput::Progress,
            });
        }
        if self.l1_blocks.len() < 2 {
            return Err(BatchQueueError::TooFewOrigins {
                origin: self.origin.number,
                parent: parent.number,
            });
        }
        self.check_epoch(parent)?;

        let candidate = match self.next_candidate(parent, src, l2)? {
            Candidate::Batch(b, last) => (b, last),
            Candidate::Progress => return Ok(BatchOutput::Progress),
            Candidate::NeedL2Block(n) => return Ok(BatchOutput::NeedL2Block(n)),
            Candidate::Eof => {
                return Ok(match self.derive_next_empty_batch(true, parent) {
                    Some(batch) => BatchOutput::Batch {
                        batch,
                        is_last_in_span: true,
                    },
                    None => BatchOutput::Eof,
                });
            }
        };
        let (batch, last) = candidate;
        let origin = self.origin;
        match check_single_batch(&self.cfg, &self.l1_blocks, parent, &batch, &origin) {
            BatchValidity::Accept => Ok(BatchOutput::Batch {
                batch,
                is_last_in_span: last,
            }),
            BatchValidity::Drop(reason) => {
                self.flush_channel(src);
                Ok(BatchOutput::Dropped(reason))
            }
            BatchValidity::Past | BatchValidity::Undecided => Ok(BatchOutput::Progress),
            BatchValidity::Future => Err(BatchQueueError::ImpossibleFuture),
        }
    }

    /// Holocene's `FlushChannel`: the rest of the span and of the channel go.
    pub(crate) fn flush_channel(&mut self, src: &mut dyn BatchSource) {
        self.stream.clear();
        src.flush_channel();
    }

    /// The next singular batch candidate: from the current span, else the next batch read
    /// (a span batch is prefix-checked and loaded into the stream).
    fn next_candidate(
        &mut self,
        parent: &L2BlockRef,
        src: &mut dyn BatchSource,
        l2: &dyn L2Blocks,
    ) -> Result<Candidate, BatchQueueError> {
        if let Some((b, last)) = self.stream.next_for(parent, self.cfg.block_time) {
            return Ok(Candidate::Batch(b, last));
        }
        let read = match self.pending_span.take() {
            Some(span) => span,
            None => match src.next_batch() {
                Pulled::Eof => return Ok(Candidate::Eof),
                Pulled::Progress => return Ok(Candidate::Progress),
                Pulled::Batch(b) => b,
            },
        };
        let BatchWithInclusion { batch, inclusion } = read;
        let span = match batch {
            ReadBatch::Single(b) => return Ok(Candidate::Batch(b, true)),
            ReadBatch::Span(span) => span,
        };
        let origin = self.origin;
        let checked =
            check_span_batch_prefix(&self.cfg, &self.l1_blocks, parent, &span, &origin, l2);
        let validity = match checked {
            Ok((v, _)) => v,
            Err(need) => {
                self.pending_span = Some(BatchWithInclusion {
                    batch: ReadBatch::Span(span),
                    inclusion,
                });
                return Ok(Candidate::NeedL2Block(need.0));
            }
        };
        match validity {
            BatchValidity::Accept => {}
            BatchValidity::Past | BatchValidity::Undecided => return Ok(Candidate::Progress),
            BatchValidity::Drop(_) => {
                self.flush_channel(src);
                return Ok(Candidate::Progress);
            }
            BatchValidity::Future => return Err(BatchQueueError::ImpossibleFuture),
        }
        if self.stream.load(span, &self.l1_blocks, parent).is_err() {
            // The spec's footgun note: an outdated or unknown origin makes the span invalid;
            // it must not stall derivation.
            self.flush_channel(src);
            return Ok(Candidate::Progress);
        }
        Ok(match self.stream.pop(parent) {
            Some((b, last)) => Candidate::Batch(b, last),
            None => Candidate::Progress,
        })
    }
}

enum Candidate {
    Batch(SingleBatch, bool),
    Progress,
    Eof,
    NeedL2Block(u64),
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Bytes, FixedBytes};
    use keel_protocol::batch::SpanBatchElement;

    use super::*;

    fn l1(n: u64) -> L1BlockRef {
        L1BlockRef {
            hash: B256::repeat_byte(n as u8),
            number: n,
            ..Default::default()
        }
    }

    fn span(epochs: &[u64]) -> SpanBatch {
        SpanBatch {
            parent_check: FixedBytes::ZERO,
            l1_origin_check: FixedBytes::ZERO,
            first_origin_bit: false,
            blocks: epochs
                .iter()
                .enumerate()
                .map(|(i, &e)| SpanBatchElement {
                    epoch_num: e,
                    timestamp: 10 + 2 * i as u64,
                    transactions: vec![Bytes::from(vec![2, i as u8])],
                })
                .collect(),
        }
    }

    fn parent(ts: u64) -> L2BlockRef {
        L2BlockRef {
            hash: B256::repeat_byte(ts as u8),
            timestamp: ts,
            ..Default::default()
        }
    }

    #[test]
    fn loads_blocks_after_parent_with_epoch_hashes() {
        let mut s = BatchStream::default();
        s.load(span(&[1, 1, 2, 2]), &[l1(1), l1(2)], &parent(12))
            .unwrap();
        assert_eq!(s.len(), 2);
        let (b, last) = s.next_for(&parent(12), 2).unwrap();
        assert_eq!((b.timestamp, b.epoch_hash, last), (14, l1(2).hash, false));
        assert_eq!(b.parent_hash, parent(12).hash);
        let (_, last) = s.next_for(&parent(14), 2).unwrap();
        assert!(last);
        assert!(s.is_empty());
    }

    #[test]
    fn missing_epoch_and_parent_mismatch_empty_the_stream() {
        let mut s = BatchStream::default();
        assert_eq!(
            s.load(span(&[1, 3]), &[l1(1), l1(2)], &parent(8)),
            Err(MissingEpoch(3))
        );
        assert!(s.is_empty());
        s.load(span(&[1, 1, 1]), &[l1(1)], &parent(8)).unwrap();
        // The safe head is not the block before the next batch: the rest is dropped.
        assert!(s.next_for(&parent(20), 2).is_none());
        assert!(s.is_empty());
    }
}
