//! The channel manager: L2 blocks in, batcher transaction payloads out, and the fate of each
//! payload back in. Sans-IO: the L1 head, the L2 safe head and transaction outcomes are
//! passed in; nothing here reads a clock or a socket.
//!
//! # Rules (op-batcher's `channelManager`, against the derivation spec)
//!
//! - Blocks arrive in order; a block whose parent is not the previous block (or the safe
//!   head, for the first) is an L2 reorg: everything pending is dropped and loading restarts
//!   from the safe head + 1 ([`ChannelManager::next_block_to_load`]).
//! - One channel is open at a time. It closes when full (target compressed size or
//!   `MAX_RLP_BYTES_PER_CHANNEL`), when the L1 head reaches its max duration, or when the
//!   sequencing window of its first block's epoch is within the safety margin of its end.
//!   Closing cuts it into frames.
//! - Frames go out lowest channel first, lowest frame first; a failed transaction's frames are
//!   queued again ahead of later ones; an L1 reorg that drops a confirmed transaction queues
//!   its frames again.
//! - A channel whose confirmed frames span `CHANNEL_TIMEOUT` L1 blocks or more, or that can
//!   no longer finish within it, is dropped by derivation: its blocks, and every later block,
//!   are rebuilt into new channels, so batches stay in order (Holocene drops out-of-order
//!   batches).
//! - Blocks at or below the L2 safe head are never posted again.

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use alloy_primitives::{B128, keccak256};
use keel_protocol::{
    channel_builder::{ChannelBuilder, ChannelBuilderError},
    rollup_config::{BlockId, RollupConfig},
};

use crate::{
    block::BatchBlock,
    channel::{Confirmation, PendingChannel},
    config::BatcherConfig,
    tx_data::{TxData, TxId},
};

/// Most L2 blocks held in the manager (queued or in channels not yet safe). A verifier that
/// lags this far behind means the batcher should wait, not buffer more.
pub const MAX_PENDING_BLOCKS: usize = 20_000;

/// The L1 head the manager decides against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct L1Head {
    /// Block number.
    pub number: u64,
    /// Block timestamp.
    pub timestamp: u64,
}

/// Why a block was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddBlockError {
    /// The block does not extend the chain held: the L2 chain reorganised. The manager has
    /// dropped its pending state; reload from [`ChannelManager::next_block_to_load`].
    #[error(
        "L2 reorg: block {number} has parent {parent}, expected {expected_number} ({expected})"
    )]
    Reorg {
        /// The block's number.
        number: u64,
        /// Its parent hash.
        parent: alloy_primitives::B256,
        /// The number it should have had.
        expected_number: u64,
        /// The parent it should have had.
        expected: alloy_primitives::B256,
    },
    /// [`MAX_PENDING_BLOCKS`] are held; try again once some are safe.
    #[error("{MAX_PENDING_BLOCKS} L2 blocks already pending")]
    Full,
}

/// Why no payload could be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManagerError {
    /// The channel builder refused a block for a reason other than a full channel (a block
    /// too large for any channel, a span-batch rule). Critical: the block can never be posted.
    #[error("L2 block {number}: {source}")]
    Block {
        /// The block.
        number: u64,
        /// Why.
        source: ChannelBuilderError,
    },
    /// Cutting the channel into frames failed.
    #[error("closing channel {channel}: {source}")]
    Close {
        /// The channel.
        channel: B128,
        /// Why.
        source: ChannelBuilderError,
    },
}

/// What a confirmation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxOutcome {
    /// The id belongs to no channel (dropped by a reset or a rebuild): nothing to do.
    Unknown,
    /// Recorded; the channel has frames still to land.
    Recorded,
    /// The channel is now entirely on L1.
    ChannelComplete,
    /// The channel timed out on L1; its blocks were queued again.
    ChannelTimedOut,
}

/// Counters for status lines and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ManagerStats {
    /// Channels closed (cut into frames).
    pub channels_closed: u64,
    /// Channels rebuilt after an L1 timeout.
    pub channels_timed_out: u64,
    /// Payloads handed out.
    pub txs_built: u64,
    /// Frame bytes handed out (headers included).
    pub bytes_built: u64,
    /// Resets after an L2 reorg.
    pub l2_reorgs: u64,
}

#[derive(Debug)]
struct OpenChannel {
    builder: ChannelBuilder,
    blocks: Vec<BatchBlock>,
    /// L1 block at which the channel closes regardless of size, if any.
    timeout: u64,
    channel_timeout: u64,
}

/// See the module docs.
#[derive(Debug)]
pub struct ChannelManager {
    rollup: RollupConfig,
    config: BatcherConfig,
    seed: [u8; 32],
    channels_opened: u64,
    next_tx: u64,
    safe: Option<BlockId>,
    tip: Option<BlockId>,
    queue: VecDeque<BatchBlock>,
    open: Option<OpenChannel>,
    channels: VecDeque<PendingChannel>,
    stats: ManagerStats,
}

