//! The Bedrock L1-attributes calldata: `setL1BlockValues(uint64 _number,
//! uint64 _timestamp, uint256 _basefee, bytes32 _hash, uint64 _sequenceNumber,
//! bytes32 _batcherHash, uint256 _l1FeeOverhead, uint256 _l1FeeScalar)`, ABI-encoded.
//!
//! Spec: protocol/deposits.md#l1-attributes-deposited-transaction

use alloy_primitives::{Address, B256, Bytes, U256};
use serde::Serialize;

use super::{L1InfoError, L1InfoFormat, Reader};

/// `keccak256("setL1BlockValues(uint64,uint64,uint256,bytes32,uint64,bytes32,uint256,uint256)")[..4]`
pub const SELECTOR: [u8; 4] = [0x01, 0x5d, 0x8e, 0xb9];

/// Exact calldata length: selector plus eight ABI words.
///
/// Spec: protocol/deposits.md#l1-attributes-deposited-transaction
pub const LEN: usize = 4 + 32 * 8;

/// The fields of a Bedrock L1-attributes call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct L1BlockInfoBedrock {
    /// `_number`: L1 origin block number.
    pub number: u64,
    /// `_timestamp`: L1 origin timestamp.
    pub timestamp: u64,
    /// `_basefee`: L1 origin base fee.
    #[serde(serialize_with = "super::quantity::serialize")]
    pub base_fee: U256,
    /// `_hash`: L1 origin block hash.
    pub block_hash: B256,
    /// `_sequenceNumber`: L2 blocks since the epoch's first.
    pub sequence_number: u64,
    /// `_batcherHash`, version 0: the batcher address, left-padded.
    pub batcher_address: Address,
    /// `_l1FeeOverhead`.
    #[serde(serialize_with = "super::quantity::serialize")]
    pub l1_fee_overhead: U256,
    /// `_l1FeeScalar`.
    #[serde(serialize_with = "super::quantity::serialize")]
    pub l1_fee_scalar: U256,
}

impl L1BlockInfoBedrock {
    /// Decodes exactly [`LEN`] bytes starting with [`SELECTOR`]. Like op-node, the padding
    /// of the `uint64` words and of the batcher hash must be zero.
    pub fn decode(calldata: &[u8]) -> Result<Self, L1InfoError> {
        check_len(calldata)?;
        let mut r = Reader::new(calldata, L1InfoFormat::Bedrock);
        let _selector = r.take::<4>()?;
        let number = uint64_word(&mut r, "number")?;
        let timestamp = uint64_word(&mut r, "timestamp")?;
        let base_fee = r.u256()?;
        let block_hash = r.b256()?;
        let sequence_number = uint64_word(&mut r, "sequence_number")?;
        let batcher_address = r.address_word("batcher_address")?;
        let l1_fee_overhead = r.u256()?;
        let l1_fee_scalar = r.u256()?;
        Ok(Self {
            number,
            timestamp,
            base_fee,
            block_hash,
            sequence_number,
            batcher_address,
            l1_fee_overhead,
            l1_fee_scalar,
        })
    }

    /// Encodes the calldata.
    pub fn encode(&self) -> Bytes {
        let mut out = Vec::with_capacity(LEN);
        out.extend_from_slice(&SELECTOR);
        for word in [
            U256::from(self.number).into(),
            U256::from(self.timestamp).into(),
            self.base_fee.into(),
            self.block_hash,
            U256::from(self.sequence_number).into(),
            self.batcher_address.into_word(),
            self.l1_fee_overhead.into(),
            self.l1_fee_scalar.into(),
        ] {
            let word: B256 = word;
            out.extend_from_slice(word.as_slice());
        }
        out.into()
    }
}

fn check_len(calldata: &[u8]) -> Result<(), L1InfoError> {
    if calldata.len() != LEN {
        return Err(L1InfoError::Length {
            format: L1InfoFormat::Bedrock,
            expected: LEN,
            actual: calldata.len(),
        });
    }
    if calldata.first_chunk::<4>() != Some(&SELECTOR) {
        let found = calldata.first_chunk::<4>().copied().unwrap_or_default();
        return Err(L1InfoError::UnknownSelector(found));
    }
    Ok(())
}

/// An ABI `uint64` word: 24 zero bytes then the big-endian value.
fn uint64_word(r: &mut Reader<'_>, field: &'static str) -> Result<u64, L1InfoError> {
    let offset = r.offset();
    let word = r.take::<32>()?;
    let (pad, value) = word.split_at(24);
    if pad.iter().any(|b| *b != 0) {
        return Err(L1InfoError::NonZeroPadding { field, offset });
    }
    let mut be = [0u8; 8];
    be.copy_from_slice(value);
    Ok(u64::from_be_bytes(be))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dirty_uint64_padding_is_rejected() {
        let mut raw = L1BlockInfoBedrock::default().encode().to_vec();
        raw[4] = 1;
        assert_eq!(
            L1BlockInfoBedrock::decode(&raw),
            Err(L1InfoError::NonZeroPadding {
                field: "number",
                offset: 4
            })
        );
        let mut raw = L1BlockInfoBedrock::default().encode().to_vec();
        raw[4 + 32 * 5] = 1;
        assert_eq!(
            L1BlockInfoBedrock::decode(&raw),
            Err(L1InfoError::NonZeroPadding {
                field: "batcher_address",
                offset: 164
            })
        );
    }
}
