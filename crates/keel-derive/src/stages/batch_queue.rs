//! Batch queue: batches in (with their inclusion block), the singular batch for the block
//! after the safe head out.
//!
//! Before Holocene (op-node's `BatchQueue`): batches are buffered in inclusion order, and each
//! time the first acceptable one is taken; `future` ones wait, `drop`ped ones go. When the
//! sequencing window of the current epoch has expired with no batch, empty batches are
//! generated (deposit-only blocks) until the next epoch can be adopted. A span batch is
//! checked whole and then handed out block by block.
//!
//! From Holocene (by the L1 origin's timestamp, as op-node's batch mux; the buffer is
//! discarded on the switch): see [`super::batch_stream`].
//!
//! Spec: protocol/derivation.md#batch-queue, protocol/delta/span-batches.md#batch-queue,
//! protocol/holocene/derivation.md#batch-queue.

use std::sync::Arc;

use keel_protocol::{batch::SingleBatch, hardfork::Hardfork, rollup_config::RollupConfig};

use super::{
    batch_stream::BatchStream,
    batch_validation::{
        BatchValidity, DropReason, L2Blocks, NeedL2Block, check_single_batch, check_span_batch,
    },
    channel_reader::{BatchWithInclusion, ReadBatch},
};
use crate::{
    error::ErrorClass,
    types::{L1BlockRef, L2BlockRef},
};

/// What the stage before the batch queue yields on a pull (op-node's `NextBatch` of the
/// channel reader: a batch, `NotEnoughData`, or `io.EOF`).
#[derive(Debug, Clone)]
pub enum Pulled {
    /// The next batch.
    Batch(BatchWithInclusion),
    /// Something was consumed but no batch is out yet: pull again.
    Progress,
    /// Everything at the current L1 origin is consumed: the origin must advance.
    Eof,
}

/// The L1 side as the batch queue sees it.
pub trait BatchSource {
    /// The current L1 origin of the pipeline.
    fn origin(&self) -> L1BlockRef;
    /// Pulls the next batch.
    fn next_batch(&mut self) -> Pulled;
    /// Drops the rest of the channel being read (Holocene).
    fn flush_channel(&mut self);
}

/// What [`BatchQueue::next_batch`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutput {
    /// The batch for the block after the safe head.
    Batch {
        /// The batch, its parent hash set to the safe head's.
        batch: SingleBatch,
        /// Whether it is the last block of its span batch (always for singular batches).
        is_last_in_span: bool,
    },
    /// Progress without a batch: call again.
    Progress,
    /// A batch was dropped (Holocene, with its channel): call again.
    Dropped(DropReason),
    /// Nothing more at this L1 origin: advance L1.
    Eof,
    /// A span batch check needs this L2 block.
    NeedL2Block(u64),
}

/// Errors of the batch queue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BatchQueueError {
    /// The buffered L1 epoch does not fit the safe head's L1 origin: the L2 chain or L1 moved
    /// under the pipeline.
    #[error("batch queue epoch {epoch} does not match safe head {parent}'s L1 origin {origin}")]
    EpochMismatch {
        /// Buffered epoch number.
        epoch: u64,
        /// Safe head number.
        parent: u64,
        /// Safe head's L1 origin number.
        origin: u64,
    },
    /// No L1 block buffered (the stage was used before a reset).
    #[error("batch queue has no L1 origin")]
    NoOrigin,
    /// Holocene: fewer than two L1 blocks buffered past the safe head's origin.
    #[error("batch stage holds too few L1 blocks at origin {origin} for safe head {parent}")]
    TooFewOrigins {
        /// Current L1 origin number.
        origin: u64,
        /// Safe head number.
        parent: u64,
    },
    /// A `future` validity under Holocene, which the rules exclude.
    #[error("future batch validity under Holocene")]
    ImpossibleFuture,
}

