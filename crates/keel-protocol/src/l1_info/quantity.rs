//! JSON form of 256-bit quantities for `keel decode`: a number when it fits in a u64 (so
//! `jq` and humans read it directly), a `0x` hex string otherwise.

use alloy_primitives::U256;
use serde::Serializer;

pub(crate) fn serialize<S: Serializer>(value: &U256, s: S) -> Result<S::Ok, S::Error> {
    match u64::try_from(*value) {
        Ok(small) => s.serialize_u64(small),
        Err(_) => s.serialize_str(&format!("{value:#x}")),
    }
}
