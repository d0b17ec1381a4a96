//! Batch validity: the batch-queue rules for singular and span batches, with the Delta,
//! Fjord, Holocene, Isthmus and Jovian changes.
//!
//! The checks are pure functions of the rollup config, the L1 blocks the batch queue holds
//! (`l1_blocks[0]` is the epoch of the safe head, or the one after it), the safe head, the
//! batch and its inclusion block. Span batches that overlap the safe chain also need L2
//! blocks; when one is missing the check returns [`NeedL2Block`] instead of guessing.
//!
//! Spec: protocol/derivation.md#batch-queue, protocol/delta/span-batches.md#batch-queue,
//! protocol/holocene/derivation.md#batch-queue, protocol/fjord/derivation.md,
//! protocol/isthmus/derivation.md, protocol/jovian/derivation.md#activation-block-rules.
//! op-node `batches.go` and kona's batch validity are the reference where the spec is
//! silent (order of checks).

use std::collections::BTreeMap;

use alloy_primitives::B256;
use keel_protocol::{
    batch::{SingleBatch, SpanBatch},
    hardfork::Hardfork,
    rollup_config::RollupConfig,
};

use crate::types::{L1BlockRef, L2BlockInput, L2BlockRef};

/// EIP-2718 type byte of deposit transactions.
///
/// Spec: protocol/deposits.md#the-deposited-transaction-type.
pub const DEPOSIT_TX_TYPE: u8 = 0x7e;

/// EIP-2718 type byte of EIP-7702 (SetCode) transactions, allowed in batches from Isthmus.
///
/// Spec: protocol/isthmus/derivation.md.
pub const SET_CODE_TX_TYPE: u8 = 0x04;

/// Why a batch was dropped (for logs and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DropReason {
    /// Timestamp after the next one, with Holocene active at inclusion (no gaps).
    FutureHolocene,
    /// Timestamp before the next one, before Holocene.
    PastPreHolocene,
    /// The parent hash (or span `parent_check`) does not match the parent block.
    ParentHashMismatch,
    /// Included after the sequencing window of its (first) epoch.
    IncludedTooLate,
    /// Epoch older than the safe head's.
    EpochTooOld,
    /// Epoch more than one ahead of the safe head's.
    EpochTooFarInFuture,
    /// Epoch hash (or span `l1_origin_check`) not on the canonical L1 chain.
    EpochHashMismatch,
    /// L2 timestamp before its L1 origin's.
    TimestampBeforeL1Origin,
    /// Past the max sequencer drift with transactions.
    SequencerDriftExceeded,
    /// Empty, past the max sequencer drift, though the next L1 origin could have been adopted.
    SequencerDriftNotAdoptedNextOrigin,
    /// User transactions in a fork activation block that must have none (Jovian, Interop).
    NonEmptyTransitionBlock,
    /// An empty transaction.
    EmptyTransaction,
    /// A deposit transaction in batch data.
    DepositTransaction,
    /// An EIP-7702 transaction before Isthmus.
    SetCodePreIsthmus,
    /// A span batch whose L1 origin is before Delta.
    SpanBatchPreDelta,
    /// A span batch with no block after the safe head (before Holocene; `Past` after).
    SpanNoNewBlocks,
    /// A span batch starting between the safe head and the next timestamp.
    MisalignedTimestamp,
    /// A span batch that does not overlap the safe chain at a block boundary.
    NotOverlappedExactly,
    /// A span block whose epoch is not among the known L1 blocks.
    MissingL1Origin,
    /// A span block past the safe head whose epoch is older than the safe head's.
    L1OriginBeforeSafeHead,
    /// An overlapping span block has a different number of non-deposit transactions.
    OverlappedTxCountMismatch,
    /// An overlapping span block has different transactions.
    OverlappedTxMismatch,
    /// An overlapping span block has a different L1 origin.
    OverlappedL1OriginMismatch,
    /// A span batch without blocks, or whose overlap points before L2 genesis.
    Malformed,
}

