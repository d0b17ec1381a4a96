//! Keel's node services that face operators and tools: op-node's JSON-RPC API and
//! Prometheus metrics, as components the node driver plugs in.
//!
//! # Design
//!
//! The server knows nothing of the driver's internals. The driver implements
//! [`RollupNodeApi`] (sync status, block refs, output fields, and the admin actions) — an
//! async trait, so an implementation can forward each call over a bounded channel to its
//! event loop or read a published snapshot; the server only turns JSON into calls and
//! answers into op-node's JSON ([`types`]). Work that op-node does in its API layer is done
//! here too: the output root is computed from the fields the driver returns
//! (`keel_protocol::output_root`), a posted payload's block hash is checked before the
//! driver sees it, and `optimism_safeHeadAtL1Block` reads the [`keel_safedb::SafeDb`]
//! directly. The `admin_` namespace is registered only when enabled, so a disabled node
//! answers "method not found" (`-32601`), as op-node does.
//!
//! [`Metrics`] is a handle with op-node's metric names (namespace `op_node_default`) and
//! Keel's own (`keel_`); it owns its registry, and [`MetricsServer`] serves it on its own
//! address.
//!
//! # Layout
//!
//! - [`api`]: [`RollupNodeApi`], what the driver implements, and [`NodeApiError`].
//! - [`types`]: `SyncStatus`, `OutputResponse`, `SafeHeadResponse` in op-node's JSON.
//! - [`server`]: [`RpcServer`], the `optimism_` methods and error mapping.
//! - `admin`: the `admin_` methods and the payload block-hash check.
//! - [`metrics`]: [`Metrics`] and [`MetricsServer`].
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
#![forbid(unsafe_code)]

mod admin;
pub mod api;
pub mod metrics;
pub mod server;
pub mod types;

pub use admin::payload_block_hash;
pub use api::{NodeApiError, RollupNodeApi};
pub use metrics::{CallOutcome, Metrics, MetricsServer};
pub use server::{RpcServer, RpcServerConfig, RpcServerError, rpc_module};
pub use types::{SafeHeadResponse, SyncStatus};