impl ChannelManager {
    /// A manager for chain `rollup`. `seed` makes channel ids unique to this run (pass random
    /// bytes; op-batcher draws each id at random): a restarted batcher must not reuse an id
    /// that derivation may still hold half-filled.
    pub fn new(rollup: RollupConfig, config: BatcherConfig, seed: [u8; 32]) -> Self {
        Self {
            rollup,
            config,
            seed,
            channels_opened: 0,
            next_tx: 0,
            safe: None,
            tip: None,
            queue: VecDeque::new(),
            open: None,
            channels: VecDeque::new(),
            stats: ManagerStats::default(),
        }
    }

    /// The settings.
    pub fn config(&self) -> &BatcherConfig {
        &self.config
    }

    /// Counters so far.
    pub fn stats(&self) -> ManagerStats {
        self.stats
    }

    /// The newest block received.
    pub fn tip(&self) -> Option<BlockId> {
        self.tip
    }

    /// The L2 safe head last reported.
    pub fn safe_head(&self) -> Option<BlockId> {
        self.safe
    }

    /// The L2 block to load next: after the newest received, else after the safe head
    /// (a fresh start or a reset starts from the safe head + 1, so nothing safe is posted
    /// again and nothing is skipped). `None` before the safe head is known.
    pub fn next_block_to_load(&self) -> Option<u64> {
        self.tip.or(self.safe).map(|b| b.number.saturating_add(1))
    }

    /// Blocks held, queued or in unsafe channels.
    pub fn pending_blocks(&self) -> usize {
        self.queue.len()
            + self.open.as_ref().map_or(0, |o| o.blocks.len())
            + self.channels.iter().map(|c| c.blocks.len()).sum::<usize>()
    }

