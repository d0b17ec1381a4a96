//! Keel's batcher: the sequencer's L2 blocks into channels and frames, posted to the L1 batch
//! inbox as calldata or blobs.
//!
//! # Design
//!
//! The decisions are sans-IO, as in the rest of Keel: the [`ChannelManager`] takes L2 blocks,
//! the L2 safe head, the L1 head (number and time) and the fate of each transaction, and
//! hands out transaction payloads ([`TxData`]); the transaction manager's rules ([`txmgr`])
//! take fee quotes, node answers, receipts and the time, and say publish / wait / bump /
//! confirmed / abort. Neither reads a clock or a socket, so every rule is tested by handing
//! it inputs. The [`service`] module is the thin async edge: it reads L2 blocks and the safe
//! head, signs and sends L1 transactions, and feeds the results back.
//!
//! Channels are built by `keel-protocol`'s [`ChannelBuilder`](keel_protocol::channel_builder::ChannelBuilder),
//! the same code whose output the derivation pipeline's decoders are tested against.
//!
//! # Layout
//!
//! - [`block`]: an L2 block as a singular batch plus its L1 origin.
//! - [`config`]: the batcher's settings; per-channel fork rules and L1 blob limits.
//! - [`manager`]: the channel manager (blocks, reorgs, channels, timeouts, frames' fate).
//! - `channel`: one closed channel's frame bookkeeping.
//! - [`tx_data`]: a payload as calldata or blobs.
//! - [`txmgr`]: fees, bumps, nonces, confirmations.
//! - [`service`]: the tokio service, its RPC sources, and the `keel batcher` arguments.
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
#![forbid(unsafe_code)]

pub mod block;
mod channel;
pub mod config;
pub mod manager;
pub mod service;
pub mod tx_data;
pub mod txmgr;

pub use block::{BatchBlock, BlockError};
pub use config::{BatcherConfig, ConfigError, DataAvailability};
pub use manager::{AddBlockError, ChannelManager, L1Head, ManagerError, ManagerStats, TxOutcome};
pub use service::{BatcherArgs, BatcherService, L2Source, SafeHeadSource, run};
pub use tx_data::{TxData, TxId};
