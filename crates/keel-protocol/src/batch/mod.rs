//! Batches: the singular (`0`) and span (`1`) batch formats, and reading them from a channel.
//!
//! # Layout
//!
//! - [`SingleBatch`] (`single.rs`): one L2 block's inputs as an RLP list.
//! - [`RawSpanBatch`] (`span.rs`): the span batch wire format, kept as decoded so that
//!   re-encoding is byte-identical; its transactions in `span_txs.rs`, their per-type
//!   `tx_datas` in `tx_data.rs`.
//! - [`SpanBatch`] (`span_batch.rs`): the derived form, per-block epoch, timestamp and full
//!   EIP-2718 transactions; conversions to and from singular batches.
//! - `bits.rs`: varints, standard bitlists, a bounds-checked cursor.
//!
//! Spec: protocol/derivation.md#batch-format, protocol/delta/span-batches.md.

mod bits;
mod single;
mod span;
mod span_batch;
mod span_txs;
mod tx_data;

pub use bits::BitList;
pub use single::SingleBatch;
pub use span::RawSpanBatch;
pub use span_batch::{SpanBatch, SpanBatchElement};

use alloy_rlp::Header;

/// Batch type of a [`SingleBatch`].
///
/// Spec: protocol/derivation.md#batch-format.
pub const SINGULAR_BATCH_TYPE: u8 = 0;

/// Batch type of a span batch.
///
/// Spec: protocol/delta/span-batches.md#span-batch-format.
pub const SPAN_BATCH_TYPE: u8 = 1;

/// Most blocks, or transactions in total, one span batch may hold.
///
/// Spec: protocol/derivation.md#protocol-parameters (`MAX_SPAN_BATCH_ELEMENT_COUNT`),
/// protocol/delta/span-batches.md#span-batch-size-limits.
pub const MAX_SPAN_BATCH_ELEMENT_COUNT: u64 = 10_000_000;

/// Why a batch could not be decoded, encoded or converted.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// Batch data without even a type byte.
    #[error("batch data is empty")]
    Empty,
    /// A batch type other than 0 (singular) or 1 (span).
    #[error("unknown batch type {batch_type}")]
    UnknownType {
        /// The type byte.
        batch_type: u8,
    },
    /// The singular batch's RLP list is malformed.
    #[error("singular batch RLP: {0}")]
    SingleRlp(alloy_rlp::Error),
    /// Input ended inside a field.
    #[error("{field} at offset {offset}: need {needed} bytes, {remaining} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Offset in the span batch content.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left.
        remaining: usize,
    },
    /// A varint longer than ten bytes or above `u64::MAX`.
    #[error("{field} at offset {offset}: varint overflows u64")]
    VarintOverflow {
        /// The field being read.
        field: &'static str,
        /// Offset of the varint.
        offset: usize,
    },
    /// A count over [`MAX_SPAN_BATCH_ELEMENT_COUNT`] or over what the remaining input can hold.
    #[error("{field} is {count}, over the limit {limit}")]
    TooManyElements {
        /// The count's name.
        field: &'static str,
        /// The count.
        count: u64,
        /// The limit it broke.
        limit: u64,
    },
    /// A span batch with `block_count == 0`.
    #[error("span batch has no blocks")]
    EmptySpanBatch,
    /// A bitlist with a bit set in its padding.
    #[error("{field} at offset {offset}: bits set beyond its {len} bits")]
    BitlistPadding {
        /// The bitlist's name.
        field: &'static str,
        /// Offset of the bitlist.
        offset: usize,
        /// Its length in bits.
        len: u64,
    },
    /// A span-batch `tx_datas` entry is malformed.
    #[error("span batch tx {index}: tx data RLP: {source}")]
    TxDataRlp {
        /// Index of the transaction in the span batch.
        index: u64,
        /// The RLP error.
        source: alloy_rlp::Error,
    },
    /// A transaction type that span batches cannot carry (deposits, blobs, unknown).
    #[error("tx {index}: transaction type {tx_type} is not allowed in a span batch")]
    UnsupportedTxType {
        /// Index of the transaction.
        index: u64,
        /// Its EIP-2718 type.
        tx_type: u8,
    },
    /// An EIP-7702 transaction marked as a contract creation.
    #[error("tx {index}: EIP-7702 transaction cannot be a contract creation")]
    SetCodeCreation {
        /// Index of the transaction.
        index: u64,
    },
    /// A full transaction could not be decoded.
    #[error("tx {index}: EIP-2718 decode: {source}")]
    TxDecode {
        /// Index of the transaction.
        index: u64,
        /// The decoder's error.
        source: alloy_eips::eip2718::Eip2718Error,
    },
    /// A protected transaction signed for another chain.
    #[error("tx {index}: chain id {got}, expected {expected}")]
    ChainIdMismatch {
        /// Index of the transaction.
        index: u64,
        /// The chain id the batch is for.
        expected: u64,
        /// The transaction's chain id.
        got: u64,
    },
    /// An RLP string in a channel is malformed.
    #[error("channel RLP at offset {offset}: {source}")]
    ChannelRlp {
        /// Offset in the decompressed channel.
        offset: usize,
        /// The RLP error.
        source: alloy_rlp::Error,
    },
    /// A batch in a channel reaches past `MAX_RLP_BYTES_PER_CHANNEL`.
    #[error("channel batch at offset {offset} ends at {end}, past the {limit}-byte limit")]
    ChannelTooLarge {
        /// Offset of the batch's RLP string.
        offset: usize,
        /// Where it ends.
        end: usize,
        /// The limit.
        limit: usize,
    },
    /// Blocks given to a span batch are not at consecutive block times.
    #[error("block {index}: timestamp {got}, expected {expected}")]
    NonConsecutive {
        /// Index of the block.
        index: usize,
        /// Expected timestamp.
        expected: u64,
        /// The block's timestamp.
        got: u64,
    },
    /// Epoch numbers that go backwards, or a timestamp before genesis.
    #[error("block {index}: {reason}")]
    InvalidBlock {
        /// Index of the block.
        index: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// A span batch with no blocks to convert.
    #[error("no blocks")]
    NoBlocks,
    /// The caller could not supply the L1 hash of an epoch.
    #[error("no L1 hash for epoch {epoch}")]
    MissingEpochHash {
        /// The epoch number.
        epoch: u64,
    },
    /// A computed value does not fit its type.
    #[error("{field} overflows")]
    Overflow {
        /// The value's name.
        field: &'static str,
    },
}

