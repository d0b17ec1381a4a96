//! A closed channel on its way to L1: its blocks, its frames, and the fate of each frame.

use std::collections::{BTreeMap, BTreeSet};

use keel_protocol::{
    frame::{ChannelId, Frame},
    rollup_config::BlockId,
};

use crate::{block::BatchBlock, tx_data::TxId};

/// A channel whose frames are cut, tracked frame by frame: queued (to send), pending (in a
/// transaction not yet settled) or confirmed (in an L1 block).
#[derive(Debug, Clone)]
pub(crate) struct PendingChannel {
    pub(crate) id: ChannelId,
    /// The L2 blocks it carries, oldest first; kept to rebuild the channel if it times out.
    pub(crate) blocks: Vec<BatchBlock>,
    frames: Vec<Frame>,
    /// Frame numbers to send, in order.
    queued: BTreeSet<u16>,
    pending: BTreeMap<TxId, Vec<u16>>,
    confirmed: BTreeMap<TxId, (Vec<u16>, BlockId)>,
    /// `CHANNEL_TIMEOUT` in force when the channel was built.
    channel_timeout: u64,
}

/// What a confirmation did to its channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Confirmation {
    /// Frames still to send or settle.
    InProgress,
    /// Every frame is in L1, within the channel timeout.
    Complete,
    /// The frames span more L1 blocks than the channel timeout: derivation drops the
    /// channel, so its blocks must go out again in a new one.
    TimedOut,
}

impl PendingChannel {
    pub(crate) fn new(
        id: ChannelId,
        blocks: Vec<BatchBlock>,
        frames: Vec<Frame>,
        channel_timeout: u64,
    ) -> Self {
        let queued = frames.iter().map(|f| f.number).collect();
        Self {
            id,
            blocks,
            frames,
            queued,
            pending: BTreeMap::new(),
            confirmed: BTreeMap::new(),
            channel_timeout,
        }
    }

    pub(crate) fn has_queued(&self) -> bool {
        !self.queued.is_empty()
    }

    pub(crate) fn owns(&self, tx: TxId) -> bool {
        self.pending.contains_key(&tx) || self.confirmed.contains_key(&tx)
    }

    /// Number of the last L2 block carried.
    pub(crate) fn last_block(&self) -> Option<u64> {
        self.blocks.last().map(|b| b.id.number)
    }

    /// Takes the next `max` queued frames, lowest numbers first, into a pending transaction.
    pub(crate) fn take_frames(&mut self, tx: TxId, max: usize) -> Vec<Frame> {
        let numbers: Vec<u16> = self.queued.iter().take(max.max(1)).copied().collect();
        for n in &numbers {
            self.queued.remove(n);
        }
        let frames = numbers
            .iter()
            .filter_map(|n| self.frames.get(usize::from(*n)).cloned())
            .collect();
        self.pending.insert(tx, numbers);
        frames
    }

    /// A transaction failed: its frames go back in the queue, ahead of later ones
    /// (op-batcher `channel.TxFailed`).
    pub(crate) fn tx_failed(&mut self, tx: TxId) -> bool {
        match self.pending.remove(&tx) {
            Some(numbers) => {
                self.queued.extend(numbers);
                true
            }
            None => false,
        }
    }

    /// A transaction is in L1 block `at`.
    ///
    /// Spec: protocol/derivation.md#channel-bank (a channel times out `CHANNEL_TIMEOUT` L1
    /// blocks after its first frame's inclusion); op-batcher `channel.isTimedOut`.
    pub(crate) fn tx_confirmed(&mut self, tx: TxId, at: BlockId) -> Option<Confirmation> {
        let numbers = self.pending.remove(&tx)?;
        self.confirmed.insert(tx, (numbers, at));
        Some(self.status())
    }

    fn inclusion_range(&self) -> Option<(u64, u64)> {
        let blocks = self.confirmed.values().map(|(_, b)| b.number);
        Some((blocks.clone().min()?, blocks.max()?))
    }

    fn status(&self) -> Confirmation {
        if let Some((min, max)) = self.inclusion_range()
            && max.saturating_sub(min) >= self.channel_timeout
        {
            return Confirmation::TimedOut;
        }
        if self.queued.is_empty() && self.pending.is_empty() {
            Confirmation::Complete
        } else {
            Confirmation::InProgress
        }
    }

    /// Whether, with the L1 head at `l1_head`, frames still unconfirmed can no longer land
    /// within the channel timeout of the first confirmed frame.
    pub(crate) fn timed_out_at(&self, l1_head: u64) -> bool {
        let incomplete = !(self.queued.is_empty() && self.pending.is_empty());
        match self.inclusion_range() {
            Some((min, _)) => incomplete && l1_head.saturating_sub(min) >= self.channel_timeout,
            None => false,
        }
    }

    /// L1 blocks above `last_valid` were reorged out: frames confirmed there are queued
    /// again. Returns how many transactions were undone.
    pub(crate) fn l1_reorg(&mut self, last_valid: u64) -> usize {
        let undone: Vec<TxId> = self
            .confirmed
            .iter()
            .filter(|(_, (_, at))| at.number > last_valid)
            .map(|(id, _)| *id)
            .collect();
        for id in &undone {
            if let Some((numbers, _)) = self.confirmed.remove(id) {
                self.queued.extend(numbers);
            }
        }
        undone.len()
    }

    /// The L1 blocks holding this channel's confirmed transactions.
    pub(crate) fn inclusions(&self) -> impl Iterator<Item = BlockId> + '_ {
        self.confirmed.values().map(|(_, b)| *b)
    }

    /// Whether every frame is confirmed.
    pub(crate) fn is_complete(&self) -> bool {
        self.status() == Confirmation::Complete
    }

    pub(crate) fn frame_count(&self) -> usize {
        self.frames.len()
    }
}
