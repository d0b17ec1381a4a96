//! The version-0 `opaqueData` of a `TransactionDeposited` log.
//!
//! Spec: protocol/deposits.md#deposit-contract — `abi.encodePacked(uint256 mint,
//! uint256 value, uint64 gasLimit, bool isCreation, bytes data)`.

use alloy_primitives::{Bytes, U256};

/// Length of the fixed part of version-0 opaque data: mint (32), value (32), gas (8) and
/// isCreation (1). Everything after it is the call data.
///
/// Spec: protocol/deposits.md#deposit-contract
pub const OPAQUE_DATA_V0_MIN_LEN: usize = 32 + 32 + 8 + 1;

/// Why version-0 opaque data does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpaqueDataError {
    /// Shorter than the 73-byte fixed part.
    #[error("opaque data is {0} bytes, shorter than the {OPAQUE_DATA_V0_MIN_LEN}-byte fixed part")]
    TooShort(usize),
    /// The deposit's mint does not fit `TxDeposit::mint` (u128). op-node would accept it as a
    /// big integer, but no real L1 can escrow more than 2^128 wei, so such a log cannot come
    /// from a working `OptimismPortal`.
    #[error("mint {0} does not fit in 128 bits")]
    MintTooLarge(U256),
}

/// The fields of version-0 opaque data, as the deposit contract packs them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpaqueDataV0 {
    /// ETH minted on L2, in wei.
    pub mint: U256,
    /// ETH sent to the recipient, in wei.
    pub value: U256,
    /// L2 gas limit.
    pub gas: u64,
    /// Whether the deposit creates a contract. op-node treats any non-zero byte as true.
    pub is_creation: bool,
    /// Call data or init code: the rest of the opaque data, without a length prefix.
    pub data: Bytes,
}

impl OpaqueDataV0 {
    /// Decodes version-0 opaque data. The call data is everything after the fixed part, so
    /// the only bound is the input's own length.
    ///
    /// Spec: protocol/deposits.md#deposit-contract
    pub fn decode(opaque: &[u8]) -> Result<Self, OpaqueDataError> {
        let too_short = || OpaqueDataError::TooShort(opaque.len());
        let (mint, rest) = opaque.split_at_checked(32).ok_or_else(too_short)?;
        let (value, rest) = rest.split_at_checked(32).ok_or_else(too_short)?;
        let (gas, rest) = rest.split_first_chunk::<8>().ok_or_else(too_short)?;
        let (is_creation, data) = rest.split_first().ok_or_else(too_short)?;
        Ok(Self {
            mint: U256::from_be_slice(mint),
            value: U256::from_be_slice(value),
            gas: u64::from_be_bytes(*gas),
            is_creation: *is_creation != 0,
            data: Bytes::copy_from_slice(data),
        })
    }

    /// Packs the fields as the deposit contract does (the inverse of [`Self::decode`]).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(OPAQUE_DATA_V0_MIN_LEN + self.data.len());
        out.extend_from_slice(&self.mint.to_be_bytes::<32>());
        out.extend_from_slice(&self.value.to_be_bytes::<32>());
        out.extend_from_slice(&self.gas.to_be_bytes());
        out.push(u8::from(self.is_creation));
        out.extend_from_slice(&self.data);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_lengths() {
        assert_eq!(
            OpaqueDataV0::decode(&[0; 72]),
            Err(OpaqueDataError::TooShort(72))
        );
        let d = OpaqueDataV0::decode(&[0; 73]).unwrap();
        assert_eq!(d, OpaqueDataV0::default());
    }

    #[test]
    fn any_nonzero_creation_byte_means_create() {
        let mut raw = [0u8; 73];
        raw[72] = 2;
        assert!(OpaqueDataV0::decode(&raw).unwrap().is_creation);
    }
}
