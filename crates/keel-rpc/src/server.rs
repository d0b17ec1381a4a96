//! The JSON-RPC server: op-node's `optimism_` namespace always, `admin_` only when enabled.
//!
//! Where op-node answers an error, the code and message are op-node's: go-ethereum gives
//! every handler error code `-32000` with the error's text, and op-node wraps some of them
//! with context ("failed to get L2 block ref with sync status: …"). An unregistered
//! method (any `admin_` one when admin is off) is `-32601`, as in op-node; the message is
//! jsonrpsee's ("Method not found") rather than go-ethereum's wording.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Instant};

use alloy_primitives::U64;
use jsonrpsee::{
    RpcModule,
    server::{Server, ServerConfig, ServerHandle},
    types::{ErrorObjectOwned, Params},
};
use keel_protocol::rollup_config::RollupConfig;
use keel_safedb::SafeDb;
use serde_json::value::RawValue;

use crate::{
    admin,
    api::{NodeApiError, RollupNodeApi},
    metrics::Metrics,
    types::{OutputResponse, SafeHeadResponse},
};

/// go-ethereum's code for an error returned by a method handler (op-node's errors).
pub const HANDLER_ERROR_CODE: i32 = -32000;
/// JSON-RPC "method not found" (a disabled namespace).
pub const METHOD_NOT_FOUND_CODE: i32 = -32601;

/// Largest request body: `admin_postUnsafePayload` carries a whole payload, bounded by the
/// L2 gas limit (a 200M-gas block of calldata is about 12.5 MB, 25 MB as hex).
pub const MAX_REQUEST_BODY_BYTES: u32 = 32 * 1024 * 1024;
/// Largest response body (`optimism_rollupConfig` is the biggest answer, a few KB).
pub const MAX_RESPONSE_BODY_BYTES: u32 = 1024 * 1024;
/// Most concurrent connections (jsonrpsee's default, stated here to be a named bound).
pub const MAX_CONNECTIONS: u32 = 100;

