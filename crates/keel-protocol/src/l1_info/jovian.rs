//! The Jovian L1-attributes calldata: the Isthmus fields plus the DA footprint gas scalar.
//!
//! Spec: protocol/jovian/l1-attributes.md

use alloy_primitives::{Address, B256, Bytes, U256};
use serde::Serialize;

use super::{L1InfoError, L1InfoFormat, Reader, ecotone, isthmus::L1BlockInfoIsthmus};

/// `keccak256("setL1BlockValuesJovian()")[..4]`
pub const SELECTOR: [u8; 4] = [0x3d, 0xb6, 0xbe, 0x2b];

/// Exact calldata length: the Isthmus 176 bytes plus `daFootprintGasScalar` (2).
///
/// Spec: protocol/jovian/l1-attributes.md
pub const LEN: usize = super::isthmus::LEN + 2;

pub use crate::system_config::DEFAULT_DA_FOOTPRINT_GAS_SCALAR;

/// The fields of a Jovian L1-attributes call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct L1BlockInfoJovian {
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
    /// `daFootprintGasScalar`.
    pub da_footprint_gas_scalar: u16,
}

impl L1BlockInfoJovian {
    /// Decodes exactly [`LEN`] bytes starting with [`SELECTOR`].
    pub fn decode(calldata: &[u8]) -> Result<Self, L1InfoError> {
        ecotone::check(calldata, L1InfoFormat::Jovian)?;
        let mut r = Reader::new(calldata, L1InfoFormat::Jovian);
        let head = ecotone::read_head(&mut r)?;
        let operator_fee_scalar = r.u32()?;
        let operator_fee_constant = r.u64()?;
        let da_footprint_gas_scalar = r.take::<2>().map(u16::from_be_bytes)?;
        Ok(Self::from_parts(
            L1BlockInfoIsthmus::from_parts(head, operator_fee_scalar, operator_fee_constant),
            da_footprint_gas_scalar,
        ))
    }

    /// Encodes the calldata.
    pub fn encode(&self) -> Bytes {
        let mut out = Vec::with_capacity(LEN);
        let isthmus = self.isthmus();
        ecotone::write_head(&isthmus.head(), SELECTOR, &mut out);
        out.extend_from_slice(&self.operator_fee_scalar.to_be_bytes());
        out.extend_from_slice(&self.operator_fee_constant.to_be_bytes());
        out.extend_from_slice(&self.da_footprint_gas_scalar.to_be_bytes());
        out.into()
    }

    /// The fields shared with the Isthmus format.
    pub const fn isthmus(&self) -> L1BlockInfoIsthmus {
        L1BlockInfoIsthmus {
            number: self.number,
            timestamp: self.timestamp,
            base_fee: self.base_fee,
            block_hash: self.block_hash,
            sequence_number: self.sequence_number,
            batcher_address: self.batcher_address,
            blob_base_fee: self.blob_base_fee,
            base_fee_scalar: self.base_fee_scalar,
            blob_base_fee_scalar: self.blob_base_fee_scalar,
            operator_fee_scalar: self.operator_fee_scalar,
            operator_fee_constant: self.operator_fee_constant,
        }
    }

    /// Builds the Jovian fields from the Isthmus ones plus the DA footprint gas scalar.
    pub const fn from_parts(i: L1BlockInfoIsthmus, da_footprint_gas_scalar: u16) -> Self {
        Self {
            number: i.number,
            timestamp: i.timestamp,
            base_fee: i.base_fee,
            block_hash: i.block_hash,
            sequence_number: i.sequence_number,
            batcher_address: i.batcher_address,
            blob_base_fee: i.blob_base_fee,
            base_fee_scalar: i.base_fee_scalar,
            blob_base_fee_scalar: i.blob_base_fee_scalar,
            operator_fee_scalar: i.operator_fee_scalar,
            operator_fee_constant: i.operator_fee_constant,
            da_footprint_gas_scalar,
        }
    }
}
