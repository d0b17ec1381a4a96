//! `ConfigUpdate` logs of the L1 `SystemConfig` contract, and their effect on the
//! [`SystemConfig`] derivation tracks.
//!
//! Spec: protocol/system-config.md#system-config-updates, protocol/holocene/system-config.md,
//! protocol/isthmus/system-config.md, protocol/jovian/system-config.md.
//!
//! Where the specs leave the decoding open, the rules are op-node's
//! (`op-node/rollup/derive/system_config.go`): exactly three topics, version topic zero,
//! the ABI `bytes` pointer must be 32, the length must be exact for the update type, every
//! number's padding must be zero, an address's 12 high bytes must be zero and no byte may
//! follow the payload; EIP-1559 parameters must not pair a zero denominator with a non-zero
//! elasticity. Type 3 (unsafe block signer) is not consensus data: op-node does not
//! even read it, so neither does [`SystemConfigUpdate::apply`] fail on it.
//!
//! Every decoder here is bounded by the fixed size of its payload: at most 128 data bytes
//! are ever read, and a longer log is rejected after reading those.

use alloy_consensus::TxReceipt;
use alloy_primitives::{Address, B64, B256, Log, b256};

use crate::system_config::{SystemConfig, check_ecotone_scalar};

/// `keccak256("ConfigUpdate(uint256,uint8,bytes)")`, topic 0 of every update log.
///
/// Spec: protocol/system-config.md#system-config-updates
pub const CONFIG_UPDATE_TOPIC: B256 =
    b256!("0x1d2b0bda21d56b8bd12d4f94ebacffdfb35f5e226f84b461103bb8beab6353be");

/// The only `ConfigUpdate` version (topic 1) derivation understands.
pub const CONFIG_UPDATE_VERSION_0: B256 = B256::ZERO;

/// The `ConfigUpdate` update types (topic 2), as numbered in the spec.
///
/// Spec: protocol/system-config.md#system-config-updates
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum UpdateType {
    /// 0: batcher hash (address).
    Batcher = 0,
    /// 1: overhead and scalar.
    FeeScalars = 1,
    /// 2: L2 gas limit.
    GasLimit = 2,
    /// 3: unsafe block signer (not consensus data).
    UnsafeBlockSigner = 3,
    /// 4: Holocene EIP-1559 denominator and elasticity.
    Eip1559Params = 4,
    /// 5: Isthmus operator fee scalar and constant.
    OperatorFeeParams = 5,
    /// 6: Jovian minimum base fee.
    MinBaseFee = 6,
    /// 7: Jovian DA footprint gas scalar.
    DaFootprintGasScalar = 7,
}

impl UpdateType {
    /// Every update type, in numbering order.
    pub const ALL: [Self; 8] = [
        Self::Batcher,
        Self::FeeScalars,
        Self::GasLimit,
        Self::UnsafeBlockSigner,
        Self::Eip1559Params,
        Self::OperatorFeeParams,
        Self::MinBaseFee,
        Self::DaFootprintGasScalar,
    ];

    /// The update type a topic names: the whole 32-byte word must equal the type number,
    /// as op-node compares it.
    pub fn from_topic(topic: &B256) -> Option<Self> {
        Self::ALL.into_iter().find(|t| *topic == t.topic())
    }

    /// The topic-2 word of this type.
    pub fn topic(self) -> B256 {
        B256::with_last_byte(self as u8)
    }

    /// Length of the ABI `bytes` payload this type carries.
    pub const fn payload_len(self) -> u64 {
        match self {
            Self::FeeScalars => 64,
            _ => 32,
        }
    }
}

/// A decoded `ConfigUpdate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemConfigUpdate {
    /// New batcher address.
    Batcher(Address),
    /// New overhead and scalar, as emitted (their meaning depends on Ecotone).
    FeeScalars {
        /// The overhead word.
        overhead: B256,
        /// The scalar word.
        scalar: B256,
    },
    /// New L2 gas limit.
    GasLimit(u64),
    /// New unsafe block signer; `None` if the payload was malformed (op-node never reads it).
    UnsafeBlockSigner(Option<Address>),
    /// New Holocene EIP-1559 parameters (the low 8 bytes of the payload word).
    Eip1559Params(B64),
    /// New Isthmus operator fee parameters (the whole payload word).
    OperatorFeeParams(B256),
    /// New Jovian minimum base fee.
    MinBaseFee(u64),
    /// New Jovian DA footprint gas scalar.
    DaFootprintGasScalar(u16),
}

