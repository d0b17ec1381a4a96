//! `keel devnet`: a whole OP chain in one process — the embedded L1 (deposit portal and
//! system config in its genesis, beacon blob endpoint), a Keel sequencer on an embedded L2
//! engine, the batcher posting to L1, and a Keel verifier on its own L2 engine that learns
//! the chain only from L1.
//!
//! Every component runs on one clock ([`TokioClock`]): the wall clock for users, tokio's
//! paused clock in tests, where hundreds of blocks take a fraction of a second and a run
//! replays exactly. Components talk in process; the HTTP servers exist for users only.
//! Either node may drive an external execution client instead of its embedded engine
//! ([`DevnetConfig::sequencer_l2`], [`external`]): then it and everything reading its chain
//! talk to that client over the Engine API's HTTP + JWT. The chains live in memory unless
//! the devnet runs on a data dir ([`datadir`]), which records them and rebuilds them at the
//! next start.
//!
//! [`Devnet::run`] runs it all until shutdown; [`Devnet::start`] hands back a
//! [`RunningDevnet`] whose controls (stop and start the batcher or the verifier, reorganise
//! L1) let fault tests break one part while the others run on.

pub mod batcher;
pub mod cli;
pub mod datadir;
pub mod external;
pub mod forks;
pub mod init;
pub mod record;
pub mod rpc;
pub mod running;

use std::{sync::Arc, time::Duration};

use alloy_eips::eip7840::BlobParams;
use alloy_primitives::{Address, address};
use alloy_signer_local::PrivateKeySigner;
use keel_batcher::{BatcherConfig, ChannelManager, DataAvailability};
use keel_devchain::{
    chain::{Chain, ChainConfig},
    engine_server::InProcessEngine,
    genesis::{DEV_PRIVATE_KEYS, DevGenesis, seal_dev_rollup_config},
    l1::{
        beacon::SharedL1Chain,
        chain::L1Chain,
        contracts::{DEPOSIT_PORTAL, SYSTEM_CONFIG},
        genesis::L1GenesisConfig,
        spec::L1Config,
    },
};
use keel_protocol::{
    hardfork::HardforkTimes,
    rollup_config::{BlockId, RollupConfig},
};
use keel_sequencer::sequencer::SequencerConfig;
use parking_lot::RwLock;

use crate::{
    driver::{
        Driver, DriverConfig, NoHooks,
        control::{NodeHandle, NodeStatus},
        sources::TokioClock,
    },
    sources::{in_process_l1::InProcessL1, rpc::RpcL2},
};
use batcher::{BatcherStats, DevBatcher};
use external::{DevTransport, ExternalL2};
use keel_engine::client::EngineClient;
pub use running::RunningDevnet;

/// The devnet's batch inbox (an address with no code, as on real chains).
pub const BATCH_INBOX: Address = address!("0xff00000000000000000000000000000000000901");

/// Index in [`DEV_PRIVATE_KEYS`] of the batcher key (the L1 genesis makes dev account 1
/// the system config's batcher).
pub const BATCHER_KEY_INDEX: usize = 1;

/// How the devnet is set up.
#[derive(Debug, Clone)]
pub struct DevnetConfig {
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// L2 chain id.
    pub l2_chain_id: u64,
    /// Seconds between L1 blocks.
    pub l1_block_time: u64,
    /// Seconds between L2 blocks.
    pub l2_block_time: u64,
    /// Calldata or blobs.
    pub data_availability: DataAvailability,
    /// Genesis time of both chains (seconds); `None` = now.
    pub genesis_time: Option<u64>,
    /// Hardfork times (seconds after genesis); default: everything through Jovian at
    /// genesis.
    pub hardforks: HardforkTimes,
    /// Sequencing window in L1 blocks.
    pub seq_window_size: u64,
    /// L1 blocks the batcher waits for before it closes a channel (0: close at once).
    pub max_channel_duration: u64,
    /// Largest batcher transaction, version byte included (op-batcher
    /// `--max-l1-tx-size-bytes`): small values cut a channel into several frames, posted one
    /// transaction per L1 block.
    pub max_l1_tx_size: usize,
    /// Frames a channel aims at (op-batcher `--target-num-frames`).
    pub target_num_frames: usize,
    /// The sequencer's execution client if not the embedded one; it must have been
    /// initialised from this chain's genesis (`keel devnet init`'s `genesis.json`).
    pub sequencer_l2: Option<ExternalL2>,
    /// The verifier's execution client if not the embedded one.
    pub verifier_l2: Option<ExternalL2>,
}

