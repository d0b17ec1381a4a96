//! Running the sequencer's actions: L1 fetches, `forkchoiceUpdated` with attributes to
//! start a block, and the seal (`getPayload`, then the engine controller inserts the block
//! with `newPayload` + `forkchoiceUpdated`), each outcome fed back as an event.
//!
//! The sequencer decides when; this file only performs. op-node's
//! `Sequencer.onBuildStarted` / `onBuildSealed` are the model.

use alloy_rpc_types_engine::{ForkchoiceState, PayloadStatusEnum};
use keel_derive::error::ErrorClass;
use keel_engine::{
    api::EngineApi,
    controller::{EngineEvent, EngineInput},
    error::EngineError,
};
use keel_protocol::l1_blob_schedule::known_l1_blob_params;
use keel_sequencer::sequencer::{EngineFault, EpochInput, SequencerAction, SequencerEvent};

use super::{
    Driver, DriverHooks,
    sources::{Clock, L1Source, L2Source},
};

/// Most immediate actions run per loop turn before derivation gets its turn.
const MAX_ACTIONS_PER_TURN: usize = 32;

impl<L1, L2, E, C, H> Driver<L1, L2, E, C, H>
where
    L1: L1Source,
    L2: L2Source,
    E: EngineApi + Sync,
    C: Clock,
    H: DriverHooks,
{
    /// Runs the sequencer's due actions. Returns when it next wants to run.
    pub(super) async fn run_sequencer(&mut self) -> Option<u64> {
        for _ in 0..MAX_ACTIONS_PER_TURN {
            let now = self.clock.now_ms();
            let action = self.sequencer.as_mut()?.next_action(now);
            match action {
                SequencerAction::Idle => return None,
                SequencerAction::Wait { until_ms, .. } => return Some(until_ms),
                SequencerAction::WaitForL1 { reason, until_ms } => {
                    tracing::debug!(?reason, "sequencer waits for L1");
                    return Some(until_ms);
                }
                SequencerAction::NeedUnsafeHead => {
                    let head = self.engine.controller().heads().unsafe_head;
                    self.unsafe_head_untold = !self.tell_sequencer_head(head).await;
                }
                SequencerAction::FetchL1BlockByNumber(n) => {
                    let event = match self.l1.block_ref_by_number(n).await {
                        Ok(Some(b)) => SequencerEvent::L1Block(b),
                        Ok(None) => SequencerEvent::L1Unavailable,
                        Err(e) => {
                            tracing::warn!(error = %e, number = n, "sequencer: L1 block unavailable");
                            SequencerEvent::L1Unavailable
                        }
                    };
                    self.feed(event);
                }
                SequencerAction::FetchL1BlockByHash(hash) => {
                    let event = match self.l1.block_ref_by_hash(hash).await {
                        Ok(Some(b)) => SequencerEvent::L1Block(b),
                        Ok(None) => SequencerEvent::L1Unavailable,
                        Err(e) => {
                            tracing::warn!(error = %e, %hash, "sequencer: L1 block unavailable");
                            SequencerEvent::L1Unavailable
                        }
                    };
                    self.feed(event);
                }
                SequencerAction::FetchEpoch { origin, receipts } => {
                    let event = match self.l1.epoch(origin.hash, receipts).await {
                        Ok((header, receipts)) => {
                            // Exactly what derivation uses (its builder takes Keel's
                            // schedule for known L1s, header inference otherwise), so the
                            // sequencer's block is the derived one.
                            let blob_params =
                                known_l1_blob_params(self.cfg.rollup.l1_chain_id, header.timestamp);
                            SequencerEvent::EpochData(Box::new(EpochInput {
                                header,
                                receipts,
                                blob_params,
                            }))
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, origin = origin.number, "sequencer: epoch data unavailable");
                            SequencerEvent::L1Unavailable
                        }
                    };
                    self.feed(event);
                }
                SequencerAction::StartBuilding {
                    parent,
                    timestamp,
                    attributes,
                } => {
                    let heads = *self.engine.controller().heads();
                    let state = ForkchoiceState {
                        head_block_hash: parent.hash,
                        safe_block_hash: heads.safe.hash,
                        finalized_block_hash: heads.finalized.hash,
                    };
                    let attrs = attributes.prepared.attributes;
                    let result = self
                        .engine
                        .client()
                        .forkchoice_updated(state, Some(&attrs))
                        .await;
                    let event = match result {
                        Ok(fcu) => match (fcu.payload_status.status, fcu.payload_id) {
                            (PayloadStatusEnum::Valid, Some(payload_id)) => {
                                self.build_started_ms = Some(self.clock.now_ms());
                                SequencerEvent::BuildStarted { payload_id }
                            }
                            (PayloadStatusEnum::Invalid { validation_error }, _) => {
                                tracing::warn!(%validation_error, timestamp, "engine refused the sequencer's attributes");
                                fault(EngineFault::InvalidAttributes)
                            }
                            (PayloadStatusEnum::Syncing | PayloadStatusEnum::Accepted, _) => {
                                fault(EngineFault::Syncing)
                            }
                            (PayloadStatusEnum::Valid, None) => {
                                tracing::warn!(timestamp, "engine started no build");
                                fault(EngineFault::Unavailable)
                            }
                        },
                        Err(e) => {
                            tracing::warn!(error = %e, timestamp, "cannot start building");
                            fault(engine_fault(&e))
                        }
                    };
                    self.feed(event);
                }
                SequencerAction::Seal {
                    payload_id,
                    parent,
                    timestamp,
                } => {
                    let started = self.clock.now_ms();
                    let event = match self
                        .engine
                        .client()
                        .get_payload(payload_id, timestamp)
                        .await
                    {
                        Ok(envelope) => {
                            let hash = envelope.execution_payload.block_hash();
                            let txs = envelope.execution_payload.transactions().len();
                            // The sequencer hears of its own block through `Sealed`.
                            self.sealing = true;
                            let events = self
                                .drive_engine(EngineInput::UnsafePayload(Box::new(envelope)))
                                .await;
                            self.sealing = false;
                            let inserted = events.iter().find_map(|e| match e {
                                EngineEvent::UnsafeInserted(r) if r.hash == hash => Some(*r),
                                _ => None,
                            });
                            match inserted {
                                Some(head) => {
                                    let took = self.clock.now_ms().saturating_sub(started);
                                    let seal_duration = std::time::Duration::from_millis(took);
                                    self.hooks.sequenced(head, seal_duration, txs);
                                    // op-node's building diff: from the build's start to the
                                    // sealed block, minus the block time (negative: early).
                                    if let Some(started) = self.build_started_ms.take() {
                                        let built_ms = self.clock.now_ms().saturating_sub(started);
                                        let block_ms =
                                            self.cfg.rollup.block_time.saturating_mul(1000);
                                        #[allow(clippy::cast_precision_loss)]
                                        let diff = (built_ms as f64 - block_ms as f64) / 1000.0;
                                        self.hooks.sequencer_building_diff(diff);
                                    }
                                    let on_time = u64::from(
                                        self.clock.now_ms() <= head.timestamp.saturating_mul(1000),
                                    );
                                    self.status.send_modify(|s| {
                                        s.sequenced_blocks += 1;
                                        s.sealed_on_time += on_time;
                                    });
                                    tracing::info!(number = head.number, %hash, txs_origin = head.l1_origin.number, seal_ms = took, "sequenced block");
                                    SequencerEvent::Sealed {
                                        head,
                                        seal_duration,
                                    }
                                }
                                None => {
                                    let syncing = events
                                        .iter()
                                        .any(|e| matches!(e, EngineEvent::EngineSyncing));
                                    tracing::warn!(parent = parent.number, %hash, "sealed block not inserted");
                                    fault(if syncing {
                                        EngineFault::Syncing
                                    } else {
                                        EngineFault::InvalidPayload
                                    })
                                }
                            }
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, parent = parent.number, "cannot seal");
                            fault(engine_fault(&e))
                        }
                    };
                    self.feed(event);
                }
                SequencerAction::Reset { error } => {
                    tracing::warn!(%error, "sequencer asks for a reset");
                    self.reset_due = true;
                    self.derive_retry_at_ms = self.clock.now_ms();
                    return None;
                }
                SequencerAction::Halt { error } => {
                    tracing::error!(%error, "sequencer halted");
                    return None;
                }
                _ => return None,
            }
        }
        Some(self.clock.now_ms())
    }

    fn feed(&mut self, event: SequencerEvent) {
        if matches!(event, SequencerEvent::EngineError { .. }) {
            self.hooks.sequencing_error();
        }
        let now = self.clock.now_ms();
        if let Some(seq) = self.sequencer.as_mut() {
            seq.on_event(event, now);
        }
    }
}

const fn fault(fault: EngineFault) -> SequencerEvent {
    SequencerEvent::EngineError { fault }
}

/// An engine error as the sequencer's fault: a refused call is invalid attributes,
/// anything else means the engine is unavailable for now.
fn engine_fault(e: &EngineError) -> EngineFault {
    match e.class() {
        ErrorClass::Temporary => EngineFault::Unavailable,
        _ => EngineFault::InvalidAttributes,
    }
}
