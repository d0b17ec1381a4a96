//! Attributes queue: a singular batch on the safe head in, payload attributes out.
//!
//! The forced transactions come from the shared builder
//! ([`crate::attributes::prepare_payload_attributes`]) with the epoch's sealed header and
//! receipts, which this stage keeps for the L1 blocks the pipeline traversed; the batch's
//! transactions follow them and `no_tx_pool` stays set.
//!
//! Spec: protocol/derivation.md#payload-attributes-derivation (op-node's `AttributesQueue`).

use std::{collections::VecDeque, sync::Arc};

use alloy_consensus::{Header, ReceiptEnvelope, Sealed};
use keel_protocol::{
    batch::SingleBatch,
    rollup_config::{BlockId, RollupConfig},
    system_config::SystemConfig,
};
use op_alloy_rpc_types_engine::OpPayloadAttributes;

use crate::{
    attributes::{AttributesError, EpochOrigin, prepare_payload_attributes},
    error::ErrorClass,
    types::{L1BlockInput, L1BlockRef, L2BlockRef},
};

/// Extra L1 blocks kept beyond the sequencing window, so the batch queue's epochs (from the
/// safe head's origin to the current origin, `seq_window_size + 2` at most) are always there.
pub const EPOCH_WINDOW_MARGIN: u64 = 16;

/// Payload attributes for the block after `parent`, ready for the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedAttributes {
    /// The L2 block the attributes build on (the safe head).
    pub parent: L2BlockRef,
    /// The attributes: forced transactions then the batch's, `no_tx_pool: Some(true)`.
    pub attributes: OpPayloadAttributes,
    /// The L1 origin derivation had reached when the batch was read.
    pub derived_from: L1BlockRef,
    /// Whether this is the last block of its span batch (true for singular batches).
    pub is_last_in_span: bool,
}

/// Why attributes could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttributesQueueError {
    /// The batch's epoch is not among the L1 blocks kept (or has another hash): the L1 view
    /// changed; reset.
    #[error("L1 origin {epoch:?} of the batch after L2 block {parent} is not known")]
    UnknownEpoch {
        /// The batch's epoch.
        epoch: BlockId,
        /// The safe head number.
        parent: u64,
    },
    /// The batch does not build on the safe head (parent hash or timestamp): the safe head
    /// moved under the pipeline (op-node's attributes queue resets on this).
    #[error("batch at time {timestamp} does not build on safe head {parent}")]
    NotOnSafeHead {
        /// The safe head number.
        parent: u64,
        /// The batch's timestamp.
        timestamp: u64,
    },
    /// The builder refused.
    #[error(transparent)]
    Build(#[from] AttributesError),
}

impl AttributesQueueError {
    /// The error's class.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::UnknownEpoch { .. } | Self::NotOnSafeHead { .. } => ErrorClass::Reset,
            Self::Build(e) => e.class(),
        }
    }
}

#[derive(Debug, Clone)]
struct Epoch {
    header: Sealed<Header>,
    receipts: Vec<ReceiptEnvelope>,
}

/// The attributes queue and its window of traversed L1 blocks.
///
/// Bound: at most `seq_window_size + EPOCH_WINDOW_MARGIN` L1 blocks (headers and receipts).
#[derive(Debug, Clone)]
pub struct AttributesQueue {
    cfg: Arc<RollupConfig>,
    window: VecDeque<Epoch>,
}

impl AttributesQueue {
    /// An empty queue.
    pub fn new(cfg: Arc<RollupConfig>) -> Self {
        Self {
            cfg,
            window: VecDeque::new(),
        }
    }

    /// The window's capacity in L1 blocks.
    pub fn capacity(&self) -> u64 {
        self.cfg.seq_window_size.saturating_add(EPOCH_WINDOW_MARGIN)
    }

    /// Keeps `block`'s header and receipts (the L1 traversal accepted it, or it is the reset
    /// origin). A block that does not extend the last one kept replaces the window.
    pub fn push_l1_block(&mut self, block: &L1BlockInput) {
        let extends = self.window.back().is_some_and(|e| {
            e.header.hash() == block.header.parent_hash
                && e.header.number.checked_add(1) == Some(block.header.number)
        });
        if !extends {
            self.window.clear();
        }
        self.window.push_back(Epoch {
            header: Sealed::new_unchecked(block.header.clone(), block.block_ref.hash),
            receipts: block.receipts.clone(),
        });
        while self.window.len() as u64 > self.capacity() {
            self.window.pop_front();
        }
    }

