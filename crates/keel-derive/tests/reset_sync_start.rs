//! The sync-start search against an in-memory L1 and L2: no reorg, L1 reorgs of several
//! depths, L1 behind L2, genesis, wrong chains, too-deep and finalized reorgs, engine
//! recovery cases, a corrupt L2 chain, and the step protocol itself.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod attributes_support;

use alloy_primitives::{B256, keccak256};
use attributes_support::{GENESIS_L1, GENESIS_L2, config, forks_through, system_config};
use keel_derive::{
    error::ErrorClass,
    l2::{L2ChainView, MemoryL2Chain},
    reset::{CurrentHeads, SyncStart, SyncStartError, SyncStartFinder, SyncStep},
    types::{L1BlockRef, L2BlockRef},
};
use keel_protocol::rollup_config::RollupConfig;

const L1_GENESIS: u64 = 100;
const SEQ_WINDOW: u64 = 10;
const CHANNEL_TIMEOUT: u64 = 5;

fn cfg() -> RollupConfig {
    let c = config(forks_through("canyon"));
    assert_eq!(
        (c.seq_window_size, c.channel_timeout),
        (SEQ_WINDOW, CHANNEL_TIMEOUT)
    );
    c
}

fn h(tag: &str, a: u64, b: B256) -> B256 {
    keccak256([tag.as_bytes(), &a.to_be_bytes(), b.as_slice()].concat())
}

/// L1 blocks `L1_GENESIS..L1_GENESIS+len`, 12 s apart from time 1000; blocks from `fork_at`
/// on get hashes salted with `salt` (a reorged branch).
fn l1_chain(len: u64, fork_at: u64, salt: u64) -> Vec<L1BlockRef> {
    let mut out: Vec<L1BlockRef> = Vec::new();
    for number in L1_GENESIS..L1_GENESIS + len {
        let parent_hash = out.last().map_or(B256::ZERO, |p| p.hash);
        let hash = if number == L1_GENESIS {
            GENESIS_L1
        } else if number >= fork_at {
            h(
                "l1-fork",
                number,
                B256::with_last_byte(salt as u8) ^ parent_hash,
            )
        } else {
            h("l1", number, parent_hash)
        };
        out.push(L1BlockRef {
            hash,
            number,
            parent_hash,
            timestamp: 1000 + 12 * (number - L1_GENESIS),
        });
    }
    out
}

/// `len` L2 blocks from genesis, 2 s apart, each adopting the next L1 block as origin as
/// soon as its time allows.
fn l2_chain(l1: &[L1BlockRef], len: u64) -> Vec<L2BlockRef> {
    let mut out = vec![L2BlockRef {
        hash: GENESIS_L2,
        number: 0,
        parent_hash: B256::ZERO,
        timestamp: 1000,
        l1_origin: l1[0].id(),
        sequence_number: 0,
    }];
    let mut origin = 0usize;
    for number in 1..len {
        let prev = *out.last().unwrap();
        let t = prev.timestamp + 2;
        let mut seq = prev.sequence_number + 1;
        if let Some(next) = l1.get(origin + 1)
            && next.timestamp <= t
        {
            origin += 1;
            seq = 0;
        }
        let l1_origin = l1[origin].id();
        out.push(L2BlockRef {
            hash: h("l2", number, l1_origin.hash),
            number,
            parent_hash: prev.hash,
            timestamp: t,
            l1_origin,
            sequence_number: seq,
        });
    }
    out
}

fn memory(l2: &[L2BlockRef]) -> MemoryL2Chain {
    let mut m = MemoryL2Chain::new();
    for b in l2 {
        m.insert(*b, system_config());
    }
    m
}

fn run(
    cfg: &RollupConfig,
    heads: CurrentHeads,
    l1: &[L1BlockRef],
    l2: &MemoryL2Chain,
) -> Result<SyncStart, SyncStartError> {
    let mut finder = SyncStartFinder::new(cfg, heads);
    for _ in 0..100_000 {
        match finder.step()? {
            SyncStep::NeedL1BlockByNumber(n) => {
                let b = l1.iter().find(|b| b.number == n).copied();
                finder.provide_l1(b)?;
            }
            SyncStep::NeedL2Block(n) => finder.provide_l2(l2.block_ref_by_number(n).unwrap())?,
            SyncStep::Done(start) => return Ok(*start),
        }
    }
    panic!("search did not finish")
}