/// The verdict on a batch.
///
/// Spec: protocol/derivation.md#batch-queue, protocol/holocene/derivation.md#batch-queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BatchValidity {
    /// Invalid: drop it (and, from Holocene, the rest of its channel and span).
    Drop(DropReason),
    /// Valid: apply it on the safe head.
    Accept,
    /// More L1 data is needed to decide.
    Undecided,
    /// May be valid later (before Holocene only): keep it buffered.
    Future,
    /// Before or at the safe head (Holocene only): drop it silently, keep the channel.
    Past,
}

/// A check needs the canonical L2 block at this number (span batches overlapping the safe
/// chain); provide it and check again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeedL2Block(pub u64);

/// Read access to the safe L2 blocks a span batch may overlap.
pub trait L2Blocks {
    /// The canonical L2 block at `number`, if known.
    fn l2_block(&self, number: u64) -> Option<&L2BlockInput>;
}

impl L2Blocks for BTreeMap<u64, L2BlockInput> {
    fn l2_block(&self, number: u64) -> Option<&L2BlockInput> {
        self.get(&number)
    }
}

/// Transaction rules shared by singular batches and span blocks: no empty transaction, no
/// deposit, no EIP-7702 before Isthmus (by the block's timestamp), and none at all in the
/// Jovian or Interop activation block.
///
/// Spec: protocol/derivation.md#batch-queue, protocol/delta/span-batches.md#batch-queue,
/// protocol/jovian/derivation.md#activation-block-rules.
fn check_transactions(
    cfg: &RollupConfig,
    timestamp: u64,
    txs: &[alloy_primitives::Bytes],
) -> Option<DropReason> {
    if !txs.is_empty()
        && (cfg.is_activation_block(Hardfork::Jovian, timestamp)
            || cfg.is_activation_block(Hardfork::Interop, timestamp))
    {
        return Some(DropReason::NonEmptyTransitionBlock);
    }
    let isthmus = cfg.is_active(Hardfork::Isthmus, timestamp);
    for tx in txs {
        match tx.first() {
            None => return Some(DropReason::EmptyTransaction),
            Some(&DEPOSIT_TX_TYPE) => return Some(DropReason::DepositTransaction),
            Some(&SET_CODE_TX_TYPE) if !isthmus => return Some(DropReason::SetCodePreIsthmus),
            Some(_) => {}
        }
    }
    None
}

/// The drift rule for one block at `timestamp` with origin `origin`: past
/// `origin.time + max_sequencer_drift` (1800 s from Fjord, by the origin's time) a block must be
/// empty, and, unless it advanced the epoch, the next L1 block must still be ahead of it.
/// `next_origin` is the L1 block after `origin`, if known.
///
/// Spec: protocol/derivation.md#batch-queue, protocol/fjord/derivation.md#constant-maximum-sequencer-drift.
fn check_drift(
    cfg: &RollupConfig,
    timestamp: u64,
    origin: &L1BlockRef,
    empty: bool,
    advanced_epoch: bool,
    next_origin: Option<&L1BlockRef>,
) -> Option<BatchValidity> {
    let max = origin
        .timestamp
        .saturating_add(cfg.max_sequencer_drift(origin.timestamp));
    if timestamp <= max {
        return None;
    }
    if !empty {
        return Some(BatchValidity::Drop(DropReason::SequencerDriftExceeded));
    }
    if advanced_epoch {
        return None;
    }
    match next_origin {
        None => Some(BatchValidity::Undecided),
        Some(next) if timestamp >= next.timestamp => Some(BatchValidity::Drop(
            DropReason::SequencerDriftNotAdoptedNextOrigin,
        )),
        Some(_) => None,
    }
}

