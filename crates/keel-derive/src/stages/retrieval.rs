//! L1 retrieval: picks the batcher transactions of an L1 block and turns them into data.
//!
//! Two pure steps, so the caller can fetch blobs in between: [`batcher_data`] lists the
//! block's batcher data in transaction order (calldata, or a placeholder per blob), and
//! [`resolve`] replaces the placeholders by the decoded blobs once they are provided.
//!
//! Spec: protocol/derivation.md#l1-retrieval, protocol/ecotone/derivation.md#ecotone-blob-retrieval.

use alloy_consensus::{Transaction, TxEnvelope, transaction::SignerRecoverable};
use alloy_primitives::{Address, B256, Bytes};
use keel_protocol::{
    blob::{BLOB_SIZE, BlobError, decode_blob, verify_blob},
    hardfork::Hardfork,
    rollup_config::RollupConfig,
};

use crate::{error::ErrorClass, types::L1BlockInput};

/// One piece of batcher data of an L1 block, in transaction order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataItem {
    /// The calldata of a non-blob batcher transaction (or, before Ecotone, of any batcher
    /// transaction).
    Calldata(Bytes),
    /// A blob of a blob batcher transaction, still to be fetched and decoded.
    Blob {
        /// Index of the blob among all blobs of the block (the beacon sidecar index).
        index: u64,
        /// The blob's versioned hash.
        hash: B256,
    },
}

/// Why the provided blobs cannot be used. Both are Temporary: the source gave the wrong
/// blobs; fetch them again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RetrievalError {
    /// A different number of blobs than the block's batcher transactions reference.
    #[error("expected {expected} blobs, got {got}")]
    BlobCount {
        /// Blobs the batcher transactions reference.
        expected: usize,
        /// Blobs provided.
        got: usize,
    },
    /// A blob does not match its versioned hash (or its commitment could not be computed).
    #[error("blob {index} ({hash}): {source}")]
    BlobMismatch {
        /// The blob's sidecar index in the block.
        index: u64,
        /// The expected versioned hash.
        hash: B256,
        /// What failed.
        #[source]
        source: BlobError,
    },
}

impl RetrievalError {
    /// The error's class: retry with other blobs.
    pub fn class(&self) -> ErrorClass {
        ErrorClass::Temporary
    }
}

/// A blob that was dropped because it is not a valid OP blob encoding.
#[derive(Debug)]
pub struct SkippedBlob {
    /// The blob's sidecar index in the block.
    pub index: u64,
    /// Its versioned hash.
    pub hash: B256,
    /// Why it failed to decode.
    pub error: BlobError,
}

/// The block's batcher data, ready for the frame queue.
#[derive(Debug, Default)]
pub struct Resolved {
    /// Each batcher transaction's calldata or decoded blob, in block order.
    pub data: Vec<Bytes>,
    /// Blobs skipped as undecodable (log-worthy, not an error).
    pub skipped: Vec<SkippedBlob>,
}

/// Lists `block`'s batcher data, in transaction order.
///
/// A batcher transaction is sent to `cfg.batch_inbox_address`, has type 0, 1, 2 or 3, and its
/// sender recovered from the signature (for `cfg.l1_chain_id`, like op-node's L1 signer) is
/// `batcher`, the batcher address of the system config as of this block. From Ecotone (by this
/// L1 block's timestamp) a blob transaction contributes its blobs and its calldata is ignored.
///
/// Choices where the spec is loose, all as op-node:
/// - Receipts are not consulted: a batcher transaction that reverted still carries data.
/// - Before Ecotone a blob transaction is treated like any other: its calldata is used, its
///   blobs are not fetched (op-node's calldata source only looks at type, `to`, sender and
///   data; the spec lists type 3 among batcher types without a fork condition). kona
///   ignores blob transactions before Ecotone instead; no known chain has such a batcher tx.
/// - Type 4 (EIP-7702) is not in the spec's list and is ignored, as op-node's
///   `isValidBatchTx` does since Pectra ("disallow the SetCodeTx type or any future types")
///   and as kona does. Deposit type `0x7e` cannot occur in an Ethereum [`TxEnvelope`].
///
/// Spec: protocol/derivation.md#l1-retrieval, protocol/ecotone/derivation.md#ecotone-blob-retrieval.
pub fn batcher_data(block: &L1BlockInput, cfg: &RollupConfig, batcher: Address) -> Vec<DataItem> {
    let ecotone = cfg.is_active(Hardfork::Ecotone, block.block_ref.timestamp);
    let mut out = Vec::new();
    // Sidecar index: counts the blobs of every transaction, batcher or not.
    let mut blob_index = 0u64;
    for tx in &block.transactions {
        let hashes = tx.blob_versioned_hashes().unwrap_or_default();
        let first_blob = blob_index;
        blob_index = blob_index.saturating_add(hashes.len() as u64);
        if !is_batcher_tx(tx, cfg, batcher) {
            continue;
        }
        if ecotone && matches!(tx, TxEnvelope::Eip4844(_)) {
            out.extend(
                hashes
                    .iter()
                    .zip(first_blob..)
                    .map(|(&hash, index)| DataItem::Blob { index, hash }),
            );
        } else {
            out.push(DataItem::Calldata(tx.input().clone()));
        }
    }
    out
}

