//! The batcher's side of the channel format: L2 blocks in, frames out.
//!
//! # Design
//!
//! A [`ChannelBuilder`] is pure: the caller picks the channel id (16 random bytes), feeds blocks
//! as [`SingleBatch`] values (parent hash, epoch, timestamp, non-deposit transactions) and takes
//! the frames. It stops accepting blocks once the channel is full, by the hard
//! `MAX_RLP_BYTES_PER_CHANNEL` limit on uncompressed batch data or by the caller's target
//! compressed size; the block that is refused belongs in the next channel.
//!
//! Compressors buffer their input (zlib at level 9 emits nothing for the first ~100 kB), so a
//! streaming compressor's output length says little about the channel's size. The builder
//! instead compresses the whole channel whenever its input has grown by a quarter since the last
//! measurement and extrapolates by ratio in between (op-batcher's shadow compressor and span
//! channel recompress on every block instead). The target is therefore a target, not a cap: the
//! final channel may pass it by up to one block, or by the estimate's error. A span batch can
//! only be compressed whole in any case.
//!
//! Pair assertion: in debug builds, [`ChannelBuilder::output_frames`] checks that its frames
//! decode back to the batches it was given.
//!
//! Spec: protocol/derivation.md#channel-format, protocol/derivation.md#frame-format,
//! protocol/delta/span-batches.md, protocol/fjord/derivation.md.

use alloy_primitives::Bytes;

use crate::batch::{Batch, BatchError, SingleBatch, SpanBatch};
use crate::compression::{CompressionAlgo, CompressionError, compress};
use crate::frame::{ChannelId, FRAME_OVERHEAD, Frame, MAX_FRAME_LEN};

/// Which batch format a channel carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchKind {
    /// One singular batch per block.
    Singular,
    /// One span batch over all blocks (Delta and later).
    Span,
}

/// How a channel is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelConfig {
    /// Compression (brotli only from Fjord on).
    pub algo: CompressionAlgo,
    /// Batch format.
    pub kind: BatchKind,
    /// Largest frame in bytes, [`FRAME_OVERHEAD`] included; at most `MAX_FRAME_LEN + 23`.
    pub max_frame_size: usize,
    /// Compressed size at which the channel counts as full.
    pub target_compressed_size: usize,
    /// `MAX_RLP_BYTES_PER_CHANNEL` in force: a hard limit on uncompressed batch data.
    pub max_rlp_bytes: usize,
    /// L2 chain id (span batches: legacy `v` and chain checks).
    pub chain_id: u64,
    /// L2 genesis timestamp (span batches: `rel_timestamp`).
    pub genesis_timestamp: u64,
    /// L2 block time (span batches: consecutive timestamps).
    pub block_time: u64,
}

