//! An L2 block as the batcher sees it: its id, parent, L1 origin and the singular batch that
//! carries it.

use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{B256, Bytes};
use keel_protocol::{
    batch::SingleBatch,
    l1_info::{L1BlockInfo, L1InfoError},
    rollup_config::{BlockId, RollupConfig},
};
use op_alloy_consensus::{OpBlock, OpTxEnvelope};

/// Why an L2 block cannot be batched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BlockError {
    /// Every L2 block but genesis opens with the L1-info deposit.
    #[error("L2 block {number} ({hash}) has no L1-info deposit as its first transaction")]
    MissingL1Info {
        /// Block number.
        number: u64,
        /// Block hash.
        hash: B256,
    },
    /// The L1-info deposit does not decode in the format the fork schedule demands.
    #[error("L1-info deposit of L2 block {number} ({hash}): {source}")]
    L1Info {
        /// Block number.
        number: u64,
        /// Block hash.
        hash: B256,
        /// Why.
        source: L1InfoError,
    },
}

/// One L2 block, reduced to what a batch needs plus what the batcher checks (parent link,
/// L1 origin time for the fork rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchBlock {
    /// The block's number and hash.
    pub id: BlockId,
    /// L1 origin (epoch) number and hash.
    pub l1_origin: BlockId,
    /// Timestamp of the L1 origin.
    pub l1_origin_time: u64,
    /// Position in its epoch (0 for the epoch's first block).
    pub sequence_number: u64,
    /// The block as a singular batch: parent hash, epoch, timestamp, non-deposit txs.
    pub batch: SingleBatch,
}

impl BatchBlock {
    /// Reads a block: the L1 origin and sequence number from its L1-info deposit, the
    /// batch from its header and non-deposit transactions (deposits are derived from L1,
    /// never batched).
    ///
    /// Spec: protocol/derivation.md#batch-format (a batch's transactions exclude deposits),
    /// protocol/deposits.md#l1-attributes-deposited-transaction (first tx of every block).
    pub fn from_op_block(
        cfg: &RollupConfig,
        hash: B256,
        block: &OpBlock,
    ) -> Result<Self, BlockError> {
        let header = &block.header;
        let missing = BlockError::MissingL1Info {
            number: header.number,
            hash,
        };
        let Some(OpTxEnvelope::Deposit(deposit)) = block.body.transactions.first() else {
            return Err(missing);
        };
        let info = L1BlockInfo::decode_for_block(cfg, header.timestamp, &deposit.inner().input)
            .map_err(|source| BlockError::L1Info {
                number: header.number,
                hash,
                source,
            })?;
        let transactions = block
            .body
            .transactions
            .iter()
            .filter(|tx| !tx.is_deposit())
            .map(|tx| Bytes::from(tx.encoded_2718()))
            .collect();
        Ok(Self {
            id: BlockId {
                hash,
                number: header.number,
            },
            l1_origin: BlockId {
                hash: info.block_hash(),
                number: info.number(),
            },
            l1_origin_time: info.timestamp(),
            sequence_number: info.sequence_number(),
            batch: SingleBatch {
                parent_hash: header.parent_hash,
                epoch_num: info.number(),
                epoch_hash: info.block_hash(),
                timestamp: header.timestamp,
                transactions,
            },
        })
    }

    /// Hash of the block's parent.
    pub fn parent_hash(&self) -> B256 {
        self.batch.parent_hash
    }

    /// L2 timestamp.
    pub fn timestamp(&self) -> u64 {
        self.batch.timestamp
    }

    /// Bytes of the block's transactions, a cheap measure of its weight in a channel.
    pub fn tx_bytes(&self) -> usize {
        self.batch.transactions.iter().map(|t| t.len()).sum()
    }
}
