//! Finding the user deposits in an L1 block's receipts.
//!
//! Spec: protocol/deposits.md#user-deposited-transactions,
//! protocol/derivation.md#deriving-payload-attributes.

use alloy_consensus::TxReceipt;
use alloy_primitives::{Address, B256, Log};
use op_alloy_consensus::TxDeposit;

use super::{DEPOSIT_EVENT_TOPIC, DepositLogError, decode_deposit_log};

/// A deposit log from the deposit contract that did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed deposit log in receipt {receipt_index}, log {log_index}: {error}")]
pub struct MalformedDepositLog {
    /// Index of the receipt (transaction) in the L1 block.
    pub receipt_index: usize,
    /// Index of the log within its receipt (op-node's error message numbering).
    pub log_index: usize,
    /// Index of the log within the whole L1 block (JSON-RPC `logIndex`).
    pub block_log_index: u64,
    /// What was wrong with it.
    pub error: DepositLogError,
}

/// Everything a receipts scan found: the good deposits in L1 order and every malformed
/// deposit log.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DepositScan {
    /// Deposits that decoded, in block order.
    pub deposits: Vec<TxDeposit>,
    /// Logs that matched the deposit contract and event but did not decode.
    pub errors: Vec<MalformedDepositLog>,
}

/// Derivation's view of a block with malformed deposit logs: op-node stops deriving the
/// block (a critical error), so no deposit of the block is used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} malformed deposit log(s); first: {}", .0.len(), .0.first().map(ToString::to_string).unwrap_or_default())]
#[non_exhaustive]
pub struct UserDepositsError(pub Vec<MalformedDepositLog>);

/// Scans an L1 block's receipts for deposits, keeping every good deposit and every error.
///
/// A log counts as a deposit log when its emitter is `deposit_contract` and its topic 0 is
/// the `TransactionDeposited` id; receipts of failed transactions are skipped, as op-node's
/// `UserDeposits` does. The source hash uses the log's index within the block, counted over
/// all receipts in order, so `receipts` must be the block's complete receipt list.
///
/// This is the tooling view (`keel decode`, diagnostics). Derivation must use
/// [`user_deposits`], which fails the whole block like op-node.
pub fn scan_user_deposits<R>(
    receipts: &[R],
    deposit_contract: Address,
    l1_block_hash: B256,
) -> DepositScan
where
    R: TxReceipt<Log = Log>,
{
    let mut scan = DepositScan::default();
    let mut block_log_index: u64 = 0;
    for (receipt_index, receipt) in receipts.iter().enumerate() {
        let logs = receipt.logs();
        let first = block_log_index;
        block_log_index = block_log_index.saturating_add(logs.len() as u64);
        if !receipt.status() {
            continue;
        }
        for (log_index, (log, index)) in logs.iter().zip(first..).enumerate() {
            if log.address != deposit_contract || log.topics().first() != Some(&DEPOSIT_EVENT_TOPIC)
            {
                continue;
            }
            match decode_deposit_log(log, l1_block_hash, index) {
                Ok(tx) => scan.deposits.push(tx),
                Err(error) => scan.errors.push(MalformedDepositLog {
                    receipt_index,
                    log_index,
                    block_log_index: index,
                    error,
                }),
            }
        }
    }
    scan
}

/// The user deposits of an L1 block, as derivation needs them: all of them, or an error
/// listing every malformed deposit log.
///
/// op-node's `DeriveDeposits` returns the good ones together with the error, and its
/// attributes builder then aborts the block with a critical error; so one malformed log
/// means no deposits from this block are derived. This function returns only the error in
/// that case; use [`scan_user_deposits`] to see the good deposits as well.
///
/// Spec: protocol/deposits.md#user-deposited-transactions
pub fn user_deposits<R>(
    receipts: &[R],
    deposit_contract: Address,
    l1_block_hash: B256,
) -> Result<Vec<TxDeposit>, UserDepositsError>
where
    R: TxReceipt<Log = Log>,
{
    let scan = scan_user_deposits(receipts, deposit_contract, l1_block_hash);
    if scan.errors.is_empty() {
        Ok(scan.deposits)
    } else {
        Err(UserDepositsError(scan.errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deposit::encode_deposit_log;
    use alloy_consensus::{Eip658Value, Receipt};
    use alloy_primitives::{Bytes, TxKind, U256, address};
    use op_alloy_consensus::UserDepositSource;

    const PORTAL: Address = address!("0xbEb5Fc579115071764c7423A4f12eDde41f106Ed");

    fn deposit(n: u8) -> TxDeposit {
        TxDeposit {
            from: Address::repeat_byte(n),
            to: TxKind::Call(Address::repeat_byte(n + 1)),
            value: U256::from(n),
            gas_limit: 100_000,
            input: Bytes::from(vec![n; n as usize]),
            ..Default::default()
        }
    }

    fn receipt(ok: bool, logs: Vec<Log>) -> Receipt<Log> {
        Receipt {
            status: Eip658Value::Eip658(ok),
            cumulative_gas_used: 0,
            logs,
        }
    }

    #[test]
    fn filters_by_status_address_topic_and_counts_block_log_index() {
        let good = encode_deposit_log(PORTAL, &deposit(1));
        let other_emitter = encode_deposit_log(Address::ZERO, &deposit(2));
        let mut broken = encode_deposit_log(PORTAL, &deposit(3));
        broken.data =
            alloy_primitives::LogData::new_unchecked(broken.data.topics().to_vec(), Bytes::new());
        let unrelated = Log::new_unchecked(PORTAL, vec![B256::ZERO], Bytes::new());
        let receipts = vec![
            receipt(true, vec![unrelated.clone(), other_emitter]),
            receipt(false, vec![good.clone()]),
            receipt(true, vec![broken, unrelated, good]),
        ];
        let hash = B256::repeat_byte(9);
        let scan = scan_user_deposits(&receipts, PORTAL, hash);
        assert_eq!(scan.deposits.len(), 1);
        assert_eq!(
            scan.deposits[0].source_hash,
            UserDepositSource::new(hash, 5).source_hash()
        );
        assert_eq!(scan.errors.len(), 1);
        assert_eq!(scan.errors[0].receipt_index, 2);
        assert_eq!(scan.errors[0].log_index, 0);
        assert_eq!(scan.errors[0].block_log_index, 3);
        assert_eq!(scan.errors[0].error, DepositLogError::DataTooShort(0));
        let err = user_deposits(&receipts, PORTAL, hash).unwrap_err();
        assert_eq!(err.0, scan.errors);
    }

    #[test]
    fn accepts_receipt_envelopes() {
        use alloy_consensus::ReceiptEnvelope;
        let log = encode_deposit_log(PORTAL, &deposit(4));
        let env = ReceiptEnvelope::Eip1559(receipt(true, vec![log]).into_with_bloom());
        let deposits = user_deposits(&[env], PORTAL, B256::ZERO).unwrap();
        assert_eq!(deposits.len(), 1);
        assert_eq!(deposits[0].value, U256::from(4));
    }
}
