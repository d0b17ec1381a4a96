//! `keel batcher`'s arguments, named as op-batcher's flags (and `OP_BATCHER_*` variables)
//! where op-batcher has them, and the entry point that runs the service.

use std::{path::PathBuf, time::Duration};

use alloy_primitives::keccak256;
use alloy_signer_local::PrivateKeySigner;
use keel_protocol::rollup_config::RollupConfig;

use super::{BatcherService, L1Submitter, RollupRpcSafeHead, RpcL2Source, ServiceError};
use crate::{
    config::{BatcherConfig, DEFAULT_MAX_L1_TX_SIZE, DataAvailability},
    manager::ChannelManager,
    txmgr::{FeeConfig, SendConfig},
};

/// `keel batcher` options.
#[derive(Debug, Clone, clap::Args)]
pub struct BatcherArgs {
    /// L1 execution client JSON-RPC URL.
    #[arg(long = "l1-eth-rpc", env = "OP_BATCHER_L1_ETH_RPC")]
    pub l1_eth_rpc: url::Url,
    /// L2 execution client JSON-RPC URL (the sequencer's).
    #[arg(long = "l2-eth-rpc", env = "OP_BATCHER_L2_ETH_RPC")]
    pub l2_eth_rpc: url::Url,
    /// Rollup node JSON-RPC URL (`optimism_syncStatus`, `optimism_rollupConfig`).
    #[arg(long = "rollup-rpc", env = "OP_BATCHER_ROLLUP_RPC")]
    pub rollup_rpc: url::Url,
    /// Rollup config file; when absent, asked from the rollup node (Keel's addition).
    #[arg(long = "rollup.config", env = "OP_BATCHER_ROLLUP_CONFIG")]
    pub rollup_config: Option<PathBuf>,
    /// Batcher private key, hex.
    #[arg(
        long = "private-key",
        env = "OP_BATCHER_PRIVATE_KEY",
        hide_env_values = true
    )]
    pub private_key: String,
    /// Close a channel after this many L1 blocks; 0 = only when full.
    #[arg(
        long = "max-channel-duration",
        env = "OP_BATCHER_MAX_CHANNEL_DURATION",
        default_value_t = 0
    )]
    pub max_channel_duration: u64,
    /// Frames per channel (with blobs, also blobs per transaction).
    #[arg(
        long = "target-num-frames",
        env = "OP_BATCHER_TARGET_NUM_FRAMES",
        default_value_t = 1
    )]
    pub target_num_frames: usize,
    /// Largest calldata transaction, in bytes.
    #[arg(long = "max-l1-tx-size-bytes", env = "OP_BATCHER_MAX_L1_TX_SIZE_BYTES", default_value_t = DEFAULT_MAX_L1_TX_SIZE)]
    pub max_l1_tx_size_bytes: usize,
    /// Where frames go: `calldata` or `blobs`.
    #[arg(long = "data-availability-type", env = "OP_BATCHER_DATA_AVAILABILITY_TYPE", value_enum, default_value_t = DataAvailability::Calldata)]
    pub data_availability_type: DataAvailability,
    /// Time between rounds (`6s`, `500ms`, or seconds).
    #[arg(long = "poll-interval", env = "OP_BATCHER_POLL_INTERVAL", default_value = "6s", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// Confirmations before a batcher transaction counts.
    #[arg(
        long = "num-confirmations",
        env = "OP_BATCHER_NUM_CONFIRMATIONS",
        default_value_t = 10
    )]
    pub num_confirmations: u64,
    /// Time without inclusion before re-publishing with higher fees.
    #[arg(long = "resubmission-timeout", env = "OP_BATCHER_RESUBMISSION_TIMEOUT", default_value = "48s", value_parser = parse_duration)]
    pub resubmission_timeout: Duration,
    /// L1 blocks of margin before the channel timeout and the sequencing window's end.
    #[arg(
        long = "sub-safety-margin",
        env = "OP_BATCHER_SUB_SAFETY_MARGIN",
        default_value_t = 10
    )]
    pub sub_safety_margin: u64,
    /// `nonce too low` answers, with nothing mined, before giving a transaction up.
    #[arg(
        long = "safe-abort-nonce-too-low-count",
        env = "OP_BATCHER_SAFE_ABORT_NONCE_TOO_LOW_COUNT",
        default_value_t = 3
    )]
    pub safe_abort_nonce_too_low_count: u32,
    /// A fee bump may not pass this multiple of the current suggestion.
    #[arg(
        long = "fee-limit-multiplier",
        env = "OP_BATCHER_FEE_LIMIT_MULTIPLIER",
        default_value_t = 5
    )]
    pub fee_limit_multiplier: u64,
    /// When L1 activated Osaka (unix seconds): from then on blob transactions carry
    /// EIP-7594 cell proofs. Known for Ethereum mainnet, Sepolia, Holesky and Hoodi; set it
    /// for another L1 that runs Osaka (Keel's own flag: op-batcher has none).
    #[arg(long = "l1-osaka-time", env = "KEEL_BATCHER_L1_OSAKA_TIME")]
    pub l1_osaka_time: Option<u64>,
}

