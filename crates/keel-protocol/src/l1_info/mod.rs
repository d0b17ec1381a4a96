//! The L1-attributes deposit: the first transaction of every L2 block, which tells the
//! `L1Block` predeploy about the block's L1 origin.
//!
//! Spec: protocol/deposits.md#l1-attributes-deposited-transaction,
//! protocol/ecotone/l1-attributes.md, protocol/isthmus/l1-attributes.md,
//! protocol/jovian/l1-attributes.md.
//!
//! Four calldata formats exist, one per `L1Block` setter. [`L1BlockInfo`] holds any of them
//! with every field under its spec name; [`L1BlockInfo::decode`] picks the format from the
//! selector, [`L1BlockInfo::decode_for_block`] also checks it is the one the rollup config
//! demands at that L2 timestamp, and [`build`] makes the deposit for a new block.
//!
//! - [`bedrock`]: `setL1BlockValues`, ABI-encoded (260 bytes).
//! - [`ecotone`]: the packed `setL1BlockValuesEcotone` (164 bytes), whose head the later
//!   formats share.
//! - [`isthmus`]: `setL1BlockValuesIsthmus` (176 bytes, operator fee).
//! - [`jovian`]: `setL1BlockValuesJovian` (178 bytes, DA footprint gas scalar).
//! - [`build`]: which format a block uses, and the deposit transaction itself.

pub mod bedrock;
pub mod build;
pub mod ecotone;
pub mod isthmus;
pub mod jovian;
mod quantity;

pub use bedrock::L1BlockInfoBedrock;
pub use build::{
    L1_BLOCK_PREDEPLOY, L1_INFO_DEPOSITOR, L1BlobFee, L1Origin, l1_block_info, l1_info_deposit,
    l1_info_deposit_from_info, l1_info_format,
};
pub use ecotone::L1BlockInfoEcotone;
pub use isthmus::L1BlockInfoIsthmus;
pub use jovian::L1BlockInfoJovian;

use alloy_primitives::{Address, B256, Bytes, U256};
use serde::Serialize;

use crate::rollup_config::RollupConfig;

/// A calldata format of the L1-attributes deposit, named after the fork that introduced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum L1InfoFormat {
    /// `setL1BlockValues(...)`, ABI-encoded.
    Bedrock,
    /// `setL1BlockValuesEcotone()`, packed.
    Ecotone,
    /// `setL1BlockValuesIsthmus()`, packed.
    Isthmus,
    /// `setL1BlockValuesJovian()`, packed.
    Jovian,
}

impl L1InfoFormat {
    /// The four-byte function selector that opens the calldata.
    pub const fn selector(self) -> [u8; 4] {
        match self {
            Self::Bedrock => bedrock::SELECTOR,
            Self::Ecotone => ecotone::SELECTOR,
            Self::Isthmus => isthmus::SELECTOR,
            Self::Jovian => jovian::SELECTOR,
        }
    }

    /// The exact calldata length, selector included.
    pub const fn calldata_len(self) -> usize {
        match self {
            Self::Bedrock => bedrock::LEN,
            Self::Ecotone => ecotone::LEN,
            Self::Isthmus => isthmus::LEN,
            Self::Jovian => jovian::LEN,
        }
    }

    /// The format whose selector is `selector`, if any.
    pub fn from_selector(selector: [u8; 4]) -> Option<Self> {
        [Self::Bedrock, Self::Ecotone, Self::Isthmus, Self::Jovian]
            .into_iter()
            .find(|f| f.selector() == selector)
    }
}

impl core::fmt::Display for L1InfoFormat {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Bedrock => "bedrock",
            Self::Ecotone => "ecotone",
            Self::Isthmus => "isthmus",
            Self::Jovian => "jovian",
        })
    }
}

