#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! The engine controller driven by scripted engine answers.

mod common;

use alloy_primitives::B256;
use alloy_rpc_types_engine::{ForkchoiceUpdated, PayloadId, PayloadStatus, PayloadStatusEnum};
use common::*;
use keel_derive::types::L2BlockRef;
use keel_engine::{
    consolidate::Mismatch,
    controller::{EngineAction, EngineController, EngineEvent, EngineInput, EngineResult, Heads},
    error::{EngineError, ErrorClass, INVALID_PAYLOAD_ATTRIBUTES},
};
use keel_protocol::rollup_config::RollupConfig;
use op_alloy_rpc_types_engine::OpExecutionPayloadEnvelope;

fn status(s: PayloadStatusEnum) -> PayloadStatus {
    PayloadStatus::new(s, None)
}
fn valid() -> PayloadStatus {
    status(PayloadStatusEnum::Valid)
}
fn invalid(why: &str) -> PayloadStatus {
    status(PayloadStatusEnum::Invalid {
        validation_error: why.into(),
    })
}
fn fcu(s: PayloadStatus, id: Option<u8>) -> EngineResult {
    EngineResult::ForkchoiceUpdated(Ok(ForkchoiceUpdated {
        payload_status: s,
        payload_id: id.map(|i| PayloadId::new([i; 8])),
    }))
}
fn action(c: &mut EngineController) -> EngineAction {
    c.poll_action().expect("an action")
}
fn events(c: &mut EngineController) -> Vec<EngineEvent> {
    std::iter::from_fn(|| c.poll_event()).collect()
}

struct Setup {
    cfg: RollupConfig,
    c: EngineController,
    genesis: L2BlockRef,
}

fn setup(holocene: bool) -> Setup {
    let cfg = config(holocene);
    let genesis = genesis(&cfg);
    let c = EngineController::new(cfg.clone(), Heads::at(genesis));
    Setup { cfg, c, genesis }
}

/// Inserts an unsafe payload with all-VALID answers; returns its reference.
fn insert_unsafe(s: &mut Setup, env: OpExecutionPayloadEnvelope) {
    s.c.handle(EngineInput::UnsafePayload(Box::new(env.clone())));
    assert_eq!(
        action(&mut s.c),
        EngineAction::NewPayload(Box::new(env.clone()))
    );
    s.c.on_result(EngineResult::NewPayload(Ok(valid())));
    match action(&mut s.c) {
        EngineAction::ForkchoiceUpdate { state, attributes } => {
            assert_eq!(state.head_block_hash, env.execution_payload.block_hash());
            assert!(attributes.is_none());
        }
        other => panic!("expected FCU, got {other:?}"),
    }
    s.c.on_result(fcu(valid(), None));
    assert!(matches!(
        events(&mut s.c).as_slice(),
        [EngineEvent::UnsafeInserted(_)]
    ));
}

/// A sequencer chain of `n` blocks on genesis, origin 10, one user tx each.
fn unsafe_chain(s: &Setup, n: u64) -> Vec<(OpExecutionPayloadEnvelope, L2BlockRef)> {
    let mut parent = s.genesis;
    let mut out = Vec::new();
    for i in 0..n {
        let a = attributes(&s.cfg, &parent, 10, &[i]);
        let env = payload(&s.cfg, &a, &parent, 0);
        let r = block_ref(&env, &parent, 10);
        out.push((env, r));
        parent = r;
    }
    out
}

/// Runs a build through FCU(attrs) → getPayload → newPayload with VALID answers,
/// returning the FCU's attributes and the built payload.
fn run_build(s: &mut Setup, parent: &L2BlockRef, salt: u8) -> OpExecutionPayloadEnvelope {
    let attrs = match action(&mut s.c) {
        EngineAction::ForkchoiceUpdate {
            state,
            attributes: Some(a),
        } => {
            assert_eq!(
                state.head_block_hash, parent.hash,
                "build starts on the parent"
            );
            *a
        }
        other => panic!("expected FCU with attributes, got {other:?}"),
    };
    s.c.on_result(fcu(valid(), Some(7)));
    assert_eq!(
        action(&mut s.c),
        EngineAction::GetPayload {
            id: PayloadId::new([7; 8]),
            timestamp: attrs.payload_attributes.timestamp
        }
    );
    let built = payload(&s.cfg, &attrs, parent, salt);
    s.c.on_result(EngineResult::GetPayload(Ok(built.clone())));
    assert_eq!(
        action(&mut s.c),
        EngineAction::NewPayload(Box::new(built.clone()))
    );
    s.c.on_result(EngineResult::NewPayload(Ok(valid())));
    built
}

