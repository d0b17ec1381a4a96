//! The L1 JSON-RPC client: blocks, receipts and head / safe / finalized references,
//! verified against their header, cached by hash, retried on transport failures.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use alloy_consensus::{
    Header, ReceiptEnvelope, Sealed, TxEnvelope,
    proofs::{calculate_receipt_root, calculate_transaction_root, calculate_withdrawals_root},
};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_network::Ethereum;
use alloy_primitives::{B256, Log};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_eth::{Block, TransactionReceipt};
use alloy_transport::{TransportError, TransportErrorKind};
use futures_util::future::try_join_all;
use keel_derive::types::{L1BlockInput, L1BlockRef};

use crate::{
    cache::Cache,
    config::{L1Config, ReceiptsMethod},
    error::{InvalidBlockKind, L1Error},
    retry::with_retry,
};

/// An L1 block as derivation needs it: the sealed header and the full transactions, in
/// block order. Unless the client trusts its RPC, the header has been checked to hash to
/// the block's hash and the transactions to the header's transactions root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Block {
    /// The header, sealed with its hash.
    pub header: Sealed<Header>,
    /// The transactions, in block order.
    pub transactions: Vec<TxEnvelope>,
}

impl L1Block {
    /// The block hash.
    pub fn hash(&self) -> B256 {
        self.header.hash()
    }

    /// The block number.
    pub fn number(&self) -> u64 {
        self.header.number
    }

    /// The block's reference (hash, number, parent hash, timestamp).
    pub fn block_ref(&self) -> L1BlockRef {
        header_ref(&self.header)
    }
}

/// A receipt with its logs as plain alloy logs, as the deposit and config-update scans in
/// `keel_protocol` take them.
pub type L1Receipt = ReceiptEnvelope<Log>;

fn header_ref(header: &Sealed<Header>) -> L1BlockRef {
    L1BlockRef {
        hash: header.hash(),
        number: header.number,
        parent_hash: header.parent_hash,
        timestamp: header.timestamp,
    }
}

/// The L1 JSON-RPC client (op-node's `L1Client`).
///
/// Cheap to clone: clones share the connection and the caches.
#[derive(Clone)]
pub struct L1Client {
    inner: Arc<Inner>,
}

struct Inner {
    provider: RootProvider<Ethereum>,
    /// Scheme, host and port of the node, for errors.
    endpoint: String,
    config: L1Config,
    blocks: Cache<B256, Arc<L1Block>>,
    receipts: Cache<B256, Arc<Vec<L1Receipt>>>,
    /// Set once the node has said it has no `eth_getBlockReceipts`, so that `Auto` stops
    /// asking it.
    block_receipts_unsupported: AtomicBool,
}

