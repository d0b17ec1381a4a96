//! The L2 chain's system configuration, as tracked from L1.
//!
//! Spec: protocol/system-config.md, protocol/holocene/system-config.md,
//! protocol/isthmus/system-config.md, protocol/jovian/system-config.md,
//! protocol/ecotone/l1-attributes.md.
//!
//! # JSON
//!
//! Serialization is op-node's `eth.SystemConfig` camelCase form: `batcherAddr`, `overhead`,
//! `scalar`, `gasLimit`, `eip1559Params`, `operatorFeeParams`, `minBaseFee`,
//! `daFootprintGasScalar`. Parsing accepts that form and kona's superset: `batcherAddress`
//! as an alias of `batcherAddr`, and kona's split fields `baseFeeScalar`, `blobBaseFeeScalar`,
//! `eip1559Denominator`, `eip1559Elasticity`, `operatorFeeScalar`, `operatorFeeConstant`
//! (each `null` or a number). Split fields are packed into op-node's fields; a split field that
//! contradicts its packed counterpart is an error. Unknown fields are rejected.

use alloy_primitives::{Address, B64, B256};
use serde::{Deserialize, Serialize};

/// Scalar-version byte of a pre-Ecotone (Bedrock) scalar.
///
/// Spec: protocol/system-config.md#post-ecotone-scalar-encoding
pub const SCALAR_VERSION_BEDROCK: u8 = 0;
/// Scalar-version byte of an Ecotone scalar.
///
/// Spec: protocol/system-config.md#post-ecotone-scalar-encoding
pub const SCALAR_VERSION_ECOTONE: u8 = 1;
/// DA footprint gas scalar used while the system config holds `0`.
///
/// Spec: protocol/jovian/l1-attributes.md (a value of `0` means a default of `400`).
pub const DEFAULT_DA_FOOTPRINT_GAS_SCALAR: u16 = 400;

/// The system configuration that derivation tracks: it changes through `ConfigUpdate` logs
/// of the L1 `SystemConfig` contract and is carried into L2 through the L1-info deposit.
///
/// Field layout follows op-node's `eth.SystemConfig`: the fee scalars stay packed in
/// `scalar` exactly as L1 emits them, so nothing is lost before Ecotone decodes them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    try_from = "crate::system_config::RawSystemConfig"
)]
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

/// The L1-fee scalars of the Ecotone L1-info deposit.
///
/// Spec: protocol/ecotone/l1-attributes.md
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EcotoneScalars {
    /// `blobBaseFeeScalar`
    pub blob_base_fee_scalar: u32,
    /// `baseFeeScalar`
    pub base_fee_scalar: u32,
}

/// Why a system-config value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SystemConfigError {
    /// A version-1 scalar has non-zero bytes in its padding (bytes 1..24).
    #[error("invalid version 1 scalar padding: {0}")]
    EcotoneScalarPadding(B256),
    /// A version-0 scalar has non-zero bytes in its padding (bytes 1..28).
    #[error("version 0 scalar padding is not empty: {0}")]
    BedrockScalarPadding(B256),
    /// The scalar-version byte is neither 0 nor 1.
    #[error("unrecognized scalar version {version}")]
    UnknownScalarVersion {
        /// The version byte found.
        version: u8,
    },
    /// A kona split field contradicts the packed op-node field.
    #[error("field `{field}` = {value} contradicts the packed `{packed}` field")]
    Inconsistent {
        /// The split field (kona's name).
        field: &'static str,
        /// Its value.
        value: u64,
        /// The packed field it contradicts.
        packed: &'static str,
    },
    /// A kona split field holds a value too large for its packed slot.
    #[error("field `{field}` = {value} does not fit its packed slot")]
    OutOfRange {
        /// The split field (kona's name).
        field: &'static str,
        /// Its value.
        value: u64,
    },
    /// A required field is missing.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
}