/// Why L1-attributes calldata does not decode, or the deposit cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum L1InfoError {
    /// Fewer than four bytes: there is no selector.
    #[error("calldata is {0} bytes, too short for a selector")]
    MissingSelector(usize),
    /// The selector is not one of the four `L1Block` setters.
    #[error("unknown L1-attributes selector 0x{}", alloy_primitives::hex::encode(.0))]
    UnknownSelector([u8; 4]),
    /// The calldata length is not the format's exact length.
    #[error("{format} L1-attributes calldata must be {expected} bytes, got {actual}")]
    Length {
        /// The format named by the selector.
        format: L1InfoFormat,
        /// Its exact length.
        expected: usize,
        /// The length found.
        actual: usize,
    },
    /// A zero-padded ABI word or the batcher hash's padding has non-zero bytes.
    #[error("non-zero padding in `{field}` at calldata offset {offset}")]
    NonZeroPadding {
        /// The field whose padding is dirty.
        field: &'static str,
        /// Offset of the field's word in the calldata.
        offset: usize,
    },
    /// The calldata is valid but not in the format the rollup config demands for the block.
    #[error("L1-attributes calldata is in {found} format, but the block requires {expected}")]
    UnexpectedFormat {
        /// Format the fork schedule demands.
        expected: L1InfoFormat,
        /// Format found.
        found: L1InfoFormat,
    },
    /// The system config's `scalar` has an unknown version byte or dirty version-1 padding,
    /// so the Ecotone scalars cannot be derived (op-node fails the same way).
    #[error("system config scalar {0} cannot be read as Ecotone fee scalars")]
    InvalidScalar(B256),
}

/// The decoded L1-attributes calldata of any format.
///
/// Serialized (for `keel decode`) with a `fork` tag and snake_case fields, quantities as JSON
/// numbers when they fit in a u64 and as `0x` hex strings otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "fork", rename_all = "snake_case")]
pub enum L1BlockInfo {
    /// `setL1BlockValues`.
    Bedrock(L1BlockInfoBedrock),
    /// `setL1BlockValuesEcotone`.
    Ecotone(L1BlockInfoEcotone),
    /// `setL1BlockValuesIsthmus`.
    Isthmus(L1BlockInfoIsthmus),
    /// `setL1BlockValuesJovian`.
    Jovian(L1BlockInfoJovian),
}

macro_rules! common_field {
    ($self:ident, $field:ident) => {
        match $self {
            Self::Bedrock(i) => i.$field,
            Self::Ecotone(i) => i.$field,
            Self::Isthmus(i) => i.$field,
            Self::Jovian(i) => i.$field,
        }
    };
}

impl L1BlockInfo {
    /// Decodes L1-attributes calldata of any format, chosen by its selector. Each format
    /// has one exact length, which bounds the input.
    ///
    /// Spec: protocol/deposits.md#l1-attributes-deposited-transaction and the fork
    /// `l1-attributes.md` pages.
    pub fn decode(calldata: &[u8]) -> Result<Self, L1InfoError> {
        let selector = calldata
            .first_chunk::<4>()
            .ok_or(L1InfoError::MissingSelector(calldata.len()))?;
        let format = L1InfoFormat::from_selector(*selector)
            .ok_or(L1InfoError::UnknownSelector(*selector))?;
        if calldata.len() != format.calldata_len() {
            return Err(L1InfoError::Length {
                format,
                expected: format.calldata_len(),
                actual: calldata.len(),
            });
        }
        Ok(match format {
            L1InfoFormat::Bedrock => Self::Bedrock(L1BlockInfoBedrock::decode(calldata)?),
            L1InfoFormat::Ecotone => Self::Ecotone(L1BlockInfoEcotone::decode(calldata)?),
            L1InfoFormat::Isthmus => Self::Isthmus(L1BlockInfoIsthmus::decode(calldata)?),
            L1InfoFormat::Jovian => Self::Jovian(L1BlockInfoJovian::decode(calldata)?),
        })
    }

    /// Decodes the L1-attributes calldata of the L2 block at `l2_timestamp`, requiring the
    /// format the fork schedule demands there (op-node's `L1BlockInfoFromBytes` decides the
    /// format from the config the same way).
    pub fn decode_for_block(
        cfg: &RollupConfig,
        l2_timestamp: u64,
        calldata: &[u8],
    ) -> Result<Self, L1InfoError> {
        let info = Self::decode(calldata)?;
        let expected = l1_info_format(cfg, l2_timestamp);
        if info.format() != expected {
            return Err(L1InfoError::UnexpectedFormat {
                expected,
                found: info.format(),
            });
        }
        Ok(info)
    }

