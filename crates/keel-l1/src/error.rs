//! The crate's error and its class.

use alloy_eips::BlockId;
use alloy_primitives::B256;

pub use keel_derive::error::ErrorClass;

/// Everything that can go wrong fetching L1 data, with enough context to log and act on.
///
/// Each variant has a [`ErrorClass`] (op-node's temporary / reset / critical): a transport
/// hiccup is retried, data that contradicts itself or the chain (a hash that does not
/// recompute, a receipts root that does not match) asks the pipeline to reset, and a
/// misconfiguration stops the node.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum L1Error {
    /// The JSON-RPC transport failed: connection refused, timeout, HTTP 5xx or 429, a
    /// response that is not JSON-RPC.
    #[error("L1 RPC {endpoint}: transport error during {method} ({block}): {message}")]
    Transport {
        /// The node, as scheme, host and port only (an RPC URL's path and query often hold an
        /// API key).
        endpoint: String,
        /// The JSON-RPC method.
        method: &'static str,
        /// The block asked for.
        block: BlockId,
        /// The transport's description.
        message: String,
        /// Whether the failure is worth retrying (connection-level, 5xx, rate limit).
        retryable: bool,
    },
    /// The node answered with a JSON-RPC error object.
    #[error("L1 RPC {endpoint}: {method} ({block}) returned error {code}: {message}")]
    Rpc {
        /// The node, as scheme, host and port only (an RPC URL's path and query often hold an
        /// API key).
        endpoint: String,
        /// The JSON-RPC method.
        method: &'static str,
        /// The block asked for.
        block: BlockId,
        /// The JSON-RPC error code.
        code: i64,
        /// The JSON-RPC error message.
        message: String,
    },
    /// The node's answer is not the JSON the method defines (a `null` transaction, a
    /// missing field, an unknown transaction type).
    #[error("L1 RPC {endpoint}: {method} ({block}) returned malformed data: {message}")]
    Malformed {
        /// The node, as scheme, host and port only (an RPC URL's path and query often hold an
        /// API key).
        endpoint: String,
        /// The JSON-RPC method.
        method: &'static str,
        /// The block asked for.
        block: BlockId,
        /// The decoder's description.
        message: String,
    },
    /// The node does not know the block (yet, or any more after a reorg).
    #[error("L1 block not found: {block}")]
    BlockNotFound {
        /// The block asked for.
        block: BlockId,
    },
    /// The node does not know a transaction's receipt.
    #[error("receipt of transaction {tx_hash} in block {block_hash} not found")]
    ReceiptNotFound {
        /// The block the transaction is in.
        block_hash: B256,
        /// The transaction.
        tx_hash: B256,
    },
    /// A block's data does not hash to what it claims or was asked for (header hash,
    /// transactions root, receipts root, counts), or a transaction in it cannot be decoded.
    #[error("invalid L1 data for block {block_number} ({block_hash}): {what}")]
    InvalidBlock {
        /// Block number, as the header says.
        block_number: u64,
        /// The block hash asked for, or claimed by the node.
        block_hash: B256,
        /// What did not match.
        what: InvalidBlockKind,
    },
    /// The beacon API request failed at the HTTP level.
    #[error("beacon API {url}: {message}")]
    BeaconHttp {
        /// The URL requested (no credentials: beacon URLs are configured without them).
        url: String,
        /// HTTP status, if a response arrived.
        status: Option<u16>,
        /// The HTTP client's description.
        message: String,
    },
    /// The beacon API answered with something that is not the documented JSON.
    #[error("beacon API {url}: malformed response: {message}")]
    BeaconMalformed {
        /// The URL requested.
        url: String,
        /// What was wrong.
        message: String,
    },
    /// No beacon source returned every blob asked for, each verified.
    #[error(
        "blobs for slot {slot} unavailable from all {sources} beacon sources; last error: {last}"
    )]
    BlobsUnavailable {
        /// The beacon slot.
        slot: u64,
        /// How many sources were tried.
        sources: usize,
        /// The last source's error.
        last: Box<L1Error>,
    },
    /// A blob returned by a beacon source does not match the versioned hash an L1
    /// transaction committed to, or its KZG proof does not verify.
    #[error(
        "blob {index} (expected versioned hash {expected}) from {url} failed verification: {what}"
    )]
    BlobMismatch {
        /// The blob's index in its block.
        index: u64,
        /// The versioned hash the L1 transaction committed to.
        expected: B256,
        /// The source that returned it.
        url: String,
        /// What failed.
        what: &'static str,
    },
    /// An L1 timestamp that maps to no beacon slot (before genesis, or not on a slot
    /// boundary), or a zero slot time.
    #[error(
        "timestamp {timestamp} maps to no beacon slot (genesis {genesis_time}, {seconds_per_slot} s/slot)"
    )]
    BadSlotTime {
        /// The L1 block timestamp.
        timestamp: u64,
        /// Beacon genesis time.
        genesis_time: u64,
        /// Seconds per slot.
        seconds_per_slot: u64,
    },
    /// The configuration cannot work (no beacon URL, an unparsable URL).
    #[error("L1 source configuration: {0}")]
    Config(String),
}