#[test]
fn unsafe_payload_is_inserted_then_made_head() {
    let mut s = setup(true);
    let chain = unsafe_chain(&s, 2);
    insert_unsafe(&mut s, chain[0].0.clone());
    insert_unsafe(&mut s, chain[1].0.clone());
    let h = s.c.heads();
    assert_eq!(h.unsafe_head, chain[1].1);
    assert_eq!(h.cross_unsafe, chain[1].1);
    assert_eq!(h.safe, s.genesis);
    assert!(s.c.poll_action().is_none());
}

#[test]
fn unsafe_payloads_not_extending_the_head_are_dropped_without_engine_calls() {
    let mut s = setup(true);
    let chain = unsafe_chain(&s, 3);
    insert_unsafe(&mut s, chain[0].0.clone());
    // Stale (same height again) and a gap (block 3 on an unknown parent).
    s.c.handle(EngineInput::UnsafePayload(Box::new(chain[0].0.clone())));
    s.c.handle(EngineInput::UnsafePayload(Box::new(chain[2].0.clone())));
    assert!(s.c.poll_action().is_none());
    let ev = events(&mut s.c);
    assert_eq!(ev.len(), 2);
    assert!(
        ev.iter()
            .all(|e| matches!(e, EngineEvent::UnsafeDropped { .. }))
    );
}

#[test]
fn invalid_unsafe_payload_is_dropped() {
    let mut s = setup(true);
    let chain = unsafe_chain(&s, 1);
    s.c.handle(EngineInput::UnsafePayload(Box::new(chain[0].0.clone())));
    action(&mut s.c);
    s.c.on_result(EngineResult::NewPayload(Ok(invalid("bad state root"))));
    assert!(s.c.poll_action().is_none());
    assert!(matches!(
        events(&mut s.c).as_slice(),
        [EngineEvent::UnsafeDropped { reason, .. }] if reason == "bad state root"
    ));
    assert_eq!(s.c.heads().unsafe_head, s.genesis);
}

#[test]
fn syncing_parks_the_job_until_retry() {
    let mut s = setup(true);
    let chain = unsafe_chain(&s, 1);
    s.c.handle(EngineInput::UnsafePayload(Box::new(chain[0].0.clone())));
    action(&mut s.c);
    s.c.on_result(EngineResult::NewPayload(Ok(status(
        PayloadStatusEnum::Syncing,
    ))));
    assert!(matches!(
        events(&mut s.c).as_slice(),
        [EngineEvent::EngineSyncing]
    ));
    assert!(s.c.is_parked());
    // Later inputs wait behind the parked job.
    s.c.handle(EngineInput::Flush);
    assert!(s.c.poll_action().is_none());
    s.c.handle(EngineInput::Retry);
    assert_eq!(
        action(&mut s.c),
        EngineAction::NewPayload(Box::new(chain[0].0.clone()))
    );
    s.c.on_result(EngineResult::NewPayload(Ok(valid())));
    action(&mut s.c);
    s.c.on_result(fcu(valid(), None));
    assert_eq!(s.c.heads().unsafe_head, chain[0].1);
}

#[test]
fn temporary_transport_error_parks_and_retries() {
    let mut s = setup(true);
    let chain = unsafe_chain(&s, 1);
    s.c.handle(EngineInput::UnsafePayload(Box::new(chain[0].0.clone())));
    action(&mut s.c);
    s.c.on_result(EngineResult::NewPayload(Err(EngineError::Transport {
        method: "engine_newPayloadV3",
        reason: "connection refused".into(),
    })));
    match events(&mut s.c).as_slice() {
        [EngineEvent::Error(e)] => assert_eq!(e.class(), ErrorClass::Temporary),
        other => panic!("{other:?}"),
    }
    s.c.handle(EngineInput::Retry);
    assert!(matches!(action(&mut s.c), EngineAction::NewPayload(_)));
}

