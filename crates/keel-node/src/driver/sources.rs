//! What the driver reads from the outside world: the L1 chain (blocks, receipts, blobs,
//! head labels), the L2 execution client's blocks, and the clock. Traits, so the same
//! driver runs over RPC clients in production and over in-process chains with a simulated
//! clock in tests and the devnet.

use std::future::Future;

use alloy_consensus::{Header, ReceiptEnvelope, Sealed};
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::B256;
use keel_derive::{
    error::ErrorClass,
    types::{L1BlockInput, L1BlockRef},
};
use keel_protocol::blob::BLOB_SIZE;
use op_alloy_consensus::OpBlock;

/// A failed read, with its class: [`ErrorClass::Temporary`] is retried after a back-off,
/// [`ErrorClass::Reset`] (e.g. a block vanished in a reorg) restarts derivation from a
/// consistent point, [`ErrorClass::Critical`] stops derivation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct SourceError {
    /// Which source failed (`"L1"`, `"L1 beacon"`, `"L2"`).
    pub source_name: &'static str,
    /// How it failed.
    pub message: String,
    /// What the driver should do about it.
    pub class: ErrorClass,
}

impl SourceError {
    /// A temporary failure of `source_name`.
    pub fn temporary(source_name: &'static str, message: impl Into<String>) -> Self {
        Self {
            source_name,
            message: message.into(),
            class: ErrorClass::Temporary,
        }
    }
}

/// The L1 head labels the driver follows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct L1Heads {
    /// `latest`.
    pub head: L1BlockRef,
    /// `safe`.
    pub safe: L1BlockRef,
    /// `finalized`.
    pub finalized: L1BlockRef,
}

/// The L1 chain as the driver reads it.
pub trait L1Source: Send + Sync {
    /// The current `latest`, `safe` and `finalized` blocks.
    fn heads(&self) -> impl Future<Output = Result<L1Heads, SourceError>> + Send;

    /// The canonical block at `number`, or `None` if L1 has no block there yet.
    fn block_ref_by_number(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<L1BlockRef>, SourceError>> + Send;

    /// The block with `hash`, or `None` if unknown.
    fn block_ref_by_hash(
        &self,
        hash: B256,
    ) -> impl Future<Output = Result<Option<L1BlockRef>, SourceError>> + Send;

    /// The canonical block at `number` with its transactions and receipts (verified
    /// against the header's roots by the source), or `None` if there is none yet.
    fn block_input(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<L1BlockInput>, SourceError>> + Send;

    /// The header of the block with `hash`, and its receipts when `receipts` is set (an
    /// epoch's first L2 block needs its deposits and config updates).
    fn epoch(
        &self,
        hash: B256,
        receipts: bool,
    ) -> impl Future<Output = Result<(Sealed<Header>, Option<Vec<ReceiptEnvelope>>), SourceError>> + Send;

    /// The blobs of `block` with these versioned hashes, in order, each verified against
    /// its hash. `indices` are the blobs' positions among all blobs of the block (what a
    /// beacon node's `blob_sidecars` takes).
    fn blobs(
        &self,
        block: L1BlockRef,
        hashes: &[B256],
        indices: &[u64],
    ) -> impl Future<Output = Result<Vec<Box<[u8; BLOB_SIZE]>>, SourceError>> + Send;
}

/// The L2 execution client's canonical chain, read-only (writes go through the Engine API).
pub trait L2Source: Send + Sync {
    /// The block at `tag` with full transactions, and its hash as the client reports it.
    fn block(
        &self,
        tag: BlockNumberOrTag,
    ) -> impl Future<Output = Result<Option<(B256, OpBlock)>, SourceError>> + Send;
}

/// Wall-clock time in milliseconds since the UNIX epoch. The sequencer's schedule runs on
/// it; tests and the devnet pass a simulated one.
pub trait Clock: Send + Sync {
    /// Now, in ms since the UNIX epoch.
    fn now_ms(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

/// A clock that starts at `start_ms` and runs with tokio's clock, so a test with tokio's
/// time paused (`start_paused`) runs hours of chain in seconds and replays exactly.
#[derive(Debug, Clone, Copy)]
pub struct TokioClock {
    start_ms: u64,
    origin: tokio::time::Instant,
}

impl TokioClock {
    /// A clock reading `start_ms` now.
    pub fn starting_at(start_ms: u64) -> Self {
        Self {
            start_ms,
            origin: tokio::time::Instant::now(),
        }
    }
}

impl Clock for TokioClock {
    fn now_ms(&self) -> u64 {
        let elapsed = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.start_ms.saturating_add(elapsed)
    }
}
