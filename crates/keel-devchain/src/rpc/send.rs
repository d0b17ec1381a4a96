//! `eth_sendRawTransaction`: the transaction-pool admission rules, checked against the head
//! state in geth's order with geth's messages (`core/txpool/validation.go`,
//! `legacypool.validateTx`); op-geth adds the L1 data fee to the balance check.

use alloy_consensus::{Transaction, transaction::TxHashRef};
use alloy_eips::BlockId;
use alloy_primitives::{B256, U256};
use revm::context_interface::cfg::gas::calculate_initial_tx_gas;

use super::{EthBackend, EthError, blocks};

/// Largest transaction the pool takes (geth's `txMaxSize`, 4 slots of 32 KiB).
pub const MAX_TX_SIZE: usize = 4 * 32 * 1024;

/// The price bump, in percent, a same-nonce replacement must pay on both the fee cap and
/// the tip (geth's default `--txpool.pricebump`).
pub const PRICE_BUMP_PERCENT: u128 = 10;

/// Validates `raw` and adds it to the pool; answers its hash.
pub(crate) fn send_raw<B: EthBackend>(b: &mut B, raw: &[u8]) -> Result<B256, EthError> {
    if raw.len() > MAX_TX_SIZE {
        return Err(EthError::Oversized {
            size: raw.len(),
            limit: MAX_TX_SIZE,
        });
    }
    let tx = b.decode_raw(raw)?;
    let hash = *tx.inner().tx_hash();
    match tx.inner().chain_id() {
        None => return Err(EthError::Unprotected),
        Some(have) if have != b.chain_id() => {
            return Err(EthError::WrongChainId {
                have,
                want: b.chain_id(),
            });
        }
        Some(_) => {}
    }
    let head = blocks::resolve(b, BlockId::latest())?;
    let gas = tx.inner().gas_limit();
    if gas > head.header.gas_limit {
        return Err(EthError::GasLimit);
    }
    let fee_cap = tx.inner().max_fee_per_gas();
    let tip = tx.inner().max_priority_fee_per_gas().unwrap_or(fee_cap);
    if tip > fee_cap {
        return Err(EthError::TipAboveFeeCap);
    }
    check_intrinsic_gas(b, tx.inner(), head.header.timestamp)?;
    let state = blocks::state_at(b, BlockId::latest())?;
    let sender = tx.signer();
    let next = state.nonce(&sender);
    let nonce = tx.inner().nonce();
    if nonce < next {
        return Err(EthError::NonceTooLow { next, nonce });
    }
    let balance = state.balance(&sender);
    let cost = U256::from(gas)
        .saturating_mul(U256::from(fee_cap))
        .saturating_add(tx.inner().value())
        .saturating_add(b.extra_cost(&tx));
    if balance < cost {
        return Err(EthError::InsufficientFunds {
            balance,
            cost,
            overshot: cost - balance,
        });
    }
    let mut replaces = None;
    for pooled in b.pool() {
        if *pooled.inner().tx_hash() == hash {
            return Err(EthError::AlreadyKnown);
        }
        if pooled.signer() == sender && pooled.inner().nonce() == nonce {
            let old_cap = pooled.inner().max_fee_per_gas();
            let old_tip = pooled.inner().max_priority_fee_per_gas().unwrap_or(old_cap);
            if !bumped(fee_cap, old_cap) || !bumped(tip, old_tip) {
                return Err(EthError::ReplaceUnderpriced);
            }
            replaces = Some(*pooled.inner().tx_hash());
        }
    }
    b.submit(tx, replaces)?;
    Ok(hash)
}

/// `new ≥ old × (100 + bump) / 100`, as geth's legacy pool requires of a replacement.
fn bumped(new: u128, old: u128) -> bool {
    let threshold = old.saturating_mul(100 + PRICE_BUMP_PERCENT).div_ceil(100);
    new >= threshold
}

/// Intrinsic gas and, from Prague, the EIP-7623 calldata floor.
///
/// Spec: EIP-2028 / EIP-2930 / EIP-3860 / EIP-7702 intrinsic gas, EIP-7623 floor.
fn check_intrinsic_gas<B: EthBackend>(b: &B, tx: &B::Tx, timestamp: u64) -> Result<(), EthError> {
    let (accounts, slots) = tx.access_list().map_or((0, 0), |list| {
        list.iter().fold((0u64, 0u64), |(a, s), item| {
            (a + 1, s + item.storage_keys.len() as u64)
        })
    });
    let auths = tx.authorization_list().map_or(0, |l| l.len() as u64);
    let needed = calculate_initial_tx_gas(
        b.spec(timestamp),
        tx.input(),
        tx.kind().is_create(),
        accounts,
        slots,
        auths,
    );
    let gas = tx.gas_limit();
    if gas < needed.initial_total_gas {
        return Err(EthError::IntrinsicGas {
            gas,
            needed: needed.initial_total_gas,
        });
    }
    if gas < needed.floor_gas {
        return Err(EthError::FloorDataGas {
            gas,
            needed: needed.floor_gas,
        });
    }
    Ok(())
}

/// The nonce the sender's next transaction should carry: the account nonce at `state`,
/// plus the pooled transactions that follow it without a gap (geth's pending nonce).
pub(crate) fn pending_nonce<B: EthBackend + ?Sized>(
    b: &B,
    sender: alloy_primitives::Address,
    account_nonce: u64,
) -> u64 {
    let mut nonce = account_nonce;
    while b
        .pool()
        .iter()
        .any(|t| t.signer() == sender && t.inner().nonce() == nonce)
    {
        nonce += 1;
    }
    nonce
}
