//! What the driver tells the sequencer (answers, faults, news) and the admin controls.

use std::time::Duration;

use alloy_consensus::{Header, ReceiptEnvelope, Sealed};
use alloy_eips::eip7840::BlobParams;
use alloy_primitives::B256;
use alloy_rpc_types_engine::PayloadId;
use keel_derive::types::{L1BlockRef, L2BlockRef};
use keel_protocol::system_config::SystemConfig;

use super::{Build, EPOCH_CACHE, EpochData, Pending, Sequencer};
use crate::{error::SequencerError, origin::NextL1};

/// An input to the sequencer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SequencerEvent {
    /// The engine controller's unsafe head and the system config in force after it (at
    /// start-up, after a reset, and whenever derivation or gossip replaced the unsafe
    /// chain). The sequencer drops a build whose parent is no longer the head and
    /// reschedules from the new head.
    UnsafeHead {
        /// The head.
        head: L2BlockRef,
        /// Its system config (`keel_derive::l2::system_config`).
        system_config: SystemConfig,
    },
    /// A new L1 head was seen. The driver must report L1 heads: origins are adopted only
    /// up to the last reported head (minus the confirmation depth).
    L1Head(L1BlockRef),
    /// Answer to `FetchL1BlockByNumber` / `FetchL1BlockByHash`.
    L1Block(L1BlockRef),
    /// The last fetch failed: L1 unreachable, or no such block yet.
    L1Unavailable,
    /// Answer to `FetchEpoch`.
    EpochData(Box<EpochInput>),
    /// The engine started building: answer to `StartBuilding`.
    BuildStarted {
        /// The payload id `forkchoiceUpdated` returned.
        payload_id: PayloadId,
    },
    /// The block was sealed, inserted and made the unsafe head: answer to `Seal`.
    Sealed {
        /// The new unsafe head.
        head: L2BlockRef,
        /// How long the seal took (from the `Seal` action to now, as the driver measured it).
        seal_duration: Duration,
    },
    /// The engine failed the last `StartBuilding` or `Seal`.
    EngineError {
        /// How.
        fault: EngineFault,
    },
}

/// An L1 epoch's data, as the driver fetched it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpochInput {
    /// The L1 header, sealed with its hash.
    pub header: Sealed<Header>,
    /// Its receipts, if they were asked for.
    pub receipts: Option<Vec<ReceiptEnvelope>>,
    /// L1's blob parameters at that block (see `keel_derive::attributes::EpochOrigin`).
    pub blob_params: Option<BlobParams>,
}

/// How the engine failed a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineFault {
    /// `forkchoiceUpdated` refused the attributes (INVALID / invalid params).
    InvalidAttributes,
    /// `newPayload` found the sealed payload INVALID.
    InvalidPayload,
    /// The engine answered SYNCING.
    Syncing,
    /// The engine is down, slow (timed out) or lost the payload.
    Unavailable,
}

/// Why an admin control was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ControlError {
    /// `admin_startSequencer` on a running sequencer.
    #[error("sequencer already running")]
    AlreadyStarted,
    /// `admin_stopSequencer` on a stopped sequencer.
    #[error("sequencer not running")]
    AlreadyStopped,
    /// No unsafe head is known yet, so the start point cannot be checked.
    #[error("no unsafe head known, cannot check the start at {0}")]
    NoHead(B256),
    /// The hash to start at is not the current unsafe head.
    #[error("start at {given} refused: the unsafe head is {head} (number {number})")]
    NotHead {
        /// The hash asked for.
        given: B256,
        /// The current unsafe head's hash.
        head: B256,
        /// Its number.
        number: u64,
    },
    /// A block is being sealed; stop once it is the head (op-node waits for it).
    #[error(
        "a block on L2 parent {parent_number} is being sealed; retry once it is the unsafe head"
    )]
    SealInProgress {
        /// Its parent's number.
        parent_number: u64,
    },
}

impl Sequencer {
    /// Feeds one event at wall-clock time `now_ms`.
    pub fn on_event(&mut self, event: SequencerEvent, now_ms: u64) {
        match event {
            SequencerEvent::UnsafeHead {
                head,
                system_config,
            } => self.on_unsafe_head(head, system_config, now_ms),
            SequencerEvent::L1Head(l1) => self.on_l1_head(l1),
            SequencerEvent::L1Block(block) => self.on_l1_block(block),
            SequencerEvent::L1Unavailable => match self.pending.take() {
                Some(Pending::Next) => {
                    self.next = NextL1::Unavailable;
                    self.next_retry_ms = now_ms.saturating_add(self.conf.schedule.retry_base_ms);
                }
                Some(Pending::Current | Pending::Epoch) => {
                    let wait = self.backoff.fail();
                    self.retry_at_ms = now_ms.saturating_add(wait);
                }
                None => {}
            },
            SequencerEvent::EpochData(input) => {
                let EpochInput {
                    header,
                    receipts,
                    blob_params,
                } = *input;
                self.pending = None;
                self.epochs.retain(|e| e.header.hash() != header.hash());
                if self.epochs.len() >= EPOCH_CACHE {
                    // Oldest first: epochs only move forward between resets.
                    self.epochs.remove(0);
                }
                self.epochs.push(EpochData {
                    header,
                    receipts,
                    blob_params,
                });
            }
            SequencerEvent::BuildStarted { payload_id } => {
                if let Build::Starting(job) = self.build {
                    self.build = Build::Building(job, payload_id);
                }
            }
            SequencerEvent::Sealed {
                head,
                seal_duration,
            } => self.on_sealed(head, seal_duration),
            SequencerEvent::EngineError { fault } => self.on_engine_error(fault, now_ms),
        }
    }

