//! `keel node`: op-node's flags and `OP_NODE_*` variables, turned into a
//! [`NodeConfig`] and run until SIGINT / SIGTERM.
//!
//! Keel has no peer-to-peer layer: a sequencer's blocks reach verifiers through L1 (the
//! batcher) only, so there is no `--p2p.*` and no sequencer signing key
//! (`--p2p.sequencer.key`).

use std::{
    net::{IpAddr, SocketAddr},
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use keel_l1::{BeaconConfig, L1Config, ReceiptsMethod};
use keel_node::{
    driver::DriverConfig,
    node::service::{self, NodeConfig, NodeError},
};
use keel_protocol::{presets, rollup_config::RollupConfig};
use keel_rpc::RpcServerConfig;
use keel_sequencer::sequencer::SequencerConfig;

use super::log::NodeLogArgs;

/// Largest rollup config file read (the real ones are a few KB).
const MAX_ROLLUP_CONFIG_BYTES: u64 = 1024 * 1024;

/// op-node's `--l1.rpckind` values. Keel fetches receipts with `eth_getBlockReceipts`
/// (falling back per transaction) for every kind but `basic`, which asks per transaction
/// only; the provider-specific methods op-node uses for the others
/// (`alchemy_getTransactionReceipts`, `parity_getBlockReceipts`, …) are not used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub(crate) enum RpcKind {
    /// Alchemy.
    Alchemy,
    /// QuickNode.
    Quicknode,
    /// Infura.
    Infura,
    /// Parity / OpenEthereum.
    Parity,
    /// Nethermind.
    Nethermind,
    /// go-ethereum with the debug namespace.
    DebugGeth,
    /// Erigon.
    Erigon,
    /// Only `eth_getTransactionReceipt`.
    Basic,
    /// Any method that works.
    Any,
    /// Standard methods, `eth_getBlockReceipts` first.
    Standard,
}

impl RpcKind {
    /// keel-l1's receipts method for this kind.
    pub(crate) const fn receipts_method(self) -> ReceiptsMethod {
        match self {
            Self::Basic => ReceiptsMethod::PerTransaction,
            _ => ReceiptsMethod::Auto,
        }
    }
}

