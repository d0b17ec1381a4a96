//! A started devnet and its run-time controls: stop and start the batcher (a fresh one,
//! like a restarted process), stop and start the verifier (a new driver on the same engine,
//! whose heads survive like op-geth's), reorganise L1. [`Devnet::run`] is
//! [`Devnet::start`] plus a status loop; fault tests hold the [`RunningDevnet`] instead.
//!
//! Each component is its own tokio task with its own stop signal, so one can go down while
//! the others run on. Dropping a [`RunningDevnet`] stops them all (their stop signals close).

use std::{sync::Arc, time::Duration};

use keel_devchain::{
    engine_server::InProcessEngine,
    l1::{L1ChainError, Rewound, beacon::SharedL1Chain},
};
use keel_protocol::rollup_config::RollupConfig;
use parking_lot::Mutex;
use tokio::{sync::watch, task::JoinHandle};

use super::{
    BatcherSetup, DevDriver, Devnet, DevnetStatus, batcher::BatcherStats, batcher::DevBatcher,
    dev_driver, external::DevTransport,
};
use crate::{
    driver::{
        DriverError,
        control::NodeHandle,
        sources::{Clock, TokioClock},
    },
    sources::rpc::RpcL2,
};

/// Time between batcher rounds.
pub const BATCHER_INTERVAL: Duration = Duration::from_millis(500);

/// A running devnet. See the module docs.
pub struct RunningDevnet {
    /// The rollup config.
    pub rollup: Arc<RollupConfig>,
    /// The L1 chain.
    pub l1: SharedL1Chain,
    /// The sequencer's embedded L2 engine (idle with an external client).
    pub sequencer_engine: InProcessEngine,
    /// The verifier's embedded L2 engine (idle with an external client).
    pub verifier_engine: InProcessEngine,
    /// The sequencer's execution client: its embedded engine or an external one.
    pub sequencer_l2: DevTransport,
    /// The verifier's execution client.
    pub verifier_l2: DevTransport,
    /// The clock everything runs on.
    pub clock: TokioClock,
    sequencer: NodeTask,
    verifier: Option<NodeTask>,
    /// The verifier's handle, kept while it is stopped (its last status stays readable).
    verifier_handle: NodeHandle,
    batcher: Option<BatcherTask>,
    batcher_setup: BatcherSetup,
    batcher_runs: u64,
    /// The counters of the batcher running, or of the last one.
    batcher_stats: Arc<Mutex<BatcherStats>>,
    miner: JoinHandle<()>,
    stop_miner: watch::Sender<bool>,
}

impl std::fmt::Debug for RunningDevnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningDevnet")
            .field("verifier_running", &self.verifier.is_some())
            .field("batcher_running", &self.batcher.is_some())
            .finish_non_exhaustive()
    }
}

impl Devnet {
    /// Starts every component (L1 miner, sequencer, verifier, batcher) as its own task.
    /// Must be called inside the tokio runtime whose clock the devnet was built with.
    pub fn start(self) -> RunningDevnet {
        let Self {
            rollup,
            l1,
            sequencer_engine,
            verifier_engine,
            sequencer_l2,
            verifier_l2,
            clock,
            sequencer,
            verifier,
            batcher,
            l1_block_time,
        } = self;
        let sequencer = NodeTask::spawn(sequencer);
        let verifier = NodeTask::spawn(verifier);
        let (stop_miner, stop_rx) = watch::channel(false);
        let miner = tokio::spawn(mine(Arc::clone(&l1), clock, l1_block_time, stop_rx));
        let mut running = RunningDevnet {
            rollup,
            l1,
            sequencer_engine,
            verifier_engine,
            sequencer_l2,
            verifier_l2,
            clock,
            verifier_handle: verifier.handle.clone(),
            sequencer,
            verifier: Some(verifier),
            batcher: None,
            batcher_setup: batcher,
            batcher_runs: 0,
            batcher_stats: Arc::default(),
            miner,
            stop_miner,
        };
        running.start_batcher();
        running
    }
}

impl RunningDevnet {
    /// The sequencer node's handle.
    pub fn sequencer(&self) -> &NodeHandle {
        &self.sequencer.handle
    }

    /// The verifier node's handle (of the last verifier started).
    pub fn verifier(&self) -> &NodeHandle {
        &self.verifier_handle
    }

    /// Both nodes' status and the batcher's counters.
    pub fn status(&self) -> DevnetStatus {
        DevnetStatus {
            sequencer: self.sequencer.handle.status(),
            verifier: self.verifier_handle.status(),
            batcher: *self.batcher_stats.lock(),
        }
    }

    /// Whether a batcher is running.
    pub fn batcher_running(&self) -> bool {
        self.batcher.is_some()
    }

    /// Starts a fresh batcher (new channel manager, same key), as a restarted op-batcher:
    /// it learns what to post from the sequencer's safe head. No-op if one runs.
    pub fn start_batcher(&mut self) {
        if self.batcher.is_some() {
            return;
        }
        let batcher = self.batcher_setup.build(self.batcher_runs);
        self.batcher_runs += 1;
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(batcher_loop(
            batcher,
            Arc::clone(&self.l1),
            RpcL2(self.sequencer_l2.client(self.rollup.hardforks)),
            self.sequencer.handle.clone(),
            Arc::clone(&self.batcher_stats),
            stop_rx,
        ));
        self.batcher = Some(BatcherTask { stop, task });
    }

