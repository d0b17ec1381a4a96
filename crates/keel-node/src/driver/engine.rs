//! Running engine-controller inputs and reacting to the events every caller cares about:
//! failures by class, and unsafe-head changes the sequencer must hear of.

use alloy_eips::BlockNumberOrTag;
use keel_derive::{error::ErrorClass, l2::system_config_from_block, types::L2BlockRef};
use keel_engine::{
    api::EngineApi,
    controller::{EngineEvent, EngineInput},
};
use keel_protocol::system_config::SystemConfig;
use keel_sequencer::sequencer::SequencerEvent;

use super::{
    Driver, DriverHooks,
    sources::{Clock, L1Source, L2Source, SourceError},
};

/// Back-off before retrying a job the engine controller parked.
const ENGINE_RETRY_MS: u64 = 500;

impl<L1, L2, E, C, H> Driver<L1, L2, E, C, H>
where
    L1: L1Source,
    L2: L2Source,
    E: EngineApi + Sync,
    C: Clock,
    H: DriverHooks,
{
    /// Hands `input` to the engine controller, runs the calls it makes, handles failures
    /// and tells the sequencer when the unsafe head moved under it. Returns the events.
    pub(super) async fn drive_engine(&mut self, input: EngineInput) -> Vec<EngineEvent> {
        let before = self.engine.controller().heads().unsafe_head;
        let events = self.engine.drive(input).await;
        for event in &events {
            match event {
                EngineEvent::Error(e) => match e.class() {
                    ErrorClass::Temporary => {
                        tracing::warn!(error = %e, "engine call failed, will retry");
                        self.engine_retry_at_ms =
                            Some(self.clock.now_ms().saturating_add(ENGINE_RETRY_MS));
                    }
                    ErrorClass::Reset => {
                        tracing::warn!(error = %e, "engine error, resetting");
                        self.reset_due = true;
                    }
                    ErrorClass::Critical => self.halt_derivation(e.to_string()),
                },
                EngineEvent::EngineSyncing => {
                    tracing::info!("engine is syncing");
                    self.engine_retry_at_ms =
                        Some(self.clock.now_ms().saturating_add(ENGINE_RETRY_MS));
                }
                EngineEvent::UnsafeDropped { hash, reason } => {
                    tracing::warn!(%hash, %reason, "unsafe payload dropped");
                }
                EngineEvent::Consolidated {
                    block,
                    reorged: Some(why),
                    ..
                } => {
                    tracing::warn!(number = block.number, hash = %block.hash, reason = ?why, "unsafe block replaced by derived block");
                }
                EngineEvent::DepositsOnlyReplacement { parent, reason } => {
                    tracing::warn!(parent = parent.number, %reason, "derived block refused, replaced by deposits-only block");
                    // Spec: protocol/holocene/derivation.md#engine-queue
                    self.pipeline.flush_channel();
                }
                EngineEvent::AttributesDropped { parent, reason } => {
                    tracing::warn!(parent = parent.number, %reason, "derived attributes refused and dropped");
                }
                EngineEvent::Finalized(b) => {
                    tracing::info!(number = b.number, hash = %b.hash, "finalized");
                }
                _ => {}
            }
        }
        let after = self.engine.controller().heads().unsafe_head;
        if after != before && self.sequencer.is_some() {
            // The sequencer hears of its own block through `Sealed`.
            self.unsafe_head_untold = !self.sealing;
        }
        // A block derivation built (or reorged to) is canonical in the execution client
        // only once the forkchoice update is sent (the flush); before, reading it back by
        // number for its system config fails and the sequencer would never hear of it.
        if self.unsafe_head_untold && !self.engine.controller().forkchoice_dirty() {
            let head = self.engine.controller().heads().unsafe_head;
            self.unsafe_head_untold = !self.tell_sequencer_head(head).await;
        }
        events
    }

    /// Reports `head` (with its system config, read from the execution client) to the
    /// sequencer. Returns whether it was reported (or there is no sequencer).
    pub(super) async fn tell_sequencer_head(&mut self, head: L2BlockRef) -> bool {
        let Some(_) = self.sequencer else { return true };
        match self.system_config_of(head).await {
            Ok(system_config) => {
                let now = self.clock.now_ms();
                if let Some(seq) = self.sequencer.as_mut() {
                    seq.on_event(
                        SequencerEvent::UnsafeHead {
                            head,
                            system_config,
                        },
                        now,
                    );
                }
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, number = head.number, "cannot read the unsafe head's system config");
                false
            }
        }
    }

    /// The system config in force after L2 block `block` (from its L1-info deposit and
    /// header).
    pub(super) async fn system_config_of(
        &self,
        block: L2BlockRef,
    ) -> Result<SystemConfig, SourceError> {
        if block.number == self.cfg.rollup.genesis.l2.number {
            return Ok(self.cfg.rollup.genesis.system_config);
        }
        let (hash, body) = self
            .l2
            .block(BlockNumberOrTag::Number(block.number))
            .await?
            .ok_or_else(|| SourceError {
                source_name: "L2",
                message: format!("no block at {}", block.number),
                class: ErrorClass::Reset,
            })?;
        if hash != block.hash {
            return Err(SourceError {
                source_name: "L2",
                message: format!(
                    "block {} is {hash}, expected {} (reorged)",
                    block.number, block.hash
                ),
                class: ErrorClass::Reset,
            });
        }
        system_config_from_block(&self.cfg.rollup, hash, &body).map_err(|e| SourceError {
            source_name: "L2",
            message: e.to_string(),
            class: ErrorClass::Critical,
        })
    }
}