/// Parses `6s`, `500ms`, `2m` or a bare number of seconds (the forms op-batcher's Go
/// durations take in practice).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, ""), |i| s.split_at(i));
    let n: u64 = num.parse().map_err(|_| format!("bad duration {s:?}"))?;
    match unit {
        "" | "s" => Ok(Duration::from_secs(n)),
        "ms" => Ok(Duration::from_millis(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        _ => Err(format!("bad duration unit in {s:?} (use ms, s or m)")),
    }
}

impl BatcherArgs {
    /// The channel manager's settings.
    pub fn batcher_config(&self) -> BatcherConfig {
        BatcherConfig {
            data_availability: self.data_availability_type,
            max_l1_tx_size: self.max_l1_tx_size_bytes,
            target_num_frames: self.target_num_frames,
            max_channel_duration: self.max_channel_duration,
            sub_safety_margin: self.sub_safety_margin,
            ..BatcherConfig::default()
        }
    }

    /// The transaction manager's settings.
    pub fn send_config(&self) -> SendConfig {
        SendConfig {
            num_confirmations: self.num_confirmations,
            resubmission_timeout: self.resubmission_timeout.as_secs(),
            safe_abort_nonce_too_low_count: self.safe_abort_nonce_too_low_count,
        }
    }

    /// The fee limits.
    pub fn fee_config(&self) -> FeeConfig {
        FeeConfig {
            fee_limit_multiplier: self.fee_limit_multiplier.into(),
            ..FeeConfig::default()
        }
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Runs the batcher until Ctrl-C: connects, loads the rollup config, and steps every poll
/// interval. Temporary (RPC) failures are logged and retried; others end the run.
pub async fn run(args: BatcherArgs) -> Result<(), ServiceError> {
    let signer: PrivateKeySigner = args
        .private_key
        .trim()
        .parse()
        .map_err(|e| ServiceError::Config(format!("--private-key: {e}")))?;
    let safe = RollupRpcSafeHead::new_http(args.rollup_rpc.clone());
    let rollup = match &args.rollup_config {
        Some(path) => {
            let bytes = std::fs::read(path)
                .map_err(|e| ServiceError::Config(format!("{}: {e}", path.display())))?;
            RollupConfig::from_json(&bytes)
        }
        None => {
            let json = safe.rollup_config_json().await?;
            RollupConfig::from_json(json.to_string().as_bytes())
        }
    }
    .map_err(|e| ServiceError::Config(format!("rollup config: {e}")))?;
    let config = args.batcher_config();
    config
        .validate(&rollup)
        .map_err(|e| ServiceError::Config(e.to_string()))?;
    let l1 = L1Submitter::connect(args.l1_eth_rpc.clone(), signer).await?;
    if l1.chain_id() != rollup.l1_chain_id {
        return Err(ServiceError::Config(format!(
            "L1 chain id {} but the rollup config says {}",
            l1.chain_id(),
            rollup.l1_chain_id
        )));
    }
    // Channel ids must not repeat across runs: seed from the start time and process id.
    let mut seed_src = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
        .to_be_bytes()
        .to_vec();
    seed_src.extend_from_slice(&std::process::id().to_be_bytes());
    let manager = ChannelManager::new(rollup.clone(), config, keccak256(&seed_src).0);
    let mut service = BatcherService::new(
        rollup,
        manager,
        RpcL2Source::new_http(args.l2_eth_rpc.clone()),
        safe,
        l1,
        args.fee_config(),
        args.send_config(),
    );
    if let Some(t) = args.l1_osaka_time {
        service = service.with_l1_osaka_time(Some(t));
    }
    tracing::info!(batcher = %service.l1().address(), "batcher started");
    let mut tick = tokio::time::interval(args.poll_interval);
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {
                tracing::info!("batcher stopping");
                return Ok(());
            }
            _ = tick.tick() => {
                match service.step(unix_now(), false).await {
                    Ok(_) => {}
                    Err(e) if e.is_temporary() => tracing::warn!(%e, "batcher step failed; retrying"),
                    Err(e) => return Err(e),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: BatcherArgs,
    }

    #[test]
    fn op_batcher_flag_names_parse() {
        let cli = Cli::try_parse_from([
            "keel",
            "--l1-eth-rpc",
            "http://l1:8545",
            "--l2-eth-rpc",
            "http://l2:8545",
            "--rollup-rpc",
            "http://node:9545",
            "--private-key",
            "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
            "--max-channel-duration",
            "25",
            "--target-num-frames",
            "6",
            "--data-availability-type",
            "blobs",
            "--poll-interval",
            "500ms",
            "--num-confirmations",
            "4",
            "--resubmission-timeout",
            "2m",
            "--sub-safety-margin",
            "6",
        ])
        .unwrap();
        let a = cli.args;
        assert_eq!(a.poll_interval, Duration::from_millis(500));
        let c = a.batcher_config();
        assert_eq!(c.data_availability, DataAvailability::Blobs);
        assert_eq!(
            (
                c.max_channel_duration,
                c.target_num_frames,
                c.sub_safety_margin
            ),
            (25, 6, 6)
        );
        assert_eq!(c.max_l1_tx_size, 120_000);
        let s = a.send_config();
        assert_eq!((s.num_confirmations, s.resubmission_timeout), (4, 120));
        assert_eq!(a.fee_config().fee_limit_multiplier, 5);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("6s"), Ok(Duration::from_secs(6)));
        assert_eq!(parse_duration("12"), Ok(Duration::from_secs(12)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("5h").is_err());
        assert!(parse_duration("s").is_err());
    }
}
