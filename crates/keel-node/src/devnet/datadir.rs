//! `keel devnet --datadir DIR`: the devnet's chains survive a restart.
//!
//! The first run writes the chain files into `DIR` as `keel devnet init` does (genesis now);
//! every run builds the chain `DIR/devnet.json` defines, replays `DIR/chain.jsonl` (see
//! [`super::record`]) into it before anything runs — L1 blocks mined again and checked hash
//! by hash, L2 blocks through each engine's `newPayload`, then its forkchoice — and fills the
//! L1 slots missed while the devnet was down with empty blocks, so L1 does not jump and the
//! sequencer finds L1 origins within its drift as it catches up. The drivers then find their
//! heads in the engines, as after any restart.
//!
//! While it runs, a [`Recorder`] appends what is new every [`RECORD_INTERVAL`] and at
//! shutdown: L2 blocks are read before L1, and L1 written first, so no L2 record names an
//! L1 origin the log lacks. Not recorded: transactions still pending in either pool, and
//! L1 reorgs (only fault tests make them; the recorder refuses them).

use std::{collections::HashSet, path::Path, time::Duration};

use alloy_primitives::B256;
use alloy_rpc_types_engine::{ForkchoiceState, PayloadStatusEnum};
use keel_devchain::{engine_server::InProcessEngine, l1::beacon::SharedL1Chain};
use keel_engine::api::EngineApi;
use op_alloy_rpc_types_engine::{OpExecutionPayload, OpExecutionPayloadEnvelope};
use tokio::{sync::watch, task::JoinHandle};

use super::{
    Devnet, DevnetConfig, DevnetError,
    external::DevTransport,
    init,
    record::{self, DatadirError, Engine, LOG_FILE, Log, Record},
};
use crate::driver::sources::Clock;

/// Time between two recorder rounds: what a killed devnet may lose at most.
pub const RECORD_INTERVAL: Duration = Duration::from_millis(250);

/// Most L1 slots a restart fills with empty blocks (a day of 2 s slots): each costs a
/// block in memory and the sequencer a catch-up of the same span of L2 blocks.
pub const MAX_CATCH_UP_SLOTS: u64 = 43_200;

/// An opened data dir whose log is not replayed yet.
#[derive(Debug)]
pub struct Datadir {
    log: Log,
    records: Vec<Record>,
}

/// Opens `dir` (writing the chain files of `cfg` with genesis at `now_ms` first if it holds
/// no `devnet.json`) and returns the config it defines, as `--config DIR` would load it.
pub fn open(
    dir: &Path,
    cfg: &DevnetConfig,
    now_ms: u64,
) -> Result<(DevnetConfig, Datadir), DevnetError> {
    let setup = |e: String| DevnetError::Setup(format!("--datadir {}: {e}", dir.display()));
    if !dir.join("devnet.json").exists() {
        // Never mix a new chain into a directory that holds something else.
        if let Ok(mut entries) = std::fs::read_dir(dir)
            && entries.next().is_some()
        {
            return Err(setup(
                "not empty and has no devnet.json: not a devnet data dir".into(),
            ));
        }
        init::write(dir, cfg, now_ms / 1000)?;
    }
    let cfg = init::load(dir)?;
    let (log, records) = Log::open(&dir.join(LOG_FILE)).map_err(|e| setup(e.to_string()))?;
    Ok((cfg, Datadir { log, records }))
}

