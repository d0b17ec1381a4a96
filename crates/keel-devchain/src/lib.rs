//! Embedded OP Stack execution for Keel: an in-memory L2 execution core built on revm,
//! op-revm and alloy-op-evm.
//!
//! - [`genesis`]: the dev chain's L2 genesis (dev accounts, predeploys behind ERC-1967 proxies,
//!   implementations from the specs' deployment bytecodes and Keel's own contracts, fork-aware).
//! - [`geth_genesis`]: that genesis as a geth `genesis.json` (for op-geth / op-reth), and
//!   the genesis block a client derives from such a file.
//! - [`state`]: the in-memory world state, its trie roots, and revm's database over it.
//! - `trie`: the persistent Merkle-Patricia trie with cached node hashes that keeps the
//!   state and storage roots incremental and post-state clones cheap.
//! - [`executor`]: builds a block from payload attributes and executes a payload, sealing
//!   the header as OP execution clients do.
//! - [`chain`]: blocks, post-state snapshots, forkchoice and reorgs.
//! - [`l1`]: the embedded L1 dev chain (Ethereum mode, deposit portal and system config in
//!   its genesis, beacon-API blob endpoint).
//! - [`engine_server`]: the JWT-guarded Engine API server (with the `eth_` API beside it).
//! - [`rpc`]: the user-facing `eth_` API over a small backend trait ([`rpc::EthBackend`]),
//!   and its public unauthenticated server.
//! - [`l2_rpc`]: the L2 chain as that backend (OP envelopes, op-geth's receipt fields).
//! - [`l1_rpc`]: the L1 dev chain as that backend (Ethereum envelopes, blobs), and its
//!   public `eth_` server.
//! - [`call`]: read-only op-revm execution for `eth_call` / `eth_estimateGas`.

#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod call;
pub mod chain;
pub mod engine_server;
pub mod executor;
pub mod forks;
pub mod genesis;
pub mod geth_genesis;
pub mod l1;
pub mod l1_rpc;
pub mod l2_rpc;
pub mod rpc;
pub mod state;
mod trie;