    /// Stops the batcher after its current round and drops it, with whatever it held
    /// (blocks in an open channel, frames not yet posted). A transaction it already handed
    /// to L1 stays in the pool, as one broadcast by a process that then died.
    pub async fn stop_batcher(&mut self) {
        if let Some(b) = self.batcher.take() {
            let _ = b.stop.send(true);
            if let Err(e) = b.task.await {
                tracing::error!(error = %e, "batcher task failed");
            }
        }
    }

    /// Stops the verifier's driver. Its engine keeps its chain and heads.
    pub async fn stop_verifier(&mut self) {
        if let Some(v) = self.verifier.take() {
            v.stop().await;
        }
    }

    /// Starts a new verifier driver on the verifier's engine: it finds where to resume from
    /// the engine's heads (protocol/derivation.md#finding-the-sync-starting-point). No-op if
    /// one runs.
    pub fn start_verifier(&mut self) {
        if self.verifier.is_some() {
            return;
        }
        let driver = dev_driver(&self.rollup, &self.l1, &self.verifier_l2, self.clock, false);
        let task = NodeTask::spawn(driver);
        self.verifier_handle = task.handle.clone();
        self.verifier = Some(task);
    }

    /// Reorganises L1: the newest `depth` blocks are replaced by a new branch mined at the
    /// same slots, from the pool only; the transactions of the dropped blocks are not
    /// included again (see [`keel_devchain::l1::L1Chain::rewind_to`]), so every replaced
    /// block that held one differs. Done under one lock: no component sees the shorter
    /// chain. Returns what was dropped.
    pub fn reorg_l1(&self, depth: u64) -> Result<Rewound, L1ChainError> {
        let mut c = self.l1.write();
        let head = c.head().number();
        let to = head.saturating_sub(depth);
        let slots: Vec<u64> = (to + 1..=head)
            .filter_map(|n| c.block_by_number(n).map(|b| b.header.timestamp))
            .collect();
        let rewound = c.rewind_to(to)?;
        for ts in slots {
            c.build_block(ts)?;
        }
        tracing::warn!(depth, from = to + 1, "L1 reorganised");
        Ok(rewound)
    }

    /// Stops everything and waits for the tasks to end.
    pub async fn shutdown(mut self) {
        self.stop_batcher().await;
        self.stop_verifier().await;
        let Self {
            sequencer,
            miner,
            stop_miner,
            ..
        } = self;
        sequencer.stop().await;
        let _ = stop_miner.send(true);
        let _ = miner.await;
    }
}

/// A driver running in its own task.
struct NodeTask {
    handle: NodeHandle,
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), DriverError>>,
}

impl NodeTask {
    fn spawn(driver: DevDriver) -> Self {
        let handle = driver.handle();
        let (stop, mut stop_rx) = watch::channel(false);
        // A closed channel (the devnet dropped) stops the driver too.
        let stopped = async move {
            let _ = stop_rx.wait_for(|s| *s).await;
        };
        let task = tokio::spawn(driver.run(stopped));
        Self { handle, stop, task }
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        match self.task.await {
            Ok(Err(e)) => tracing::error!(error = %e, "node stopped with an error"),
            Err(e) => tracing::error!(error = %e, "node task failed"),
            Ok(Ok(())) => {}
        }
    }
}

/// A batcher running in its own task.
struct BatcherTask {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Runs batcher rounds every [`BATCHER_INTERVAL`] against the sequencer's heads until
/// `stop`.
async fn batcher_loop(
    mut batcher: DevBatcher,
    l1: SharedL1Chain,
    l2: RpcL2<DevTransport>,
    sequencer: NodeHandle,
    stats: Arc<Mutex<BatcherStats>>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let seq = sequencer.status();
        let safe = seq.heads.safe.id();
        if let Err(e) = batcher
            .step(&l1, &l2, safe, seq.heads.unsafe_head.number)
            .await
        {
            tracing::warn!(error = %e, "batcher step failed");
        }
        *stats.lock() = batcher.stats();
        tokio::select! {
            () = tokio::time::sleep(BATCHER_INTERVAL) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

/// Mines an L1 block at every slot boundary of `clock` until `stop`.
async fn mine(
    l1: SharedL1Chain,
    clock: TokioClock,
    block_time: u64,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let (genesis, head_time) = {
            let c = l1.read();
            (c.genesis_time(), c.head().header.timestamp)
        };
        let now_ms = clock.now_ms();
        let next = keel_devchain::l1::driver::next_slot_time(
            genesis,
            block_time,
            head_time.max(now_ms / 1000),
        );
        let wait = (next * 1000).saturating_sub(now_ms);
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(wait)) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        if let Err(e) = l1.write().build_block(next) {
            tracing::warn!(error = %e, "L1 block not mined");
        }
    }
}
