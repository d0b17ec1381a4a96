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

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{SignableTransaction, TxEip1559, TxEip4844, TxEip4844Variant, TxLegacy};
    use alloy_network::TxSignerSync;
    use alloy_primitives::{TxKind, U256, address};
    use alloy_signer_local::PrivateKeySigner;

    const INBOX: Address = address!("ff00000000000000000000000000000000000010");

    fn key(n: u8) -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&B256::repeat_byte(n)).unwrap()
    }

    fn calldata_tx(k: &PrivateKeySigner, to: Address, data: &[u8], legacy: bool) -> TxEnvelope {
        if legacy {
            let mut tx = TxLegacy {
                chain_id: Some(1),
                to: TxKind::Call(to),
                gas_limit: 50_000,
                input: Bytes::copy_from_slice(data),
                ..Default::default()
            };
            let sig = k.sign_transaction_sync(&mut tx).unwrap();
            tx.into_signed(sig).into()
        } else {
            let mut tx = TxEip1559 {
                chain_id: 1,
                to: TxKind::Call(to),
                gas_limit: 50_000,
                value: U256::ZERO,
                input: Bytes::copy_from_slice(data),
                ..Default::default()
            };
            let sig = k.sign_transaction_sync(&mut tx).unwrap();
            tx.into_signed(sig).into()
        }
    }

    fn blob_tx(k: &PrivateKeySigner, to: Address, hashes: Vec<B256>) -> TxEnvelope {
        let mut tx = TxEip4844Variant::TxEip4844(TxEip4844 {
            chain_id: 1,
            to,
            gas_limit: 50_000,
            blob_versioned_hashes: hashes,
            // Calldata on a blob transaction is ignored.
            input: Bytes::from_static(b"\x00ignored"),
            ..Default::default()
        });
        let sig = k.sign_transaction_sync(&mut tx).unwrap();
        TxEnvelope::Eip4844(tx.into_signed(sig))
    }

    #[test]
    fn picks_batcher_txs_and_counts_every_blob() {
        let (batcher, other) = (key(1), key(2));
        let h = |n| B256::repeat_byte(n);
        let txs = vec![
            calldata_tx(&batcher, INBOX, b"\x00a", false),
            blob_tx(&other, INBOX, vec![h(1), h(2)]), // stranger: blobs 0, 1
            calldata_tx(&other, INBOX, b"\x00b", false), // stranger
            blob_tx(&batcher, INBOX, vec![h(3)]),     // blob 2
            calldata_tx(&batcher, Address::ZERO, b"\x00c", true), // not the inbox
            blob_tx(&batcher, Address::ZERO, vec![h(4)]), // blob 3, not the inbox
            calldata_tx(&batcher, INBOX, b"\x00d", true),
            blob_tx(&batcher, INBOX, vec![h(5), h(6)]), // blobs 4, 5
        ];
        let got = batcher_transactions(&txs, INBOX, batcher.address());
        let summary: Vec<_> = got.iter().map(|t| (t.tx_index, t.data.clone())).collect();
        let ih = |index, n| IndexedBlobHash { index, hash: h(n) };
        assert_eq!(
            summary,
            vec![
                (0, BatcherData::Calldata(Bytes::from_static(b"\x00a"))),
                (3, BatcherData::Blobs(vec![ih(2, 3)])),
                (6, BatcherData::Calldata(Bytes::from_static(b"\x00d"))),
                (7, BatcherData::Blobs(vec![ih(4, 5), ih(5, 6)])),
            ]
        );
        assert_eq!(got[0].tx_hash, *txs[0].tx_hash());
        assert!(batcher_transactions(&txs, INBOX, Address::ZERO).is_empty());
    }
}
