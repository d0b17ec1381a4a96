//! A channel being assembled from frames, under the pre-Holocene channel-bank rules.
//!
//! Frames may arrive out of order and from several L1 blocks. The channel-bank stage (in
//! `keel-derive`) owns the queue of channels, pruning and reading; this type holds one channel
//! and applies the per-channel insertion rules.
//!
//! Spec: protocol/derivation.md#channel-bank (Loading frames, Timeouts, Reading).

use std::collections::BTreeMap;

use alloy_primitives::Bytes;

use crate::frame::{ChannelId, Frame};

/// Per-frame overhead counted in a channel's size for channel-bank pruning.
///
/// This is not the 23-byte wire overhead ([`crate::frame::FRAME_OVERHEAD`]): the spec charges
/// 200 bytes per buffered frame so that many tiny frames cannot evade the bank's size bound.
///
/// Spec: protocol/derivation.md#pruning ("an additional frame-overhead of `200` bytes per frame").
pub const CHANNEL_BANK_FRAME_OVERHEAD: usize = 200;

/// Why a frame was not added to a channel. Each is a "drop the frame" outcome, not a failure
/// of the channel.
///
/// Spec: protocol/derivation.md#loading-frames.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// The frame belongs to another channel.
    #[error("frame of channel {got} offered to channel {expected}")]
    WrongChannel {
        /// This channel's id.
        expected: ChannelId,
        /// The frame's channel id.
        got: ChannelId,
    },
    /// A second closing frame; the channel already closed at `end`.
    #[error("duplicate closing frame {number} (channel {channel} already closed at {end})")]
    DuplicateClose {
        /// The channel.
        channel: ChannelId,
        /// The rejected frame's number.
        number: u16,
        /// The existing closing frame number.
        end: u16,
    },
    /// A frame number that is already buffered.
    #[error("duplicate frame {number} of channel {channel}")]
    DuplicateFrame {
        /// The channel.
        channel: ChannelId,
        /// The repeated frame number.
        number: u16,
    },
    /// Holocene: a frame that is not the next in sequence.
    #[error("frame {number} of channel {channel} out of order, expected {expected}")]
    OutOfOrder {
        /// The channel.
        channel: ChannelId,
        /// The rejected frame's number.
        number: u16,
        /// The number the channel needed next.
        expected: usize,
    },
    /// A frame numbered at or past the closing frame of a closed channel.
    #[error("frame {number} of channel {channel} is past its closing frame {end}")]
    PastEnd {
        /// The channel.
        channel: ChannelId,
        /// The rejected frame's number.
        number: u16,
        /// The closing frame number.
        end: u16,
    },
}

/// One channel's buffered frames.
///
/// Spec: protocol/derivation.md#channel-bank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    id: ChannelId,
    open_l1_block: u64,
    highest_l1_block: u64,
    /// Number of the closing frame, once seen.
    end: Option<u16>,
    frames: BTreeMap<u16, Bytes>,
    size: usize,
    /// Holocene: frames must arrive as 0, 1, 2, ...
    in_order: bool,
}

impl Channel {
    /// A new, empty channel first seen in L1 block `open_l1_block`.
    pub fn new(id: ChannelId, open_l1_block: u64) -> Self {
        Self {
            id,
            open_l1_block,
            highest_l1_block: open_l1_block,
            end: None,
            frames: BTreeMap::new(),
            size: 0,
            in_order: false,
        }
    }

    /// A channel that only accepts frames in order (0, 1, 2, ...), for Holocene's staging
    /// channel. The Holocene frame queue already drops out-of-order frames; like op-node, the
    /// channel checks again.
    ///
    /// Spec: protocol/holocene/derivation.md#reading--frame-loading.
    pub fn new_in_order(id: ChannelId, open_l1_block: u64) -> Self {
        Self {
            in_order: true,
            ..Self::new(id, open_l1_block)
        }
    }

    /// The channel id.
    pub fn id(&self) -> ChannelId {
        self.id
    }

    /// The L1 block in which the channel's first frame was seen.
    ///
    /// Spec: protocol/derivation.md#timeouts (`channel.open_l1_block`).
    pub fn open_l1_block(&self) -> u64 {
        self.open_l1_block
    }

