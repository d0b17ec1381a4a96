//! The controller's jobs: starting one from an input, and advancing it on each result.

use alloy_rpc_types_engine::{
    ForkchoiceState, ForkchoiceUpdated, PayloadStatus, PayloadStatusEnum,
};
use keel_derive::{l2::block_ref_from_block, types::L2BlockRef};
use keel_protocol::{hardfork::Hardfork, rollup_config::RollupConfig};
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::OpExecutionPayloadEnvelope;

use super::{
    DerivedAttributes, EngineAction, EngineController, EngineEvent, EngineInput, EngineResult,
};
use crate::{
    consolidate::{Mismatch, attributes_match_block},
    error::{EngineError, INVALID_PAYLOAD_ATTRIBUTES},
};

/// EIP-2718 type byte of a deposit transaction (Spec: protocol/deposits.md).
const DEPOSIT_TX_TYPE: u8 = 0x7e;

/// One unit of work with the engine.
#[derive(Debug)]
pub(super) enum Job {
    /// Insert an unsafe payload, then make it the head.
    Insert {
        envelope: Box<OpExecutionPayloadEnvelope>,
        block: L2BlockRef,
        stage: InsertStage,
    },
    /// Consolidate or build derived attributes.
    Derive {
        attrs: Box<DerivedAttributes>,
        /// Why the unsafe block at this height is being replaced, if it is.
        reorged: Option<Mismatch>,
        stage: DeriveStage,
    },
    /// Send the batched forkchoice update.
    Flush { state: ForkchoiceState },
}

#[derive(Debug, Clone, Copy)]
pub(super) enum InsertStage {
    NewPayload,
    Forkchoice,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum DeriveStage {
    Fetch,
    StartBuild,
    Seal,
    Insert(L2BlockRef),
}

impl Job {
    /// The input that restarts this job from its beginning.
    pub(super) fn into_input(self) -> EngineInput {
        match self {
            Self::Insert { envelope, .. } => EngineInput::UnsafePayload(envelope),
            Self::Derive { attrs, .. } => EngineInput::Attributes(attrs),
            Self::Flush { .. } => EngineInput::Flush,
        }
    }
}

/// The block reference of a payload, via its L1-info deposit.
pub(super) fn payload_ref(
    cfg: &RollupConfig,
    envelope: &OpExecutionPayloadEnvelope,
) -> Result<L2BlockRef, EngineError> {
    let hash = envelope.execution_payload.block_hash();
    let block = envelope
        .execution_payload
        .clone()
        .try_into_block::<OpTxEnvelope>()
        .map_err(|e| EngineError::BadPayload {
            hash,
            reason: e.to_string(),
        })?;
    Ok(block_ref_from_block(cfg, hash, &block)?)
}

/// Whether every transaction is a deposit (an empty list is).
fn deposits_only(attrs: &DerivedAttributes) -> bool {
    attrs
        .attributes
        .transactions
        .iter()
        .flatten()
        .all(|tx| tx.first() == Some(&DEPOSIT_TX_TYPE))
}

impl EngineController {
    pub(super) fn start(&mut self, input: EngineInput) {
        match input {
            EngineInput::UnsafePayload(envelope) => self.start_insert(envelope),
            EngineInput::Attributes(attrs) => self.start_derive(attrs),
            EngineInput::L1Finalized(l1) => {
                if self.finalized_l1.is_none_or(|f| l1.number >= f.number) {
                    self.finalized_l1 = Some(l1);
                    self.try_finalize(l1);
                }
            }
            EngineInput::Flush => {
                if self.forkchoice_dirty {
                    let state = self.heads.forkchoice();
                    self.issue(
                        Job::Flush { state },
                        EngineAction::ForkchoiceUpdate {
                            state,
                            attributes: None,
                        },
                    );
                }
            }
            // Handled on arrival, never queued.
            EngineInput::Retry | EngineInput::Reset(_) => {}
        }
    }

