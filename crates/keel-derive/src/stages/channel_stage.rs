//! The channel stage the pipeline drives: the channel bank before Holocene, the channel
//! assembler from Holocene, switched by the L1 origin's timestamp (op-node's `ChannelMux`).
//!
//! Spec: protocol/holocene/derivation.md#activation.

use std::sync::Arc;

use keel_protocol::{hardfork::Hardfork, rollup_config::RollupConfig};

use super::{
    channel_assembler::ChannelAssembler,
    channel_bank::{ChannelBank, ReadyChannel},
    frame_queue::FrameQueue,
};
use crate::types::L1BlockRef;

#[derive(Debug, Clone)]
enum Inner {
    Bank(ChannelBank),
    Assembler(ChannelAssembler),
}

/// What one [`ChannelStage::next_channel_step`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelStep {
    /// A channel is ready.
    Ready(ReadyChannel),
    /// One frame was ingested; no channel is ready yet.
    Ingested,
    /// The frame queue is empty and no channel is ready.
    NoFrames,
}

/// Channel bank or channel assembler, whichever the L1 origin's fork calls for.
#[derive(Debug, Clone)]
pub struct ChannelStage {
    cfg: Arc<RollupConfig>,
    inner: Inner,
}

impl ChannelStage {
    /// An empty stage; it picks bank or assembler on first use by the origin's timestamp.
    pub fn new(cfg: Arc<RollupConfig>) -> Self {
        Self {
            inner: Inner::Bank(ChannelBank::new(Arc::clone(&cfg))),
            cfg,
        }
    }

    fn holocene(&self, l1: &L1BlockRef) -> bool {
        self.cfg.is_active(Hardfork::Holocene, l1.timestamp)
    }

    /// Switches to the assembler once the origin is past Holocene activation, and back to a
    /// bank if an L1 reorg moved the origin before it. The replaced stage's channels are
    /// discarded, as the spec's activation rule says.
    ///
    /// Spec: protocol/holocene/derivation.md#activation.
    fn select(&mut self, current_l1: &L1BlockRef) {
        let holocene = self.holocene(current_l1);
        match (&self.inner, holocene) {
            (Inner::Bank(_), true) => {
                self.inner = Inner::Assembler(ChannelAssembler::new(Arc::clone(&self.cfg)));
            }
            (Inner::Assembler(_), false) => {
                self.inner = Inner::Bank(ChannelBank::new(Arc::clone(&self.cfg)));
            }
            _ => {}
        }
    }

    /// Whether the Holocene assembler is the active stage.
    pub fn is_holocene(&self) -> bool {
        matches!(self.inner, Inner::Assembler(_))
    }

    /// Runs op-node's channel-stage loop at L1 origin `current_l1`: read a ready channel if
    /// there is one, else take the next frame from `frames`, ingest it, and try again.
    /// Returns `None` once `frames` is empty and no channel is ready (push more data, or
    /// advance the origin).
    ///
    /// Reading before each ingestion matters: pruning happens after each frame, and a ready
    /// channel is read before the next frame can push it out. Under Holocene, frames from a
    /// pre-Holocene L1 block still queued are dropped (the spec discards the frame queue at
    /// activation). Frames refused by the bank or the assembler are dropped silently; use
    /// the stages directly to see why.
    pub fn next_channel(
        &mut self,
        frames: &mut FrameQueue,
        current_l1: L1BlockRef,
    ) -> Option<ReadyChannel> {
        self.select(&current_l1);
        let holocene_active = self.is_holocene();
        loop {
            match &mut self.inner {
                Inner::Bank(bank) => {
                    if let Some(ch) = bank.next_channel(current_l1) {
                        return Some(ch);
                    }
                    let (frame, l1) = frames.next_frame()?;
                    let _ = bank.add_frame(frame, l1);
                }
                Inner::Assembler(asm) => {
                    asm.check_timeout(current_l1);
                    let (frame, l1) = frames.next_frame()?;
                    if holocene_active && !self.cfg.is_active(Hardfork::Holocene, l1.timestamp) {
                        continue;
                    }
                    if let Ok(Some(ch)) = asm.add_frame(frame, l1) {
                        return Some(ch);
                    }
                }
            }
        }
    }

    /// One pull of op-node's channel stage, keeping its granularity (the pre-Holocene batch
    /// queue derives between pulls, so the number of pulls matters there): the bank hands out
    /// a ready channel, or else ingests exactly one frame; the assembler takes frames until a
    /// channel completes (op-node's `ChannelAssembler` loops the same way).
    pub fn next_channel_step(
        &mut self,
        frames: &mut FrameQueue,
        current_l1: L1BlockRef,
    ) -> ChannelStep {
        self.select(&current_l1);
        if let Inner::Bank(bank) = &mut self.inner {
            if let Some(ch) = bank.next_channel(current_l1) {
                return ChannelStep::Ready(ch);
            }
            let Some((frame, l1)) = frames.next_frame() else {
                return ChannelStep::NoFrames;
            };
            let _ = bank.add_frame(frame, l1);
            return ChannelStep::Ingested;
        }
        match self.next_channel(frames, current_l1) {
            Some(ch) => ChannelStep::Ready(ch),
            None => ChannelStep::NoFrames,
        }
    }

    /// The channel bank, when it is the active stage.
    pub fn bank(&self) -> Option<&ChannelBank> {
        match &self.inner {
            Inner::Bank(b) => Some(b),
            Inner::Assembler(_) => None,
        }
    }

    /// The channel assembler, when it is the active stage.
    pub fn assembler(&self) -> Option<&ChannelAssembler> {
        match &self.inner {
            Inner::Assembler(a) => Some(a),
            Inner::Bank(_) => None,
        }
    }

    /// Drops every buffered channel (pipeline reset); the stage is re-picked on next use.
    pub fn clear(&mut self) {
        match &mut self.inner {
            Inner::Bank(b) => b.clear(),
            Inner::Assembler(a) => a.clear(),
        }
    }
}
