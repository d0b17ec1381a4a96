//! Channel reader: a ready channel in, its batches out, each tagged with the L1 block it was
//! read at.
//!
//! Spec: protocol/derivation.md#channel-format, protocol/fjord/derivation.md#brotli-channel-compression,
//! protocol/delta/span-batches.md, protocol/holocene/derivation.md#fast-channel-invalidation.

use std::{collections::VecDeque, sync::Arc};

use keel_protocol::{
    batch::{Batch, BatchError, SingleBatch, SpanBatch, read_channel_batches},
    compression::{CompressionError, decompress},
    frame::ChannelId,
    hardfork::Hardfork,
    rollup_config::RollupConfig,
};

use super::channel_bank::ReadyChannel;
use crate::types::L1BlockRef;

/// A batch as read from a channel: singular, or a span batch in derived form (per-block
/// epochs, timestamps and full transactions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadBatch {
    /// A singular batch.
    Single(SingleBatch),
    /// A span batch.
    Span(SpanBatch),
}

impl ReadBatch {
    /// The timestamp of the (first) L2 block of the batch, `None` for an empty span.
    pub fn timestamp(&self) -> Option<u64> {
        match self {
            Self::Single(b) => Some(b.timestamp),
            Self::Span(s) => s.blocks.first().map(|b| b.timestamp),
        }
    }
}

/// A batch with the L1 block at which it was read: the "L1 inclusion block" of the
/// batch-queue rules (op-node tags batches with the stage's origin when they are read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchWithInclusion {
    /// The batch.
    pub batch: ReadBatch,
    /// The L1 block it counts as included in.
    pub inclusion: L1BlockRef,
}

/// Why a channel or one of its batches was skipped: log-worthy, never a pipeline error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelReaderError {
    /// No batch could be read: unknown compression, brotli before Fjord, or a stream that
    /// fails before its first byte. The whole channel is dropped.
    #[error("channel {channel}: {source}")]
    Decompress {
        /// The channel.
        channel: ChannelId,
        /// Why.
        #[source]
        source: CompressionError,
    },
    /// A batch failed to decode (the rest of the channel is dropped, as op-node's reader
    /// moves to the next channel), or a span batch failed to convert (that batch only).
    #[error("channel {channel}, batch {index}: {source}")]
    Batch {
        /// The channel.
        channel: ChannelId,
        /// Index of the failing batch in the channel.
        index: usize,
        /// Why.
        #[source]
        source: BatchError,
    },
    /// A span batch read at an L1 block before Delta is skipped; the channel goes on.
    ///
    /// Spec: protocol/delta/span-batches.md#span-batch-activation-rule (op-node checks the
    /// reader's origin early and the batch queue checks the batch's L1 origin again).
    #[error("channel {channel}, batch {index}: span batch read at L1 time {l1_time}, before Delta")]
    SpanBeforeDelta {
        /// The channel.
        channel: ChannelId,
        /// Index of the span batch in the channel.
        index: usize,
        /// The reading origin's timestamp.
        l1_time: u64,
    },
}

/// What [`ChannelReader::next_batch`] produced.
#[derive(Debug)]
pub enum ReaderOutput {
    /// The next batch of the current channel.
    Batch(BatchWithInclusion),
    /// A batch (or what remained of the channel) was skipped; call again.
    Skipped(ChannelReaderError),
    /// The current channel ended cleanly and was released: call again.
    End,
    /// No channel is loaded: load the next one.
    Empty,
}

#[derive(Debug, Clone)]
struct Current {
    id: ChannelId,
    batches: VecDeque<Batch>,
    /// Index in the channel of the front batch.
    index: usize,
    /// The decode error after the last good batch, reported once the batches before it
    /// are read.
    error: Option<BatchError>,
}

/// The channel reader stage.
///
/// Bound: one channel at a time, its decompressed size at most `MAX_RLP_BYTES_PER_CHANNEL`
/// (10 MB before Fjord, 100 MB after, by the reading origin's time as op-node).
#[derive(Debug, Clone)]
pub struct ChannelReader {
    cfg: Arc<RollupConfig>,
    current: Option<Current>,
}