    fn start_insert(&mut self, envelope: Box<OpExecutionPayloadEnvelope>) {
        let hash = envelope.execution_payload.block_hash();
        let unsafe_head = self.heads.unsafe_head;
        let drop = |reason: String| EngineEvent::UnsafeDropped { hash, reason };
        if envelope.execution_payload.block_number() <= unsafe_head.number {
            let reason = format!("not above the unsafe head {}", unsafe_head.number);
            self.events.push_back(drop(reason));
            return;
        }
        if envelope.execution_payload.parent_hash() != unsafe_head.hash {
            let reason = format!("does not extend the unsafe head {}", unsafe_head.hash);
            self.events.push_back(drop(reason));
            return;
        }
        let block = match payload_ref(&self.cfg, &envelope) {
            Ok(b) => b,
            Err(e) => {
                self.events.push_back(drop(e.to_string()));
                return;
            }
        };
        let action = EngineAction::NewPayload(envelope.clone());
        let job = Job::Insert {
            envelope,
            block,
            stage: InsertStage::NewPayload,
        };
        self.issue(job, action);
    }

    fn start_derive(&mut self, attrs: Box<DerivedAttributes>) {
        let pending = self.heads.pending_safe;
        if attrs.parent.hash != pending.hash {
            if attrs.parent.number < pending.number {
                self.events.push_back(EngineEvent::AttributesStale {
                    parent: attrs.parent,
                });
            } else {
                self.events
                    .push_back(EngineEvent::Error(EngineError::AttributesParentMismatch {
                        parent: attrs.parent.hash,
                        parent_number: attrs.parent.number,
                        pending: pending.hash,
                        pending_number: pending.number,
                    }));
            }
            return;
        }
        if pending.number < self.heads.unsafe_head.number {
            let number = attrs.parent.number + 1;
            let job = Job::Derive {
                attrs,
                reorged: None,
                stage: DeriveStage::Fetch,
            };
            self.issue(job, EngineAction::FetchPayload { number });
        } else {
            self.start_build(attrs, None);
        }
    }

    /// Spec: protocol/derivation.md#building-individual-payloads — forkchoiceUpdated with
    /// the attributes on the parent (which rewinds the engine's canonical chain to it if
    /// the unsafe chain went elsewhere), then getPayload and newPayload.
    fn start_build(&mut self, attrs: Box<DerivedAttributes>, reorged: Option<Mismatch>) {
        let state = ForkchoiceState {
            head_block_hash: attrs.parent.hash,
            safe_block_hash: self.heads.safe.hash,
            finalized_block_hash: self.heads.finalized.hash,
        };
        let action = EngineAction::ForkchoiceUpdate {
            state,
            attributes: Some(Box::new(attrs.attributes.clone())),
        };
        let job = Job::Derive {
            attrs,
            reorged,
            stage: DeriveStage::StartBuild,
        };
        self.issue(job, action);
    }

    /// Advances `job` with `result`.
    pub(super) fn step(&mut self, job: Job, result: EngineResult) {
        match (job, result) {
            (
                Job::Insert {
                    envelope,
                    block,
                    stage: InsertStage::NewPayload,
                },
                EngineResult::NewPayload(res),
            ) => self.on_unsafe_new_payload(envelope, block, res),
            (
                job @ Job::Insert {
                    stage: InsertStage::Forkchoice,
                    ..
                },
                EngineResult::ForkchoiceUpdated(res),
            ) => self.on_unsafe_forkchoice(job, res),
            (
                Job::Derive {
                    attrs,
                    stage: DeriveStage::Fetch,
                    ..
                },
                EngineResult::FetchPayload(res),
            ) => self.on_fetched(attrs, res),
            (
                Job::Derive {
                    attrs,
                    reorged,
                    stage: DeriveStage::StartBuild,
                },
                EngineResult::ForkchoiceUpdated(res),
            ) => self.on_build_started(attrs, reorged, res),
            (
                Job::Derive {
                    attrs,
                    reorged,
                    stage: DeriveStage::Seal,
                },
                EngineResult::GetPayload(res),
            ) => self.on_sealed(attrs, reorged, res),
            (
                Job::Derive {
                    attrs,
                    reorged,
                    stage: DeriveStage::Insert(block),
                },
                EngineResult::NewPayload(res),
            ) => self.on_built_inserted(attrs, reorged, block, res),
            (Job::Flush { state }, EngineResult::ForkchoiceUpdated(res)) => {
                self.on_flushed(state, res);
            }
            (_, other) => self
                .events
                .push_back(EngineEvent::Error(EngineError::StrayResult(other.name()))),
        }
    }