/// Checks a system-config scalar the way op-node does before accepting a post-Ecotone
/// fee-scalars update (`CheckEcotoneL1SystemConfigScalar`).
///
/// Spec: protocol/system-config.md#post-ecotone-scalar-encoding
pub fn check_ecotone_scalar(scalar: &B256) -> Result<(), SystemConfigError> {
    let (version, rest) = split_version(scalar);
    match version {
        SCALAR_VERSION_BEDROCK if all_zero(rest.get(..27)) => Ok(()),
        SCALAR_VERSION_BEDROCK => Err(SystemConfigError::BedrockScalarPadding(*scalar)),
        SCALAR_VERSION_ECOTONE if all_zero(rest.get(..23)) => Ok(()),
        SCALAR_VERSION_ECOTONE => Err(SystemConfigError::EcotoneScalarPadding(*scalar)),
        version => Err(SystemConfigError::UnknownScalarVersion { version }),
    }
}

/// Packs Ecotone fee scalars into a version-1 system-config scalar.
///
/// Spec: protocol/system-config.md#post-ecotone-scalar-encoding
pub fn encode_ecotone_scalar(scalars: EcotoneScalars) -> B256 {
    let mut out = [0u8; 32];
    out[0] = SCALAR_VERSION_ECOTONE;
    out[24..28].copy_from_slice(&scalars.blob_base_fee_scalar.to_be_bytes());
    out[28..32].copy_from_slice(&scalars.base_fee_scalar.to_be_bytes());
    B256::from(out)
}

fn split_version(word: &B256) -> (u8, &[u8]) {
    match word.as_slice().split_first() {
        Some((v, rest)) => (*v, rest),
        None => (0, &[]),
    }
}

fn all_zero(bytes: Option<&[u8]>) -> bool {
    bytes.is_some_and(|b| b.iter().all(|x| *x == 0))
}

fn be_u32(word: &[u8], at: usize) -> u32 {
    let mut buf = [0u8; 4];
    if let Some(src) = word.get(at..at + 4) {
        buf.copy_from_slice(src);
    }
    u32::from_be_bytes(buf)
}

fn be_u64(word: &[u8], at: usize) -> u64 {
    let mut buf = [0u8; 8];
    if let Some(src) = word.get(at..at + 8) {
        buf.copy_from_slice(src);
    }
    u64::from_be_bytes(buf)
}

impl SystemConfig {
    /// The fee scalars the Ecotone L1-info deposit carries for this config.
    ///
    /// Follows op-node's `EcotoneScalars`: a version-0 scalar (every pre-Ecotone chain's)
    /// yields `blobBaseFeeScalar = 0` and `baseFeeScalar` = its low four bytes, or
    /// `u32::MAX` when bytes 1..28 are not zero; a version-1 scalar is split into its two
    /// `uint32`s; anything else is an error.
    ///
    /// Spec: protocol/system-config.md#post-ecotone-scalar-encoding
    pub fn ecotone_scalars(&self) -> Result<EcotoneScalars, SystemConfigError> {
        match check_ecotone_scalar(&self.scalar) {
            Ok(()) => {}
            Err(SystemConfigError::BedrockScalarPadding(_)) => {
                return Ok(EcotoneScalars {
                    blob_base_fee_scalar: 0,
                    base_fee_scalar: u32::MAX,
                });
            }
            Err(e) => return Err(e),
        }
        let word = self.scalar.as_slice();
        let base_fee_scalar = be_u32(word, 28);
        let blob_base_fee_scalar = match split_version(&self.scalar).0 {
            SCALAR_VERSION_ECOTONE => be_u32(word, 24),
            _ => 0,
        };
        Ok(EcotoneScalars {
            blob_base_fee_scalar,
            base_fee_scalar,
        })
    }

    /// Holocene EIP-1559 denominator (bytes 0..4 of `eip1559Params`); 0 when unset.
    ///
    /// Spec: protocol/holocene/system-config.md
    pub fn eip1559_denominator(&self) -> u32 {
        be_u32(self.eip1559_params.as_slice(), 0)
    }

    /// Holocene EIP-1559 elasticity (bytes 4..8 of `eip1559Params`); 0 when unset.
    ///
    /// Spec: protocol/holocene/system-config.md
    pub fn eip1559_elasticity(&self) -> u32 {
        be_u32(self.eip1559_params.as_slice(), 4)
    }

