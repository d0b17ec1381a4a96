//! `rollup.json`: parsing op-node's format and kona's superset.
//!
//! # Accepted keys
//!
//! op-node (`op-node/rollup/types.go`, v1.x through v1.19): `genesis` {`l1`, `l2`,
//! `l2_time`, `system_config`}, `block_time`, `max_sequencer_drift`, `seq_window_size`,
//! `channel_timeout`, `l1_chain_id`, `l2_chain_id`, `regolith_time`, `canyon_time`,
//! `delta_time`, `ecotone_time`, `fjord_time`, `granite_time`, `holocene_time`,
//! `pectra_blob_schedule_time`, `isthmus_time`, `jovian_time`, `karst_time`,
//! `keep_karst_upgrade_gas`, `interop_time` (renamed `lagoon_time` in v1.19.1; both are
//! read as the Interop fork), `batch_inbox_address`, `deposit_contract_address`,
//! `l1_system_config_address`, `protocol_versions_address`, `alt_da`
//! {`da_challenge_contract_address`, `da_commitment_type`, `da_challenge_window`,
//! `da_resolve_window`}, `chain_op_config` {`eip1559Elasticity`, `eip1559Denominator`,
//! `eip1559DenominatorCanyon`}; and the v1.7–v1.9 legacy alt-DA keys `plasma_config` (an
//! alias of `alt_da`), `use_plasma`, `da_challenge_contract_address`, `da_challenge_window`,
//! `da_resolve_window` (folded into `alt_da` as op-node's `validatePlasmaConfig` does).
//!
//! kona (`kona-genesis` `RollupConfig`): `granite_channel_timeout`,
//! `superchain_config_address`, `interop_message_expiry_window`, `blobs_data`,
//! `da_challenge_address` (top level and inside `alt_da`), `alt_da: null`, and the split
//! system-config fields (see [`crate::system_config`]).
//!
//! Every other key is an error naming it, as op-node's `DisallowUnknownFields` decoding did
//! (op-node v1.19.1 dropped that strictness; Keel keeps it so a misspelt fork time cannot
//! silently leave a fork unscheduled).
//!
//! Required keys: `genesis` with all four members, `block_time`, `seq_window_size`,
//! `channel_timeout`, `l1_chain_id`, `l2_chain_id`, `batch_inbox_address`,
//! `deposit_contract_address`, `l1_system_config_address`. A missing one is
//! [`ParseError::MissingField`]. Go's decoder would instead leave such a field zero and let
//! `Check()` fail on most of them; naming the field is clearer.
//!
//! A missing `chain_op_config` (old files, such as Base's 2023 `rollup.json`) is taken from
//! the built-in preset with the same L2 chain id, else the superchain standard values (see
//! [`super::ChainOpConfigOrigin`]), as op-node fills it from the superchain registry.

use alloy_primitives::Address;
use serde::Deserialize;

use super::{
    AltDaConfig, BlockId, ChainGenesis, ChainOpConfig, ChainOpConfigOrigin, CommitmentType,
    GRANITE_CHANNEL_TIMEOUT, KonaExtras, RollupConfig,
};
use crate::{
    hardfork::{Hardfork, HardforkTimes},
    system_config::SystemConfig,
};

/// Upper bound on the size of a `rollup.json` accepted by [`RollupConfig::from_json`]:
/// real files are about 2 KiB; this leaves room for whitespace and comments-free padding.
pub const MAX_ROLLUP_JSON_BYTES: usize = 1 << 20;