/// What applying an update did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The system config changed (or was rewritten with the same value).
    Updated,
    /// The update is valid but does not affect derivation (unsafe block signer), or is a
    /// post-Ecotone fee-scalars update with an invalid scalar, which op-node skips while
    /// keeping the old scalar.
    Ignored,
}

/// Which ABI word of the log data a decoding error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The `bytes` offset word.
    Pointer,
    /// The `bytes` length word.
    Length,
    /// The payload.
    Payload,
}

impl core::fmt::Display for Field {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Pointer => "pointer",
            Self::Length => "length",
            Self::Payload => "payload",
        })
    }
}

/// Why a `ConfigUpdate` log was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigUpdateError {
    /// The log does not have exactly three topics.
    #[error("expected 3 topics (event, version, update type), got {0}")]
    TopicCount(usize),
    /// Topic 0 is not the `ConfigUpdate` event.
    #[error("not a ConfigUpdate event: topic 0 is {0}")]
    WrongEvent(B256),
    /// Topic 1 (version) is not 0.
    #[error("unrecognized ConfigUpdate version {0}")]
    UnsupportedVersion(B256),
    /// Topic 2 is not a known update type.
    #[error("unrecognized ConfigUpdate update type {0}")]
    UnknownUpdateType(B256),
    /// The data ends inside a word.
    #[error(
        "{update:?} data truncated in the {field} word at offset {offset} (data is {len} bytes)"
    )]
    Truncated {
        /// The update type.
        update: UpdateType,
        /// The word being read.
        field: Field,
        /// Offset of that word.
        offset: usize,
        /// Length of the data.
        len: usize,
    },
    /// Bytes that must be zero (number or address padding) are not.
    #[error("{update:?} {field} word at offset {offset} has non-zero padding")]
    NonZeroPadding {
        /// The update type.
        update: UpdateType,
        /// The word being read.
        field: Field,
        /// Offset of that word.
        offset: usize,
    },
    /// The `bytes` offset is not 32.
    #[error("{update:?} data pointer is {got}, expected 32")]
    BadPointer {
        /// The update type.
        update: UpdateType,
        /// The pointer found.
        got: u64,
    },
    /// The `bytes` length is not the type's payload length.
    #[error("{update:?} data length is {got}, expected {expected}")]
    BadLength {
        /// The update type.
        update: UpdateType,
        /// The length the type requires.
        expected: u64,
        /// The length found.
        got: u64,
    },
    /// Holocene parameters with a zero denominator but a non-zero elasticity.
    ///
    /// Spec: protocol/holocene/exec-engine.md (denominator and elasticity are both zero
    /// or both usable)
    #[error("invalid EIP-1559 params {0}: zero denominator with non-zero elasticity")]
    InvalidEip1559Params(B64),
    /// Bytes follow the payload.
    #[error("{update:?} data has {extra} bytes after the payload")]
    TrailingBytes {
        /// The update type.
        update: UpdateType,
        /// How many bytes follow.
        extra: usize,
    },
}

/// Reads 32-byte words off log data, checking padding like op-node's `solabi` readers.
struct Words<'a> {
    data: &'a [u8],
    offset: usize,
    update: UpdateType,
}

impl<'a> Words<'a> {
    fn word(&mut self, field: Field) -> Result<&'a [u8; 32], ConfigUpdateError> {
        let err = ConfigUpdateError::Truncated {
            update: self.update,
            field,
            offset: self.offset,
            len: self.data.len(),
        };
        let rest = self.data.get(self.offset..).ok_or(err.clone())?;
        let (w, _) = rest.split_first_chunk::<32>().ok_or(err)?;
        self.offset += 32;
        Ok(w)
    }

    /// A word whose first `pad` bytes must be zero.
    fn padded(&mut self, field: Field, pad: usize) -> Result<&'a [u8; 32], ConfigUpdateError> {
        let offset = self.offset;
        let w = self.word(field)?;
        if w.iter().take(pad).any(|b| *b != 0) {
            return Err(ConfigUpdateError::NonZeroPadding {
                update: self.update,
                field,
                offset,
            });
        }
        Ok(w)
    }

    fn uint64(&mut self, field: Field) -> Result<u64, ConfigUpdateError> {
        let w = self.padded(field, 24)?;
        let mut buf = [0u8; 8];
        buf.copy_from_slice(w.get(24..).unwrap_or(&[0; 8]));
        Ok(u64::from_be_bytes(buf))
    }

    /// The pointer and length words of the ABI `bytes` argument.
    fn header(&mut self) -> Result<(), ConfigUpdateError> {
        let update = self.update;
        let got = self.uint64(Field::Pointer)?;
        if got != 32 {
            return Err(ConfigUpdateError::BadPointer { update, got });
        }
        let got = self.uint64(Field::Length)?;
        let expected = update.payload_len();
        if got != expected {
            return Err(ConfigUpdateError::BadLength {
                update,
                expected,
                got,
            });
        }
        Ok(())
    }

    fn finish(&self) -> Result<(), ConfigUpdateError> {
        let extra = self.data.len().saturating_sub(self.offset);
        if extra != 0 {
            return Err(ConfigUpdateError::TrailingBytes {
                update: self.update,
                extra,
            });
        }
        Ok(())
    }
}