impl BatchQueueError {
    /// The error's class: an epoch mismatch resets; the others are bugs (critical).
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::EpochMismatch { .. } => ErrorClass::Reset,
            Self::NoOrigin | Self::TooFewOrigins { .. } | Self::ImpossibleFuture => {
                ErrorClass::Critical
            }
        }
    }
}

/// The batch queue, both before and after Holocene.
///
/// Bounds: `l1_blocks` runs from the safe head's epoch to the current origin, at most about
/// `seq_window_size + 2` blocks (the window's expiry forces the epoch forward). The
/// pre-Holocene buffer is not capped, as in op-node (a cap would change which batches are
/// derived); batches leave it when accepted, dropped or outdated. Under Holocene it is empty.
#[derive(Debug, Clone)]
pub struct BatchQueue {
    pub(super) cfg: Arc<RollupConfig>,
    pub(super) origin: L1BlockRef,
    pub(super) l1_blocks: Vec<L1BlockRef>,
    batches: Vec<BatchWithInclusion>,
    pub(super) stream: BatchStream,
    holocene: bool,
    /// Set when a check stopped for an L2 block: the next call re-derives without pulling.
    pub(super) resume: Option<bool>,
    /// Holocene: the span batch whose prefix check waits for an L2 block.
    pub(super) pending_span: Option<BatchWithInclusion>,
}

impl BatchQueue {
    /// A queue reset to `origin` (see [`BatchQueue::reset`]).
    pub fn new(cfg: Arc<RollupConfig>, origin: L1BlockRef) -> Self {
        Self {
            holocene: cfg.is_active(Hardfork::Holocene, origin.timestamp),
            cfg,
            origin,
            l1_blocks: vec![origin],
            batches: Vec::new(),
            stream: BatchStream::default(),
            resume: None,
            pending_span: None,
        }
    }

    /// Resets to `origin`: buffers emptied, `origin` kept as the first L1 block (for a start
    /// exactly at the safe head's origin; otherwise it is discarded while the origin is
    /// behind).
    ///
    /// Spec: protocol/derivation.md#resetting-derivation-stages (op-node's batch queue reset).
    pub fn reset(&mut self, origin: L1BlockRef) {
        *self = Self::new(Arc::clone(&self.cfg), origin);
    }

    /// The L1 blocks held: the safe head's epoch (or the next) up to the current origin.
    pub fn l1_blocks(&self) -> &[L1BlockRef] {
        &self.l1_blocks
    }

    /// Number of buffered batches (pre-Holocene).
    pub fn buffered(&self) -> usize {
        self.batches.len()
    }

    /// Whether the Holocene rules are in force.
    pub fn is_holocene(&self) -> bool {
        self.holocene
    }

    /// The next singular batch to apply on `parent` (the safe head), pulling from `src`.
    ///
    /// Switches to the Holocene stage when `src`'s origin is at or past Holocene (and back
    /// if L1 reorgs before it), discarding buffered batches as the spec's activation says.
    pub fn next_batch(
        &mut self,
        parent: &L2BlockRef,
        src: &mut dyn BatchSource,
        l2: &dyn L2Blocks,
    ) -> Result<BatchOutput, BatchQueueError> {
        let holocene = self
            .cfg
            .is_active(Hardfork::Holocene, src.origin().timestamp);
        if holocene != self.holocene {
            self.holocene = holocene;
            self.batches.clear();
            self.resume = None;
            self.pending_span = None;
        }
        if holocene {
            self.next_batch_holocene(parent, src, l2)
        } else {
            self.next_batch_bedrock(parent, src, l2)
        }
    }

