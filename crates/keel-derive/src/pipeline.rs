//! The derivation pipeline: L1 traversal → retrieval → frame queue → channel bank/assembler →
//! channel reader → batch queue → attributes queue, behind one sans-IO entry point.
//!
//! The caller loops on [`Pipeline::step`] with its current safe head and answers each request
//! ([`Step::NeedL1Block`], [`Step::NeedBlobs`], [`Step::NeedL2Block`]) with the matching
//! `provide_*` call; [`Step::Attributes`] is the result to execute. The stages are pulled in
//! op-node's order and granularity, so that the derived chain is op-node's.
//!
//! Spec: protocol/derivation.md#l2-chain-derivation-pipeline.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::Arc,
};

use alloy_primitives::{B256, Bytes};
use keel_protocol::{
    blob::BLOB_SIZE,
    rollup_config::{BlockId, RollupConfig},
    system_config::SystemConfig,
};

use crate::{
    error::{DeriveError, ErrorClass},
    stages::{
        attributes_queue::{AttributesQueue, DerivedAttributes},
        batch_queue::{BatchOutput, BatchQueue, BatchSource, Pulled},
        channel_reader::{ChannelReader, ReadBatch, ReaderOutput},
        channel_stage::{ChannelStage, ChannelStep},
        frame_queue::FrameQueue,
        retrieval::{DataItem, batcher_data, blob_hashes, resolve, verify_blobs},
        traversal::{L1Traversal, TraversalError},
    },
    types::{L1BlockInput, L1BlockRef, L2BlockInput, L2BlockRef},
};

/// L2 blocks kept for span-batch overlap checks and safe-head system configs. Overlaps are
/// bounded by the blocks a channel can cover since the safe head; past this the oldest go.
pub const MAX_L2_BLOCKS: usize = 8192;

/// System configs of recent L2 blocks remembered (the safe head and the block being built).
const MAX_CONFIGS: usize = 8;

/// What the pipeline needs or produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Payload attributes for the block after `parent`, ready for the engine.
    Attributes(Box<DerivedAttributes>),
    /// Give me the L1 block at this number, with its transactions and receipts.
    NeedL1Block(u64),
    /// Give me these blobs of this L1 block (versioned hashes, in transaction order).
    NeedBlobs {
        /// The block.
        block: L1BlockRef,
        /// The blobs' versioned hashes.
        hashes: Vec<B256>,
    },
    /// Give me the L2 block at this number (span batches overlapping the safe head, or the
    /// safe head itself when its system config is not known).
    NeedL2Block(u64),
}

/// Errors of the pipeline's own bookkeeping (what the caller handed in).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// After a reset the origin block itself is needed; another block was provided.
    #[error("expected the reset origin {expected:?}, got L1 block {got:?}")]
    UnexpectedOrigin {
        /// The reset origin.
        expected: BlockId,
        /// The block provided.
        got: BlockId,
    },
    /// An L1 block was provided while the pipeline still has data at its current origin.
    #[error("L1 block {got} provided before the pipeline asked for it")]
    L1NotRequested {
        /// The number provided.
        got: u64,
    },
    /// Blobs were provided but none are awaited, or for another block.
    #[error("blobs for {got} provided, awaiting {awaiting:?}")]
    UnexpectedBlobs {
        /// The block the blobs were for.
        got: B256,
        /// The block whose blobs are awaited, if any.
        awaiting: Option<B256>,
    },
}

impl PipelineError {
    /// The error's class: a different block at the origin's height is an L1 reorg (Reset);
    /// the rest are the caller's mistakes, to retry with the right data.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::UnexpectedOrigin { expected, got } if expected.number == got.number => {
                ErrorClass::Reset
            }
            _ => ErrorClass::Temporary,
        }
    }
}

