//! `eth_call` and `eth_estimateGas` over the backend's read-only executor.
//!
//! As op-geth: a call pays no L1 data fee (the fee is charged, and the balance for it
//! required, only when the transaction is included), so the estimate is execution gas only.

use alloy_eips::BlockId;
use alloy_primitives::{Bytes, U256};
use alloy_rpc_types_eth::TransactionRequest;

use super::{CallOutcome, EthBackend, EthError, blocks};

/// A plain transfer's gas, the least any transaction uses.
const TX_GAS: u64 = 21_000;

/// Gas a call may use at most, whatever the block allows (geth's `--rpc.gascap` default).
pub const RPC_GAS_CAP: u64 = 50_000_000;

/// The gas a call runs with: the request's, or the block's limit, capped by both.
fn call_gas(request: &TransactionRequest, block_gas_limit: u64) -> u64 {
    request
        .gas
        .unwrap_or(block_gas_limit)
        .min(block_gas_limit)
        .min(RPC_GAS_CAP)
}

/// `eth_call(request, block)`: the return data, or the revert / halt as geth reports it.
pub(crate) fn call<B: EthBackend>(
    b: &B,
    request: &TransactionRequest,
    at: BlockId,
) -> Result<Bytes, EthError> {
    let block = blocks::resolve(b, at)?;
    blocks::state_at(b, BlockId::Hash(block.header.hash().into()))?;
    let gas = call_gas(request, block.header.gas_limit);
    match b.call(&block.header.hash(), request, gas)? {
        CallOutcome::Success { output, .. } => Ok(output),
        CallOutcome::Revert { output, .. } => Err(EthError::Reverted(output)),
        CallOutcome::Halt { reason, .. } => Err(EthError::Execution(reason)),
    }
}

/// `eth_estimateGas(request, block)`: the least gas limit with which the call succeeds,
/// found as geth does (a run at the cap, an optimistic guess from the gas used, then a
/// binary search), but searched to the exact minimum rather than geth's 1.5% tolerance.
pub(crate) fn estimate_gas<B: EthBackend>(
    b: &B,
    request: &TransactionRequest,
    at: BlockId,
) -> Result<u64, EthError> {
    let block = blocks::resolve(b, at)?;
    let hash = block.header.hash();
    let state = blocks::state_at(b, BlockId::Hash(hash.into()))?;
    let mut hi = match request.gas {
        Some(g) if g >= TX_GAS => g.min(block.header.gas_limit),
        _ => block.header.gas_limit,
    }
    .min(RPC_GAS_CAP);
    // With a fee, the sender's balance caps the gas it can buy.
    let fee_cap = request
        .gas_price
        .or(request.max_fee_per_gas)
        .unwrap_or_default();
    if fee_cap > 0 {
        let from = request.from.unwrap_or_default();
        let balance = state.balance(&from);
        let value = request.value.unwrap_or_default();
        let available = balance
            .checked_sub(value)
            .ok_or_else(|| EthError::Execution("insufficient funds for transfer".into()))?;
        let allowance = available / U256::from(fee_cap);
        hi = hi.min(u64::try_from(allowance).unwrap_or(u64::MAX));
    }
    // A plain transfer to an account without code needs exactly the base gas.
    let to_code = request.to.and_then(|k| k.to().copied());
    let no_input = request.input.input().is_none_or(|b| b.is_empty());
    if let Some(to) = to_code
        && no_input
        && state.code(&to).is_empty()
        && hi >= TX_GAS
        && matches!(
            b.call(&hash, request, TX_GAS),
            Ok(CallOutcome::Success { .. })
        )
    {
        return Ok(TX_GAS);
    }
    let used = match b.call(&hash, request, hi)? {
        CallOutcome::Success { gas_used, .. } => gas_used,
        CallOutcome::Revert { output, .. } => return Err(EthError::Reverted(output)),
        CallOutcome::Halt { reason, .. } => {
            return Err(if reason == "out of gas" {
                EthError::GasAllowance(hi)
            } else {
                EthError::Execution(reason)
            });
        }
    };
    let succeeds =
        |gas: u64| matches!(b.call(&hash, request, gas), Ok(CallOutcome::Success { .. }));
    let mut lo = used.saturating_sub(1);
    // The 63/64 rule and the SSTORE stipend make the need a bit above the use.
    let optimistic = (used + 2_300) * 64 / 63;
    if optimistic < hi {
        if succeeds(optimistic) {
            hi = optimistic;
        } else {
            lo = optimistic;
        }
    }
    while lo + 1 < hi {
        let mut mid = lo + (hi - lo) / 2;
        if lo > 0 && mid > lo.saturating_mul(2) {
            mid = lo * 2;
        }
        if succeeds(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}