    /// Adds a frame seen in L1 block `l1_block`, or says why it is dropped.
    ///
    /// Rules, in op-node's order: the id must match; a second closing frame is dropped; a
    /// duplicate frame number is dropped; on a closed channel a frame at or past the closing
    /// number is dropped. A closing frame removes any buffered frames numbered above it.
    /// Timeouts are the channel bank's check ([`Channel::is_timed_out`]), made before calling this.
    ///
    /// Spec: protocol/derivation.md#loading-frames.
    pub fn add_frame(&mut self, frame: Frame, l1_block: u64) -> Result<(), ChannelError> {
        let channel = self.id;
        if frame.channel_id != channel {
            return Err(ChannelError::WrongChannel {
                expected: channel,
                got: frame.channel_id,
            });
        }
        if let (true, Some(end)) = (frame.is_last, self.end) {
            return Err(ChannelError::DuplicateClose {
                channel,
                number: frame.number,
                end,
            });
        }
        if self.frames.contains_key(&frame.number) {
            return Err(ChannelError::DuplicateFrame {
                channel,
                number: frame.number,
            });
        }
        if let Some(end) = self.end
            && frame.number >= end
        {
            return Err(ChannelError::PastEnd {
                channel,
                number: frame.number,
                end,
            });
        }
        if self.in_order && usize::from(frame.number) != self.frames.len() {
            return Err(ChannelError::OutOfOrder {
                channel,
                number: frame.number,
                expected: self.frames.len(),
            });
        }
        if frame.is_last {
            self.end = Some(frame.number);
            // Frames above the closing number can never be part of the channel.
            let pruned = self.frames.split_off(&frame.number);
            for data in pruned.values() {
                self.size = self.size.saturating_sub(frame_size(data));
            }
        }
        self.highest_l1_block = self.highest_l1_block.max(l1_block);
        self.size = self.size.saturating_add(frame_size(&frame.data));
        self.frames.insert(frame.number, frame.data);
        Ok(())
    }

    /// Whether the closing frame has been seen and every frame `0..=closing` is present.
    ///
    /// Spec: protocol/derivation.md#reading ("A channel is ready if ...").
    pub fn is_ready(&self) -> bool {
        match self.end {
            // Keys are unique and, once closed, all <= end; so count == end + 1 means 0..=end.
            Some(end) => self.frames.len() == usize::from(end).saturating_add(1),
            None => false,
        }
    }

    /// Whether the closing frame has been seen.
    pub fn is_closed(&self) -> bool {
        self.end.is_some()
    }

    /// The closing frame's number, once seen.
    pub fn end_frame_number(&self) -> Option<u16> {
        self.end
    }

    /// Number of frames buffered.
    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    /// Buffered frames' numbers and data, in frame order.
    pub fn frames(&self) -> impl Iterator<Item = (u16, &Bytes)> {
        self.frames.iter().map(|(n, d)| (*n, d))
    }

    /// The channel's size for channel-bank pruning: buffered frame data plus
    /// [`CHANNEL_BANK_FRAME_OVERHEAD`] per frame.
    ///
    /// This follows the spec. op-node's `AddFrame`, when a closing frame prunes higher frames,
    /// subtracts the size of *every* buffered frame (not only the pruned ones), so its size is
    /// then smaller than the spec's; the difference only matters when a bank nears
    /// `MAX_CHANNEL_BANK_SIZE`.
    ///
    /// Spec: protocol/derivation.md#pruning.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The highest L1 block in which a frame of this channel was seen (starts at the open block).
    pub fn highest_l1_block(&self) -> u64 {
        self.highest_l1_block
    }

    /// Whether the channel is timed out at `current_l1_block`:
    /// `current_l1_block > open_l1_block + channel_timeout`.
    ///
    /// Spec: protocol/derivation.md#timeouts.
    pub fn is_timed_out(&self, current_l1_block: u64, channel_timeout: u64) -> bool {
        // Saturating: an open block near u64::MAX simply never times out, rather than wrapping.
        current_l1_block > self.open_l1_block.saturating_add(channel_timeout)
    }

    /// The channel's bytes (frame data in frame order), once ready.
    ///
    /// Spec: protocol/derivation.md#frame-format (`frame_data` is "logically after the bytes
    /// from the previous frames").
    pub fn data(&self) -> Option<Vec<u8>> {
        if !self.is_ready() {
            return None;
        }
        let len = self
            .frames
            .values()
            .fold(0usize, |acc, d| acc.saturating_add(d.len()));
        let mut out = Vec::with_capacity(len);
        for data in self.frames.values() {
            out.extend_from_slice(data);
        }
        Some(out)
    }
}

fn frame_size(data: &Bytes) -> usize {
    data.len().saturating_add(CHANNEL_BANK_FRAME_OVERHEAD)
}

