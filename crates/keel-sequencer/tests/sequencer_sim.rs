//! The sequencer driven through whole chains with a fake clock, an in-memory L1 and a fake
//! engine: drift, confirmation depth, epochs with deposits and config updates, fork
//! activation blocks, L1 reorgs, engine faults, stop / start, recovery mode, the seal
//! schedule and catch-up.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::collections::HashMap;

use common::*;
use keel_derive::error::ErrorClass;
use keel_protocol::hardfork::Hardfork;
use keel_sequencer::{
    attributes::NoTxPoolReason,
    error::SequencerError,
    origin::WaitReason,
    sequencer::{ControlError, EngineFault, SequencerAction, SequencerConfig},
};

fn conf(confs: u64) -> SequencerConfig {
    SequencerConfig {
        l1_confs: confs,
        ..Default::default()
    }
}

fn ms(s: u64) -> u64 {
    s * 1000
}

#[test]
fn steady_chain_follows_l1_and_seals_before_each_slot() {
    let mut w = World::new(forks_through("holocene"), conf(0));
    w.fill_l1(12, T0 + 400);
    w.run_until(ms(T0 + 300));
    w.check_chain_rules();
    let chain = w.chain();
    assert!(chain.len() >= 149, "{}", chain.len());
    // Every block sealed no later than its slot, and pool transactions allowed.
    for p in &w.produced {
        assert!(
            p.sealed_ms <= ms(p.block.timestamp),
            "late seal {:?}",
            p.block
        );
        assert_eq!(p.attributes.no_tx_pool, None);
        assert_eq!(p.attributes.prepared.attributes.no_tx_pool, Some(false));
    }
    // The origin follows L1 closely: adopted as soon as L2 time reaches it and it is seen
    // (an L1 block appears at its timestamp; the L2 block is built a block time early).
    for b in &chain[1..] {
        let origin = w.l1_block_by_hash(&b.l1_origin.hash).unwrap();
        assert!(b.timestamp - origin.header.timestamp < 12 + 2, "{b:?}");
    }
}

#[test]
fn origin_is_kept_until_the_drift_then_the_sequencer_waits_and_says_why() {
    // Pre-Fjord: drift 600 s. L1 stalls after its genesis block.
    let mut w = World::new(forks_through("ecotone"), conf(0));
    w.run_until(ms(T0 + 700));
    let head = w.seq.unsafe_head().unwrap();
    assert_eq!(
        head.timestamp,
        T0 + 600,
        "built up to the drift limit, not past it"
    );
    assert!(w.chain().iter().all(|b| b.l1_origin.number == L1_START));
    let (_, last) = w.actions.last().unwrap();
    assert_eq!(
        *last,
        SequencerAction::WaitForL1 {
            reason: WaitReason::NextOriginUnavailable {
                number: L1_START + 1,
                l2_time: T0 + 602,
                drift_limit: T0 + 600,
            },
            until_ms: last_until(last),
        }
    );
    // L1 comes back with a block at T0 + 700: L2 resumes past the drift with empty blocks
    // on the old origin (its successor is still in the future), then moves on.
    w.push_l1(700, vec![]);
    w.fill_l1(12, T0 + 1000);
    w.run_until(ms(T0 + 900));
    w.check_chain_rules();
    let chain = w.chain();
    let b = chain.iter().find(|b| b.timestamp == T0 + 650).unwrap();
    assert_eq!(b.l1_origin.number, L1_START);
    let p = w.produced.iter().find(|p| p.block == *b).unwrap();
    assert!(matches!(
        p.attributes.no_tx_pool,
        Some(NoTxPoolReason::DriftExceeded { .. })
    ));
    let b = chain.iter().find(|b| b.timestamp == T0 + 700).unwrap();
    assert_eq!(b.l1_origin.number, L1_START + 1);
}

fn last_until(a: &SequencerAction) -> u64 {
    match a {
        SequencerAction::WaitForL1 { until_ms, .. } => *until_ms,
        _ => panic!("not a wait"),
    }
}

#[test]
fn fjord_drift_is_1800_seconds() {
    let mut w = World::new(forks_through("fjord"), conf(0));
    w.run_until(ms(T0 + 1900));
    assert_eq!(w.seq.unsafe_head().unwrap().timestamp, T0 + 1800);
    w.check_chain_rules();
}