#[test]
fn matching_attributes_promote_unsafe_blocks_without_execution_and_one_fcu() {
    let mut s = setup(true);
    let chain = unsafe_chain(&s, 3);
    for (env, _) in &chain {
        insert_unsafe(&mut s, env.clone());
    }
    let mut parent = s.genesis;
    let mut fcus = 0;
    for (i, (env, r)) in chain.iter().enumerate() {
        let a = attributes(&s.cfg, &parent, 10, &[i as u64]);
        s.c.handle(EngineInput::Attributes(derived(a, parent, 20, true)));
        assert_eq!(
            action(&mut s.c),
            EngineAction::FetchPayload { number: r.number }
        );
        s.c.on_result(EngineResult::FetchPayload(Ok(Some(env.clone()))));
        match events(&mut s.c).as_slice() {
            [
                EngineEvent::Consolidated {
                    block,
                    safe: true,
                    built: false,
                    reorged: None,
                },
            ] => {
                assert_eq!(block, r)
            }
            other => panic!("{other:?}"),
        }
        while let Some(a) = s.c.poll_action() {
            if matches!(a, EngineAction::ForkchoiceUpdate { .. }) {
                fcus += 1;
            }
        }
        parent = *r;
    }
    assert_eq!(fcus, 0, "consolidation alone sends no forkchoice update");
    assert_eq!(s.c.heads().safe, chain[2].1);
    assert_eq!(s.c.heads().unsafe_head, chain[2].1);
    // One flush, one FCU, carrying the new safe head.
    s.c.handle(EngineInput::Flush);
    match action(&mut s.c) {
        EngineAction::ForkchoiceUpdate {
            state,
            attributes: None,
        } => {
            assert_eq!(state.safe_block_hash, chain[2].1.hash);
            assert_eq!(state.head_block_hash, chain[2].1.hash);
        }
        other => panic!("{other:?}"),
    }
    s.c.on_result(fcu(valid(), None));
    assert!(!s.c.forkchoice_dirty());
    // A second flush with nothing new sends nothing.
    s.c.handle(EngineInput::Flush);
    assert!(s.c.poll_action().is_none());
}

#[test]
fn pending_safe_moves_but_safe_waits_for_the_end_of_the_span() {
    let mut s = setup(true);
    let chain = unsafe_chain(&s, 2);
    for (env, _) in &chain {
        insert_unsafe(&mut s, env.clone());
    }
    let a = attributes(&s.cfg, &s.genesis, 10, &[0]);
    s.c.handle(EngineInput::Attributes(derived(a, s.genesis, 20, false)));
    action(&mut s.c);
    s.c.on_result(EngineResult::FetchPayload(Ok(Some(chain[0].0.clone()))));
    assert_eq!(s.c.heads().pending_safe, chain[0].1);
    assert_eq!(s.c.heads().safe, s.genesis);
    assert!(!s.c.forkchoice_dirty());
}