/// The timestamp rule: after the next timestamp is `Future` (a `Drop` from Holocene, by the
/// inclusion block's time), before it `Drop` (`Past` from Holocene).
///
/// Spec: protocol/derivation.md#batch-queue, protocol/holocene/derivation.md#batch-queue.
fn check_timestamp(
    cfg: &RollupConfig,
    timestamp: u64,
    next_timestamp: u64,
    inclusion: &L1BlockRef,
) -> Option<BatchValidity> {
    let holocene = cfg.is_active(Hardfork::Holocene, inclusion.timestamp);
    if timestamp > next_timestamp {
        return Some(if holocene {
            BatchValidity::Drop(DropReason::FutureHolocene)
        } else {
            BatchValidity::Future
        });
    }
    if timestamp < next_timestamp {
        return Some(if holocene {
            BatchValidity::Past
        } else {
            BatchValidity::Drop(DropReason::PastPreHolocene)
        });
    }
    None
}

/// Checks a singular batch against the safe head. `l1_blocks[0]` is the current epoch;
/// `l1_blocks[1]`, if present, the next L1 block; `inclusion` the L1 block the batch was read at.
///
/// Rules in op-node's order: timestamp (future / past), parent hash, sequencing window
/// (`epoch_num + seq_window_size < inclusion.number` drops), epoch (older than the current:
/// drop; the next one: needs `l1_blocks[1]`, else undecided; further: drop), epoch hash, L2 time
/// not before the origin's, max sequencer drift with the empty-batch exception, transactions.
///
/// Spec: protocol/derivation.md#batch-queue.
pub fn check_single_batch(
    cfg: &RollupConfig,
    l1_blocks: &[L1BlockRef],
    safe_head: &L2BlockRef,
    batch: &SingleBatch,
    inclusion: &L1BlockRef,
) -> BatchValidity {
    let Some(epoch) = l1_blocks.first() else {
        return BatchValidity::Undecided;
    };
    let next_timestamp = safe_head.timestamp.saturating_add(cfg.block_time);
    if let Some(v) = check_timestamp(cfg, batch.timestamp, next_timestamp, inclusion) {
        return v;
    }
    if batch.parent_hash != safe_head.hash {
        return BatchValidity::Drop(DropReason::ParentHashMismatch);
    }
    if batch.epoch_num.saturating_add(cfg.seq_window_size) < inclusion.number {
        return BatchValidity::Drop(DropReason::IncludedTooLate);
    }
    let batch_origin = if batch.epoch_num < epoch.number {
        return BatchValidity::Drop(DropReason::EpochTooOld);
    } else if batch.epoch_num == epoch.number {
        epoch
    } else if batch.epoch_num == epoch.number.saturating_add(1) {
        match l1_blocks.get(1) {
            Some(next) => next,
            None => return BatchValidity::Undecided,
        }
    } else {
        return BatchValidity::Drop(DropReason::EpochTooFarInFuture);
    };
    if batch.epoch_hash != batch_origin.hash {
        return BatchValidity::Drop(DropReason::EpochHashMismatch);
    }
    if batch.timestamp < batch_origin.timestamp {
        return BatchValidity::Drop(DropReason::TimestampBeforeL1Origin);
    }
    let advanced = batch_origin.number != epoch.number;
    if let Some(v) = check_drift(
        cfg,
        batch.timestamp,
        batch_origin,
        batch.transactions.is_empty(),
        advanced,
        l1_blocks.get(1),
    ) {
        return v;
    }
    match check_transactions(cfg, batch.timestamp, &batch.transactions) {
        Some(reason) => BatchValidity::Drop(reason),
        None => BatchValidity::Accept,
    }
}

fn prefix20(hash: &B256) -> &[u8] {
    hash.as_slice().get(..20).unwrap_or_default()
}

