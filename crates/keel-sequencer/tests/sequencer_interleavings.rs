//! Event interleavings the synchronous simulation cannot produce: news arriving while an
//! engine call is under way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::time::Duration;

use alloy_primitives::{B64, B256};
use alloy_rpc_types_engine::PayloadId;
use common::*;
use keel_derive::types::L2BlockRef;
use keel_sequencer::sequencer::{
    ControlError, EpochInput, Sequencer, SequencerAction, SequencerConfig, SequencerEvent,
};

/// A started sequencer at genesis, with the genesis L1 block known.
fn setup() -> (Sequencer, L2BlockRef, common::L1Block, u64) {
    let w = World::new(forks_through("holocene"), SequencerConfig::default());
    let genesis = w.chain()[0];
    let now = T0 * 1000;
    let mut seq = w.seq.clone();
    seq.on_event(
        SequencerEvent::UnsafeHead {
            head: genesis,
            system_config: system_config(),
        },
        now,
    );
    seq.on_event(SequencerEvent::L1Head(l1_ref(&w.l1[0].header)), now);
    (seq, genesis, w.l1[0].clone(), now)
}

/// Answers fetches until the sequencer asks to build.
fn until_build(seq: &mut Sequencer, l1: &common::L1Block, now: u64) -> SequencerAction {
    for _ in 0..10 {
        match seq.next_action(now) {
            SequencerAction::FetchL1BlockByHash(_) => {
                seq.on_event(SequencerEvent::L1Block(l1_ref(&l1.header)), now)
            }
            SequencerAction::FetchEpoch { .. } => seq.on_event(
                SequencerEvent::EpochData(Box::new(EpochInput {
                    header: l1.header.clone(),
                    receipts: Some(vec![]),
                    blob_params: None,
                })),
                now,
            ),
            a @ SequencerAction::StartBuilding { .. } => return a,
            other => panic!("unexpected {other:?}"),
        }
    }
    panic!("no build")
}

fn child(parent: &L2BlockRef, salt: u8) -> L2BlockRef {
    L2BlockRef {
        hash: B256::repeat_byte(salt),
        number: parent.number + 1,
        parent_hash: parent.hash,
        timestamp: parent.timestamp + 2,
        l1_origin: parent.l1_origin,
        sequence_number: parent.sequence_number + 1,
    }
}

#[test]
fn a_replaced_head_drops_the_block_in_progress_and_ignores_its_late_answers() {
    let (mut seq, genesis, l1, now) = setup();
    let SequencerAction::StartBuilding { parent, .. } = until_build(&mut seq, &l1, now) else {
        unreachable!()
    };
    assert_eq!(parent, genesis);
    // Derivation inserts block 1 before the engine answers.
    let derived = child(&genesis, 0xd1);
    seq.on_event(
        SequencerEvent::UnsafeHead {
            head: derived,
            system_config: system_config(),
        },
        now,
    );
    // The stale build's answer is ignored.
    seq.on_event(
        SequencerEvent::BuildStarted {
            payload_id: PayloadId(B64::from(1u64)),
        },
        now,
    );
    // Next: block 2 on the derived block 1 (not a seal of the stale block 1).
    let later = now + 2000;
    let SequencerAction::StartBuilding {
        parent, timestamp, ..
    } = until_build(&mut seq, &l1, later)
    else {
        unreachable!()
    };
    assert_eq!(parent, derived);
    assert_eq!(timestamp, derived.timestamp + 2);
}

#[test]
fn our_own_block_reported_as_head_does_not_drop_the_seal() {
    let (mut seq, genesis, l1, now) = setup();
    until_build(&mut seq, &l1, now);
    seq.on_event(
        SequencerEvent::BuildStarted {
            payload_id: PayloadId(B64::from(1u64)),
        },
        now,
    );
    let seal_time = (T0 + 2) * 1000;
    let SequencerAction::Seal { parent, .. } = seq.next_action(seal_time) else {
        panic!()
    };
    assert_eq!(parent, genesis);
    // Stop is refused while sealing (op-node waits for the sealed block to be the head).
    assert!(matches!(
        seq.stop(),
        Err(ControlError::SealInProgress { parent_number: 0 })
    ));
    // The engine controller reports the new block before the seal answer arrives.
    let ours = child(&genesis, 0x01);
    seq.on_event(
        SequencerEvent::UnsafeHead {
            head: ours,
            system_config: system_config(),
        },
        seal_time,
    );
    seq.on_event(
        SequencerEvent::Sealed {
            head: ours,
            seal_duration: Duration::from_millis(40),
        },
        seal_time + 40,
    );
    assert_eq!(seq.unsafe_head(), Some(ours));
    assert_eq!(seq.stop(), Ok(ours.hash));
}

#[test]
fn start_needs_a_known_head() {
    let w = World::new(forks_through("holocene"), SequencerConfig::default());
    let mut seq = Sequencer::new(w.cfg.clone(), SequencerConfig::default());
    assert!(!seq.is_active());
    assert_eq!(seq.next_action(0), SequencerAction::Idle);
    assert!(matches!(
        seq.start(GENESIS_L2, 0),
        Err(ControlError::NoHead(_))
    ));
    // Started at boot without a head: it asks for one.
    seq.start_unchecked(0);
    assert_eq!(seq.next_action(0), SequencerAction::NeedUnsafeHead);
}
