//! How the rest of the node talks to the driver: a snapshot of its state (for
//! `optimism_syncStatus`, metrics and the devnet's status line) and admin commands (for the
//! `admin_` RPC methods), both over channels so the driver's loop stays the only owner of
//! the pipeline, the engine controller and the sequencer.

use alloy_primitives::B256;
use keel_derive::types::L1BlockRef;
use keel_engine::controller::Heads;
use op_alloy_rpc_types_engine::OpExecutionPayloadEnvelope;
use tokio::sync::{mpsc, oneshot, watch};

/// The driver's state, published after every change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeStatus {
    /// The L1 block derivation has reached (op-node's `current_l1`).
    pub current_l1: L1BlockRef,
    /// The last L1 `latest` seen.
    pub head_l1: L1BlockRef,
    /// The last L1 `safe` seen.
    pub safe_l1: L1BlockRef,
    /// The last L1 `finalized` seen.
    pub finalized_l1: L1BlockRef,
    /// The L2 heads.
    pub heads: Heads,
    /// Whether the sequencer is producing blocks.
    pub sequencer_active: bool,
    /// Whether the sequencer is in recovery mode.
    pub recovery_mode: bool,
    /// Blocks the local sequencer sealed since start.
    pub sequenced_blocks: u64,
    /// Of those, the ones that were the unsafe head by their own timestamp (the slot): what
    /// users of a 1 s or 2 s chain feel as block-time jitter.
    pub sealed_on_time: u64,
    /// Pipeline resets since start.
    pub resets: u64,
    /// Why derivation stopped, if a critical error stopped it.
    pub halted: Option<String>,
}

/// An admin command; each carries the channel its answer goes back on.
#[derive(Debug)]
#[non_exhaustive]
pub enum Command {
    /// `admin_startSequencer`: start building on the unsafe head, which must be `hash`.
    StartSequencer {
        /// The unsafe head the caller expects.
        hash: B256,
        /// Ok, or why not.
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// `admin_stopSequencer`: stop, answering the unsafe head's hash.
    StopSequencer {
        /// The head, or why not.
        reply: oneshot::Sender<Result<B256, String>>,
    },
    /// `admin_sequencerActive`.
    SequencerActive {
        /// Whether it is.
        reply: oneshot::Sender<bool>,
    },
    /// `admin_setRecoverMode`.
    SetRecoverMode {
        /// On or off.
        on: bool,
        /// Ok, or why not (no sequencer).
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// `admin_resetDerivationPipeline`.
    ResetDerivation {
        /// Done.
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// `admin_postUnsafePayload`: insert a payload as if it came from gossip.
    PostUnsafePayload {
        /// The payload.
        payload: Box<OpExecutionPayloadEnvelope>,
        /// Ok once handed to the engine controller, or why not.
        reply: oneshot::Sender<Result<(), String>>,
    },
}

/// Most commands queued for the driver; more callers wait (admin traffic is tiny).
pub const COMMAND_QUEUE: usize = 64;

/// A cloneable handle on a running driver.
#[derive(Debug, Clone)]
pub struct NodeHandle {
    pub(crate) commands: mpsc::Sender<Command>,
    pub(crate) status: watch::Receiver<NodeStatus>,
}

/// The driver is gone (shut down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the node's driver has stopped")]
pub struct DriverGone;

impl NodeHandle {
    /// The latest status.
    pub fn status(&self) -> NodeStatus {
        self.status.borrow().clone()
    }

    /// A receiver that wakes on every status change.
    pub fn subscribe(&self) -> watch::Receiver<NodeStatus> {
        self.status.clone()
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, DriverGone> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(make(tx)).await.map_err(|_| DriverGone)?;
        rx.await.map_err(|_| DriverGone)
    }

    /// `admin_startSequencer`.
    pub async fn start_sequencer(&self, hash: B256) -> Result<Result<(), String>, DriverGone> {
        self.ask(|reply| Command::StartSequencer { hash, reply })
            .await
    }

    /// `admin_stopSequencer`.
    pub async fn stop_sequencer(&self) -> Result<Result<B256, String>, DriverGone> {
        self.ask(|reply| Command::StopSequencer { reply }).await
    }

    /// `admin_sequencerActive`.
    pub async fn sequencer_active(&self) -> Result<bool, DriverGone> {
        self.ask(|reply| Command::SequencerActive { reply }).await
    }

    /// `admin_setRecoverMode`.
    pub async fn set_recover_mode(&self, on: bool) -> Result<Result<(), String>, DriverGone> {
        self.ask(|reply| Command::SetRecoverMode { on, reply })
            .await
    }

    /// `admin_resetDerivationPipeline`.
    pub async fn reset_derivation(&self) -> Result<Result<(), String>, DriverGone> {
        self.ask(|reply| Command::ResetDerivation { reply }).await
    }

    /// `admin_postUnsafePayload`.
    pub async fn post_unsafe_payload(
        &self,
        payload: OpExecutionPayloadEnvelope,
    ) -> Result<Result<(), String>, DriverGone> {
        self.ask(|reply| Command::PostUnsafePayload {
            payload: Box::new(payload),
            reply,
        })
        .await
    }
}
