#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! The controller under random inputs and random engine answers: it never panics and the
//! heads stay ordered (finalized ≤ safe ≤ pending-safe ≤ unsafe).

mod common;

use alloy_rpc_types_engine::{ForkchoiceUpdated, PayloadId, PayloadStatus, PayloadStatusEnum};
use common::*;
use keel_engine::{
    controller::{EngineAction, EngineController, EngineInput, EngineResult, Heads},
    error::EngineError,
};
use proptest::prelude::*;

fn status(k: u8) -> PayloadStatus {
    let s = match k % 4 {
        0 | 1 => PayloadStatusEnum::Valid,
        2 => PayloadStatusEnum::Syncing,
        _ => PayloadStatusEnum::Invalid {
            validation_error: "x".into(),
        },
    };
    PayloadStatus::new(s, None)
}

fn error(k: u8) -> EngineError {
    EngineError::Rpc {
        method: "m",
        code: [-38001, -38002, -38003, -38005, -32000][usize::from(k % 5)],
        message: "scripted".into(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn random_runs_keep_heads_ordered(ops in proptest::collection::vec((0u8..8, any::<u8>()), 1..80)) {
        let cfg = config(true);
        let g = genesis(&cfg);
        let mut c = EngineController::new(cfg.clone(), Heads::at(g));
        for (op, k) in ops {
            let h = *c.heads();
            match op {
                0 => {
                    let parent = if k % 2 == 0 { h.unsafe_head } else { h.pending_safe };
                    let a = attributes(&cfg, &parent, 10, &[u64::from(k)]);
                    c.handle(EngineInput::UnsafePayload(Box::new(payload(&cfg, &a, &parent, k))));
                }
                1 | 2 => {
                    let parent = h.pending_safe;
                    let a = attributes(&cfg, &parent, 10, &[u64::from(k % 3)]);
                    c.handle(EngineInput::Attributes(derived(a, parent, 20 + u64::from(k % 4), k % 3 != 0)));
                }
                3 => c.handle(EngineInput::L1Finalized(l1(18 + u64::from(k % 8)))),
                4 => c.handle(EngineInput::Flush),
                5 => c.handle(EngineInput::Retry),
                _ => {
                    let Some(action) = c.poll_action() else { continue };
                    let fail = k % 7 == 0;
                    let result = match action {
                        EngineAction::NewPayload(_) => EngineResult::NewPayload(if fail { Err(error(k)) } else { Ok(status(k)) }),
                        EngineAction::ForkchoiceUpdate { attributes, .. } => EngineResult::ForkchoiceUpdated(if fail {
                            Err(error(k))
                        } else {
                            Ok(ForkchoiceUpdated { payload_status: status(k), payload_id: attributes.map(|_| PayloadId::new([k; 8])) })
                        }),
                        EngineAction::GetPayload { .. } => {
                            let parent = h.pending_safe;
                            let a = attributes(&cfg, &parent, 10, &[u64::from(k % 3)]);
                            EngineResult::GetPayload(if fail { Err(error(k)) } else { Ok(payload(&cfg, &a, &parent, k)) })
                        }
                        EngineAction::FetchPayload { number } => {
                            let parent = h.pending_safe;
                            let a = attributes(&cfg, &parent, 10, &[u64::from(k % 3)]);
                            let env = payload(&cfg, &a, &parent, 0);
                            EngineResult::FetchPayload(if fail { Err(error(k)) } else { Ok((k % 5 != 0 && env.execution_payload.block_number() == number).then_some(env)) })
                        }
                    };
                    c.on_result(result);
                }
            }
            while c.poll_event().is_some() {}
            let h = c.heads();
            prop_assert!(h.finalized.number <= h.safe.number);
            prop_assert!(h.safe.number <= h.pending_safe.number);
            prop_assert!(h.pending_safe.number <= h.unsafe_head.number, "{h:?}");
        }
    }
}
