//! The sequencer state machine: origin selection, attributes and schedule tied together
//! (op-node's `Sequencer` with its `L1OriginSelector`, as a sans-IO machine).
//!
//! Spec: protocol/derivation.md (L2 timestamps one block time apart, L1 origin and
//! sequencer-drift rules the derived chain enforces), protocol/rollup-node.md; where the
//! spec leaves the sequencer free (retries, timing), op-node's behaviour is followed or the
//! difference is named below.
//!
//! The driver loop is:
//! 1. `let action = seq.next_action(now_ms)`;
//! 2. execute it (fetch an L1 block, call the engine, sleep until a time);
//! 3. feed the outcome back with `seq.on_event(event, now_ms)`, plus any unsolicited news
//!    (a new L1 head, a new unsafe head from the engine controller);
//! 4. repeat.
//!
//! Fetch actions are idempotent (asked again until answered); `StartBuilding` and `Seal` are
//! emitted once per block and the machine waits ([`SequencerAction::Idle`]) for the
//! engine's answer, so one slot never gets two blocks.
//!
//! # Faults
//!
//! Every action and error has a `Debug` / `Display` form meant to be the driver's log line.
//!
//! - **Engine refuses the block** (`InvalidAttributes` from `forkchoiceUpdated`,
//!   `InvalidPayload` from `newPayload`): the block is dropped and, after one block time (as
//!   op-node), the same slot is rebuilt on the same parent **deposits-only**, which
//!   derivation would also produce; if the engine refuses that too, the sequencer halts
//!   ([`SequencerError::DepositsOnlyRejected`], critical). op-node instead retries the same
//!   attributes with the pool on.
//! - **Engine SYNCING, down or slow** (the driver's call timed out): the job is dropped and
//!   the slot retried after an exponential back-off (1 s doubling to 30 s by default; reset
//!   by the next sealed block). Missed slots are then caught up, none skipped.
//! - **L1 unreachable**: within the drift the sequencer keeps its origin and goes on; past
//!   it, it waits ([`SequencerAction::WaitForL1`]) and says why.
//! - **L1 reorg of the current origin**: a new L1 head that does not extend the previous one
//!   makes the sequencer refetch the next L1 block; if the canonical block there does not
//!   extend the parent's origin, every unsafe block on that origin would be dropped by
//!   derivation, so the sequencer asks for a [`SequencerAction::Reset`] at once (op-node
//!   keeps building on the stale origin until the drift forces the next origin, then
//!   resets; kona keeps building). The node's reset (`keel_derive::reset`) unwinds the
//!   unsafe chain to the last block on a canonical origin and reports it as the new unsafe
//!   head; the sequencer waits one block time (op-node's reset confirmation) and rebuilds
//!   from there on canonical origins.
//! - **Derivation (or gossip) replaces the unsafe chain**: an `UnsafeHead` that is not the
//!   parent of the block in progress drops that block; the next block is built on the new
//!   head.

mod events;

use alloy_consensus::{Header, ReceiptEnvelope, Sealed};
use alloy_eips::eip7840::BlobParams;
use alloy_primitives::B256;
use alloy_rpc_types_engine::PayloadId;
use keel_derive::{
    attributes::EpochOrigin,
    error::ErrorClass,
    types::{L1BlockRef, L2BlockRef},
};
use keel_protocol::{rollup_config::RollupConfig, system_config::SystemConfig};

pub use events::{ControlError, EngineFault, EpochInput, SequencerEvent};

use crate::{
    attributes::{BuildMode, SequencerAttributes, sequencer_attributes},
    error::SequencerError,
    origin::{NextL1, OriginDecision, OriginInputs, WaitReason, select_origin},
    schedule::{Backoff, ScheduleConfig, SealMargin, seal_at, start_at},
};

/// How many L1 epochs' headers and receipts the sequencer keeps: the current origin's and
/// the next one's.
pub const EPOCH_CACHE: usize = 2;

