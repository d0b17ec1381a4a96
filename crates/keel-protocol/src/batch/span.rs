//! The span batch wire format: `prefix ++ payload`.
//!
//! Spec: protocol/delta/span-batches.md#span-batch-format.

use alloy_primitives::{Bytes, FixedBytes};

use super::bits::{BitList, Cursor, uvarint_len, write_uvarint};
use super::span_batch::{SpanBatch, SpanBatchElement};
use super::span_txs::SpanBatchTxs;
use super::{BatchError, MAX_SPAN_BATCH_ELEMENT_COUNT};

/// A span batch as encoded: kept field for field, so `decode` then `encode` reproduces the
/// input (up to non-minimal varints, which are re-encoded minimally).
///
/// Spec: protocol/delta/span-batches.md#span-batch-format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSpanBatch {
    rel_timestamp: u64,
    l1_origin_num: u64,
    parent_check: FixedBytes<20>,
    l1_origin_check: FixedBytes<20>,
    block_count: u64,
    origin_bits: BitList,
    block_tx_counts: Vec<u64>,
    pub(crate) txs: SpanBatchTxs,
}

impl RawSpanBatch {
    /// Assembles a batch from its parts (for [`SpanBatch::to_raw`]).
    pub(crate) fn from_parts(
        prefix: (u64, u64, FixedBytes<20>, FixedBytes<20>),
        origin_bits: BitList,
        block_tx_counts: Vec<u64>,
        txs: SpanBatchTxs,
    ) -> Self {
        let (rel_timestamp, l1_origin_num, parent_check, l1_origin_check) = prefix;
        Self {
            rel_timestamp,
            l1_origin_num,
            parent_check,
            l1_origin_check,
            block_count: block_tx_counts.len() as u64,
            origin_bits,
            block_tx_counts,
            txs,
        }
    }

    /// Decodes the content (without the type byte). Bytes after the batch are ignored, as in
    /// op-node.
    ///
    /// Bounds: `block_count` and the total transaction count are at most
    /// [`MAX_SPAN_BATCH_ELEMENT_COUNT`] and each column's size is checked against the remaining
    /// input before it is allocated (spec: protocol/delta/span-batches.md#span-batch-size-limits).
    pub fn decode(content: &[u8]) -> Result<Self, BatchError> {
        let mut cur = Cursor::new(content);
        let rel_timestamp = cur.uvarint("rel_timestamp")?;
        let l1_origin_num = cur.uvarint("l1_origin_num")?;
        let parent_check = FixedBytes(cur.array::<20>("parent_check")?);
        let l1_origin_check = FixedBytes(cur.array::<20>("l1_origin_check")?);

        let block_count = cur.uvarint("block_count")?;
        if block_count > MAX_SPAN_BATCH_ELEMENT_COUNT {
            return Err(BatchError::TooManyElements {
                field: "block_count",
                count: block_count,
                limit: MAX_SPAN_BATCH_ELEMENT_COUNT,
            });
        }
        if block_count == 0 {
            return Err(BatchError::EmptySpanBatch);
        }
        let origin_bits = BitList::decode(&mut cur, block_count, "origin_bits")?;
        // Every tx count is at least one byte.
        if block_count > cur.remaining() as u64 {
            return Err(BatchError::Truncated {
                field: "block_tx_counts",
                offset: cur.offset(),
                needed: block_count as usize,
                remaining: cur.remaining(),
            });
        }
        let mut block_tx_counts = Vec::with_capacity(block_count as usize);
        let mut total: u64 = 0;
        for _ in 0..block_count {
            let n = cur.uvarint("block_tx_counts")?;
            if n > MAX_SPAN_BATCH_ELEMENT_COUNT {
                return Err(BatchError::TooManyElements {
                    field: "block tx count",
                    count: n,
                    limit: MAX_SPAN_BATCH_ELEMENT_COUNT,
                });
            }
            total = total.saturating_add(n);
            block_tx_counts.push(n);
        }
        if total > MAX_SPAN_BATCH_ELEMENT_COUNT {
            return Err(BatchError::TooManyElements {
                field: "total txs",
                count: total,
                limit: MAX_SPAN_BATCH_ELEMENT_COUNT,
            });
        }
        let txs = SpanBatchTxs::decode(&mut cur, total)?;
        Ok(Self {
            rel_timestamp,
            l1_origin_num,
            parent_check,
            l1_origin_check,
            block_count,
            origin_bits,
            block_tx_counts,
            txs,
        })
    }

