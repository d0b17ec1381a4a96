//! The L2 chain's system configuration, as tracked from L1.
//!
//! Spec: protocol/system-config.md, protocol/holocene/system-config.md,
//! protocol/isthmus/system-config.md, protocol/jovian/system-config.md.

use alloy_primitives::{Address, B64, B256};
use serde::{Deserialize, Serialize};

/// The system configuration that derivation tracks: it changes through `ConfigUpdate` logs
/// of the L1 `SystemConfig` contract and is carried into L2 through the L1-info deposit.
///
/// Field layout follows op-node's `eth.SystemConfig`: the fee scalars stay packed in
/// `scalar` exactly as L1 emits them, so nothing is lost before Ecotone decodes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemConfig {
    /// The address allowed to post batches to the batch inbox.
    pub batcher_addr: Address,
    /// Pre-Ecotone L1 fee overhead. Unused from Ecotone on.
    pub overhead: B256,
    /// Pre-Ecotone: the L1 fee scalar. From Ecotone: version byte 0x01, then
    /// `blobBaseFeeScalar` (big-endian u32 at bytes 24..28) and `baseFeeScalar` (28..32).
    pub scalar: B256,
    /// The L2 block gas limit.
    pub gas_limit: u64,
    /// Holocene EIP-1559 parameters: denominator (u32 BE) then elasticity (u32 BE).
    /// Zero means "use the chain's pre-Holocene defaults".
    #[serde(default)]
    pub eip1559_params: B64,
    /// Isthmus operator fee: `operatorFeeScalar` (u32 at bytes 20..24) and
    /// `operatorFeeConstant` (u64 at bytes 24..32).
    #[serde(default)]
    pub operator_fee_params: B256,
    /// Jovian minimum base fee in wei.
    #[serde(default)]
    pub min_base_fee: u64,
    /// Jovian DA footprint gas scalar.
    #[serde(default)]
    pub da_footprint_gas_scalar: u16,
}
