//! The Ecotone L1-attributes calldata: `setL1BlockValuesEcotone()` followed by the packed
//! arguments. Its first 164 bytes are also the head of the Isthmus and Jovian formats.
//!
//! Spec: protocol/ecotone/l1-attributes.md

use alloy_primitives::{Address, B256, Bytes, U256};
use serde::Serialize;

use super::{L1InfoError, L1InfoFormat, Reader};

/// `keccak256("setL1BlockValuesEcotone()")[..4]`
pub const SELECTOR: [u8; 4] = [0x44, 0x0a, 0x5e, 0x20];

/// Exact calldata length: selector plus five 32-byte segments.
///
/// Spec: protocol/ecotone/l1-attributes.md ("MUST be exactly 164 bytes")
pub const LEN: usize = 4 + 32 * 5;

/// The fields of an Ecotone L1-attributes call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct L1BlockInfoEcotone {
    /// `l1BlockNumber`.
    pub number: u64,
    /// `l1BlockTimestamp`.
    pub timestamp: u64,
    /// `basefee`: L1 origin base fee.
    #[serde(serialize_with = "super::quantity::serialize")]
    pub base_fee: U256,
    /// `l1BlockHash`.
    pub block_hash: B256,
    /// `sequenceNumber`.
    pub sequence_number: u64,
    /// `batcherHash`, version 0: the batcher address, left-padded.
    pub batcher_address: Address,
    /// `blobBaseFee`: L1 origin blob base fee (1 before L1 had blobs).
    #[serde(serialize_with = "super::quantity::serialize")]
    pub blob_base_fee: U256,
    /// `baseFeeScalar`.
    pub base_fee_scalar: u32,
    /// `blobBaseFeeScalar`.
    pub blob_base_fee_scalar: u32,
}

impl L1BlockInfoEcotone {
    /// Decodes exactly [`LEN`] bytes starting with [`SELECTOR`]. As in op-node, the batcher
    /// hash's 12 padding bytes must be zero.
    pub fn decode(calldata: &[u8]) -> Result<Self, L1InfoError> {
        check(calldata, L1InfoFormat::Ecotone)?;
        let mut r = Reader::new(calldata, L1InfoFormat::Ecotone);
        read_head(&mut r)
    }

    /// Encodes the calldata.
    pub fn encode(&self) -> Bytes {
        let mut out = Vec::with_capacity(LEN);
        write_head(self, SELECTOR, &mut out);
        out.into()
    }
}

/// Checks selector and exact length of a packed format.
pub(crate) fn check(calldata: &[u8], format: L1InfoFormat) -> Result<(), L1InfoError> {
    if calldata.len() != format.calldata_len() {
        return Err(L1InfoError::Length {
            format,
            expected: format.calldata_len(),
            actual: calldata.len(),
        });
    }
    let selector = calldata.first_chunk::<4>().copied().unwrap_or_default();
    if selector != format.selector() {
        return Err(L1InfoError::UnknownSelector(selector));
    }
    Ok(())
}

/// Reads the selector and the five segments shared by Ecotone, Isthmus and Jovian.
pub(crate) fn read_head(r: &mut Reader<'_>) -> Result<L1BlockInfoEcotone, L1InfoError> {
    let _selector = r.take::<4>()?;
    let base_fee_scalar = r.u32()?;
    let blob_base_fee_scalar = r.u32()?;
    let sequence_number = r.u64()?;
    let timestamp = r.u64()?;
    let number = r.u64()?;
    let base_fee = r.u256()?;
    let blob_base_fee = r.u256()?;
    let block_hash = r.b256()?;
    let batcher_address = r.address_word("batcher_address")?;
    Ok(L1BlockInfoEcotone {
        number,
        timestamp,
        base_fee,
        block_hash,
        sequence_number,
        batcher_address,
        blob_base_fee,
        base_fee_scalar,
        blob_base_fee_scalar,
    })
}

/// Writes `selector` and the five shared segments.
pub(crate) fn write_head(i: &L1BlockInfoEcotone, selector: [u8; 4], out: &mut Vec<u8>) {
    out.extend_from_slice(&selector);
    out.extend_from_slice(&i.base_fee_scalar.to_be_bytes());
    out.extend_from_slice(&i.blob_base_fee_scalar.to_be_bytes());
    out.extend_from_slice(&i.sequence_number.to_be_bytes());
    out.extend_from_slice(&i.timestamp.to_be_bytes());
    out.extend_from_slice(&i.number.to_be_bytes());
    out.extend_from_slice(&i.base_fee.to_be_bytes::<32>());
    out.extend_from_slice(&i.blob_base_fee.to_be_bytes::<32>());
    out.extend_from_slice(i.block_hash.as_slice());
    out.extend_from_slice(i.batcher_address.into_word().as_slice());
}