#[test]
fn mismatch_reorgs_the_unsafe_chain_by_building_from_attributes() {
    let mut s = setup(true);
    let chain = unsafe_chain(&s, 3);
    for (env, _) in &chain {
        insert_unsafe(&mut s, env.clone());
    }
    // Block 1 matches.
    let a1 = attributes(&s.cfg, &s.genesis, 10, &[0]);
    s.c.handle(EngineInput::Attributes(derived(a1, s.genesis, 20, true)));
    action(&mut s.c);
    s.c.on_result(EngineResult::FetchPayload(Ok(Some(chain[0].0.clone()))));
    events(&mut s.c);
    // Block 2 was derived with another user transaction than the sequencer's.
    let b1 = chain[0].1;
    let a2 = attributes(&s.cfg, &b1, 10, &[99]);
    s.c.handle(EngineInput::Attributes(derived(a2, b1, 20, true)));
    assert_eq!(action(&mut s.c), EngineAction::FetchPayload { number: 2 });
    s.c.on_result(EngineResult::FetchPayload(Ok(Some(chain[1].0.clone()))));
    let built = run_build(&mut s, &b1, 1);
    let new_ref = block_ref(&built, &b1, 10);
    match events(&mut s.c).as_slice() {
        [
            EngineEvent::Consolidated {
                block,
                safe: true,
                built: true,
                reorged: Some(Mismatch::Transaction { index: 1 }),
            },
        ] => {
            assert_eq!(*block, new_ref)
        }
        other => panic!("{other:?}"),
    }
    let h = s.c.heads();
    assert_eq!(h.unsafe_head, new_ref, "the old blocks 2 and 3 are gone");
    assert_eq!(h.safe, new_ref);
    assert_ne!(new_ref.hash, chain[1].1.hash);
    // The old block 3 no longer extends the chain.
    s.c.handle(EngineInput::UnsafePayload(Box::new(chain[2].0.clone())));
    assert!(matches!(
        events(&mut s.c).as_slice(),
        [EngineEvent::UnsafeDropped { .. }]
    ));
    assert!(s.c.poll_action().is_none());
}

#[test]
fn attributes_past_the_unsafe_head_are_built_and_fcus_are_batched() {
    let mut s = setup(true);
    let mut parent = s.genesis;
    let mut fcu_without_attrs = 0;
    for i in 0..5 {
        let a = attributes(&s.cfg, &parent, 10, &[i]);
        s.c.handle(EngineInput::Attributes(derived(a, parent, 20, i == 4)));
        let built = run_build(&mut s, &parent, 0);
        while let Some(a) = s.c.poll_action() {
            if matches!(
                a,
                EngineAction::ForkchoiceUpdate {
                    attributes: None,
                    ..
                }
            ) {
                fcu_without_attrs += 1;
            }
        }
        parent = block_ref(&built, &parent, 10);
        assert_eq!(s.c.heads().unsafe_head, parent);
        assert_eq!(s.c.heads().pending_safe, parent);
    }
    assert_eq!(fcu_without_attrs, 0, "no forkchoice update per block");
    assert_eq!(s.c.heads().safe, parent);
    s.c.handle(EngineInput::Flush);
    assert!(matches!(
        action(&mut s.c),
        EngineAction::ForkchoiceUpdate {
            attributes: None,
            ..
        }
    ));
    s.c.on_result(fcu(valid(), None));
    assert!(s.c.poll_action().is_none());
}

fn start_invalid_build(s: &mut Setup, via_rpc_error: bool) -> L2BlockRef {
    let a = attributes(&s.cfg, &s.genesis, 10, &[1, 2]);
    s.c.handle(EngineInput::Attributes(derived(a, s.genesis, 20, true)));
    assert!(matches!(
        action(&mut s.c),
        EngineAction::ForkchoiceUpdate {
            attributes: Some(_),
            ..
        }
    ));
    if via_rpc_error {
        s.c.on_result(EngineResult::ForkchoiceUpdated(Err(EngineError::Rpc {
            method: "engine_forkchoiceUpdatedV3",
            code: INVALID_PAYLOAD_ATTRIBUTES,
            message: "invalid attributes".into(),
        })));
    } else {
        s.c.on_result(fcu(valid(), Some(1)));
        let a = attributes(&s.cfg, &s.genesis, 10, &[1, 2]);
        action(&mut s.c);
        s.c.on_result(EngineResult::GetPayload(Ok(payload(
            &s.cfg, &a, &s.genesis, 0,
        ))));
        action(&mut s.c);
        s.c.on_result(EngineResult::NewPayload(Ok(invalid(
            "tx 1 reverts the block",
        ))));
    }
    s.genesis
}

