//! The Isthmus L1-attributes calldata: the Ecotone segments plus the operator fee
//! parameters.
//!
//! Spec: protocol/isthmus/l1-attributes.md

use alloy_primitives::{Address, B256, Bytes, U256};
use serde::Serialize;

use super::{L1InfoError, L1InfoFormat, Reader, ecotone};

/// `keccak256("setL1BlockValuesIsthmus()")[..4]`
pub const SELECTOR: [u8; 4] = [0x09, 0x89, 0x99, 0xbe];

/// Exact calldata length: the Ecotone 164 bytes plus `operatorFeeScalar` (4) and
/// `operatorFeeConstant` (8).
///
/// Spec: protocol/isthmus/l1-attributes.md
pub const LEN: usize = ecotone::LEN + 4 + 8;

/// The fields of an Isthmus L1-attributes call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct L1BlockInfoIsthmus {
    /// `l1BlockNumber`.
    pub number: u64,
    /// `l1BlockTimestamp`.
    pub timestamp: u64,
    /// `basefee`.
    #[serde(serialize_with = "super::quantity::serialize")]
    pub base_fee: U256,
    /// `l1BlockHash`.
    pub block_hash: B256,
    /// `sequenceNumber`.
    pub sequence_number: u64,
    /// `batcherHash`, version 0.
    pub batcher_address: Address,
    /// `blobBaseFee`.
    #[serde(serialize_with = "super::quantity::serialize")]
    pub blob_base_fee: U256,
    /// `baseFeeScalar`.
    pub base_fee_scalar: u32,
    /// `blobBaseFeeScalar`.
    pub blob_base_fee_scalar: u32,
    /// `operatorFeeScalar`.
    pub operator_fee_scalar: u32,
    /// `operatorFeeConstant`.
    pub operator_fee_constant: u64,
}

impl L1BlockInfoIsthmus {
    /// Decodes exactly [`LEN`] bytes starting with [`SELECTOR`].
    pub fn decode(calldata: &[u8]) -> Result<Self, L1InfoError> {
        ecotone::check(calldata, L1InfoFormat::Isthmus)?;
        let mut r = Reader::new(calldata, L1InfoFormat::Isthmus);
        let head = ecotone::read_head(&mut r)?;
        let operator_fee_scalar = r.u32()?;
        let operator_fee_constant = r.u64()?;
        Ok(Self::from_parts(
            head,
            operator_fee_scalar,
            operator_fee_constant,
        ))
    }

    /// Encodes the calldata.
    pub fn encode(&self) -> Bytes {
        let mut out = Vec::with_capacity(LEN);
        ecotone::write_head(&self.head(), SELECTOR, &mut out);
        out.extend_from_slice(&self.operator_fee_scalar.to_be_bytes());
        out.extend_from_slice(&self.operator_fee_constant.to_be_bytes());
        out.into()
    }

    /// The fields shared with the Ecotone format.
    pub const fn head(&self) -> ecotone::L1BlockInfoEcotone {
        ecotone::L1BlockInfoEcotone {
            number: self.number,
            timestamp: self.timestamp,
            base_fee: self.base_fee,
            block_hash: self.block_hash,
            sequence_number: self.sequence_number,
            batcher_address: self.batcher_address,
            blob_base_fee: self.blob_base_fee,
            base_fee_scalar: self.base_fee_scalar,
            blob_base_fee_scalar: self.blob_base_fee_scalar,
        }
    }

    /// Builds the Isthmus fields from the Ecotone ones plus the operator fee.
    pub const fn from_parts(
        head: ecotone::L1BlockInfoEcotone,
        operator_fee_scalar: u32,
        operator_fee_constant: u64,
    ) -> Self {
        Self {
            number: head.number,
            timestamp: head.timestamp,
            base_fee: head.base_fee,
            block_hash: head.block_hash,
            sequence_number: head.sequence_number,
            batcher_address: head.batcher_address,
            blob_base_fee: head.blob_base_fee,
            base_fee_scalar: head.base_fee_scalar,
            blob_base_fee_scalar: head.blob_base_fee_scalar,
            operator_fee_scalar,
            operator_fee_constant,
        }
    }
}
