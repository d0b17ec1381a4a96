//! The derived span batch: per-block epoch, timestamp and full transactions, and its
//! conversions to and from singular batches and the wire format.
//!
//! Spec: protocol/delta/span-batches.md#span-batch-format.

use alloy_primitives::{B256, Bytes, FixedBytes};

use super::bits::BitList;
use super::span::RawSpanBatch;
use super::span_txs::SpanBatchTxs;
use super::{BatchError, MAX_SPAN_BATCH_ELEMENT_COUNT, SingleBatch};

/// One L2 block of a [`SpanBatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanBatchElement {
    /// L1 origin number.
    pub epoch_num: u64,
    /// L2 block timestamp.
    pub timestamp: u64,
    /// Full EIP-2718 transactions.
    pub transactions: Vec<Bytes>,
}

/// A span batch in derived form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanBatch {
    /// First 20 bytes of the first block's parent hash.
    pub parent_check: FixedBytes<20>,
    /// First 20 bytes of the last block's L1 origin hash.
    pub l1_origin_check: FixedBytes<20>,
    /// The first block's origin bit. Derivation ignores it; op-node's batcher sets it when the
    /// first block is the first of its epoch (sequence number 0). Kept so that raw → derived →
    /// raw is byte-identical.
    pub first_origin_bit: bool,
    /// The blocks, at consecutive block times.
    pub blocks: Vec<SpanBatchElement>,
}

impl SpanBatch {
    /// Builds a span batch from consecutive singular batches: `parent_check` from the first
    /// batch's parent hash, `l1_origin_check` from the last batch's epoch hash.
    ///
    /// Checks what the wire format can express: at least one block, at most
    /// [`MAX_SPAN_BATCH_ELEMENT_COUNT`] blocks and transactions, timestamps `block_time` apart and
    /// not before genesis, epochs that stay or advance by one, and transactions a span batch can
    /// carry for `chain_id`. `first_origin_bit` is left unset (the sequence number is not known
    /// here).
    pub fn from_singular_batches(
        batches: &[SingleBatch],
        genesis_timestamp: u64,
        block_time: u64,
        chain_id: u64,
    ) -> Result<Self, BatchError> {
        let first = batches.first().ok_or(BatchError::NoBlocks)?;
        let last = batches.last().ok_or(BatchError::NoBlocks)?;
        let blocks: Vec<SpanBatchElement> = batches
            .iter()
            .map(|b| SpanBatchElement {
                epoch_num: b.epoch_num,
                timestamp: b.timestamp,
                transactions: b.transactions.clone(),
            })
            .collect();
        let out = Self {
            parent_check: FixedBytes::from_slice(first.parent_hash.get(..20).unwrap_or(&[0; 20])),
            l1_origin_check: FixedBytes::from_slice(last.epoch_hash.get(..20).unwrap_or(&[0; 20])),
            first_origin_bit: false,
            blocks,
        };
        out.check_blocks(genesis_timestamp, Some(block_time))?;
        SpanBatchTxs::from_txs(out.blocks.iter().flat_map(|b| &b.transactions), chain_id)?;
        Ok(out)
    }

    /// Checks the block sequence (see [`Self::from_singular_batches`]); `block_time` `None`
    /// skips the spacing check.
    fn check_blocks(
        &self,
        genesis_timestamp: u64,
        block_time: Option<u64>,
    ) -> Result<(), BatchError> {
        let n = self.blocks.len() as u64;
        if n == 0 {
            return Err(BatchError::NoBlocks);
        }
        if n > MAX_SPAN_BATCH_ELEMENT_COUNT {
            return Err(BatchError::TooManyElements {
                field: "block_count",
                count: n,
                limit: MAX_SPAN_BATCH_ELEMENT_COUNT,
            });
        }
        let mut prev: Option<&SpanBatchElement> = None;
        for (index, b) in self.blocks.iter().enumerate() {
            if b.timestamp < genesis_timestamp {
                return Err(BatchError::InvalidBlock {
                    index,
                    reason: "timestamp before genesis",
                });
            }
            if let Some(p) = prev {
                if b.epoch_num != p.epoch_num && Some(b.epoch_num) != p.epoch_num.checked_add(1) {
                    return Err(BatchError::InvalidBlock {
                        index,
                        reason: "epoch must stay or advance by one",
                    });
                }
                if let Some(bt) = block_time {
                    let expected = p
                        .timestamp
                        .checked_add(bt)
                        .ok_or(BatchError::Overflow { field: "timestamp" })?;
                    if b.timestamp != expected {
                        return Err(BatchError::NonConsecutive {
                            index,
                            expected,
                            got: b.timestamp,
                        });
                    }
                }
            }
            prev = Some(b);
        }
        Ok(())
    }

    /// Encodes to the wire form. Fails on what the format cannot express (see
    /// [`Self::from_singular_batches`]) and on transactions a span batch cannot carry.
    pub fn to_raw(
        &self,
        genesis_timestamp: u64,
        chain_id: u64,
    ) -> Result<RawSpanBatch, BatchError> {
        self.check_blocks(genesis_timestamp, None)?;
        let (Some(first), Some(last)) = (self.blocks.first(), self.blocks.last()) else {
            return Err(BatchError::NoBlocks);
        };
        let rel_timestamp = first.timestamp.saturating_sub(genesis_timestamp);
        let mut bits = Vec::with_capacity(self.blocks.len());
        let mut prev_epoch = None;
        for b in &self.blocks {
            bits.push(match prev_epoch {
                None => self.first_origin_bit,
                Some(p) => p != b.epoch_num,
            });
            prev_epoch = Some(b.epoch_num);
        }
        let counts = self
            .blocks
            .iter()
            .map(|b| b.transactions.len() as u64)
            .collect();
        let txs =
            SpanBatchTxs::from_txs(self.blocks.iter().flat_map(|b| &b.transactions), chain_id)?;
        Ok(RawSpanBatch::from_parts(
            (
                rel_timestamp,
                last.epoch_num,
                self.parent_check,
                self.l1_origin_check,
            ),
            BitList::from_bools(&bits),
            counts,
            txs,
        ))
    }

    /// Splits into singular batches, as derivation does. `epoch_hash_of` gives the L1 hash of an
    /// epoch number; the first batch gets `parent_hash`, later ones `B256::ZERO`, because their
    /// parents are known only once the previous block is built (op-node fills them in the same
    /// way at that point).
    pub fn to_singular_batches(
        &self,
        epoch_hash_of: impl Fn(u64) -> Option<B256>,
        parent_hash: B256,
    ) -> Result<Vec<SingleBatch>, BatchError> {
        self.blocks
            .iter()
            .enumerate()
            .map(|(i, b)| {
                Ok(SingleBatch {
                    parent_hash: if i == 0 { parent_hash } else { B256::ZERO },
                    epoch_num: b.epoch_num,
                    epoch_hash: epoch_hash_of(b.epoch_num)
                        .ok_or(BatchError::MissingEpochHash { epoch: b.epoch_num })?,
                    timestamp: b.timestamp,
                    transactions: b.transactions.clone(),
                })
            })
            .collect()
    }

    /// Total transactions over all blocks.
    pub fn total_txs(&self) -> usize {
        self.blocks.iter().map(|b| b.transactions.len()).sum()
    }
}
