//! Keel's protocol core: the OP Stack's wire formats and consensus rules, Bedrock through
//! Jovian, as pure functions and plain data.
//!
//! # Design
//!
//! Nothing in this crate reads a clock, a socket or a file. Every rule takes its inputs as
//! arguments (a rollup config, an L1 block's fields, a byte string) and returns a value or a
//! typed error, so the sequencer, derivation and the batcher can share one implementation
//! and every rule can be tested in isolation. Bytes that came from L1, L2 or a peer are
//! never indexed, unwrapped or decompressed without a bound: a decoder returns an error
//! naming what was wrong and where.
//!
//! Types that alloy and op-alloy already define (`B256`, `Address`, `TxDeposit`,
//! `OpTxEnvelope`, `Header`, payload attributes) are used as they are.
//!
//! # Layout
//!
//! - [`hardfork`]: fork names and activation times.
//! - [`rollup_config`], [`presets`]: `rollup.json` and the built-in networks.
//! - [`system_config`], [`config_update`]: the system config and its L1 `ConfigUpdate` logs.
//! - [`deposit`]: `TransactionDeposited` logs to deposit transactions; receipts scan.
//! - [`l1_info`]: the L1-attributes deposit that opens every L2 block.
//! - [`l1_blob_schedule`]: L1's blob parameters over time (Cancun, Prague, BPO forks).
//! - [`upgrades`]: network-upgrade transactions of each fork's activation block.
//! - [`frame`], [`channel`], [`compression`]: batcher data framing and channel assembly.
//! - [`batch`]: singular and span batches.
//! - [`blob`]: the OP blob encoding and versioned-hash checks.
//! - [`channel_builder`]: the batcher's side, L2 blocks to frames.
//! - [`output_root`]: output root v0.
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
#![forbid(unsafe_code)]

pub mod batch;
pub mod blob;
pub mod channel;
pub mod channel_builder;
pub mod compression;
pub mod config_update;
pub mod deposit;
pub mod frame;
pub mod hardfork;
pub mod l1_blob_schedule;
pub mod l1_info;
pub mod output_root;
pub mod presets;
pub mod rollup_config;
pub mod system_config;
pub mod upgrades;
