//! The devnet's rollup-node RPC: op-node's `optimism_` methods (and `admin_`, since the
//! devnet is a local development chain) for the sequencer node and for the verifier node,
//! served by keel-rpc over the same `NodeApi` as `keel node`, so tools written against
//! op-node (`optimism_syncStatus`, `optimism_outputAtBlock`, `admin_stopSequencer`) work on
//! the devnet too.

use std::{net::SocketAddr, sync::Arc};

use keel_protocol::rollup_config::RollupConfig;
use keel_rpc::{RpcServer, RpcServerConfig, RpcServerError};

use super::external::DevTransport;
use crate::{driver::control::NodeHandle, node::api::NodeApi};

/// Serves the rollup-node RPC of the node behind `handle`, whose execution client is `l2`
/// (its embedded engine, `&InProcessEngine`, or a [`DevTransport`]), on `addr` (port 0
/// picks a free port), with the admin namespace.
pub async fn serve_rollup_rpc(
    rollup: &Arc<RollupConfig>,
    handle: NodeHandle,
    l2: impl Into<DevTransport>,
    addr: SocketAddr,
) -> Result<RpcServer, RpcServerError> {
    let l2 = l2.into().client(rollup.hardforks);
    let api = NodeApi::new(handle, Arc::new(l2), Arc::clone(rollup));
    let config = RpcServerConfig {
        addr,
        enable_admin: true,
        version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    RpcServer::start(&config, Arc::new(api), rollup, None, None).await
}
