//! The few `eth_` methods an op-node-like client needs beside the Engine API: chain id,
//! head number and blocks (to read back unsafe blocks as payloads).

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{B256, U64, U256};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{Block, BlockTransactions, Header};
use jsonrpsee::types::ErrorObjectOwned;
use op_alloy_consensus::OpTxEnvelope;
use serde_json::Value;

use super::{arg, codes, engine::consensus_block, rpc_err};
use crate::chain::{Chain, StoredBlock};

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, ErrorObjectOwned> {
    serde_json::to_value(v).map_err(|e| rpc_err(codes::INTERNAL, e.to_string()))
}

/// `eth_chainId`.
pub(crate) fn chain_id(chain: &Chain) -> Result<Value, ErrorObjectOwned> {
    to_value(&U64::from(chain.rollup_config().l2_chain_id))
}

/// `eth_blockNumber`: the canonical head's number.
pub(crate) fn block_number(chain: &Chain) -> Result<Value, ErrorObjectOwned> {
    let number = chain.head().map_or(0, |b| b.header.number);
    to_value(&U64::from(number))
}

/// A block in the RPC shape: full transactions as their envelopes (the per-transaction
/// RPC extras such as `blockHash` are left out), or their hashes.
fn rpc_block(block: &StoredBlock, full: bool) -> Result<Value, ErrorObjectOwned> {
    let consensus = consensus_block(block);
    let size = U256::from(consensus.length());
    let transactions = if full {
        BlockTransactions::Full(consensus.body.transactions)
    } else {
        BlockTransactions::Hashes(
            consensus
                .body
                .transactions
                .iter()
                .map(OpTxEnvelope::tx_hash)
                .collect(),
        )
    };
    let rpc: Block<OpTxEnvelope> = Block {
        header: Header::from_consensus(block.header.clone(), None, Some(size)),
        uncles: Vec::new(),
        transactions,
        withdrawals: consensus.body.withdrawals,
    };
    to_value(&rpc)
}

/// `eth_getBlockByNumber(tag, full)`; `null` if there is no such canonical block.
pub(crate) fn block_by_number(chain: &Chain, args: &[Value]) -> Result<Value, ErrorObjectOwned> {
    let tag: BlockNumberOrTag = arg(args, 0)?;
    let full: Option<bool> = arg(args, 1)?;
    let fc = chain.forkchoice();
    let block = match tag {
        BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => chain.head(),
        BlockNumberOrTag::Safe => chain.block_by_hash(&fc.safe),
        BlockNumberOrTag::Finalized => chain.block_by_hash(&fc.finalized),
        BlockNumberOrTag::Earliest => chain.block_by_number(0),
        BlockNumberOrTag::Number(n) => chain.block_by_number(n),
    };
    block.map_or(Ok(Value::Null), |b| rpc_block(b, full.unwrap_or(false)))
}

/// `eth_getBlockByHash(hash, full)`; `null` if unknown.
pub(crate) fn block_by_hash(chain: &Chain, args: &[Value]) -> Result<Value, ErrorObjectOwned> {
    let hash: B256 = arg(args, 0)?;
    let full: Option<bool> = arg(args, 1)?;
    chain
        .block_by_hash(&hash)
        .map_or(Ok(Value::Null), |b| rpc_block(b, full.unwrap_or(false)))
}
