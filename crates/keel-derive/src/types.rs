//! Block references and the L1 block data handed to the pipeline.

use alloy_primitives::B256;
use keel_protocol::rollup_config::BlockId;
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