impl Default for DevnetConfig {
    fn default() -> Self {
        Self {
            l1_chain_id: 900,
            l2_chain_id: 901,
            l1_block_time: 2,
            l2_block_time: 2,
            data_availability: DataAvailability::Calldata,
            genesis_time: None,
            hardforks: jovian_at_genesis(),
            seq_window_size: 200,
            max_channel_duration: 1,
            max_l1_tx_size: keel_batcher::config::DEFAULT_MAX_L1_TX_SIZE,
            target_num_frames: 1,
            sequencer_l2: None,
            verifier_l2: None,
        }
    }
}

/// Every fork through Jovian active at genesis.
pub fn jovian_at_genesis() -> HardforkTimes {
    HardforkTimes::all_through(keel_protocol::hardfork::Hardfork::Jovian)
}

/// Fork times given as seconds after genesis, as absolute times (0 stays 0: active from
/// genesis on).
fn after_genesis(offsets: HardforkTimes, genesis_time: u64) -> HardforkTimes {
    let at = |t: Option<u64>| t.map(|t| if t == 0 { 0 } else { genesis_time + t });
    HardforkTimes {
        regolith_time: at(offsets.regolith_time),
        canyon_time: at(offsets.canyon_time),
        delta_time: at(offsets.delta_time),
        ecotone_time: at(offsets.ecotone_time),
        fjord_time: at(offsets.fjord_time),
        granite_time: at(offsets.granite_time),
        holocene_time: at(offsets.holocene_time),
        pectra_blob_schedule_time: at(offsets.pectra_blob_schedule_time),
        isthmus_time: at(offsets.isthmus_time),
        jovian_time: at(offsets.jovian_time),
        karst_time: at(offsets.karst_time),
        interop_time: at(offsets.interop_time),
    }
}

/// Why the devnet could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// A component's setup failed.
    #[error("devnet setup: {0}")]
    Setup(String),
}

fn setup<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> DevnetError {
    move |e| DevnetError::Setup(format!("{what}: {e}"))
}

/// One driver over the in-process L1 and a node's execution client.
pub type DevDriver =
    Driver<InProcessL1, RpcL2<DevTransport>, EngineClient<DevTransport>, TokioClock, NoHooks>;

/// A built devnet, not yet running.
pub struct Devnet {
    /// The rollup config.
    pub rollup: Arc<RollupConfig>,
    /// The L1 chain.
    pub l1: SharedL1Chain,
    /// The sequencer's embedded L2 engine (built but idle when the sequencer drives an
    /// external client: `sequencer_l2` is what it uses).
    pub sequencer_engine: InProcessEngine,
    /// The verifier's embedded L2 engine (idle with an external client, as above).
    pub verifier_engine: InProcessEngine,
    /// The sequencer's execution client: its embedded engine or an external one.
    pub sequencer_l2: DevTransport,
    /// The verifier's execution client.
    pub verifier_l2: DevTransport,
    /// The clock everything runs on.
    pub clock: TokioClock,
    sequencer: DevDriver,
    verifier: DevDriver,
    batcher: BatcherSetup,
    l1_block_time: u64,
}

/// What a batcher is built from; kept so a restarted batcher starts the same way.
#[derive(Debug, Clone)]
struct BatcherSetup {
    rollup: RollupConfig,
    config: BatcherConfig,
    signer: PrivateKeySigner,
}

