//! Start-up and shut-down of a node: check the configuration against the chains it is
//! pointed at, open the safe-head database, start the metrics and RPC servers, run the
//! driver until the shutdown future completes, then stop the servers.
//!
//! Start-up fails fast with one clear error rather than retrying for ever: an L1 or L2
//! endpoint that does not answer its first request, an engine that refuses the JWT, or a
//! rollup config whose genesis blocks are not the chains' blocks at those numbers (op-node
//! makes the same genesis checks, `rollup.Config.ValidateL1Config` / `ValidateL2Config`).

use std::{future::Future, net::SocketAddr, path::PathBuf, sync::Arc};

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::B256;
use alloy_rpc_types_engine::JwtSecret;
use keel_engine::client::{HttpEngineClient, HttpTransport};
use keel_l1::{BeaconClient, BeaconConfig, L1Client, L1Config, RetryPolicy};
use keel_protocol::rollup_config::RollupConfig;
use keel_rpc::{Metrics, MetricsServer, RpcServer, RpcServerConfig};
use keel_safedb::SafeDb;

use crate::{
    driver::{Driver, DriverConfig, DriverError, sources::SystemClock},
    node::{
        api::NodeApi,
        hooks::NodeHooks,
        timed::{TimedL1, TimedTransport},
    },
    sources::rpc::{RpcL1, RpcL2},
};

/// Everything a node needs to start (the CLI builds it from op-node's flags).
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The driver's settings, the rollup config among them.
    pub driver: DriverConfig,
    /// `--l1`.
    pub l1_url: String,
    /// The L1 client's settings (`--l1.trustrpc`, `--l1.rpckind`).
    pub l1: L1Config,
    /// `--l1.beacon` and `--l1.beacon-fallbacks`; `None` without `--l1.beacon`.
    pub beacon: Option<BeaconConfig>,
    /// `--l2`: the execution client's authenticated RPC.
    pub l2_url: reqwest::Url,
    /// `--l2.jwt-secret`, read.
    pub jwt: JwtSecret,
    /// `--rpc.addr`, `--rpc.port`, `--rpc.enable-admin`.
    pub rpc: RpcServerConfig,
    /// `--metrics.addr` / `--metrics.port` when `--metrics.enabled`.
    pub metrics_addr: Option<SocketAddr>,
    /// `--safedb.path`.
    pub safedb_path: Option<PathBuf>,
}