#[test]
fn holocene_invalid_payload_is_rebuilt_as_deposits_only() {
    for via_rpc_error in [false, true] {
        let mut s = setup(true);
        let parent = start_invalid_build(&mut s, via_rpc_error);
        assert!(matches!(
            events(&mut s.c).as_slice(),
            [EngineEvent::DepositsOnlyReplacement { .. }]
        ));
        match s.c.poll_action() {
            Some(EngineAction::ForkchoiceUpdate {
                attributes: Some(a),
                state,
            }) => {
                assert_eq!(state.head_block_hash, parent.hash);
                let txs = a.transactions.as_ref().unwrap();
                assert_eq!(txs.len(), 1, "only the L1-info deposit is left");
                assert_eq!(txs[0][0], 0x7e);
                assert_eq!(a.no_tx_pool, Some(true));
            }
            other => panic!("{other:?}"),
        }
        // The deposits-only build goes through.
        s.c.on_result(fcu(valid(), Some(2)));
        let a = attributes(&s.cfg, &parent, 10, &[]);
        action(&mut s.c);
        let built = payload(&s.cfg, &a, &parent, 5);
        s.c.on_result(EngineResult::GetPayload(Ok(built.clone())));
        action(&mut s.c);
        s.c.on_result(EngineResult::NewPayload(Ok(valid())));
        assert_eq!(s.c.heads().safe.hash, built.execution_payload.block_hash());
    }
}

