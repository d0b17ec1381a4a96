//! The Engine API server's method table called in process, without HTTP or JWT: what a
//! simulation with a paused clock drives (an HTTP round trip would let a paused tokio
//! clock jump past its timeouts), answering exactly as the served engine does.

use std::sync::Arc;

use jsonrpsee::RpcModule;
use parking_lot::Mutex;
use serde_json::{Value, json};

use super::{EngineServerError, Shared, engine::EngineState, methods};
use crate::chain::Chain;

/// A JSON-RPC error answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("JSON-RPC error {code}: {message}")]
pub struct InProcessError {
    /// The error code (`-38001`, `-32602`, …; `-32700` when the answer was unreadable).
    pub code: i64,
    /// The message.
    pub message: String,
}

/// An in-process Engine API engine over one [`Chain`]. Cheap to clone: clones share the
/// chain.
#[derive(Clone)]
pub struct InProcessEngine {
    module: Arc<RpcModule<Shared>>,
    state: Shared,
}

impl std::fmt::Debug for InProcessEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessEngine").finish_non_exhaustive()
    }
}

impl InProcessEngine {
    /// An engine over `chain`.
    pub fn new(chain: Chain) -> Result<Self, EngineServerError> {
        let state: Shared = Arc::new(Mutex::new(EngineState::new(chain)));
        let module = Arc::new(methods(state.clone())?);
        Ok(Self { module, state })
    }

    /// Calls `method` with positional `params`; the `result`, or the error object.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, InProcessError> {
        let request = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let unreadable = |e: serde_json::Error| InProcessError {
            code: -32700,
            message: e.to_string(),
        };
        let (raw, _) = self
            .module
            .raw_json_request(&request.to_string(), 1)
            .await
            .map_err(unreadable)?;
        let mut reply: serde_json::Map<String, Value> =
            serde_json::from_str(raw.get()).map_err(unreadable)?;
        if let Some(err) = reply.remove("error") {
            return Err(InProcessError {
                code: err.get("code").and_then(Value::as_i64).unwrap_or(-32603),
                message: err
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        Ok(reply.remove("result").unwrap_or(Value::Null))
    }

    /// Starts the public, unauthenticated `eth_` server on `addr` over this engine's chain
    /// (what `cast` and wallets talk to in `keel devnet`).
    pub async fn start_public_rpc(
        &self,
        addr: std::net::SocketAddr,
    ) -> Result<crate::rpc::EthServer, crate::rpc::server::EthServerError> {
        crate::rpc::EthServer::start(addr, self.state.clone()).await
    }

    /// Reads the chain (while holding the lock: keep `f` short).
    pub fn with_chain<R>(&self, f: impl FnOnce(&Chain) -> R) -> R {
        f(&self.state.lock().chain)
    }

    /// Changes the chain directly (e.g. to add pool transactions).
    pub fn with_chain_mut<R>(&self, f: impl FnOnce(&mut Chain) -> R) -> R {
        f(&mut self.state.lock().chain)
    }
}