    /// Packs `denominator` and `elasticity` into `eip1559_params`.
    ///
    /// Spec: protocol/holocene/system-config.md
    pub fn set_eip1559_params(&mut self, denominator: u32, elasticity: u32) {
        let mut out = [0u8; 8];
        out[..4].copy_from_slice(&denominator.to_be_bytes());
        out[4..].copy_from_slice(&elasticity.to_be_bytes());
        self.eip1559_params = B64::from(out);
    }

    /// Isthmus `operatorFeeScalar` (bytes 20..24 of `operatorFeeParams`).
    ///
    /// Spec: protocol/isthmus/system-config.md
    pub fn operator_fee_scalar(&self) -> u32 {
        be_u32(self.operator_fee_params.as_slice(), 20)
    }

    /// Isthmus `operatorFeeConstant` (bytes 24..32 of `operatorFeeParams`).
    ///
    /// Spec: protocol/isthmus/system-config.md
    pub fn operator_fee_constant(&self) -> u64 {
        be_u64(self.operator_fee_params.as_slice(), 24)
    }

    /// Packs the operator fee scalar and constant into `operator_fee_params`.
    ///
    /// Spec: protocol/isthmus/system-config.md (`uint256(scalar) << 64 | constant`)
    pub fn set_operator_fee(&mut self, scalar: u32, constant: u64) {
        let mut out = [0u8; 32];
        out[20..24].copy_from_slice(&scalar.to_be_bytes());
        out[24..32].copy_from_slice(&constant.to_be_bytes());
        self.operator_fee_params = B256::from(out);
    }

    /// The DA footprint gas scalar the Jovian L1-info deposit carries: the configured value,
    /// or [`DEFAULT_DA_FOOTPRINT_GAS_SCALAR`] while it is `0`.
    ///
    /// Spec: protocol/jovian/l1-attributes.md
    pub fn effective_da_footprint_gas_scalar(&self) -> u16 {
        match self.da_footprint_gas_scalar {
            0 => DEFAULT_DA_FOOTPRINT_GAS_SCALAR,
            v => v,
        }
    }
}

/// The JSON shape accepted for a [`SystemConfig`]: op-node's fields plus kona's superset.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RawSystemConfig {
    #[serde(alias = "batcherAddress")]
    batcher_addr: Option<Address>,
    overhead: Option<B256>,
    scalar: Option<B256>,
    gas_limit: Option<u64>,
    #[serde(default)]
    eip1559_params: Option<B64>,
    #[serde(default)]
    operator_fee_params: Option<B256>,
    #[serde(default)]
    min_base_fee: Option<u64>,
    #[serde(default)]
    da_footprint_gas_scalar: Option<u16>,
    // kona's split fields.
    #[serde(default)]
    base_fee_scalar: Option<u64>,
    #[serde(default)]
    blob_base_fee_scalar: Option<u64>,
    #[serde(default)]
    eip1559_denominator: Option<u64>,
    #[serde(default)]
    eip1559_elasticity: Option<u64>,
    #[serde(default)]
    operator_fee_scalar: Option<u64>,
    #[serde(default)]
    operator_fee_constant: Option<u64>,
}

fn to_u32(field: &'static str, value: u64) -> Result<u32, SystemConfigError> {
    u32::try_from(value).map_err(|_| SystemConfigError::OutOfRange { field, value })
}

fn agree(
    field: &'static str,
    value: Option<u64>,
    packed_value: u64,
    packed: &'static str,
) -> Result<(), SystemConfigError> {
    match value {
        Some(v) if v != packed_value => Err(SystemConfigError::Inconsistent {
            field,
            value: v,
            packed,
        }),
        _ => Ok(()),
    }
}

impl TryFrom<RawSystemConfig> for SystemConfig {
    type Error = SystemConfigError;

