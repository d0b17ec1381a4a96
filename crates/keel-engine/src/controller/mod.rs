//! The engine controller: Keel's view of the L2 heads and the decisions that move them,
//! as a sans-IO state machine.
//!
//! Spec: protocol/derivation.md#engine-queue (forkchoice, consolidation, finalization),
//! protocol/exec-engine.md, protocol/holocene/derivation.md#engine-queue (deposits-only
//! replacement); op-node `rollup/engine` and `rollup/attributes` for what the specs leave
//! open.
//!
//! # State machine
//!
//! The controller runs one *job* at a time; inputs that arrive meanwhile wait in a bounded
//! queue, in order. Each job issues one [`EngineAction`] at a time through
//! [`EngineController::poll_action`] and advances when the caller hands the engine's answer
//! to [`EngineController::on_result`]:
//!
//! ```text
//! UnsafePayload ─► NewPayload ─VALID─► ForkchoiceUpdate(head = payload) ─VALID─► unsafe head
//!                              └INVALID─► dropped (event)      └SYNCING─► event, head kept
//!
//! Attributes ─┬ parent ≠ pending-safe ───────────────────────────► dropped or Reset error
//!             ├ unsafe head above parent ─► FetchPayload(n) ─match──► pending-safe (no FCU)
//!             │                                              └mismatch┐ (backup unsafe head)
//!             └ parent is unsafe head ────────────────────────────────┴► Build:
//!   ForkchoiceUpdate(head = parent, attrs) ─id─► GetPayload ─► NewPayload ─VALID─► unsafe =
//!   pending-safe = new block (no FCU: the next build's FCU or the flush makes it canonical)
//!          any INVALID / -38003 ─► Holocene: rebuild as deposits-only; before: drop, restore
//!
//! L1Finalized ─► finalized = newest safe block derived from an L1 block ≤ it (no engine call)
//! Flush       ─► one ForkchoiceUpdate(unsafe, safe, finalized) if any head changed
//! ```
//!
//! Forkchoice updates are batched: consolidation, builds and finalization only mark the
//! forkchoice dirty; the driver sends [`EngineInput::Flush`] at the end of a unit of
//! derived work and gets one update for all of it. Temporary failures park the job; the
//! driver retries it with [`EngineInput::Retry`] after its back-off.

mod job;

use std::collections::VecDeque;

use alloy_primitives::B256;
use alloy_rpc_types_engine::{ForkchoiceState, ForkchoiceUpdated, PayloadId, PayloadStatus};
use keel_derive::types::{L1BlockRef, L2BlockRef};
use keel_protocol::rollup_config::RollupConfig;
use op_alloy_rpc_types_engine::{OpExecutionPayloadEnvelope, OpPayloadAttributes};

use crate::{consolidate::Mismatch, error::EngineError};
use job::Job;

/// Most inputs waiting behind the job in flight. The driver feeds one unit of derived
/// work at a time and gossip is rate-limited upstream; more means the engine is stuck.
pub const MAX_QUEUED_INPUTS: usize = 1024;

/// Safe heads remembered with the L1 block they were derived from, for finalization.
/// op-node keeps `4 * 32 * 3 + 1` entries (`finalityLookback`): enough to cover two L1
/// epochs of derivation at one entry per L1 block.
pub const FINALITY_LOOKBACK: usize = 4 * 32 * 3 + 1;

/// Keel's L2 heads.
///
/// Spec: protocol/derivation.md#l2-chain-derivation-pipeline (unsafe, safe, finalized);
/// op-node's `EngineController` adds pending-safe (derived, span batch not yet complete)
/// and cross-unsafe (interop; equal to unsafe until interop is implemented).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Heads {
    /// Tip of the chain, possibly from gossip or the sequencer.
    pub unsafe_head: L2BlockRef,
    /// Unsafe blocks whose cross-chain dependencies are verified (= unsafe before interop).
    pub cross_unsafe: L2BlockRef,
    /// Derived from L1, but its span batch is not complete yet.
    pub pending_safe: L2BlockRef,
    /// Derived from L1.
    pub safe: L2BlockRef,
    /// Derived from finalized L1.
    pub finalized: L2BlockRef,
}