    /// Encodes the content (without the type byte), varints minimal.
    pub fn encode(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(64 + self.txs.datas.iter().map(|d| d.len() + 90).sum::<usize>());
        write_uvarint(&mut out, self.rel_timestamp);
        write_uvarint(&mut out, self.l1_origin_num);
        out.extend_from_slice(self.parent_check.as_slice());
        out.extend_from_slice(self.l1_origin_check.as_slice());
        write_uvarint(&mut out, self.block_count);
        self.origin_bits.encode(&mut out);
        for n in &self.block_tx_counts {
            write_uvarint(&mut out, *n);
        }
        self.txs.encode(&mut out);
        out
    }

    /// Length of [`Self::encode`]'s output, without encoding the transactions again.
    pub fn encoded_len(&self) -> usize {
        uvarint_len(self.rel_timestamp)
            + uvarint_len(self.l1_origin_num)
            + 40
            + self.encode_payload_len()
    }

    fn encode_payload_len(&self) -> usize {
        let t = &self.txs;
        uvarint_len(self.block_count)
            + self.origin_bits.as_bytes().len()
            + self
                .block_tx_counts
                .iter()
                .map(|n| uvarint_len(*n))
                .sum::<usize>()
            + t.contract_creation_bits.as_bytes().len()
            + t.y_parity_bits.as_bytes().len()
            + t.sigs.len() * 64
            + t.tos.len() * 20
            + t.datas.iter().map(|d| d.len()).sum::<usize>()
            + t.nonces
                .iter()
                .chain(&t.gases)
                .map(|n| uvarint_len(*n))
                .sum::<usize>()
            + t.protected_bits.as_bytes().len()
    }

    /// Number of L2 blocks.
    pub fn block_count(&self) -> u64 {
        self.block_count
    }

    /// Total number of transactions over all blocks.
    pub fn total_txs(&self) -> u64 {
        self.txs.total
    }

    /// First block's timestamp minus the L2 genesis timestamp.
    pub fn rel_timestamp(&self) -> u64 {
        self.rel_timestamp
    }

    /// L1 origin number of the last block.
    pub fn l1_origin_num(&self) -> u64 {
        self.l1_origin_num
    }

    /// First 20 bytes of the first block's parent hash.
    pub fn parent_check(&self) -> FixedBytes<20> {
        self.parent_check
    }

    /// First 20 bytes of the last block's L1 origin hash.
    pub fn l1_origin_check(&self) -> FixedBytes<20> {
        self.l1_origin_check
    }

    /// One bit per block: whether the L1 origin changed at that block.
    pub fn origin_bits(&self) -> &BitList {
        &self.origin_bits
    }

    /// Transactions per block.
    pub fn block_tx_counts(&self) -> &[u64] {
        &self.block_tx_counts
    }

    /// Per-block epoch numbers: the last block's is `l1_origin_num`; walking back, the epoch
    /// drops by one below each block (other than the first) whose origin bit is set. A batch
    /// that would walk below epoch 0 wraps, as op-node's `uint64` does; such a batch fails the
    /// batch-queue checks.
    ///
    /// Spec: protocol/delta/span-batches.md#span-batch-format (`origin_bits`).
    pub fn epoch_numbers(&self) -> Vec<u64> {
        let n = self.block_tx_counts.len();
        let mut out = vec![0u64; n];
        let mut epoch = self.l1_origin_num;
        for (i, slot) in out.iter_mut().enumerate().rev() {
            *slot = epoch;
            if i > 0 && self.origin_bits.get(i as u64) {
                epoch = epoch.wrapping_sub(1);
            }
        }
        out
    }

    /// Full transactions (EIP-2718 bytes), per block. `chain_id` sets legacy EIP-155 `v` and the
    /// typed transactions' chain id.
    pub fn transactions(&self, chain_id: u64) -> Result<Vec<Vec<Bytes>>, BatchError> {
        let mut all = self.txs.full_txs(chain_id)?.into_iter();
        let mut out = Vec::with_capacity(self.block_tx_counts.len());
        for n in &self.block_tx_counts {
            // The counts sum to the number of decoded transactions, so `take` yields `n` each.
            out.push(all.by_ref().take(*n as usize).collect());
        }
        Ok(out)
    }