    fn on_unsafe_head(&mut self, head: L2BlockRef, system_config: SystemConfig, now_ms: u64) {
        if self.awaiting_reset {
            self.awaiting_reset = false;
            // Give the engine a block time after the reset, as op-node does, so a reset
            // loop cannot run hot.
            self.retry_at_ms = now_ms.saturating_add(self.cfg.block_time.saturating_mul(1000));
        }
        let keep = match self.build {
            Build::None => true,
            // Before the seal, only the parent itself keeps the job: a derived block at the
            // same slot on the same parent is not ours (its hash is unknown until sealed).
            Build::Starting(job) | Build::Building(job, _) => head.hash == job.parent.hash,
            // While sealing, the engine controller may report our block (a child of the
            // parent at our timestamp) before the seal's answer arrives.
            Build::Sealing(job, _, _) => {
                head.hash == job.parent.hash
                    || (head.parent_hash == job.parent.hash && head.timestamp == job.timestamp)
            }
        };
        if !keep {
            // Derivation or a reorg replaced the parent: this block is stale.
            self.build = Build::None;
        }
        self.set_head(head, system_config);
    }

    fn set_head(&mut self, head: L2BlockRef, system_config: SystemConfig) {
        if self.current.is_some_and(|c| c.id() != head.l1_origin) {
            match self.next {
                NextL1::Known(n) if n.id() == head.l1_origin => {
                    self.current = Some(n);
                    self.next = NextL1::NotFetched;
                }
                _ => {
                    self.current = None;
                    self.next = NextL1::NotFetched;
                }
            }
        }
        self.head = Some((head, system_config));
    }

    fn on_l1_head(&mut self, l1: L1BlockRef) {
        let reorg = self
            .l1_head
            .is_some_and(|old| l1.number <= old.number || l1.parent_hash != old.hash);
        if reorg {
            // The chain below the head may have changed: refetch the next origin so a
            // reorg of the current one is seen (its canonical child will not extend it).
            self.next = NextL1::NotFetched;
        } else if self.next == NextL1::Unavailable {
            self.next = NextL1::NotFetched;
        }
        self.l1_head = Some(l1);
    }

    fn on_l1_block(&mut self, block: L1BlockRef) {
        let Some((head, _)) = self.head else { return };
        if block.hash == head.l1_origin.hash {
            self.current = Some(block);
            self.pending = None;
        } else if self
            .current
            .is_some_and(|c| block.number == c.number.saturating_add(1))
        {
            self.next = NextL1::Known(block);
            self.pending = None;
        }
    }

    fn on_sealed(&mut self, head: L2BlockRef, seal_duration: Duration) {
        let Build::Sealing(job, _, _) = self.build else {
            return;
        };
        self.build = Build::None;
        if head.parent_hash != job.parent.hash {
            return;
        }
        self.margin.observe(seal_duration);
        self.backoff.succeed();
        self.refused_parent = None;
        self.set_head(head, job.system_config);
    }

    fn on_engine_error(&mut self, fault: EngineFault, now_ms: u64) {
        let job = match self.build {
            Build::None => None,
            Build::Starting(j) | Build::Building(j, _) | Build::Sealing(j, _, _) => Some(j),
        };
        self.build = Build::None;
        match fault {
            EngineFault::InvalidAttributes | EngineFault::InvalidPayload => {
                let Some(job) = job else { return };
                if job.deposits_only {
                    let error = SequencerError::DepositsOnlyRejected {
                        parent_number: job.parent.number,
                        timestamp: job.timestamp,
                    };
                    self.halted = Some(error);
                    self.active = false;
                    return;
                }
                // op-node retries after a block time; Keel retries the same slot
                // deposits-only, which derivation would also accept.
                self.refused_parent = Some(job.parent.hash);
                self.retry_at_ms = now_ms.saturating_add(self.cfg.block_time.saturating_mul(1000));
            }
            EngineFault::Syncing | EngineFault::Unavailable => {
                let wait = self.backoff.fail();
                self.retry_at_ms = now_ms.saturating_add(wait);
            }
        }
    }

    /// `admin_startSequencer(hash)`: starts only on top of the current unsafe head.
    pub fn start(&mut self, head_hash: B256, now_ms: u64) -> Result<(), ControlError> {
        if self.active {
            return Err(ControlError::AlreadyStarted);
        }
        let Some((head, _)) = self.head else {
            return Err(ControlError::NoHead(head_hash));
        };
        if head.hash != head_hash {
            return Err(ControlError::NotHead {
                given: head_hash,
                head: head.hash,
                number: head.number,
            });
        }
        self.start_unchecked(now_ms);
        Ok(())
    }

    /// Starts without checking a head (boot with `--sequencer.enabled`): the first action
    /// asks for the unsafe head if it is unknown.
    pub fn start_unchecked(&mut self, now_ms: u64) {
        self.active = true;
        self.halted = None;
        self.build = Build::None;
        self.retry_at_ms = now_ms;
        self.backoff.succeed();
    }

    /// `admin_stopSequencer`: stops and returns the unsafe head's hash, the point to start
    /// again from. The block being built (not yet sealing) is dropped.
    pub fn stop(&mut self) -> Result<B256, ControlError> {
        if !self.active {
            return Err(ControlError::AlreadyStopped);
        }
        if let Build::Sealing(job, _, _) = self.build {
            return Err(ControlError::SealInProgress {
                parent_number: job.parent.number,
            });
        }
        let Some((head, _)) = self.head else {
            return Err(ControlError::NoHead(B256::ZERO));
        };
        self.active = false;
        self.build = Build::None;
        Ok(head.hash)
    }
}