impl Heads {
    /// All heads at one block (genesis, or a trusted restart point).
    pub const fn at(block: L2BlockRef) -> Self {
        Self {
            unsafe_head: block,
            cross_unsafe: block,
            pending_safe: block,
            safe: block,
            finalized: block,
        }
    }

    /// The forkchoice these heads make.
    pub const fn forkchoice(&self) -> ForkchoiceState {
        ForkchoiceState {
            head_block_hash: self.unsafe_head.hash,
            safe_block_hash: self.safe.hash,
            finalized_block_hash: self.finalized.hash,
        }
    }
}

/// Payload attributes derived from L1, with what the controller needs to place them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedAttributes {
    /// The attributes.
    pub attributes: OpPayloadAttributes,
    /// The L2 block they build on.
    pub parent: L2BlockRef,
    /// The L1 block they were derived from (finality, and Holocene's activation check).
    pub derived_from: L1BlockRef,
    /// Whether this is the last block of its span batch: only then does safe move, not just
    /// pending-safe.
    pub is_last_in_span: bool,
}

/// An input to the controller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineInput {
    /// A block from gossip or the local sequencer, to extend the unsafe chain.
    UnsafePayload(Box<OpExecutionPayloadEnvelope>),
    /// Attributes from the derivation pipeline, to consolidate or build.
    Attributes(Box<DerivedAttributes>),
    /// L1's finalized head moved.
    L1Finalized(L1BlockRef),
    /// End of a unit of derived work: send one forkchoice update if any head moved.
    Flush,
    /// Retry the job parked by a temporary failure.
    Retry,
    /// Start over from these heads (a pipeline reset found them); drops queued inputs,
    /// the parked job and the finality record.
    Reset(Box<Heads>),
}

/// A call for the caller to make on the engine. Exactly one is outstanding at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineAction {
    /// `engine_newPayload` (version by the payload's timestamp).
    NewPayload(Box<OpExecutionPayloadEnvelope>),
    /// `engine_forkchoiceUpdated` (version by the attributes' timestamp, if any).
    ForkchoiceUpdate {
        /// The heads.
        state: ForkchoiceState,
        /// Attributes to start a build with.
        attributes: Option<Box<OpPayloadAttributes>>,
    },
    /// `engine_getPayload` (version by the block's timestamp).
    GetPayload {
        /// The build's id, as the engine returned it.
        id: PayloadId,
        /// Timestamp of the block being built.
        timestamp: u64,
    },
    /// Read back the canonical block at `number` to compare with attributes.
    FetchPayload {
        /// Block number.
        number: u64,
    },
}

/// The engine's answer to an [`EngineAction`], handed back to [`EngineController::on_result`].
#[derive(Debug)]
pub enum EngineResult {
    /// Answer to [`EngineAction::NewPayload`].
    NewPayload(Result<PayloadStatus, EngineError>),
    /// Answer to [`EngineAction::ForkchoiceUpdate`].
    ForkchoiceUpdated(Result<ForkchoiceUpdated, EngineError>),
    /// Answer to [`EngineAction::GetPayload`].
    GetPayload(Result<OpExecutionPayloadEnvelope, EngineError>),
    /// Answer to [`EngineAction::FetchPayload`].
    FetchPayload(Result<Option<OpExecutionPayloadEnvelope>, EngineError>),
}

impl EngineResult {
    const fn name(&self) -> &'static str {
        match self {
            Self::NewPayload(_) => "NewPayload",
            Self::ForkchoiceUpdated(_) => "ForkchoiceUpdated",
            Self::GetPayload(_) => "GetPayload",
            Self::FetchPayload(_) => "FetchPayload",
        }
    }
}