impl BatcherSetup {
    /// A fresh batcher (new channel manager, nothing pending) for its `run`-th start. Each
    /// start seeds its channel ids differently: derivation may still hold a channel a
    /// previous run left half-posted, and a reused id would append to it.
    fn build(&self, run: u64) -> DevBatcher {
        let mut seed = [0x4b; 32];
        for (byte, run_byte) in seed.iter_mut().rev().zip(run.to_le_bytes()) {
            *byte ^= run_byte;
        }
        let manager = ChannelManager::new(self.rollup.clone(), self.config.clone(), seed);
        DevBatcher::new(self.rollup.clone(), manager, self.signer.clone())
    }
}

/// A sequencer or verifier driver over the in-process L1 and the execution client `l2`.
fn dev_driver(
    rollup: &Arc<RollupConfig>,
    l1: &SharedL1Chain,
    l2: &DevTransport,
    clock: TokioClock,
    sequencer: bool,
) -> DevDriver {
    let forks = rollup.hardforks;
    let cfg = DriverConfig {
        sequencer: sequencer.then(SequencerConfig::default),
        l1_poll_interval: Duration::from_millis(250),
        ..DriverConfig::verifier(Arc::clone(rollup))
    };
    Driver::new(
        cfg,
        InProcessL1(Arc::clone(l1)),
        RpcL2(l2.client(forks)),
        l2.client(forks),
        clock,
        NoHooks,
    )
}

impl std::fmt::Debug for Devnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Devnet")
            .field("rollup", &self.rollup.l2_chain_id)
            .finish_non_exhaustive()
    }
}

/// What the devnet reports while it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevnetStatus {
    /// The sequencer node's status.
    pub sequencer: NodeStatus,
    /// The verifier node's status.
    pub verifier: NodeStatus,
    /// The batcher's counters.
    pub batcher: BatcherStats,
}

/// The chains a devnet config defines, before anything runs on them: the L1 at its
/// genesis, the rollup config, and the L2 genesis it names.
#[derive(Debug)]
pub struct DevChains {
    /// The L1 dev chain (its genesis only).
    pub l1: L1Chain,
    /// The rollup config.
    pub rollup: RollupConfig,
    /// The L2 genesis the rollup config names.
    pub l2_genesis: DevGenesis,
}

impl DevChains {
    /// The chains of `cfg` with genesis at `genesis_time` (seconds).
    pub fn new(cfg: &DevnetConfig, genesis_time: u64) -> Result<Self, DevnetError> {
        let ecotone_at_genesis = cfg.hardforks.ecotone_time == Some(0);
        if !ecotone_at_genesis && cfg.data_availability == DataAvailability::Blobs {
            return Err(DevnetError::Setup(
                "blobs need Ecotone at genesis: before Ecotone derivation reads calldata only"
                    .into(),
            ));
        }
        let l1_genesis = L1GenesisConfig::dev_for_l2(genesis_time, ecotone_at_genesis)
            .map_err(setup("L1 genesis"))?;
        let l1_config = L1Config {
            chain_id: cfg.l1_chain_id,
            block_time: cfg.l1_block_time,
            ..L1Config::default()
        };
        let l1_chain = L1Chain::new(l1_config, &l1_genesis).map_err(setup("L1 chain"))?;
        let l1_genesis_block = l1_chain.genesis().clone();

        let mut rollup = RollupConfig {
            block_time: cfg.l2_block_time,
            max_sequencer_drift: 1800,
            seq_window_size: cfg.seq_window_size,
            channel_timeout: 50,
            l1_chain_id: cfg.l1_chain_id,
            l2_chain_id: cfg.l2_chain_id,
            batch_inbox_address: BATCH_INBOX,
            hardforks: after_genesis(cfg.hardforks, genesis_time),
            deposit_contract_address: DEPOSIT_PORTAL,
            l1_system_config_address: SYSTEM_CONFIG,
            ..RollupConfig::default()
        };
        rollup.genesis.l2_time = genesis_time;
        rollup.genesis.system_config = l1_genesis.system_config;
        rollup.genesis.l1 = BlockId {
            hash: l1_genesis_block.header.hash(),
            number: 0,
        };
        let l2_genesis = seal_dev_rollup_config(&mut rollup).map_err(setup("L2 genesis"))?;
        Ok(Self {
            l1: l1_chain,
            rollup,
            l2_genesis,
        })
    }
}