#[test]
fn rejected_deposits_only_block_is_critical() {
    let mut s = setup(true);
    start_invalid_build(&mut s, false);
    events(&mut s.c);
    action(&mut s.c);
    s.c.on_result(EngineResult::ForkchoiceUpdated(Err(EngineError::Rpc {
        method: "engine_forkchoiceUpdatedV3",
        code: INVALID_PAYLOAD_ATTRIBUTES,
        message: "still bad".into(),
    })));
    match events(&mut s.c).as_slice() {
        [EngineEvent::Error(e @ EngineError::DepositsOnlyInvalid { .. })] => {
            assert_eq!(e.class(), ErrorClass::Critical)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pre_holocene_invalid_payload_is_dropped_and_the_unsafe_chain_restored() {
    let mut s = setup(false);
    let chain = unsafe_chain(&s, 2);
    for (env, _) in &chain {
        insert_unsafe(&mut s, env.clone());
    }
    // Mismatch at block 1 → build → engine says INVALID.
    let a = attributes(&s.cfg, &s.genesis, 10, &[42]);
    s.c.handle(EngineInput::Attributes(derived(
        a.clone(),
        s.genesis,
        20,
        true,
    )));
    action(&mut s.c);
    s.c.on_result(EngineResult::FetchPayload(Ok(Some(chain[0].0.clone()))));
    action(&mut s.c);
    s.c.on_result(fcu(valid(), Some(3)));
    action(&mut s.c);
    s.c.on_result(EngineResult::GetPayload(Ok(payload(
        &s.cfg, &a, &s.genesis, 9,
    ))));
    action(&mut s.c);
    s.c.on_result(EngineResult::NewPayload(Ok(invalid("bad"))));
    assert!(matches!(
        events(&mut s.c).as_slice(),
        [EngineEvent::AttributesDropped { .. }]
    ));
    assert!(s.c.poll_action().is_none(), "no retry before Holocene");
    let h = s.c.heads();
    assert_eq!(h.unsafe_head, chain[1].1, "backup unsafe head restored");
    assert_eq!(h.pending_safe, s.genesis);
    assert!(
        s.c.forkchoice_dirty(),
        "the engine must be pointed back at the old chain"
    );
}

#[test]
fn finalization_follows_l1_finality() {
    let mut s = setup(true);
    let mut parent = s.genesis;
    let mut safes = Vec::new();
    // Blocks derived from L1 blocks 20, 21, 22.
    for (i, from) in [20u64, 21, 22].into_iter().enumerate() {
        let a = attributes(&s.cfg, &parent, 10, &[i as u64]);
        s.c.handle(EngineInput::Attributes(derived(a, parent, from, true)));
        let built = run_build(&mut s, &parent, 0);
        parent = block_ref(&built, &parent, 10);
        safes.push(parent);
    }
    events(&mut s.c);
    s.c.handle(EngineInput::L1Finalized(l1(19)));
    assert!(events(&mut s.c).is_empty());
    assert_eq!(s.c.heads().finalized, s.genesis);
    s.c.handle(EngineInput::L1Finalized(l1(21)));
    assert!(matches!(events(&mut s.c).as_slice(), [EngineEvent::Finalized(b)] if *b == safes[1]));
    assert_eq!(s.c.heads().finalized, safes[1]);
    s.c.handle(EngineInput::Flush);
    match action(&mut s.c) {
        EngineAction::ForkchoiceUpdate { state, .. } => {
            assert_eq!(state.finalized_block_hash, safes[1].hash);
            assert_eq!(state.safe_block_hash, safes[2].hash);
        }
        other => panic!("{other:?}"),
    }
    s.c.on_result(fcu(valid(), None));
    // L1 finality going backwards changes nothing.
    s.c.handle(EngineInput::L1Finalized(l1(20)));
    assert_eq!(s.c.heads().finalized, safes[1]);
}

#[test]
fn finality_waits_for_later_safe_heads() {
    let mut s = setup(true);
    s.c.handle(EngineInput::L1Finalized(l1(30)));
    let a = attributes(&s.cfg, &s.genesis, 10, &[]);
    s.c.handle(EngineInput::Attributes(derived(a, s.genesis, 25, true)));
    let g = s.genesis;
    let built = run_build(&mut s, &g, 0);
    assert_eq!(
        s.c.heads().finalized.hash,
        built.execution_payload.block_hash(),
        "a safe head derived from already-finalized L1 is final at once"
    );
}

#[test]
fn stale_and_foreign_attributes() {
    let mut s = setup(true);
    let chain = unsafe_chain(&s, 1);
    insert_unsafe(&mut s, chain[0].0.clone());
    let a = attributes(&s.cfg, &s.genesis, 10, &[0]);
    s.c.handle(EngineInput::Attributes(derived(a, s.genesis, 20, true)));
    action(&mut s.c);
    s.c.on_result(EngineResult::FetchPayload(Ok(Some(chain[0].0.clone()))));
    events(&mut s.c);
    // Again on genesis: already processed.
    let a = attributes(&s.cfg, &s.genesis, 10, &[0]);
    s.c.handle(EngineInput::Attributes(derived(a, s.genesis, 20, true)));
    assert!(matches!(
        events(&mut s.c).as_slice(),
        [EngineEvent::AttributesStale { .. }]
    ));
    // On a block we do not know at pending-safe's height: reset.
    let mut stranger = chain[0].1;
    stranger.hash = B256::repeat_byte(0xdd);
    let a = attributes(&s.cfg, &stranger, 10, &[0]);
    s.c.handle(EngineInput::Attributes(derived(a, stranger, 20, true)));
    match events(&mut s.c).as_slice() {
        [EngineEvent::Error(e)] => assert_eq!(e.class(), ErrorClass::Reset),
        other => panic!("{other:?}"),
    }
    assert!(s.c.poll_action().is_none());
}

#[test]
fn missing_unsafe_block_is_a_reset() {
    let mut s = setup(true);
    let chain = unsafe_chain(&s, 1);
    insert_unsafe(&mut s, chain[0].0.clone());
    let a = attributes(&s.cfg, &s.genesis, 10, &[0]);
    s.c.handle(EngineInput::Attributes(derived(a, s.genesis, 20, true)));
    action(&mut s.c);
    s.c.on_result(EngineResult::FetchPayload(Ok(None)));
    match events(&mut s.c).as_slice() {
        [EngineEvent::Error(e @ EngineError::MissingUnsafeBlock { number: 1 })] => {
            assert_eq!(e.class(), ErrorClass::Reset)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn stray_results_and_reset() {
    let mut s = setup(true);
    s.c.on_result(EngineResult::NewPayload(Ok(valid())));
    assert!(matches!(
        events(&mut s.c).as_slice(),
        [EngineEvent::Error(EngineError::StrayResult("NewPayload"))]
    ));
    let chain = unsafe_chain(&s, 1);
    s.c.handle(EngineInput::UnsafePayload(Box::new(chain[0].0.clone())));
    // A result before the action was taken does not disturb the job.
    s.c.on_result(EngineResult::NewPayload(Ok(valid())));
    assert!(matches!(
        events(&mut s.c).as_slice(),
        [EngineEvent::Error(EngineError::StrayResult("NewPayload"))]
    ));
    assert!(matches!(action(&mut s.c), EngineAction::NewPayload(_)));
    // Reset drops the job in flight and re-announces the forkchoice at the next flush.
    s.c.handle(EngineInput::Reset(Box::new(Heads::at(s.genesis))));
    assert!(s.c.is_idle());
    s.c.handle(EngineInput::Flush);
    assert!(matches!(
        action(&mut s.c),
        EngineAction::ForkchoiceUpdate {
            attributes: None,
            ..
        }
    ));
}

#[test]
fn invalid_forkchoice_is_a_reset() {
    let mut s = setup(true);
    s.c.handle(EngineInput::Reset(Box::new(Heads::at(s.genesis))));
    s.c.handle(EngineInput::Flush);
    action(&mut s.c);
    s.c.on_result(fcu(invalid("unknown safe block"), None));
    match events(&mut s.c).as_slice() {
        [EngineEvent::Error(e @ EngineError::ForkchoiceInvalid { .. })] => {
            assert_eq!(e.class(), ErrorClass::Reset)
        }
        other => panic!("{other:?}"),
    }
}

/// op-node judges Holocene's deposits-only rule by the L1 block the attributes came from,
/// not by the L2 timestamp.
#[test]
fn deposits_only_rule_follows_the_l1_origin_time() {
    let mut s = setup(false);
    s.cfg.hardforks.holocene_time = Some(l1(25).timestamp);
    s.c = EngineController::new(s.cfg.clone(), Heads::at(s.genesis));
    let a = attributes(&s.cfg, &s.genesis, 10, &[1]);
    assert!(
        a.payload_attributes.timestamp >= l1(25).timestamp,
        "L2 side is Holocene"
    );
    for (from, replaced) in [(24, false), (25, true)] {
        s.c.handle(EngineInput::Reset(Box::new(Heads::at(s.genesis))));
        s.c.handle(EngineInput::Attributes(derived(
            a.clone(),
            s.genesis,
            from,
            true,
        )));
        action(&mut s.c);
        s.c.on_result(fcu(invalid("bad"), None));
        let ev = events(&mut s.c);
        assert_eq!(
            matches!(ev.as_slice(), [EngineEvent::DepositsOnlyReplacement { .. }]),
            replaced,
            "derived from L1 {from}: {ev:?}"
        );
    }
}

#[test]
fn undecodable_unsafe_payload_is_dropped_without_engine_calls() {
    let mut s = setup(true);
    let mut env = unsafe_chain(&s, 1).remove(0).0;
    env.execution_payload.as_v1_mut().transactions[0] =
        alloy_primitives::Bytes::from_static(&[0x7e, 0xff]);
    s.c.handle(EngineInput::UnsafePayload(Box::new(env)));
    assert!(s.c.poll_action().is_none());
    assert!(matches!(
        events(&mut s.c).as_slice(),
        [EngineEvent::UnsafeDropped { .. }]
    ));
}

#[test]
fn a_built_block_on_the_wrong_parent_is_not_inserted() {
    let mut s = setup(true);
    let a = attributes(&s.cfg, &s.genesis, 10, &[1]);
    s.c.handle(EngineInput::Attributes(derived(
        a.clone(),
        s.genesis,
        20,
        true,
    )));
    action(&mut s.c);
    s.c.on_result(fcu(valid(), Some(1)));
    action(&mut s.c);
    let mut elsewhere = s.genesis;
    elsewhere.hash = B256::repeat_byte(0xee);
    s.c.on_result(EngineResult::GetPayload(Ok(payload(
        &s.cfg, &a, &elsewhere, 0,
    ))));
    assert!(s.c.poll_action().is_none(), "no newPayload for it");
    match events(&mut s.c).as_slice() {
        [EngineEvent::Error(e @ EngineError::Unexpected { .. })] => {
            assert_eq!(e.class(), ErrorClass::Temporary)
        }
        other => panic!("{other:?}"),
    }
    assert!(s.c.is_parked());
    s.c.handle(EngineInput::Retry);
    assert!(matches!(
        action(&mut s.c),
        EngineAction::ForkchoiceUpdate {
            attributes: Some(_),
            ..
        }
    ));
}
