//! Network upgrades (hardforks) and their activation times.
//!
//! Spec: protocol/superchain-upgrades.md, and each fork's `overview.md`.
//!
//! Every OP Stack fork after Bedrock activates by L2 block timestamp. A fork that is
//! active implies every fork before it is active; op-node enforces that ordering when it
//! loads a rollup config, and so does [`crate::rollup_config::RollupConfig::validate`].

use serde::{Deserialize, Serialize};

/// An OP Stack network upgrade, in activation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Hardfork {
    /// The Bedrock genesis rules.
    Bedrock,
    /// Spec: protocol/regolith/overview.md
    Regolith,
    /// Spec: protocol/canyon/overview.md
    Canyon,
    /// Spec: protocol/delta/overview.md (span batches)
    Delta,
    /// Spec: protocol/ecotone/overview.md (blobs, new L1-info format)
    Ecotone,
    /// Spec: protocol/fjord/overview.md (brotli, fixed drift, larger channels)
    Fjord,
    /// Spec: protocol/granite/overview.md (shorter channel timeout)
    Granite,
    /// Spec: protocol/holocene/overview.md (strict derivation, EIP-1559 params)
    Holocene,
    /// Spec: protocol/isthmus/overview.md (operator fee, EIP-7702 span batches)
    Isthmus,
    /// Spec: protocol/jovian/overview.md (min base fee, DA footprint)
    Jovian,
    /// Spec: protocol/karst/overview.md (experimental in the specs; scheduled in the
    /// superchain registry for OP Mainnet, OP Sepolia and Unichain).
    Karst,
    /// Interop (renamed Lagoon in op-node v1.19.1): not scheduled on any public chain.
    Interop,
}

impl Hardfork {
    /// All forks, oldest first.
    pub const ALL: [Self; 12] = [
        Self::Bedrock,
        Self::Regolith,
        Self::Canyon,
        Self::Delta,
        Self::Ecotone,
        Self::Fjord,
        Self::Granite,
        Self::Holocene,
        Self::Isthmus,
        Self::Jovian,
        Self::Karst,
        Self::Interop,
    ];

    /// The fork's lower-case name, as op-node logs and `rollup.json` keys use it
    /// (`<name>_time`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Bedrock => "bedrock",
            Self::Regolith => "regolith",
            Self::Canyon => "canyon",
            Self::Delta => "delta",
            Self::Ecotone => "ecotone",
            Self::Fjord => "fjord",
            Self::Granite => "granite",
            Self::Holocene => "holocene",
            Self::Isthmus => "isthmus",
            Self::Jovian => "jovian",
            Self::Karst => "karst",
            Self::Interop => "interop",
        }
    }
}

impl core::fmt::Display for Hardfork {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

/// Activation times of every fork after Bedrock, as `rollup.json` carries them.
///
/// `None` means the fork is not scheduled. A time at or before genesis means the fork
/// is active from genesis.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HardforkTimes {
    /// `regolith_time`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regolith_time: Option<u64>,
    /// `canyon_time`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canyon_time: Option<u64>,
    /// `delta_time`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_time: Option<u64>,
    /// `ecotone_time`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecotone_time: Option<u64>,
    /// `fjord_time`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fjord_time: Option<u64>,
    /// `granite_time`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granite_time: Option<u64>,
    /// `holocene_time`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holocene_time: Option<u64>,
    /// `pectra_blob_schedule_time`: not a fork of the L2 but a derivation switch for chains
    /// whose L1 activated Pectra before their Isthmus (Spec: protocol/pectra-blob-schedule).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pectra_blob_schedule_time: Option<u64>,
    /// `isthmus_time`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isthmus_time: Option<u64>,
    /// `jovian_time`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jovian_time: Option<u64>,
    /// `karst_time`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub karst_time: Option<u64>,
    /// `interop_time` (op-node v1.19.1 and later spell it `lagoon_time`)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interop_time: Option<u64>,
}

