//! JSON conventions of `keel decode`: `0x` hex for bytes, numbers for quantities that fit
//! in a u64, `0x` hex for larger ones.

use alloy_primitives::U256;
use serde_json::Value;

/// Bytes as `0x` hex.
pub(crate) fn hex_bytes(bytes: impl AsRef<[u8]>) -> Value {
    Value::String(format!("0x{}", hex::encode(bytes.as_ref())))
}

/// A 256-bit quantity: a JSON number when it fits in a u64, otherwise `0x` hex.
pub(crate) fn quantity(v: U256) -> Value {
    match u64::try_from(v) {
        Ok(n) => Value::from(n),
        Err(_) => Value::String(format!("{v:#x}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_switch_to_hex_past_u64() {
        assert_eq!(quantity(U256::from(7u64)), Value::from(7u64));
        assert_eq!(quantity(U256::from(u64::MAX)), Value::from(u64::MAX));
        assert_eq!(
            quantity(U256::from(u64::MAX) + U256::from(1u64)),
            Value::from("0x10000000000000000")
        );
    }
}