/// Decodes the payload of an update whose type is already known.
fn decode_payload(
    update: UpdateType,
    data: &[u8],
) -> Result<SystemConfigUpdate, ConfigUpdateError> {
    let mut r = Words {
        data,
        offset: 0,
        update,
    };
    r.header()?;
    let out = match update {
        UpdateType::Batcher | UpdateType::UnsafeBlockSigner => {
            let w = r.padded(Field::Payload, 12)?;
            let addr = Address::from_slice(w.get(12..).unwrap_or(&[0; 20]));
            if update == UpdateType::Batcher {
                SystemConfigUpdate::Batcher(addr)
            } else {
                SystemConfigUpdate::UnsafeBlockSigner(Some(addr))
            }
        }
        UpdateType::FeeScalars => {
            let overhead = B256::from(*r.word(Field::Payload)?);
            let scalar = B256::from(*r.word(Field::Payload)?);
            SystemConfigUpdate::FeeScalars { overhead, scalar }
        }
        UpdateType::GasLimit => SystemConfigUpdate::GasLimit(r.uint64(Field::Payload)?),
        UpdateType::Eip1559Params => {
            // op-node keeps the low 8 bytes and does not check the rest of the word; it
            // rejects a zero denominator with a non-zero elasticity (op-geth's
            // `ValidateHolocene1559Params`). Both zero means "chain defaults" and is valid.
            let w = r.word(Field::Payload)?;
            let params = B64::from_slice(w.get(24..).unwrap_or(&[0; 8]));
            let (d, e) = params.as_slice().split_at(4);
            let zero = |x: &[u8]| x.iter().all(|b| *b == 0);
            if zero(d) && !zero(e) {
                return Err(ConfigUpdateError::InvalidEip1559Params(params));
            }
            SystemConfigUpdate::Eip1559Params(params)
        }
        UpdateType::OperatorFeeParams => {
            SystemConfigUpdate::OperatorFeeParams(B256::from(*r.word(Field::Payload)?))
        }
        UpdateType::MinBaseFee => SystemConfigUpdate::MinBaseFee(r.uint64(Field::Payload)?),
        UpdateType::DaFootprintGasScalar => {
            let w = r.padded(Field::Payload, 30)?;
            let hi = w.get(30).copied().unwrap_or_default();
            let lo = w.get(31).copied().unwrap_or_default();
            SystemConfigUpdate::DaFootprintGasScalar(u16::from_be_bytes([hi, lo]))
        }
    };
    r.finish()?;
    Ok(out)
}

/// Decodes a `ConfigUpdate(uint256 indexed version, uint8 indexed updateType, bytes data)`
/// log from its topics and data. The caller has already matched the emitting address.
///
/// Spec: protocol/system-config.md#system-config-updates
pub fn parse_config_update(
    topics: &[B256],
    data: &[u8],
) -> Result<SystemConfigUpdate, ConfigUpdateError> {
    let [event, version, kind] = topics else {
        return Err(ConfigUpdateError::TopicCount(topics.len()));
    };
    if *event != CONFIG_UPDATE_TOPIC {
        return Err(ConfigUpdateError::WrongEvent(*event));
    }
    if *version != CONFIG_UPDATE_VERSION_0 {
        return Err(ConfigUpdateError::UnsupportedVersion(*version));
    }
    let update = UpdateType::from_topic(kind).ok_or(ConfigUpdateError::UnknownUpdateType(*kind))?;
    match decode_payload(update, data) {
        // op-node returns before reading a signer update, so a malformed one is no error.
        Err(_) if update == UpdateType::UnsafeBlockSigner => {
            Ok(SystemConfigUpdate::UnsafeBlockSigner(None))
        }
        other => other,
    }
}

