//! Block references and the L1 block data handed to the pipeline.

use alloy_consensus::{Header, ReceiptEnvelope, TxEnvelope};
use alloy_primitives::{B256, Bytes};
use keel_protocol::{rollup_config::BlockId, system_config::SystemConfig};
use serde::{Deserialize, Serialize};

/// A reference to an L1 block: enough to walk the chain by parent hash and to order it in
/// time (op-node's `eth.L1BlockRef`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct L1BlockRef {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    pub number: u64,
    /// Parent block hash.
    pub parent_hash: B256,
    /// Block timestamp.
    pub timestamp: u64,
}

impl L1BlockRef {
    /// The block's id (hash and number).
    pub const fn id(&self) -> BlockId {
        BlockId {
            hash: self.hash,
            number: self.number,
        }
    }
}

/// A reference to an L2 block together with the L1 origin its L1-info deposit names
/// (op-node's `eth.L2BlockRef`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct L2BlockRef {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    pub number: u64,
    /// Parent block hash.
    pub parent_hash: B256,
    /// Block timestamp.
    pub timestamp: u64,
    /// The L1 block this L2 block's epoch refers to.
    pub l1_origin: BlockId,
    /// Position of the block within its epoch (0 for the epoch's first block).
    pub sequence_number: u64,
}

impl L2BlockRef {
    /// The block's id (hash and number).
    pub const fn id(&self) -> BlockId {
        BlockId {
            hash: self.hash,
            number: self.number,
        }
    }
}

/// One L1 block as the pipeline consumes it: its reference, header, signed transactions and
/// receipts.
///
/// Senders are recovered from the signatures inside the pipeline (L1 retrieval), never taken
/// from an RPC's `from` field. The caller is trusted to have checked that `block_ref.hash` is
/// the hash of `header` and that transactions and receipts belong to it (`keel-l1` verifies
/// the roots); [`L1BlockInput::new`] builds a consistent value from a header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1BlockInput {
    /// The block's reference (hash, number, parent hash, timestamp).
    pub block_ref: L1BlockRef,
    /// The block header.
    pub header: Header,
    /// The block's transactions, in block order.
    pub transactions: Vec<TxEnvelope>,
    /// The block's receipts, one per transaction, in block order.
    pub receipts: Vec<ReceiptEnvelope>,
}

impl L1BlockInput {
    /// Builds the input from a header and its body, computing the block reference (and so the
    /// block hash) from the header.
    pub fn new(
        header: Header,
        transactions: Vec<TxEnvelope>,
        receipts: Vec<ReceiptEnvelope>,
    ) -> Self {
        let block_ref = L1BlockRef {
            hash: header.hash_slow(),
            number: header.number,
            parent_hash: header.parent_hash,
            timestamp: header.timestamp,
        };
        Self {
            block_ref,
            header,
            transactions,
            receipts,
        }
    }
}

/// One L2 block as the pipeline needs it: for span batches overlapping the safe chain (their
/// transactions and L1 origins are compared with the batch), and for the system config in
/// force after it (the attributes of its child are built on it).
///
/// The node builds it from the execution client's block (`block_ref_from_block`,
/// `system_config_from_block` of [`crate::l2`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L2BlockInput {
    /// The block's reference (with its L1 origin, from the L1-info deposit).
    pub block_ref: L2BlockRef,
    /// All its transactions as EIP-2718 bytes, deposits included, in block order.
    pub transactions: Vec<Bytes>,
    /// The system config in force after the block.
    pub system_config: SystemConfig,
}