    fn syncing(&mut self, job: Job) {
        self.parked = Some(job);
        self.events.push_back(EngineEvent::EngineSyncing);
    }

    fn on_unsafe_new_payload(
        &mut self,
        envelope: Box<OpExecutionPayloadEnvelope>,
        block: L2BlockRef,
        res: Result<PayloadStatus, EngineError>,
    ) {
        let job = Job::Insert {
            envelope,
            block,
            stage: InsertStage::Forkchoice,
        };
        match res {
            Ok(s) => match s.status {
                PayloadStatusEnum::Valid => {
                    let state = ForkchoiceState {
                        head_block_hash: block.hash,
                        ..self.heads.forkchoice()
                    };
                    self.issue(
                        job,
                        EngineAction::ForkchoiceUpdate {
                            state,
                            attributes: None,
                        },
                    );
                }
                PayloadStatusEnum::Invalid { validation_error } => {
                    self.events.push_back(EngineEvent::UnsafeDropped {
                        hash: block.hash,
                        reason: validation_error,
                    });
                }
                PayloadStatusEnum::Syncing | PayloadStatusEnum::Accepted => {
                    self.syncing(job.restart_insert());
                }
            },
            Err(e) => self.fail(job.restart_insert(), e),
        }
    }

    fn on_unsafe_forkchoice(&mut self, job: Job, res: Result<ForkchoiceUpdated, EngineError>) {
        let Job::Insert { block, .. } = &job else {
            return;
        };
        let block = *block;
        match res.map(|r| r.payload_status.status) {
            Ok(PayloadStatusEnum::Valid) => {
                self.heads.unsafe_head = block;
                self.heads.cross_unsafe = block;
                // The update carried our safe and finalized heads too (nothing moves while
                // a job runs), so the engine is now in sync with all of them.
                self.forkchoice_dirty = false;
                self.events.push_back(EngineEvent::UnsafeInserted(block));
            }
            Ok(PayloadStatusEnum::Invalid { validation_error }) => {
                self.events
                    .push_back(EngineEvent::Error(EngineError::ForkchoiceInvalid {
                        head: block.hash,
                        validation_error,
                    }));
            }
            Ok(PayloadStatusEnum::Syncing | PayloadStatusEnum::Accepted) => {
                self.syncing(job.restart_insert());
            }
            Err(e) => self.fail(job.restart_insert(), e),
        }
    }

    fn on_fetched(
        &mut self,
        attrs: Box<DerivedAttributes>,
        res: Result<Option<OpExecutionPayloadEnvelope>, EngineError>,
    ) {
        let envelope = match res {
            Ok(Some(e)) => e,
            Ok(None) => {
                let number = attrs.parent.number + 1;
                self.events
                    .push_back(EngineEvent::Error(EngineError::MissingUnsafeBlock {
                        number,
                    }));
                return;
            }
            Err(e) => {
                let job = Job::Derive {
                    attrs,
                    reorged: None,
                    stage: DeriveStage::Fetch,
                };
                self.fail(job, e);
                return;
            }
        };
        match attributes_match_block(&self.cfg, &attrs.attributes, attrs.parent.hash, &envelope) {
            Ok(()) => match payload_ref(&self.cfg, &envelope) {
                Ok(block) => self.promote(&attrs, block, false, None),
                Err(e) => self.events.push_back(EngineEvent::Error(e)),
            },
            Err(mismatch) => {
                // The engine can only leave the unsafe chain by building a new block on the
                // parent; keep the old head in case that build fails.
                self.backup_unsafe = Some(self.heads.unsafe_head);
                self.start_build(attrs, Some(mismatch));
            }
        }
    }

