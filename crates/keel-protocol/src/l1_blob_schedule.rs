//! L1's blob parameters over time, for the L1 chains Keel knows.
//!
//! The L1-attributes deposit carries the L1 origin's blob base fee, which L1 computes from
//! the header's `excess_blob_gas` with the blob parameters in force at that block: Cancun's
//! update fraction, then Prague's, then whatever each blob-parameter-only (BPO) fork of
//! EIP-7892 sets. The header alone cannot tell a BPO fork from Prague, so op-node reads the
//! schedule from the L1 chain config; Keel does the same for the public L1s, with the fork
//! times from `alloy-hardforks` and the parameters from `alloy-eips`. For another L1 (a
//! devnet), the caller passes the parameters in, or the header-based inference of
//! [`crate::l1_info::L1Origin::from_header`] applies.
//!
//! Spec: protocol/ecotone/l1-attributes.md (blob base fee), protocol/pectra-blob-schedule
//! (which schedule an origin uses); EIP-7840, EIP-7892.

use alloy_eips::eip7840::BlobParams;
use alloy_hardforks::ethereum::{holesky, hoodi, mainnet, sepolia};

/// Activation times of L1's blob parameter changes, oldest first.
fn schedule(l1_chain_id: u64) -> Option<[(u64, BlobParams); 5]> {
    let at = |cancun, prague, osaka, bpo1, bpo2| {
        [
            (cancun, BlobParams::cancun()),
            (prague, BlobParams::prague()),
            (osaka, BlobParams::osaka()),
            (bpo1, BlobParams::bpo1()),
            (bpo2, BlobParams::bpo2()),
        ]
    };
    Some(match l1_chain_id {
        1 => at(
            mainnet::MAINNET_CANCUN_TIMESTAMP,
            mainnet::MAINNET_PRAGUE_TIMESTAMP,
            mainnet::MAINNET_OSAKA_TIMESTAMP,
            mainnet::MAINNET_BPO1_TIMESTAMP,
            mainnet::MAINNET_BPO2_TIMESTAMP,
        ),
        11_155_111 => at(
            sepolia::SEPOLIA_CANCUN_TIMESTAMP,
            sepolia::SEPOLIA_PRAGUE_TIMESTAMP,
            sepolia::SEPOLIA_OSAKA_TIMESTAMP,
            sepolia::SEPOLIA_BPO1_TIMESTAMP,
            sepolia::SEPOLIA_BPO2_TIMESTAMP,
        ),
        17_000 => at(
            holesky::HOLESKY_CANCUN_TIMESTAMP,
            holesky::HOLESKY_PRAGUE_TIMESTAMP,
            holesky::HOLESKY_OSAKA_TIMESTAMP,
            holesky::HOLESKY_BPO1_TIMESTAMP,
            holesky::HOLESKY_BPO2_TIMESTAMP,
        ),
        // Hoodi started with Cancun active at genesis.
        560_048 => at(
            0,
            hoodi::HOODI_PRAGUE_TIMESTAMP,
            hoodi::HOODI_OSAKA_TIMESTAMP,
            hoodi::HOODI_BPO1_TIMESTAMP,
            hoodi::HOODI_BPO2_TIMESTAMP,
        ),
        _ => return None,
    })
}

/// The blob parameters L1 chain `l1_chain_id` used for its block at `l1_timestamp`, if Keel
/// knows that chain's schedule and blobs existed then.
pub fn known_l1_blob_params(l1_chain_id: u64, l1_timestamp: u64) -> Option<BlobParams> {
    schedule(l1_chain_id)?
        .into_iter()
        .rev()
        .find(|(t, _)| l1_timestamp >= *t)
        .map(|(_, params)| params)
}

/// When L1 chain `l1_chain_id` activated Osaka (from which its transaction pools take blob
/// transactions only with EIP-7594 cell proofs), if Keel knows that chain.
pub fn known_l1_osaka_time(l1_chain_id: u64) -> Option<u64> {
    schedule(l1_chain_id)?
        .into_iter()
        .find(|(_, params)| *params == BlobParams::osaka())
        .map(|(t, _)| t)
}

/// Whether Keel knows the blob schedule of L1 chain `l1_chain_id`.
pub fn is_known_l1(l1_chain_id: u64) -> bool {
    schedule(l1_chain_id).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osaka_times_of_the_public_l1s() {
        assert_eq!(
            known_l1_osaka_time(1),
            Some(mainnet::MAINNET_OSAKA_TIMESTAMP)
        );
        assert_eq!(
            known_l1_osaka_time(11_155_111),
            Some(sepolia::SEPOLIA_OSAKA_TIMESTAMP)
        );
        assert_eq!(known_l1_osaka_time(900), None);
    }

    #[test]
    fn mainnet_follows_each_fork() {
        let p = |t| known_l1_blob_params(1, t).map(|p| p.update_fraction);
        assert_eq!(p(mainnet::MAINNET_CANCUN_TIMESTAMP - 1), None);
        assert_eq!(p(mainnet::MAINNET_CANCUN_TIMESTAMP), Some(3_338_477));
        assert_eq!(p(mainnet::MAINNET_PRAGUE_TIMESTAMP), Some(5_007_716));
        assert_eq!(p(mainnet::MAINNET_OSAKA_TIMESTAMP), Some(5_007_716));
        assert_eq!(p(mainnet::MAINNET_BPO1_TIMESTAMP - 1), Some(5_007_716));
        assert_eq!(p(mainnet::MAINNET_BPO1_TIMESTAMP), Some(8_346_193));
        assert_eq!(p(mainnet::MAINNET_BPO2_TIMESTAMP), Some(11_684_671));
        assert_eq!(p(u64::MAX), Some(11_684_671));
    }

    #[test]
    fn unknown_l1_has_no_schedule() {
        assert!(known_l1_blob_params(900, 2_000_000_000).is_none());
        assert!(!is_known_l1(900));
        assert!(is_known_l1(11_155_111));
    }
}