/// How the RPC server listens (op-node's `--rpc.addr`, `--rpc.port`, `--rpc.enable-admin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcServerConfig {
    /// Address and port to listen on; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Serve the `admin_` namespace.
    pub enable_admin: bool,
    /// The answer of `optimism_version`.
    pub version: String,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpcServerError {
    /// Binding the listening socket failed.
    #[error("cannot listen for RPC on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A method could not be registered (a bug: duplicate name).
    #[error(transparent)]
    Register(#[from] jsonrpsee::core::RegisterMethodError),
    /// The rollup config could not be written as JSON (a bug).
    #[error("rollup config does not serialise: {0}")]
    RollupConfig(#[from] serde_json::Error),
}

/// What every method handler shares.
pub(crate) struct Shared<N> {
    pub(crate) node: Arc<N>,
    /// `optimism_rollupConfig`'s answer, written once in op-node's format and field order.
    rollup_config: Box<RawValue>,
    version: String,
    safe_db: Option<Arc<SafeDb>>,
    pub(crate) metrics: Option<Metrics>,
}

pub(crate) fn handler_error(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(HANDLER_ERROR_CODE, message.into(), None::<()>)
}

/// Runs a handler, counting it in op-node's `rpc_server_*` series when metrics are on.
pub(crate) async fn timed<T>(
    metrics: Option<&Metrics>,
    method: &'static str,
    fut: impl Future<Output = T>,
) -> T {
    let start = Instant::now();
    let out = fut.await;
    if let Some(m) = metrics {
        m.record_rpc_server_request(method, start.elapsed());
    }
    out
}

/// The JSON-RPC methods over `node`, for serving by [`RpcServer`] or merging into another
/// jsonrpsee server. `admin_` methods are registered only if `enable_admin`.
pub fn rpc_module<N: RollupNodeApi>(
    config: &RpcServerConfig,
    node: Arc<N>,
    rollup_config: &RollupConfig,
    safe_db: Option<Arc<SafeDb>>,
    metrics: Option<Metrics>,
) -> Result<RpcModule<()>, RpcServerError> {
    let shared = Shared {
        node,
        rollup_config: RawValue::from_string(minify_json(&rollup_config.to_json()))?,
        version: config.version.clone(),
        safe_db,
        metrics,
    };
    let mut module = RpcModule::new(());
    let mut optimism = RpcModule::new(shared);
    register_optimism(&mut optimism)?;
    if config.enable_admin {
        admin::register(&mut optimism)?;
    }
    module.merge(optimism)?;
    Ok(module)
}

fn register_optimism<N: RollupNodeApi>(m: &mut RpcModule<Shared<N>>) -> Result<(), RpcServerError> {
    m.register_async_method("optimism_syncStatus", |_, s, _| async move {
        timed(s.metrics.as_ref(), "optimism_syncStatus", async {
            s.node
                .sync_status()
                .await
                .map_err(|e| handler_error(e.to_string()))
        })
        .await
    })?;
    m.register_async_method("optimism_outputAtBlock", |p, s, _| async move {
        timed(
            s.metrics.as_ref(),
            "optimism_outputAtBlock",
            output_at_block(p, &s),
        )
        .await
    })?;
    m.register_async_method("optimism_safeHeadAtL1Block", |p, s, _| async move {
        timed(
            s.metrics.as_ref(),
            "optimism_safeHeadAtL1Block",
            safe_head_at_l1(p, &s),
        )
        .await
    })?;
    m.register_async_method("optimism_rollupConfig", |_, s, _| async move {
        timed(s.metrics.as_ref(), "optimism_rollupConfig", async {
            Ok::<_, ErrorObjectOwned>(s.rollup_config.clone())
        })
        .await
    })?;
    m.register_async_method("optimism_version", |_, s, _| async move {
        timed(s.metrics.as_ref(), "optimism_version", async {
            s.version.clone()
        })
        .await
    })?;
    Ok(())
}

/// `optimism_outputAtBlock(number)`: op-node reads the block ref with the sync status, then
/// the output fields by hash, and computes the v0 root.
///
/// Spec: protocol/proposals.md#l2-output-commitment-construction
async fn output_at_block<N: RollupNodeApi>(
    p: Params<'static>,
    s: &Shared<N>,
) -> Result<OutputResponse, ErrorObjectOwned> {
    let number: U64 = p.one()?;
    let (block_ref, status) = s
        .node
        .block_ref_with_status(number.to())
        .await
        .map_err(|e| handler_error(format!("failed to get L2 block ref with sync status: {e}")))?;
    let wrap = |e: &dyn std::fmt::Display| {
        handler_error(format!(
            "failed to get L2 output at block {}:{}: {e}",
            block_ref.hash, block_ref.number
        ))
    };
    let output = s
        .node
        .output_v0_at_block(block_ref.hash)
        .await
        .map_err(|e| wrap(&e))?;
    if output.block_hash != block_ref.hash {
        return Err(wrap(&format_args!(
            "output is of block {}, not of the block asked for",
            output.block_hash
        )));
    }
    Ok(OutputResponse {
        version: keel_protocol::output_root::OUTPUT_VERSION_V0,
        output_root: output.hash(),
        block_ref,
        withdrawal_storage_root: output.message_passer_storage_root,
        state_root: output.state_root,
        status,
    })
}

/// `optimism_safeHeadAtL1Block(number)`: the safe-db's latest record at or before the L1
/// block. Messages as op-node: "not found" bare, anything else wrapped with the number.
async fn safe_head_at_l1<N: RollupNodeApi>(
    p: Params<'static>,
    s: &Shared<N>,
) -> Result<SafeHeadResponse, ErrorObjectOwned> {
    let number: U64 = p.one()?;
    let wrap = |e: &dyn std::fmt::Display| {
        handler_error(format!(
            "failed to get safe head at l1 block {number:#x}: {e}"
        ))
    };
    let Some(db) = s.safe_db.clone() else {
        return Err(wrap(&"safe head database not enabled"));
    };
    let n: u64 = number.to();
    // redb reads may touch the disk: off the async workers.
    let found = tokio::task::spawn_blocking(move || db.safe_head_at_l1(n))
        .await
        .map_err(|e| wrap(&e))?
        .map_err(|e| wrap(&e))?;
    found
        .map(SafeHeadResponse::from)
        .ok_or_else(|| handler_error(NodeApiError::NotFound.to_string()))
}

/// A running RPC server.
#[derive(Debug)]
pub struct RpcServer {
    handle: ServerHandle,
    local_addr: SocketAddr,
}

impl RpcServer {
    /// Starts serving on `config.addr` (HTTP). Must be called inside a tokio runtime; the
    /// server runs until [`Self::stop`] or the runtime ends.
    pub async fn start<N: RollupNodeApi>(
        config: &RpcServerConfig,
        node: Arc<N>,
        rollup_config: &RollupConfig,
        safe_db: Option<Arc<SafeDb>>,
        metrics: Option<Metrics>,
    ) -> Result<Self, RpcServerError> {
        let module = rpc_module(config, node, rollup_config, safe_db, metrics)?;
        let addr = config.addr;
        let server_config = ServerConfig::builder()
            .max_request_body_size(MAX_REQUEST_BODY_BYTES)
            .max_response_body_size(MAX_RESPONSE_BODY_BYTES)
            .max_connections(MAX_CONNECTIONS)
            .build();
        let server = Server::builder()
            .set_config(server_config)
            .build(addr)
            .await
            .map_err(|source| RpcServerError::Bind { addr, source })?;
        let local_addr = server
            .local_addr()
            .map_err(|source| RpcServerError::Bind { addr, source })?;
        let handle = server.start(module);
        Ok(Self { handle, local_addr })
    }

    /// The bound address.
    pub const fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The server's HTTP URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// Stops the server and waits until it has stopped.
    pub async fn stop(self) {
        // Err only means it was already stopped.
        let _ = self.handle.stop();
        self.handle.stopped().await;
    }
}

/// Removes the whitespace between JSON tokens (the rollup config writer pretty-prints),
/// keeping strings as they are.
fn minify_json(pretty: &str) -> String {
    let mut out = String::with_capacity(pretty.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in pretty.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::minify_json;

    #[test]
    fn minify_keeps_strings() {
        let s = "{\n  \"a b\": \"x \\\" y\",\n  \"c\": [1, 2]\n}";
        assert_eq!(minify_json(s), "{\"a b\":\"x \\\" y\",\"c\":[1,2]}");
    }
}