/// The L1 side, pulled as op-node's channel reader pulls its previous stages.
#[derive(Debug, Clone)]
struct L1Source {
    traversal: L1Traversal,
    frames: FrameQueue,
    channels: ChannelStage,
    reader: ChannelReader,
    /// Batcher data of the current origin not yet given to the frame queue.
    data: VecDeque<Bytes>,
    /// Batches read out of channels so far.
    read: BatchesRead,
}

/// Batches read out of channels since the pipeline was created (resets included): what
/// op-node counts as `derived_batches_total{type}` when its channel reader decodes a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchesRead {
    /// Singular batches.
    pub singular: u64,
    /// Span batches.
    pub span: u64,
}

impl L1Source {
    fn counted(&mut self, out: ReaderOutput) -> Pulled {
        match out {
            ReaderOutput::Batch(b) => {
                match &b.batch {
                    ReadBatch::Single(_) => self.read.singular += 1,
                    ReadBatch::Span(_) => self.read.span += 1,
                }
                Pulled::Batch(b)
            }
            ReaderOutput::Skipped(_) | ReaderOutput::End | ReaderOutput::Empty => Pulled::Progress,
        }
    }
}

impl BatchSource for L1Source {
    fn origin(&self) -> L1BlockRef {
        self.traversal.origin()
    }

    fn next_batch(&mut self) -> Pulled {
        let origin = self.traversal.origin();
        if self.reader.has_channel() {
            let out = self.reader.next_batch(origin);
            return self.counted(out);
        }
        // The frame queue loads one batcher transaction when empty (op-node's NextFrame).
        if self.frames.is_empty()
            && let Some(d) = self.data.pop_front()
        {
            let _ = self.frames.push(&d, origin);
        }
        match self.channels.next_channel_step(&mut self.frames, origin) {
            ChannelStep::Ready(ch) => {
                if self.reader.load(ch, origin).is_err() {
                    return Pulled::Progress;
                }
                let out = self.reader.next_batch(origin);
                self.counted(out)
            }
            ChannelStep::Ingested => Pulled::Progress,
            ChannelStep::NoFrames if self.data.is_empty() => Pulled::Eof,
            ChannelStep::NoFrames => Pulled::Progress,
        }
    }

    fn flush_channel(&mut self) {
        self.reader.flush();
    }
}

/// Where an L2 block's system config is known from.
#[derive(Debug, Clone, Copy)]
struct ConfigKey {
    number: u64,
    hash: Option<B256>,
    parent_hash: Option<B256>,
}

impl ConfigKey {
    fn matches(&self, b: &L2BlockRef) -> bool {
        self.number == b.number
            && (self.hash == Some(b.hash) || self.parent_hash == Some(b.parent_hash))
    }
}

/// The derivation pipeline. See the module docs.
#[derive(Debug, Clone)]
pub struct Pipeline {
    cfg: Arc<RollupConfig>,
    src: L1Source,
    queue: BatchQueue,
    attributes: AttributesQueue,
    /// The reset origin's block must be provided (its data is read again).
    awaiting_origin: bool,
    /// The batch queue reached the end of the current origin's data.
    at_eof: bool,
    awaiting_blobs: Option<(L1BlockRef, Vec<DataItem>)>,
    l2_blocks: BTreeMap<u64, L2BlockInput>,
    configs: VecDeque<(ConfigKey, SystemConfig)>,
    /// The reset's system config, bound to the first safe head stepped on.
    reset_config: Option<SystemConfig>,
}

impl Pipeline {
    /// A pipeline reset to `origin` with `system_config` (the safe head's, as op-node's
    /// pipeline reset takes it).
    pub fn new(cfg: Arc<RollupConfig>, origin: L1BlockRef, system_config: SystemConfig) -> Self {
        let src = L1Source {
            traversal: L1Traversal::new(Arc::clone(&cfg), origin, system_config),
            frames: FrameQueue::new(Arc::clone(&cfg)),
            channels: ChannelStage::new(Arc::clone(&cfg)),
            reader: ChannelReader::new(Arc::clone(&cfg)),
            data: VecDeque::new(),
            read: BatchesRead::default(),
        };
        Self {
            queue: BatchQueue::new(Arc::clone(&cfg), origin),
            attributes: AttributesQueue::new(Arc::clone(&cfg)),
            src,
            cfg,
            awaiting_origin: true,
            at_eof: false,
            awaiting_blobs: None,
            l2_blocks: BTreeMap::new(),
            configs: VecDeque::new(),
            reset_config: Some(system_config),
        }
    }