    /// Whether frames are waiting to be handed out or transactions to be settled.
    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
            && self.open.is_none()
            && self.channels.iter().all(|c| c.is_complete())
    }

    /// Adds the next L2 block.
    ///
    /// Spec: protocol/derivation.md#batch-queue (batches must extend the safe chain; a block
    /// whose parent changed is on another chain); op-batcher `channelManager.AddL2Block`
    /// (`ErrReorg`).
    pub fn add_block(&mut self, block: BatchBlock) -> Result<(), AddBlockError> {
        if let Some(expected) = self.tip.or(self.safe)
            && (block.id.number != expected.number.saturating_add(1)
                || block.parent_hash() != expected.hash)
        {
            let err = AddBlockError::Reorg {
                number: block.id.number,
                parent: block.parent_hash(),
                expected_number: expected.number.saturating_add(1),
                expected: expected.hash,
            };
            self.reset();
            self.stats.l2_reorgs += 1;
            return Err(err);
        }
        if self.pending_blocks() >= MAX_PENDING_BLOCKS {
            return Err(AddBlockError::Full);
        }
        self.tip = Some(block.id);
        self.queue.push_back(block);
        Ok(())
    }

    /// Drops every pending block, channel and transaction; loading resumes after the safe
    /// head (op-batcher `channelManager.Clear`).
    pub fn reset(&mut self) {
        self.tip = None;
        self.queue.clear();
        self.open = None;
        self.channels.clear();
    }

    /// The rollup node's L2 safe head. Blocks at or below it are dropped; if the block held
    /// at that height differs, the safe head passed everything held, or it went back below
    /// the oldest block held (blocks after it were dropped as safe, so nothing would post
    /// them again), the pending state is reset (op-batcher `computeSyncActions`). Returns
    /// whether it reset.
    ///
    /// The safe head goes back when an L1 reorg removed the batches it was derived from: the
    /// rollup node's reset walks it back (protocol/derivation.md#finding-the-sync-starting-point).
    ///
    /// Spec: protocol/derivation.md#l2-chain-derivation-pipeline (safe blocks are derived from
    /// L1 and need no batch).
    pub fn on_safe_head(&mut self, safe: BlockId) -> bool {
        self.safe = Some(safe);
        let held = self.held_block(safe.number).map(|b| b.id.hash);
        let behind = self.tip.is_some_and(|t| t.number < safe.number);
        let next = safe.number.saturating_add(1);
        let gap = match self.oldest_held() {
            Some(oldest) => oldest > next,
            None => self.tip.is_some_and(|t| t.number > safe.number),
        };
        if held.is_some_and(|h| h != safe.hash) || behind || gap {
            self.reset();
            return true;
        }
        while self
            .channels
            .front()
            .is_some_and(|c| c.last_block().is_some_and(|n| n <= safe.number))
        {
            self.channels.pop_front();
        }
        if self
            .open
            .as_ref()
            .and_then(|o| o.blocks.first())
            .is_some_and(|b| b.id.number <= safe.number)
        {
            // Part of the open channel is already safe (another batcher, or an earlier run):
            // rebuild from the first unsafe block.
            if let Some(open) = self.open.take() {
                for b in open.blocks.into_iter().rev() {
                    self.queue.push_front(b);
                }
            }
        }
        while self
            .queue
            .front()
            .is_some_and(|b| b.id.number <= safe.number)
        {
            self.queue.pop_front();
        }
        false
    }

    /// Number of the oldest block held (channels are in block order, then the open
    /// channel, then the queue).
    fn oldest_held(&self) -> Option<u64> {
        self.channels
            .iter()
            .flat_map(|c| c.blocks.first())
            .chain(self.open.iter().flat_map(|o| o.blocks.first()))
            .chain(self.queue.front())
            .map(|b| b.id.number)
            .next()
    }

    fn held_block(&self, number: u64) -> Option<&BatchBlock> {
        self.channels
            .iter()
            .flat_map(|c| c.blocks.iter())
            .chain(self.open.iter().flat_map(|o| o.blocks.iter()))
            .chain(self.queue.iter())
            .find(|b| b.id.number == number)
    }

    /// Closes channels the L1 head has timed out and rebuilds channels that can no longer
    /// land within `CHANNEL_TIMEOUT`.
    pub fn on_l1_head(&mut self, head: L1Head) {
        if let Some(i) = self
            .channels
            .iter()
            .position(|c| c.timed_out_at(head.number))
        {
            self.stats.channels_timed_out += 1;
            self.rebuild_from(i);
        }
    }

    /// L1 blocks above `last_valid` were replaced: frames confirmed in them are queued again.
    /// Returns the number of transactions undone.
    pub fn on_l1_reorg(&mut self, last_valid: u64) -> usize {
        self.channels
            .iter_mut()
            .map(|c| c.l1_reorg(last_valid))
            .sum()
    }

    /// L1 blocks holding confirmed batcher transactions of channels not yet safe; the I/O
    /// layer checks they are still canonical.
    pub fn confirmed_inclusions(&self) -> Vec<BlockId> {
        let mut v: Vec<BlockId> = self.channels.iter().flat_map(|c| c.inclusions()).collect();
        v.sort_by_key(|b| b.number);
        v.dedup();
        v
    }

    /// Channel `i` and everything after it go back to the block queue.
    fn rebuild_from(&mut self, i: usize) {
        let mut blocks: Vec<BatchBlock> = self.channels.drain(i..).flat_map(|c| c.blocks).collect();
        if let Some(open) = self.open.take() {
            blocks.extend(open.blocks);
        }
        blocks.extend(self.queue.drain(..));
        self.queue = blocks.into();
    }

    /// Transaction `id` failed (dropped, reverted, aborted): its frames go out again.
    pub fn tx_failed(&mut self, id: TxId) -> TxOutcome {
        match self.channels.iter_mut().find(|c| c.owns(id)) {
            Some(c) => match c.tx_failed(id) {
                true => TxOutcome::Recorded,
                false => TxOutcome::Unknown,
            },
            None => TxOutcome::Unknown,
        }
    }

    /// Transaction `id` is in L1 block `at` (with the confirmations the caller requires).
    ///
    /// Spec: protocol/derivation.md#channel-bank (channel timeout); op-batcher
    /// `channel.TxConfirmed`.
    pub fn tx_confirmed(&mut self, id: TxId, at: BlockId) -> TxOutcome {
        let Some(i) = self.channels.iter().position(|c| c.owns(id)) else {
            return TxOutcome::Unknown;
        };
        match self
            .channels
            .get_mut(i)
            .and_then(|c| c.tx_confirmed(id, at))
        {
            None => TxOutcome::Unknown,
            Some(Confirmation::InProgress) => TxOutcome::Recorded,
            Some(Confirmation::Complete) => TxOutcome::ChannelComplete,
            Some(Confirmation::TimedOut) => {
                self.stats.channels_timed_out += 1;
                self.rebuild_from(i);
                TxOutcome::ChannelTimedOut
            }
        }
    }

    /// The next payload to post, if any: queued frames of the oldest channel first, else
    /// blocks into the open channel, closing it when full or timed out.
    pub fn next_tx_data(&mut self, head: L1Head) -> Result<Option<TxData>, ManagerError> {
        self.on_l1_head(head);
        if let Some(tx) = self.take_queued(head) {
            return Ok(Some(tx));
        }
        self.fill(head)?;
        let close = self
            .open
            .as_ref()
            .is_some_and(|o| o.builder.is_full() || head.number >= o.timeout);
        if close {
            self.close()?;
        }
        Ok(self.take_queued(head))
    }

    /// Closes the open channel now, with whatever blocks are queued (shutdown, tests; op-batcher
    /// `channelManager.Close`), and returns the next payload.
    pub fn flush(&mut self, head: L1Head) -> Result<Option<TxData>, ManagerError> {
        self.on_l1_head(head);
        if let Some(tx) = self.take_queued(head) {
            return Ok(Some(tx));
        }
        self.fill(head)?;
        if self.open.is_some() {
            self.close()?;
        }
        Ok(self.take_queued(head))
    }

    fn take_queued(&mut self, head: L1Head) -> Option<TxData> {
        let per_tx = self
            .config
            .frames_per_tx(self.rollup.l1_chain_id, head.timestamp);
        let channel = self.channels.iter_mut().find(|c| c.has_queued())?;
        let id = TxId(self.next_tx);
        self.next_tx += 1;
        let frames = channel.take_frames(id, per_tx);
        let tx = TxData {
            id,
            channel_id: channel.id,
            frames,
            data_availability: self.config.data_availability,
        };
        self.stats.txs_built += 1;
        self.stats.bytes_built += tx.len() as u64;
        Some(tx)
    }

    /// Moves queued blocks into the open channel (opening one if needed) until it is full.
    fn fill(&mut self, head: L1Head) -> Result<(), ManagerError> {
        while let Some(block) = self.queue.pop_front() {
            if self.open.is_none() {
                self.open = Some(self.open_channel(head, &block)?);
            }
            let Some(open) = self.open.as_mut() else {
                break;
            };
            match open
                .builder
                .add_block(block.batch.clone(), block.sequence_number)
            {
                Ok(()) => {
                    open.blocks.push(block);
                    if open.builder.is_full() {
                        break;
                    }
                }
                Err(ChannelBuilderError::Full { .. }) => {
                    self.queue.push_front(block);
                    break;
                }
                Err(source) => {
                    let number = block.id.number;
                    self.queue.push_front(block);
                    return Err(ManagerError::Block { number, source });
                }
            }
        }
        Ok(())
    }

    /// A new channel for blocks starting at `first`, configured for the forks active at the
    /// L1 head, with its timeout: the max duration from now, or the end of the first block's
    /// sequencing window less the safety margin, whichever is sooner (op-batcher
    /// `updateDurationTimeout`, `updateSwTimeout`).
    ///
    /// Spec: protocol/derivation.md#batch-queue (a batch must land within
    /// `SEQUENCING_WINDOW_SIZE` of its epoch).
    fn open_channel(
        &mut self,
        head: L1Head,
        first: &BatchBlock,
    ) -> Result<OpenChannel, ManagerError> {
        let cfg = self
            .config
            .channel_config(&self.rollup, head.timestamp, first.l1_origin_time);
        let mut pre = Vec::with_capacity(40);
        pre.extend_from_slice(&self.seed);
        pre.extend_from_slice(&self.channels_opened.to_be_bytes());
        self.channels_opened += 1;
        let id = B128::from_slice(keccak256(&pre).get(..16).unwrap_or(&[0; 16]));
        let builder = ChannelBuilder::new(cfg, id).map_err(|source| ManagerError::Close {
            channel: id,
            source,
        })?;
        let sw_timeout = first
            .l1_origin
            .number
            .saturating_add(self.rollup.seq_window_size)
            .saturating_sub(self.config.sub_safety_margin);
        let duration_timeout = match self.config.max_channel_duration {
            0 => u64::MAX,
            d => head.number.saturating_add(d),
        };
        Ok(OpenChannel {
            builder,
            blocks: Vec::new(),
            timeout: sw_timeout.min(duration_timeout),
            channel_timeout: self.rollup.channel_timeout(head.timestamp),
        })
    }

    fn close(&mut self) -> Result<(), ManagerError> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        if open.blocks.is_empty() {
            return Ok(());
        }
        let id = open.builder.channel_id();
        match open.builder.output_frames() {
            Ok(frames) => {
                self.stats.channels_closed += 1;
                self.channels.push_back(PendingChannel::new(
                    id,
                    open.blocks,
                    frames,
                    open.channel_timeout,
                ));
                Ok(())
            }
            Err(source) => {
                for b in open.blocks.into_iter().rev() {
                    self.queue.push_front(b);
                }
                Err(ManagerError::Close {
                    channel: id,
                    source,
                })
            }
        }
    }

    /// Frames of the channel that carries L2 block `number`, if it is closed (tests, status).
    pub fn channel_frame_count(&self, number: u64) -> Option<usize> {
        self.channels
            .iter()
            .find(|c| c.blocks.iter().any(|b| b.id.number == number))
            .map(|c| c.frame_count())
    }
}
