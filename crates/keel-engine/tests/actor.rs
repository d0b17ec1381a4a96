#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! The async actor over an in-memory engine: gossip, consolidation with a reorg, batched
//! forkchoice, all through the narrow `EngineApi` trait.

mod common;

use std::{collections::HashMap, sync::Mutex};

use alloy_primitives::B256;
use alloy_rpc_types_engine::{
    ForkchoiceState, ForkchoiceUpdated, PayloadId, PayloadStatus, PayloadStatusEnum,
};
use keel_derive::types::L2BlockRef;
use keel_engine::{
    actor::EngineActor,
    api::EngineApi,
    controller::{EngineController, EngineEvent, EngineInput, Heads},
    error::EngineError,
};
use keel_protocol::rollup_config::RollupConfig;
use op_alloy_rpc_types_engine::{OpExecutionPayloadEnvelope, OpPayloadAttributes};

/// An engine that trusts every payload, builds with [`common::payload`] and keeps the
/// canonical chain by forkchoice.
struct MemEngine {
    cfg: RollupConfig,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    blocks: HashMap<B256, OpExecutionPayloadEnvelope>,
    refs: HashMap<B256, L2BlockRef>,
    head: B256,
    safe: B256,
    finalized: B256,
    builds: HashMap<PayloadId, OpExecutionPayloadEnvelope>,
    calls: HashMap<&'static str, usize>,
}

impl MemEngine {
    fn new(cfg: RollupConfig, genesis: L2BlockRef) -> Self {
        let mut s = State {
            head: genesis.hash,
            ..Default::default()
        };
        s.refs.insert(genesis.hash, genesis);
        Self {
            cfg,
            state: Mutex::new(s),
        }
    }
    fn calls(&self, m: &str) -> usize {
        self.state
            .lock()
            .unwrap()
            .calls
            .get(m)
            .copied()
            .unwrap_or(0)
    }
    fn canonical(&self, number: u64) -> Option<B256> {
        let s = self.state.lock().unwrap();
        let mut at = s.head;
        loop {
            let r = s.refs.get(&at)?;
            if r.number == number {
                return Some(at);
            }
            if r.number < number {
                return None;
            }
            at = r.parent_hash;
        }
    }
}

fn valid() -> PayloadStatus {
    PayloadStatus::new(PayloadStatusEnum::Valid, None)
}

impl EngineApi for MemEngine {
    async fn forkchoice_updated(
        &self,
        state: ForkchoiceState,
        attributes: Option<&OpPayloadAttributes>,
    ) -> Result<ForkchoiceUpdated, EngineError> {
        let mut s = self.state.lock().unwrap();
        *s.calls.entry("fcu").or_default() += 1;
        let Some(parent) = s.refs.get(&state.head_block_hash).copied() else {
            return Ok(ForkchoiceUpdated::new(PayloadStatus::new(
                PayloadStatusEnum::Syncing,
                None,
            )));
        };
        s.head = state.head_block_hash;
        s.safe = state.safe_block_hash;
        s.finalized = state.finalized_block_hash;
        let mut res = ForkchoiceUpdated::new(valid());
        if let Some(a) = attributes {
            let id = PayloadId::new([s.builds.len() as u8; 8]);
            let built = common::payload(&self.cfg, a, &parent, 0xb0);
            s.builds.insert(id, built);
            res.payload_id = Some(id);
        }
        Ok(res)
    }

    async fn new_payload(
        &self,
        envelope: &OpExecutionPayloadEnvelope,
    ) -> Result<PayloadStatus, EngineError> {
        let mut s = self.state.lock().unwrap();
        *s.calls.entry("new").or_default() += 1;
        let p = &envelope.execution_payload;
        let Some(parent) = s.refs.get(&p.parent_hash()).copied() else {
            return Ok(PayloadStatus::new(PayloadStatusEnum::Syncing, None));
        };
        let r = L2BlockRef {
            hash: p.block_hash(),
            number: p.block_number(),
            parent_hash: p.parent_hash(),
            timestamp: p.timestamp(),
            ..parent
        };
        s.refs.insert(r.hash, r);
        s.blocks.insert(r.hash, envelope.clone());
        Ok(valid())
    }