/// What happened, for the driver (pipeline signals, metrics, logs).
#[derive(Debug)]
#[non_exhaustive]
pub enum EngineEvent {
    /// The unsafe head moved to an inserted payload.
    UnsafeInserted(L2BlockRef),
    /// An unsafe payload was not inserted (stale, not extending the unsafe head, or
    /// INVALID).
    UnsafeDropped {
        /// The payload's block hash.
        hash: B256,
        /// Why.
        reason: String,
    },
    /// Derived attributes became a block: either the existing unsafe block matched
    /// (`built` false) or a block was built from them (`built` true; `reorged` if it
    /// replaced an unsafe block that did not match).
    Consolidated {
        /// The block, now pending-safe (and safe if it closed its span).
        block: L2BlockRef,
        /// Whether it is safe.
        safe: bool,
        /// Whether it was built rather than matched.
        built: bool,
        /// Why the existing unsafe block was replaced, if one was.
        reorged: Option<Mismatch>,
    },
    /// Derived attributes were rejected by the engine and, Holocene being active, are being
    /// rebuilt as deposits-only: the pipeline must drop the rest of their span batch and
    /// channel (Spec: protocol/holocene/derivation.md#engine-queue).
    DepositsOnlyReplacement {
        /// The parent the replacement builds on.
        parent: L2BlockRef,
        /// The engine's reason.
        reason: String,
    },
    /// Derived attributes were rejected and dropped (pre-Holocene): pending-safe is back at
    /// safe and the unsafe head restored; the pipeline must move to the next batch.
    AttributesDropped {
        /// The parent they built on.
        parent: L2BlockRef,
        /// The engine's reason.
        reason: String,
    },
    /// Attributes that do not build on pending-safe and are older than it: already
    /// processed.
    AttributesStale {
        /// Their parent.
        parent: L2BlockRef,
    },
    /// The finalized head moved.
    Finalized(L2BlockRef),
    /// A forkchoice update (flush) was accepted with these heads.
    ForkchoiceUpdated(ForkchoiceState),
    /// The engine answered SYNCING (or ACCEPTED): it lacks data; the job is parked.
    EngineSyncing,
    /// An error, with its class in [`EngineError::class`]. Temporary ones park the job.
    Error(EngineError),
}

/// The controller. See the module docs for the state machine.
#[derive(Debug)]
pub struct EngineController {
    cfg: RollupConfig,
    heads: Heads,
    /// The unsafe head before a reorg by a mismatch, restored if the replacement fails.
    backup_unsafe: Option<L2BlockRef>,
    /// Whether the engine's forkchoice lags our heads.
    forkchoice_dirty: bool,
    /// `(derived_from, safe head)` in increasing order, at most [`FINALITY_LOOKBACK`].
    finality: VecDeque<(L1BlockRef, L2BlockRef)>,
    /// The latest finalized L1 block seen.
    finalized_l1: Option<L1BlockRef>,
    inputs: VecDeque<EngineInput>,
    job: Option<Job>,
    /// A job parked by a temporary failure, restarted by [`EngineInput::Retry`].
    parked: Option<Job>,
    outbox: Option<EngineAction>,
    /// Whether the action taken from the outbox awaits its result.
    in_flight: bool,
    events: VecDeque<EngineEvent>,
}

impl EngineController {
    /// A controller for the chain `cfg` starting at `heads`, with the forkchoice assumed
    /// in sync with them.
    pub fn new(cfg: RollupConfig, heads: Heads) -> Self {
        Self {
            cfg,
            heads,
            backup_unsafe: None,
            forkchoice_dirty: false,
            finality: VecDeque::new(),
            finalized_l1: None,
            inputs: VecDeque::new(),
            job: None,
            parked: None,
            outbox: None,
            in_flight: false,
            events: VecDeque::new(),
        }
    }

    /// The current heads.
    pub const fn heads(&self) -> &Heads {
        &self.heads
    }

    /// Whether a head moved since the engine last heard of it.
    pub const fn forkchoice_dirty(&self) -> bool {
        self.forkchoice_dirty
    }

    /// Whether nothing is queued, running or parked.
    pub fn is_idle(&self) -> bool {
        self.job.is_none()
            && self.inputs.is_empty()
            && self.outbox.is_none()
            && self.parked.is_none()
    }

    /// Whether a job waits for [`EngineInput::Retry`].
    pub const fn is_parked(&self) -> bool {
        self.parked.is_some()
    }

