//! `keel decode deposit-log`.

use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, Log, LogData, U256};
use keel_protocol::deposit::decode_deposit_log;
use op_alloy_consensus::TxDeposit;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    DecodeError,
    json::{hex_bytes, quantity},
};

/// The fields of an `eth_getLogs` entry that a deposit needs. Other fields
/// (`blockNumber`, `transactionHash`, `removed`, …) are accepted and ignored, so a log can
/// be pasted straight from any client's output.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RpcLog {
    /// The emitter; not needed to decode (the node filters by the deposit contract).
    #[serde(default)]
    address: Option<Address>,
    topics: Vec<B256>,
    data: Bytes,
    block_hash: Option<B256>,
    /// A `0x` quantity as JSON-RPC writes it, or a plain number.
    log_index: Option<Value>,
}

/// A `TransactionDeposited` log in `eth_getLogs` form → the deposit transaction.
///
/// The source hash needs the L1 block hash and the log index, so both must be present.
/// Spec: protocol/deposits.md#deposit-contract
pub(crate) fn deposit_log(content: &[u8]) -> Result<Value, DecodeError> {
    let log: RpcLog = serde_json::from_slice(content)
        .map_err(|e| DecodeError::invalid(format!("log JSON: {e}")))?;
    let block_hash = log.block_hash.ok_or_else(|| {
        DecodeError::invalid("log JSON: blockHash is missing (needed for the source hash)")
    })?;
    let log_index = log
        .log_index
        .as_ref()
        .ok_or_else(|| {
            DecodeError::invalid("log JSON: logIndex is missing (needed for the source hash)")
        })
        .and_then(parse_log_index)?;
    let data = LogData::new(log.topics, log.data)
        .ok_or_else(|| DecodeError::invalid("log JSON: more than 4 topics"))?;
    let inner = Log {
        address: log.address.unwrap_or_default(),
        data,
    };
    let tx = decode_deposit_log(&inner, block_hash, log_index)
        .map_err(|e| DecodeError::invalid(format!("deposit log: {e}")))?;
    Ok(render(&tx))
}

fn parse_log_index(v: &Value) -> Result<u64, DecodeError> {
    let bad = || DecodeError::invalid(format!("log JSON: logIndex {v} is not a u64 quantity"));
    match v {
        Value::Number(n) => n.as_u64().ok_or_else(bad),
        Value::String(s) => {
            let digits = s.strip_prefix("0x").ok_or_else(bad)?;
            u64::from_str_radix(digits, 16).map_err(|_| bad())
        }
        _ => Err(bad()),
    }
}

fn render(tx: &TxDeposit) -> Value {
    let encoded = tx.encoded_2718();
    json!({
        "source_hash": tx.source_hash,
        "from": tx.from,
        "to": tx.to.to(),
        "mint": quantity(U256::from(tx.mint)),
        "value": quantity(tx.value),
        "gas": tx.gas_limit,
        "is_system_tx": tx.is_system_transaction,
        "input": hex_bytes(&tx.input),
        "tx": hex_bytes(&encoded),
        "tx_hash": tx.tx_hash(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_index_forms() {
        assert_eq!(parse_log_index(&json!("0x6d")).unwrap(), 109);
        assert_eq!(parse_log_index(&json!(109)).unwrap(), 109);
        assert!(parse_log_index(&json!("109")).is_err());
        assert!(parse_log_index(&json!(-1)).is_err());
    }
}
