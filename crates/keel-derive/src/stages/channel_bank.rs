//! Channel bank (before Holocene): buffers channels in FIFO order, times them out, prunes
//! the oldest when the bank is too large, and hands out ready channels.
//!
//! Spec: protocol/derivation.md#channel-bank.

use std::{
    collections::{HashMap, VecDeque},
    sync::Arc,
};

use keel_protocol::{
    channel::{Channel, ChannelError},
    frame::{ChannelId, Frame},
    hardfork::Hardfork,
    rollup_config::RollupConfig,
};

use crate::types::L1BlockRef;

/// A complete channel, ready for the channel reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadyChannel {
    /// The channel id.
    pub id: ChannelId,
    /// The channel's compressed bytes (frame data in frame order).
    pub data: Vec<u8>,
    /// Number of the L1 block in which the channel's first frame was seen.
    pub opened_at: u64,
    /// The L1 origin at which the channel was read: the inclusion block of its batches, as
    /// op-node's batch queue takes its origin at read time. Before Canyon a ready channel
    /// behind an unready head is read later, so this can be after its last frame's block.
    pub l1: L1BlockRef,
}

/// Why the channel bank dropped a frame (log-worthy, not a pipeline error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelBankError {
    /// The frame's channel is timed out but not yet removed.
    ///
    /// Spec: protocol/derivation.md#loading-frames.
    #[error(
        "channel {channel} opened in L1 block {open_l1_block} is timed out at {current_l1_block}"
    )]
    TimedOut {
        /// The channel.
        channel: ChannelId,
        /// Where it was opened.
        open_l1_block: u64,
        /// The L1 block of the frame.
        current_l1_block: u64,
    },
    /// The channel refused the frame (duplicate, duplicate close, past the end).
    #[error(transparent)]
    Rejected(#[from] ChannelError),
}

/// The pre-Holocene channel bank.
///
/// Bound: after every [`ChannelBank::add_frame`] the total size (frame data plus 200 bytes per
/// frame) is at most `max_channel_bank_size` at that frame's L1 timestamp.
///
/// Spec: protocol/derivation.md#channel-bank, protocol/fjord/derivation.md (bank size).
#[derive(Debug, Clone)]
pub struct ChannelBank {
    cfg: Arc<RollupConfig>,
    /// Buffered channels by id (a frame finds its channel in O(1), as op-node's map).
    channels: HashMap<ChannelId, Channel>,
    /// Channel ids in the order their first frame was seen (the spec's channel queue).
    queue: VecDeque<ChannelId>,
    total_size: usize,
}

impl ChannelBank {
    /// An empty bank.
    pub fn new(cfg: Arc<RollupConfig>) -> Self {
        Self {
            cfg,
            channels: HashMap::new(),
            queue: VecDeque::new(),
            total_size: 0,
        }
    }

    /// Adds a frame included in L1 block `l1` (the current origin, in op-node's driving), then
    /// prunes. Returns how many channels pruning dropped.
    ///
    /// An unknown channel id opens a channel tagged with `l1` at the back of the queue (even if
    /// the frame is then refused, as op-node). A frame of a timed-out channel is dropped.
    /// After an accepted frame, the oldest channels are dropped until the total size is at
    /// most `MAX_CHANNEL_BANK_SIZE` (`max_channel_bank_size(l1.timestamp)`).
    ///
    /// Spec: protocol/derivation.md#loading-frames, protocol/derivation.md#pruning.
    pub fn add_frame(&mut self, frame: Frame, l1: L1BlockRef) -> Result<usize, ChannelBankError> {
        let timeout = self.cfg.channel_timeout(l1.timestamp);
        let id = frame.channel_id;
        let ch = self.channels.entry(id).or_insert_with(|| {
            self.queue.push_back(id);
            Channel::new(id, l1.number)
        });
        if ch.is_timed_out(l1.number, timeout) {
            return Err(ChannelBankError::TimedOut {
                channel: ch.id(),
                open_l1_block: ch.open_l1_block(),
                current_l1_block: l1.number,
            });
        }
        let before = ch.size();
        ch.add_frame(frame, l1.number)?;
        self.total_size = self
            .total_size
            .saturating_sub(before)
            .saturating_add(ch.size());
        Ok(self.prune(l1.timestamp))
    }

    /// Drops channels oldest first while the bank is over its size limit.
    fn prune(&mut self, timestamp: u64) -> usize {
        let max = usize::try_from(self.cfg.max_channel_bank_size(timestamp)).unwrap_or(usize::MAX);
        let mut pruned = 0;
        while self.total_size > max {
            let Some(id) = self.queue.pop_front() else {
                break;
            };
            self.drop_channel(&id);
            pruned += 1;
        }
        pruned
    }

    /// Removes a channel from the map and its size from the total (the caller fixes `queue`).
    fn drop_channel(&mut self, id: &ChannelId) -> Option<Channel> {
        let ch = self.channels.remove(id)?;
        self.total_size = self.total_size.saturating_sub(ch.size());
        Some(ch)
    }

