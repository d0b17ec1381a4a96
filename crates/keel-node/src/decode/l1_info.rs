//! `keel decode l1-info`.

use keel_protocol::l1_info::L1BlockInfo;
use serde_json::Value;

use super::DecodeError;

/// L1-attributes deposit calldata → its fields, by their spec names in snake_case.
///
/// Spec: protocol/deposits.md#l1-attributes-deposited-transaction and the Ecotone,
/// Isthmus and Jovian `l1-attributes.md`.
pub(crate) fn l1_info(bytes: &[u8]) -> Result<Value, DecodeError> {
    let info = L1BlockInfo::decode(bytes)
        .map_err(|e| DecodeError::invalid(format!("l1-info calldata: {e}")))?;
    serde_json::to_value(info).map_err(|e| DecodeError::invalid(format!("l1-info: {e}")))
}
