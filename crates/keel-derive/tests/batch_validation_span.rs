//! One test per span-batch validity rule (see batch_validation.rs for singular batches): (derivation.md#batch-queue), span
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

use std::collections::BTreeMap;

use alloy_primitives::{B256, Bytes, FixedBytes};
use batch_support::*;
use keel_derive::stages::batch_validation::{
    DropReason, NeedL2Block, check_span_batch, check_span_batch_prefix,
};

#[test]
fn span_after_safe_head_accepted() {
    let s = span(51, &[10, 10, 11], user_txs);
    assert_eq!(
        check_span(&cfg(), &[l1(10), l1(11)], &s, &BTreeMap::new()),
        ok(Accept)
    );
}

#[test]
fn span_before_delta_drops() {
    let s = span(51, &[10], user_txs);
    let c = cfg_with(forks(Some(5000), None, None));
    assert_eq!(
        check_span(&c, &[l1(10)], &s, &BTreeMap::new()),
        ok(Drop(DropReason::SpanBatchPreDelta))
    );
}

#[test]
fn span_future_and_past() {
    let s = span(52, &[10], user_txs);
    assert_eq!(
        check_span(&cfg(), &[l1(10)], &s, &BTreeMap::new()),
        ok(Future)
    );
    assert_eq!(
        check_span(&holo(), &[l1(10)], &s, &BTreeMap::new()),
        ok(Drop(DropReason::FutureHolocene))
    );
    let s = span(49, &[10, 10], user_txs);
    assert_eq!(
        check_span(&cfg(), &[l1(10)], &s, &safe_chain()),
        ok(Drop(DropReason::SpanNoNewBlocks))
    );
    assert_eq!(check_span(&holo(), &[l1(10)], &s, &safe_chain()), ok(Past));
}

#[test]
fn span_misaligned_timestamps_drop() {
    let mut s = span(51, &[10, 10], user_txs);
    s.blocks[0].timestamp = SAFE_TIME + 1;
    s.blocks[1].timestamp = SAFE_TIME + 3;
    assert_eq!(
        check_span(&cfg(), &[l1(10)], &s, &safe_chain()),
        ok(Drop(DropReason::MisalignedTimestamp))
    );
    let mut s = span(49, &[10, 10, 10], user_txs);
    for b in &mut s.blocks {
        b.timestamp -= 1;
    }
    s.blocks[2].timestamp = NEXT;
    assert_eq!(
        check_span(&cfg(), &[l1(10)], &s, &safe_chain()),
        ok(Drop(DropReason::NotOverlappedExactly))
    );
}

#[test]
fn span_overlapping_safe_head_with_matching_txs_is_accepted() {
    let s = span(48, &[10, 10, 10, 10], user_txs);
    assert_eq!(check_span(&cfg(), &[l1(10)], &s, &safe_chain()), ok(Accept));
}

#[test]
fn span_overlap_asks_for_missing_l2_blocks() {
    let s = span(48, &[10, 10, 10, 10], user_txs);
    assert_eq!(
        check_span(&cfg(), &[l1(10)], &s, &BTreeMap::new()),
        Err(NeedL2Block(47))
    );
    let mut chain = safe_chain();
    chain.remove(&49);
    assert_eq!(
        check_span(&cfg(), &[l1(10)], &s, &chain),
        Err(NeedL2Block(49))
    );
}

#[test]
fn span_overlap_mismatches_drop() {
    let c = cfg();
    let l1s = [l1(10)];
    let s = span(48, &[10, 10, 10, 10], |n| {
        if n == 49 {
            vec![tx(1), tx(2)]
        } else {
            user_txs(n)
        }
    });
    assert_eq!(
        check_span(&c, &l1s, &s, &safe_chain()),
        ok(Drop(DropReason::OverlappedTxMismatch))
    );
    let s = span(48, &[10, 10, 10, 10], |n| {
        if n == 50 { vec![tx(50)] } else { user_txs(n) }
    });
    assert_eq!(
        check_span(&c, &l1s, &s, &safe_chain()),
        ok(Drop(DropReason::OverlappedTxCountMismatch))
    );
    let mut chain = safe_chain();
    chain.get_mut(&49).unwrap().block_ref.l1_origin.number = 9;
    let s = span(48, &[10, 10, 10, 10], user_txs);
    assert_eq!(
        check_span(&c, &l1s, &s, &chain),
        ok(Drop(DropReason::OverlappedL1OriginMismatch))
    );
}

