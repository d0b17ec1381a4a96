//! Stepping the derivation pipeline: answering its requests for L1 blocks, blobs and L2
//! blocks, and handing its attributes to the engine controller; one forkchoice flush per
//! turn of steps, however many blocks it derived.

use alloy_consensus::Transaction as _;
use alloy_eips::{BlockNumberOrTag, eip2718::Encodable2718};
use keel_derive::{
    error::ErrorClass,
    l2::{block_ref_from_block, system_config_from_block},
    pipeline::Step,
    types::L2BlockInput,
};
use keel_engine::{
    api::EngineApi,
    controller::{DerivedAttributes, EngineEvent, EngineInput},
};

use super::{
    Driver, DriverHooks,
    sources::{Clock, L1Source, L2Source, SourceError},
};

/// What one derivation step came to.
enum Stepped {
    /// Progress; step again.
    More,
    /// Nothing to do until this time (or a new L1 head when `None`).
    Wait(Option<u64>),
}

impl<L1, L2, E, C, H> Driver<L1, L2, E, C, H>
where
    L1: L1Source,
    L2: L2Source,
    E: EngineApi + Sync,
    C: Clock,
    H: DriverHooks,
{
    /// Runs up to `derivation_steps_per_turn` steps, then sends the engine one forkchoice
    /// update for all the blocks they derived (op-node has had forkchoice-update storms
    /// from one update per block while catching up). Returns when derivation next needs
    /// attention (`Some(now)` if it has more work at once), `None` if it waits for a new L1
    /// head or is stopped.
    pub(super) async fn run_derivation(&mut self) -> Option<u64> {
        let next = self.derivation_turn().await;
        if std::mem::take(&mut self.flush_due) {
            self.drive_engine(EngineInput::Flush).await;
        }
        next
    }

    async fn derivation_turn(&mut self) -> Option<u64> {
        if self.derive_halted.is_some() || self.derive_waiting_l1 {
            return None;
        }
        let now = self.clock.now_ms();
        if now < self.derive_retry_at_ms {
            return Some(self.derive_retry_at_ms);
        }
        // Derived attributes queue behind a parked engine job; wait for its retry.
        if self.engine.controller().is_parked() {
            return self.engine_retry_at_ms;
        }
        for _ in 0..self.cfg.derivation_steps_per_turn {
            let stepped = self.derive_step().await;
            self.report_batches();
            match stepped {
                Ok(Stepped::More) => {}
                Ok(Stepped::Wait(at)) => return at,
                Err(e) => {
                    self.hooks.derivation_step("error");
                    self.hooks.derivation_error();
                    match e.class {
                        ErrorClass::Temporary => {
                            tracing::debug!(error = %e, "derivation waits");
                            self.backoff_derivation();
                            return Some(self.derive_retry_at_ms);
                        }
                        ErrorClass::Reset => {
                            tracing::warn!(error = %e, "derivation reset");
                            self.reset_due = true;
                            self.derive_retry_at_ms = self.clock.now_ms();
                        }
                        ErrorClass::Critical => self.halt_derivation(e.to_string()),
                    }
                    return None;
                }
            }
            if self.reset_due {
                return None;
            }
        }
        Some(self.clock.now_ms())
    }

    /// Tells the hooks how many batches the pipeline read since the last report.
    fn report_batches(&mut self) {
        let now = self.pipeline.batches_read();
        let seen = self.batches_reported;
        let (singular, span) = (
            now.singular.saturating_sub(seen.singular),
            now.span.saturating_sub(seen.span),
        );
        if singular > 0 || span > 0 {
            self.hooks.derived_batches(singular, span);
        }
        self.batches_reported = now;
    }

    async fn derive_step(&mut self) -> Result<Stepped, SourceError> {
        let pending_safe = self.engine.controller().heads().pending_safe;
        let step = self.pipeline.step(pending_safe).map_err(derive_err)?;
        let outcome = match &step {
            Step::NeedL1Block(_) => "need_l1",
            Step::NeedBlobs { .. } => "need_blobs",
            Step::NeedL2Block(_) => "need_l2",
            Step::Attributes(_) => "attributes",
        };
        tracing::trace!(
            step = outcome,
            safe = pending_safe.number,
            origin = self.pipeline.origin().number,
            "derivation step"
        );
        match step {
            Step::NeedL1Block(n) => {
                let limit = self
                    .l1_heads
                    .map(|h| h.head.number.saturating_sub(self.cfg.verifier_l1_confs));
                if limit.is_none_or(|limit| n > limit) {
                    self.derive_waiting_l1 = true;
                    self.hooks.derivation_step("idle");
                    return Ok(Stepped::Wait(None));
                }
                let Some(input) = self.l1.block_input(n).await? else {
                    self.derive_waiting_l1 = true;
                    self.hooks.derivation_step("idle");
                    return Ok(Stepped::Wait(None));
                };
                self.hooks.derivation_step(outcome);
                self.pipeline
                    .provide_l1_block(input.clone())
                    .map_err(derive_err)?;
                self.last_l1_input = Some(input);
                self.derive_backoff_ms = super::BASE_BACKOFF_MS;
                Ok(Stepped::More)
            }
            Step::NeedBlobs { block, hashes } => {
                self.hooks.derivation_step(outcome);
                let indices = self.blob_indices(block.hash, &hashes)?;
                let blobs = self.l1.blobs(block, &hashes, &indices).await?;
                self.pipeline
                    .provide_blobs(block.hash, blobs)
                    .map_err(derive_err)?;
                Ok(Stepped::More)
            }
            Step::NeedL2Block(n) => {
                self.hooks.derivation_step(outcome);
                let (hash, body) = self
                    .l2
                    .block(BlockNumberOrTag::Number(n))
                    .await?
                    .ok_or_else(|| SourceError {
                        source_name: "L2",
                        message: format!("derivation needs L2 block {n}, the engine has none"),
                        class: ErrorClass::Reset,
                    })?;
                let l2_err = |e: keel_derive::l2::L2BlockError| SourceError {
                    source_name: "L2",
                    message: e.to_string(),
                    class: ErrorClass::Critical,
                };
                let block_ref =
                    block_ref_from_block(&self.cfg.rollup, hash, &body).map_err(l2_err)?;
                let system_config =
                    system_config_from_block(&self.cfg.rollup, hash, &body).map_err(l2_err)?;
                let transactions = body
                    .body
                    .transactions
                    .iter()
                    .map(|tx| tx.encoded_2718().into())
                    .collect();
                self.pipeline
                    .provide_l2_block(L2BlockInput {
                        block_ref,
                        transactions,
                        system_config,
                    })
                    .map_err(derive_err)?;
                Ok(Stepped::More)
            }
            Step::Attributes(derived) => {
                self.hooks.derivation_step(outcome);
                let derived_from = derived.derived_from;
                let input = DerivedAttributes {
                    attributes: derived.attributes,
                    parent: derived.parent,
                    derived_from,
                    is_last_in_span: derived.is_last_in_span,
                };
                let events = self
                    .drive_engine(EngineInput::Attributes(Box::new(input)))
                    .await;
                self.flush_due = true;
                for event in &events {
                    if let EngineEvent::Consolidated {
                        block, safe: true, ..
                    } = event
                    {
                        self.hooks.safe_head(derived_from, *block);
                    }
                }
                self.derive_backoff_ms = super::BASE_BACKOFF_MS;
                Ok(Stepped::More)
            }
        }
    }

    /// Positions of `hashes` among all blob hashes of the L1 block `block` (the block the
    /// pipeline just read, so it is the last one fetched).
    fn blob_indices(
        &self,
        block: alloy_primitives::B256,
        hashes: &[alloy_primitives::B256],
    ) -> Result<Vec<u64>, SourceError> {
        let input = self
            .last_l1_input
            .as_ref()
            .filter(|i| i.block_ref.hash == block)
            .ok_or_else(|| SourceError {
                source_name: "L1",
                message: format!("blobs asked for block {block}, which was not the last read"),
                class: ErrorClass::Reset,
            })?;
        let all: Vec<alloy_primitives::B256> = input
            .transactions
            .iter()
            .filter_map(|tx| tx.blob_versioned_hashes().map(<[_]>::to_vec))
            .flatten()
            .collect();
        let mut from = 0usize;
        let mut indices = Vec::with_capacity(hashes.len());
        for h in hashes {
            let pos = all
                .iter()
                .skip(from)
                .position(|x| x == h)
                .map(|p| p + from)
                .ok_or_else(|| SourceError {
                    source_name: "L1",
                    message: format!("blob {h} is not in block {block}"),
                    class: ErrorClass::Critical,
                })?;
            indices.push(pos as u64);
            from = pos + 1;
        }
        Ok(indices)
    }
}

fn derive_err(e: keel_derive::error::DeriveError) -> SourceError {
    SourceError {
        source_name: "derivation",
        message: e.to_string(),
        class: e.class(),
    }
}