/// The sequencer's settings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SequencerConfig {
    /// `--sequencer.l1-confs`: L1 blocks this deep below the L1 head are not adopted as
    /// origins yet (op-node default 4; 0 disables).
    pub l1_confs: u64,
    /// The building clock.
    pub schedule: ScheduleConfig,
    /// Start in recovery mode (deposits-only blocks).
    pub recovery: bool,
}

/// What the driver should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SequencerAction {
    /// Nothing until an event arrives (stopped, or an engine call is under way).
    Idle,
    /// Nothing until `until_ms`, or until an event arrives.
    Wait {
        /// When to ask again (ms since the UNIX epoch).
        until_ms: u64,
        /// What is awaited.
        cause: WaitCause,
    },
    /// The next block must move to an L1 block that is not usable yet: ask again at
    /// `until_ms` or on a new L1 head.
    WaitForL1 {
        /// Why.
        reason: WaitReason,
        /// When to look again.
        until_ms: u64,
    },
    /// Report the current unsafe head ([`SequencerEvent::UnsafeHead`]).
    NeedUnsafeHead,
    /// Fetch the canonical L1 block at this height ([`SequencerEvent::L1Block`], or
    /// [`SequencerEvent::L1Unavailable`]).
    FetchL1BlockByNumber(u64),
    /// Fetch the L1 block with this hash.
    FetchL1BlockByHash(B256),
    /// Fetch the epoch's L1 header, and its receipts if `receipts`
    /// ([`SequencerEvent::EpochData`]).
    FetchEpoch {
        /// The L1 origin.
        origin: L1BlockRef,
        /// Whether the receipts are needed (first block of the epoch).
        receipts: bool,
    },
    /// Call `engine_forkchoiceUpdated(parent, attributes)`; answer with
    /// [`SequencerEvent::BuildStarted`] or [`SequencerEvent::EngineError`].
    StartBuilding {
        /// The block to build on.
        parent: L2BlockRef,
        /// The new block's timestamp.
        timestamp: u64,
        /// The attributes (and why the pool is off, for the log line).
        attributes: Box<SequencerAttributes>,
    },
    /// Seal the payload (`getPayload`, `newPayload`, `forkchoiceUpdated`) — a node with p2p
    /// would then sign and gossip it (`keel node` has no p2p yet); answer with [`SequencerEvent::Sealed`] or [`SequencerEvent::EngineError`].
    Seal {
        /// The payload to seal, as `BuildStarted` returned it.
        payload_id: PayloadId,
        /// Its parent.
        parent: L2BlockRef,
        /// Its timestamp.
        timestamp: u64,
    },
    /// The unsafe chain is inconsistent with L1 (e.g. its L1 origin was reorganised away):
    /// reset the engine controller / derivation (`keel_derive::reset`), then report the
    /// resulting unsafe head. Emitted once; the sequencer is idle until the new head.
    Reset {
        /// Why.
        error: SequencerError,
    },
    /// Sequencing cannot continue; the sequencer stopped itself. `start` clears it.
    Halt {
        /// Why.
        error: SequencerError,
    },
}

/// What a [`SequencerAction::Wait`] waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitCause {
    /// The next block's building window (one block time before its slot).
    BuildWindow,
    /// The seal time of the block being built.
    SealTime,
    /// Back-off after a fault.
    Backoff,
}

/// What the sequencer knows about the L1 epochs it builds on.
#[derive(Debug, Clone)]
struct EpochData {
    header: Sealed<Header>,
    receipts: Option<Vec<ReceiptEnvelope>>,
    blob_params: Option<BlobParams>,
}

/// An outstanding fetch, to route `L1Unavailable`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Current,
    Next,
    Epoch,
}

