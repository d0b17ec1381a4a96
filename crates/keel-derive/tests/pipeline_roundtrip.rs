//! Round trip: a seeded random L2 chain → channels (singular and span, zlib and brotli) →
//! frames in calldata and blobs of simulated L1 blocks → the pipeline, driven step by step
//! → the same payload attributes the simulated sequencer built; also across an L1 reorg.
//!
//! Replay a failing seed with `KEEL_SIM_SEED=<seed> cargo test -p keel-derive --test
//! pipeline_roundtrip`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::{driver::*, sim::*};
use keel_derive::{error::ErrorClass, pipeline::Pipeline};
use keel_protocol::{channel_builder::BatchKind, compression::CompressionAlgo};

fn seeds(default: &[u64]) -> Vec<u64> {
    match std::env::var("KEEL_SIM_SEED") {
        Ok(s) => vec![s.parse().expect("KEEL_SIM_SEED must be a u64")],
        Err(_) => default.to_vec(),
    }
}

fn round_trip(p: &SimParams) -> Derived {
    let w = build_world(p);
    assert_eq!(p.blobs, !w.blobs.is_empty(), "seed {}: blob usage", p.seed);
    let mut pipe = Pipeline::new(w.cfg.clone(), w.l1[0].block_ref, genesis_system_config());
    let mut d = Derived::new(&w);
    drive(&w, &mut pipe, &mut d, None).unwrap_or_else(|e| panic!("seed {}: {e}", p.seed));
    assert_same_chain(&w, &d, p.kind, &format!("seed {}", p.seed));
    d
}

#[test]
fn singular_zlib_calldata() {
    for seed in seeds(&[1, 11]) {
        round_trip(&SimParams::new(
            seed,
            BatchKind::Singular,
            CompressionAlgo::Zlib,
        ));
    }
}

#[test]
fn span_zlib_calldata() {
    for seed in seeds(&[2, 12]) {
        round_trip(&SimParams::new(
            seed,
            BatchKind::Span,
            CompressionAlgo::Zlib,
        ));
    }
}

#[test]
fn span_brotli_calldata() {
    for seed in seeds(&[3]) {
        round_trip(&SimParams::new(
            seed,
            BatchKind::Span,
            CompressionAlgo::Brotli,
        ));
    }
}

#[test]
fn singular_brotli_blobs() {
    for seed in seeds(&[4]) {
        let mut p = SimParams::new(seed, BatchKind::Singular, CompressionAlgo::Brotli);
        p.blobs = true;
        let _ = round_trip(&p);
    }
}

#[test]
fn span_zlib_blobs() {
    for seed in seeds(&[5]) {
        let mut p = SimParams::new(seed, BatchKind::Span, CompressionAlgo::Zlib);
        p.blobs = true;
        let _ = round_trip(&p);
    }
}

/// Channels re-post earlier blocks: span batches overlap the safe chain (pre-Holocene the
/// overlapped blocks are fetched with `NeedL2Block` and compared; from Holocene the parent is
/// fetched and overlapped blocks are past), singular batches are past.
#[test]
fn overlapping_batches() {
    for seed in seeds(&[7]) {
        for kind in [BatchKind::Span, BatchKind::Singular] {
            let mut p = SimParams::new(seed, kind, CompressionAlgo::Zlib);
            p.overlap = 4;
            let d = round_trip(&p);
            if kind == BatchKind::Span {
                assert!(
                    d.l2_requests > 10,
                    "overlaps fetched {} L2 blocks",
                    d.l2_requests
                );
            }
        }
    }
}

/// L1 reorgs under the pipeline: the next block does not extend the origin (a Reset-class
/// error); the driver rewinds the safe head to the last block whose L1 origin survived,
/// resets the pipeline there and re-derives the new branch's chain.
#[test]
fn l1_reorg_reset_and_rederive() {
    for seed in seeds(&[6, 16]) {
        for kind in [BatchKind::Singular, BatchKind::Span] {
            let mut pa = SimParams::new(seed, kind, CompressionAlgo::Zlib);
            // Before Holocene (L1 block 110, Fjord) and after it (block 130).
            let reorg_at = GENESIS_NUMBER + if kind == BatchKind::Span { 30 } else { 10 };
            let a = build_world(&pa);
            pa.reorg_from = Some(reorg_at);
            let b = build_world(&pa);
            assert_ne!(l1_ref(&a, reorg_at).hash, l1_ref(&b, reorg_at).hash);

            let mut pipe = Pipeline::new(a.cfg.clone(), a.l1[0].block_ref, genesis_system_config());
            let mut d = Derived::new(&a);
            drive(&a, &mut pipe, &mut d, Some(reorg_at + 4)).unwrap();
            assert!(
                d.safe.l1_origin.number >= reorg_at,
                "seed {seed}: derived past the fork point"
            );
            // L1 now serves branch B: the next block's parent is not the origin.
            let err = drive(&b, &mut pipe, &mut d, None).unwrap_err();
            assert_eq!(err.class(), ErrorClass::Reset, "seed {seed}: {err}");
            let keep = d
                .blocks
                .iter()
                .rposition(|x| x.block_ref.l1_origin.number < reorg_at)
                .unwrap();
            d.blocks.truncate(keep + 1);
            d.attrs.truncate(keep);
            d.safe = d.blocks[keep].block_ref;
            let sys = d.blocks[keep].system_config;
            pipe.reset(l1_ref(&b, d.safe.l1_origin.number), sys);
            drive(&b, &mut pipe, &mut d, None).unwrap();
            assert_same_chain(&b, &d, kind, &format!("seed {seed} {kind:?} after reorg"));
        }
    }
}

/// Shorter chains over more seeds, mixing every option.
#[test]
fn seed_sweep() {
    let default: Vec<u64> = (100..106).collect();
    for seed in seeds(&default) {
        let mut r = Rng::new(seed, "sweep", 0);
        let kind = if r.chance(1, 2) {
            BatchKind::Span
        } else {
            BatchKind::Singular
        };
        let algo = if r.chance(1, 2) {
            CompressionAlgo::Brotli
        } else {
            CompressionAlgo::Zlib
        };
        let mut p = SimParams::new(seed, kind, algo);
        p.l2_blocks = 150 + r.below(100);
        p.blobs = r.chance(1, 4);
        p.overlap = r.below(3);
        p.max_channel_blocks = 1 + r.below(30);
        p.max_txs = r.below(8);
        let _ = round_trip(&p);
    }
}

/// The simulation is a pure function of its parameters: a failing seed replays exactly.
#[test]
fn same_seed_same_world() {
    let mut p = SimParams::new(9, BatchKind::Span, CompressionAlgo::Zlib);
    p.l2_blocks = 60;
    let (a, b) = (build_world(&p), build_world(&p));
    assert_eq!(a.l1, b.l1);
    assert!(
        a.l2.iter()
            .zip(&b.l2)
            .all(|(x, y)| x.attributes == y.attributes)
    );
    p.seed = 10;
    assert_ne!(build_world(&p).l1, a.l1);
}
