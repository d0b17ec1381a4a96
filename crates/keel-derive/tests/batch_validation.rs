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

use std::collections::BTreeMap;

use alloy_primitives::{B256, Bytes, FixedBytes};
use keel_derive::{
    stages::batch_validation::{
        BatchValidity, DropReason, NeedL2Block, check_single_batch, check_span_batch,
        check_span_batch_prefix,
    },
    types::{L1BlockRef, L2BlockInput, L2BlockRef},
};
use keel_protocol::{
    batch::{SingleBatch, SpanBatch, SpanBatchElement},
    hardfork::HardforkTimes,
    rollup_config::{BlockId, RollupConfig},
    system_config::SystemConfig,
};

use BatchValidity::{Accept, Drop, Future, Past, Undecided};

const SAFE_NUM: u64 = 50;
const SAFE_TIME: u64 = 1010;
const NEXT: u64 = SAFE_TIME + 2;

fn forks(delta: Option<u64>, fjord: Option<u64>, holocene: Option<u64>) -> HardforkTimes {
    HardforkTimes {
        regolith_time: Some(0),
        canyon_time: Some(0),
        delta_time: delta,
        ecotone_time: fjord,
        fjord_time: fjord,
        holocene_time: holocene,
        ..Default::default()
    }
}

fn cfg_with(h: HardforkTimes) -> RollupConfig {
    RollupConfig {
        block_time: 2,
        max_sequencer_drift: 600,
        seq_window_size: 100,
        hardforks: h,
        ..Default::default()
    }
}

/// Pre-Fjord, pre-Holocene, Delta active.
fn cfg() -> RollupConfig {
    cfg_with(forks(Some(0), None, None))
}

fn holo() -> RollupConfig {
    cfg_with(forks(Some(0), None, Some(0)))
}

fn l1(n: u64) -> L1BlockRef {
    l1t(n, 1000 + (n - 10) * 12)
}

fn l1t(n: u64, t: u64) -> L1BlockRef {
    L1BlockRef {
        hash: B256::repeat_byte(n as u8),
        number: n,
        parent_hash: B256::repeat_byte(n as u8 - 1),
        timestamp: t,
    }
}

fn l2hash(n: u64) -> B256 {
    B256::left_padding_from(&[0x77, n as u8])
}

fn l2(n: u64, origin: u64) -> L2BlockRef {
    L2BlockRef {
        hash: l2hash(n),
        number: n,
        parent_hash: l2hash(n - 1),
        timestamp: SAFE_TIME - (SAFE_NUM - n) * 2,
        l1_origin: BlockId {
            hash: B256::repeat_byte(origin as u8),
            number: origin,
        },
        sequence_number: 0,
    }
}

fn safe() -> L2BlockRef {
    l2(SAFE_NUM, 10)
}

fn tx(b: u8) -> Bytes {
    Bytes::from(vec![0x02, b, b])
}

fn single(ts: u64, epoch: u64, txs: Vec<Bytes>) -> SingleBatch {
    SingleBatch {
        parent_hash: safe().hash,
        epoch_num: epoch,
        epoch_hash: B256::repeat_byte(epoch as u8),
        timestamp: ts,
        transactions: txs,
    }
}

fn check(
    c: &RollupConfig,
    l1s: &[L1BlockRef],
    b: &SingleBatch,
    incl: &L1BlockRef,
) -> BatchValidity {
    check_single_batch(c, l1s, &safe(), b, incl)
}

// ---- singular batches ----

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

/// Safe head far past its origin (time 1000): max drift 600 pre-Fjord.
fn drift_safe(ts: u64) -> L2BlockRef {
    let mut s = safe();
    s.timestamp = ts - 2;
    s
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

// ---- span batches ----

fn prefix(h: &B256) -> FixedBytes<20> {
    FixedBytes::from_slice(&h[..20])
}

/// A span from L2 block `first` (by number) with the given epochs, parent check from
/// `l2hash(first - 1)`.
fn span(first: u64, epochs: &[u64], txs: impl Fn(u64) -> Vec<Bytes>) -> SpanBatch {
    let blocks: Vec<SpanBatchElement> = epochs
        .iter()
        .enumerate()
        .map(|(i, &e)| {
            let n = first + i as u64;
            SpanBatchElement {
                epoch_num: e,
                timestamp: (SAFE_TIME as i64 - (SAFE_NUM as i64 - n as i64) * 2) as u64,
                transactions: txs(n),
            }
        })
        .collect();
    SpanBatch {
        parent_check: prefix(&l2hash(first - 1)),
        l1_origin_check: prefix(&B256::repeat_byte(*epochs.last().unwrap() as u8)),
        first_origin_bit: false,
        blocks,
    }
}

fn user_txs(n: u64) -> Vec<Bytes> {
    vec![tx(n as u8), tx(n as u8 + 100)]
}

/// The safe chain 45..=50 (origin 10), each block a deposit then `user_txs`.
fn safe_chain() -> BTreeMap<u64, L2BlockInput> {
    (45..=SAFE_NUM)
        .map(|n| {
            let mut txs = vec![Bytes::from(vec![0x7e, 0])];
            txs.extend(user_txs(n));
            (
                n,
                L2BlockInput {
                    block_ref: l2(n, 10),
                    transactions: txs,
                    system_config: SystemConfig::default(),
                },
            )
        })
        .collect()
}

fn check_span(
    c: &RollupConfig,
    l1s: &[L1BlockRef],
    s: &SpanBatch,
    l2: &BTreeMap<u64, L2BlockInput>,
) -> Result<BatchValidity, NeedL2Block> {
    check_span_batch(c, l1s, &safe(), s, &l1(12), l2)
}

fn ok(v: BatchValidity) -> Result<BatchValidity, NeedL2Block> {
    Ok(v)
}

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
