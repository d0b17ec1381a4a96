//! The embedded L2 engine (keel-devchain) as the driver's engine and L2 source, called in
//! process: the devnet and the simulated-clock tests run a whole chain this way, through
//! the same Engine API client code a real op-geth gets.

use keel_devchain::engine_server::InProcessEngine;
use keel_engine::{client::Transport, error::EngineError};
use serde_json::Value;

/// [`Transport`] over an [`InProcessEngine`].
#[derive(Debug, Clone)]
pub struct InProcessTransport(pub InProcessEngine);

impl Transport for InProcessTransport {
    async fn call_raw(&self, method: &'static str, params: Value) -> Result<Value, EngineError> {
        self.0
            .call(method, params)
            .await
            .map_err(|e| EngineError::Rpc {
                method,
                code: e.code,
                message: e.message,
            })
    }
}