impl HardforkTimes {
    /// The activation time of `fork`; Bedrock is always active (time 0).
    pub const fn activation_time(&self, fork: Hardfork) -> Option<u64> {
        match fork {
            Hardfork::Bedrock => Some(0),
            Hardfork::Regolith => self.regolith_time,
            Hardfork::Canyon => self.canyon_time,
            Hardfork::Delta => self.delta_time,
            Hardfork::Ecotone => self.ecotone_time,
            Hardfork::Fjord => self.fjord_time,
            Hardfork::Granite => self.granite_time,
            Hardfork::Holocene => self.holocene_time,
            Hardfork::Isthmus => self.isthmus_time,
            Hardfork::Jovian => self.jovian_time,
            Hardfork::Karst => self.karst_time,
            Hardfork::Interop => self.interop_time,
        }
    }

    /// Every fork from Regolith through `last` active from genesis (time 0), the later ones
    /// unscheduled: the schedule of a dev chain that starts at `last`.
    pub fn all_through(last: Hardfork) -> Self {
        let mut t = Self::default();
        for fork in Hardfork::ALL {
            if fork > Hardfork::Bedrock && fork <= last {
                t.set(fork, Some(0));
            }
        }
        t
    }

    /// Sets `fork`'s activation time (`None`: unscheduled). Bedrock is always active and
    /// is left alone.
    pub fn set(&mut self, fork: Hardfork, time: Option<u64>) {
        let slot = match fork {
            Hardfork::Bedrock => return,
            Hardfork::Regolith => &mut self.regolith_time,
            Hardfork::Canyon => &mut self.canyon_time,
            Hardfork::Delta => &mut self.delta_time,
            Hardfork::Ecotone => &mut self.ecotone_time,
            Hardfork::Fjord => &mut self.fjord_time,
            Hardfork::Granite => &mut self.granite_time,
            Hardfork::Holocene => &mut self.holocene_time,
            Hardfork::Isthmus => &mut self.isthmus_time,
            Hardfork::Jovian => &mut self.jovian_time,
            Hardfork::Karst => &mut self.karst_time,
            Hardfork::Interop => &mut self.interop_time,
        };
        *slot = time;
    }

    /// Whether `fork` is active at L2 timestamp `timestamp`.
    pub const fn is_active(&self, fork: Hardfork, timestamp: u64) -> bool {
        match self.activation_time(fork) {
            Some(t) => timestamp >= t,
            None => false,
        }
    }

    /// Whether the L2 block at `timestamp` is the first block of `fork`: the fork is active
    /// at `timestamp` but not at `timestamp - block_time`. Upgrade transactions go into
    /// exactly this block. A fork active at genesis has no activation block after genesis.
    pub const fn is_activation_block(
        &self,
        fork: Hardfork,
        timestamp: u64,
        block_time: u64,
    ) -> bool {
        self.is_active(fork, timestamp)
            && timestamp >= block_time
            && !self.is_active(fork, timestamp - block_time)
    }

    /// The newest fork active at `timestamp`.
    pub fn active_fork(&self, timestamp: u64) -> Hardfork {
        let mut newest = Hardfork::Bedrock;
        for fork in Hardfork::ALL {
            if self.is_active(fork, timestamp) {
                newest = fork;
            }
        }
        newest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_through_schedules_exactly_the_forks_up_to_last() {
        let mut t = HardforkTimes::all_through(Hardfork::Holocene);
        for fork in Hardfork::ALL {
            let want = (fork <= Hardfork::Holocene).then_some(0);
            assert_eq!(t.activation_time(fork), want, "{fork}");
        }
        t.set(Hardfork::Holocene, Some(99));
        t.set(Hardfork::Bedrock, Some(5));
        assert_eq!(t.holocene_time, Some(99));
        assert_eq!(t.activation_time(Hardfork::Bedrock), Some(0));
    }
}