    fn try_from(raw: RawSystemConfig) -> Result<Self, Self::Error> {
        let mut cfg = Self {
            batcher_addr: raw
                .batcher_addr
                .ok_or(SystemConfigError::MissingField("batcherAddr"))?,
            overhead: raw
                .overhead
                .ok_or(SystemConfigError::MissingField("overhead"))?,
            scalar: raw
                .scalar
                .ok_or(SystemConfigError::MissingField("scalar"))?,
            gas_limit: raw
                .gas_limit
                .ok_or(SystemConfigError::MissingField("gasLimit"))?,
            eip1559_params: raw.eip1559_params.unwrap_or_default(),
            operator_fee_params: raw.operator_fee_params.unwrap_or_default(),
            min_base_fee: raw.min_base_fee.unwrap_or_default(),
            da_footprint_gas_scalar: raw.da_footprint_gas_scalar.unwrap_or_default(),
        };

        // kona's split EIP-1559 fields fill an absent `eip1559Params`, else must agree with it.
        if raw.eip1559_params.is_none()
            && (raw.eip1559_denominator.is_some() || raw.eip1559_elasticity.is_some())
        {
            let d = to_u32(
                "eip1559Denominator",
                raw.eip1559_denominator.unwrap_or_default(),
            )?;
            let e = to_u32(
                "eip1559Elasticity",
                raw.eip1559_elasticity.unwrap_or_default(),
            )?;
            cfg.set_eip1559_params(d, e);
        }
        agree(
            "eip1559Denominator",
            raw.eip1559_denominator,
            cfg.eip1559_denominator().into(),
            "eip1559Params",
        )?;
        agree(
            "eip1559Elasticity",
            raw.eip1559_elasticity,
            cfg.eip1559_elasticity().into(),
            "eip1559Params",
        )?;

        if raw.operator_fee_params.is_none()
            && (raw.operator_fee_scalar.is_some() || raw.operator_fee_constant.is_some())
        {
            let s = to_u32(
                "operatorFeeScalar",
                raw.operator_fee_scalar.unwrap_or_default(),
            )?;
            cfg.set_operator_fee(s, raw.operator_fee_constant.unwrap_or_default());
        }
        agree(
            "operatorFeeScalar",
            raw.operator_fee_scalar,
            cfg.operator_fee_scalar().into(),
            "operatorFeeParams",
        )?;
        agree(
            "operatorFeeConstant",
            raw.operator_fee_constant,
            cfg.operator_fee_constant(),
            "operatorFeeParams",
        )?;

        // kona derives these two from `scalar`; they carry no information of their own.
        if raw.base_fee_scalar.is_some() || raw.blob_base_fee_scalar.is_some() {
            let s = cfg.ecotone_scalars()?;
            agree(
                "baseFeeScalar",
                raw.base_fee_scalar,
                s.base_fee_scalar.into(),
                "scalar",
            )?;
            agree(
                "blobBaseFeeScalar",
                raw.blob_base_fee_scalar,
                s.blob_base_fee_scalar.into(),
                "scalar",
            )?;
        }
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, b256};

    #[test]
    fn ecotone_scalars_of_each_version() {
        let mut cfg = SystemConfig {
            scalar: b256!("0x00000000000000000000000000000000000000000000000000000000000a6fe0"),
            ..Default::default()
        };
        assert_eq!(
            cfg.ecotone_scalars().unwrap(),
            EcotoneScalars {
                blob_base_fee_scalar: 0,
                base_fee_scalar: 0xa6fe0
            }
        );
        cfg.scalar = b256!("0x010000000000000000000000000000000000000000000000000dbba0000007d0");
        assert_eq!(
            cfg.ecotone_scalars().unwrap(),
            EcotoneScalars {
                blob_base_fee_scalar: 0xdbba0,
                base_fee_scalar: 0x7d0
            }
        );
        assert_eq!(
            encode_ecotone_scalar(cfg.ecotone_scalars().unwrap()),
            cfg.scalar
        );
        // Bedrock scalar with non-zero padding: baseFeeScalar = MaxUint32 (spec).
        cfg.scalar = b256!("0x0000000000000000000000000000000000000000000000000000000100000001");
        assert_eq!(
            cfg.ecotone_scalars().unwrap(),
            EcotoneScalars {
                blob_base_fee_scalar: 0,
                base_fee_scalar: u32::MAX
            }
        );
        cfg.scalar = b256!("0x0100000000000000000000000000000000000000000000010000000000000001");
        assert!(matches!(
            cfg.ecotone_scalars(),
            Err(SystemConfigError::EcotoneScalarPadding(_))
        ));
        cfg.scalar = b256!("0x0200000000000000000000000000000000000000000000000000000000000001");
        assert_eq!(
            cfg.ecotone_scalars(),
            Err(SystemConfigError::UnknownScalarVersion { version: 2 })
        );
    }