    /// The derived form: per-block epoch, timestamp and full transactions.
    ///
    /// Timestamps are `genesis_timestamp + rel_timestamp + i * block_time`.
    pub fn to_span_batch(
        &self,
        genesis_timestamp: u64,
        block_time: u64,
        chain_id: u64,
    ) -> Result<SpanBatch, BatchError> {
        let start = genesis_timestamp
            .checked_add(self.rel_timestamp)
            .ok_or(BatchError::Overflow { field: "timestamp" })?;
        let epochs = self.epoch_numbers();
        let txs = self.transactions(chain_id)?;
        let mut blocks = Vec::with_capacity(epochs.len());
        for (i, (epoch_num, transactions)) in epochs.into_iter().zip(txs).enumerate() {
            let timestamp = (i as u64)
                .checked_mul(block_time)
                .and_then(|d| start.checked_add(d))
                .ok_or(BatchError::Overflow { field: "timestamp" })?;
            blocks.push(SpanBatchElement {
                epoch_num,
                timestamp,
                transactions,
            });
        }
        Ok(SpanBatch {
            parent_check: self.parent_check,
            l1_origin_check: self.l1_origin_check,
            first_origin_bit: self.origin_bits.get(0),
            blocks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefix() -> Vec<u8> {
        let mut out = vec![5, 7];
        out.extend_from_slice(&[0xaa; 40]);
        out
    }

    #[test]
    fn empty_and_oversized_counts_are_rejected_before_allocating() {
        let mut empty = prefix();
        empty.push(0);
        assert!(matches!(
            RawSpanBatch::decode(&empty),
            Err(BatchError::EmptySpanBatch)
        ));

        let mut too_many = prefix();
        write_uvarint(&mut too_many, MAX_SPAN_BATCH_ELEMENT_COUNT + 1);
        assert!(matches!(
            RawSpanBatch::decode(&too_many),
            Err(BatchError::TooManyElements {
                field: "block_count",
                ..
            })
        ));

        // At the limit but with no input behind it: a truncation, not a 10M-entry allocation.
        let mut short = prefix();
        write_uvarint(&mut short, MAX_SPAN_BATCH_ELEMENT_COUNT);
        short.extend_from_slice(&[0u8; 1_250_000]);
        assert!(matches!(
            RawSpanBatch::decode(&short),
            Err(BatchError::Truncated {
                field: "block_tx_counts",
                ..
            })
        ));

        // Two blocks whose tx counts add up past the limit.
        let mut sum = prefix();
        sum.extend_from_slice(&[2, 0]);
        write_uvarint(&mut sum, MAX_SPAN_BATCH_ELEMENT_COUNT);
        write_uvarint(&mut sum, 1);
        assert!(matches!(
            RawSpanBatch::decode(&sum),
            Err(BatchError::TooManyElements {
                field: "total txs",
                ..
            })
        ));

        // Ten million txs declared, a few bytes given: the signature column bound stops it.
        let mut txs = prefix();
        txs.extend_from_slice(&[1, 0]);
        write_uvarint(&mut txs, MAX_SPAN_BATCH_ELEMENT_COUNT);
        txs.extend_from_slice(&[0u8; 2_500_000]);
        assert!(matches!(
            RawSpanBatch::decode(&txs),
            Err(BatchError::Truncated {
                field: "tx_sigs",
                ..
            })
        ));
    }

    #[test]
    fn epoch_numbers_walk_back_from_the_last_origin() {
        // Four blocks, origin bits 0b1011 (blocks 0, 1, 3): bit 0 is ignored.
        let mut b = prefix();
        b[1] = 50;
        b.extend_from_slice(&[4, 0b1011, 0, 0, 0, 0]);
        let batch = RawSpanBatch::decode(&b).unwrap();
        assert_eq!(batch.epoch_numbers(), vec![48, 49, 49, 50]);
        assert_eq!(batch.encode(), b);
        let derived = batch.to_span_batch(1000, 2, 1).unwrap();
        assert_eq!(
            derived
                .blocks
                .iter()
                .map(|x| x.timestamp)
                .collect::<Vec<_>>(),
            vec![1005, 1007, 1009, 1011]
        );
        assert!(derived.first_origin_bit);
        assert_eq!(derived.to_raw(1000, 1).unwrap(), batch);
    }
}
