//! The batcher as a tokio service: reads L2 blocks and the safe head, feeds the
//! [`ChannelManager`], and drives one L1 transaction at a time through the transaction
//! manager's decisions (op-batcher's default `--max-pending-tx 1`: frames reach L1 in order,
//! which Holocene requires).
//!
//! The loop only turns I/O results into state-machine inputs; every rule lives in the
//! sans-IO modules.

mod args;
mod l1;
mod sources;

use alloy_primitives::B256;
use keel_protocol::rollup_config::RollupConfig;

pub use args::{BatcherArgs, parse_duration, run};
pub use l1::{L1Submitter, PreparedTx, ReceiptInfo};
pub use sources::{L2Source, RollupRpcSafeHead, RpcL2Source, SafeHeadSource};

use crate::{
    block::{BatchBlock, BlockError},
    config::DataAvailability,
    manager::{AddBlockError, ChannelManager, L1Head, ManagerError, TxOutcome},
    tx_data::{TxData, TxId},
    txmgr::{FeeConfig, NonceTracker, SendConfig, SendDecision, SendState},
};

/// Most L2 blocks read per step, so one step stays short behind a long backlog.
pub const MAX_BLOCKS_PER_STEP: usize = 256;

/// Why a service step failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// A JSON-RPC call failed (temporary: retried next step).
    #[error("{call}: {message}")]
    Rpc {
        /// The call.
        call: &'static str,
        /// The transport or node error.
        message: String,
    },
    /// An L1 block the node should have is missing.
    #[error("L1 block {0} missing")]
    MissingL1Block(&'static str),
    /// The L2 client reported a hash that is not its header's.
    #[error("L2 block {number}: reported hash {reported}, header hashes to {computed}")]
    BadL2Block {
        /// Block number.
        number: u64,
        /// Hash reported.
        reported: B256,
        /// Hash of the header sent.
        computed: B256,
    },
    /// An L2 block could not be read as a batch (critical).
    #[error(transparent)]
    Block(#[from] BlockError),
    /// The channel manager failed (critical).
    #[error(transparent)]
    Manager(#[from] ManagerError),
    /// Blob encoding failed.
    #[error("blob encoding: {0}")]
    Blob(keel_protocol::blob::BlobError),
    /// KZG commitment or proof failed.
    #[error("KZG: {0}")]
    Kzg(c_kzg::Error),
    /// Signing failed.
    #[error("signing: {0}")]
    Sign(String),
    /// Bad configuration (critical).
    #[error("configuration: {0}")]
    Config(String),
}

impl ServiceError {
    pub(crate) fn rpc(call: &'static str, e: impl std::fmt::Display) -> Self {
        Self::Rpc {
            call,
            message: e.to_string(),
        }
    }

    /// Whether retrying the step can help (RPC failures); other errors stop the service.
    pub fn is_temporary(&self) -> bool {
        matches!(self, Self::Rpc { .. } | Self::MissingL1Block(_))
    }
}

/// What one step did, for logs, status lines and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepReport {
    /// L2 blocks added.
    pub blocks_added: usize,
    /// Whether an L2 reorg reset the manager.
    pub l2_reorg: bool,
    /// Transactions undone by an L1 reorg.
    pub l1_reorged_txs: usize,
    /// Hashes published this step.
    pub published: Vec<B256>,
    /// A payload confirmed this step, and where.
    pub confirmed: Option<(TxId, u64)>,
    /// A payload abandoned this step.
    pub aborted: Option<TxId>,
}

struct InFlight {
    data: TxData,
    tx: PreparedTx,
    state: SendState,
}

/// The batcher service. See the module docs.
pub struct BatcherService<L2, S> {
    rollup: RollupConfig,
    manager: ChannelManager,
    l2: L2,
    safe: S,
    l1: L1Submitter,
    fees: FeeConfig,
    send: SendConfig,
    nonce: NonceTracker,
    inflight: Option<InFlight>,
    /// When L1 activated Osaka: blob transactions from then on carry cell proofs.
    l1_osaka_time: Option<u64>,
}

impl<L2: L2Source, S: SafeHeadSource> BatcherService<L2, S> {
    /// A service posting `manager`'s payloads for chain `rollup` through `l1`.
    pub fn new(
        rollup: RollupConfig,
        manager: ChannelManager,
        l2: L2,
        safe: S,
        l1: L1Submitter,
        fees: FeeConfig,
        send: SendConfig,
    ) -> Self {
        Self {
            rollup,
            manager,
            l2,
            safe,
            fees,
            send,
            nonce: NonceTracker::default(),
            inflight: None,
            l1_osaka_time: keel_protocol::l1_blob_schedule::known_l1_osaka_time(l1.chain_id()),
            l1,
        }
    }

    /// Sets when L1 activated Osaka (`None`: never), for an L1 whose schedule Keel does not
    /// know (a devnet); the public L1s' times are known from their chain id.
    #[must_use]
    pub const fn with_l1_osaka_time(mut self, time: Option<u64>) -> Self {
        self.l1_osaka_time = time;
        self
    }

    /// The channel manager (stats, state).
    pub fn manager(&self) -> &ChannelManager {
        &self.manager
    }

    /// The L1 client.
    pub fn l1(&self) -> &L1Submitter {
        &self.l1
    }

    /// Whether a transaction is on its way.
    pub fn has_inflight(&self) -> bool {
        self.inflight.is_some()
    }

    /// One round at wall time `now` (seconds): safe head, new L2 blocks, L1 head and reorgs,
    /// then the in-flight transaction (or a new one). `flush` closes the open channel even if
    /// it is not full (shutdown, tests).
    pub async fn step(&mut self, now: u64, flush: bool) -> Result<StepReport, ServiceError> {
        let mut report = StepReport::default();
        let safe = self.safe.safe_head().await?;
        self.manager.on_safe_head(safe);
        self.load_blocks(&mut report).await?;

        let (head, base_fee) = self.l1.head().await?;
        for inc in self.manager.confirmed_inclusions() {
            if self.l1.block_hash(inc.number).await? != Some(inc.hash) {
                report.l1_reorged_txs = self.manager.on_l1_reorg(inc.number.saturating_sub(1));
                tracing::warn!(
                    block = inc.number,
                    txs = report.l1_reorged_txs,
                    "L1 reorg dropped batcher transactions"
                );
                break;
            }
        }
        self.manager.on_l1_head(head);

        if self.inflight.is_none() {
            let data = match flush {
                true => self.manager.flush(head)?,
                false => self.manager.next_tx_data(head)?,
            };
            if let Some(data) = data {
                self.start(data, head, base_fee).await?;
            }
        }
        self.drive(now, head, base_fee, &mut report).await?;
        Ok(report)
    }

    async fn load_blocks(&mut self, report: &mut StepReport) -> Result<(), ServiceError> {
        let l2_head = self.l2.head_number().await?;
        while report.blocks_added < MAX_BLOCKS_PER_STEP {
            let Some(next) = self.manager.next_block_to_load() else {
                break;
            };
            if next > l2_head {
                break;
            }
            let Some((hash, block)) = self.l2.block(next).await? else {
                break;
            };
            let block = BatchBlock::from_op_block(&self.rollup, hash, &block)?;
            match self.manager.add_block(block) {
                Ok(()) => report.blocks_added += 1,
                Err(e @ AddBlockError::Reorg { .. }) => {
                    tracing::warn!(%e, "L2 reorg; restarting from the safe head");
                    report.l2_reorg = true;
                    break;
                }
                Err(AddBlockError::Full) => break,
            }
        }
        Ok(())
    }

    async fn start(
        &mut self,
        data: TxData,
        head: L1Head,
        base_fee: u128,
    ) -> Result<(), ServiceError> {
        if self.nonce.needs_sync() {
            self.nonce.sync(self.l1.pending_nonce().await?);
        }
        let Some(nonce) = self.nonce.take() else {
            return Ok(());
        };
        let blob = data.data_availability == DataAvailability::Blobs;
        // Spec: EIP-7594 — from Osaka, L1's pools take blob transactions with cell proofs
        // only. The next block is at least as late as the head, so the head decides.
        let cell_proofs = self.l1_osaka_time.is_some_and(|t| head.timestamp >= t);
        let tx =
            PreparedTx::with_sidecar(&data, self.rollup.batch_inbox_address, nonce, cell_proofs)?;
        let quote = self.l1.quote(base_fee, blob).await?;
        let fees = match self.fees.initial(quote, blob) {
            Ok(f) => f,
            Err(e) => {
                self.manager.tx_failed(data.id);
                self.nonce.reset();
                return Err(ServiceError::Config(e.to_string()));
            }
        };
        tracing::info!(id = %data.id, nonce, frames = data.frames.len(), bytes = data.len(), blob, "new batcher transaction");
        self.inflight = Some(InFlight {
            state: SendState::new(self.send, nonce, fees),
            data,
            tx,
        });
        Ok(())
    }

    async fn drive(
        &mut self,
        now: u64,
        head: L1Head,
        base_fee: u128,
        report: &mut StepReport,
    ) -> Result<(), ServiceError> {
        let Some(f) = self.inflight.as_mut() else {
            return Ok(());
        };
        if !f.state.hashes().is_empty() {
            match self.l1.receipt(f.state.hashes()).await? {
                Some(r) => f.state.on_receipt(r.hash, r.block, r.success),
                None if f.state.mined().is_some() => f.state.on_receipt_lost(),
                None => {}
            }
        }
        let fees = match f.state.next(now, head.number) {
            SendDecision::Wait => return Ok(()),
            SendDecision::Publish(fees) => fees,
            SendDecision::Bump(old) => {
                let quote = self.l1.quote(base_fee, f.tx.is_blob()).await?;
                match self.fees.bump(old, quote) {
                    Ok(new) => new,
                    Err(e) => {
                        tracing::warn!(%e, "cannot bump fees");
                        f.state.on_bump_failed();
                        return Ok(());
                    }
                }
            }
            SendDecision::Confirmed(at) => {
                let id = f.data.id;
                let outcome = self.manager.tx_confirmed(id, at);
                tracing::info!(%id, block = at.number, ?outcome, "batcher transaction confirmed");
                report.confirmed = Some((id, at.number));
                self.inflight = None;
                if outcome == TxOutcome::ChannelTimedOut {
                    tracing::warn!("channel timed out on L1; its blocks are queued again");
                }
                return Ok(());
            }
            SendDecision::Abort(reason) => {
                let id = f.data.id;
                tracing::warn!(%id, %reason, "batcher transaction abandoned");
                self.manager.tx_failed(id);
                self.nonce.reset();
                report.aborted = Some(id);
                self.inflight = None;
                return Ok(());
            }
        };
        let (hash, raw) = f.tx.sign(self.l1.signer(), self.l1.chain_id(), fees)?;
        let result = self.l1.publish(&raw).await;
        tracing::debug!(%hash, nonce = f.tx.nonce(), ?result, "published");
        f.state.on_published(fees, hash, result, now);
        if f.state.hashes().contains(&hash) {
            report.published.push(hash);
        }
        Ok(())
    }
}