    /// Reads the next ready channel at L1 origin `current_l1`, or `None` if none is ready
    /// (then the next frame should be added).
    ///
    /// First, while the oldest channel is timed out, it is removed. Then before Canyon only the
    /// oldest channel is read, if ready; from Canyon (by `current_l1`'s timestamp, as op-node's
    /// `IsCanyon(origin.Time)`) the first ready, not timed-out channel in FIFO order is read.
    ///
    /// Spec: protocol/derivation.md#reading, protocol/derivation.md#timeouts.
    pub fn next_channel(&mut self, current_l1: L1BlockRef) -> Option<ReadyChannel> {
        let timeout = self.cfg.channel_timeout(current_l1.timestamp);
        while let Some(head) = self.queue.front().copied() {
            let timed_out = self
                .channels
                .get(&head)
                .is_none_or(|c| c.is_timed_out(current_l1.number, timeout));
            if !timed_out {
                break;
            }
            self.queue.pop_front();
            self.drop_channel(&head);
        }
        let channels = &self.channels;
        let readable = |id: &ChannelId| {
            channels
                .get(id)
                .is_some_and(|c| c.is_ready() && !c.is_timed_out(current_l1.number, timeout))
        };
        let idx = if self.cfg.is_active(Hardfork::Canyon, current_l1.timestamp) {
            self.queue.iter().position(readable)?
        } else {
            self.queue.front().filter(|id| readable(id)).map(|_| 0)?
        };
        let id = self.queue.remove(idx)?;
        let ch = self.drop_channel(&id)?;
        let data = ch.data()?;
        Some(ReadyChannel {
            id,
            data,
            opened_at: ch.open_l1_block(),
            l1: current_l1,
        })
    }

    /// Sum of the buffered channels' sizes (frame data plus 200 bytes per frame).
    ///
    /// Spec: protocol/derivation.md#pruning.
    pub fn total_size(&self) -> usize {
        self.total_size
    }

    /// Number of buffered channels.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no channel is buffered.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Buffered channel ids, oldest first.
    pub fn channel_ids(&self) -> impl Iterator<Item = ChannelId> + '_ {
        self.queue.iter().copied()
    }

    /// Drops every channel (pipeline reset).
    ///
    /// Spec: protocol/derivation.md#resetting-derivation-stages.
    pub fn clear(&mut self) {
        self.channels.clear();
        self.queue.clear();
        self.total_size = 0;
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{B128, Bytes};
    use keel_protocol::{channel::CHANNEL_BANK_FRAME_OVERHEAD, hardfork::HardforkTimes};

    use super::*;

    fn f(id: u8, number: u16, data: &'static [u8], is_last: bool) -> Frame {
        Frame {
            channel_id: B128::repeat_byte(id),
            number,
            data: Bytes::from_static(data),
            is_last,
        }
    }

    fn at(number: u64) -> L1BlockRef {
        L1BlockRef {
            number,
            timestamp: number,
            ..Default::default()
        }
    }

    fn bank(canyon: Option<u64>) -> ChannelBank {
        ChannelBank::new(Arc::new(RollupConfig {
            channel_timeout: 10,
            hardforks: HardforkTimes {
                canyon_time: canyon,
                ..Default::default()
            },
            ..Default::default()
        }))
    }

    #[test]
    fn total_size_tracks_closing_prune_and_reads() {
        let mut b = bank(Some(0));
        b.add_frame(f(1, 0, b"a", false), at(1)).unwrap();
        b.add_frame(f(1, 5, b"later", false), at(1)).unwrap();
        assert_eq!(b.total_size(), 6 + 2 * CHANNEL_BANK_FRAME_OVERHEAD);
        // Closing at 1 removes frame 5 from the channel and from the total.
        b.add_frame(f(1, 1, b"b", true), at(2)).unwrap();
        assert_eq!(b.total_size(), 2 + 2 * CHANNEL_BANK_FRAME_OVERHEAD);
        let ch = b.next_channel(at(2)).unwrap();
        assert_eq!(
            (ch.data.as_slice(), ch.opened_at, ch.l1),
            (b"ab".as_ref(), 1, at(2))
        );
        assert_eq!(b.total_size(), 0);
    }

    #[test]
    fn canyon_switch_is_by_the_reading_origin() {
        // Canyon at time 5: a ready channel behind an unready head is read only from then.
        let mut b = bank(Some(5));
        b.add_frame(f(1, 0, b"head", false), at(1)).unwrap();
        b.add_frame(f(2, 0, b"ready", true), at(2)).unwrap();
        assert_eq!(b.next_channel(at(4)), None);
        let ch = b.next_channel(at(5)).unwrap();
        assert_eq!(ch.id, B128::repeat_byte(2));
        assert_eq!(
            b.channel_ids().collect::<Vec<_>>(),
            vec![B128::repeat_byte(1)]
        );
    }

    #[test]
    fn timed_out_ready_channel_behind_head_is_not_read() {
        let mut b = bank(Some(0));
        b.add_frame(f(1, 0, b"head", false), at(5)).unwrap();
        b.add_frame(f(2, 0, b"x", false), at(1)).unwrap();
        b.add_frame(f(2, 1, b"y", true), at(1)).unwrap();
        // Channel 2 was opened at 1 (after channel 1 in queue order): at 12 it is timed
        // out (1 + 10 < 12) while the head (5) is not, so it is skipped, not read.
        let mut b2 = b.clone();
        assert_eq!(b2.next_channel(at(12)), None);
        assert_eq!(b2.len(), 2);
        assert!(b.next_channel(at(11)).is_some());
    }
}