/// Why a channel could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelBuilderError {
    /// `max_frame_size` leaves no room for data, or exceeds what a frame may carry.
    #[error("max_frame_size {max_frame_size} must be in {min}..={max}")]
    FrameSize {
        /// The configured size.
        max_frame_size: usize,
        /// Smallest usable size.
        min: usize,
        /// Largest allowed size.
        max: usize,
    },
    /// The channel is full; the block (returned) belongs in the next channel.
    #[error("channel full after {blocks} blocks")]
    Full {
        /// Blocks already in the channel.
        blocks: usize,
        /// The refused block.
        batch: Box<SingleBatch>,
    },
    /// A block that could never fit a channel on its own.
    #[error("block of {rlp_bytes} RLP bytes exceeds the {limit}-byte channel limit")]
    BlockTooLarge {
        /// Encoded size of the block's batch.
        rlp_bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// `output_frames` on a channel without blocks.
    #[error("channel has no blocks")]
    Empty,
    /// More than 65,536 frames would be needed.
    #[error("{frames} frames needed; frame numbers are u16")]
    TooManyFrames {
        /// Frames needed.
        frames: usize,
    },
    /// The batch could not be built (span batch rules, transactions).
    #[error(transparent)]
    Batch(#[from] BatchError),
    /// The compressor failed.
    #[error(transparent)]
    Compression(#[from] CompressionError),
}

/// Builds one channel. See the module docs.
#[derive(Debug)]
pub struct ChannelBuilder {
    config: ChannelConfig,
    channel_id: ChannelId,
    blocks: Vec<SingleBatch>,
    /// Whether the first block is the first of its epoch (span batch origin bit 0).
    first_starts_epoch: bool,
    /// Uncompressed singular-batch RLP bytes so far (for span batches an upper bound).
    rlp_len: usize,
    /// (uncompressed, compressed) sizes at the last measurement.
    measure: Option<(usize, usize)>,
    full: bool,
}

impl ChannelBuilder {
    /// A builder for channel `channel_id`.
    pub fn new(config: ChannelConfig, channel_id: ChannelId) -> Result<Self, ChannelBuilderError> {
        let (min, max) = (FRAME_OVERHEAD + 1, MAX_FRAME_LEN + FRAME_OVERHEAD);
        if !(min..=max).contains(&config.max_frame_size) {
            return Err(ChannelBuilderError::FrameSize {
                max_frame_size: config.max_frame_size,
                min,
                max,
            });
        }
        Ok(Self {
            config,
            channel_id,
            blocks: Vec::new(),
            first_starts_epoch: false,
            rlp_len: 0,
            measure: None,
            full: false,
        })
    }

    /// The channel id.
    pub fn channel_id(&self) -> ChannelId {
        self.channel_id
    }

    /// Blocks added so far.
    pub fn block_count(&self) -> usize {
        self.blocks.len()
    }

    /// Whether the channel takes no more blocks.
    pub fn is_full(&self) -> bool {
        self.full
    }

    /// Adds one L2 block. `seq_num` is its sequence number within its epoch (0 for the first
    /// block of an epoch); span batches record it for the first block as op-batcher does.
    ///
    /// Refuses the block with [`ChannelBuilderError::Full`] when the channel is already full or
    /// the block would push the uncompressed data past `max_rlp_bytes`.
    pub fn add_block(
        &mut self,
        batch: SingleBatch,
        seq_num: u64,
    ) -> Result<(), ChannelBuilderError> {
        let mut item = Vec::new();
        Batch::Single(batch.clone()).encode_channel_item(&mut item);
        if item.len() > self.config.max_rlp_bytes {
            return Err(ChannelBuilderError::BlockTooLarge {
                rlp_bytes: item.len(),
                limit: self.config.max_rlp_bytes,
            });
        }
        let new_len = self.rlp_len.saturating_add(item.len());
        if self.full || new_len > self.config.max_rlp_bytes {
            self.full = true;
            return Err(ChannelBuilderError::Full {
                blocks: self.blocks.len(),
                batch: Box::new(batch),
            });
        }
        if self.config.kind == BatchKind::Span {
            // The span format cannot express gaps or epoch jumps: check before accepting.
            if let Some(prev) = self.blocks.last() {
                let pair = [prev.clone(), batch.clone()];
                SpanBatch::from_singular_batches(
                    &pair,
                    self.config.genesis_timestamp,
                    self.config.block_time,
                    self.config.chain_id,
                )?;
            } else {
                SpanBatch::from_singular_batches(
                    std::slice::from_ref(&batch),
                    self.config.genesis_timestamp,
                    self.config.block_time,
                    self.config.chain_id,
                )?;
                self.first_starts_epoch = seq_num == 0;
            }
        }
        self.rlp_len = new_len;
        self.blocks.push(batch);
        self.full = self.estimate_size()? >= self.config.target_compressed_size;
        Ok(())
    }

    /// Compressed size of the channel, measured when the input grew by a quarter since the
    /// last measurement and extrapolated by ratio otherwise.
    fn estimate_size(&mut self) -> Result<usize, ChannelBuilderError> {
        if let Some((input, compressed)) = self.measure
            && self.rlp_len < input.saturating_add(input / 4)
        {
            let est = (compressed as u128 * self.rlp_len as u128) / (input.max(1) as u128);
            return Ok(usize::try_from(est).unwrap_or(usize::MAX));
        }
        let compressed = compress(self.config.algo, &self.channel_bytes()?)?.len();
        self.measure = Some((self.rlp_len, compressed));
        Ok(compressed)
    }

    /// The batches this channel carries.
    fn batches(&self) -> Result<Vec<Batch>, ChannelBuilderError> {
        Ok(match self.config.kind {
            BatchKind::Singular => self.blocks.iter().cloned().map(Batch::Single).collect(),
            BatchKind::Span => {
                let mut span = SpanBatch::from_singular_batches(
                    &self.blocks,
                    self.config.genesis_timestamp,
                    self.config.block_time,
                    self.config.chain_id,
                )?;
                span.first_origin_bit = self.first_starts_epoch;
                vec![Batch::Span(span.to_raw(
                    self.config.genesis_timestamp,
                    self.config.chain_id,
                )?)]
            }
        })
    }

    /// The uncompressed channel: each batch as an RLP byte string.
    fn channel_bytes(&self) -> Result<Vec<u8>, ChannelBuilderError> {
        let mut out = Vec::with_capacity(self.rlp_len);
        for b in self.batches()? {
            b.encode_channel_item(&mut out);
        }
        Ok(out)
    }

    /// Closes the channel and splits its compressed data into frames of at most
    /// `max_frame_size` bytes; the last frame is marked `is_last`.
    pub fn output_frames(self) -> Result<Vec<Frame>, ChannelBuilderError> {
        if self.blocks.is_empty() {
            return Err(ChannelBuilderError::Empty);
        }
        let bytes = self.channel_bytes()?;
        if bytes.len() > self.config.max_rlp_bytes {
            return Err(ChannelBuilderError::BlockTooLarge {
                rlp_bytes: bytes.len(),
                limit: self.config.max_rlp_bytes,
            });
        }
        let data = compress(self.config.algo, &bytes)?;
        let chunk = self.config.max_frame_size - FRAME_OVERHEAD;
        let count = data.len().div_ceil(chunk).max(1);
        if count > usize::from(u16::MAX) + 1 {
            return Err(ChannelBuilderError::TooManyFrames { frames: count });
        }
        let frames: Vec<Frame> = data
            .chunks(chunk)
            .enumerate()
            .map(|(i, part)| Frame {
                channel_id: self.channel_id,
                number: i as u16,
                data: Bytes::copy_from_slice(part),
                is_last: i + 1 == count,
            })
            .collect();
        #[cfg(debug_assertions)]
        {
            let expected = self.batches()?;
            debug_assert!(
                frames_decode_to(&frames, &expected, self.config.max_rlp_bytes),
                "channel builder: frames do not decode back to the input batches"
            );
        }
        Ok(frames)
    }
}

/// Pair assertion: whether `frames` reassemble, decompress and decode to exactly `expected`.
#[cfg(debug_assertions)]
fn frames_decode_to(frames: &[Frame], expected: &[Batch], max_rlp_bytes: usize) -> bool {
    let data: Vec<u8> = frames.iter().flat_map(|f| f.data.iter().copied()).collect();
    let Ok((_, out)) = crate::compression::decompress(&data, max_rlp_bytes, true) else {
        return false;
    };
    let (batches, err) = crate::batch::read_channel_batches(&out, max_rlp_bytes);
    err.is_none() && batches == expected
}