/// A decoded batch of either type.
///
/// Spec: protocol/derivation.md#batch-format.
// Batches are decoded and handled one at a time, so the size difference costs little, and
// unboxed variants keep matching on `Batch::Span(raw)` plain for callers.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Batch {
    /// Type 0.
    Single(SingleBatch),
    /// Type 1.
    Span(RawSpanBatch),
}

impl Batch {
    /// Decodes `batch_type ++ content`.
    ///
    /// Bytes after the batch are ignored, as op-node's stream decoders ignore them. The content is
    /// bounded by `data`'s length, itself bounded by the channel's `MAX_RLP_BYTES_PER_CHANNEL`.
    ///
    /// Spec: protocol/derivation.md#batch-format.
    pub fn decode(data: &[u8]) -> Result<Self, BatchError> {
        let (&batch_type, content) = data.split_first().ok_or(BatchError::Empty)?;
        match batch_type {
            SINGULAR_BATCH_TYPE => SingleBatch::decode(content).map(Self::Single),
            SPAN_BATCH_TYPE => RawSpanBatch::decode(content).map(Self::Span),
            other => Err(BatchError::UnknownType { batch_type: other }),
        }
    }

    /// Encodes `batch_type ++ content` (not wrapped in the channel's RLP string).
    pub fn encode(&self) -> Vec<u8> {
        match self {
            Self::Single(b) => {
                let mut out = vec![SINGULAR_BATCH_TYPE];
                out.extend_from_slice(&b.encode());
                out
            }
            Self::Span(b) => {
                let mut out = vec![SPAN_BATCH_TYPE];
                out.extend_from_slice(&b.encode());
                out
            }
        }
    }

    /// The batch's type byte.
    pub fn batch_type(&self) -> u8 {
        match self {
            Self::Single(_) => SINGULAR_BATCH_TYPE,
            Self::Span(_) => SPAN_BATCH_TYPE,
        }
    }

    /// Encodes the batch as a channel carries it: an RLP byte string of `batch_type ++ content`.
    ///
    /// Spec: protocol/derivation.md#channel-format.
    pub fn encode_channel_item(&self, out: &mut Vec<u8>) {
        let inner = self.encode();
        Header {
            list: false,
            payload_length: inner.len(),
        }
        .encode(out);
        out.extend_from_slice(&inner);
    }
}

/// Reads every batch from a decompressed channel: a sequence of RLP byte strings, each
/// `batch_type ++ content`, until the input ends.
///
/// Returns the batches decoded so far and the first error, so tooling can show partial results
/// and derivation can use the batches before a bad one (op-node reads batches lazily and stops
/// at the first failure). A batch whose RLP string reaches past `max_rlp_bytes` is an error,
/// as op-node's RLP stream is capped at that many bytes.
///
/// Spec: protocol/derivation.md#channel-format, protocol/fjord/derivation.md (`max_rlp_bytes`
/// is `MAX_RLP_BYTES_PER_CHANNEL`, 10,000,000 before Fjord and 100,000,000 after).
pub fn read_channel_batches(
    decompressed: &[u8],
    max_rlp_bytes: usize,
) -> (Vec<Batch>, Option<BatchError>) {
    let mut batches = Vec::new();
    let mut offset = 0usize;
    while offset < decompressed.len() {
        let mut rest = decompressed.get(offset..).unwrap_or_default();
        let before = rest.len();
        let header = match Header::decode(&mut rest) {
            Ok(h) => h,
            Err(source) => return (batches, Some(BatchError::ChannelRlp { offset, source })),
        };
        if header.list {
            return (
                batches,
                Some(BatchError::ChannelRlp {
                    offset,
                    source: alloy_rlp::Error::UnexpectedList,
                }),
            );
        }
        let header_len = before - rest.len();
        let end = offset
            .saturating_add(header_len)
            .saturating_add(header.payload_length);
        if end > max_rlp_bytes {
            return (
                batches,
                Some(BatchError::ChannelTooLarge {
                    offset,
                    end,
                    limit: max_rlp_bytes,
                }),
            );
        }
        let Some(payload) = rest.get(..header.payload_length) else {
            return (
                batches,
                Some(BatchError::ChannelRlp {
                    offset,
                    source: alloy_rlp::Error::InputTooShort,
                }),
            );
        };
        match Batch::decode(payload) {
            Ok(b) => batches.push(b),
            Err(e) => return (batches, Some(e)),
        }
        offset = end;
    }
    (batches, None)
}