#[test]
fn confirmation_depth_delays_origins() {
    let mut w = World::new(forks_through("holocene"), conf(4));
    w.fill_l1(12, T0 + 600);
    w.run_until(ms(T0 + 500));
    w.check_chain_rules();
    let mut lag_seen = false;
    for p in &w.produced {
        let n = p.block.l1_origin.number;
        if n > L1_START {
            assert!(n + 4 <= p.l1_head_at_build, "unconfirmed origin {n}");
        }
        lag_seen |= p.block.timestamp
            - w.l1_block_by_hash(&p.block.l1_origin.hash)
                .unwrap()
                .header
                .timestamp
            >= 48;
    }
    assert!(lag_seen, "origins lag by the depth");
}

#[test]
fn epoch_change_carries_deposits_and_config_updates_through_the_shared_builder() {
    let mut w = World::new(forks_through("jovian"), conf(0));
    w.push_l1(12, vec![]);
    let with_logs = w.push_l1(
        12,
        vec![
            receipt(vec![deposit_log(1), deposit_log(2)]),
            receipt(vec![gas_limit_log(45_000_000)]),
        ],
    );
    w.fill_l1(12, T0 + 200);
    w.run_until(ms(T0 + 100));
    w.check_chain_rules();
    let first: Vec<_> = w
        .produced
        .iter()
        .filter(|p| p.block.l1_origin.hash == with_logs.hash)
        .collect();
    assert!(first.len() > 2);
    let p0 = first[0];
    assert_eq!(p0.block.sequence_number, 0);
    assert_eq!(p0.attributes.prepared.deposit_count, 2);
    assert_eq!(
        p0.attributes
            .prepared
            .attributes
            .transactions
            .as_ref()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        p0.attributes.prepared.attributes.gas_limit,
        Some(45_000_000)
    );
    // Later blocks of the epoch: no deposits, the updated config carried from the head.
    let p1 = first[1];
    assert_eq!(p1.block.sequence_number, 1);
    assert_eq!(p1.attributes.prepared.deposit_count, 0);
    assert_eq!(
        p1.attributes.prepared.attributes.gas_limit,
        Some(45_000_000)
    );
    assert_eq!(
        p1.attributes
            .prepared
            .attributes
            .transactions
            .as_ref()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn upgrade_blocks_carry_no_pool_transactions_where_the_spec_says_so() {
    for (i, fork) in ORDER.iter().enumerate().skip(3) {
        let mut forks = forks_through(ORDER[i - 1]);
        let act = 20; // seconds after genesis
        set_fork(&mut forks, fork, Some(T0 + act));
        let mut w = World::new(forks, conf(0));
        w.fill_l1(12, T0 + 100);
        w.run_until(ms(T0 + 60));
        w.check_chain_rules();
        let hf = keel_protocol::hardfork::Hardfork::ALL
            .into_iter()
            .find(|h| h.name() == *fork)
            .unwrap();
        let expect_empty = matches!(
            hf,
            Hardfork::Ecotone | Hardfork::Fjord | Hardfork::Isthmus | Hardfork::Jovian
        );
        for p in &w.produced {
            let at_activation = p.block.timestamp == T0 + act;
            let want = (at_activation && expect_empty).then_some(NoTxPoolReason::UpgradeBlock(hf));
            assert_eq!(
                p.attributes.no_tx_pool, want,
                "{fork} at {}",
                p.block.timestamp
            );
        }
        assert!(
            w.produced.iter().any(|p| p.block.timestamp == T0 + act),
            "{fork}"
        );
    }
}

#[test]
fn l1_reorg_of_the_current_origin_resets_and_rebuilds_on_canonical_origins() {
    let mut w = World::new(forks_through("holocene"), conf(0));
    w.fill_l1(12, T0 + 400);
    w.run_until(ms(T0 + 100));
    let head = w.seq.unsafe_head().unwrap();
    let origin = head.l1_origin.number;
    // L1 replaces the head's origin and everything above it.
    w.reorg_l1_above(origin - 1);
    w.run_until(ms(T0 + 200));
    assert!(w.resets >= 1, "a reset was asked for");
    w.check_chain_rules();
    for b in w.chain().iter().skip(1) {
        let canonical = &w.l1[(b.l1_origin.number - L1_START) as usize];
        assert_eq!(
            canonical.header.hash(),
            b.l1_origin.hash,
            "block {} on a stale origin",
            b.number
        );
    }
    assert!(w.seq.unsafe_head().unwrap().timestamp >= T0 + 190);
}

#[test]
fn invalid_attributes_retry_deposits_only_then_halt() {
    let mut w = World::new(forks_through("holocene"), conf(0));
    w.fill_l1(12, T0 + 200);
    w.run_until(ms(T0 + 10));
    w.engine_faults.push_back(EngineFault::InvalidAttributes);
    w.run_until(ms(T0 + 40));
    w.check_chain_rules();
    let retried: Vec<_> = w
        .produced
        .iter()
        .filter(|p| p.attributes.no_tx_pool == Some(NoTxPoolReason::DepositsOnlyRetry))
        .collect();
    assert_eq!(retried.len(), 1);
    // Refused twice: the deposits-only block cannot be built, derivation would fail too.
    w.engine_faults.push_back(EngineFault::InvalidPayload);
    w.engine_faults.push_back(EngineFault::InvalidAttributes);
    w.run_until(ms(T0 + 80));
    let err = w.seq.halted().unwrap();
    assert!(matches!(err, SequencerError::DepositsOnlyRejected { .. }));
    assert_eq!(err.class(), ErrorClass::Critical);
    assert!(!w.seq.is_active());
}

#[test]
fn engine_syncing_and_down_back_off_then_catch_up_without_gaps() {
    let mut w = World::new(forks_through("holocene"), conf(0));
    w.fill_l1(12, T0 + 400);
    w.run_until(ms(T0 + 10));
    for f in [
        EngineFault::Syncing,
        EngineFault::Unavailable,
        EngineFault::Unavailable,
        EngineFault::Syncing,
    ] {
        w.engine_faults.push_back(f);
    }
    w.run_until(ms(T0 + 100));
    w.check_chain_rules();
    // Back-offs of 1, 2, 4 and 8 s were taken (a wait cut short by an L1 head is asked
    // again with the same deadline: count each deadline once, from its first ask).
    let mut backoffs: Vec<u64> = vec![];
    let mut deadlines = std::collections::HashSet::new();
    for (t, a) in &w.actions {
        if let SequencerAction::Wait {
            until_ms,
            cause: keel_sequencer::sequencer::WaitCause::Backoff,
        } = a
            && deadlines.insert(*until_ms)
        {
            backoffs.push(until_ms - t);
        }
    }
    assert_eq!(backoffs, [1000, 2000, 4000, 8000]);
    assert!(w.seq.unsafe_head().unwrap().timestamp >= T0 + 98);
    // One block per timestamp.
    let mut per_ts = HashMap::new();
    for p in &w.produced {
        *per_ts.entry(p.block.timestamp).or_insert(0) += 1;
    }
    assert!(per_ts.values().all(|n| *n == 1));
}

#[test]
fn catch_up_after_a_stall_builds_every_timestamp_as_fast_as_allowed() {
    let mut w = World::new(forks_through("holocene"), conf(0));
    w.fill_l1(12, T0 + 400);
    w.run_until(ms(T0 + 20));
    // The node was suspended for a minute.
    w.now = ms(T0 + 80);
    w.run_until(ms(T0 + 90));
    w.check_chain_rules();
    let head = w.seq.unsafe_head().unwrap();
    assert_eq!(head.timestamp, T0 + 90);
    // The catch-up blocks were sealed back to back (one seal duration apart).
    let late: Vec<_> = w
        .produced
        .iter()
        .filter(|p| p.block.timestamp > T0 + 20 && p.block.timestamp < T0 + 80)
        .collect();
    assert_eq!(late.len(), 29);
    for w2 in late.windows(2) {
        assert_eq!(w2[1].sealed_ms - w2[0].sealed_ms, 20);
    }
}

#[test]
fn adaptive_margin_converges_and_never_builds_two_blocks_per_slot() {
    let mut w = World::new(forks_through("holocene"), conf(0));
    w.seal_ms = 180;
    w.fill_l1(12, T0 + 700);
    w.run_until(ms(T0 + 600));
    w.check_chain_rules();
    let margin = w.seq.seal_margin_ms();
    assert!((180..=200).contains(&margin), "{margin}");
    // Once converged, every block is sealed by its slot.
    for p in w.produced.iter().filter(|p| p.block.timestamp > T0 + 200) {
        assert!(
            p.sealed_ms <= ms(p.block.timestamp),
            "late {:?}",
            p.block.timestamp
        );
    }
    let mut seen = std::collections::HashSet::new();
    for p in &w.produced {
        assert!(
            seen.insert(p.block.timestamp),
            "two blocks for slot {}",
            p.block.timestamp
        );
    }
    let starts = w
        .actions
        .iter()
        .filter(|(_, a)| matches!(a, SequencerAction::StartBuilding { .. }))
        .count();
    assert_eq!(starts, w.produced.len());
}

#[test]
fn stop_returns_the_head_and_start_refuses_anything_else() {
    let mut w = World::new(forks_through("holocene"), conf(0));
    w.fill_l1(12, T0 + 200);
    w.run_until(ms(T0 + 20));
    assert!(w.seq.is_active());
    let head = w.seq.stop().unwrap();
    assert_eq!(head, w.l2.head().unwrap().hash);
    assert_eq!(w.seq.stop(), Err(ControlError::AlreadyStopped));
    let before = w.produced.len();
    w.run_until(ms(T0 + 40));
    assert_eq!(w.produced.len(), before, "no blocks while stopped");
    let wrong = alloy_primitives::B256::repeat_byte(7);
    assert!(matches!(
        w.seq.start(wrong, w.now),
        Err(ControlError::NotHead { .. })
    ));
    w.seq.start(head, w.now).unwrap();
    assert_eq!(w.seq.start(head, w.now), Err(ControlError::AlreadyStarted));
    w.run_until(ms(T0 + 60));
    w.check_chain_rules();
    assert_eq!(w.seq.unsafe_head().unwrap().timestamp, T0 + 60);
}

#[test]
fn recovery_mode_builds_deposits_only_blocks() {
    let mut w = World::new(forks_through("holocene"), conf(0));
    w.fill_l1(12, T0 + 200);
    w.seq.set_recovery_mode(true);
    w.run_until(ms(T0 + 20));
    assert!(w.seq.is_recovery_mode());
    assert!(
        w.produced
            .iter()
            .all(|p| p.attributes.no_tx_pool == Some(NoTxPoolReason::RecoveryMode))
    );
    w.seq.set_recovery_mode(false);
    let n = w.produced.len();
    w.run_until(ms(T0 + 40));
    assert!(
        w.produced[n..]
            .iter()
            .all(|p| p.attributes.no_tx_pool.is_none())
    );
    w.check_chain_rules();
}

#[test]
fn derivation_replacing_the_unsafe_head_reschedules_from_it() {
    let mut w = World::new(forks_through("holocene"), conf(0));
    w.fill_l1(12, T0 + 200);
    w.run_until(ms(T0 + 20));
    // Derivation replaced blocks 6.. : the engine controller reports block 5 as the head.
    w.l2.truncate_after(5);
    w.send_head();
    w.run_until(ms(T0 + 40));
    w.check_chain_rules();
    let chain = w.chain();
    assert_eq!(chain.last().unwrap().timestamp, T0 + 40);
    // Slots 12.. were rebuilt on the new head: two blocks exist for them, one canonical.
    assert_eq!(w.canonical_produced().len(), 20);
}

#[test]
fn l1_outage_keeps_the_origin_then_catches_up_one_l1_block_per_l2_block() {
    let mut w = World::new(forks_through("holocene"), conf(0));
    w.fill_l1(12, T0 + 400);
    w.run_until(ms(T0 + 30));
    let origin_before = w.seq.unsafe_head().unwrap().l1_origin;
    w.l1_down = true;
    w.run_until(ms(T0 + 130));
    let head = w.seq.unsafe_head().unwrap();
    assert_eq!(head.timestamp, T0 + 130, "L2 keeps going within the drift");
    assert_eq!(head.l1_origin, origin_before, "on the origin it had");
    w.l1_down = false;
    w.run_until(ms(T0 + 200));
    w.check_chain_rules();
    let chain = w.chain();
    let last = chain.last().unwrap();
    assert!(
        last.timestamp
            - w.l1_block_by_hash(&last.l1_origin.hash)
                .unwrap()
                .header
                .timestamp
            < 14
    );
}

#[test]
fn attributes_refuse_a_header_that_is_not_the_origin() {
    use keel_derive::attributes::{AttributesError, EpochOrigin};
    use keel_sequencer::attributes::{BuildMode, sequencer_attributes};
    let w = World::new(forks_through("holocene"), conf(0));
    let parent = w.chain()[0];
    let origin = l1_ref(&w.l1[0].header);
    let other = l1_header(L1_START, alloy_primitives::B256::repeat_byte(1), T0, 9);
    let err = sequencer_attributes(
        &w.cfg,
        &parent,
        &system_config(),
        &origin,
        EpochOrigin {
            header: &other,
            receipts: None,
            l1_blob_params: None,
        },
        BuildMode::default(),
    )
    .unwrap_err();
    assert!(matches!(
        err,
        SequencerError::Attributes(AttributesError::OriginDataMismatch { .. })
    ));
    assert_eq!(err.class(), ErrorClass::Critical);
    // The right header builds, with the pool on.
    let ok = sequencer_attributes(
        &w.cfg,
        &parent,
        &system_config(),
        &origin,
        EpochOrigin {
            header: &w.l1[0].header,
            receipts: None,
            l1_blob_params: None,
        },
        BuildMode::default(),
    )
    .unwrap();
    assert_eq!(ok.prepared.attributes.no_tx_pool, Some(false));
    assert_eq!(ok.prepared.sequence_number, 1);
}