    /// Takes an input. Inputs are processed in order, one job at a time.
    pub fn handle(&mut self, input: EngineInput) {
        match input {
            EngineInput::Reset(heads) => self.reset(*heads),
            EngineInput::Retry => {
                if let Some(job) = self.parked.take() {
                    self.inputs.push_front(job.into_input());
                }
                self.advance();
            }
            other => {
                if self.inputs.len() >= MAX_QUEUED_INPUTS {
                    self.events
                        .push_back(EngineEvent::Error(EngineError::Unexpected {
                            method: "input queue",
                            detail: format!(
                                "more than {MAX_QUEUED_INPUTS} inputs queued; dropped one"
                            ),
                        }));
                    return;
                }
                self.inputs.push_back(other);
                self.advance();
            }
        }
    }

    /// The next engine call to make, if any. Once taken, the controller waits for its
    /// result before issuing another.
    pub fn poll_action(&mut self) -> Option<EngineAction> {
        let action = self.outbox.take();
        if action.is_some() {
            self.in_flight = true;
        }
        action
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<EngineEvent> {
        self.events.pop_front()
    }

    /// Hands in the engine's answer to the last action taken.
    pub fn on_result(&mut self, result: EngineResult) {
        // A result for an action not taken yet, or for none at all, leaves the job alone.
        let job = if self.in_flight {
            self.job.take()
        } else {
            None
        };
        let Some(job) = job else {
            self.events
                .push_back(EngineEvent::Error(EngineError::StrayResult(result.name())));
            return;
        };
        self.in_flight = false;
        self.step(job, result);
        self.advance();
    }

    fn reset(&mut self, heads: Heads) {
        self.heads = heads;
        self.backup_unsafe = None;
        self.finality.clear();
        self.inputs.clear();
        self.parked = None;
        self.job = None;
        self.outbox = None;
        self.in_flight = false;
        // The engine may still follow the old heads: tell it at the next flush.
        self.forkchoice_dirty = true;
    }

    /// Starts queued inputs until one needs the engine.
    fn advance(&mut self) {
        while self.job.is_none() && self.parked.is_none() {
            let Some(input) = self.inputs.pop_front() else {
                return;
            };
            self.start(input);
        }
    }

    /// Issues `action` as the next step of `job`.
    fn issue(&mut self, job: Job, action: EngineAction) {
        self.job = Some(job);
        self.outbox = Some(action);
    }

    /// A job failed: temporary failures park it for [`EngineInput::Retry`], the others
    /// end it. Either way the error is reported.
    fn fail(&mut self, job: Job, err: EngineError) {
        if err.class() == crate::error::ErrorClass::Temporary {
            self.parked = Some(job);
        }
        self.events.push_back(EngineEvent::Error(err));
    }

    fn record_safe(&mut self, derived_from: L1BlockRef, block: L2BlockRef) {
        while self
            .finality
            .back()
            .is_some_and(|(l1, _)| l1.number > derived_from.number)
        {
            // A safe head derived from an older L1 block than the last record means the
            // pipeline was reset; later records are void.
            self.finality.pop_back();
        }
        match self.finality.back_mut() {
            Some((l1, l2)) if l1.number == derived_from.number => *l2 = block,
            _ => {
                if self.finality.len() >= FINALITY_LOOKBACK {
                    self.finality.pop_front();
                }
                self.finality.push_back((derived_from, block));
            }
        }
        if let Some(l1) = self.finalized_l1 {
            self.try_finalize(l1);
        }
    }

    /// Spec: protocol/derivation.md#engine-queue (the finalized L2 head) — an L2 block is
    /// finalized once the L1 block it was derived from is finalized.
    fn try_finalize(&mut self, l1: L1BlockRef) {
        let candidate = self
            .finality
            .iter()
            .rev()
            .find(|(from, _)| from.number <= l1.number)
            .map(|(_, l2)| *l2);
        if let Some(l2) = candidate
            && l2.number > self.heads.finalized.number
            && l2.number <= self.heads.safe.number
        {
            self.heads.finalized = l2;
            self.forkchoice_dirty = true;
            self.finality.retain(|(_, b)| b.number >= l2.number);
            self.events.push_back(EngineEvent::Finalized(l2));
        }
    }
}
