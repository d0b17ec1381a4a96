//! One test per batch-validity rule: singular batches (derivation.md#batch-queue), span
//! batches (delta/span-batches.md#batch-queue, overlap with the safe chain), Holocene's
//! `past`/`drop` changes, Fjord's drift, the empty-batch drift exception, transaction rules,
//! and the Isthmus / Jovian activation rules.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod batch_support;

use alloy_primitives::{B256, Bytes};
use batch_support::*;
use keel_derive::stages::batch_validation::{DropReason, check_single_batch};
use keel_protocol::batch::SingleBatch;

#[test]
fn accepts_the_next_batch() {
    let b = single(NEXT, 10, vec![tx(1)]);
    assert_eq!(check(&cfg(), &[l1(10)], &b, &l1(11)), Accept);
}

#[test]
fn future_batch_waits_before_holocene_and_drops_after() {
    let b = single(NEXT + 2, 10, vec![]);
    assert_eq!(check(&cfg(), &[l1(10)], &b, &l1(11)), Future);
    assert_eq!(
        check(&holo(), &[l1(10)], &b, &l1(11)),
        Drop(DropReason::FutureHolocene)
    );
}

#[test]
fn past_batch_drops_before_holocene_and_is_past_after() {
    for ts in [SAFE_TIME, SAFE_TIME - 2] {
        let b = single(ts, 10, vec![]);
        assert_eq!(
            check(&cfg(), &[l1(10)], &b, &l1(11)),
            Drop(DropReason::PastPreHolocene)
        );
        assert_eq!(check(&holo(), &[l1(10)], &b, &l1(11)), Past);
    }
}

#[test]
fn holocene_rules_follow_the_inclusion_block_time() {
    // Holocene at L1 time 1100: an inclusion block before it keeps the old rules.
    let c = cfg_with(forks(Some(0), None, Some(1100)));
    let b = single(NEXT + 2, 10, vec![]);
    assert_eq!(check(&c, &[l1(10)], &b, &l1(11)), Future);
    assert_eq!(
        check(&c, &[l1(10)], &b, &l1(19)),
        Drop(DropReason::FutureHolocene)
    );
}

#[test]
fn wrong_parent_hash_drops() {
    let mut b = single(NEXT, 10, vec![]);
    b.parent_hash = B256::repeat_byte(0xee);
    assert_eq!(
        check(&cfg(), &[l1(10)], &b, &l1(11)),
        Drop(DropReason::ParentHashMismatch)
    );
}

#[test]
fn sequencing_window_expired_drops() {
    let b = single(NEXT, 10, vec![]);
    // epoch + window == inclusion is still in time; one more is late.
    assert_eq!(check(&cfg(), &[l1(10)], &b, &l1t(110, 3000)), Accept);
    assert_eq!(
        check(&cfg(), &[l1(10)], &b, &l1t(111, 3000)),
        Drop(DropReason::IncludedTooLate)
    );
}

#[test]
fn epoch_too_old_and_too_new_drop() {
    let b = single(NEXT, 9, vec![]);
    assert_eq!(
        check(&cfg(), &[l1(10)], &b, &l1(11)),
        Drop(DropReason::EpochTooOld)
    );
    let b = single(NEXT + 20, 12, vec![]);
    let mut s = safe();
    s.timestamp = NEXT + 18;
    let r = check_single_batch(
        &cfg(),
        &[l1(10), l1(11), l1(12)],
        &s,
        &SingleBatch {
            parent_hash: s.hash,
            ..b
        },
        &l1(12),
    );
    assert_eq!(r, Drop(DropReason::EpochTooFarInFuture));
}

#[test]
fn next_epoch_needs_the_next_l1_block() {
    let b = single(NEXT, 11, vec![]);
    // l1(11) is at time 1012 == NEXT.
    assert_eq!(check(&cfg(), &[l1(10)], &b, &l1(11)), Undecided);
    assert_eq!(check(&cfg(), &[l1(10), l1(11)], &b, &l1(11)), Accept);
}

#[test]
fn wrong_epoch_hash_drops() {
    let mut b = single(NEXT, 10, vec![]);
    b.epoch_hash = B256::repeat_byte(0xee);
    assert_eq!(
        check(&cfg(), &[l1(10)], &b, &l1(11)),
        Drop(DropReason::EpochHashMismatch)
    );
}

#[test]
fn timestamp_before_l1_origin_drops() {
    let b = single(NEXT, 11, vec![]);
    let late = l1t(11, NEXT + 1);
    assert_eq!(
        check(&cfg(), &[l1(10), late], &b, &late),
        Drop(DropReason::TimestampBeforeL1Origin)
    );
}

