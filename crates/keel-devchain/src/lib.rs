//! Embedded OP Stack execution for Keel: an in-memory L2 execution core built on revm,
//! op-revm and alloy-op-evm.
//!
//! - [`genesis`]: the dev chain's L2 genesis (dev accounts, predeploys run from the specs'
//!   deployment bytecodes, Jovian-at-genesis header).
//! - [`state`]: the in-memory world state, its trie roots, and revm's database over it.
//! - `trie`: the persistent Merkle-Patricia trie with cached node hashes that keeps the
//!   state and storage roots incremental and post-state clones cheap.
//! - [`executor`]: builds a block from payload attributes and executes a payload, sealing
//!   the header as OP execution clients do.
//! - [`chain`]: blocks, post-state snapshots, forkchoice and reorgs.
//!
//! No Engine API / `eth_` server yet, and no L1 dev chain (issue 4 follow-ups).

#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod chain;
pub mod engine_server;
pub mod executor;
pub mod forks;
pub mod genesis;
pub mod state;
mod trie;
