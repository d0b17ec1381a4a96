//! Keel's L1 data sources: the async edge that feeds the derivation pipeline.
//!
//! # Design
//!
//! Derivation (`keel-derive`) is a pure state machine that asks for L1 data; this crate
//! fetches it. What it returns is checked before anyone uses it: a block's header must hash
//! to the hash asked for, its transactions and receipts to the header's roots (skipped only
//! with [`L1Config::trust_rpc`], op-node's `--l1.trustrpc`), and every blob to the
//! versioned hash its L1 transaction committed to, by KZG. Data that fails a check is an
//! error classed *reset*; a transport failure is *temporary* and retried here with
//! exponential backoff a bounded number of times; "not found" is *temporary* but returned
//! at once, because only the caller knows when to ask again.
//!
//! Everything kept is bounded: LRU caches sized by config, beacon responses capped at
//! [`beacon::MAX_BEACON_RESPONSE`], retries capped by [`RetryPolicy::max_attempts`].
//!
//! What it returns is shaped for the pipeline: [`L1Client::block_input_by_number`] gives
//! `keel_derive`'s `L1BlockInput` (header, transactions, receipts), whose batcher
//! transactions the retrieval stage (`keel_derive::stages::retrieval::batcher_data`) picks;
//! [`BeaconClient::blobs`] gives the blobs it then asks for, as `resolve` takes them.
//!
//! # Layout
//!
//! - [`rpc`]: [`L1Client`], JSON-RPC through an alloy provider: blocks by number and hash,
//!   receipts (`eth_getBlockReceipts` or per transaction), head / safe / finalized.
//! - [`beacon`]: [`BeaconClient`], blobs from the beacon API (`blobs` and `blob_sidecars`
//!   endpoints, fallback sources), slot clock.
//! - [`config`], [`error`]: configuration, the error and its class.
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
#![forbid(unsafe_code)]

pub mod beacon;
mod cache;
pub mod config;
pub mod error;
mod kzg;
mod retry;
pub mod rpc;

pub use beacon::{BeaconClient, SlotClock};
pub use config::{BeaconConfig, BlobEndpoint, L1Config, ReceiptsMethod, RetryPolicy};
pub use error::{ErrorClass, InvalidBlockKind, L1Error};
pub use rpc::{L1Block, L1Client, L1Receipt};
