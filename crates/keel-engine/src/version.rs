//! Which Engine API method version to call, by fork, exactly as op-node chooses.
//!
//! Spec: protocol/exec-engine.md#engine-api-usage, protocol/ecotone/exec-engine.md (V3
//! methods, parent beacon block root), protocol/isthmus/exec-engine.md#engine_newpayloadv4-api;
//! op-node `rollup.Config.{ForkchoiceUpdatedVersion, NewPayloadVersion, GetPayloadVersion}`.

use keel_protocol::hardfork::{Hardfork, HardforkTimes};

/// An Engine API method at a given version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EngineMethod {
    /// `engine_forkchoiceUpdatedV1` (pre-Canyon with attributes).
    ForkchoiceUpdatedV1,
    /// `engine_forkchoiceUpdatedV2` (Canyon/Delta: Shanghai withdrawals).
    ForkchoiceUpdatedV2,
    /// `engine_forkchoiceUpdatedV3` (Ecotone on, and every call without attributes).
    ForkchoiceUpdatedV3,
    /// `engine_newPayloadV2`.
    NewPayloadV2,
    /// `engine_newPayloadV3` (Ecotone: versioned hashes and parent beacon block root).
    NewPayloadV3,
    /// `engine_newPayloadV4` (Isthmus: execution requests, `withdrawalsRoot` in the payload).
    NewPayloadV4,
    /// `engine_getPayloadV2`.
    GetPayloadV2,
    /// `engine_getPayloadV3`.
    GetPayloadV3,
    /// `engine_getPayloadV4`.
    GetPayloadV4,
}

impl EngineMethod {
    /// The JSON-RPC method name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ForkchoiceUpdatedV1 => "engine_forkchoiceUpdatedV1",
            Self::ForkchoiceUpdatedV2 => "engine_forkchoiceUpdatedV2",
            Self::ForkchoiceUpdatedV3 => "engine_forkchoiceUpdatedV3",
            Self::NewPayloadV2 => "engine_newPayloadV2",
            Self::NewPayloadV3 => "engine_newPayloadV3",
            Self::NewPayloadV4 => "engine_newPayloadV4",
            Self::GetPayloadV2 => "engine_getPayloadV2",
            Self::GetPayloadV3 => "engine_getPayloadV3",
            Self::GetPayloadV4 => "engine_getPayloadV4",
        }
    }
}

impl core::fmt::Display for EngineMethod {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `engine_forkchoiceUpdated` version for a call carrying attributes with timestamp
/// `attributes_timestamp`, or none. Without attributes op-node always uses V3 (no build
/// starts, so no fork-specific fields are sent); with attributes: Ecotone V3, Canyon V2,
/// before Canyon V1 (op-geth refuses V2 before Shanghai).
pub const fn forkchoice_updated_version(
    forks: &HardforkTimes,
    attributes_timestamp: Option<u64>,
) -> EngineMethod {
    match attributes_timestamp {
        None => EngineMethod::ForkchoiceUpdatedV3,
        Some(ts) if forks.is_active(Hardfork::Ecotone, ts) => EngineMethod::ForkchoiceUpdatedV3,
        Some(ts) if forks.is_active(Hardfork::Canyon, ts) => EngineMethod::ForkchoiceUpdatedV2,
        Some(_) => EngineMethod::ForkchoiceUpdatedV1,
    }
}

/// `engine_newPayload` version for a payload with timestamp `timestamp`: Isthmus V4,
/// Ecotone V3, else V2.
pub const fn new_payload_version(forks: &HardforkTimes, timestamp: u64) -> EngineMethod {
    if forks.is_active(Hardfork::Isthmus, timestamp) {
        EngineMethod::NewPayloadV4
    } else if forks.is_active(Hardfork::Ecotone, timestamp) {
        EngineMethod::NewPayloadV3
    } else {
        EngineMethod::NewPayloadV2
    }
}

/// `engine_getPayload` version for a payload being built at `timestamp`: Isthmus V4,
/// Ecotone V3, else V2.
pub const fn get_payload_version(forks: &HardforkTimes, timestamp: u64) -> EngineMethod {
    if forks.is_active(Hardfork::Isthmus, timestamp) {
        EngineMethod::GetPayloadV4
    } else if forks.is_active(Hardfork::Ecotone, timestamp) {
        EngineMethod::GetPayloadV3
    } else {
        EngineMethod::GetPayloadV2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forks() -> HardforkTimes {
        HardforkTimes {
            regolith_time: Some(0),
            canyon_time: Some(100),
            delta_time: Some(100),
            ecotone_time: Some(200),
            fjord_time: Some(200),
            granite_time: Some(200),
            holocene_time: Some(300),
            isthmus_time: Some(400),
            jovian_time: Some(500),
            ..Default::default()
        }
    }

    #[test]
    fn forkchoice_versions_by_fork_boundary() {
        let f = forks();
        assert_eq!(
            forkchoice_updated_version(&f, None),
            EngineMethod::ForkchoiceUpdatedV3
        );
        assert_eq!(
            forkchoice_updated_version(&f, Some(99)),
            EngineMethod::ForkchoiceUpdatedV1
        );
        assert_eq!(
            forkchoice_updated_version(&f, Some(100)),
            EngineMethod::ForkchoiceUpdatedV2
        );
        assert_eq!(
            forkchoice_updated_version(&f, Some(199)),
            EngineMethod::ForkchoiceUpdatedV2
        );
        assert_eq!(
            forkchoice_updated_version(&f, Some(200)),
            EngineMethod::ForkchoiceUpdatedV3
        );
        assert_eq!(
            forkchoice_updated_version(&f, Some(600)),
            EngineMethod::ForkchoiceUpdatedV3
        );
    }

    #[test]
    fn payload_versions_by_fork_boundary() {
        let f = forks();
        for (ts, np, gp) in [
            (0, EngineMethod::NewPayloadV2, EngineMethod::GetPayloadV2),
            (199, EngineMethod::NewPayloadV2, EngineMethod::GetPayloadV2),
            (200, EngineMethod::NewPayloadV3, EngineMethod::GetPayloadV3),
            (399, EngineMethod::NewPayloadV3, EngineMethod::GetPayloadV3),
            (400, EngineMethod::NewPayloadV4, EngineMethod::GetPayloadV4),
            (900, EngineMethod::NewPayloadV4, EngineMethod::GetPayloadV4),
        ] {
            assert_eq!(new_payload_version(&f, ts), np, "ts {ts}");
            assert_eq!(get_payload_version(&f, ts), gp, "ts {ts}");
        }
        assert_eq!(EngineMethod::NewPayloadV4.as_str(), "engine_newPayloadV4");
    }
}
