//! An Engine API server for the devchain: JSON-RPC over HTTP with JWT authentication, the
//! `engine_` methods op-node drives (forkchoice updates, payload building, payload
//! execution) and the `eth_` API ([`crate::rpc`]), all over one [`Chain`] behind a mutex.
//! [`EngineServer::start_public_rpc`] serves the same `eth_` API without authentication on
//! a second port, as op-geth serves 8545 beside its JWT-guarded 8551.
//!
//! Spec: protocol/exec-engine.md#engine-api-usage and the fork `exec-engine.md` files;
//! where they are silent, op-geth's behaviour (error codes, payload ids).

mod auth;
mod engine;
mod in_process;

pub use in_process::{InProcessEngine, InProcessError};

use std::{net::SocketAddr, sync::Arc};

use alloy_rpc_types_engine::JwtSecret;
use jsonrpsee::{
    RpcModule,
    server::{Server, ServerConfig, ServerHandle},
    types::{ErrorObjectOwned, Params},
};
use parking_lot::Mutex;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{
    chain::Chain,
    rpc::{BackendHandle, EthServer, server::EthServerError},
};
use auth::JwtAuthLayer;
use engine::EngineState;

/// JSON-RPC error codes the server answers with (execution-apis `src/engine/common.md`).
pub mod codes {
    /// Invalid method parameters.
    pub const INVALID_PARAMS: i32 = -32602;
    /// Internal error.
    pub const INTERNAL: i32 = -32603;
    /// `getPayload` of an id the server does not know.
    pub const UNKNOWN_PAYLOAD: i32 = -38001;
    /// Safe or finalized not on the head's chain.
    pub const INVALID_FORKCHOICE_STATE: i32 = -38002;
    /// Payload attributes that cannot be built.
    pub const INVALID_ATTRIBUTES: i32 = -38003;
    /// A method version that does not apply at the payload's timestamp.
    pub const UNSUPPORTED_FORK: i32 = -38005;
}