/// Checks the span batch as a whole (Holocene checks only this before streaming its blocks as
/// singular batches) and returns the span's parent block when accepted.
///
/// Rules in op-node's order: batch origin known (undecided if it advances past the known
/// blocks) and at or after Delta; first timestamp after the next one is future (drop from
/// Holocene); last timestamp before the next one drops (past from Holocene); an overlap must
/// start on a block of the safe chain ([`NeedL2Block`] for its parent); parent check;
/// sequencing window of the first epoch; first epoch at most one after the parent's; the
/// last epoch's `l1_origin_check` against the known L1 blocks (undecided if not yet known);
/// first epoch not older than the parent's.
///
/// Spec: protocol/delta/span-batches.md#batch-queue, protocol/holocene/derivation.md#span-batches.
pub fn check_span_batch_prefix(
    cfg: &RollupConfig,
    l1_blocks: &[L1BlockRef],
    safe_head: &L2BlockRef,
    span: &SpanBatch,
    inclusion: &L1BlockRef,
    l2: &dyn L2Blocks,
) -> Result<(BatchValidity, Option<L2BlockRef>), NeedL2Block> {
    let drop = |r| Ok((BatchValidity::Drop(r), None));
    let Some(epoch) = l1_blocks.first() else {
        return Ok((BatchValidity::Undecided, None));
    };
    let (Some(first), Some(last)) = (span.blocks.first(), span.blocks.last()) else {
        return drop(DropReason::Malformed);
    };
    let start_epoch = first.epoch_num;
    let mut batch_origin = epoch;
    if start_epoch == epoch.number.saturating_add(1) {
        match l1_blocks.get(1) {
            Some(next) => batch_origin = next,
            None => return Ok((BatchValidity::Undecided, None)),
        }
    }
    if !cfg.is_active(Hardfork::Delta, batch_origin.timestamp) {
        return drop(DropReason::SpanBatchPreDelta);
    }
    let holocene = cfg.is_active(Hardfork::Holocene, inclusion.timestamp);
    let next_timestamp = safe_head.timestamp.saturating_add(cfg.block_time);
    if first.timestamp > next_timestamp {
        return Ok((
            if holocene {
                BatchValidity::Drop(DropReason::FutureHolocene)
            } else {
                BatchValidity::Future
            },
            None,
        ));
    }
    if last.timestamp < next_timestamp {
        return if holocene {
            Ok((BatchValidity::Past, None))
        } else {
            drop(DropReason::SpanNoNewBlocks)
        };
    }
    let mut parent = *safe_head;
    if first.timestamp < next_timestamp {
        if first.timestamp > safe_head.timestamp {
            return drop(DropReason::MisalignedTimestamp);
        }
        let behind = safe_head.timestamp.saturating_sub(first.timestamp);
        if cfg.block_time == 0 || behind % cfg.block_time != 0 {
            return drop(DropReason::NotOverlappedExactly);
        }
        let Some(parent_num) = safe_head
            .number
            .checked_sub(behind / cfg.block_time)
            .and_then(|n| n.checked_sub(1))
        else {
            return drop(DropReason::Malformed);
        };
        parent = l2
            .l2_block(parent_num)
            .ok_or(NeedL2Block(parent_num))?
            .block_ref;
    }
    if span.parent_check.as_slice() != prefix20(&parent.hash) {
        return drop(DropReason::ParentHashMismatch);
    }
    if start_epoch.saturating_add(cfg.seq_window_size) < inclusion.number {
        return drop(DropReason::IncludedTooLate);
    }
    if start_epoch > parent.l1_origin.number.saturating_add(1) {
        return drop(DropReason::EpochTooFarInFuture);
    }
    let end_epoch = last.epoch_num;
    match l1_blocks.iter().find(|b| b.number == end_epoch) {
        None => return Ok((BatchValidity::Undecided, None)),
        Some(b) if span.l1_origin_check.as_slice() != prefix20(&b.hash) => {
            return drop(DropReason::EpochHashMismatch);
        }
        Some(_) => {}
    }
    if start_epoch < parent.l1_origin.number {
        return drop(DropReason::EpochTooOld);
    }
    Ok((BatchValidity::Accept, Some(parent)))
}