/// Groups frames into channels in first-seen order, applying [`Channel::add_frame`]'s rules
/// (dropped frames are skipped). For tooling: no timeouts, every frame counts as L1 block 0.
/// Use [`Channel::is_ready`] / [`Channel::data`] to see which completed.
pub fn assemble_channels(frames: &[Frame]) -> Vec<Channel> {
    let mut channels: Vec<Channel> = Vec::new();
    for frame in frames {
        let idx = match channels.iter().position(|c| c.id == frame.channel_id) {
            Some(i) => i,
            None => {
                channels.push(Channel::new(frame.channel_id, 0));
                channels.len().saturating_sub(1)
            }
        };
        if let Some(ch) = channels.get_mut(idx) {
            // A dropped frame is the expected outcome for duplicates; tooling just skips it.
            let _ = ch.add_frame(frame.clone(), 0);
        }
    }
    channels
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B128;

    use super::*;

    fn f(number: u16, data: &[u8], is_last: bool) -> Frame {
        Frame {
            channel_id: B128::repeat_byte(1),
            number,
            data: Bytes::copy_from_slice(data),
            is_last,
        }
    }

    #[test]
    fn out_of_order_assembly() {
        let mut ch = Channel::new(B128::repeat_byte(1), 10);
        ch.add_frame(f(2, b"c", true), 12).unwrap();
        assert!(!ch.is_ready());
        assert_eq!(ch.data(), None);
        ch.add_frame(f(0, b"a", false), 11).unwrap();
        ch.add_frame(f(1, b"b", false), 11).unwrap();
        assert!(ch.is_ready());
        assert_eq!(ch.data().unwrap(), b"abc");
        assert_eq!(ch.highest_l1_block(), 12);
        assert_eq!(ch.size(), 3 * (1 + CHANNEL_BANK_FRAME_OVERHEAD));
    }

    #[test]
    fn drop_rules() {
        let mut ch = Channel::new(B128::repeat_byte(1), 0);
        ch.add_frame(f(0, b"a", false), 0).unwrap();
        assert_eq!(
            ch.add_frame(f(0, b"z", false), 0),
            Err(ChannelError::DuplicateFrame {
                channel: ch.id(),
                number: 0
            })
        );
        let mut other = f(1, b"", false);
        other.channel_id = B128::repeat_byte(2);
        assert!(matches!(
            ch.add_frame(other, 0),
            Err(ChannelError::WrongChannel { .. })
        ));
        ch.add_frame(f(1, b"b", true), 0).unwrap();
        assert!(matches!(
            ch.add_frame(f(5, b"", true), 0),
            Err(ChannelError::DuplicateClose { end: 1, .. })
        ));
        assert!(matches!(
            ch.add_frame(f(2, b"", false), 0),
            Err(ChannelError::PastEnd { end: 1, .. })
        ));
        // A duplicate of the closing frame number is a duplicate (checked before past-end).
        assert!(matches!(
            ch.add_frame(f(1, b"", false), 0),
            Err(ChannelError::DuplicateFrame { .. })
        ));
        assert_eq!(ch.data().unwrap(), b"ab");
    }

    #[test]
    fn closing_frame_prunes_higher_frames() {
        let mut ch = Channel::new(B128::repeat_byte(1), 0);
        ch.add_frame(f(0, b"a", false), 0).unwrap();
        ch.add_frame(f(4, b"eeee", false), 0).unwrap();
        ch.add_frame(f(7, b"hh", false), 0).unwrap();
        ch.add_frame(f(1, b"b", true), 0).unwrap();
        assert_eq!(ch.frame_count(), 2);
        assert_eq!(ch.size(), 2 * (1 + CHANNEL_BANK_FRAME_OVERHEAD));
        assert_eq!(ch.data().unwrap(), b"ab");
    }

    #[test]
    fn in_order_channel_rejects_gaps() {
        let mut ch = Channel::new_in_order(B128::repeat_byte(1), 0);
        assert!(matches!(
            ch.add_frame(f(1, b"b", false), 0),
            Err(ChannelError::OutOfOrder {
                number: 1,
                expected: 0,
                ..
            })
        ));
        ch.add_frame(f(0, b"a", false), 0).unwrap();
        ch.add_frame(f(1, b"b", true), 0).unwrap();
        assert_eq!(ch.data().unwrap(), b"ab");
    }

    #[test]
    fn timeout_rule() {
        let ch = Channel::new(B128::ZERO, 100);
        assert!(!ch.is_timed_out(150, 50));
        assert!(ch.is_timed_out(151, 50));
        assert!(!Channel::new(B128::ZERO, u64::MAX).is_timed_out(u64::MAX, 10));
    }

    #[test]
    fn single_closing_frame_zero() {
        let mut ch = Channel::new(B128::repeat_byte(1), 0);
        ch.add_frame(f(0, b"", true), 0).unwrap();
        assert!(ch.is_ready());
        assert_eq!(ch.data().unwrap(), b"");
    }

    #[test]
    fn assemble_groups_in_first_seen_order() {
        let mut b0 = f(0, b"x", true);
        b0.channel_id = B128::repeat_byte(9);
        let frames = vec![f(1, b"b", true), b0, f(0, b"a", false), f(0, b"dup", false)];
        let chans = assemble_channels(&frames);
        assert_eq!(chans.len(), 2);
        assert_eq!(chans[0].id(), B128::repeat_byte(1));
        assert_eq!(chans[0].data().unwrap(), b"ab");
        assert_eq!(chans[1].data().unwrap(), b"x");
    }
}