/// The block under construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Build {
    None,
    /// `StartBuilding` emitted, awaiting the payload id.
    Starting(Job),
    /// Building; seal at the seal time.
    Building(Job, PayloadId),
    /// `Seal` emitted at `since_ms`, awaiting the sealed head.
    Sealing(Job, PayloadId, u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Job {
    parent: L2BlockRef,
    timestamp: u64,
    system_config: SystemConfig,
    deposits_only: bool,
}

/// The sequencer. See the module documentation for the driver loop.
#[derive(Debug, Clone)]
pub struct Sequencer {
    cfg: RollupConfig,
    conf: SequencerConfig,
    active: bool,
    recovery: bool,
    halted: Option<SequencerError>,
    awaiting_reset: bool,
    head: Option<(L2BlockRef, SystemConfig)>,
    l1_head: Option<L1BlockRef>,
    current: Option<L1BlockRef>,
    next: NextL1,
    next_retry_ms: u64,
    epochs: Vec<EpochData>,
    pending: Option<Pending>,
    build: Build,
    /// The parent whose block the engine refused: the next attempt on it is deposits-only.
    refused_parent: Option<B256>,
    retry_at_ms: u64,
    margin: SealMargin,
    backoff: Backoff,
}

impl Sequencer {
    /// A stopped sequencer for chain `cfg`. `start` (or `start_unchecked` at boot with
    /// `--sequencer.enabled`) activates it.
    pub fn new(cfg: RollupConfig, conf: SequencerConfig) -> Self {
        let margin = SealMargin::new(&conf.schedule, cfg.block_time);
        let backoff = Backoff::new(&conf.schedule);
        Self {
            cfg,
            conf,
            active: false,
            recovery: conf.recovery,
            halted: None,
            awaiting_reset: false,
            head: None,
            l1_head: None,
            current: None,
            next: NextL1::NotFetched,
            next_retry_ms: 0,
            epochs: Vec::with_capacity(EPOCH_CACHE),
            pending: None,
            build: Build::None,
            refused_parent: None,
            retry_at_ms: 0,
            margin,
            backoff,
        }
    }

    /// Whether the sequencer is producing blocks (`admin_sequencerActive`).
    pub const fn is_active(&self) -> bool {
        self.active
    }

    /// Whether blocks are built deposits-only.
    pub const fn is_recovery_mode(&self) -> bool {
        self.recovery
    }

    /// Turns recovery mode on or off (`admin_setRecoverMode`).
    pub fn set_recovery_mode(&mut self, on: bool) {
        self.recovery = on;
    }

    /// The unsafe head the sequencer builds on, if known.
    pub fn unsafe_head(&self) -> Option<L2BlockRef> {
        self.head.map(|(h, _)| h)
    }

    /// The current seal margin in milliseconds.
    pub fn seal_margin_ms(&self) -> u64 {
        self.margin.margin_ms()
    }

    /// Why the sequencer halted, if it did.
    pub const fn halted(&self) -> Option<&SequencerError> {
        self.halted.as_ref()
    }

    /// The next thing to do at wall-clock time `now_ms` (ms since the UNIX epoch).
    pub fn next_action(&mut self, now_ms: u64) -> SequencerAction {
        if let Some(error) = &self.halted {
            return SequencerAction::Halt {
                error: error.clone(),
            };
        }
        if !self.active || self.awaiting_reset {
            return SequencerAction::Idle;
        }
        match self.build {
            Build::None => self.plan_block(now_ms),
            Build::Starting(_) | Build::Sealing(..) => SequencerAction::Idle,
            Build::Building(job, payload_id) => {
                let at = seal_at(job.timestamp, self.margin.margin_ms(), now_ms);
                if now_ms < at {
                    return SequencerAction::Wait {
                        until_ms: at,
                        cause: WaitCause::SealTime,
                    };
                }
                self.build = Build::Sealing(job, payload_id, now_ms);
                SequencerAction::Seal {
                    payload_id,
                    parent: job.parent,
                    timestamp: job.timestamp,
                }
            }
        }
    }

    /// No block in progress: pick the origin, gather the epoch's data, build the attributes.
    fn plan_block(&mut self, now_ms: u64) -> SequencerAction {
        let Some((parent, parent_sys)) = self.head else {
            return SequencerAction::NeedUnsafeHead;
        };
        let Some(timestamp) = parent.timestamp.checked_add(self.cfg.block_time) else {
            return self.fail(
                SequencerError::TimestampOverflow {
                    parent_number: parent.number,
                },
                now_ms,
            );
        };
        let start = start_at(timestamp, self.cfg.block_time, now_ms);
        if now_ms < start {
            return SequencerAction::Wait {
                until_ms: start,
                cause: WaitCause::BuildWindow,
            };
        }
        if now_ms < self.retry_at_ms {
            return SequencerAction::Wait {
                until_ms: self.retry_at_ms,
                cause: WaitCause::Backoff,
            };
        }
        if self.next == NextL1::Unavailable && now_ms >= self.next_retry_ms {
            self.next = NextL1::NotFetched;
        }
        let decision = select_origin(
            &self.cfg,
            OriginInputs {
                parent: &parent,
                current: self.current.as_ref(),
                next: self.next,
                l1_head: self.l1_head.map_or(0, |h| h.number),
                confs: self.conf.l1_confs,
            },
        );
        let origin = match decision {
            Ok(OriginDecision::Keep(o) | OriginDecision::Advance(o)) => o,
            Ok(OriginDecision::NeedL1Block(n)) => {
                self.pending = Some(Pending::Next);
                return SequencerAction::FetchL1BlockByNumber(n);
            }
            Ok(OriginDecision::NeedL1BlockByHash(h)) => {
                self.pending = Some(Pending::Current);
                return SequencerAction::FetchL1BlockByHash(h);
            }
            Ok(OriginDecision::WaitForL1 { reason }) => {
                let until_ms = now_ms.saturating_add(self.conf.schedule.retry_base_ms);
                if self.next == NextL1::Unavailable {
                    self.next_retry_ms = until_ms;
                }
                return SequencerAction::WaitForL1 { reason, until_ms };
            }
            Err(e) => return self.fail(e.into(), now_ms),
        };
        let new_epoch = origin.number != parent.l1_origin.number;
        let Some(epoch) = self
            .epochs
            .iter()
            .find(|e| e.header.hash() == origin.hash && (!new_epoch || e.receipts.is_some()))
        else {
            self.pending = Some(Pending::Epoch);
            return SequencerAction::FetchEpoch {
                origin,
                receipts: new_epoch,
            };
        };
        let deposits_only = self.refused_parent == Some(parent.hash);
        let built = sequencer_attributes(
            &self.cfg,
            &parent,
            &parent_sys,
            &origin,
            EpochOrigin {
                header: &epoch.header,
                receipts: epoch.receipts.as_deref(),
                l1_blob_params: epoch.blob_params,
            },
            BuildMode {
                recovery: self.recovery,
                deposits_only_retry: deposits_only,
            },
        );
        match built {
            Ok(attributes) => {
                self.build = Build::Starting(Job {
                    parent,
                    timestamp,
                    system_config: attributes.prepared.system_config,
                    deposits_only,
                });
                SequencerAction::StartBuilding {
                    parent,
                    timestamp,
                    attributes: Box::new(attributes),
                }
            }
            Err(e) => self.fail(e, now_ms),
        }
    }

    /// Turns an error into the action its class calls for.
    fn fail(&mut self, error: SequencerError, now_ms: u64) -> SequencerAction {
        match error.class() {
            ErrorClass::Temporary => {
                let wait = self.backoff.fail();
                self.retry_at_ms = now_ms.saturating_add(wait);
                self.forget_l1();
                SequencerAction::Wait {
                    until_ms: self.retry_at_ms,
                    cause: WaitCause::Backoff,
                }
            }
            ErrorClass::Reset => {
                self.awaiting_reset = true;
                self.build = Build::None;
                self.forget_l1();
                SequencerAction::Reset { error }
            }
            ErrorClass::Critical => {
                self.halted = Some(error.clone());
                self.active = false;
                self.build = Build::None;
                SequencerAction::Halt { error }
            }
        }
    }

    /// Drops every cached L1 block: after a reorg or an inconsistency, refetch.
    fn forget_l1(&mut self) {
        self.current = None;
        self.next = NextL1::NotFetched;
        self.epochs.clear();
        self.pending = None;
    }
}