impl Datadir {
    /// Replays the log into `devnet` (built from the config [`open`] returned, not yet
    /// started), fills the missed L1 slots up to the devnet's clock, and returns the
    /// recorder that carries on the log.
    pub async fn restore(self, devnet: &Devnet) -> Result<Recorder, DatadirError> {
        let Self { log, records } = self;
        {
            let mut l1 = devnet.l1.write();
            for r in &records {
                if let Record::L1Block {
                    number,
                    timestamp,
                    hash,
                    txs,
                } = r
                {
                    record::replay_l1(&mut l1, *number, *timestamp, *hash, txs)?;
                }
            }
        }
        let engines = [
            (Engine::Sequencer, devnet.sequencer_engine.clone()),
            (Engine::Verifier, devnet.verifier_engine.clone()),
        ];
        let forks = devnet.rollup.hardforks;
        let sequencer = DevTransport::from(&devnet.sequencer_engine).client(forks);
        let verifier = DevTransport::from(&devnet.verifier_engine).client(forks);
        let client = |engine: Engine| match engine {
            Engine::Sequencer => &sequencer,
            Engine::Verifier => &verifier,
        };
        let mut l2_blocks = 0usize;
        for r in &records {
            match r {
                Record::L1Block { .. } => {}
                Record::L2Block {
                    engine,
                    number,
                    parent_hash,
                    hash,
                    block,
                } => {
                    let block = record::decode_l2(*engine, *number, *parent_hash, *hash, block)?;
                    let (execution_payload, _) =
                        OpExecutionPayload::from_block_unchecked(*hash, &block);
                    let envelope = OpExecutionPayloadEnvelope {
                        parent_beacon_block_root: block.header.parent_beacon_block_root,
                        execution_payload,
                    };
                    let fail = |reason: String| DatadirError::L2Replay {
                        engine: *engine,
                        number: *number,
                        hash: *hash,
                        reason,
                    };
                    let client = client(*engine);
                    let status = client
                        .new_payload(&envelope)
                        .await
                        .map_err(|e| fail(e.to_string()))?;
                    if status.status != PayloadStatusEnum::Valid {
                        return Err(fail(format!("newPayload answered {:?}", status.status)));
                    }
                    l2_blocks += 1;
                }
                Record::Forkchoice {
                    engine,
                    head,
                    safe,
                    finalized,
                } => {
                    let fail = |reason: String| DatadirError::L2Replay {
                        engine: *engine,
                        number: 0,
                        hash: *head,
                        reason,
                    };
                    let client = client(*engine);
                    let state = ForkchoiceState {
                        head_block_hash: *head,
                        safe_block_hash: *safe,
                        finalized_block_hash: *finalized,
                    };
                    let updated = client
                        .forkchoice_updated(state, None)
                        .await
                        .map_err(|e| fail(e.to_string()))?;
                    if updated.payload_status.status != PayloadStatusEnum::Valid {
                        return Err(fail(format!(
                            "forkchoiceUpdated answered {:?}",
                            updated.payload_status.status
                        )));
                    }
                }
            }
        }
        let mut recorder = Recorder::new(log, devnet.l1.clone(), engines);
        let filled = fill_missed_slots(&devnet.l1, devnet.clock.now_ms() / 1000)?;
        tracing::info!(
            records = records.len(),
            l2_blocks,
            l1_head = recorder.l1_number,
            l1_slots_filled = filled,
            "data dir replayed"
        );
        // The filled blocks go to the log before anything else can happen.
        recorder.poll()?;
        Ok(recorder)
    }
}

/// Mines an empty L1 block at every slot from the head's up to `now` (seconds); how many.
/// Refuses when more than [`MAX_CATCH_UP_SLOTS`] are missing.
fn fill_missed_slots(l1: &SharedL1Chain, now: u64) -> Result<u64, DatadirError> {
    let mut c = l1.write();
    let block_time = c.config().block_time.max(1);
    let head_time = c.head().header.timestamp;
    let missing = now.saturating_sub(head_time) / block_time;
    if missing > MAX_CATCH_UP_SLOTS {
        return Err(DatadirError::TooFarBehind {
            missing,
            max: MAX_CATCH_UP_SLOTS,
        });
    }
    let genesis = c.genesis_time();
    let mut filled = 0;
    loop {
        let next = keel_devchain::l1::driver::next_slot_time(
            genesis,
            block_time,
            c.head().header.timestamp,
        );
        if next > now {
            return Ok(filled);
        }
        // The pool is empty after a replay: these blocks hold no transactions.
        c.build_block(next).map_err(|e| DatadirError::L1Replay {
            number: c.head().number() + 1,
            reason: format!("filling missed slot at {next}: {e}"),
        })?;
        filled += 1;
    }
}

/// Appends what the chains gained since the last round to the log.
#[derive(Debug)]
pub struct Recorder {
    log: Log,
    l1: SharedL1Chain,
    /// The last L1 block recorded.
    l1_number: u64,
    l1_hash: B256,
    engines: Vec<EngineLog>,
}

