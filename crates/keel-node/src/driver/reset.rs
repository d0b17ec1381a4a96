//! Finding where to (re)start: the execution client's heads are read, the sync-start
//! search of keel-derive walks them back against L1, and the engine controller, the
//! pipeline and the sequencer all restart from its answer.
//!
//! Spec: protocol/derivation.md#resetting-the-pipeline and #finding-the-sync-starting-point.

use alloy_eips::BlockNumberOrTag;
use keel_derive::{
    error::ErrorClass,
    l2::block_ref_from_block,
    reset::{CurrentHeads, SyncStartFinder, SyncStep},
    types::L2BlockRef,
};
use keel_engine::{
    api::EngineApi,
    controller::{EngineInput, Heads},
};

use super::{
    Driver, DriverHooks, genesis_ref,
    sources::{Clock, L1Source, L2Source, SourceError},
};

/// Most requests one search makes; the walk is bounded by the sequencing window and the
/// channel timeout, so far more means a source is answering inconsistently.
const MAX_SEARCH_STEPS: usize = 1_000_000;

/// Why a reset did not complete.
#[derive(Debug)]
pub(super) enum ResetFailure {
    /// Try again after a back-off (a source was unreachable or changed under the search).
    Retry(String),
    /// Cannot continue (wrong chain, a finalized block reorged).
    Fatal(String),
}

impl From<SourceError> for ResetFailure {
    fn from(e: SourceError) -> Self {
        match e.class {
            ErrorClass::Critical => Self::Fatal(e.to_string()),
            _ => Self::Retry(e.to_string()),
        }
    }
}

impl<L1, L2, E, C, H> Driver<L1, L2, E, C, H>
where
    L1: L1Source,
    L2: L2Source,
    E: EngineApi + Sync,
    C: Clock,
    H: DriverHooks,
{
    async fn l2_ref(&self, tag: BlockNumberOrTag) -> Result<Option<L2BlockRef>, ResetFailure> {
        let Some((hash, block)) = self.l2.block(tag).await? else {
            return Ok(None);
        };
        block_ref_from_block(&self.cfg.rollup, hash, &block)
            .map(Some)
            .map_err(|e| ResetFailure::Fatal(format!("L2 block at {tag}: {e}")))
    }

    /// Runs the sync-start search and restarts every core from its result.
    pub(super) async fn reset(&mut self) -> Result<(), ResetFailure> {
        let genesis = genesis_ref(&self.cfg.rollup);
        let unsafe_head = self
            .l2_ref(BlockNumberOrTag::Latest)
            .await?
            .ok_or_else(|| {
                ResetFailure::Retry("the execution client has no latest block".into())
            })?;
        let safe = self.l2_ref(BlockNumberOrTag::Safe).await?;
        let finalized = self.l2_ref(BlockNumberOrTag::Finalized).await?;
        let heads = CurrentHeads::with_defaults(unsafe_head, safe, finalized, genesis);
        let mut finder = SyncStartFinder::new(&self.cfg.rollup, heads);
        let mut start = None;
        for _ in 0..MAX_SEARCH_STEPS {
            match finder.step() {
                Ok(SyncStep::Done(s)) => {
                    start = Some(*s);
                    break;
                }
                Ok(SyncStep::NeedL1BlockByNumber(n)) => {
                    let block = self.l1.block_ref_by_number(n).await?;
                    finder
                        .provide_l1(block)
                        .map_err(|e| ResetFailure::Retry(e.to_string()))?;
                }
                Ok(SyncStep::NeedL2Block(n)) => {
                    let block = self.l2_ref(BlockNumberOrTag::Number(n)).await?;
                    finder
                        .provide_l2(block)
                        .map_err(|e| ResetFailure::Retry(e.to_string()))?;
                }
                Err(e) => return Err(ResetFailure::Fatal(e.to_string())),
            }
        }
        let start = start.ok_or_else(|| {
            ResetFailure::Retry(format!(
                "sync-start search did not end in {MAX_SEARCH_STEPS} steps"
            ))
        })?;
        let system_config = self.system_config_of(start.pipeline_l2).await?;
        let new_heads = Heads {
            unsafe_head: start.unsafe_head,
            cross_unsafe: start.unsafe_head,
            pending_safe: start.safe_head,
            safe: start.safe_head,
            finalized: start.finalized_head,
        };
        tracing::info!(
            unsafe_head = start.unsafe_head.number,
            safe = start.safe_head.number,
            finalized = start.finalized_head.number,
            l1_origin = start.pipeline_origin.number,
            "derivation reset"
        );
        self.reset_due = false;
        self.engine
            .drive(EngineInput::Reset(Box::new(new_heads)))
            .await;
        self.drive_engine(EngineInput::Flush).await;
        self.pipeline.reset(start.pipeline_origin, system_config);
        self.last_l1_input = None;
        self.derive_waiting_l1 = false;
        self.derive_backoff_ms = super::BASE_BACKOFF_MS;
        self.hooks.pipeline_reset(start.pipeline_origin);
        self.hooks
            .derivation_reset(start.pipeline_origin, start.safe_head);
        self.status.send_modify(|s| s.resets += 1);
        self.unsafe_head_untold = !self.tell_sequencer_head(start.unsafe_head).await;
        Ok(())
    }
}