    /// Drops L1 blocks before `number` (no batch can use them any more).
    pub fn prune_below(&mut self, number: u64) {
        while self
            .window
            .front()
            .is_some_and(|e| e.header.number < number)
        {
            self.window.pop_front();
        }
    }

    /// Forgets every L1 block (pipeline reset).
    pub fn clear(&mut self) {
        self.window.clear();
    }

    /// Number of L1 blocks kept.
    pub fn len(&self) -> usize {
        self.window.len()
    }

    /// Whether no L1 block is kept.
    pub fn is_empty(&self) -> bool {
        self.window.is_empty()
    }

    /// Builds the attributes of `batch` on `parent`, whose system config is `parent_config`.
    /// Returns them with the system config in force after the new block.
    ///
    /// Spec: protocol/derivation.md#deriving-the-transaction-list (forced transactions first,
    /// then the batch's).
    pub fn build(
        &self,
        parent: &L2BlockRef,
        parent_config: &SystemConfig,
        batch: SingleBatch,
        is_last_in_span: bool,
        derived_from: L1BlockRef,
    ) -> Result<(DerivedAttributes, SystemConfig), AttributesQueueError> {
        if batch.parent_hash != parent.hash
            || parent.timestamp.checked_add(self.cfg.block_time) != Some(batch.timestamp)
        {
            return Err(AttributesQueueError::NotOnSafeHead {
                parent: parent.number,
                timestamp: batch.timestamp,
            });
        }
        let epoch_id = BlockId {
            hash: batch.epoch_hash,
            number: batch.epoch_num,
        };
        let epoch = self
            .window
            .iter()
            .find(|e| e.header.number == batch.epoch_num && e.header.hash() == batch.epoch_hash)
            .ok_or(AttributesQueueError::UnknownEpoch {
                epoch: epoch_id,
                parent: parent.number,
            })?;
        let origin = EpochOrigin {
            header: &epoch.header,
            receipts: Some(&epoch.receipts),
            l1_blob_params: None,
        };
        let mut prepared =
            prepare_payload_attributes(&self.cfg, parent, parent_config, epoch_id, origin)?;
        if let Some(txs) = prepared.attributes.transactions.as_mut() {
            txs.extend(batch.transactions);
        }
        prepared.attributes.no_tx_pool = Some(true);
        Ok((
            DerivedAttributes {
                parent: *parent,
                attributes: prepared.attributes,
                derived_from,
                is_last_in_span,
            },
            prepared.system_config,
        ))
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;

    use super::*;

    fn block(number: u64, parent: B256) -> L1BlockInput {
        L1BlockInput::new(
            Header {
                number,
                parent_hash: parent,
                timestamp: number * 12,
                ..Default::default()
            },
            vec![],
            vec![],
        )
    }

    #[test]
    fn window_is_bounded_and_restarts_on_a_fork() {
        let cfg = Arc::new(RollupConfig {
            seq_window_size: 4,
            block_time: 2,
            ..Default::default()
        });
        let mut q = AttributesQueue::new(cfg);
        let mut parent = B256::ZERO;
        for n in 1..=40 {
            let b = block(n, parent);
            parent = b.block_ref.hash;
            q.push_l1_block(&b);
        }
        assert_eq!(q.len() as u64, q.capacity());
        q.prune_below(38);
        assert_eq!(q.len(), 3);
        // A block that does not extend the last one replaces the window.
        q.push_l1_block(&block(41, B256::repeat_byte(9)));
        assert_eq!(q.len(), 1);
    }

    #[test]
    fn batch_not_on_safe_head_is_a_reset() {
        let cfg = Arc::new(RollupConfig {
            block_time: 2,
            ..Default::default()
        });
        let q = AttributesQueue::new(cfg);
        let parent = L2BlockRef {
            hash: B256::repeat_byte(1),
            timestamp: 10,
            ..Default::default()
        };
        let batch = SingleBatch {
            parent_hash: B256::repeat_byte(2),
            epoch_num: 0,
            epoch_hash: B256::ZERO,
            timestamp: 12,
            transactions: vec![],
        };
        let err = q
            .build(
                &parent,
                &SystemConfig::default(),
                batch,
                true,
                L1BlockRef::default(),
            )
            .unwrap_err();
        assert_eq!(err.class(), ErrorClass::Reset);
    }
}