fn heads(unsafe_head: L2BlockRef, safe: L2BlockRef, finalized: L2BlockRef) -> CurrentHeads {
    CurrentHeads {
        unsafe_head,
        safe_head: safe,
        finalized_head: finalized,
    }
}

/// The last L2 block whose L1 origin is `origin`.
fn last_of_epoch(l2: &[L2BlockRef], origin: u64) -> L2BlockRef {
    *l2.iter()
        .rev()
        .find(|b| b.l1_origin.number == origin)
        .unwrap()
}

/// Checks the safe head and pipeline start against op-node's rules given the highest L2
/// block with a canonical origin: the safe head is the last block of epoch
/// `highest - seq_window - 2` (the parent of the first epoch-start block more than a window
/// behind), and the pipeline starts at the last block of the epoch a channel timeout
/// further back.
fn check_safe_and_base(
    start: &SyncStart,
    l2: &[L2BlockRef],
    l1: &[L1BlockRef],
    highest_origin: u64,
) {
    let safe_origin = highest_origin - SEQ_WINDOW - 2;
    assert_eq!(start.safe_head, last_of_epoch(l2, safe_origin));
    let base_origin = safe_origin - CHANNEL_TIMEOUT;
    assert_eq!(start.pipeline_l2, last_of_epoch(l2, base_origin));
    assert_eq!(
        start.pipeline_origin,
        l1[(base_origin - L1_GENESIS) as usize]
    );
}

#[test]
fn no_reorg_keeps_unsafe_and_steps_back_a_window() {
    let l1 = l1_chain(60, u64::MAX, 0);
    let l2 = l2_chain(&l1, 300);
    let tip = *l2.last().unwrap();
    let start = run(&cfg(), heads(tip, tip, l2[0]), &l1, &memory(&l2)).unwrap();
    assert_eq!(start.unsafe_head, tip);
    assert_eq!(start.finalized_head, l2[0]);
    check_safe_and_base(&start, &l2, &l1, tip.l1_origin.number);
}

#[test]
fn l1_reorg_rewinds_unsafe_to_last_canonical_origin() {
    let l1 = l1_chain(60, u64::MAX, 0);
    let l2 = l2_chain(&l1, 300);
    let tip = *l2.last().unwrap();
    for depth in [1, 3, 12] {
        let fork_at = tip.l1_origin.number + 1 - depth;
        let reorged = l1_chain(60, fork_at, 7);
        let start = run(&cfg(), heads(tip, tip, l2[0]), &reorged, &memory(&l2)).unwrap();
        let new_unsafe = last_of_epoch(&l2, fork_at - 1);
        assert_eq!(start.unsafe_head, new_unsafe, "depth {depth}");
        check_safe_and_base(&start, &l2, &reorged, fork_at - 1);
    }
}

#[test]
fn origins_ahead_of_l1_keep_the_unsafe_head() {
    let full = l1_chain(60, u64::MAX, 0);
    let l2 = l2_chain(&full, 300);
    let tip = *l2.last().unwrap();
    // L1 knows only up to two blocks before the tip's origin.
    let known = tip.l1_origin.number - 2;
    let l1: Vec<_> = full.iter().filter(|b| b.number <= known).copied().collect();
    let start = run(&cfg(), heads(tip, tip, l2[0]), &l1, &memory(&l2)).unwrap();
    assert_eq!(start.unsafe_head, tip);
    check_safe_and_base(&start, &l2, &l1, known);
}

#[test]
fn genesis_only() {
    let l1 = l1_chain(3, u64::MAX, 0);
    let l2 = l2_chain(&l1, 1);
    let g = l2[0];
    let start = run(&cfg(), heads(g, g, g), &l1, &memory(&l2)).unwrap();
    assert_eq!(
        (
            start.unsafe_head,
            start.safe_head,
            start.finalized_head,
            start.pipeline_l2
        ),
        (g, g, g, g)
    );
    assert_eq!(start.pipeline_origin, l1[0]);
    // The defaults of step 1 give the same heads.
    assert_eq!(
        CurrentHeads::with_defaults(g, None, None, g),
        heads(g, g, g)
    );
}

#[test]
fn young_chain_stops_at_finalized_genesis() {
    let l1 = l1_chain(10, u64::MAX, 0);
    let l2 = l2_chain(&l1, 40);
    let tip = *l2.last().unwrap();
    let start = run(&cfg(), heads(tip, tip, l2[0]), &l1, &memory(&l2)).unwrap();
    assert_eq!(start.unsafe_head, tip);
    assert_eq!(
        start.safe_head, l2[0],
        "less than a window of L1: safe is finalized"
    );
    assert_eq!(start.pipeline_l2, l2[0]);
    assert_eq!(start.pipeline_origin, l1[0]);
}