/// `keel node` options (op-node's names).
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("chain").required(true).args(["rollup_config", "network"])))]
pub(crate) struct NodeArgs {
    /// L1 execution client JSON-RPC URL.
    #[arg(
        long = "l1",
        value_name = "URL",
        env = "OP_NODE_L1_ETH_RPC",
        default_value = "http://127.0.0.1:8545",
        help_heading = "L1"
    )]
    pub(crate) l1: String,
    /// L1 beacon API URL (blobs); needed once the chain posts batches in blobs.
    #[arg(
        long = "l1.beacon",
        value_name = "URL",
        env = "OP_NODE_L1_BEACON",
        help_heading = "L1"
    )]
    pub(crate) l1_beacon: Option<String>,
    /// Beacon API or blob archiver URLs tried after --l1.beacon, comma-separated.
    #[arg(
        long = "l1.beacon-fallbacks",
        visible_alias = "l1.beacon-archiver",
        env = "OP_NODE_L1_BEACON_FALLBACKS",
        value_name = "URLS",
        requires = "l1_beacon",
        value_delimiter = ',',
        help_heading = "L1"
    )]
    pub(crate) l1_beacon_fallbacks: Vec<String>,
    /// Trust the L1 RPC: skip checking headers, transactions and receipts against their hashes.
    #[arg(
        long = "l1.trustrpc",
        env = "OP_NODE_L1_TRUST_RPC",
        help_heading = "L1"
    )]
    pub(crate) l1_trustrpc: bool,
    /// Kind of L1 RPC provider, for the receipts method (`basic`: one request per transaction).
    #[arg(long = "l1.rpckind", value_name = "KIND", env = "OP_NODE_L1_RPC_KIND", value_enum, default_value_t = RpcKind::Standard, help_heading = "L1")]
    pub(crate) l1_rpckind: RpcKind,
    /// How often L1's latest, safe and finalized blocks are polled (`4s`, `500ms`).
    #[arg(long = "l1.http-poll-interval", value_name = "DURATION", env = "OP_NODE_L1_HTTP_POLL_INTERVAL", default_value = "4s", value_parser = keel_batcher::service::parse_duration, help_heading = "L1")]
    pub(crate) l1_poll_interval: Duration,

    /// L2 execution client's authenticated (Engine API) RPC URL.
    #[arg(
        long = "l2",
        value_name = "URL",
        env = "OP_NODE_L2_ENGINE_RPC",
        help_heading = "L2"
    )]
    pub(crate) l2: String,
    /// File holding the 32-byte hex JWT secret shared with the L2 execution client.
    #[arg(
        long = "l2.jwt-secret",
        env = "OP_NODE_L2_ENGINE_AUTH",
        value_name = "FILE",
        help_heading = "L2"
    )]
    pub(crate) l2_jwt_secret: PathBuf,

    /// Rollup config file (op-node's rollup.json).
    #[arg(
        long = "rollup.config",
        env = "OP_NODE_ROLLUP_CONFIG",
        value_name = "FILE",
        help_heading = "Chain"
    )]
    pub(crate) rollup_config: Option<PathBuf>,
    /// A built-in chain instead of --rollup.config.
    #[arg(long = "network", value_name = "NAME", env = "OP_NODE_NETWORK", value_parser = clap::builder::PossibleValuesParser::new(presets::preset_names()), help_heading = "Chain")]
    pub(crate) network: Option<String>,

    /// Build new L2 blocks (a batcher must post them to L1).
    #[arg(
        long = "sequencer.enabled",
        env = "OP_NODE_SEQUENCER_ENABLED",
        help_heading = "Sequencer"
    )]
    pub(crate) sequencer_enabled: bool,
    /// Start the sequencer stopped; start it with admin_startSequencer.
    #[arg(
        long = "sequencer.stopped",
        env = "OP_NODE_SEQUENCER_STOPPED",
        help_heading = "Sequencer"
    )]
    pub(crate) sequencer_stopped: bool,
    /// L1 blocks to stay behind the L1 head when picking an L1 origin.
    #[arg(
        long = "sequencer.l1-confs",
        value_name = "BLOCKS",
        env = "OP_NODE_SEQUENCER_L1_CONFS",
        default_value_t = 4,
        help_heading = "Sequencer"
    )]
    pub(crate) sequencer_l1_confs: u64,
    /// L1 blocks to stay behind the L1 head when deriving.
    #[arg(
        long = "verifier.l1-confs",
        value_name = "BLOCKS",
        env = "OP_NODE_VERIFIER_L1_CONFS",
        default_value_t = 0,
        help_heading = "Sequencer"
    )]
    pub(crate) verifier_l1_confs: u64,

    /// RPC listening address.
    #[arg(
        long = "rpc.addr",
        value_name = "IP",
        env = "OP_NODE_RPC_ADDR",
        default_value = "127.0.0.1",
        help_heading = "RPC"
    )]
    pub(crate) rpc_addr: IpAddr,
    /// RPC listening port (0: any free port).
    #[arg(
        long = "rpc.port",
        value_name = "PORT",
        env = "OP_NODE_RPC_PORT",
        default_value_t = 9545,
        help_heading = "RPC"
    )]
    pub(crate) rpc_port: u16,
    /// Serve the admin_ namespace.
    #[arg(
        long = "rpc.enable-admin",
        env = "OP_NODE_RPC_ENABLE_ADMIN",
        help_heading = "RPC"
    )]
    pub(crate) rpc_enable_admin: bool,

    /// Serve Prometheus metrics.
    #[arg(
        long = "metrics.enabled",
        env = "OP_NODE_METRICS_ENABLED",
        help_heading = "Metrics"
    )]
    pub(crate) metrics_enabled: bool,
    /// Metrics listening address.
    #[arg(
        long = "metrics.addr",
        value_name = "IP",
        env = "OP_NODE_METRICS_ADDR",
        default_value = "0.0.0.0",
        help_heading = "Metrics"
    )]
    pub(crate) metrics_addr: IpAddr,
    /// Metrics listening port (0: any free port).
    #[arg(
        long = "metrics.port",
        value_name = "PORT",
        env = "OP_NODE_METRICS_PORT",
        default_value_t = 7300,
        help_heading = "Metrics"
    )]
    pub(crate) metrics_port: u16,

    /// Safe-head database file (answers optimism_safeHeadAtL1Block); off when absent.
    #[arg(
        long = "safedb.path",
        env = "OP_NODE_SAFEDB_PATH",
        value_name = "FILE",
        help_heading = "Storage"
    )]
    pub(crate) safedb_path: Option<PathBuf>,

    #[command(flatten)]
    log: NodeLogArgs,
}