/// Why a `rollup.json` could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The input is larger than [`MAX_ROLLUP_JSON_BYTES`].
    #[error("rollup config is {0} bytes, more than the {MAX_ROLLUP_JSON_BYTES}-byte limit")]
    TooLarge(usize),
    /// Malformed JSON, a wrongly typed value, or an unknown field (the message names it).
    #[error("rollup config JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A required field is absent.
    #[error("rollup config is missing required field `{0}`")]
    MissingField(&'static str),
    /// Two spellings of the same field disagree.
    #[error("rollup config fields `{0}` and `{1}` disagree")]
    Conflict(&'static str, &'static str),
    /// `alt_da.da_commitment_type` is not `KeccakCommitment` or `GenericCommitment`.
    #[error("invalid alt_da commitment type {0:?}")]
    CommitmentType(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGenesis {
    l1: Option<BlockId>,
    l2: Option<BlockId>,
    l2_time: Option<u64>,
    system_config: Option<SystemConfig>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawChainOpConfig {
    eip1559_elasticity: u64,
    eip1559_denominator: u64,
    eip1559_denominator_canyon: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAltDa {
    #[serde(default, alias = "da_challenge_address")]
    da_challenge_contract_address: Option<Address>,
    #[serde(default)]
    da_commitment_type: Option<String>,
    #[serde(default)]
    da_challenge_window: Option<u64>,
    #[serde(default)]
    da_resolve_window: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRollupConfig {
    genesis: Option<RawGenesis>,
    block_time: Option<u64>,
    #[serde(default)]
    max_sequencer_drift: Option<u64>,
    seq_window_size: Option<u64>,
    channel_timeout: Option<u64>,
    l1_chain_id: Option<u64>,
    l2_chain_id: Option<u64>,
    #[serde(default)]
    regolith_time: Option<u64>,
    #[serde(default)]
    canyon_time: Option<u64>,
    #[serde(default)]
    delta_time: Option<u64>,
    #[serde(default)]
    ecotone_time: Option<u64>,
    #[serde(default)]
    fjord_time: Option<u64>,
    #[serde(default)]
    granite_time: Option<u64>,
    #[serde(default)]
    holocene_time: Option<u64>,
    #[serde(default)]
    pectra_blob_schedule_time: Option<u64>,
    #[serde(default)]
    isthmus_time: Option<u64>,
    #[serde(default)]
    jovian_time: Option<u64>,
    #[serde(default)]
    karst_time: Option<u64>,
    #[serde(default)]
    keep_karst_upgrade_gas: Option<bool>,
    #[serde(default)]
    interop_time: Option<u64>,
    #[serde(default)]
    lagoon_time: Option<u64>,
    batch_inbox_address: Option<Address>,
    deposit_contract_address: Option<Address>,
    l1_system_config_address: Option<Address>,
    #[serde(default)]
    protocol_versions_address: Option<Address>,
    #[serde(default, alias = "plasma_config")]
    alt_da: Option<RawAltDa>,
    // op-node v1.7–v1.9 legacy alt-DA ("plasma") keys.
    #[serde(default)]
    da_challenge_contract_address: Option<Address>,
    #[serde(default)]
    da_challenge_window: Option<u64>,
    #[serde(default)]
    da_resolve_window: Option<u64>,
    #[serde(default)]
    use_plasma: Option<bool>,
    #[serde(default)]
    chain_op_config: Option<RawChainOpConfig>,
    // kona's superset.
    #[serde(default)]
    granite_channel_timeout: Option<u64>,
    #[serde(default)]
    superchain_config_address: Option<Address>,
    #[serde(default)]
    interop_message_expiry_window: Option<u64>,
    #[serde(default)]
    blobs_data: Option<u64>,
    #[serde(default)]
    da_challenge_address: Option<Address>,
}

fn req<T>(v: Option<T>, name: &'static str) -> Result<T, ParseError> {
    v.ok_or(ParseError::MissingField(name))
}

fn convert_alt_da(raw: RawAltDa) -> Result<AltDaConfig, ParseError> {
    // op-node: "Defaults to Keccak (type 0) if not present" is the contract's view; its
    // `Check()` rejects any other string, including an empty one, so do we.
    let kind = raw.da_commitment_type.unwrap_or_default();
    let commitment_type = match kind.as_str() {
        "KeccakCommitment" => CommitmentType::Keccak,
        "GenericCommitment" => CommitmentType::Generic,
        _ => return Err(ParseError::CommitmentType(kind)),
    };
    Ok(AltDaConfig {
        da_challenge_address: raw.da_challenge_contract_address,
        commitment_type,
        da_challenge_window: raw.da_challenge_window.unwrap_or_default(),
        da_resolve_window: raw.da_resolve_window.unwrap_or_default(),
    })
}

/// op-node's `validatePlasmaConfig`: with `use_plasma`, the legacy top-level keys become a
/// keccak alt-DA config, or must equal the `alt_da`/`plasma_config` section if both exist.
/// Without `use_plasma` op-node ignores them, and so does Keel.
fn legacy_alt_da(raw: &RawRollupConfig) -> Result<Option<AltDaConfig>, ParseError> {
    let section = match &raw.alt_da {
        Some(a) => Some(convert_alt_da(RawAltDa {
            da_challenge_contract_address: a.da_challenge_contract_address,
            da_commitment_type: a.da_commitment_type.clone(),
            da_challenge_window: a.da_challenge_window,
            da_resolve_window: a.da_resolve_window,
        })?),
        None => None,
    };
    if raw.use_plasma != Some(true) {
        return Ok(section);
    }
    let legacy = AltDaConfig {
        da_challenge_address: raw.da_challenge_contract_address,
        commitment_type: CommitmentType::Keccak,
        da_challenge_window: raw.da_challenge_window.unwrap_or_default(),
        da_resolve_window: raw.da_resolve_window.unwrap_or_default(),
    };
    match section {
        None => Ok(Some(legacy)),
        Some(s) if s == legacy => Ok(Some(s)),
        Some(_) => Err(ParseError::Conflict("use_plasma", "alt_da")),
    }
}

impl TryFrom<RawRollupConfig> for RollupConfig {
    type Error = ParseError;

    fn try_from(raw: RawRollupConfig) -> Result<Self, ParseError> {
        let alt_da = legacy_alt_da(&raw)?;
        let g = req(raw.genesis, "genesis")?;
        let genesis = ChainGenesis {
            l1: req(g.l1, "genesis.l1")?,
            l2: req(g.l2, "genesis.l2")?,
            l2_time: req(g.l2_time, "genesis.l2_time")?,
            system_config: req(g.system_config, "genesis.system_config")?,
        };
        let interop_time = match (raw.interop_time, raw.lagoon_time) {
            (Some(a), Some(b)) if a != b => {
                return Err(ParseError::Conflict("interop_time", "lagoon_time"));
            }
            (a, b) => a.or(b),
        };
        if let (Some(a), Some(b)) = (raw.da_challenge_address, &raw.alt_da)
            && b.da_challenge_contract_address.is_some_and(|x| x != a)
        {
            return Err(ParseError::Conflict("da_challenge_address", "alt_da"));
        }
        let l2_chain_id = req(raw.l2_chain_id, "l2_chain_id")?;
        let (chain_op_config, chain_op_config_origin) = match raw.chain_op_config {
            Some(c) => (
                ChainOpConfig {
                    eip1559_elasticity: c.eip1559_elasticity,
                    eip1559_denominator: c.eip1559_denominator,
                    eip1559_denominator_canyon: c.eip1559_denominator_canyon,
                },
                ChainOpConfigOrigin::File,
            ),
            None => match crate::presets::preset_chain_op_config(l2_chain_id) {
                Some((name, c)) => (c, ChainOpConfigOrigin::Preset(name)),
                None => (
                    ChainOpConfig::default(),
                    ChainOpConfigOrigin::StandardDefault,
                ),
            },
        };
        let kona = KonaExtras {
            superchain_config_address: raw.superchain_config_address,
            interop_message_expiry_window: raw.interop_message_expiry_window,
            blobs_data: raw.blobs_data,
            da_challenge_address: raw.da_challenge_address,
        };
        let kona_written = raw.granite_channel_timeout.is_some() || kona != KonaExtras::default();
        let mut cfg = Self {
            genesis,
            block_time: req(raw.block_time, "block_time")?,
            max_sequencer_drift: raw.max_sequencer_drift.unwrap_or_default(),
            seq_window_size: req(raw.seq_window_size, "seq_window_size")?,
            channel_timeout: req(raw.channel_timeout, "channel_timeout")?,
            granite_channel_timeout: raw
                .granite_channel_timeout
                .unwrap_or(GRANITE_CHANNEL_TIMEOUT),
            l1_chain_id: req(raw.l1_chain_id, "l1_chain_id")?,
            l2_chain_id,
            hardforks: HardforkTimes {
                regolith_time: raw.regolith_time,
                canyon_time: raw.canyon_time,
                delta_time: raw.delta_time,
                ecotone_time: raw.ecotone_time,
                fjord_time: raw.fjord_time,
                granite_time: raw.granite_time,
                holocene_time: raw.holocene_time,
                pectra_blob_schedule_time: raw.pectra_blob_schedule_time,
                isthmus_time: raw.isthmus_time,
                jovian_time: raw.jovian_time,
                karst_time: raw.karst_time,
                interop_time,
            },
            keep_karst_upgrade_gas: raw.keep_karst_upgrade_gas.unwrap_or_default(),
            batch_inbox_address: req(raw.batch_inbox_address, "batch_inbox_address")?,
            deposit_contract_address: req(
                raw.deposit_contract_address,
                "deposit_contract_address",
            )?,
            l1_system_config_address: req(
                raw.l1_system_config_address,
                "l1_system_config_address",
            )?,
            protocol_versions_address: raw.protocol_versions_address,
            alt_da,
            chain_op_config,
            chain_op_config_origin,
            kona,
        };
        if kona_written {
            cfg.hardforks = implied_forks(cfg.hardforks);
        }
        Ok(cfg)
    }
}

/// kona reads a fork as active whenever a later fork is ("regolith is active if canyon
/// is"), and writes registry chains without `regolith_time`. For a kona-written file Keel
/// makes that reading explicit: an unset fork followed by a scheduled one gets the
/// successor's time. op-node's `Check()` would reject such a file instead.
///
/// Karst is never implied: the kona release that wrote these files predates it, and
/// activating Karst's EVM changes because an Interop time is set would be a guess; such a
/// file fails [`RollupConfig::validate`] instead.
fn implied_forks(mut times: HardforkTimes) -> HardforkTimes {
    let mut next: Option<u64> = None;
    for fork in Hardfork::ALL.into_iter().rev() {
        match times.activation_time(fork) {
            Some(t) => next = Some(t),
            None if fork == Hardfork::Karst => next = None,
            None => set_time(&mut times, fork, next),
        }
    }
    times
}

fn set_time(times: &mut HardforkTimes, fork: Hardfork, time: Option<u64>) {
    let slot = match fork {
        Hardfork::Bedrock => return,
        Hardfork::Regolith => &mut times.regolith_time,
        Hardfork::Canyon => &mut times.canyon_time,
        Hardfork::Delta => &mut times.delta_time,
        Hardfork::Ecotone => &mut times.ecotone_time,
        Hardfork::Fjord => &mut times.fjord_time,
        Hardfork::Granite => &mut times.granite_time,
        Hardfork::Holocene => &mut times.holocene_time,
        Hardfork::Isthmus => &mut times.isthmus_time,
        Hardfork::Jovian => &mut times.jovian_time,
        Hardfork::Karst => &mut times.karst_time,
        Hardfork::Interop => &mut times.interop_time,
    };
    *slot = time;
}

impl RollupConfig {
    /// Parses a `rollup.json` (op-node's format or kona's superset; see the module docs).
    /// Does not [`validate`](Self::validate).
    ///
    /// Spec: protocol/rollup-node.md
    pub fn from_json(json: &[u8]) -> Result<Self, ParseError> {
        if json.len() > MAX_ROLLUP_JSON_BYTES {
            return Err(ParseError::TooLarge(json.len()));
        }
        let raw: RawRollupConfig = serde_json::from_slice(json)?;
        raw.try_into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{
      "genesis": {
        "l1": {"hash": "0x0000000000000000000000000000000000000000000000000000000000000001", "number": 1},
        "l2": {"hash": "0x0000000000000000000000000000000000000000000000000000000000000002", "number": 0},
        "l2_time": 100,
        "system_config": {"batcherAddr": "0x0000000000000000000000000000000000000003",
          "overhead": "0x0000000000000000000000000000000000000000000000000000000000000000",
          "scalar": "0x0000000000000000000000000000000000000000000000000000000000000004",
          "gasLimit": 30000000}
      },
      "block_time": 2, "max_sequencer_drift": 600, "seq_window_size": 3600,
      "channel_timeout": 300, "l1_chain_id": 900, "l2_chain_id": 901,
      "batch_inbox_address": "0x0000000000000000000000000000000000000005",
      "deposit_contract_address": "0x0000000000000000000000000000000000000006",
      "l1_system_config_address": "0x0000000000000000000000000000000000000007"
    }"#;

    #[test]
    fn minimal_parses_validates_and_round_trips() {
        let cfg = RollupConfig::from_json(MINIMAL.as_bytes()).unwrap();
        cfg.validate().unwrap();
        assert_eq!(
            cfg.chain_op_config_origin,
            ChainOpConfigOrigin::StandardDefault
        );
        let again = RollupConfig::from_json(cfg.to_json().as_bytes()).unwrap();
        assert_eq!(again.chain_op_config_origin, ChainOpConfigOrigin::File);
        assert_eq!(
            RollupConfig {
                chain_op_config_origin: ChainOpConfigOrigin::File,
                ..cfg
            },
            again
        );
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        let unknown = MINIMAL.replacen("\"block_time\"", "\"blok_time\": 1, \"block_time\"", 1);
        let err = RollupConfig::from_json(unknown.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("blok_time"), "{err}");
        let missing = MINIMAL.replacen("\"channel_timeout\": 300,", "", 1);
        let err = RollupConfig::from_json(missing.as_bytes()).unwrap_err();
        assert!(
            matches!(err, ParseError::MissingField("channel_timeout")),
            "{err}"
        );
        let nested = MINIMAL.replacen("\"l2_time\": 100,", "\"l2_time\": 100, \"extra\": 1,", 1);
        let err = RollupConfig::from_json(nested.as_bytes())
            .unwrap_err()
            .to_string();
        assert!(err.contains("extra"), "{err}");
    }

    #[test]
    fn lagoon_is_interop_and_conflicts_are_errors() {
        let j = MINIMAL.replacen("\"block_time\"", "\"lagoon_time\": 9, \"block_time\"", 1);
        assert_eq!(
            RollupConfig::from_json(j.as_bytes())
                .unwrap()
                .hardforks
                .interop_time,
            Some(9)
        );
        let j = j.replacen("\"block_time\"", "\"interop_time\": 8, \"block_time\"", 1);
        assert!(matches!(
            RollupConfig::from_json(j.as_bytes()),
            Err(ParseError::Conflict(..))
        ));
    }

    #[test]
    fn legacy_plasma_keys() {
        let j = MINIMAL.replacen(
            "\"block_time\"",
            "\"use_plasma\": true, \"da_challenge_contract_address\": \"0x0000000000000000000000000000000000000009\", \"da_challenge_window\": 5, \"da_resolve_window\": 6, \"block_time\"",
            1,
        );
        let cfg = RollupConfig::from_json(j.as_bytes()).unwrap();
        let alt = cfg.alt_da.unwrap();
        assert_eq!(alt.commitment_type, CommitmentType::Keccak);
        assert_eq!((alt.da_challenge_window, alt.da_resolve_window), (5, 6));
        cfg.validate().unwrap();
        let again = RollupConfig::from_json(cfg.to_json().as_bytes()).unwrap();
        assert_eq!(again.alt_da, cfg.alt_da);
        let clash = j.replacen(
            "\"block_time\"",
            "\"plasma_config\": {\"da_commitment_type\": \"GenericCommitment\"}, \"block_time\"",
            1,
        );
        assert!(matches!(
            RollupConfig::from_json(clash.as_bytes()),
            Err(ParseError::Conflict(..))
        ));
    }

    #[test]
    fn implied_forks_fill_backwards() {
        let t = implied_forks(HardforkTimes {
            canyon_time: Some(5),
            ecotone_time: Some(7),
            ..Default::default()
        });
        assert_eq!(
            (t.regolith_time, t.delta_time, t.fjord_time),
            (Some(5), Some(7), None)
        );
    }
}