    /// Encodes the calldata (the inverse of [`Self::decode`]).
    pub fn encode(&self) -> Bytes {
        match self {
            Self::Bedrock(i) => i.encode(),
            Self::Ecotone(i) => i.encode(),
            Self::Isthmus(i) => i.encode(),
            Self::Jovian(i) => i.encode(),
        }
    }

    /// The calldata format.
    pub const fn format(&self) -> L1InfoFormat {
        match self {
            Self::Bedrock(_) => L1InfoFormat::Bedrock,
            Self::Ecotone(_) => L1InfoFormat::Ecotone,
            Self::Isthmus(_) => L1InfoFormat::Isthmus,
            Self::Jovian(_) => L1InfoFormat::Jovian,
        }
    }

    /// L1 origin block number.
    pub const fn number(&self) -> u64 {
        common_field!(self, number)
    }

    /// L1 origin block timestamp.
    pub const fn timestamp(&self) -> u64 {
        common_field!(self, timestamp)
    }

    /// L1 origin base fee.
    pub const fn base_fee(&self) -> U256 {
        common_field!(self, base_fee)
    }

    /// L1 origin block hash.
    pub const fn block_hash(&self) -> B256 {
        common_field!(self, block_hash)
    }

    /// Number of L2 blocks since the first one of this L1 origin (epoch).
    pub const fn sequence_number(&self) -> u64 {
        common_field!(self, sequence_number)
    }

    /// Batcher address (the batcher hash, version 0).
    pub const fn batcher_address(&self) -> Address {
        common_field!(self, batcher_address)
    }

    /// L1 blob base fee; `None` in the Bedrock format.
    pub const fn blob_base_fee(&self) -> Option<U256> {
        match self {
            Self::Bedrock(_) => None,
            Self::Ecotone(i) => Some(i.blob_base_fee),
            Self::Isthmus(i) => Some(i.blob_base_fee),
            Self::Jovian(i) => Some(i.blob_base_fee),
        }
    }
}

/// Reads fixed-size pieces from calldata whose total length was checked beforehand; a short
/// read still returns an error rather than panicking.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    offset: usize,
    format: L1InfoFormat,
    total: usize,
}

impl<'a> Reader<'a> {
    pub(crate) const fn new(calldata: &'a [u8], format: L1InfoFormat) -> Self {
        Self {
            rest: calldata,
            offset: 0,
            format,
            total: calldata.len(),
        }
    }

    pub(crate) const fn offset(&self) -> usize {
        self.offset
    }

    pub(crate) fn take<const N: usize>(&mut self) -> Result<[u8; N], L1InfoError> {
        let (head, rest) = self
            .rest
            .split_first_chunk::<N>()
            .ok_or(L1InfoError::Length {
                format: self.format,
                expected: self.format.calldata_len(),
                actual: self.total,
            })?;
        self.rest = rest;
        self.offset += N;
        Ok(*head)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, L1InfoError> {
        self.take::<4>().map(u32::from_be_bytes)
    }

    pub(crate) fn u64(&mut self) -> Result<u64, L1InfoError> {
        self.take::<8>().map(u64::from_be_bytes)
    }

    pub(crate) fn u256(&mut self) -> Result<U256, L1InfoError> {
        self.take::<32>().map(|w| U256::from_be_bytes(w))
    }

    pub(crate) fn b256(&mut self) -> Result<B256, L1InfoError> {
        self.take::<32>().map(B256::from)
    }

    /// A 32-byte word holding a left-padded address; the padding must be zero.
    pub(crate) fn address_word(&mut self, field: &'static str) -> Result<Address, L1InfoError> {
        let offset = self.offset;
        let word = self.take::<32>()?;
        let (pad, addr) = word.split_at(12);
        if pad.iter().any(|b| *b != 0) {
            return Err(L1InfoError::NonZeroPadding { field, offset });
        }
        Ok(Address::from_slice(addr))
    }
}