/// Why `keel node` could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum NodeCliError {
    /// `--l2.jwt-secret` is unreadable or malformed.
    #[error("--l2.jwt-secret: {0}")]
    Jwt(#[from] keel_engine::jwt::JwtFileError),
    /// `--rollup.config` is unreadable.
    #[error("--rollup.config {path}: {reason}")]
    RollupConfigFile {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A URL flag does not parse.
    #[error("{flag}: {reason}")]
    Url {
        /// The flag.
        flag: &'static str,
        /// Why.
        reason: String,
    },
    /// `--network` names no built-in chain (clap checks the name; this is a bug guard).
    #[error("--network {0}: unknown network")]
    Network(String),
    /// Logging could not be set up.
    #[error(transparent)]
    Log(#[from] super::log::LogError),
    /// The tokio runtime could not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// The node failed.
    #[error(transparent)]
    Node(#[from] NodeError),
}

fn read_rollup_config(path: &Path) -> Result<RollupConfig, NodeCliError> {
    let err = |reason: String| NodeCliError::RollupConfigFile {
        path: path.to_path_buf(),
        reason,
    };
    let len = std::fs::metadata(path)
        .map_err(|e| err(e.to_string()))?
        .len();
    if len > MAX_ROLLUP_CONFIG_BYTES {
        return Err(err(format!(
            "{len} bytes, at most {MAX_ROLLUP_CONFIG_BYTES} expected"
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    RollupConfig::from_json(&bytes).map_err(|e| err(e.to_string()))
}

fn check_url(flag: &'static str, url: &str) -> Result<reqwest::Url, NodeCliError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| NodeCliError::Url {
        flag,
        reason: format!("{e} ({url:?})"),
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(NodeCliError::Url {
            flag,
            reason: format!("only http(s) URLs are supported, not {:?}", parsed.scheme()),
        });
    }
    Ok(parsed)
}

impl NodeArgs {
    /// The node's configuration: files read and URLs checked, no network access yet.
    pub(crate) fn node_config(&self) -> Result<NodeConfig, NodeCliError> {
        let rollup = match (&self.rollup_config, &self.network) {
            (Some(path), _) => read_rollup_config(path)?,
            (None, Some(name)) => {
                presets::preset(name).ok_or_else(|| NodeCliError::Network(name.clone()))?
            }
            // clap's required group makes this unreachable; answer as clap would.
            (None, None) => {
                return Err(NodeCliError::RollupConfigFile {
                    path: PathBuf::new(),
                    reason: "one of --rollup.config or --network is required".into(),
                });
            }
        };
        let jwt = keel_engine::jwt::read_jwt_secret(&self.l2_jwt_secret)?;
        check_url("--l1", &self.l1)?;
        let l2_url = check_url("--l2", &self.l2)?;
        let beacon = match &self.l1_beacon {
            Some(primary) => {
                let mut urls = vec![primary.clone()];
                urls.extend(self.l1_beacon_fallbacks.iter().cloned());
                for u in &urls {
                    check_url("--l1.beacon", u)?;
                }
                Some(BeaconConfig::new(urls))
            }
            None => None,
        };
        let mut driver = DriverConfig::verifier(Arc::new(rollup));
        driver.sequencer = self.sequencer_enabled.then(|| SequencerConfig {
            l1_confs: self.sequencer_l1_confs,
            ..SequencerConfig::default()
        });
        driver.sequencer_stopped = self.sequencer_stopped;
        driver.verifier_l1_confs = self.verifier_l1_confs;
        driver.l1_poll_interval = self.l1_poll_interval;
        Ok(NodeConfig {
            driver,
            l1_url: self.l1.clone(),
            l1: L1Config {
                trust_rpc: self.l1_trustrpc,
                receipts_method: self.l1_rpckind.receipts_method(),
                ..L1Config::default()
            },
            beacon,
            l2_url,
            jwt,
            rpc: RpcServerConfig {
                addr: SocketAddr::new(self.rpc_addr, self.rpc_port),
                enable_admin: self.rpc_enable_admin,
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            metrics_addr: self
                .metrics_enabled
                .then(|| SocketAddr::new(self.metrics_addr, self.metrics_port)),
            safedb_path: self.safedb_path.clone(),
        })
    }
}

/// Runs `keel node` until SIGINT or SIGTERM.
pub(crate) fn run(args: &NodeArgs) -> Result<(), NodeCliError> {
    super::log::init(&args.log.level, args.log.format)?;
    let config = args.node_config()?;
    if args.l1_beacon.is_none() {
        tracing::warn!("no --l1.beacon: batches posted in blobs cannot be derived");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(NodeCliError::Runtime)?;
    runtime.block_on(service::run(config, super::shutdown_signal()))?;
    Ok(())
}