/// Which consistency check a block failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidBlockKind {
    /// The header does not hash to the requested (or reported) hash.
    #[error("header hashes to {computed}")]
    HeaderHash {
        /// The hash of the header as received.
        computed: B256,
    },
    /// The block has a different number from the one requested.
    #[error("requested number {requested}")]
    Number {
        /// The number asked for.
        requested: u64,
    },
    /// The transactions do not hash to the header's transactions root.
    #[error("transactions root {computed} != header's {expected}")]
    TransactionsRoot {
        /// Root of the transactions as received.
        computed: B256,
        /// Root in the header.
        expected: B256,
    },
    /// The receipts do not hash to the header's receipts root.
    #[error("receipts root {computed} != header's {expected}")]
    ReceiptsRoot {
        /// Root of the receipts as received.
        computed: B256,
        /// Root in the header.
        expected: B256,
    },
    /// The withdrawals do not hash to the header's withdrawals root, or one side is
    /// missing.
    #[error("withdrawals root {computed:?} != header's {expected:?}")]
    WithdrawalsRoot {
        /// Root of the withdrawals as received (`None`: no withdrawals list).
        computed: Option<B256>,
        /// Root in the header (`None`: pre-Shanghai header).
        expected: Option<B256>,
    },
    /// The node returned a different number of receipts than the block has transactions.
    #[error("{receipts} receipts for {transactions} transactions")]
    ReceiptCount {
        /// Receipts received.
        receipts: usize,
        /// Transactions in the block.
        transactions: usize,
    },
    /// A receipt names another block.
    #[error("receipt {index} names block {block_hash:?}")]
    ReceiptBlock {
        /// Receipt position.
        index: usize,
        /// The block hash the receipt claims.
        block_hash: Option<B256>,
    },
    /// The block came without full transaction objects.
    #[error("transactions returned as hashes only")]
    HashesOnly,
}

impl L1Error {
    /// What the caller should do about this error (see [`ErrorClass`]).
    ///
    /// Not-found is temporary: a block or blob not yet seen by this node may be there on the
    /// next try, and derivation waits rather than resetting (op-node treats `ethereum.NotFound`
    /// the same way). It is still not retried *inside* this crate (see
    /// [`L1Error::is_retryable`]): the caller's loop decides when to ask again.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Transport { .. }
            | Self::Rpc { .. }
            | Self::Malformed { .. }
            | Self::BlockNotFound { .. }
            | Self::ReceiptNotFound { .. }
            | Self::BeaconHttp { .. }
            | Self::BeaconMalformed { .. }
            | Self::BlobsUnavailable { .. } => ErrorClass::Temporary,
            Self::InvalidBlock { .. } | Self::BlobMismatch { .. } => ErrorClass::Reset,
            Self::BadSlotTime { .. } | Self::Config(_) => ErrorClass::Critical,
        }
    }

    /// Whether this crate's own retry loop should try the same request again: only
    /// transport failures, server errors and rate limits. Not-found and invalid data are
    /// answers, not failures, and are returned at once.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { retryable, .. } => *retryable,
            // -32005: "limit exceeded" (EIP-1474), the usual rate-limit code; -32603 internal.
            Self::Rpc { code, .. } => matches!(*code, -32005 | -32603 | 429),
            Self::BeaconHttp { status, .. } => match status {
                None => true,
                Some(s) => *s == 429 || *s >= 500,
            },
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let nf = L1Error::BlockNotFound {
            block: BlockId::number(5),
        };
        assert_eq!(nf.class(), ErrorClass::Temporary);
        assert!(!nf.is_retryable());
        let bad = L1Error::InvalidBlock {
            block_number: 1,
            block_hash: B256::ZERO,
            what: InvalidBlockKind::HashesOnly,
        };
        assert_eq!(bad.class(), ErrorClass::Reset);
        assert!(!bad.is_retryable());
        let http = |status| L1Error::BeaconHttp {
            url: "u".into(),
            status,
            message: String::new(),
        };
        assert!(http(Some(503)).is_retryable());
        assert!(http(Some(429)).is_retryable());
        assert!(http(None).is_retryable());
        assert!(!http(Some(404)).is_retryable());
        assert_eq!(L1Error::Config("x".into()).class(), ErrorClass::Critical);
    }
}