/// The methods `engine_exchangeCapabilities` announces.
pub const CAPABILITIES: [&str; 8] = [
    "engine_forkchoiceUpdatedV2",
    "engine_forkchoiceUpdatedV3",
    "engine_getPayloadV2",
    "engine_getPayloadV3",
    "engine_getPayloadV4",
    "engine_newPayloadV2",
    "engine_newPayloadV3",
    "engine_newPayloadV4",
];

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineServerError {
    /// Binding the listening socket failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A method could not be registered (a bug: duplicate name).
    #[error(transparent)]
    Register(#[from] jsonrpsee::core::RegisterMethodError),
}

pub(crate) fn rpc_err(code: i32, message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(code, message.into(), None::<()>)
}

/// Positional argument `i` (absent reads as `null`, so optional arguments are `Option`s).
pub(crate) fn arg<T: DeserializeOwned>(args: &[Value], i: usize) -> Result<T, ErrorObjectOwned> {
    let value = args.get(i).cloned().unwrap_or(Value::Null);
    serde_json::from_value(value)
        .map_err(|e| rpc_err(codes::INVALID_PARAMS, format!("invalid argument {i}: {e}")))
}

fn positional(params: &Params<'_>) -> Result<Vec<Value>, ErrorObjectOwned> {
    params
        .parse::<Option<Vec<Value>>>()
        .map(Option::unwrap_or_default)
        .map_err(|e| rpc_err(codes::INVALID_PARAMS, e.to_string()))
}

/// Largest request or response body: a payload is bounded by the L2 gas limit (at 16 gas
/// per calldata byte a 200M-gas block is about 12.5 MB, 25 MB as hex).
const MAX_BODY_BYTES: u32 = 64 * 1024 * 1024;

type Shared = Arc<Mutex<EngineState>>;

/// A running Engine API server over a devchain.
#[derive(Debug)]
pub struct EngineServer {
    handle: ServerHandle,
    local_addr: SocketAddr,
    state: Shared,
}

impl EngineServer {
    /// Starts serving `chain` on `addr` (port 0 picks a free port, see
    /// [`Self::local_addr`]), refusing requests not signed with `secret`. Must be called
    /// inside a tokio runtime; the server runs until [`Self::stop`] or drop of the runtime.
    pub async fn start(
        addr: SocketAddr,
        secret: JwtSecret,
        chain: Chain,
    ) -> Result<Self, EngineServerError> {
        let state: Shared = Arc::new(Mutex::new(EngineState::new(chain)));
        let module = methods(state.clone())?;
        let config = ServerConfig::builder()
            .max_request_body_size(MAX_BODY_BYTES)
            .max_response_body_size(MAX_BODY_BYTES)
            .build();
        let server = Server::builder()
            .set_config(config)
            .set_http_middleware(tower::ServiceBuilder::new().layer(JwtAuthLayer::new(secret)))
            .build(addr)
            .await
            .map_err(|source| EngineServerError::Bind { addr, source })?;
        let local_addr = server
            .local_addr()
            .map_err(|source| EngineServerError::Bind { addr, source })?;
        let handle = server.start(module);
        Ok(Self {
            handle,
            local_addr,
            state,
        })
    }

    /// The bound address.
    pub const fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The HTTP URL of the server.
    pub fn url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    /// Reads the chain (while holding the lock: keep `f` short).
    pub fn with_chain<R>(&self, f: impl FnOnce(&Chain) -> R) -> R {
        f(&self.state.lock().chain)
    }

    /// Changes the chain directly (e.g. to add pool transactions).
    pub fn with_chain_mut<R>(&self, f: impl FnOnce(&mut Chain) -> R) -> R {
        f(&mut self.state.lock().chain)
    }

    /// Starts the public, unauthenticated `eth_` server on `addr` over this server's chain
    /// (port 0 picks a free port). It runs until stopped, independently of this server.
    pub async fn start_public_rpc(&self, addr: SocketAddr) -> Result<EthServer, EthServerError> {
        EthServer::start(addr, self.state.clone()).await
    }

    /// Stops the server and waits until it has stopped.
    pub async fn stop(self) {
        // Err only means it was already stopped.
        let _ = self.handle.stop();
        self.handle.stopped().await;
    }
}

fn methods(state: Shared) -> Result<RpcModule<Shared>, EngineServerError> {
    let mut m = RpcModule::new(state.clone());
    for version in [2u8, 3] {
        let name = if version == 2 {
            "engine_forkchoiceUpdatedV2"
        } else {
            "engine_forkchoiceUpdatedV3"
        };
        m.register_method(name, move |p, s, _| {
            let args = positional(&p)?;
            s.lock().forkchoice_updated(version, &args)
        })?;
    }
    for (version, name) in [
        (2u8, "engine_getPayloadV2"),
        (3, "engine_getPayloadV3"),
        (4, "engine_getPayloadV4"),
    ] {
        m.register_method(name, move |p, s, _| {
            let args = positional(&p)?;
            s.lock().get_payload(version, &args)
        })?;
    }
    for (version, name) in [
        (2u8, "engine_newPayloadV2"),
        (3, "engine_newPayloadV3"),
        (4, "engine_newPayloadV4"),
    ] {
        m.register_method(name, move |p, s, _| {
            let args = positional(&p)?;
            s.lock().new_payload(version, &args)
        })?;
    }
    m.register_method("engine_exchangeCapabilities", |_, _, _| {
        Value::from(CAPABILITIES.to_vec())
    })?;
    m.merge(crate::rpc::eth_module(state.clone())?)?;
    Ok(m)
}

impl BackendHandle for Shared {
    type Backend = Chain;

    fn read<R>(&self, f: impl FnOnce(&Chain) -> R) -> R {
        f(&self.lock().chain)
    }

    fn write<R>(&self, f: impl FnOnce(&mut Chain) -> R) -> R {
        f(&mut self.lock().chain)
    }
}