#[test]
fn wrong_chains_are_critical() {
    let l1 = l1_chain(10, u64::MAX, 0);
    let l2 = l2_chain(&l1, 30);
    // Another L2 genesis.
    let mut other = l2.clone();
    other[0].hash = B256::repeat_byte(9);
    other[1].parent_hash = other[0].hash;
    let tip = *other.last().unwrap();
    let err = run(&cfg(), heads(tip, tip, other[0]), &l1, &memory(&other)).unwrap_err();
    assert!(
        matches!(err, SyncStartError::WrongChain { layer: "L2", .. }),
        "{err}"
    );
    assert_eq!(err.class(), ErrorClass::Critical);
    // Another L1 (same genesis number, other hash).
    let mut other_l1 = l1_chain(10, L1_GENESIS + 1, 3);
    other_l1[0].hash = B256::repeat_byte(4);
    let tip = *l2.last().unwrap();
    let err = run(&cfg(), heads(tip, tip, l2[0]), &other_l1, &memory(&l2)).unwrap_err();
    assert!(
        matches!(err, SyncStartError::WrongChain { layer: "L1", .. }),
        "{err}"
    );
    // The finalized head is not on the chain.
    let mut fake_final = l2[5];
    fake_final.hash = B256::repeat_byte(5);
    let err = run(&cfg(), heads(tip, tip, fake_final), &l1, &memory(&l2)).unwrap_err();
    assert!(matches!(err, SyncStartError::ReorgFinalized { .. }));
    assert_eq!(err.class(), ErrorClass::Critical);
}

#[test]
fn too_deep_reorg_is_refused() {
    let l1 = l1_chain(120, u64::MAX, 0);
    let l2 = l2_chain(&l1, 700);
    let tip = *l2.last().unwrap();
    assert!(tip.l1_origin.number > L1_GENESIS + 5 * SEQ_WINDOW + 2);
    let reorged = l1_chain(120, L1_GENESIS + 1, 8);
    let err = run(&cfg(), heads(tip, tip, l2[0]), &reorged, &memory(&l2)).unwrap_err();
    assert!(matches!(err, SyncStartError::TooDeepReorg { .. }), "{err}");
    assert_eq!(err.class(), ErrorClass::Critical);
}

#[test]
fn finalized_origin_reorged_is_critical() {
    let l1 = l1_chain(60, u64::MAX, 0);
    let l2 = l2_chain(&l1, 300);
    let tip = *l2.last().unwrap();
    let finalized = last_of_epoch(&l2, tip.l1_origin.number - 20);
    let reorged = l1_chain(60, tip.l1_origin.number - 25, 2);
    let err = run(&cfg(), heads(tip, tip, finalized), &reorged, &memory(&l2)).unwrap_err();
    assert!(
        matches!(err, SyncStartError::FinalizedOriginNotCanonical { .. }),
        "{err}"
    );
}

/// A node restarting after a deep L1 reorg, with its previous safe head low in the chain.
#[test]
fn restart_after_deep_reorg_with_old_safe_and_finalized_heads() {
    let l1 = l1_chain(100, u64::MAX, 0);
    let l2 = l2_chain(&l1, 500);
    let tip = *l2.last().unwrap();
    let finalized = l2[60];
    let old_safe = l2[200];
    let fork_at = tip.l1_origin.number - 30;
    let reorged = l1_chain(100, fork_at, 5);
    let start = run(
        &cfg(),
        heads(tip, old_safe, finalized),
        &reorged,
        &memory(&l2),
    )
    .unwrap();
    assert_eq!(start.unsafe_head, last_of_epoch(&l2, fork_at - 1));
    assert_eq!(start.finalized_head, finalized);
    // The safe head cannot move above the old one: the last block of the epoch before the
    // first epoch start at or below it.
    assert!(start.safe_head.number <= old_safe.number);
    let next = l2[start.safe_head.number as usize + 1];
    assert_eq!(next.sequence_number, 0);
    let first_start_below = l2[..=old_safe.number as usize]
        .iter()
        .rev()
        .find(|b| b.sequence_number == 0)
        .unwrap();
    assert_eq!(next, *first_start_below);
    // Base: a channel timeout of origins below the safe head's.
    let base = start.safe_head.l1_origin.number - CHANNEL_TIMEOUT;
    assert_eq!(start.pipeline_l2, last_of_epoch(&l2, base));
}

