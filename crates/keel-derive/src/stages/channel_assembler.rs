//! Channel assembler (from Holocene): a single staging channel built from in-order frames.
//!
//! Spec: protocol/holocene/derivation.md#channel-bank.

use std::sync::Arc;

use keel_protocol::{
    channel::{Channel, ChannelError},
    frame::{ChannelId, Frame},
    rollup_config::RollupConfig,
};

use super::channel_bank::ReadyChannel;
use crate::types::L1BlockRef;

/// Why the assembler dropped a frame (log-worthy, not a pipeline error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AssemblerError {
    /// A non-first frame with no staging channel (none open, or it was just dropped).
    #[error("frame {number} of channel {channel} has no open channel")]
    NoChannel {
        /// The frame's channel.
        channel: ChannelId,
        /// The frame's number.
        number: u16,
    },
    /// The staging channel refused the frame (another channel's, out of order, ...).
    #[error(transparent)]
    Rejected(#[from] ChannelError),
    /// The staging channel grew past `MAX_RLP_BYTES_PER_CHANNEL` and was dropped.
    ///
    /// Spec: protocol/holocene/derivation.md#pruning.
    #[error("channel {channel} size {size} exceeds {max}; dropped")]
    TooLarge {
        /// The dropped channel.
        channel: ChannelId,
        /// Its size (frame data plus 200 bytes per frame).
        size: usize,
        /// The limit.
        max: usize,
    },
}

/// The Holocene channel stage: at most one staging channel.
#[derive(Debug, Clone)]
pub struct ChannelAssembler {
    cfg: Arc<RollupConfig>,
    channel: Option<Channel>,
}

impl ChannelAssembler {
    /// An assembler with no staging channel.
    pub fn new(cfg: Arc<RollupConfig>) -> Self {
        Self { cfg, channel: None }
    }

    /// Drops the staging channel if it is timed out at `current_l1`; returns its id if so.
    ///
    /// Spec: protocol/holocene/derivation.md#timeout.
    pub fn check_timeout(&mut self, current_l1: L1BlockRef) -> Option<ChannelId> {
        let timeout = self.cfg.channel_timeout(current_l1.timestamp);
        let timed_out = self
            .channel
            .as_ref()
            .is_some_and(|c| c.is_timed_out(current_l1.number, timeout));
        if timed_out {
            self.channel.take().map(|c| c.id())
        } else {
            None
        }
    }

    /// Adds a frame included in L1 block `l1` (the current origin) and returns the channel
    /// if this frame completed it.
    ///
    /// In op-node's order: a timed-out staging channel is dropped first (so the next frame of
    /// it finds no channel, the spec's "frame and channel are dropped"); a frame 0 opens a new
    /// staging channel, replacing any unfinished one; a non-first frame with no channel is
    /// dropped; the channel checks order (`Channel::new_in_order`); a channel whose size
    /// (frame data plus 200 bytes per frame) then exceeds `max_rlp_bytes_per_channel` is
    /// dropped; a closing frame completes it.
    ///
    /// Spec: protocol/holocene/derivation.md#reading--frame-loading, protocol/holocene/derivation.md#pruning.
    pub fn add_frame(
        &mut self,
        frame: Frame,
        l1: L1BlockRef,
    ) -> Result<Option<ReadyChannel>, AssemblerError> {
        self.check_timeout(l1);
        if frame.number == 0 {
            self.channel = Some(Channel::new_in_order(frame.channel_id, l1.number));
        }
        let Some(ch) = self.channel.as_mut() else {
            return Err(AssemblerError::NoChannel {
                channel: frame.channel_id,
                number: frame.number,
            });
        };
        let is_last = frame.is_last;
        ch.add_frame(frame, l1.number)?;
        let max = self.cfg.max_rlp_bytes_per_channel(l1.timestamp);
        if ch.size() > max {
            let err = AssemblerError::TooLarge {
                channel: ch.id(),
                size: ch.size(),
                max,
            };
            self.channel = None;
            return Err(err);
        }
        if !is_last {
            return Ok(None);
        }
        // In order and closed means ready; take it either way so no finished channel lingers.
        let Some(ch) = self.channel.take() else {
            return Ok(None);
        };
        Ok(ch.data().map(|data| ReadyChannel {
            id: ch.id(),
            data,
            opened_at: ch.open_l1_block(),
            l1,
        }))
    }

    /// The staging channel's id, if one is open.
    pub fn staging(&self) -> Option<ChannelId> {
        self.channel.as_ref().map(Channel::id)
    }

    /// The staging channel's size (frame data plus 200 bytes per frame), 0 if none.
    pub fn size(&self) -> usize {
        self.channel.as_ref().map_or(0, Channel::size)
    }

    /// Drops the staging channel (pipeline reset).
    pub fn clear(&mut self) {
        self.channel = None;
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{B128, Bytes};

    use super::*;

    fn f(id: u8, number: u16, is_last: bool) -> Frame {
        Frame {
            channel_id: B128::repeat_byte(id),
            number,
            data: Bytes::from_static(b"d"),
            is_last,
        }
    }

    #[test]
    fn frame_zero_of_the_same_channel_restarts_it() {
        let mut a = ChannelAssembler::new(Arc::new(RollupConfig {
            channel_timeout: 10,
            ..Default::default()
        }));
        let l1 = L1BlockRef::default();
        assert_eq!(a.add_frame(f(1, 0, false), l1), Ok(None));
        assert_eq!(a.add_frame(f(1, 1, false), l1), Ok(None));
        assert_eq!(a.size(), 2 * 201);
        assert_eq!(a.add_frame(f(1, 0, false), l1), Ok(None));
        assert_eq!(a.size(), 201);
        let ch = a.add_frame(f(1, 1, true), l1).unwrap().unwrap();
        assert_eq!(ch.data, b"dd");
        a.clear();
        assert_eq!(a.staging(), None);
    }
}
