//! `eth_getLogs`: logs of a block range or of one block, filtered by address and topics.

use alloy_consensus::{TxReceipt, transaction::TxHashRef};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_rpc_types_eth::{Filter, FilterBlockOption, Log};

use super::{BlockRef, EthBackend, EthError, StoredTx, blocks};

/// Most blocks one query may span: a bound on the work one request makes the dev chain do.
pub const MAX_BLOCK_RANGE: u64 = 10_000;

/// Most logs one query may return (geth's and Infura's 10,000).
pub const MAX_LOGS: usize = 10_000;

/// `eth_getLogs(filter)`: `blockHash` names one block; otherwise `fromBlock` / `toBlock`
/// (default `latest`) an inclusive canonical range of at most [`MAX_BLOCK_RANGE`] blocks.
pub(crate) fn get_logs<B: EthBackend>(b: &B, filter: &Filter) -> Result<Vec<Log>, EthError> {
    let (from, to) = match filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            let block = b
                .block(&hash)
                .ok_or_else(|| EthError::Execution("unknown block".into()))?;
            let mut out = Vec::new();
            block_logs::<B::Tx, _, _>(block, filter, &mut out)?;
            return Ok(out);
        }
        FilterBlockOption::Range {
            from_block,
            to_block,
        } => (
            number_of(b, from_block.unwrap_or_default())?,
            number_of(b, to_block.unwrap_or_default())?,
        ),
    };
    if from > to {
        return Err(EthError::InvalidBlockRange);
    }
    if to - from >= MAX_BLOCK_RANGE {
        return Err(EthError::BlockRange(MAX_BLOCK_RANGE));
    }
    // Blocks past the head have no logs yet (the range is bounded above already).
    let head = blocks::resolve(b, BlockId::latest())?.header.number;
    let mut out = Vec::new();
    for number in from..=to.min(head) {
        let Some(block) = b.canonical_hash(number).and_then(|h| b.block(&h)) else {
            break;
        };
        block_logs::<B::Tx, _, _>(block, filter, &mut out)?;
    }
    Ok(out)
}

/// The block number a range bound names (a number may lie past the head).
fn number_of<B: EthBackend>(b: &B, tag: BlockNumberOrTag) -> Result<u64, EthError> {
    match tag {
        BlockNumberOrTag::Number(n) => Ok(n),
        other => Ok(blocks::resolve(b, BlockId::Number(other))?.header.number),
    }
}

fn block_logs<T: TxHashRef, S: StoredTx<T>, R: TxReceipt<Log = alloy_primitives::Log>>(
    block: BlockRef<'_, S, R>,
    filter: &Filter,
    out: &mut Vec<Log>,
) -> Result<(), EthError> {
    if !filter.matches_bloom(block.header.logs_bloom) {
        return Ok(());
    }
    let hash = block.header.hash();
    let mut log_index = 0u64;
    for (tx_index, (tx, receipt)) in block.transactions.iter().zip(block.receipts).enumerate() {
        for log in receipt.logs() {
            if filter.matches_address(log.address) && filter.matches_topics(log.topics()) {
                if out.len() >= MAX_LOGS {
                    return Err(EthError::TooManyLogs(MAX_LOGS));
                }
                out.push(Log {
                    inner: log.clone(),
                    block_hash: Some(hash),
                    block_number: Some(block.header.number),
                    block_timestamp: Some(block.header.timestamp),
                    transaction_hash: Some(*tx.envelope().tx_hash()),
                    transaction_index: Some(tx_index as u64),
                    log_index: Some(log_index),
                    removed: false,
                });
            }
            log_index += 1;
        }
    }
    Ok(())
}
