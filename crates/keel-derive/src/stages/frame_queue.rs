//! Frame queue: batcher data in, frames out, with Holocene's ordering rules.
//!
//! Spec: protocol/derivation.md#frame-queue, protocol/holocene/derivation.md#frame-queue.

use std::{collections::VecDeque, sync::Arc};

use keel_protocol::{
    frame::{Frame, FrameError, parse_frames},
    hardfork::Hardfork,
    rollup_config::RollupConfig,
};

use crate::types::L1BlockRef;

/// The frame queue: frames parsed from batcher data, each with the L1 block it came in.
///
/// Bound: the queue holds the frames of the data pushed and not yet taken. op-node only loads
/// the next batcher transaction once the queue is empty, so it holds one transaction's frames
/// (at most one blob or one calldata payload); push only when [`FrameQueue::is_empty`] to keep
/// that bound. Under Holocene the rules are applied to the frames in the queue, and the channel
/// assembler re-checks order against frames already taken, so the derived channels do not
/// depend on how much is pushed at once.
#[derive(Debug, Clone)]
pub struct FrameQueue {
    cfg: Arc<RollupConfig>,
    frames: VecDeque<(Frame, L1BlockRef)>,
}

impl FrameQueue {
    /// An empty frame queue.
    pub fn new(cfg: Arc<RollupConfig>) -> Self {
        Self {
            cfg,
            frames: VecDeque::new(),
        }
    }

    /// Parses one batcher transaction's data (calldata or a decoded blob) seen in L1 block
    /// `l1` and queues its frames. Returns how many frames were parsed.
    ///
    /// If any frame fails to parse, none of the transaction's frames are queued and the parse
    /// error is returned (log it; it is not a pipeline error). From Holocene (by `l1`'s
    /// timestamp, op-node's `IsHolocene(origin.Time)`) the queue is then pruned.
    ///
    /// Spec: protocol/derivation.md#batcher-transaction-format, protocol/holocene/derivation.md#frame-queue.
    pub fn push(&mut self, data: &[u8], l1: L1BlockRef) -> Result<usize, FrameError> {
        let frames = parse_frames(data)?;
        let n = frames.len();
        self.frames.extend(frames.into_iter().map(|f| (f, l1)));
        if self.cfg.is_active(Hardfork::Holocene, l1.timestamp) {
            prune_holocene(&mut self.frames);
        }
        Ok(n)
    }

    /// Takes the oldest frame and the L1 block it was included in.
    pub fn next_frame(&mut self) -> Option<(Frame, L1BlockRef)> {
        self.frames.pop_front()
    }

    /// Whether no frame is queued.
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Number of queued frames.
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Drops every queued frame (pipeline reset, Holocene activation).
    ///
    /// Spec: protocol/holocene/derivation.md#activation.
    pub fn clear(&mut self) {
        self.frames.clear();
    }
}

/// Applies Holocene's frame-queue rules to the whole queue, pair by pair from the front, so
/// that per channel the queued frames are ordered, contiguous and start at frame 0 (or
/// continue the channel whose earlier frames were already taken, when first in the queue).
///
/// For each adjacent pair (`cur`, `next`):
/// - same channel: `next` is dropped if `cur` closed the channel or `next` is not `cur + 1`;
/// - different channel and `next` is a non-first frame: `next` is dropped;
/// - different channel, `next` is frame 0 and `cur` is not closing: `cur`'s channel is
///   dropped (walking back over its earlier queued frames), `next` stays.
///
/// Spec: protocol/holocene/derivation.md#frame-queue.
pub(crate) fn prune_holocene(frames: &mut VecDeque<(Frame, L1BlockRef)>) {
    let mut i = 0usize;
    loop {
        let (Some((cur, _)), Some((next, _))) = (frames.get(i), frames.get(i.saturating_add(1)))
        else {
            return;
        };
        let drop_next = if cur.channel_id == next.channel_id {
            // Wrapping, as op-node's uint16 `FrameNumber+1`: after 65535 a frame 0 of the same
            // channel stays (and the assembler then restarts the channel with it).
            cur.is_last || next.number != cur.number.wrapping_add(1)
        } else {
            next.number != 0
        };
        if drop_next {
            frames.remove(i.saturating_add(1));
            continue;
        }
        if cur.channel_id != next.channel_id && !cur.is_last {
            // A first frame discards the unclosed channel before it; re-check the new pair at
            // the previous position so earlier frames of that channel go too.
            frames.remove(i);
            i = i.saturating_sub(1);
            continue;
        }
        i = i.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{B128, Bytes};

    use super::*;

    fn f(id: u8, number: u16, is_last: bool) -> (Frame, L1BlockRef) {
        (
            Frame {
                channel_id: B128::repeat_byte(id),
                number,
                data: Bytes::new(),
                is_last,
            },
            L1BlockRef::default(),
        )
    }

    fn ids(q: &VecDeque<(Frame, L1BlockRef)>) -> Vec<(u8, u16)> {
        q.iter().map(|(f, _)| (f.channel_id[0], f.number)).collect()
    }

    #[test]
    fn holocene_prune_rules() {
        // Gap, duplicate, frames after close, foreign non-first frame, replaced channel.
        let mut q: VecDeque<_> = [
            f(1, 0, false),
            f(1, 2, false), // gap: dropped
            f(1, 1, false),
            f(1, 1, false), // duplicate: dropped
            f(1, 2, true),
            f(1, 3, false), // after close: dropped
            f(2, 1, false), // non-first of another channel: dropped
            f(2, 0, false), // opens channel 2 (channel 1 closed, kept)
            f(2, 1, false),
            f(3, 0, true), // replaces unclosed channel 2
        ]
        .into_iter()
        .collect();
        prune_holocene(&mut q);
        assert_eq!(ids(&q), vec![(1, 0), (1, 1), (1, 2), (3, 0)]);
    }

    #[test]
    fn holocene_prune_keeps_continuation_at_front() {
        // The queue may start mid-channel (earlier frames were taken by the assembler).
        let mut q: VecDeque<_> = [f(1, 4, false), f(1, 5, true)].into_iter().collect();
        prune_holocene(&mut q);
        assert_eq!(ids(&q), vec![(1, 4), (1, 5)]);
        let mut q: VecDeque<_> = [f(1, u16::MAX, false), f(1, 0, false)]
            .into_iter()
            .collect();
        prune_holocene(&mut q);
        assert_eq!(ids(&q), vec![(1, u16::MAX), (1, 0)]);
    }
}