    fn on_build_started(
        &mut self,
        attrs: Box<DerivedAttributes>,
        reorged: Option<Mismatch>,
        res: Result<ForkchoiceUpdated, EngineError>,
    ) {
        match res {
            Ok(ForkchoiceUpdated {
                payload_status,
                payload_id,
            }) => match (payload_status.status, payload_id) {
                (PayloadStatusEnum::Valid, Some(id)) => {
                    let timestamp = attrs.attributes.payload_attributes.timestamp;
                    let job = Job::Derive {
                        attrs,
                        reorged,
                        stage: DeriveStage::Seal,
                    };
                    self.issue(job, EngineAction::GetPayload { id, timestamp });
                }
                (PayloadStatusEnum::Valid, None) => {
                    let job = Job::Derive {
                        attrs,
                        reorged,
                        stage: DeriveStage::StartBuild,
                    };
                    let err = EngineError::Unexpected {
                        method: "engine_forkchoiceUpdated",
                        detail: "VALID without a payload id".into(),
                    };
                    self.fail(job, err);
                }
                (PayloadStatusEnum::Invalid { validation_error }, _) => {
                    self.invalid_attributes(attrs, reorged, validation_error);
                }
                (PayloadStatusEnum::Syncing | PayloadStatusEnum::Accepted, _) => {
                    self.syncing(Job::Derive {
                        attrs,
                        reorged,
                        stage: DeriveStage::StartBuild,
                    });
                }
            },
            Err(e) if e.rpc_code() == Some(INVALID_PAYLOAD_ATTRIBUTES) => {
                self.invalid_attributes(attrs, reorged, e.to_string());
            }
            Err(e) => self.fail(
                Job::Derive {
                    attrs,
                    reorged,
                    stage: DeriveStage::StartBuild,
                },
                e,
            ),
        }
    }

    fn on_sealed(
        &mut self,
        attrs: Box<DerivedAttributes>,
        reorged: Option<Mismatch>,
        res: Result<OpExecutionPayloadEnvelope, EngineError>,
    ) {
        let built = match res.and_then(|env| payload_ref(&self.cfg, &env).map(|r| (env, r))) {
            Ok(b) => b,
            Err(e) => {
                let job = Job::Derive {
                    attrs,
                    reorged,
                    stage: DeriveStage::StartBuild,
                };
                self.fail(job, e);
                return;
            }
        };
        let (envelope, block) = built;
        let a = &attrs.attributes.payload_attributes;
        if block.parent_hash != attrs.parent.hash || block.timestamp != a.timestamp {
            let detail = format!(
                "built block {} on {} at {}, asked for a child of {} at {}",
                block.hash, block.parent_hash, block.timestamp, attrs.parent.hash, a.timestamp
            );
            let job = Job::Derive {
                attrs,
                reorged,
                stage: DeriveStage::StartBuild,
            };
            let err = EngineError::Unexpected {
                method: "engine_getPayload",
                detail,
            };
            self.fail(job, err);
            return;
        }
        let job = Job::Derive {
            attrs,
            reorged,
            stage: DeriveStage::Insert(block),
        };
        self.issue(job, EngineAction::NewPayload(Box::new(envelope)));
    }

    fn on_built_inserted(
        &mut self,
        attrs: Box<DerivedAttributes>,
        reorged: Option<Mismatch>,
        block: L2BlockRef,
        res: Result<PayloadStatus, EngineError>,
    ) {
        let retry = |attrs, reorged| Job::Derive {
            attrs,
            reorged,
            stage: DeriveStage::StartBuild,
        };
        match res.map(|s| s.status) {
            Ok(PayloadStatusEnum::Valid) => {
                self.heads.unsafe_head = block;
                self.heads.cross_unsafe = block;
                self.backup_unsafe = None;
                self.promote(&attrs, block, true, reorged);
            }
            Ok(PayloadStatusEnum::Invalid { validation_error }) => {
                self.invalid_attributes(attrs, reorged, validation_error);
            }
            Ok(PayloadStatusEnum::Syncing | PayloadStatusEnum::Accepted) => {
                self.syncing(retry(attrs, reorged));
            }
            Err(e) => self.fail(retry(attrs, reorged), e),
        }
    }

