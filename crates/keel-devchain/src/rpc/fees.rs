//! Fee suggestions and history: `eth_maxPriorityFeePerGas`, `eth_gasPrice`,
//! `eth_feeHistory`.

use alloy_consensus::{Transaction, TxReceipt};
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_rpc_types_eth::FeeHistory;

use super::{EthBackend, EthError, StoredTx, blocks};

/// The smallest tip suggested (op-geth's `DefaultMinSuggestedPriorityFee`, 0.001 gwei):
/// OP blocks rarely fill, so a token tip is enough to be included.
pub const MIN_SUGGESTED_TIP: u128 = 1_000_000;

/// Most blocks one `eth_feeHistory` call covers (geth's `maxBlockFetchers` bound, 1024).
pub const MAX_FEE_HISTORY_BLOCKS: u64 = 1024;

/// Most reward percentiles one call may ask for (geth's `maxQueryLimit`, 100).
pub const MAX_REWARD_PERCENTILES: usize = 100;

/// `eth_maxPriorityFeePerGas`: op-geth's rule for OP chains: while the head block has room
/// (gas used under 80% of its limit) the minimum tip; otherwise the median tip paid in it,
/// raised by 10%, never under the minimum.
pub(crate) fn suggested_tip<B: EthBackend>(b: &B) -> Result<u128, EthError> {
    let head = blocks::resolve(b, BlockId::latest())?;
    let header = head.header;
    if u128::from(header.gas_used) * 10 < u128::from(header.gas_limit) * 8 {
        return Ok(MIN_SUGGESTED_TIP);
    }
    let base = header.base_fee_per_gas.unwrap_or_default();
    let mut tips: Vec<u128> = head
        .transactions
        .iter()
        .map(StoredTx::envelope)
        .filter(|t| Transaction::max_fee_per_gas(*t) > 0)
        .filter_map(|t| Transaction::effective_tip_per_gas(t, base))
        .collect();
    tips.sort_unstable();
    let median = tips.get(tips.len() / 2).copied().unwrap_or_default();
    Ok((median.saturating_mul(110) / 100).max(MIN_SUGGESTED_TIP))
}

/// `eth_gasPrice`: the suggested tip plus the head's base fee (geth).
pub(crate) fn gas_price<B: EthBackend>(b: &B) -> Result<u128, EthError> {
    let head = blocks::resolve(b, BlockId::latest())?;
    let base = u128::from(head.header.base_fee_per_gas.unwrap_or_default());
    Ok(suggested_tip(b)? + base)
}

/// `eth_feeHistory(blockCount, newestBlock, rewardPercentiles)`: for each of up to
/// `blockCount` blocks ending at `newestBlock`, the base fee (plus the next block's), the
/// gas-used ratio, blob fields, and the tips paid at each percentile of gas (geth's
/// algorithm: transactions sorted by tip, weighted by the gas each used).
pub(crate) fn fee_history<B: EthBackend>(
    b: &B,
    count: u64,
    newest: BlockNumberOrTag,
    percentiles: Option<&[f64]>,
) -> Result<FeeHistory, EthError> {
    if let Some(p) = percentiles {
        check_percentiles(p)?;
    }
    let newest = blocks::resolve(b, BlockId::Number(newest))?;
    let newest_number = newest.header.number;
    let count = count.min(MAX_FEE_HISTORY_BLOCKS).min(newest_number + 1);
    if count == 0 {
        return Ok(FeeHistory::default());
    }
    let oldest = newest_number + 1 - count;
    let mut history = FeeHistory {
        oldest_block: oldest,
        reward: percentiles.map(|_| Vec::new()),
        ..FeeHistory::default()
    };
    for number in oldest..=newest_number {
        let block = b
            .canonical_hash(number)
            .and_then(|h| b.block(&h))
            .ok_or(EthError::HeaderNotFound)?;
        let h = block.header;
        history
            .base_fee_per_gas
            .push(u128::from(h.base_fee_per_gas.unwrap_or_default()));
        history.gas_used_ratio.push(ratio(h.gas_used, h.gas_limit));
        history.base_fee_per_blob_gas.push(b.blob_base_fee(h));
        history.blob_gas_used_ratio.push(ratio(
            h.blob_gas_used.unwrap_or_default(),
            b.max_blob_gas_per_block(h),
        ));
        if let (Some(rewards), Some(p)) = (history.reward.as_mut(), percentiles) {
            rewards.push(block_rewards::<B>(block, p));
        }
    }
    history
        .base_fee_per_gas
        .push(u128::from(b.next_base_fee(newest.header)));
    history
        .base_fee_per_blob_gas
        .push(b.next_blob_base_fee(newest.header));
    Ok(history)
}

fn ratio(used: u64, limit: u64) -> f64 {
    if limit == 0 {
        0.0
    } else {
        used as f64 / limit as f64
    }
}

/// Percentiles must lie in `[0, 100]` and not decrease (geth's messages).
fn check_percentiles(p: &[f64]) -> Result<(), EthError> {
    if p.len() > MAX_REWARD_PERCENTILES {
        return Err(EthError::InvalidParams(format!(
            "too many reward percentiles: {}, limit {MAX_REWARD_PERCENTILES}",
            p.len()
        )));
    }
    let mut previous = 0.0;
    for (i, &v) in p.iter().enumerate() {
        if !(0.0..=100.0).contains(&v) {
            return Err(EthError::InvalidParams(format!(
                "invalid reward percentile: {v}"
            )));
        }
        if i > 0 && v < previous {
            return Err(EthError::InvalidParams(format!(
                "invalid reward percentile: #{}:{previous} > #{i}:{v}",
                i - 1
            )));
        }
        previous = v;
    }
    Ok(())
}

/// The tip at each percentile of the block's gas: transactions sorted by effective tip,
/// each weighted by its gas used (deposits pay no tip).
fn block_rewards<B: EthBackend>(block: blocks::Blk<'_, B>, percentiles: &[f64]) -> Vec<u128> {
    let base = block.header.base_fee_per_gas.unwrap_or_default();
    let mut previous = 0;
    let mut txs: Vec<(u128, u64)> = block
        .transactions
        .iter()
        .zip(block.receipts)
        .map(|(tx, r)| {
            let used = r.cumulative_gas_used().saturating_sub(previous);
            previous = r.cumulative_gas_used();
            let tip = tx.envelope().effective_tip_per_gas(base);
            (tip.unwrap_or_default(), used)
        })
        .collect();
    if txs.is_empty() {
        return vec![0; percentiles.len()];
    }
    txs.sort_unstable_by_key(|(tip, _)| *tip);
    let mut index = 0;
    let mut sum = txs.first().map_or(0, |(_, g)| *g);
    percentiles
        .iter()
        .map(|p| {
            let threshold = (block.header.gas_used as f64 * p / 100.0) as u64;
            while sum < threshold && index + 1 < txs.len() {
                index += 1;
                sum += txs.get(index).map_or(0, |(_, g)| *g);
            }
            txs.get(index).map_or(0, |(tip, _)| *tip)
        })
        .collect()
}
