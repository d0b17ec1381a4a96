//! Block ids and tags, and blocks, transactions and receipts in their RPC shape.

use alloy_consensus::{
    Transaction, TxReceipt,
    transaction::{Recovered, TransactionInfo, TxHashRef},
};
use alloy_eips::{BlockId, BlockNumberOrTag, eip2718::Encodable2718};
use alloy_primitives::{B256, U256};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{Block, BlockTransactions, Header, Log, TransactionReceipt};
use serde::Serialize;

use super::{BlockRef, EthBackend, EthError, StoredTx};
use crate::state::MemState;

/// A backend's block.
pub(crate) type Blk<'a, B> = BlockRef<'a, <B as EthBackend>::Stored, <B as EthBackend>::Receipt>;

/// The block a tag names: `latest` and `pending` are the head (the dev chain builds no
/// pending block), `safe` / `finalized` the forkchoice labels, `earliest` genesis.
pub(crate) fn tag_hash<B: EthBackend>(b: &B, tag: BlockNumberOrTag) -> Option<B256> {
    let fc = b.forkchoice();
    match tag {
        BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => Some(fc.head),
        BlockNumberOrTag::Safe => Some(fc.safe),
        BlockNumberOrTag::Finalized => Some(fc.finalized),
        BlockNumberOrTag::Earliest => b.canonical_hash(0),
        BlockNumberOrTag::Number(n) => b.canonical_hash(n),
    }
}

/// Whether `hash` is the canonical block at its height.
pub(crate) fn is_canonical<B: EthBackend>(b: &B, hash: &B256) -> bool {
    b.block(hash)
        .is_some_and(|blk| b.canonical_hash(blk.header.number) == Some(*hash))
}

/// Resolves a block parameter (tag, number or EIP-1898 object) to a known block.
///
/// Spec: EIP-1898 (`{blockHash, requireCanonical}`, `{blockNumber}`).
pub(crate) fn resolve<B: EthBackend>(b: &B, id: BlockId) -> Result<Blk<'_, B>, EthError> {
    let hash = match id {
        BlockId::Hash(h) => {
            if h.require_canonical == Some(true) && !is_canonical(b, &h.block_hash) {
                return Err(if b.block(&h.block_hash).is_some() {
                    EthError::NotCanonical(h.block_hash)
                } else {
                    EthError::HeaderNotFound
                });
            }
            h.block_hash
        }
        BlockId::Number(tag) => tag_hash(b, tag).ok_or(EthError::HeaderNotFound)?,
    };
    b.block(&hash).ok_or(EthError::HeaderNotFound)
}

/// The post-state of a block parameter's block, or geth's missing-state error.
pub(crate) fn state_at<B: EthBackend>(b: &B, id: BlockId) -> Result<&MemState, EthError> {
    let block = resolve(b, id)?;
    let hash = block.header.hash();
    b.state(&hash).ok_or(EthError::StateUnavailable {
        number: block.header.number,
        hash,
    })
}

fn sender<B: EthBackend>(b: &B, stored: &B::Stored) -> Result<alloy_primitives::Address, EthError> {
    let tx = stored.envelope();
    stored
        .known_sender()
        .or_else(|| b.sender(tx))
        .ok_or_else(|| {
            EthError::Internal(format!(
                "stored transaction {} does not recover",
                tx.tx_hash()
            ))
        })
}

/// Transaction `index` of `block` in RPC shape.
pub(crate) fn rpc_tx_in_block<B: EthBackend>(
    b: &B,
    block: Blk<'_, B>,
    index: usize,
) -> Result<B::RpcTx, EthError> {
    let stored = block
        .transactions
        .get(index)
        .ok_or_else(|| EthError::Internal(format!("no transaction {index}")))?;
    let from = sender(b, stored)?;
    let tx = stored.envelope();
    let info = TransactionInfo {
        hash: Some(*tx.tx_hash()),
        index: Some(index as u64),
        block_hash: Some(block.header.hash()),
        block_number: Some(block.header.number),
        base_fee: block.header.base_fee_per_gas,
        block_timestamp: Some(block.header.timestamp),
    };
    Ok(b.rpc_transaction(
        Recovered::new_unchecked(tx.clone(), from),
        info,
        block.receipts.get(index),
    ))
}

/// A pooled transaction in RPC shape (no block fields).
pub(crate) fn rpc_pending_tx<B: EthBackend>(b: &B, tx: &Recovered<B::Tx>) -> B::RpcTx {
    let info = TransactionInfo {
        hash: Some(*tx.inner().tx_hash()),
        ..Default::default()
    };
    b.rpc_transaction(tx.clone(), info, None)
}

