//! The node's driver: one loop that owns the derivation pipeline, the engine controller and
//! (optionally) the sequencer — three sans-IO cores — and performs the I/O they ask for.
//!
//! Each turn of the loop: poll L1's head labels when due (new heads go to the sequencer,
//! L1 finality to the engine controller), run the sequencer's actions that are due, then
//! step derivation for a bounded amount of work (so a long catch-up never delays a seal),
//! then sleep until the next deadline or an admin command. Errors follow DESIGN.md's
//! classes: temporary → retry after a back-off, reset → find the sync start again
//! (protocol/derivation.md#resetting-the-pipeline), critical → derivation stops, the node
//! keeps serving and says why in its status.
//!
//! Nothing here decides protocol rules; the cores do. The driver only routes.

pub mod control;
mod derivation;
mod engine;
mod reset;
mod sequencing;
pub mod sources;

use std::{sync::Arc, time::Duration};

use keel_derive::{
    pipeline::Pipeline,
    types::{L1BlockRef, L2BlockRef},
};
use keel_engine::{
    actor::EngineActor,
    api::EngineApi,
    controller::{EngineController, Heads},
};
use keel_protocol::rollup_config::RollupConfig;
use keel_sequencer::sequencer::{Sequencer, SequencerConfig};
use tokio::sync::{mpsc, watch};

use control::{COMMAND_QUEUE, Command, NodeHandle, NodeStatus};
use sources::{Clock, L1Heads, L1Source, L2Source};

/// The driver's settings.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    /// The chain.
    pub rollup: Arc<RollupConfig>,
    /// `Some` runs a sequencer (`--sequencer.enabled`).
    pub sequencer: Option<SequencerConfig>,
    /// Start the sequencer stopped (`--sequencer.stopped`).
    pub sequencer_stopped: bool,
    /// `--verifier.l1-confs`: derivation stays this many blocks behind the L1 head.
    pub verifier_l1_confs: u64,
    /// How often L1's head labels are polled.
    pub l1_poll_interval: Duration,
    /// Most derivation steps per loop turn (the sequencer's deadlines are checked between
    /// batches of steps).
    pub derivation_steps_per_turn: usize,
}

impl DriverConfig {
    /// A verifier for `rollup` with op-node's defaults.
    pub fn verifier(rollup: Arc<RollupConfig>) -> Self {
        Self {
            rollup,
            sequencer: None,
            sequencer_stopped: false,
            verifier_l1_confs: 0,
            l1_poll_interval: Duration::from_secs(4),
            derivation_steps_per_turn: 256,
        }
    }
}

/// Observers of what the driver does: the safe-head database, metrics. Every method has
/// a no-op default.
pub trait DriverHooks: Send {
    /// `safe` became the safe head, derived from L1 block `derived_from`.
    fn safe_head(&mut self, derived_from: L1BlockRef, safe: L2BlockRef) {
        let _ = (derived_from, safe);
    }
    /// The pipeline restarted from `origin` (records derived from later L1 blocks are void).
    fn pipeline_reset(&mut self, origin: L1BlockRef) {
        let _ = origin;
    }
    /// The same reset, with the safe head the engine controller restarted from (what the
    /// safe-head database needs to drop the records the reset voids). Called right after
    /// [`Self::pipeline_reset`].
    fn derivation_reset(&mut self, origin: L1BlockRef, safe: L2BlockRef) {
        let _ = (origin, safe);
    }
    /// The local sequencer sealed `block`, holding `txs` transactions, in `seal`.
    fn sequenced(&mut self, block: L2BlockRef, seal: Duration, txs: usize) {
        let _ = (block, seal, txs);
    }
    /// The sequencer's block took `seconds` more than the block time from the start of its
    /// build to its seal (negative: less).
    fn sequencer_building_diff(&mut self, seconds: f64) {
        let _ = seconds;
    }
    /// The sequencer's engine call failed (it retries or resets).
    fn sequencing_error(&mut self) {}
    /// One derivation step came to `outcome`: `attributes`, `need_l1`, `need_blobs`,
    /// `need_l2`, `idle` (waiting for a new L1 head) or `error`.
    fn derivation_step(&mut self, outcome: &'static str) {
        let _ = outcome;
    }
    /// Derivation failed with an error of any class (retried, reset or halted).
    fn derivation_error(&mut self) {}
    /// Derivation read these many more batches out of channels.
    fn derived_batches(&mut self, singular: u64, span: u64) {
        let _ = (singular, span);
    }
    /// The heads or L1 view changed.
    fn status(&mut self, status: &NodeStatus) {
        let _ = status;
    }
}

