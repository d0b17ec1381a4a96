//! `keel decode blob`.

use keel_protocol::blob::{BLOB_SIZE, decode_blob};
use serde_json::{Value, json};

use super::{DecodeError, json::hex_bytes};

/// One blob → the data it carries in the OP blob encoding.
///
/// Spec: protocol/derivation.md#blob-encoding
pub(crate) fn blob(bytes: &[u8]) -> Result<Value, DecodeError> {
    if bytes.len() != BLOB_SIZE {
        return Err(DecodeError::Invalid(format!(
            "a blob is {BLOB_SIZE} bytes, input has {}",
            bytes.len()
        )));
    }
    let data = decode_blob(bytes).map_err(|e| DecodeError::invalid(format!("blob: {e}")))?;
    Ok(json!({ "data": hex_bytes(&data), "len": data.len() }))
}
