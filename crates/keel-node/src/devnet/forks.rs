//! The devnet's fork schedule: every fork through the newest one asked for, at genesis or
//! one after another, so a user can watch each activation block (its upgrade transactions,
//! the new L1-info format, the new batch rules) happen on a live chain.
//!
//! Canyon (with Regolith) is always active at genesis: the dev L2 genesis starts no earlier
//! (keel-devchain's genesis refuses Bedrock and Regolith genesis blocks). Spec:
//! protocol/superchain-upgrades.md.

use keel_protocol::hardfork::{Hardfork, HardforkTimes};

/// The forks that can activate after genesis, in activation order.
pub const STAGGERED: [Hardfork; 7] = [
    Hardfork::Delta,
    Hardfork::Ecotone,
    Hardfork::Fjord,
    Hardfork::Granite,
    Hardfork::Holocene,
    Hardfork::Isthmus,
    Hardfork::Jovian,
];

/// Why a fork schedule was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForkScheduleError {
    /// The newest fork is not one the devnet can run.
    #[error("the devnet runs Canyon through Jovian; `{0}` is not one of them")]
    Unsupported(String),
}

/// Parses a fork name as `--hardforks.last` takes it (`canyon` … `jovian`).
pub fn parse_last_fork(s: &str) -> Result<Hardfork, ForkScheduleError> {
    let fork = Hardfork::ALL
        .into_iter()
        .find(|f| f.name() == s.to_ascii_lowercase())
        .ok_or_else(|| ForkScheduleError::Unsupported(s.to_owned()))?;
    if fork == Hardfork::Canyon || STAGGERED.contains(&fork) {
        Ok(fork)
    } else {
        Err(ForkScheduleError::Unsupported(s.to_owned()))
    }
}

/// Fork offsets from genesis (seconds; 0 = at genesis): Regolith and Canyon at genesis,
/// then each fork after Canyon up to `last` — all at genesis when `stagger` is 0, else the
/// k-th of them `k × stagger` seconds after genesis. Forks after `last` are not scheduled.
pub fn fork_offsets(last: Hardfork, stagger: u64) -> HardforkTimes {
    let mut t = HardforkTimes::all_through(Hardfork::Canyon);
    for (k, fork) in (1u64..).zip(STAGGERED) {
        if fork > last {
            break;
        }
        t.set(fork, Some(stagger.saturating_mul(k)));
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_at_genesis_is_the_default_devnet() {
        assert_eq!(
            fork_offsets(Hardfork::Jovian, 0),
            super::super::jovian_at_genesis()
        );
    }

    #[test]
    fn staggered_forks_come_one_after_another_and_stop_at_last() {
        let t = fork_offsets(Hardfork::Holocene, 10);
        assert_eq!(t.canyon_time, Some(0));
        assert_eq!(t.delta_time, Some(10));
        assert_eq!(t.ecotone_time, Some(20));
        assert_eq!(t.holocene_time, Some(50));
        assert_eq!(t.isthmus_time, None);
        assert_eq!(t.jovian_time, None);
        assert_eq!(fork_offsets(Hardfork::Canyon, 10).delta_time, None);
    }

    #[test]
    fn last_fork_names() {
        assert_eq!(parse_last_fork("Isthmus"), Ok(Hardfork::Isthmus));
        assert_eq!(parse_last_fork("canyon"), Ok(Hardfork::Canyon));
        assert!(parse_last_fork("regolith").is_err());
        assert!(parse_last_fork("karst").is_err());
        assert!(parse_last_fork("pizza").is_err());
    }
}