/// Hooks that observe nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHooks;

impl DriverHooks for NoHooks {}

/// Why the driver stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The start-up checks failed (wrong chain, unreachable clients): nothing can run.
    #[error("start-up failed: {0}")]
    Startup(String),
}

/// Back-off after a temporary failure, doubling up to [`MAX_BACKOFF_MS`].
const BASE_BACKOFF_MS: u64 = 250;
const MAX_BACKOFF_MS: u64 = 10_000;

/// The driver. Build it with [`Driver::new`], take a [`NodeHandle`] with
/// [`Driver::handle`], then [`Driver::run`] it.
pub struct Driver<L1, L2, E, C, H = NoHooks> {
    cfg: DriverConfig,
    l1: L1,
    l2: L2,
    engine: EngineActor<E>,
    clock: C,
    hooks: H,
    pipeline: Pipeline,
    sequencer: Option<Sequencer>,
    l1_heads: Option<L1Heads>,
    status: watch::Sender<NodeStatus>,
    commands_rx: mpsc::Receiver<Command>,
    commands_tx: mpsc::Sender<Command>,
    /// Derivation waits until then after a temporary failure.
    derive_retry_at_ms: u64,
    derive_backoff_ms: u64,
    /// Derivation needs an L1 block above the head: wait for a new head.
    derive_waiting_l1: bool,
    /// A critical error stopped derivation.
    derive_halted: Option<String>,
    /// A reset is due (a reset-class error, or an admin request).
    reset_due: bool,
    /// The engine controller has a parked job to retry at this time.
    engine_retry_at_ms: Option<u64>,
    /// A seal is inserting the sequencer's own block.
    sealing: bool,
    /// When the engine started building the block being sequenced.
    build_started_ms: Option<u64>,
    /// The unsafe head moved and the sequencer has not heard of it yet.
    unsafe_head_untold: bool,
    /// The last L1 block fetched for derivation, for its blob indices.
    last_l1_input: Option<keel_derive::types::L1BlockInput>,
    /// The pipeline's batch count already reported to the hooks.
    batches_reported: keel_derive::pipeline::BatchesRead,
    /// Derived blocks changed the heads since the last forkchoice flush.
    flush_due: bool,
}

impl<L1, L2, E, C, H> std::fmt::Debug for Driver<L1, L2, E, C, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("status", &*self.status.borrow())
            .finish_non_exhaustive()
    }
}

