//! Where a devnet node's L2 execution client is: the embedded engine (the default) or an
//! external one (op-geth, op-reth, another Keel engine) reached over the Engine API's
//! authenticated HTTP RPC, as `keel node --l2 URL --l2.jwt-secret FILE` reaches it.
//!
//! Everything of the devnet that talks to a node's L2 — its driver, the batcher reading the
//! sequencer's blocks, the node's rollup RPC, the status line and `--until-safe` — goes
//! through one [`DevTransport`], so the external case runs the very code the embedded one
//! does.

use std::sync::Arc;

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::B256;
use alloy_rpc_types_engine::JwtSecret;
use keel_devchain::engine_server::InProcessEngine;
use keel_engine::{
    client::{EngineClient, HttpEngineClient, HttpTransport, Transport},
    error::EngineError,
};
use keel_protocol::{hardfork::HardforkTimes, rollup_config::RollupConfig};
use serde_json::Value;

use super::DevnetError;
use crate::sources::in_process::InProcessTransport;

/// An external execution client: its authenticated Engine API endpoint and JWT secret.
#[derive(Debug, Clone)]
pub struct ExternalL2 {
    /// The Engine API URL (op-geth's `--authrpc` endpoint).
    pub url: reqwest::Url,
    /// The shared secret (the file given to the client's `--authrpc.jwtsecret`).
    pub jwt: JwtSecret,
}

/// The JSON-RPC path to one node's execution client, embedded or external.
#[derive(Debug, Clone)]
pub enum DevTransport {
    /// The devnet's own engine, called in process.
    Embedded(InProcessTransport),
    /// An external client over HTTP with a fresh JWT per request. Shared: the driver, the
    /// batcher and the rollup RPC each hold a client, one connection pool serves them all.
    Http(Arc<HttpTransport>),
}

impl From<&InProcessEngine> for DevTransport {
    fn from(engine: &InProcessEngine) -> Self {
        Self::Embedded(InProcessTransport(engine.clone()))
    }
}

impl Transport for DevTransport {
    async fn call_raw(&self, method: &'static str, params: Value) -> Result<Value, EngineError> {
        match self {
            Self::Embedded(t) => t.call_raw(method, params).await,
            Self::Http(t) => t.call_raw(method, params).await,
        }
    }
}

impl DevTransport {
    /// The transport to `external`'s Engine API.
    pub fn http(external: &ExternalL2, forks: HardforkTimes) -> Result<Self, DevnetError> {
        let client = HttpEngineClient::new(external.url.clone(), external.jwt, forks)
            .map_err(|e| DevnetError::Setup(format!("L2 client for {}: {e}", external.url)))?;
        // `EngineClient` makes the only `HttpTransport`; take it back out, shared.
        let client = client.map_transport(|t| Self::Http(Arc::new(t)));
        Ok(client.transport().clone())
    }

    /// An Engine API client over this transport, choosing method versions by `forks`.
    pub fn client(&self, forks: HardforkTimes) -> EngineClient<Self> {
        EngineClient::with_transport(self.clone(), forks)
    }
}

/// The hash of block `number` of the chain behind `l2` (recomputed from the header, not
/// taken from the answer), `None` if it has no such block.
pub async fn block_hash(
    l2: &EngineClient<DevTransport>,
    number: u64,
) -> Result<Option<B256>, EngineError> {
    let block = l2.block_by_tag(BlockNumberOrTag::Number(number)).await?;
    Ok(block.map(|(_, b)| b.header.hash_slow()))
}

/// Checks that the execution client behind `l2` answers with the JWT it was given and that
/// its block at the genesis number is the rollup config's L2 genesis: a client initialised
/// from another `genesis.json` would refuse every payload, or worse, build another chain.
/// The same check as `keel node`'s (and op-node's `rollup.Config.ValidateL2Config`).
pub async fn check_genesis(
    l2: &EngineClient<DevTransport>,
    rollup: &RollupConfig,
    node: &str,
    url: &reqwest::Url,
) -> Result<(), DevnetError> {
    let number = rollup.genesis.l2.number;
    let found = block_hash(l2, number).await.map_err(|e| {
        DevnetError::Setup(format!(
            "{node} execution client at {url} unreachable or failing: {e}"
        ))
    })?;
    if found != Some(rollup.genesis.l2.hash) {
        return Err(DevnetError::Setup(format!(
            "{node} execution client at {url} is on another chain: its block {number} is {}, the rollup config's L2 genesis is {}; initialise it from the --config directory's genesis.json",
            found.map_or_else(|| "missing".to_owned(), |h| h.to_string()),
            rollup.genesis.l2.hash
        )));
    }
    Ok(())
}