#[test]
fn sequencer_drift_exceeded_with_txs_drops() {
    let ts = 1000 + 602;
    let b = SingleBatch {
        parent_hash: drift_safe(ts).hash,
        ..single(ts, 10, vec![tx(1)])
    };
    let r = check_single_batch(
        &cfg(),
        &[l1(10), l1t(11, 1700)],
        &drift_safe(ts),
        &b,
        &l1t(11, 1700),
    );
    assert_eq!(r, Drop(DropReason::SequencerDriftExceeded));
    // At exactly the limit it is fine.
    let ts = 1000 + 600;
    let b = SingleBatch {
        parent_hash: drift_safe(ts).hash,
        ..single(ts, 10, vec![tx(1)])
    };
    let r = check_single_batch(
        &cfg(),
        &[l1(10), l1t(11, 1700)],
        &drift_safe(ts),
        &b,
        &l1t(11, 1700),
    );
    assert_eq!(r, Accept);
}

#[test]
fn sequencer_drift_empty_batch_exception() {
    let ts = 1000 + 602;
    let s = drift_safe(ts);
    let b = SingleBatch {
        parent_hash: s.hash,
        ..single(ts, 10, vec![])
    };
    let c = cfg();
    // Next origin unknown: undecided.
    assert_eq!(
        check_single_batch(&c, &[l1(10)], &s, &b, &l1(10)),
        Undecided
    );
    // Next origin later than the batch: the empty batch keeps L2 time >= L1 time. Accept.
    let later = l1t(11, ts + 1);
    assert_eq!(
        check_single_batch(&c, &[l1(10), later], &s, &b, &later),
        Accept
    );
    // Next origin could have been adopted: drop.
    let adoptable = l1t(11, ts);
    assert_eq!(
        check_single_batch(&c, &[l1(10), adoptable], &s, &b, &adoptable),
        Drop(DropReason::SequencerDriftNotAdoptedNextOrigin)
    );
}

#[test]
fn fjord_drift_is_1800_by_origin_time() {
    let ts = 1000 + 602;
    let s = drift_safe(ts);
    let b = SingleBatch {
        parent_hash: s.hash,
        ..single(ts, 10, vec![tx(1)])
    };
    let c = cfg_with(forks(Some(0), Some(0), None));
    assert_eq!(
        check_single_batch(&c, &[l1(10), l1t(11, 1700)], &s, &b, &l1t(11, 1700)),
        Accept
    );
    // Fjord only from an L1 time after this origin: the old drift applies.
    let c = cfg_with(forks(Some(0), Some(1001), None));
    assert_eq!(
        check_single_batch(&c, &[l1(10), l1t(11, 1700)], &s, &b, &l1t(11, 1700)),
        Drop(DropReason::SequencerDriftExceeded)
    );
}

#[test]
fn transaction_rules() {
    let c = cfg();
    let cases = [
        (Bytes::new(), DropReason::EmptyTransaction),
        (Bytes::from(vec![0x7e, 1]), DropReason::DepositTransaction),
        (Bytes::from(vec![0x04, 1]), DropReason::SetCodePreIsthmus),
    ];
    for (t, reason) in cases {
        let b = single(NEXT, 10, vec![tx(1), t]);
        assert_eq!(check(&c, &[l1(10)], &b, &l1(11)), Drop(reason));
    }
    let mut isthmus = forks(Some(0), Some(0), Some(0));
    isthmus.granite_time = Some(0);
    isthmus.isthmus_time = Some(0);
    let b = single(NEXT, 10, vec![Bytes::from(vec![0x04, 1])]);
    assert_eq!(check(&cfg_with(isthmus), &[l1(10)], &b, &l1(11)), Accept);
}

#[test]
fn jovian_activation_block_must_be_empty() {
    let mut f = forks(Some(0), Some(0), Some(0));
    f.granite_time = Some(0);
    f.isthmus_time = Some(0);
    f.jovian_time = Some(NEXT);
    let c = cfg_with(f);
    let b = single(NEXT, 10, vec![tx(1)]);
    assert_eq!(
        check(&c, &[l1(10)], &b, &l1(11)),
        Drop(DropReason::NonEmptyTransitionBlock)
    );
    assert_eq!(
        check(&c, &[l1(10)], &single(NEXT, 10, vec![]), &l1(11)),
        Accept
    );
}

#[test]
fn no_l1_blocks_is_undecided() {
    assert_eq!(
        check(&cfg(), &[], &single(NEXT, 10, vec![]), &l1(11)),
        Undecided
    );
}
