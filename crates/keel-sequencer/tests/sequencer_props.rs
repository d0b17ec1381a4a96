//! Property test: for random L1 chains (with gaps longer than the drift), confirmation
//! depths, seal durations, clock jitter and engine faults, the sequenced chain satisfies the
//! derivation rules: L2 timestamps consecutive by the block time, origins never in the
//! future, moving by at most one linked L1 block, the drift respected except by empty
//! blocks whose next origin is still in the future; and one block per slot unless an L1
//! reorg made the sequencer rebuild.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use common::*;
use keel_sequencer::sequencer::{EngineFault, SequencerConfig};
use proptest::prelude::*;

fn l1_gap() -> impl Strategy<Value = u64> {
    prop_oneof![
        12 => 1u64..=30,
        1 => 400u64..=900,
    ]
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    Engine(EngineFault),
    /// L1 replaces its last `depth` visible blocks.
    L1Reorg(u64),
}

fn fault() -> impl Strategy<Value = Option<Fault>> {
    prop_oneof![
        20 => Just(None),
        1 => Just(Some(Fault::Engine(EngineFault::Syncing))),
        1 => Just(Some(Fault::Engine(EngineFault::Unavailable))),
        1 => Just(Some(Fault::Engine(EngineFault::InvalidAttributes))),
        1 => (1u64..=3).prop_map(|d| Some(Fault::L1Reorg(d))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn sequenced_chain_satisfies_derivation_rules(
        gaps in proptest::collection::vec(l1_gap(), 20..80),
        confs in 0u64..=3,
        seal_ms in 1u64..=400,
        seed in any::<u64>(),
        faults in proptest::collection::vec(fault(), 0..30),
        fjord in any::<bool>(),
    ) {
        let forks = forks_through(if fjord { "fjord" } else { "ecotone" });
        let mut w = World::new(forks, SequencerConfig { l1_confs: confs, ..Default::default() });
        w.seal_ms = seal_ms;
        for g in gaps {
            w.push_l1(g, vec![receipt(vec![deposit_log(1)])]);
        }
        let end = w.l1.last().unwrap().header.timestamp;
        let mut rng = seed | 1;
        let mut jitter = move |_now: u64| {
            // xorshift: deterministic per case.
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % 800
        };
        // Faults are spread over the run: one every few blocks.
        let step = (end - T0) / (faults.len() as u64 + 1);
        let mut t = T0;
        let mut reorged = false;
        for f in faults {
            t += step;
            w.run_until_with(t * 1000, &mut jitter);
            match f {
                // One fault at a time: two refusals of the same block halt by design.
                Some(Fault::Engine(f)) if w.engine_faults.is_empty() => {
                    w.engine_faults.push_back(f)
                }
                Some(Fault::L1Reorg(depth)) => {
                    let tip = w.l1_head_number();
                    if tip > L1_START + depth {
                        w.reorg_l1_above(tip - depth);
                        reorged = true;
                    }
                }
                _ => {}
            }
        }
        w.run_until_with(end * 1000, &mut jitter);
        prop_assert!(w.seq.halted().is_none(), "{:?}", w.seq.halted());
        // Without an L1 reorg there is no reset: the selector alone kept the chain valid
        // (the shared builder would refuse a bad origin with a reset).
        if !reorged {
            prop_assert_eq!(w.resets, 0);
        }
        w.check_chain_rules();
        // One block per slot, and the chain kept up with the clock (allowing for the
        // drift wait when L1 stalls longer than the drift).
        if !reorged {
            let mut seen = std::collections::HashSet::new();
            for p in &w.produced {
                prop_assert!(seen.insert(p.block.timestamp), "two blocks for slot {}", p.block.timestamp);
            }
        }
        prop_assert!(w.chain().len() > 1);
    }
}