    fn on_flushed(&mut self, state: ForkchoiceState, res: Result<ForkchoiceUpdated, EngineError>) {
        match res.map(|r| r.payload_status.status) {
            Ok(PayloadStatusEnum::Valid) => {
                // Heads may have moved meanwhile only through inputs queued behind the flush.
                self.forkchoice_dirty = state != self.heads.forkchoice();
                self.events.push_back(EngineEvent::ForkchoiceUpdated(state));
            }
            Ok(PayloadStatusEnum::Invalid { validation_error }) => {
                self.events
                    .push_back(EngineEvent::Error(EngineError::ForkchoiceInvalid {
                        head: state.head_block_hash,
                        validation_error,
                    }));
            }
            Ok(PayloadStatusEnum::Syncing | PayloadStatusEnum::Accepted) => {
                self.syncing(Job::Flush { state });
            }
            Err(e) => self.fail(Job::Flush { state }, e),
        }
    }

    /// A derived block became pending-safe (and safe at the end of its span).
    fn promote(
        &mut self,
        attrs: &DerivedAttributes,
        block: L2BlockRef,
        built: bool,
        reorged: Option<Mismatch>,
    ) {
        self.heads.pending_safe = block;
        if attrs.is_last_in_span {
            self.heads.safe = block;
            self.forkchoice_dirty = true;
            self.record_safe(attrs.derived_from, block);
        }
        if built {
            self.forkchoice_dirty = true;
        }
        self.events.push_back(EngineEvent::Consolidated {
            block,
            safe: attrs.is_last_in_span,
            built,
            reorged,
        });
    }

    /// The engine rejected a block built from derived attributes.
    ///
    /// Spec: protocol/holocene/derivation.md#engine-queue — from Holocene (judged, as in
    /// op-node, by the time of the L1 block the attributes were derived from) the block is
    /// rebuilt with the deposits only; a rejected deposits-only block is critical. Before
    /// Holocene the attributes are dropped, pending-safe returns to safe and the unsafe
    /// chain a mismatch replaced is restored (op-node `onBuildInvalid`).
    fn invalid_attributes(
        &mut self,
        mut attrs: Box<DerivedAttributes>,
        reorged: Option<Mismatch>,
        reason: String,
    ) {
        if deposits_only(&attrs) {
            self.events
                .push_back(EngineEvent::Error(EngineError::DepositsOnlyInvalid {
                    parent: attrs.parent.hash,
                    reason,
                }));
            return;
        }
        if self
            .cfg
            .is_active(Hardfork::Holocene, attrs.derived_from.timestamp)
        {
            if let Some(txs) = attrs.attributes.transactions.as_mut() {
                txs.retain(|tx| tx.first() == Some(&DEPOSIT_TX_TYPE));
            }
            attrs.attributes.no_tx_pool = Some(true);
            self.events.push_back(EngineEvent::DepositsOnlyReplacement {
                parent: attrs.parent,
                reason,
            });
            self.start_build(attrs, reorged);
            return;
        }
        self.heads.pending_safe = self.heads.safe;
        if let Some(backup) = self.backup_unsafe.take() {
            self.heads.unsafe_head = backup;
            self.heads.cross_unsafe = backup;
            self.forkchoice_dirty = true;
        }
        self.events.push_back(EngineEvent::AttributesDropped {
            parent: attrs.parent,
            reason,
        });
    }
}

impl Job {
    /// An insert job restarted from its first call.
    fn restart_insert(self) -> Self {
        match self {
            Self::Insert {
                envelope, block, ..
            } => Self::Insert {
                envelope,
                block,
                stage: InsertStage::NewPayload,
            },
            other => other,
        }
    }
}