impl Devnet {
    /// Builds the chains and components of `cfg` (nothing runs yet). Must be called inside
    /// a tokio runtime (the clock starts now).
    pub fn new(cfg: &DevnetConfig, now_ms: u64) -> Result<Self, DevnetError> {
        let genesis_time = cfg.genesis_time.unwrap_or(now_ms / 1000);
        let clock = TokioClock::starting_at(now_ms);
        let DevChains {
            l1: l1_chain,
            rollup,
            l2_genesis,
        } = DevChains::new(cfg, genesis_time)?;
        let l1: SharedL1Chain = Arc::new(RwLock::new(l1_chain));
        let rollup = Arc::new(rollup);

        let engine = || {
            InProcessEngine::new(Chain::new(
                (*rollup).clone(),
                l2_genesis.clone(),
                ChainConfig::default(),
            ))
            .map_err(setup("L2 engine"))
        };
        let sequencer_engine = engine()?;
        let verifier_engine = engine()?;
        let l2 = |external: &Option<ExternalL2>, embedded: &InProcessEngine| match external {
            Some(x) => DevTransport::http(x, rollup.hardforks),
            None => Ok(DevTransport::from(embedded)),
        };
        let sequencer_l2 = l2(&cfg.sequencer_l2, &sequencer_engine)?;
        let verifier_l2 = l2(&cfg.verifier_l2, &verifier_engine)?;
        let sequencer = dev_driver(&rollup, &l1, &sequencer_l2, clock, true);
        let verifier = dev_driver(&rollup, &l1, &verifier_l2, clock, false);

        let batcher_config = BatcherConfig {
            data_availability: cfg.data_availability,
            max_channel_duration: cfg.max_channel_duration,
            max_l1_tx_size: cfg.max_l1_tx_size,
            target_num_frames: cfg.target_num_frames,
            fallback_blob_params: BlobParams::prague(),
            ..BatcherConfig::default()
        };
        batcher_config
            .validate(&rollup)
            .map_err(setup("batcher config"))?;
        let key = DEV_PRIVATE_KEYS
            .get(BATCHER_KEY_INDEX)
            .ok_or_else(|| DevnetError::Setup("no batcher key".into()))?;
        let signer = PrivateKeySigner::from_bytes(key).map_err(setup("batcher key"))?;
        if signer.address() != rollup.genesis.system_config.batcher_addr {
            return Err(DevnetError::Setup(
                "batcher key does not match the genesis system config's batcher".into(),
            ));
        }
        let batcher = BatcherSetup {
            rollup: (*rollup).clone(),
            config: batcher_config,
            signer,
        };
        Ok(Self {
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
            l1_block_time: cfg.l1_block_time,
        })
    }

    /// Handles on the sequencer and verifier nodes.
    pub fn handles(&self) -> (NodeHandle, NodeHandle) {
        (self.sequencer.handle(), self.verifier.handle())
    }

    /// Runs everything until `shutdown` completes, publishing a status every half second
    /// to `status`.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send,
        status: tokio::sync::watch::Sender<DevnetStatus>,
    ) {
        let running = self.start();
        let publish = async {
            loop {
                status.send_replace(running.status());
                tokio::time::sleep(running::BATCHER_INTERVAL).await;
            }
        };
        tokio::select! {
            () = shutdown => {}
            () = publish => {}
        }
        status.send_replace(running.status());
        running.shutdown().await;
    }
}