impl SystemConfigUpdate {
    /// Applies the update to `cfg`.
    ///
    /// `ecotone_active` must be op-node's `IsEcotone(l1_block.time)`: op-node gates the
    /// fee-scalars semantics on the timestamp of the **L1 block** carrying the log. After
    /// Ecotone a scalar that fails the version check is skipped (the old one stays), a
    /// valid one is stored as emitted and the overhead is zeroed.
    ///
    /// Spec: protocol/system-config.md#system-config-updates
    pub fn apply(&self, cfg: &mut SystemConfig, ecotone_active: bool) -> Applied {
        match *self {
            Self::Batcher(a) => cfg.batcher_addr = a,
            Self::FeeScalars { overhead, scalar } => {
                if ecotone_active {
                    if check_ecotone_scalar(&scalar).is_err() {
                        return Applied::Ignored;
                    }
                    cfg.scalar = scalar;
                    cfg.overhead = B256::ZERO;
                } else {
                    cfg.overhead = overhead;
                    cfg.scalar = scalar;
                }
            }
            Self::GasLimit(g) => cfg.gas_limit = g,
            Self::UnsafeBlockSigner(_) => return Applied::Ignored,
            Self::Eip1559Params(p) => cfg.eip1559_params = p,
            Self::OperatorFeeParams(p) => cfg.operator_fee_params = p,
            Self::MinBaseFee(v) => cfg.min_base_fee = v,
            Self::DaFootprintGasScalar(v) => cfg.da_footprint_gas_scalar = v,
        }
        Applied::Updated
    }
}

/// Parses one `ConfigUpdate` log and applies it to `cfg` (op-node's
/// `ProcessSystemConfigUpdateLogEvent`). On error `cfg` is unchanged.
pub fn process_config_update_log(
    cfg: &mut SystemConfig,
    topics: &[B256],
    data: &[u8],
    ecotone_active: bool,
) -> Result<Applied, ConfigUpdateError> {
    Ok(parse_config_update(topics, data)?.apply(cfg, ecotone_active))
}

/// A rejected `ConfigUpdate` log, located in the L1 block's receipts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed L1 system config log in receipt {receipt_index}, log {log_index}: {error}")]
pub struct LogUpdateError {
    /// Index of the receipt in the block.
    pub receipt_index: usize,
    /// Index of the log in that receipt.
    pub log_index: usize,
    /// What was wrong.
    pub error: ConfigUpdateError,
}

/// Every rejected `ConfigUpdate` log of one L1 block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} malformed system config update log(s); first: {}", errors.len(), errors.first().map(ToString::to_string).unwrap_or_default())]
pub struct ReceiptsUpdateError {
    /// The rejected logs, in block order.
    pub errors: Vec<LogUpdateError>,
}