impl<L1, L2, E, C, H> Driver<L1, L2, E, C, H>
where
    L1: L1Source,
    L2: L2Source,
    E: EngineApi + Sync,
    C: Clock,
    H: DriverHooks,
{
    /// A driver over these sources and engine. Nothing runs until [`Self::run`], which
    /// starts by finding the sync start from the execution client's heads.
    pub fn new(cfg: DriverConfig, l1: L1, l2: L2, engine: E, clock: C, hooks: H) -> Self {
        let rollup = Arc::clone(&cfg.rollup);
        let genesis = genesis_ref(&rollup);
        let controller = EngineController::new((*rollup).clone(), Heads::at(genesis));
        let genesis_l1 = L1BlockRef {
            hash: rollup.genesis.l1.hash,
            number: rollup.genesis.l1.number,
            ..L1BlockRef::default()
        };
        let pipeline = Pipeline::new(
            Arc::clone(&rollup),
            genesis_l1,
            rollup.genesis.system_config,
        );
        let sequencer = cfg
            .sequencer
            .map(|conf| Sequencer::new((*rollup).clone(), conf));
        let (status, _) = watch::channel(NodeStatus::default());
        let (commands_tx, commands_rx) = mpsc::channel(COMMAND_QUEUE);
        Self {
            cfg,
            l1,
            l2,
            engine: EngineActor::new(engine, controller),
            clock,
            hooks,
            pipeline,
            sequencer,
            l1_heads: None,
            status,
            commands_rx,
            commands_tx,
            derive_retry_at_ms: 0,
            derive_backoff_ms: BASE_BACKOFF_MS,
            derive_waiting_l1: false,
            batches_reported: keel_derive::pipeline::BatchesRead::default(),
            flush_due: false,
            derive_halted: None,
            reset_due: true,
            engine_retry_at_ms: None,
            sealing: false,
            build_started_ms: None,
            unsafe_head_untold: false,
            last_l1_input: None,
        }
    }

    /// A handle for RPC servers and tests.
    pub fn handle(&self) -> NodeHandle {
        NodeHandle {
            commands: self.commands_tx.clone(),
            status: self.status.subscribe(),
        }
    }

    /// Runs until `shutdown` completes. The first reset (finding where to start from the
    /// execution client's heads) is retried while its failures are temporary; a
    /// wrong-chain error ends the run.
    pub async fn run(
        mut self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), DriverError> {
        tokio::pin!(shutdown);
        let mut next_l1_poll = 0u64;
        let mut started_sequencer = false;
        loop {
            let now = self.clock.now_ms();
            if now >= next_l1_poll {
                self.poll_l1().await;
                next_l1_poll = now.saturating_add(duration_ms(self.cfg.l1_poll_interval));
            }
            if self.reset_due && now >= self.derive_retry_at_ms {
                match self.reset().await {
                    Ok(()) => {
                        if !started_sequencer {
                            started_sequencer = true;
                            self.boot_sequencer();
                        }
                    }
                    Err(reset::ResetFailure::Fatal(msg)) if !started_sequencer => {
                        return Err(DriverError::Startup(msg));
                    }
                    Err(reset::ResetFailure::Fatal(msg)) => self.halt_derivation(msg),
                    Err(reset::ResetFailure::Retry(msg)) => {
                        tracing::warn!(error = %msg, "reset failed, retrying");
                        self.backoff_derivation();
                    }
                }
            }
            let mut wake = next_l1_poll;
            if !self.reset_due {
                if let Some(at) = self.engine_retry_at_ms
                    && now >= at
                {
                    self.engine_retry_at_ms = None;
                    self.drive_engine(keel_engine::controller::EngineInput::Retry)
                        .await;
                }
                if let Some(at) = self.run_sequencer().await {
                    wake = wake.min(at);
                }
                if let Some(at) = self.run_derivation().await {
                    wake = wake.min(at);
                }
                if let Some(at) = self.engine_retry_at_ms {
                    wake = wake.min(at);
                }
            } else {
                wake = wake.min(self.derive_retry_at_ms.max(now));
            }
            self.publish();
            let now = self.clock.now_ms();
            if wake <= now {
                // More work is due at once; still let commands in.
                if let Ok(cmd) = self.commands_rx.try_recv() {
                    self.command(cmd).await;
                }
                tokio::task::yield_now().await;
                continue;
            }
            let sleep = tokio::time::sleep(Duration::from_millis(wake - now));
            tokio::select! {
                () = &mut shutdown => {
                    tracing::info!("driver stopping");
                    return Ok(());
                }
                () = sleep => {}
                Some(cmd) = self.commands_rx.recv() => self.command(cmd).await,
            }
        }
    }

    fn boot_sequencer(&mut self) {
        let stopped = self.cfg.sequencer_stopped;
        let now = self.clock.now_ms();
        if let Some(seq) = self.sequencer.as_mut()
            && !stopped
        {
            seq.start_unchecked(now);
            tracing::info!("sequencer started");
        }
    }

    async fn poll_l1(&mut self) {
        match self.l1.heads().await {
            Ok(heads) => {
                let old = self.l1_heads.replace(heads);
                if old.map(|o| o.head) != Some(heads.head) {
                    self.derive_waiting_l1 = false;
                    if let Some(seq) = self.sequencer.as_mut() {
                        seq.on_event(
                            keel_sequencer::sequencer::SequencerEvent::L1Head(heads.head),
                            self.clock.now_ms(),
                        );
                    }
                }
                if old.map(|o| o.finalized) != Some(heads.finalized) && !self.reset_due {
                    self.drive_engine(keel_engine::controller::EngineInput::L1Finalized(
                        heads.finalized,
                    ))
                    .await;
                    self.drive_engine(keel_engine::controller::EngineInput::Flush)
                        .await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read L1 heads"),
        }
    }

    fn backoff_derivation(&mut self) {
        let now = self.clock.now_ms();
        self.derive_retry_at_ms = now.saturating_add(self.derive_backoff_ms);
        self.derive_backoff_ms = (self.derive_backoff_ms * 2).min(MAX_BACKOFF_MS);
    }

    fn halt_derivation(&mut self, msg: String) {
        tracing::error!(error = %msg, "derivation stopped");
        self.derive_halted = Some(msg);
    }

    fn publish(&mut self) {
        let heads = *self.engine.controller().heads();
        let l1 = self.l1_heads.unwrap_or_default();
        let (active, recovery) = self
            .sequencer
            .as_ref()
            .map_or((false, false), |s| (s.is_active(), s.is_recovery_mode()));
        let changed = self.status.send_if_modified(|s| {
            let before = s.clone();
            s.current_l1 = self.pipeline.origin();
            s.head_l1 = l1.head;
            s.safe_l1 = l1.safe;
            s.finalized_l1 = l1.finalized;
            s.heads = heads;
            s.sequencer_active = active;
            s.recovery_mode = recovery;
            s.halted.clone_from(&self.derive_halted);
            *s != before
        });
        if changed {
            let snapshot = self.status.borrow().clone();
            self.hooks.status(&snapshot);
        }
    }

    async fn command(&mut self, cmd: Command) {
        let now = self.clock.now_ms();
        match cmd {
            Command::StartSequencer { hash, reply } => {
                let r = match self.sequencer.as_mut() {
                    Some(seq) => seq.start(hash, now).map_err(|e| e.to_string()),
                    None => Err("sequencer not enabled".to_owned()),
                };
                let _ = reply.send(r);
            }
            Command::StopSequencer { reply } => {
                let r = match self.sequencer.as_mut() {
                    Some(seq) => seq.stop().map_err(|e| e.to_string()),
                    None => Err("sequencer not enabled".to_owned()),
                };
                let _ = reply.send(r);
            }
            Command::SequencerActive { reply } => {
                let _ = reply.send(self.sequencer.as_ref().is_some_and(Sequencer::is_active));
            }
            Command::SetRecoverMode { on, reply } => {
                let r = match self.sequencer.as_mut() {
                    Some(seq) => {
                        seq.set_recovery_mode(on);
                        Ok(())
                    }
                    None => Err("sequencer not enabled".to_owned()),
                };
                let _ = reply.send(r);
            }
            Command::ResetDerivation { reply } => {
                self.reset_due = true;
                self.derive_retry_at_ms = now;
                let _ = reply.send(Ok(()));
            }
            Command::PostUnsafePayload { payload, reply } => {
                self.drive_engine(keel_engine::controller::EngineInput::UnsafePayload(payload))
                    .await;
                let _ = reply.send(Ok(()));
            }
        }
        self.publish();
    }
}

/// The L2 genesis as a block reference.
pub fn genesis_ref(cfg: &RollupConfig) -> L2BlockRef {
    L2BlockRef {
        hash: cfg.genesis.l2.hash,
        number: cfg.genesis.l2.number,
        parent_hash: alloy_primitives::B256::ZERO,
        timestamp: cfg.genesis.l2_time,
        l1_origin: cfg.genesis.l1,
        sequence_number: 0,
    }
}

fn duration_ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