#[test]
fn span_parent_and_origin_checks() {
    let c = cfg();
    let mut s = span(51, &[10, 11], user_txs);
    s.parent_check = FixedBytes::repeat_byte(0xee);
    assert_eq!(
        check_span(&c, &[l1(10), l1(11)], &s, &BTreeMap::new()),
        ok(Drop(DropReason::ParentHashMismatch))
    );
    let mut s = span(51, &[10, 11], user_txs);
    s.l1_origin_check = FixedBytes::repeat_byte(0xee);
    assert_eq!(
        check_span(&c, &[l1(10), l1(11)], &s, &BTreeMap::new()),
        ok(Drop(DropReason::EpochHashMismatch))
    );
    // The end epoch is not known yet: undecided.
    let s = span(51, &[10, 11], user_txs);
    assert_eq!(
        check_span(&c, &[l1(10)], &s, &BTreeMap::new()),
        ok(Undecided)
    );
}

#[test]
fn span_epoch_rules() {
    let c = cfg();
    // Start epoch two past the parent's origin.
    let s = span(51, &[12], user_txs);
    assert_eq!(
        check_span(&c, &[l1(10), l1(11), l1(12)], &s, &BTreeMap::new()),
        ok(Drop(DropReason::EpochTooFarInFuture))
    );
    // Start epoch before the parent's origin.
    let s = span(51, &[9, 10], user_txs);
    assert_eq!(
        check_span(&c, &[l1(10)], &s, &BTreeMap::new()),
        ok(Drop(DropReason::EpochTooOld))
    );
    // Window: start epoch + 100 < inclusion.
    let s = span(51, &[10], user_txs);
    let r = check_span_batch(
        &c,
        &[l1(10)],
        &safe(),
        &s,
        &l1t(111, 5000),
        &BTreeMap::new(),
    );
    assert_eq!(r, ok(Drop(DropReason::IncludedTooLate)));
    // An epoch in the middle that is not among the L1 blocks.
    let s = span(51, &[10, 11, 12], user_txs);
    let r = check_span(&c, &[l1(10), l1t(12, 1030)], &s, &BTreeMap::new());
    assert_eq!(r, ok(Drop(DropReason::MissingL1Origin)));
}

#[test]
fn span_block_origin_before_safe_head_drops() {
    // Parent 48 has origin 9; safe head 50 origin 10; block 51 claims epoch 9.
    let mut chain = safe_chain();
    chain.get_mut(&47).unwrap().block_ref.l1_origin.number = 9;
    for n in 48..=49 {
        chain.get_mut(&n).unwrap().block_ref.l1_origin.number = 9;
    }
    let s = span(48, &[9, 9, 10, 9], user_txs);
    let mut s2 = s.clone();
    s2.l1_origin_check = prefix(&B256::repeat_byte(9));
    let r = check_span(&cfg(), &[l1t(9, 988), l1(10)], &s2, &chain);
    assert_eq!(r, ok(Drop(DropReason::L1OriginBeforeSafeHead)));
}

#[test]
fn span_drift_and_tx_rules() {
    let c = cfg();
    let mut s = span(51, &[10, 10], user_txs);
    s.blocks[1].transactions.push(Bytes::from(vec![0x7e]));
    assert_eq!(
        check_span(&c, &[l1(10)], &s, &BTreeMap::new()),
        ok(Drop(DropReason::DepositTransaction))
    );
    // Past the drift with txs.
    let ts = 1000 + 602;
    let sh = drift_safe(ts);
    let mut s = span(51, &[10], user_txs);
    s.parent_check = prefix(&sh.hash);
    s.blocks[0].timestamp = ts;
    let r = check_span_batch(
        &c,
        &[l1(10), l1t(11, 1700)],
        &sh,
        &s,
        &l1t(11, 1700),
        &BTreeMap::new(),
    );
    assert_eq!(r, ok(Drop(DropReason::SequencerDriftExceeded)));
    // Empty: accepted while the next origin is later, dropped once it could be adopted.
    s.blocks[0].transactions.clear();
    let r = check_span_batch(
        &c,
        &[l1(10), l1t(11, 1700)],
        &sh,
        &s,
        &l1t(11, 1700),
        &BTreeMap::new(),
    );
    assert_eq!(r, ok(Accept));
    let r = check_span_batch(
        &c,
        &[l1(10), l1t(11, ts)],
        &sh,
        &s,
        &l1t(11, ts),
        &BTreeMap::new(),
    );
    assert_eq!(r, ok(Drop(DropReason::SequencerDriftNotAdoptedNextOrigin)));
    let r = check_span_batch(&c, &[l1(10)], &sh, &s, &l1(10), &BTreeMap::new());
    assert_eq!(r, ok(Undecided));
}

#[test]
fn holocene_prefix_returns_the_overlap_parent() {
    let s = span(48, &[10, 10, 10, 10], |_| vec![tx(9)]);
    // Under Holocene only the prefix is checked: mismatching overlap txs do not matter here.
    let (v, parent) =
        check_span_batch_prefix(&holo(), &[l1(10)], &safe(), &s, &l1(12), &safe_chain()).unwrap();
    assert_eq!(v, Accept);
    assert_eq!(parent.unwrap().number, 47);
}