/// Applies every `ConfigUpdate` log of one L1 block's receipts to `cfg`, in order
/// (op-node's `UpdateSystemConfigWithL1Receipts`).
///
/// Failed receipts are skipped. A log counts when it was emitted by
/// `system_config_address`, has at least one topic and topic 0 is [`CONFIG_UPDATE_TOPIC`].
/// A malformed log is skipped without touching `cfg` and does not stop the scan: later
/// good updates are still applied and every bad one is reported with its (receipt, log)
/// index. What to do with the report is the caller's choice: the spec says a malformed
/// update "is not applied and is instead skipped", and current op-node's L1 traversal only
/// logs a warning and continues (older op-node releases and kona return a critical error and
/// halted derivation). Derivation should log and continue.
///
/// Returns the number of updates that changed `cfg`. `ecotone_active` is as in
/// [`SystemConfigUpdate::apply`].
///
/// Spec: protocol/derivation.md#l1-traversal, protocol/system-config.md#system-config-updates
pub fn apply_receipts_config_updates<R>(
    cfg: &mut SystemConfig,
    system_config_address: Address,
    receipts: &[R],
    ecotone_active: bool,
) -> Result<usize, ReceiptsUpdateError>
where
    R: TxReceipt<Log = Log>,
{
    let mut applied = 0;
    let mut errors = Vec::new();
    for (receipt_index, receipt) in receipts.iter().enumerate() {
        if !receipt.status() {
            continue;
        }
        for (log_index, log) in receipt.logs().iter().enumerate() {
            let topics = log.topics();
            if log.address != system_config_address || topics.first() != Some(&CONFIG_UPDATE_TOPIC)
            {
                continue;
            }
            match process_config_update_log(cfg, topics, &log.data.data, ecotone_active) {
                Ok(Applied::Updated) => applied += 1,
                Ok(Applied::Ignored) => {}
                Err(error) => errors.push(LogUpdateError {
                    receipt_index,
                    log_index,
                    error,
                }),
            }
        }
    }
    if errors.is_empty() {
        Ok(applied)
    } else {
        Err(ReceiptsUpdateError { errors })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::keccak256;

    #[test]
    fn topic_is_event_hash() {
        assert_eq!(
            CONFIG_UPDATE_TOPIC,
            keccak256("ConfigUpdate(uint256,uint8,bytes)")
        );
    }

    fn word(v: u64) -> [u8; 32] {
        B256::left_padding_from(&v.to_be_bytes()).0
    }

    fn log(kind: UpdateType, payload: &[[u8; 32]]) -> (Vec<B256>, Vec<u8>) {
        let mut data = word(32).to_vec();
        data.extend(word(32 * payload.len() as u64));
        for w in payload {
            data.extend(w);
        }
        (vec![CONFIG_UPDATE_TOPIC, B256::ZERO, kind.topic()], data)
    }

    #[test]
    fn rejects_like_op_node() {
        let (t, d) = log(UpdateType::GasLimit, &[word(7)]);
        assert_eq!(
            parse_config_update(&t, &d),
            Ok(SystemConfigUpdate::GasLimit(7))
        );
        assert_eq!(
            parse_config_update(&t[..2], &d),
            Err(ConfigUpdateError::TopicCount(2))
        );
        let mut bad = t.clone();
        bad[1] = B256::with_last_byte(1);
        assert!(matches!(
            parse_config_update(&bad, &d),
            Err(ConfigUpdateError::UnsupportedVersion(_))
        ));
        bad = t.clone();
        bad[2] = B256::with_last_byte(8);
        assert!(matches!(
            parse_config_update(&bad, &d),
            Err(ConfigUpdateError::UnknownUpdateType(_))
        ));
        let mut dd = d.clone();
        dd.push(0);
        assert!(matches!(
            parse_config_update(&t, &dd),
            Err(ConfigUpdateError::TrailingBytes { extra: 1, .. })
        ));
        assert!(matches!(
            parse_config_update(&t, &d[..95]),
            Err(ConfigUpdateError::Truncated { .. })
        ));
        let mut dd = d.clone();
        dd[64] = 1;
        assert!(matches!(
            parse_config_update(&t, &dd),
            Err(ConfigUpdateError::NonZeroPadding {
                field: Field::Payload,
                ..
            })
        ));
        let mut dd = d.clone();
        dd[31] = 64;
        assert!(matches!(
            parse_config_update(&t, &dd),
            Err(ConfigUpdateError::BadPointer { got: 64, .. })
        ));
        let mut dd = d;
        dd[63] = 64;
        assert!(matches!(
            parse_config_update(&t, &dd),
            Err(ConfigUpdateError::BadLength {
                expected: 32,
                got: 64,
                ..
            })
        ));
        // A malformed signer update is not an error.
        let (t, _) = log(UpdateType::UnsafeBlockSigner, &[]);
        assert_eq!(
            parse_config_update(&t, &[1, 2, 3]),
            Ok(SystemConfigUpdate::UnsafeBlockSigner(None))
        );
    }

    #[test]
    fn post_ecotone_invalid_scalar_is_skipped() {
        let mut cfg = SystemConfig {
            scalar: B256::with_last_byte(9),
            overhead: B256::with_last_byte(1),
            ..Default::default()
        };
        let mut bad_scalar = [0u8; 32];
        bad_scalar[0] = 2;
        let (t, d) = log(UpdateType::FeeScalars, &[word(5), bad_scalar]);
        assert_eq!(
            process_config_update_log(&mut cfg, &t, &d, true),
            Ok(Applied::Ignored)
        );
        assert_eq!(cfg.scalar, B256::with_last_byte(9));
        assert_eq!(
            process_config_update_log(&mut cfg, &t, &d, false),
            Ok(Applied::Updated)
        );
        assert_eq!(cfg.overhead, B256::with_last_byte(5));
    }
}
