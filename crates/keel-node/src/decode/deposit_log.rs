//! `keel decode deposit-log`.

use alloy_eips::eip2718::Encodable2718;
use alloy_rpc_types_eth::Log;
use keel_protocol::deposit::decode_deposit_log;
use op_alloy_consensus::TxDeposit;
use serde_json::{Value, json};

use super::{DecodeError, json::hex_bytes};

/// A `TransactionDeposited` log in `eth_getLogs` form → the deposit transaction.
///
/// The source hash needs the L1 block hash and the log index, so both must be present.
/// Spec: protocol/deposits.md#deposit-contract
pub(crate) fn deposit_log(content: &[u8]) -> Result<Value, DecodeError> {
    let log: Log = serde_json::from_slice(content)
        .map_err(|e| DecodeError::invalid(format!("log JSON: {e}")))?;
    let block_hash = log.block_hash.ok_or_else(|| {
        DecodeError::invalid("log JSON: blockHash is missing (needed for the source hash)")
    })?;
    let log_index = log.log_index.ok_or_else(|| {
        DecodeError::invalid("log JSON: logIndex is missing (needed for the source hash)")
    })?;
    let tx = decode_deposit_log(&log.inner, block_hash, log_index)
        .map_err(|e| DecodeError::invalid(format!("deposit log: {e}")))?;
    Ok(render(&tx))
}

fn render(tx: &TxDeposit) -> Value {
    let encoded = tx.encoded_2718();
    json!({
        "source_hash": tx.source_hash,
        "from": tx.from,
        "to": tx.to.to(),
        "mint": super::json::quantity(alloy_primitives::U256::from(tx.mint)),
        "value": super::json::quantity(tx.value),
        "gas": tx.gas_limit,
        "is_system_tx": tx.is_system_transaction,
        "input": hex_bytes(&tx.input),
        "tx": hex_bytes(&encoded),
        "tx_hash": tx.tx_hash(),
    })
}