    async fn get_payload(
        &self,
        id: PayloadId,
        _timestamp: u64,
    ) -> Result<OpExecutionPayloadEnvelope, EngineError> {
        let mut s = self.state.lock().unwrap();
        *s.calls.entry("get").or_default() += 1;
        s.builds.remove(&id).ok_or(EngineError::Rpc {
            method: "engine_getPayloadV3",
            code: -38001,
            message: "unknown payload".into(),
        })
    }

    async fn payload_by_number(
        &self,
        number: u64,
    ) -> Result<Option<OpExecutionPayloadEnvelope>, EngineError> {
        let hash = self.canonical(number);
        let s = self.state.lock().unwrap();
        Ok(hash.and_then(|h| s.blocks.get(&h).cloned()))
    }
}

#[tokio::test]
async fn gossip_then_derivation_with_a_reorg_and_one_flush() {
    let cfg = common::config(true);
    let genesis = common::genesis(&cfg);
    let engine = MemEngine::new(cfg.clone(), genesis);
    let mut actor = EngineActor::new(
        engine,
        EngineController::new(cfg.clone(), Heads::at(genesis)),
    );

    // The sequencer's chain: 4 blocks, one user tx each.
    let mut parent = genesis;
    let mut seq = Vec::new();
    for i in 0..4 {
        let a = common::attributes(&cfg, &parent, 10, &[i]);
        let env = common::payload(&cfg, &a, &parent, 0);
        parent = common::block_ref(&env, &parent, 10);
        seq.push((a, env, parent));
    }
    for (_, env, r) in &seq {
        let ev = actor
            .drive(EngineInput::UnsafePayload(Box::new(env.clone())))
            .await;
        assert!(matches!(ev.as_slice(), [EngineEvent::UnsafeInserted(b)] if b == r));
    }
    assert_eq!(actor.client().calls("fcu"), 4, "one FCU per gossiped block");
    assert_eq!(actor.controller().heads().unsafe_head, seq[3].2);

    // L1 says: blocks 1 and 2 as sequenced, block 3 differs; one span of three blocks.
    let fcu_before = actor.client().calls("fcu");
    let mut parent = genesis;
    let mut derived_chain = Vec::new();
    for (i, users) in [[0u64], [1], [77]].into_iter().enumerate() {
        let a = common::attributes(&cfg, &parent, 10, &users);
        let ev = actor
            .drive(EngineInput::Attributes(common::derived(
                a,
                parent,
                30,
                i == 2,
            )))
            .await;
        match ev.as_slice() {
            [
                EngineEvent::Consolidated {
                    block,
                    built,
                    reorged,
                    ..
                },
            ] => {
                assert_eq!(*built, i == 2);
                assert_eq!(reorged.is_some(), i == 2);
                parent = *block;
            }
            other => panic!("attributes {i}: {other:?}"),
        }
        derived_chain.push(parent);
    }
    assert_eq!(derived_chain[..2], [seq[0].2, seq[1].2]);
    assert_ne!(derived_chain[2], seq[2].2);
    let ev = actor.drive(EngineInput::Flush).await;
    assert!(matches!(ev.as_slice(), [EngineEvent::ForkchoiceUpdated(_)]));
    assert_eq!(
        actor.client().calls("fcu") - fcu_before,
        2,
        "one FCU to build the replacement block, one flush for the whole span"
    );

    let h = *actor.controller().heads();
    assert_eq!(h.safe, derived_chain[2]);
    assert_eq!(h.unsafe_head, derived_chain[2]);
    let engine = actor.client();
    assert_eq!(engine.canonical(3), Some(derived_chain[2].hash));
    assert_eq!(
        engine.canonical(4),
        None,
        "the sequencer's block 4 was reorged out"
    );
    assert_eq!(engine.state.lock().unwrap().safe, derived_chain[2].hash);

    // L1 block 30 finalizes: so does the span.
    actor.drive(EngineInput::L1Finalized(common::l1(30))).await;
    actor.drive(EngineInput::Flush).await;
    assert_eq!(engine_finalized(&actor), derived_chain[2].hash);
}

fn engine_finalized(actor: &EngineActor<MemEngine>) -> B256 {
    actor.client().state.lock().unwrap().finalized
}