    #[test]
    fn packed_fields_split() {
        let mut cfg = SystemConfig::default();
        cfg.set_eip1559_params(250, 6);
        assert_eq!(cfg.eip1559_params, B64::from([0, 0, 0, 250, 0, 0, 0, 6]));
        assert_eq!(
            (cfg.eip1559_denominator(), cfg.eip1559_elasticity()),
            (250, 6)
        );
        cfg.set_operator_fee(0xbabe, 0xbeef);
        assert_eq!(
            (cfg.operator_fee_scalar(), cfg.operator_fee_constant()),
            (0xbabe, 0xbeef)
        );
        assert_eq!(cfg.effective_da_footprint_gas_scalar(), 400);
        cfg.da_footprint_gas_scalar = 7;
        assert_eq!(cfg.effective_da_footprint_gas_scalar(), 7);
    }

    #[test]
    fn kona_split_fields() {
        let json = r#"{"batcherAddr":"0x8f23bb38f531600e5d8fddaaec41f13fab46e98c",
            "overhead":"0x00000000000000000000000000000000000000000000000000000000000000bc",
            "scalar":"0x00000000000000000000000000000000000000000000000000000000000a6fe0",
            "gasLimit":30000000,"baseFeeScalar":null,"blobBaseFeeScalar":null,
            "eip1559Denominator":null,"eip1559Elasticity":null,"operatorFeeScalar":null,
            "operatorFeeConstant":null,"minBaseFee":null,"daFootprintGasScalar":null}"#;
        let cfg: SystemConfig = serde_json::from_str(json).unwrap();
        assert_eq!(
            cfg.batcher_addr,
            address!("0x8f23bb38f531600e5d8fddaaec41f13fab46e98c")
        );
        assert_eq!(cfg.eip1559_params, B64::ZERO);

        let json = r#"{"batcherAddr":"0x8f23bb38f531600e5d8fddaaec41f13fab46e98c",
            "overhead":"0x00000000000000000000000000000000000000000000000000000000000000bc",
            "scalar":"0x010000000000000000000000000000000000000000000000000dbba0000007d0",
            "gasLimit":30000000,"baseFeeScalar":2000,"blobBaseFeeScalar":900000,
            "eip1559Denominator":250,"eip1559Elasticity":6,"operatorFeeScalar":1,
            "operatorFeeConstant":2}"#;
        let cfg: SystemConfig = serde_json::from_str(json).unwrap();
        assert_eq!(
            (cfg.eip1559_denominator(), cfg.eip1559_elasticity()),
            (250, 6)
        );
        assert_eq!(
            (cfg.operator_fee_scalar(), cfg.operator_fee_constant()),
            (1, 2)
        );

        let bad = json.replace("\"baseFeeScalar\":2000", "\"baseFeeScalar\":2001");
        let err = serde_json::from_str::<SystemConfig>(&bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("baseFeeScalar"), "{err}");
        let missing = r#"{"overhead":"0x00000000000000000000000000000000000000000000000000000000000000bc",
            "scalar":"0x00000000000000000000000000000000000000000000000000000000000a6fe0","gasLimit":1}"#;
        let err = serde_json::from_str::<SystemConfig>(missing)
            .unwrap_err()
            .to_string();
        assert!(err.contains("batcherAddr"), "{err}");
    }
}
