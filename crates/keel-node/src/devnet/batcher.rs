//! The devnet's batcher: keel-batcher's sans-IO channel manager and transaction builder,
//! run in process against the embedded L1 and the sequencer's engine. The standalone
//! `keel batcher` runs the same manager over RPC.
//!
//! One transaction in flight at a time (op-batcher's default `--max-pending-tx 1`): built,
//! signed with the batcher key, handed to the L1 pool, confirmed once it is in a canonical
//! L1 block, or rebuilt if it falls out of the pool.

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{Address, B256};
use alloy_signer_local::PrivateKeySigner;
use keel_batcher::{BatchBlock, ChannelManager, L1Head, TxId, service::PreparedTx, txmgr::TxFees};
use keel_devchain::l1::beacon::SharedL1Chain;
use keel_protocol::rollup_config::{BlockId, RollupConfig};

use crate::driver::sources::L2Source;

/// Counters for the status line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatcherStats {
    /// Batcher transactions included on L1.
    pub txs_confirmed: u64,
    /// Frame bytes posted.
    pub bytes_posted: u64,
    /// Channels closed.
    pub channels: u64,
    /// Confirmed transactions an L1 reorg removed (their frames were posted again).
    pub txs_reorged: u64,
}

/// The in-process batcher.
#[derive(Debug)]
pub struct DevBatcher {
    rollup: RollupConfig,
    manager: ChannelManager,
    signer: PrivateKeySigner,
    inbox: Address,
    inflight: Option<(TxId, B256, usize)>,
    stats: BatcherStats,
}

/// Why a batcher step failed (logged; the next step retries).
#[derive(Debug, thiserror::Error)]
pub enum DevBatcherError {
    /// Building or signing the transaction failed.
    #[error("batcher transaction: {0}")]
    Tx(String),
    /// The L2 engine could not give a block.
    #[error("L2 block {0}: {1}")]
    L2(u64, String),
}

impl DevBatcher {
    /// A batcher for `rollup` posting with `signer` (the system config's batcher).
    pub fn new(rollup: RollupConfig, manager: ChannelManager, signer: PrivateKeySigner) -> Self {
        let inbox = rollup.batch_inbox_address;
        Self {
            rollup,
            manager,
            signer,
            inbox,
            inflight: None,
            stats: BatcherStats::default(),
        }
    }

    /// The counters.
    pub fn stats(&self) -> BatcherStats {
        let m = self.manager.stats();
        BatcherStats {
            channels: m.channels_closed,
            ..self.stats
        }
    }

    /// One round: follow L1 and the safe head, load new unsafe blocks up to `unsafe_head`
    /// from the sequencer's execution client `l2`, settle the transaction in flight, post
    /// the next one.
    pub async fn step(
        &mut self,
        l1: &SharedL1Chain,
        l2: &impl L2Source,
        safe: BlockId,
        unsafe_head: u64,
    ) -> Result<(), DevBatcherError> {
        let head = {
            let c = l1.read();
            let h = c.head();
            L1Head {
                number: h.header.number,
                timestamp: h.header.timestamp,
            }
        };
        self.manager.on_l1_head(head);
        self.manager.on_safe_head(safe);
        self.follow_l1_reorg(l1);
        self.settle(l1);
        while let Some(n) = self.manager.next_block_to_load() {
            if n > unsafe_head {
                break;
            }
            let Some((hash, block)) = l2
                .block(BlockNumberOrTag::Number(n))
                .await
                .map_err(|e| DevBatcherError::L2(n, e.to_string()))?
            else {
                break;
            };
            let batch = BatchBlock::from_op_block(&self.rollup, hash, &block)
                .map_err(|e| DevBatcherError::L2(n, e.to_string()))?;
            if let Err(e) = self.manager.add_block(batch) {
                tracing::warn!(error = %e, "batcher: L2 reorg, reloading");
                break;
            }
        }
        if self.inflight.is_none() {
            self.post(l1, head)?;
        }
        Ok(())
    }

    /// Frames confirmed in L1 blocks that are no longer canonical go out again: derivation
    /// will never see them (op-batcher requeues the frames of reorged-out transactions).
    fn follow_l1_reorg(&mut self, l1: &SharedL1Chain) {
        let c = l1.read();
        let gone = self
            .manager
            .confirmed_inclusions()
            .into_iter()
            .find(|b| c.block_by_number(b.number).map(|x| x.hash()) != Some(b.hash));
        if let Some(gone) = gone {
            let undone = self.manager.on_l1_reorg(gone.number.saturating_sub(1));
            self.stats.txs_reorged += undone as u64;
            tracing::warn!(
                l1_block = gone.number,
                undone,
                "batcher: L1 reorg dropped confirmed transactions, requeueing their frames"
            );
        }
    }

    fn settle(&mut self, l1: &SharedL1Chain) {
        let Some((id, hash, bytes)) = self.inflight else {
            return;
        };
        let c = l1.read();
        if let Some(info) = c.transaction(&hash) {
            let at = BlockId {
                hash: info.block_hash,
                number: info.block_number,
            };
            self.manager.tx_confirmed(id, at);
            self.stats.txs_confirmed += 1;
            self.stats.bytes_posted += bytes as u64;
            self.inflight = None;
        } else if c.pending_transaction(&hash).is_none() {
            // Dropped from the pool (refused while mining): its frames go back in line.
            tracing::warn!(%hash, "batcher transaction dropped, requeueing its frames");
            self.manager.tx_failed(id);
            self.inflight = None;
        }
    }

    fn post(&mut self, l1: &SharedL1Chain, head: L1Head) -> Result<(), DevBatcherError> {
        let Some(data) = self
            .manager
            .next_tx_data(head)
            .map_err(|e| DevBatcherError::Tx(e.to_string()))?
        else {
            return Ok(());
        };
        let bytes = data.len();
        let mut c = l1.write();
        let nonce = c.pending_nonce(&self.signer.address());
        let prepared = PreparedTx::new(&data, self.inbox, nonce)
            .map_err(|e| DevBatcherError::Tx(e.to_string()))?;
        // Generous caps: the dev L1 is never congested; unused fee is not paid.
        let base = u128::from(c.next_base_fee());
        let fees = TxFees {
            tip_cap: c.suggested_priority_fee(),
            fee_cap: base
                .saturating_mul(2)
                .saturating_add(c.suggested_priority_fee()),
            blob_fee_cap: prepared
                .is_blob()
                .then(|| c.next_blob_base_fee().saturating_mul(2).max(1_000_000_000)),
        };
        let (hash, raw) = prepared
            .sign(&self.signer, c.chain_id(), fees)
            .map_err(|e| DevBatcherError::Tx(e.to_string()))?;
        match c.send_raw_transaction(&raw) {
            Ok(_) => {
                self.inflight = Some((data.id, hash, bytes));
                Ok(())
            }
            Err(e) => {
                self.manager.tx_failed(data.id);
                Err(DevBatcherError::Tx(e.to_string()))
            }
        }
    }
}