impl std::fmt::Debug for L1Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("L1Client")
            .field("endpoint", &self.inner.endpoint)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl L1Client {
    /// A client over HTTP(S) JSON-RPC at `url`.
    pub fn new_http(url: &str, config: L1Config) -> Result<Self, L1Error> {
        let url: url::Url = url
            .parse()
            .map_err(|e| L1Error::Config(format!("L1 RPC URL: {e}")))?;
        let endpoint = format!(
            "{}://{}{}",
            url.scheme(),
            url.host_str().unwrap_or_default(),
            url.port().map(|p| format!(":{p}")).unwrap_or_default()
        );
        Ok(Self::new(RootProvider::new_http(url), endpoint, config))
    }

    /// A client over any alloy provider; `endpoint` names the node in errors (give no
    /// secrets: scheme, host and port).
    pub fn new(provider: RootProvider<Ethereum>, endpoint: String, config: L1Config) -> Self {
        Self {
            inner: Arc::new(Inner {
                endpoint,
                blocks: Cache::new(config.block_cache_size),
                receipts: Cache::new(config.receipts_cache_size),
                provider,
                config,
                block_receipts_unsupported: AtomicBool::new(false),
            }),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &L1Config {
        &self.inner.config
    }

    /// The latest block's reference.
    pub async fn head(&self) -> Result<L1BlockRef, L1Error> {
        self.block_ref_by_tag(BlockNumberOrTag::Latest).await
    }

    /// The `safe` block's reference (justified by the beacon chain).
    pub async fn safe(&self) -> Result<L1BlockRef, L1Error> {
        self.block_ref_by_tag(BlockNumberOrTag::Safe).await
    }

    /// The `finalized` block's reference.
    pub async fn finalized(&self) -> Result<L1BlockRef, L1Error> {
        self.block_ref_by_tag(BlockNumberOrTag::Finalized).await
    }

    /// The reference of the block with the given tag or number, from its header alone
    /// (transactions not fetched).
    pub async fn block_ref_by_tag(&self, tag: BlockNumberOrTag) -> Result<L1BlockRef, L1Error> {
        let id = BlockId::Number(tag);
        let block = with_retry(&self.inner.config.retry, || async {
            self.inner
                .provider
                .get_block(id)
                .hashes()
                .await
                .map_err(|e| rpc_error(&self.inner.endpoint, "eth_getBlockByNumber", id, e))?
                .ok_or(L1Error::BlockNotFound { block: id })
        })
        .await?;
        let header = self.check_header(block.header, id)?;
        if let BlockNumberOrTag::Number(requested) = tag
            && header.number != requested
        {
            return Err(L1Error::InvalidBlock {
                block_number: header.number,
                block_hash: header.hash(),
                what: InvalidBlockKind::Number { requested },
            });
        }
        Ok(header_ref(&header))
    }

    /// The canonical block at `number`, with its transactions.
    ///
    /// Not served from the cache: which block is canonical at a height can change; the
    /// answer is cached by hash for later [`Self::block_by_hash`] calls.
    pub async fn block_by_number(&self, number: u64) -> Result<Arc<L1Block>, L1Error> {
        let id = BlockId::number(number);
        let block = self.fetch_full(id).await?;
        if block.number() != number {
            return Err(L1Error::InvalidBlock {
                block_number: block.number(),
                block_hash: block.hash(),
                what: InvalidBlockKind::Number { requested: number },
            });
        }
        let block = Arc::new(block);
        self.inner.blocks.insert(block.hash(), Arc::clone(&block));
        Ok(block)
    }

    /// The block with hash `hash`, with its transactions.
    pub async fn block_by_hash(&self, hash: B256) -> Result<Arc<L1Block>, L1Error> {
        if let Some(b) = self.inner.blocks.get(&hash) {
            return Ok(b);
        }
        let block = Arc::new(self.fetch_full(BlockId::hash(hash)).await?);
        self.inner.blocks.insert(hash, Arc::clone(&block));
        Ok(block)
    }

    async fn fetch_full(&self, id: BlockId) -> Result<L1Block, L1Error> {
        let block: Block = with_retry(&self.inner.config.retry, || async {
            self.inner
                .provider
                .get_block(id)
                .full()
                .await
                .map_err(|e| rpc_error(&self.inner.endpoint, method_for(id), id, e))?
                .ok_or(L1Error::BlockNotFound { block: id })
        })
        .await?;
        let header = self.check_header(block.header, id)?;
        if block.transactions.is_hashes() && !block.transactions.is_empty() {
            return Err(L1Error::InvalidBlock {
                block_number: header.number,
                block_hash: header.hash(),
                what: InvalidBlockKind::HashesOnly,
            });
        }
        if !self.inner.config.trust_rpc {
            let computed = block
                .withdrawals
                .as_ref()
                .map(|w| calculate_withdrawals_root(w));
            if computed != header.withdrawals_root {
                return Err(L1Error::InvalidBlock {
                    block_number: header.number,
                    block_hash: header.hash(),
                    what: InvalidBlockKind::WithdrawalsRoot {
                        computed,
                        expected: header.withdrawals_root,
                    },
                });
            }
        }
        let transactions: Vec<TxEnvelope> = block
            .transactions
            .into_transactions()
            .map(|tx| tx.into_inner())
            .collect();
        if !self.inner.config.trust_rpc {
            let computed = calculate_transaction_root(&transactions);
            if computed != header.transactions_root {
                return Err(L1Error::InvalidBlock {
                    block_number: header.number,
                    block_hash: header.hash(),
                    what: InvalidBlockKind::TransactionsRoot {
                        computed,
                        expected: header.transactions_root,
                    },
                });
            }
        }
        Ok(L1Block {
            header,
            transactions,
        })
    }

    /// Seals the RPC header: with the recomputed hash, which must equal the one the node
    /// reported and the one requested; or, when trusting the RPC, with the reported hash.
    fn check_header(
        &self,
        header: alloy_rpc_types_eth::Header,
        id: BlockId,
    ) -> Result<Sealed<Header>, L1Error> {
        let reported = header.hash;
        let header = header.inner;
        let number = header.number;
        let sealed = if self.inner.config.trust_rpc {
            Sealed::new_unchecked(header, reported)
        } else {
            let sealed = Sealed::new(header);
            if sealed.hash() != reported {
                return Err(L1Error::InvalidBlock {
                    block_number: number,
                    block_hash: reported,
                    what: InvalidBlockKind::HeaderHash {
                        computed: sealed.hash(),
                    },
                });
            }
            sealed
        };
        if let BlockId::Hash(requested) = id
            && requested.block_hash != sealed.hash()
        {
            return Err(L1Error::InvalidBlock {
                block_number: number,
                block_hash: requested.block_hash,
                what: InvalidBlockKind::HeaderHash {
                    computed: sealed.hash(),
                },
            });
        }
        Ok(sealed)
    }

    /// The receipts of `block`, in transaction order, checked against its receipts root
    /// (unless the RPC is trusted). Cached by block hash.
    pub async fn receipts(&self, block: &L1Block) -> Result<Arc<Vec<L1Receipt>>, L1Error> {
        let hash = block.hash();
        if let Some(r) = self.inner.receipts.get(&hash) {
            return Ok(r);
        }
        let rpc = match self.inner.config.receipts_method {
            ReceiptsMethod::PerTransaction => self.receipts_per_tx(block).await?,
            ReceiptsMethod::BlockReceipts => self.block_receipts(hash).await?,
            ReceiptsMethod::Auto => {
                if self
                    .inner
                    .block_receipts_unsupported
                    .load(Ordering::Relaxed)
                {
                    self.receipts_per_tx(block).await?
                } else {
                    match self.block_receipts(hash).await {
                        Err(e) if is_unsupported(&e) => {
                            self.inner
                                .block_receipts_unsupported
                                .store(true, Ordering::Relaxed);
                            self.receipts_per_tx(block).await?
                        }
                        other => other?,
                    }
                }
            }
        };
        let receipts = Arc::new(self.check_receipts(block, rpc)?);
        self.inner.receipts.insert(hash, Arc::clone(&receipts));
        Ok(receipts)
    }

    /// The receipts of the block with hash `hash` (fetching the block first if needed).
    pub async fn receipts_by_hash(&self, hash: B256) -> Result<Arc<Vec<L1Receipt>>, L1Error> {
        if let Some(r) = self.inner.receipts.get(&hash) {
            return Ok(r);
        }
        let block = self.block_by_hash(hash).await?;
        self.receipts(&block).await
    }

    /// The canonical block at `number` with its receipts, as the derivation pipeline takes
    /// it (L1 traversal and retrieval).
    pub async fn block_input_by_number(&self, number: u64) -> Result<L1BlockInput, L1Error> {
        let block = self.block_by_number(number).await?;
        self.block_input(&block).await
    }

    /// The block with hash `hash` with its receipts, as the derivation pipeline takes it.
    pub async fn block_input_by_hash(&self, hash: B256) -> Result<L1BlockInput, L1Error> {
        let block = self.block_by_hash(hash).await?;
        self.block_input(&block).await
    }

    async fn block_input(&self, block: &L1Block) -> Result<L1BlockInput, L1Error> {
        let receipts = self.receipts(block).await?;
        Ok(L1BlockInput {
            // The sealed hash: recomputed and checked already unless the RPC is trusted.
            block_ref: block.block_ref(),
            header: block.header.inner().clone(),
            transactions: block.transactions.clone(),
            receipts: receipts.as_ref().clone(),
        })
    }

    async fn block_receipts(&self, hash: B256) -> Result<Vec<TransactionReceipt>, L1Error> {
        let id = BlockId::hash(hash);
        with_retry(&self.inner.config.retry, || async {
            self.inner
                .provider
                .get_block_receipts(id)
                .await
                .map_err(|e| rpc_error(&self.inner.endpoint, "eth_getBlockReceipts", id, e))?
                .ok_or(L1Error::BlockNotFound { block: id })
        })
        .await
    }

    /// One request per transaction, [`L1Config::receipts_concurrency`] at a time, results
    /// in block order.
    async fn receipts_per_tx(&self, block: &L1Block) -> Result<Vec<TransactionReceipt>, L1Error> {
        let hash = block.hash();
        let id = BlockId::hash(hash);
        let one = |tx_hash: B256| {
            with_retry(&self.inner.config.retry, move || async move {
                self.inner
                    .provider
                    .get_transaction_receipt(tx_hash)
                    .await
                    .map_err(|e| {
                        rpc_error(&self.inner.endpoint, "eth_getTransactionReceipt", id, e)
                    })?
                    .ok_or(L1Error::ReceiptNotFound {
                        block_hash: hash,
                        tx_hash,
                    })
            })
        };
        let mut out = Vec::with_capacity(block.transactions.len());
        for chunk in block
            .transactions
            .chunks(self.inner.config.receipts_concurrency.max(1))
        {
            let batch = try_join_all(chunk.iter().map(|tx| one(*tx.tx_hash()))).await?;
            out.extend(batch);
        }
        Ok(out)
    }

    fn check_receipts(
        &self,
        block: &L1Block,
        rpc: Vec<TransactionReceipt>,
    ) -> Result<Vec<L1Receipt>, L1Error> {
        let invalid = |what| L1Error::InvalidBlock {
            block_number: block.number(),
            block_hash: block.hash(),
            what,
        };
        if rpc.len() != block.transactions.len() {
            return Err(invalid(InvalidBlockKind::ReceiptCount {
                receipts: rpc.len(),
                transactions: block.transactions.len(),
            }));
        }
        let mut receipts = Vec::with_capacity(rpc.len());
        for (index, r) in rpc.into_iter().enumerate() {
            // A per-transaction receipt can come from another block after a reorg between
            // the block fetch and the receipt fetch: that is a changed view of L1, a reset.
            if r.block_hash != Some(block.hash()) {
                return Err(invalid(InvalidBlockKind::ReceiptBlock {
                    index,
                    block_hash: r.block_hash,
                }));
            }
            receipts.push(r.into_primitives_receipt().inner);
        }
        if !self.inner.config.trust_rpc {
            let computed = calculate_receipt_root(&receipts);
            if computed != block.header.receipts_root {
                return Err(invalid(InvalidBlockKind::ReceiptsRoot {
                    computed,
                    expected: block.header.receipts_root,
                }));
            }
        }
        Ok(receipts)
    }
}

const fn method_for(id: BlockId) -> &'static str {
    match id {
        BlockId::Hash(_) => "eth_getBlockByHash",
        BlockId::Number(_) => "eth_getBlockByNumber",
    }
}

/// Whether the node said it does not implement the method (EIP-1474 `-32601`, or the
/// wording some providers use instead).
fn is_unsupported(e: &L1Error) -> bool {
    match e {
        L1Error::Rpc { code, message, .. } => {
            let m = message.to_ascii_lowercase();
            *code == -32601
                || m.contains("not supported")
                || m.contains("unsupported")
                || m.contains("does not exist")
                || m.contains("not available")
                || m.contains("method not found")
        }
        _ => false,
    }
}

/// Maps alloy's transport error to ours, deciding what is worth retrying.
fn rpc_error(endpoint: &str, method: &'static str, block: BlockId, e: TransportError) -> L1Error {
    let endpoint = endpoint.to_owned();
    use alloy_json_rpc::RpcError;
    match e {
        RpcError::ErrorResp(p) => L1Error::Rpc {
            endpoint,
            method,
            block,
            code: p.code,
            message: p.message.into_owned(),
        },
        // A JSON `null` where an object was expected: the node does not have it.
        RpcError::NullResp => L1Error::BlockNotFound { block },
        RpcError::Transport(kind) => {
            let retryable = match &kind {
                TransportErrorKind::HttpError(h) => h.status == 429 || h.status >= 500,
                // Connection refused/reset and timeouts arrive as `Custom` reqwest errors.
                TransportErrorKind::Custom(_) | TransportErrorKind::BackendGone => true,
                other => other.is_retry_err(),
            };
            L1Error::Transport {
                endpoint,
                method,
                block,
                message: kind.to_string(),
                retryable,
            }
        }
        RpcError::DeserError { err, .. } => L1Error::Malformed {
            endpoint,
            method,
            block,
            // Not the text: a block's JSON can be megabytes.
            message: err.to_string(),
        },
        other => L1Error::Transport {
            endpoint,
            method,
            block,
            message: other.to_string(),
            retryable: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_detection() {
        let rpc = |code, msg: &str| L1Error::Rpc {
            endpoint: String::new(),
            method: "eth_getBlockReceipts",
            block: BlockId::latest(),
            code,
            message: msg.into(),
        };
        assert!(is_unsupported(&rpc(
            -32601,
            "the method eth_getBlockReceipts does not exist"
        )));
        assert!(is_unsupported(&rpc(-32000, "Method not supported")));
        assert!(!is_unsupported(&rpc(-32000, "header not found")));
        assert!(!is_unsupported(&L1Error::BlockNotFound {
            block: BlockId::latest()
        }));
    }

    #[test]
    fn http_errors_classified() {
        let e = |status| {
            rpc_error(
                "",
                "eth_getBlockByNumber",
                BlockId::latest(),
                TransportErrorKind::http_error(status, String::new()),
            )
        };
        assert!(e(503).is_retryable());
        assert!(e(429).is_retryable());
        assert!(!e(401).is_retryable());
        assert!(matches!(
            rpc_error(
                "",
                "m",
                BlockId::latest(),
                alloy_json_rpc::RpcError::NullResp
            ),
            L1Error::BlockNotFound { .. }
        ));
    }
}