/// Why the node could not start, or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// The rollup config is invalid.
    #[error("rollup config: {0}")]
    RollupConfig(String),
    /// The L1 client could not be made or its first request failed.
    #[error("L1 ({url}) unreachable or failing: {reason}")]
    L1Unreachable {
        /// The endpoint as given (scheme, host, port).
        url: String,
        /// Why.
        reason: String,
    },
    /// The L2 execution client could not be made or its first request failed.
    #[error("L2 ({url}) unreachable or failing: {reason}")]
    L2Unreachable {
        /// The endpoint.
        url: String,
        /// Why.
        reason: String,
    },
    /// A chain's block at the genesis number is not the rollup config's genesis block.
    #[error(
        "{layer} genesis mismatch: the rollup config names block {number} {expected}, but the {layer} chain has {found}"
    )]
    GenesisMismatch {
        /// `L1` or `L2`.
        layer: &'static str,
        /// Genesis block number.
        number: u64,
        /// The rollup config's hash.
        expected: B256,
        /// What the chain has there (`no block` when it has none).
        found: String,
    },
    /// The beacon client could not be made.
    #[error("L1 beacon: {0}")]
    Beacon(String),
    /// The safe-head database could not be opened.
    #[error("safe-head database: {0}")]
    SafeDb(#[from] keel_safedb::SafeDbError),
    /// The safe-head database's open or writer thread could not be started.
    #[error("safe-head database: {0}")]
    SafeDbThread(String),
    /// The RPC server could not start.
    #[error("RPC server: {0}")]
    Rpc(#[from] keel_rpc::RpcServerError),
    /// The metrics server could not start.
    #[error("metrics server: {0}")]
    Metrics(#[from] keel_rpc::metrics::MetricsServerError),
    /// The driver stopped with an error.
    #[error(transparent)]
    Driver(#[from] DriverError),
}

/// The endpoint without path or query (which often carry an API key).
fn redact(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!(
            "{}://{}{}",
            u.scheme(),
            u.host_str().unwrap_or_default(),
            u.port().map(|p| format!(":{p}")).unwrap_or_default()
        ),
        Err(_) => "<invalid URL>".to_owned(),
    }
}

/// Checks L1: one request, no retries (a wrong URL should fail in a second, not after the
/// client's retry schedule), and the genesis L1 block must be the config's.
async fn check_l1(cfg: &NodeConfig, rollup: &RollupConfig) -> Result<(), NodeError> {
    let unreachable = |reason: String| NodeError::L1Unreachable {
        url: redact(&cfg.l1_url),
        reason,
    };
    let probe = L1Client::new_http(
        &cfg.l1_url,
        L1Config {
            retry: RetryPolicy::no_retry(),
            ..cfg.l1.clone()
        },
    )
    .map_err(|e| unreachable(e.to_string()))?;
    let number = rollup.genesis.l1.number;
    let found = match probe.block_by_number(number).await {
        Ok(block) => block.hash(),
        Err(keel_l1::L1Error::BlockNotFound { .. }) => {
            return Err(NodeError::GenesisMismatch {
                layer: "L1",
                number,
                expected: rollup.genesis.l1.hash,
                found: "no block".into(),
            });
        }
        Err(e) => return Err(unreachable(e.to_string())),
    };
    if found != rollup.genesis.l1.hash {
        return Err(NodeError::GenesisMismatch {
            layer: "L1",
            number,
            expected: rollup.genesis.l1.hash,
            found: found.to_string(),
        });
    }
    Ok(())
}

/// Checks L2: the engine accepts the JWT and its block at the genesis number is the
/// config's genesis (hash recomputed from the header, not taken from the answer).
async fn check_l2(
    cfg: &NodeConfig,
    rollup: &RollupConfig,
    l2: &HttpEngineClient,
) -> Result<(), NodeError> {
    let number = rollup.genesis.l2.number;
    let block = l2
        .block_by_tag(BlockNumberOrTag::Number(number))
        .await
        .map_err(|e| NodeError::L2Unreachable {
            url: redact(cfg.l2_url.as_str()),
            reason: e.to_string(),
        })?;
    let found = block.map(|(_, b)| b.header.hash_slow());
    if found != Some(rollup.genesis.l2.hash) {
        return Err(NodeError::GenesisMismatch {
            layer: "L2",
            number,
            expected: rollup.genesis.l2.hash,
            found: found.map_or_else(|| "no block".to_owned(), |h| h.to_string()),
        });
    }
    Ok(())
}

fn engine_client(cfg: &NodeConfig, rollup: &RollupConfig) -> Result<HttpEngineClient, NodeError> {
    HttpEngineClient::new(cfg.l2_url.clone(), cfg.jwt, rollup.hardforks).map_err(|e| {
        NodeError::L2Unreachable {
            url: redact(cfg.l2_url.as_str()),
            reason: e.to_string(),
        }
    })
}

/// Runs a node until `shutdown` completes: checks, then the servers and the driver. The
/// RPC and metrics servers are stopped before it returns, whatever the driver's outcome.
pub async fn run(cfg: NodeConfig, shutdown: impl Future<Output = ()>) -> Result<(), NodeError> {
    let rollup = Arc::clone(&cfg.driver.rollup);
    rollup
        .validate()
        .map_err(|e| NodeError::RollupConfig(e.to_string()))?;
    check_l1(&cfg, &rollup).await?;
    let api_l2 = engine_client(&cfg, &rollup)?;
    check_l2(&cfg, &rollup, &api_l2).await?;

    let l1 = RpcL1 {
        rpc: L1Client::new_http(&cfg.l1_url, cfg.l1.clone()).map_err(|e| {
            NodeError::L1Unreachable {
                url: redact(&cfg.l1_url),
                reason: e.to_string(),
            }
        })?,
        beacon: cfg
            .beacon
            .clone()
            .map(BeaconClient::new)
            .transpose()
            .map_err(|e| NodeError::Beacon(e.to_string()))?,
    };
    let safe_db = match &cfg.safedb_path {
        // redb's open reads and may repair the file: blocking work, off the async workers.
        Some(path) => {
            let path = path.clone();
            let db = tokio::task::spawn_blocking(move || SafeDb::open(path))
                .await
                .map_err(|e| NodeError::SafeDbThread(format!("open task: {e}")))??;
            Some(Arc::new(db))
        }
        None => None,
    };
    let metrics = cfg.metrics_addr.map(|_| Metrics::new(&cfg.rpc.version));
    let metrics_server = match (cfg.metrics_addr, &metrics) {
        (Some(addr), Some(m)) => Some(MetricsServer::start(addr, m.clone()).await?),
        _ => None,
    };

    let (hooks, safedb_writer) = NodeHooks::new(safe_db.clone(), metrics.clone())
        .map_err(|e| NodeError::SafeDbThread(format!("writer thread: {e}")))?;
    // With metrics on, the driver's L1 and engine calls are timed.
    let timed = |t: HttpTransport| TimedTransport::new(t, metrics.clone());
    let driver = Driver::new(
        cfg.driver.clone(),
        TimedL1::new(l1, metrics.clone()),
        RpcL2(engine_client(&cfg, &rollup)?.map_transport(timed)),
        engine_client(&cfg, &rollup)?.map_transport(timed),
        SystemClock,
        hooks,
    );
    let api = NodeApi::new(driver.handle(), Arc::new(api_l2), Arc::clone(&rollup));
    let rpc =
        match RpcServer::start(&cfg.rpc, Arc::new(api), &rollup, safe_db, metrics.clone()).await {
            Ok(rpc) => rpc,
            Err(e) => {
                if let Some(m) = metrics_server {
                    m.stop().await;
                }
                return Err(e.into());
            }
        };
    if let Some(m) = &metrics {
        m.record_up();
    }
    tracing::info!(
        rpc = %rpc.url(),
        metrics = metrics_server.as_ref().map(MetricsServer::url).unwrap_or_default(),
        sequencer = cfg.driver.sequencer.is_some(),
        l2_chain_id = rollup.l2_chain_id,
        "node started"
    );
    let outcome = driver.run(shutdown).await;
    // The driver (and with it the hooks) is gone: every queued safe-db write lands before
    // the node reports it stopped.
    if let Some(writer) = safedb_writer {
        let _ = tokio::task::spawn_blocking(move || writer.finish()).await;
    }
    rpc.stop().await;
    if let Some(m) = metrics_server {
        m.stop().await;
    }
    tracing::info!("node stopped");
    outcome.map_err(NodeError::from)
}
