//! `keel devnet init DIR`: the files another client needs to join a Keel devnet chain, and
//! the chain definition `keel devnet --config DIR` starts from.
//!
//! - `rollup.json`: op-node's rollup config (for `keel node`, op-node, kona-node);
//! - `genesis.json`: the L2 genesis in geth's format, every predeploy included (for
//!   `op-geth init` and `op-reth --chain`); its genesis block hashes to the rollup config's
//!   L2 genesis hash (checked here before anything is written);
//! - `jwt.hex`: a fresh Engine API secret in op-node's format;
//! - `devnet.json`: the devnet options (chain ids, block times, fork offsets, genesis time),
//!   so `keel devnet --config DIR` rebuilds exactly this chain — same L1 genesis, same
//!   rollup config — and an op-geth initialised from `genesis.json` can follow it through
//!   a `keel node` pointed at the devnet's L1.

use std::path::{Path, PathBuf};

use alloy_primitives::hex;
use alloy_rpc_types_engine::JwtSecret;
use keel_batcher::DataAvailability;
use keel_devchain::geth_genesis::{genesis_header, to_geth_genesis};
use keel_protocol::{hardfork::HardforkTimes, rollup_config::RollupConfig};
use serde::{Deserialize, Serialize};

use super::{DevChains, DevnetConfig, DevnetError};

/// The devnet options a chain is defined by, as `devnet.json` holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevnetFile {
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// L2 chain id.
    pub l2_chain_id: u64,
    /// Seconds between L1 blocks.
    pub l1_block_time: u64,
    /// Seconds between L2 blocks.
    pub l2_block_time: u64,
    /// `calldata` or `blobs`.
    pub data_availability: String,
    /// Genesis time of both chains (unix seconds).
    pub genesis_time: u64,
    /// Fork offsets from genesis (seconds).
    pub hardforks: HardforkTimes,
    /// Sequencing window (L1 blocks).
    pub seq_window_size: u64,
    /// L1 blocks a channel stays open.
    pub max_channel_duration: u64,
}

impl DevnetFile {
    fn from_config(cfg: &DevnetConfig, genesis_time: u64) -> Self {
        Self {
            l1_chain_id: cfg.l1_chain_id,
            l2_chain_id: cfg.l2_chain_id,
            l1_block_time: cfg.l1_block_time,
            l2_block_time: cfg.l2_block_time,
            data_availability: match cfg.data_availability {
                DataAvailability::Calldata => "calldata".into(),
                DataAvailability::Blobs => "blobs".into(),
            },
            genesis_time,
            hardforks: cfg.hardforks,
            seq_window_size: cfg.seq_window_size,
            max_channel_duration: cfg.max_channel_duration,
        }
    }

    /// The devnet config this file defines.
    pub fn to_config(&self) -> Result<DevnetConfig, DevnetError> {
        let data_availability = match self.data_availability.as_str() {
            "calldata" => DataAvailability::Calldata,
            "blobs" => DataAvailability::Blobs,
            other => {
                return Err(DevnetError::Setup(format!(
                    "devnet.json: data_availability `{other}`: expected calldata or blobs"
                )));
            }
        };
        Ok(DevnetConfig {
            l1_chain_id: self.l1_chain_id,
            l2_chain_id: self.l2_chain_id,
            l1_block_time: self.l1_block_time,
            l2_block_time: self.l2_block_time,
            data_availability,
            genesis_time: Some(self.genesis_time),
            hardforks: self.hardforks,
            seq_window_size: self.seq_window_size,
            max_channel_duration: self.max_channel_duration,
            // The batcher's frame sizes do not define the chain: the defaults.
            ..DevnetConfig::default()
        })
    }
}

/// What `init` wrote.
#[derive(Debug, Clone)]
pub struct Written {
    /// The files, in the order written.
    pub files: Vec<PathBuf>,
    /// The chain's rollup config.
    pub rollup: RollupConfig,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DevnetError + '_ {
    move |e| DevnetError::Setup(format!("{}: {e}", path.display()))
}

/// Writes the chain files of `cfg` with genesis at `genesis_time` into `dir` (created if
/// missing; existing files are replaced).
pub fn write(dir: &Path, cfg: &DevnetConfig, genesis_time: u64) -> Result<Written, DevnetError> {
    let cfg = DevnetConfig {
        genesis_time: Some(genesis_time),
        ..cfg.clone()
    };
    // The very construction `keel devnet` runs, so the files describe the chain it builds.
    let DevChains {
        rollup,
        l2_genesis: genesis,
        ..
    } = DevChains::new(&cfg, genesis_time)?;
    let geth = to_geth_genesis(&rollup, &genesis);
    let derived = genesis_header(&geth, &rollup.hardforks)
        .map_err(|e| DevnetError::Setup(e.to_string()))?
        .hash_slow();
    if derived != rollup.genesis.l2.hash {
        return Err(DevnetError::Setup(format!(
            "genesis.json would give L2 genesis {derived}, the rollup config names {}",
            rollup.genesis.l2.hash
        )));
    }
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let contents: [(&str, String); 4] = [
        ("rollup.json", rollup.to_json()),
        ("genesis.json", pretty(&geth)?),
        (
            "jwt.hex",
            format!("0x{}\n", hex::encode(JwtSecret::random().as_bytes())),
        ),
        (
            "devnet.json",
            pretty(&DevnetFile::from_config(&cfg, genesis_time))?,
        ),
    ];
    let mut files = Vec::new();
    for (name, text) in contents {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(io_err(&path))?;
        files.push(path);
    }
    Ok(Written { files, rollup })
}

/// Reads `dir/devnet.json`: the config `keel devnet --config DIR` runs.
pub fn load(dir: &Path) -> Result<DevnetConfig, DevnetError> {
    let path = dir.join("devnet.json");
    let text = std::fs::read(&path).map_err(io_err(&path))?;
    let file: DevnetFile = serde_json::from_slice(&text)
        .map_err(|e| DevnetError::Setup(format!("{}: {e}", path.display())))?;
    file.to_config()
}

/// Checks that `rollup` (what the devnet built from `dir/devnet.json`) is the chain of
/// `dir/rollup.json`, so clients configured from the directory follow this very chain.
pub fn check_rollup(dir: &Path, rollup: &RollupConfig) -> Result<(), DevnetError> {
    let path = dir.join("rollup.json");
    let text = std::fs::read(&path).map_err(io_err(&path))?;
    let written = RollupConfig::from_json(&text)
        .map_err(|e| DevnetError::Setup(format!("{}: {e}", path.display())))?;
    if written.genesis != rollup.genesis {
        return Err(DevnetError::Setup(format!(
            "{} names another chain (L2 genesis {}) than devnet.json builds ({})",
            path.display(),
            written.genesis.l2.hash,
            rollup.genesis.l2.hash
        )));
    }
    Ok(())
}

fn pretty<T: Serialize>(v: &T) -> Result<String, DevnetError> {
    serde_json::to_string_pretty(v).map_err(|e| DevnetError::Setup(e.to_string()))
}