#[derive(Debug)]
struct EngineLog {
    which: Engine,
    engine: InProcessEngine,
    /// Hashes of the blocks recorded (genesis included).
    recorded: HashSet<B256>,
    forkchoice: Option<keel_devchain::chain::Forkchoice>,
}

impl Recorder {
    /// A recorder of chains whose every block so far is in `log` already.
    fn new(log: Log, l1: SharedL1Chain, engines: [(Engine, InProcessEngine); 2]) -> Self {
        let (l1_number, l1_hash) = {
            let c = l1.read();
            (c.head().number(), c.head().hash())
        };
        let engines = engines
            .into_iter()
            .map(|(which, engine)| {
                let (recorded, forkchoice) = engine.with_chain(|c| {
                    let head = c.head().map_or(0, |b| b.header.number);
                    let recorded: HashSet<B256> =
                        (0..=head).filter_map(|n| c.canonical_hash(n)).collect();
                    (recorded, c.forkchoice())
                });
                EngineLog {
                    which,
                    engine,
                    recorded,
                    forkchoice: Some(forkchoice),
                }
            })
            .collect();
        Self {
            log,
            l1,
            l1_number,
            l1_hash,
            engines,
        }
    }

    /// One round: the engines' new canonical blocks and forkchoice, then L1's new blocks;
    /// written L1 first.
    pub fn poll(&mut self) -> Result<(), DatadirError> {
        let mut l2 = Vec::new();
        for e in &mut self.engines {
            let (blocks, fc) = e.engine.with_chain(|c| {
                let fc = c.forkchoice();
                let mut new = Vec::new();
                let mut cursor = fc.head;
                while !e.recorded.contains(&cursor) {
                    let Some(b) = c.block_by_hash(&cursor) else {
                        break;
                    };
                    new.push(record::l2_record(e.which, b));
                    cursor = b.header.parent_hash;
                }
                (new, fc)
            });
            for r in blocks.into_iter().rev() {
                if let Record::L2Block { hash, .. } = &r {
                    e.recorded.insert(*hash);
                }
                l2.push(r);
            }
            if e.forkchoice != Some(fc) {
                e.forkchoice = Some(fc);
                l2.push(Record::Forkchoice {
                    engine: e.which,
                    head: fc.head,
                    safe: fc.safe,
                    finalized: fc.finalized,
                });
            }
        }
        let mut l1 = Vec::new();
        {
            let c = self.l1.read();
            if c.block_by_number(self.l1_number).map(|b| b.hash()) != Some(self.l1_hash) {
                return Err(DatadirError::Unrecordable(format!(
                    "L1 block {} was reorganised: the data dir records no L1 reorgs",
                    self.l1_number
                )));
            }
            for n in self.l1_number + 1..=c.head().number() {
                let Some(b) = c.block_by_number(n) else { break };
                l1.push(record::l1_record(&c, b)?);
                self.l1_number = n;
                self.l1_hash = b.hash();
            }
        }
        for r in l1.iter().chain(&l2) {
            self.log.append(r)?;
        }
        Ok(())
    }

    /// Runs rounds every [`RECORD_INTERVAL`] in a task until [`RecorderTask::finish`].
    pub fn spawn(self) -> RecorderTask {
        let (stop, mut stop_rx) = watch::channel(false);
        let task = tokio::spawn(async move {
            let mut rec = self;
            loop {
                tokio::select! {
                    () = tokio::time::sleep(RECORD_INTERVAL) => {}
                    _ = stop_rx.wait_for(|s| *s) => break,
                }
                if let Err(e) = rec.poll() {
                    tracing::error!(error = %e, "data dir recording stopped");
                    return Err(e);
                }
            }
            rec.poll()?;
            rec.log.sync()
        });
        RecorderTask { stop, task }
    }
}

/// A recorder running in its own task.
#[derive(Debug)]
pub struct RecorderTask {
    stop: watch::Sender<bool>,
    task: JoinHandle<Result<(), DatadirError>>,
}

impl RecorderTask {
    /// Records a last round (call it after the devnet stopped), syncs the log to disk and
    /// reports whether every round succeeded (a failed round ends the recording).
    pub async fn finish(self) -> Result<(), DatadirError> {
        let _ = self.stop.send(true);
        match self.task.await {
            Ok(r) => r,
            Err(e) => Err(DatadirError::Unrecordable(format!("recorder task: {e}"))),
        }
    }
}