    fn next_batch_bedrock(
        &mut self,
        parent: &L2BlockRef,
        src: &mut dyn BatchSource,
        l2: &dyn L2Blocks,
    ) -> Result<BatchOutput, BatchQueueError> {
        if let Some((batch, last)) = self.stream.next_for(parent, self.cfg.block_time) {
            return Ok(BatchOutput::Batch {
                batch,
                is_last_in_span: last,
            });
        }
        self.update_origins(parent, src.origin());
        let behind = self.origin_behind(parent, &src.origin());
        let out_of_data = match self.resume.take() {
            Some(out_of_data) if !behind => out_of_data,
            _ => match src.next_batch() {
                Pulled::Eof => true,
                Pulled::Progress => false,
                Pulled::Batch(b) => {
                    if !behind {
                        self.add_batch(b, parent, l2);
                    }
                    false
                }
            },
        };
        if behind {
            return Ok(if out_of_data {
                BatchOutput::Eof
            } else {
                BatchOutput::Progress
            });
        }
        let idle = if out_of_data {
            BatchOutput::Eof
        } else {
            BatchOutput::Progress
        };
        let batch = match self.derive_next_batch(out_of_data, parent, l2)? {
            Derived::Batch(b) => b,
            Derived::None => return Ok(idle),
            Derived::NeedL2Block(n) => {
                self.resume = Some(out_of_data);
                return Ok(BatchOutput::NeedL2Block(n));
            }
        };
        match batch {
            ReadBatch::Single(batch) => Ok(BatchOutput::Batch {
                batch,
                is_last_in_span: true,
            }),
            ReadBatch::Span(span) => {
                // op-node treats a missing epoch here as critical; the full span check has
                // already required every epoch past the safe head to be known, so it cannot
                // happen, and dropping is the safer reading of the spec's footgun note.
                if self.stream.load(span, &self.l1_blocks, parent).is_err() {
                    return Ok(BatchOutput::Dropped(DropReason::MissingL1Origin));
                }
                Ok(match self.stream.pop(parent) {
                    Some((batch, last)) => BatchOutput::Batch {
                        batch,
                        is_last_in_span: last,
                    },
                    None => idle,
                })
            }
        }
    }

    fn check(
        &self,
        b: &BatchWithInclusion,
        parent: &L2BlockRef,
        l2: &dyn L2Blocks,
    ) -> Result<BatchValidity, NeedL2Block> {
        match &b.batch {
            ReadBatch::Single(s) => Ok(check_single_batch(
                &self.cfg,
                &self.l1_blocks,
                parent,
                s,
                &b.inclusion,
            )),
            ReadBatch::Span(s) => {
                check_span_batch(&self.cfg, &self.l1_blocks, parent, s, &b.inclusion, l2)
            }
        }
    }

    /// Buffers a batch unless it is already known to be invalid (op-node's `AddBatch`); one
    /// that needs an L2 block is buffered and decided when derived.
    fn add_batch(&mut self, b: BatchWithInclusion, parent: &L2BlockRef, l2: &dyn L2Blocks) {
        if self.l1_blocks.is_empty() {
            return;
        }
        if let Ok(BatchValidity::Drop(_)) = self.check(&b, parent, l2) {
            return;
        }
        self.batches.push(b);
    }

    /// op-node's `deriveNextBatch`: the first acceptable buffered batch in inclusion order,
    /// else a forced empty batch once the sequencing window expired.
    fn derive_next_batch(
        &mut self,
        out_of_data: bool,
        parent: &L2BlockRef,
        l2: &dyn L2Blocks,
    ) -> Result<Derived, BatchQueueError> {
        self.check_epoch(parent)?;
        let candidates = std::mem::take(&mut self.batches);
        let mut remaining = Vec::with_capacity(candidates.len());
        let mut iter = candidates.into_iter();
        let mut found = None;
        while let Some(b) = iter.next() {
            match self.check(&b, parent, l2) {
                Ok(BatchValidity::Future) => remaining.push(b),
                Ok(BatchValidity::Drop(_) | BatchValidity::Past) => {}
                Ok(BatchValidity::Accept) => {
                    found = Some(b.batch);
                    break;
                }
                Ok(BatchValidity::Undecided) => {
                    remaining.push(b);
                    remaining.extend(iter);
                    self.batches = remaining;
                    return Ok(Derived::None);
                }
                Err(NeedL2Block(n)) => {
                    remaining.push(b);
                    remaining.extend(iter);
                    self.batches = remaining;
                    return Ok(Derived::NeedL2Block(n));
                }
            }
        }
        remaining.extend(iter);
        self.batches = remaining;
        if let Some(b) = found {
            return Ok(Derived::Batch(b));
        }
        Ok(match self.derive_next_empty_batch(out_of_data, parent) {
            Some(b) => Derived::Batch(ReadBatch::Single(b)),
            None => Derived::None,
        })
    }