    /// Restarts derivation at L1 block `origin` with `system_config` (the safe head's): every
    /// stage is emptied and the origin's own batcher data will be read again, as op-node's
    /// `L1Retrieval.Reset` opens the origin block.
    ///
    /// Spec: protocol/derivation.md#resetting-the-pipeline.
    pub fn reset(&mut self, origin: L1BlockRef, system_config: SystemConfig) {
        let read = self.src.read;
        *self = Self::new(Arc::clone(&self.cfg), origin, system_config);
        self.src.read = read;
    }

    /// Drops the rest of the span batch and of the channel the last attributes came from:
    /// what the engine queue asks for when it replaced an invalid derived payload with its
    /// deposits-only version, so no later block of that span is derived on top of the
    /// replacement.
    ///
    /// Spec: protocol/holocene/derivation.md#engine-queue
    pub fn flush_channel(&mut self) {
        self.queue.flush_channel(&mut self.src);
    }

    /// Batches read out of channels so far (monotonic across resets).
    pub fn batches_read(&self) -> BatchesRead {
        self.src.read
    }

    /// The L1 block derivation has reached.
    pub fn origin(&self) -> L1BlockRef {
        self.src.traversal.origin()
    }

    /// The system config of the L1 traversal (batcher address in force).
    pub fn system_config(&self) -> &SystemConfig {
        self.src.traversal.system_config()
    }

    /// Advances derivation on `safe_head` until attributes are ready or data is needed.
    pub fn step(&mut self, safe_head: L2BlockRef) -> Result<Step, DeriveError> {
        if self.awaiting_origin {
            return Ok(Step::NeedL1Block(self.src.traversal.origin().number));
        }
        if let Some((block, items)) = &self.awaiting_blobs {
            return Ok(Step::NeedBlobs {
                block: *block,
                hashes: blob_hashes(items),
            });
        }
        if self.at_eof {
            return Ok(Step::NeedL1Block(self.src.traversal.next_number()));
        }
        let Some(parent_config) = self.parent_config(&safe_head) else {
            return Ok(Step::NeedL2Block(safe_head.number));
        };
        // Blocks above the safe head are not part of the safe chain the checks compare to.
        let _ = self
            .l2_blocks
            .split_off(&safe_head.number.saturating_add(1));
        loop {
            match self
                .queue
                .next_batch(&safe_head, &mut self.src, &self.l2_blocks)?
            {
                BatchOutput::Batch {
                    batch,
                    is_last_in_span,
                } => {
                    let (derived, next_config) = self.attributes.build(
                        &safe_head,
                        &parent_config,
                        batch,
                        is_last_in_span,
                        self.src.traversal.origin(),
                    )?;
                    self.remember_config(
                        ConfigKey {
                            number: safe_head.number.saturating_add(1),
                            hash: None,
                            parent_hash: Some(safe_head.hash),
                        },
                        next_config,
                    );
                    let keep_from = self
                        .queue
                        .l1_blocks()
                        .first()
                        .map_or(safe_head.l1_origin.number, |b| {
                            b.number.min(safe_head.l1_origin.number)
                        });
                    self.attributes.prune_below(keep_from);
                    return Ok(Step::Attributes(Box::new(derived)));
                }
                BatchOutput::Progress | BatchOutput::Dropped(_) => {}
                BatchOutput::Eof => {
                    self.at_eof = true;
                    return Ok(Step::NeedL1Block(self.src.traversal.next_number()));
                }
                BatchOutput::NeedL2Block(n) => return Ok(Step::NeedL2Block(n)),
            }
        }
    }