impl ChannelReader {
    /// A reader with no channel.
    pub fn new(cfg: Arc<RollupConfig>) -> Self {
        Self { cfg, current: None }
    }

    /// Whether a channel is loaded (possibly exhausted but not yet released).
    pub fn has_channel(&self) -> bool {
        self.current.is_some()
    }

    /// Decompresses `channel` at L1 origin `origin` and holds its batches.
    ///
    /// Brotli is accepted and the Fjord size bound used when Fjord is active at `origin`'s
    /// timestamp (op-node's `ChannelInReader` passes its origin's time). A stream cut at the
    /// bound or corrupt after some output still yields the batches before the cut. On error the
    /// channel is dropped.
    ///
    /// Spec: protocol/derivation.md#channel-format, protocol/fjord/derivation.md.
    pub fn load(
        &mut self,
        channel: ReadyChannel,
        origin: L1BlockRef,
    ) -> Result<(), ChannelReaderError> {
        let fjord = self.cfg.is_active(Hardfork::Fjord, origin.timestamp);
        let max = self.cfg.max_rlp_bytes_per_channel(origin.timestamp);
        self.current = None;
        let (_, data) = decompress(&channel.data, max, fjord).map_err(|source| {
            ChannelReaderError::Decompress {
                channel: channel.id,
                source,
            }
        })?;
        let (batches, error) = read_channel_batches(&data, max);
        self.current = Some(Current {
            id: channel.id,
            batches: batches.into(),
            index: 0,
            error,
        });
        Ok(())
    }

    /// The next batch of the current channel, tagged with `origin` (the current L1 origin).
    ///
    /// Span batches are converted to their derived form here; a span batch read before Delta
    /// (by `origin`'s time), or whose conversion fails, is skipped alone (op-node returns an
    /// error for it and reads on). A decode failure drops the rest of the channel (op-node's
    /// reader moves to the next channel).
    pub fn next_batch(&mut self, origin: L1BlockRef) -> ReaderOutput {
        let Some(cur) = self.current.as_mut() else {
            return ReaderOutput::Empty;
        };
        let index = cur.index;
        let id = cur.id;
        let Some(batch) = cur.batches.pop_front() else {
            let error = cur.error.take();
            self.current = None;
            return match error {
                Some(source) => ReaderOutput::Skipped(ChannelReaderError::Batch {
                    channel: id,
                    index,
                    source,
                }),
                None => ReaderOutput::End,
            };
        };
        cur.index = index.saturating_add(1);
        let batch = match batch {
            Batch::Single(b) => ReadBatch::Single(b),
            Batch::Span(raw) => {
                if !self.cfg.is_active(Hardfork::Delta, origin.timestamp) {
                    return ReaderOutput::Skipped(ChannelReaderError::SpanBeforeDelta {
                        channel: id,
                        index,
                        l1_time: origin.timestamp,
                    });
                }
                match raw.to_span_batch(
                    self.cfg.genesis.l2_time,
                    self.cfg.block_time,
                    self.cfg.l2_chain_id,
                ) {
                    Ok(span) => ReadBatch::Span(span),
                    Err(source) => {
                        // op-node returns `DeriveSpanBatch`'s error without leaving the
                        // channel: the next pull reads the batch after this one.
                        return ReaderOutput::Skipped(ChannelReaderError::Batch {
                            channel: id,
                            index,
                            source,
                        });
                    }
                }
            }
        };
        ReaderOutput::Batch(BatchWithInclusion {
            batch,
            inclusion: origin,
        })
    }

    /// Drops the rest of the current channel (Holocene's fast channel invalidation after an
    /// invalid batch; pipeline reset).
    ///
    /// Spec: protocol/holocene/derivation.md#fast-channel-invalidation.
    pub fn flush(&mut self) {
        self.current = None;
    }
}