/// The full span-batch check (before Holocene): [`check_span_batch_prefix`], then for every
/// block after the safe head the L1-origin rules (not older than the safe head's origin, origin
/// among the known L1 blocks, L2 time not before it, max sequencer drift with the empty-block
/// exception for blocks that keep their epoch) and the transaction rules; then every block
/// overlapping the safe chain must match the safe block's non-deposit transactions and L1
/// origin number ([`NeedL2Block`] for each missing safe block).
///
/// Spec: protocol/delta/span-batches.md#batch-queue.
pub fn check_span_batch(
    cfg: &RollupConfig,
    l1_blocks: &[L1BlockRef],
    safe_head: &L2BlockRef,
    span: &SpanBatch,
    inclusion: &L1BlockRef,
    l2: &dyn L2Blocks,
) -> Result<BatchValidity, NeedL2Block> {
    let (validity, parent) =
        check_span_batch_prefix(cfg, l1_blocks, safe_head, span, inclusion, l2)?;
    let (BatchValidity::Accept, Some(parent)) = (validity, parent) else {
        return Ok(validity);
    };
    let Some(start_epoch) = span.blocks.first().map(|b| b.epoch_num) else {
        return Ok(BatchValidity::Drop(DropReason::Malformed));
    };
    let mut origin_idx = 0usize;
    let mut advanced = start_epoch == parent.l1_origin.number.saturating_add(1);
    let mut prev_epoch = None;
    for block in &span.blocks {
        let this_prev = prev_epoch.replace(block.epoch_num);
        if block.timestamp <= safe_head.timestamp {
            continue;
        }
        if block.epoch_num < safe_head.l1_origin.number {
            return Ok(BatchValidity::Drop(DropReason::L1OriginBeforeSafeHead));
        }
        let Some((offset, origin)) = l1_blocks
            .get(origin_idx..)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .find(|(_, b)| b.number == block.epoch_num)
        else {
            return Ok(BatchValidity::Drop(DropReason::MissingL1Origin));
        };
        origin_idx = origin_idx.saturating_add(offset);
        if let Some(prev) = this_prev {
            advanced = block.epoch_num > prev;
        }
        if block.timestamp < origin.timestamp {
            return Ok(BatchValidity::Drop(DropReason::TimestampBeforeL1Origin));
        }
        if let Some(v) = check_drift(
            cfg,
            block.timestamp,
            origin,
            block.transactions.is_empty(),
            advanced,
            l1_blocks.get(origin_idx.saturating_add(1)),
        ) {
            return Ok(v);
        }
        if let Some(reason) = check_transactions(cfg, block.timestamp, &block.transactions) {
            return Ok(BatchValidity::Drop(reason));
        }
    }
    let next_timestamp = safe_head.timestamp.saturating_add(cfg.block_time);
    if span
        .blocks
        .first()
        .is_some_and(|b| b.timestamp < next_timestamp)
    {
        let overlap = safe_head.number.saturating_sub(parent.number);
        for i in 0..overlap {
            let number = parent.number.saturating_add(i).saturating_add(1);
            let safe = l2.l2_block(number).ok_or(NeedL2Block(number))?;
            let Some(block) = usize::try_from(i).ok().and_then(|i| span.blocks.get(i)) else {
                return Ok(BatchValidity::Drop(DropReason::Malformed));
            };
            if let Some(reason) = compare_overlap(safe, &block.transactions, block.epoch_num) {
                return Ok(BatchValidity::Drop(reason));
            }
        }
    }
    Ok(BatchValidity::Accept)
}

/// Compares a span block with the safe block it overlaps: the safe block's transactions after
/// its deposits must equal the batch's, and its L1 origin number the batch block's epoch.
/// Like op-node, deposits are counted anywhere in the block and assumed to come first.
fn compare_overlap(
    safe: &L2BlockInput,
    txs: &[alloy_primitives::Bytes],
    epoch_num: u64,
) -> Option<DropReason> {
    let deposits = safe
        .transactions
        .iter()
        .filter(|t| t.first() == Some(&DEPOSIT_TX_TYPE))
        .count();
    let user = safe.transactions.get(deposits..).unwrap_or_default();
    if safe.transactions.len().saturating_sub(deposits) != txs.len() {
        return Some(DropReason::OverlappedTxCountMismatch);
    }
    if user != txs {
        return Some(DropReason::OverlappedTxMismatch);
    }
    if safe.block_ref.l1_origin.number != epoch_num {
        return Some(DropReason::OverlappedL1OriginMismatch);
    }
    None
}