/// Whether `tx` is a batcher transaction of `batcher` under `cfg`: to the inbox, an accepted
/// type, signed for the L1 chain by `batcher`. The signature is only checked once `to`
/// matches (recovery is the costly part).
///
/// Spec: protocol/derivation.md#l1-retrieval.
pub fn is_batcher_tx(tx: &TxEnvelope, cfg: &RollupConfig, batcher: Address) -> bool {
    if matches!(tx, TxEnvelope::Eip7702(_)) || tx.to() != Some(cfg.batch_inbox_address) {
        return false;
    }
    if tx.chain_id().is_some_and(|id| id != cfg.l1_chain_id) {
        return false;
    }
    tx.recover_signer().is_ok_and(|sender| sender == batcher)
}

/// The versioned hashes of the blob items, in order (what to fetch).
pub fn blob_hashes(items: &[DataItem]) -> Vec<B256> {
    items
        .iter()
        .filter_map(|item| match item {
            DataItem::Blob { hash, .. } => Some(*hash),
            DataItem::Calldata(_) => None,
        })
        .collect()
}

fn blob_count(items: &[DataItem]) -> usize {
    items
        .iter()
        .filter(|i| matches!(i, DataItem::Blob { .. }))
        .count()
}

/// Checks that `blobs` are exactly the blobs `items` reference, in order, each matching its
/// versioned hash by KZG commitment. Needed when the blob source is untrusted; a source that
/// already checked sidecar proofs may skip it.
///
/// Spec: protocol/ecotone/derivation.md#ecotone-blob-retrieval ("MUST, if the source is
/// untrusted, be cryptographically verified").
pub fn verify_blobs(
    items: &[DataItem],
    blobs: &[Box<[u8; BLOB_SIZE]>],
) -> Result<(), RetrievalError> {
    let expected = blob_count(items);
    if expected != blobs.len() {
        return Err(RetrievalError::BlobCount {
            expected,
            got: blobs.len(),
        });
    }
    let refs = items.iter().filter_map(|item| match item {
        DataItem::Blob { index, hash } => Some((*index, *hash)),
        DataItem::Calldata(_) => None,
    });
    for ((index, hash), blob) in refs.zip(blobs) {
        verify_blob(blob, hash).map_err(|source| RetrievalError::BlobMismatch {
            index,
            hash,
            source,
        })?;
    }
    Ok(())
}

/// Replaces each blob item by its decoded data, in order. `blobs` are the blobs of the blob
/// items, in item order (checked against the hashes beforehand, see [`verify_blobs`]).
///
/// A blob that is not a valid OP blob encoding is skipped and reported in
/// [`Resolved::skipped`], as op-node's blob source logs "ignoring blob due to parse failure"
/// and moves on. A count mismatch is an error and nothing is returned.
///
/// Spec: protocol/ecotone/derivation.md#ecotone-blob-retrieval ("Otherwise the blob is
/// ignored").
pub fn resolve(
    items: Vec<DataItem>,
    blobs: &[Box<[u8; BLOB_SIZE]>],
) -> Result<Resolved, RetrievalError> {
    let expected = blob_count(&items);
    if expected != blobs.len() {
        return Err(RetrievalError::BlobCount {
            expected,
            got: blobs.len(),
        });
    }
    let mut blobs = blobs.iter();
    let mut out = Resolved::default();
    for item in items {
        match item {
            DataItem::Calldata(data) => out.data.push(data),
            DataItem::Blob { index, hash } => {
                let Some(blob) = blobs.next() else {
                    // Counted above; unreachable, but never index blindly.
                    break;
                };
                match decode_blob(blob.as_slice()) {
                    Ok(data) => out.data.push(Bytes::from(data)),
                    Err(error) => out.skipped.push(SkippedBlob { index, hash, error }),
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calldata_only_needs_no_blobs() {
        let items = vec![
            DataItem::Calldata(Bytes::from_static(b"a")),
            DataItem::Calldata(Bytes::from_static(b"b")),
        ];
        assert!(blob_hashes(&items).is_empty());
        verify_blobs(&items, &[]).unwrap();
        let r = resolve(items, &[]).unwrap();
        assert_eq!(
            r.data,
            vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")]
        );
        assert!(r.skipped.is_empty());
        let blob = Box::new([0u8; BLOB_SIZE]);
        let err = resolve(vec![], std::slice::from_ref(&blob)).unwrap_err();
        assert!(matches!(
            err,
            RetrievalError::BlobCount {
                expected: 0,
                got: 1
            }
        ));
    }
}