#[test]
fn granite_uses_its_channel_timeout_for_the_base() {
    let mut c = config(forks_through("granite"));
    c.channel_timeout = 300;
    let l1 = l1_chain(120, u64::MAX, 0);
    let l2 = l2_chain(&l1, 700);
    let tip = *l2.last().unwrap();
    let start = run(&c, heads(tip, tip, l2[0]), &l1, &memory(&l2)).unwrap();
    let safe_origin = tip.l1_origin.number - SEQ_WINDOW - 2;
    assert_eq!(start.safe_head, last_of_epoch(&l2, safe_origin));
    // Granite's 50, not the configured 300 (which would reach genesis).
    assert_eq!(start.pipeline_origin.number, safe_origin - 50);
}

#[test]
fn engine_recovery_cases_take_the_unsafe_head() {
    let l1 = l1_chain(200, u64::MAX, 0);
    let l2 = l2_chain(&l1, 1000);
    let tip = *l2.last().unwrap();
    // Synced without finality: far past 14 windows with safe and finalized at genesis.
    assert!(tip.l1_origin.number > L1_GENESIS + 14 * SEQ_WINDOW);
    let start = run(&cfg(), heads(tip, l2[0], l2[0]), &l1, &memory(&l2)).unwrap();
    assert_eq!((start.safe_head, start.finalized_head), (tip, tip));
    assert_eq!(
        start.pipeline_l2,
        last_of_epoch(&l2, tip.l1_origin.number - CHANNEL_TIMEOUT)
    );
    // Unsafe head below the safe head (engine rewound without a forkchoice update).
    let low = l2[400];
    let start = run(&cfg(), heads(low, l2[600], l2[100]), &l1, &memory(&l2)).unwrap();
    assert_eq!(
        (start.unsafe_head, start.safe_head, start.finalized_head),
        (low, low, low)
    );
}

#[test]
fn corrupt_l2_chain_is_critical() {
    let l1 = l1_chain(60, u64::MAX, 0);
    let mut l2 = l2_chain(&l1, 300);
    let i = 290;
    l2[i].sequence_number += 5;
    let tip = *l2.last().unwrap();
    let err = run(&cfg(), heads(tip, tip, l2[0]), &l1, &memory(&l2)).unwrap_err();
    assert!(
        matches!(err, SyncStartError::InconsistentL2 { .. }),
        "{err}"
    );
    assert_eq!(err.class(), ErrorClass::Critical);
}

#[test]
fn step_protocol_checks_its_inputs() {
    let l1 = l1_chain(60, u64::MAX, 0);
    let l2 = l2_chain(&l1, 300);
    let tip = *l2.last().unwrap();
    let mut f = SyncStartFinder::new(&cfg(), heads(tip, tip, l2[0]));
    assert_eq!(
        f.provide_l2(Some(tip)).unwrap_err(),
        SyncStartError::UnexpectedInput { what: "L2 block" }
    );
    assert_eq!(
        f.step().unwrap(),
        SyncStep::NeedL1BlockByNumber(tip.l1_origin.number)
    );
    // Asking again before an answer repeats the request.
    assert_eq!(
        f.step().unwrap(),
        SyncStep::NeedL1BlockByNumber(tip.l1_origin.number)
    );
    let wrong = l1[0];
    assert_eq!(
        f.provide_l1(Some(wrong)).unwrap_err().class(),
        ErrorClass::Temporary
    );
    f.provide_l1(Some(l1[(tip.l1_origin.number - L1_GENESIS) as usize]))
        .unwrap();
    assert_eq!(f.step().unwrap(), SyncStep::NeedL2Block(tip.number - 1));
    // The execution client moved: the block at that height is not the parent.
    f.provide_l2(Some(l2[10])).unwrap();
    let err = f.step().unwrap_err();
    assert!(matches!(err, SyncStartError::L2Changed { number } if number == tip.number - 1));
    assert_eq!(err.class(), ErrorClass::Temporary);
}

#[test]
fn missing_l2_block_is_temporary() {
    let l1 = l1_chain(60, u64::MAX, 0);
    let l2 = l2_chain(&l1, 300);
    let tip = *l2.last().unwrap();
    let mut m = memory(&l2);
    m.truncate_after(250);
    m.insert(tip, system_config());
    let err = run(&cfg(), heads(tip, tip, l2[0]), &l1, &m).unwrap_err();
    assert_eq!(err.class(), ErrorClass::Temporary);
}
