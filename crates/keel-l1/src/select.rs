//! Picking a block's batcher transactions (the input side of L1 retrieval).
//!
//! Pure: it takes the block's transactions and the current inbox and batcher addresses and
//! returns what the retrieval stage reads, in block order. It lives here until the
//! derivation crate's retrieval stage exists; it does no I/O and can move there as is.

use alloy_consensus::{Transaction, TxEnvelope, transaction::SignerRecoverable};
use alloy_eips::eip4844::IndexedBlobHash;
use alloy_primitives::{Address, B256, Bytes};

/// Where a batcher transaction's data is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatcherData {
    /// In the transaction's calldata (types 0, 1, 2).
    Calldata(Bytes),
    /// In blobs (type 3); each hash carries the blob's index among *all* the blobs of the
    /// block, which is what the beacon API's `indices` filter counts.
    Blobs(Vec<IndexedBlobHash>),
}

/// One batcher transaction of a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatcherTx {
    /// Position of the transaction in its block.
    pub tx_index: usize,
    /// The transaction hash.
    pub tx_hash: B256,
    /// Its data.
    pub data: BatcherData,
}

/// The batcher transactions of a block, in block order: sent to `inbox`, of type 0, 1, 2
/// or 3, and signed by `batcher` (recovered from the signature, never taken from the RPC's
/// `from`). A blob transaction's calldata is ignored.
///
/// Every blob transaction advances the block's blob index, batcher or not, so the indices
/// returned are positions among all the block's blobs.
///
/// Deposit-type (0x7e) batcher transactions, which the spec admits for OP chains settling
/// on an OP chain, are not supported: this client reads Ethereum L1 only.
///
/// Spec: protocol/derivation.md#l1-retrieval; protocol/ecotone/derivation.md#ecotone-blob-retrieval
pub fn batcher_transactions(
    txs: &[TxEnvelope],
    inbox: Address,
    batcher: Address,
) -> Vec<BatcherTx> {
    let mut out = Vec::new();
    let mut blob_index = 0u64;
    for (tx_index, tx) in txs.iter().enumerate() {
        let hashes = tx.blob_versioned_hashes().unwrap_or_default();
        let first_blob = blob_index;
        blob_index = blob_index.saturating_add(hashes.len() as u64);
        let eligible_type = matches!(
            tx,
            TxEnvelope::Legacy(_)
                | TxEnvelope::Eip2930(_)
                | TxEnvelope::Eip1559(_)
                | TxEnvelope::Eip4844(_)
        );
        if !eligible_type || tx.to() != Some(inbox) {
            continue;
        }
        // An unrecoverable signature cannot be the batcher's.
        if tx.recover_signer().ok() != Some(batcher) {
            continue;
        }
        let data = if matches!(tx, TxEnvelope::Eip4844(_)) {
            BatcherData::Blobs(
                hashes
                    .iter()
                    .zip(first_blob..)
                    .map(|(hash, index)| IndexedBlobHash { index, hash: *hash })
                    .collect(),
            )
        } else {
            BatcherData::Calldata(tx.input().clone())
        };
        out.push(BatcherTx {
            tx_index,
            tx_hash: *tx.tx_hash(),
            data,
        });
    }
    out
}