    /// The buffered epoch must be the safe head's L1 origin or the block after it (after
    /// empty batches advanced the epoch ahead of the safe head).
    pub(super) fn check_epoch(&self, parent: &L2BlockRef) -> Result<(), BatchQueueError> {
        let epoch = self.l1_blocks.first().ok_or(BatchQueueError::NoOrigin)?;
        if parent.l1_origin != epoch.id()
            && epoch.number.checked_sub(1) != Some(parent.l1_origin.number)
        {
            return Err(BatchQueueError::EpochMismatch {
                epoch: epoch.number,
                parent: parent.number,
                origin: parent.l1_origin.number,
            });
        }
        Ok(())
    }

    /// Whether the pipeline's origin is still before the safe head's L1 origin (after a
    /// reset to an older block): batches read there are discarded.
    pub(super) fn origin_behind(&self, parent: &L2BlockRef, src_origin: &L1BlockRef) -> bool {
        src_origin.number < parent.l1_origin.number
    }

    /// Follows the pipeline's origin (appending it to the L1 blocks unless behind) and drops
    /// L1 blocks before the safe head's epoch (op-node's `updateOrigins`).
    pub(super) fn update_origins(&mut self, parent: &L2BlockRef, src_origin: L1BlockRef) {
        let behind = self.origin_behind(parent, &src_origin);
        if self.origin != src_origin {
            self.origin = src_origin;
            if behind {
                self.l1_blocks.clear();
            } else {
                self.l1_blocks.push(src_origin);
            }
        }
        if self
            .l1_blocks
            .first()
            .is_some_and(|b| parent.l1_origin.number > b.number)
            && let Some(i) = self
                .l1_blocks
                .iter()
                .position(|b| b.number == parent.l1_origin.number)
        {
            self.l1_blocks.drain(..i);
        }
    }

    /// The empty batch forced by an expired sequencing window (op-node's
    /// `deriveNextEmptyBatch`): once `epoch + seq_window_size` is behind the origin (or equal
    /// to it with the origin's data exhausted), empty batches on the current epoch fill the
    /// time until the next epoch's timestamp (at least one, if the epoch is new to the safe
    /// head); then the epoch advances.
    ///
    /// Spec: protocol/derivation.md#batch-queue (the `sequence_window` expiry rule).
    pub(super) fn derive_next_empty_batch(
        &mut self,
        out_of_data: bool,
        parent: &L2BlockRef,
    ) -> Option<SingleBatch> {
        let epoch = *self.l1_blocks.first()?;
        let expiry = epoch.number.saturating_add(self.cfg.seq_window_size);
        let force = (expiry == self.origin.number && out_of_data) || expiry < self.origin.number;
        if !force {
            return None;
        }
        let next_epoch = *self.l1_blocks.get(1)?;
        let first_of_epoch = epoch.number == parent.l1_origin.number.saturating_add(1);
        let next_timestamp = parent.timestamp.saturating_add(self.cfg.block_time);
        if next_timestamp < next_epoch.timestamp || first_of_epoch {
            return Some(SingleBatch {
                parent_hash: parent.hash,
                epoch_num: epoch.number,
                epoch_hash: epoch.hash,
                timestamp: next_timestamp,
                transactions: Vec::new(),
            });
        }
        self.l1_blocks.remove(0);
        None
    }
}

enum Derived {
    Batch(ReadBatch),
    None,
    NeedL2Block(u64),
}
