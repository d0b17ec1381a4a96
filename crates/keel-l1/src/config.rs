//! Configuration: cache sizes, retry policy, verification and receipts method.

use std::time::Duration;

/// How many attempts a retryable request gets, and how long to wait between them.
///
/// The wait doubles after each failure, from `initial_backoff` up to `max_backoff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (at least 1 is always made).
    pub max_attempts: u32,
    /// Wait after the first failure.
    pub initial_backoff: Duration,
    /// Cap on any single wait.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Five attempts, 250 ms doubling to at most 4 s: about 7.5 s in total, shorter than
    /// one L1 slot, so a retried fetch never holds derivation up by more than a block.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(4),
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1-based): `initial * 2^(attempt-1)`,
    /// capped at `max_backoff`. Pure, so that the schedule is testable without a clock.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let shift = attempt.saturating_sub(1).min(31);
        self.initial_backoff
            .saturating_mul(1u32 << shift)
            .min(self.max_backoff)
    }

    /// A policy that never retries (one attempt).
    pub const fn no_retry() -> Self {
        Self {
            max_attempts: 1,
            initial_backoff: Duration::ZERO,
            max_backoff: Duration::ZERO,
        }
    }
}

/// Which JSON-RPC method fetches a block's receipts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReceiptsMethod {
    /// `eth_getBlockReceipts`, falling back to one `eth_getTransactionReceipt` per
    /// transaction when the node does not support it.
    #[default]
    Auto,
    /// `eth_getBlockReceipts` only.
    BlockReceipts,
    /// One `eth_getTransactionReceipt` per transaction (for nodes without
    /// `eth_getBlockReceipts`; op-node's `--l1.rpckind basic`).
    PerTransaction,
}

/// Configuration of the L1 JSON-RPC client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Config {
    /// Skip the consistency checks on what the node returns (header hash, transactions and
    /// receipts roots) — op-node's `--l1.trustrpc`. Only for a node you run yourself.
    pub trust_rpc: bool,
    /// Blocks (header and transactions) kept, by hash.
    pub block_cache_size: u32,
    /// Blocks' receipts kept, by block hash.
    pub receipts_cache_size: u32,
    /// How receipts are fetched.
    pub receipts_method: ReceiptsMethod,
    /// Per-transaction receipt requests in flight at once (at least 1 is used).
    pub receipts_concurrency: usize,
    /// Retries of transport failures.
    pub retry: RetryPolicy,
}

impl Default for L1Config {
    /// Caches of 1000 blocks: op-node keeps about two sequencer windows' worth of L1 blocks
    /// for a 3600-block window at a fraction; 1000 covers several hours of L1 while staying
    /// bounded to tens of megabytes.
    fn default() -> Self {
        Self {
            trust_rpc: false,
            block_cache_size: 1000,
            receipts_cache_size: 1000,
            receipts_method: ReceiptsMethod::Auto,
            // Enough to fetch a full block's receipts in a few round trips without
            // tripping a provider's rate limit.
            receipts_concurrency: 8,
            retry: RetryPolicy::default(),
        }
    }
}

/// Which beacon API endpoint to ask for blobs first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BlobEndpoint {
    /// `/eth/v1/beacon/blobs/{slot}?versioned_hashes=…` (Fulu and later beacon nodes).
    #[default]
    Blobs,
    /// `/eth/v1/beacon/blob_sidecars/{slot}?indices=…` (Deneb/Electra beacon nodes,
    /// archivers).
    Sidecars,
}

/// Configuration of the beacon API blob client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeaconConfig {
    /// Beacon nodes or blob archivers, tried in order (op-node's `--l1.beacon` then
    /// `--l1.beacon-archiver`).
    pub urls: Vec<String>,
    /// Endpoint tried first; the other is tried when it fails.
    pub prefer: BlobEndpoint,
    /// Verified blobs kept, by versioned hash.
    pub blob_cache_size: u32,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// The beacon chain's slot length, when known: skips the `/eth/v1/config/spec`
    /// look-up, for beacon APIs that do not serve it (anvil 1.7 serves genesis and blobs
    /// only). `None` (the default) asks the source.
    pub seconds_per_slot: Option<u64>,
    /// Retries of transport failures and 5xx/429 answers, per source.
    pub retry: RetryPolicy,
}

impl BeaconConfig {
    /// Defaults with the given sources.
    pub fn new(urls: Vec<String>) -> Self {
        Self {
            urls,
            prefer: BlobEndpoint::default(),
            // 6 blobs a block (Cancun) for ~20 blocks: 15 MiB of blob data.
            blob_cache_size: 128,
            request_timeout: Duration::from_secs(30),
            seconds_per_slot: None,
            retry: RetryPolicy::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_millis(250));
        assert_eq!(p.backoff(2), Duration::from_millis(500));
        assert_eq!(p.backoff(3), Duration::from_secs(1));
        assert_eq!(p.backoff(6), Duration::from_secs(4));
        assert_eq!(p.backoff(u32::MAX), Duration::from_secs(4));
    }
}