/// A block in RPC shape: full transactions or their hashes.
pub(crate) fn rpc_block<B: EthBackend>(
    b: &B,
    block: Blk<'_, B>,
    full: bool,
) -> Result<Block<B::RpcTx>, EthError> {
    let transactions = if full {
        let txs = (0..block.transactions.len())
            .map(|i| rpc_tx_in_block(b, block, i))
            .collect::<Result<Vec<_>, _>>()?;
        BlockTransactions::Full(txs)
    } else {
        BlockTransactions::Hashes(
            block
                .transactions
                .iter()
                .map(|t| *t.envelope().tx_hash())
                .collect(),
        )
    };
    let withdrawals = block
        .header
        .withdrawals_root
        .map(|_| alloy_eips::eip4895::Withdrawals::default());
    Ok(Block {
        header: Header::from_consensus(
            block.header.clone(),
            None,
            Some(U256::from(block_size(block, withdrawals.as_ref()))),
        ),
        uncles: Vec::new(),
        transactions,
        withdrawals,
    })
}

/// The RLP length of the block (header, transactions, empty ommers, withdrawals).
fn block_size<T: Encodable2718, S: StoredTx<T>, R>(
    block: BlockRef<'_, S, R>,
    withdrawals: Option<&alloy_eips::eip4895::Withdrawals>,
) -> usize {
    let header = block.header.inner().length();
    let txs: usize = block
        .transactions
        .iter()
        .map(|t| {
            let t = t.envelope();
            let len = t.encode_2718_len();
            // Typed transactions are RLP strings in a block body.
            if t.is_legacy() {
                len
            } else {
                len + alloy_rlp::length_of_length(len)
            }
        })
        .sum();
    let txs_list = txs + alloy_rlp::length_of_length(txs);
    let ommers = 1;
    let w = withdrawals.map_or(0, Encodable::length);
    let payload = header + txs_list + ommers + w;
    payload + alloy_rlp::length_of_length(payload)
}

/// A receipt in RPC shape: the standard fields plus the backend's.
#[derive(Debug, Serialize)]
pub(crate) struct RpcReceipt<I, X> {
    #[serde(flatten)]
    receipt: TransactionReceipt<I>,
    #[serde(flatten)]
    extra: X,
}

/// The receipt of transaction `index` of `block`: gas used from the cumulative gas, logs
/// with block-wide indices.
pub(crate) fn rpc_receipt<B: EthBackend>(
    b: &B,
    block: Blk<'_, B>,
    index: usize,
) -> Result<RpcReceipt<B::RpcReceiptInner, B::ReceiptExtra>, EthError> {
    let missing = || EthError::Internal(format!("no receipt {index}"));
    let stored = block.transactions.get(index).ok_or_else(missing)?;
    let tx = stored.envelope();
    let receipt = block.receipts.get(index).ok_or_else(missing)?;
    let previous = index
        .checked_sub(1)
        .and_then(|i| block.receipts.get(i))
        .map_or(0, TxReceipt::cumulative_gas_used);
    let first_log: usize = block
        .receipts
        .iter()
        .take(index)
        .map(|r| r.logs().len())
        .sum();
    let from = sender(b, stored)?;
    let hash = block.header.hash();
    let tx_hash = *tx.tx_hash();
    let logs = receipt
        .logs()
        .iter()
        .enumerate()
        .map(|(i, log)| Log {
            inner: log.clone(),
            block_hash: Some(hash),
            block_number: Some(block.header.number),
            block_timestamp: Some(block.header.timestamp),
            transaction_hash: Some(tx_hash),
            transaction_index: Some(index as u64),
            log_index: Some((first_log + i) as u64),
            removed: false,
        })
        .collect();
    let extra = b.receipt_extra(block, index);
    Ok(RpcReceipt {
        receipt: TransactionReceipt {
            inner: b.rpc_receipt_inner(receipt, logs),
            transaction_hash: tx_hash,
            transaction_index: Some(index as u64),
            block_hash: Some(hash),
            block_number: Some(block.header.number),
            gas_used: receipt.cumulative_gas_used().saturating_sub(previous),
            effective_gas_price: tx.effective_gas_price(block.header.base_fee_per_gas),
            // EIP-4844: only blob transactions report blob gas, at their block's blob fee.
            blob_gas_used: tx.blob_gas_used(),
            blob_gas_price: tx.blob_gas_used().map(|_| b.blob_base_fee(block.header)),
            from,
            to: tx.to(),
            contract_address: b.contract_address(tx, from, receipt),
        },
        extra,
    })
}

/// A backend's receipt in RPC shape.
pub(crate) type BackendReceipt<B> =
    RpcReceipt<<B as EthBackend>::RpcReceiptInner, <B as EthBackend>::ReceiptExtra>;

/// The receipts of every transaction of `block`, in order (`eth_getBlockReceipts`).
pub(crate) fn rpc_block_receipts<B: EthBackend>(
    b: &B,
    block: Blk<'_, B>,
) -> Result<Vec<BackendReceipt<B>>, EthError> {
    (0..block.transactions.len())
        .map(|i| rpc_receipt(b, block, i))
        .collect()
}

/// Finds an included transaction on the canonical chain.
pub(crate) fn locate<'a, B: EthBackend>(b: &'a B, hash: &B256) -> Option<(Blk<'a, B>, usize)> {
    let (block_hash, index) = b.transaction_location(hash)?;
    if !is_canonical(b, &block_hash) {
        return None;
    }
    Some((b.block(&block_hash)?, index))
}