    fn remember_config(&mut self, key: ConfigKey, config: SystemConfig) {
        self.configs.retain(|(k, _)| k.number != key.number);
        self.configs.push_back((key, config));
        while self.configs.len() > MAX_CONFIGS {
            self.configs.pop_front();
        }
    }

    fn parent_config(&mut self, safe_head: &L2BlockRef) -> Option<SystemConfig> {
        if let Some(c) = self.reset_config.take() {
            self.remember_config(
                ConfigKey {
                    number: safe_head.number,
                    hash: Some(safe_head.hash),
                    parent_hash: None,
                },
                c,
            );
        }
        if let Some((_, c)) = self
            .configs
            .iter()
            .rev()
            .find(|(k, _)| k.matches(safe_head))
        {
            return Some(*c);
        }
        self.l2_blocks
            .get(&safe_head.number)
            .filter(|b| b.block_ref.hash == safe_head.hash)
            .map(|b| b.system_config)
    }

    /// Hands in the L1 block asked for by [`Step::NeedL1Block`]: the reset origin itself (its
    /// data is read again), or the next block, which L1 traversal checks (a parent-hash
    /// mismatch is a Reset-class error) before its batcher data is read.
    pub fn provide_l1_block(&mut self, block: L1BlockInput) -> Result<(), DeriveError> {
        if self.awaiting_origin {
            let expected = self.src.traversal.origin();
            if block.block_ref != expected {
                return Err(PipelineError::UnexpectedOrigin {
                    expected: expected.id(),
                    got: block.block_ref.id(),
                }
                .into());
            }
            if block.receipts.len() != block.transactions.len() {
                return Err(TraversalError::Inconsistent {
                    number: block.block_ref.number,
                    what: "receipt count differs from transaction count",
                }
                .into());
            }
            self.awaiting_origin = false;
        } else {
            if !self.at_eof || self.awaiting_blobs.is_some() {
                return Err(PipelineError::L1NotRequested {
                    got: block.block_ref.number,
                }
                .into());
            }
            self.src.traversal.advance(&block)?;
            self.at_eof = false;
        }
        self.attributes.push_l1_block(&block);
        let batcher = self.src.traversal.system_config().batcher_addr;
        let items = batcher_data(&block, &self.cfg, batcher);
        if blob_hashes(&items).is_empty() {
            let resolved = resolve(items, &[])?;
            self.src.data.extend(resolved.data);
        } else {
            self.awaiting_blobs = Some((block.block_ref, items));
        }
        Ok(())
    }

    /// Hands in the blobs asked for by [`Step::NeedBlobs`], in the order of the hashes. Each
    /// is checked against its versioned hash; undecodable blobs are skipped as op-node does.
    pub fn provide_blobs(
        &mut self,
        block: B256,
        blobs: Vec<Box<[u8; BLOB_SIZE]>>,
    ) -> Result<(), DeriveError> {
        let awaiting = self.awaiting_blobs.as_ref().map(|(r, _)| r.hash);
        if awaiting != Some(block) {
            return Err(PipelineError::UnexpectedBlobs {
                got: block,
                awaiting,
            }
            .into());
        }
        let Some((_, items)) = self.awaiting_blobs.as_ref() else {
            return Ok(());
        };
        verify_blobs(items, &blobs)?;
        if let Some((_, items)) = self.awaiting_blobs.take() {
            let resolved = resolve(items, &blobs)?;
            self.src.data.extend(resolved.data);
        }
        Ok(())
    }

    /// Hands in an L2 block asked for by [`Step::NeedL2Block`] (any canonical block may be
    /// given ahead of time).
    pub fn provide_l2_block(&mut self, block: L2BlockInput) -> Result<(), DeriveError> {
        self.l2_blocks.insert(block.block_ref.number, block);
        while self.l2_blocks.len() > MAX_L2_BLOCKS {
            self.l2_blocks.pop_first();
        }
        Ok(())
    }
}
