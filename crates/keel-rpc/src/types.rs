//! op-node's JSON shapes for the `optimism_` namespace (op-service/eth `SyncStatus`,
//! `OutputResponse`, `SafeHeadResponse`, `L1BlockRef`, `L2BlockRef`, `BlockID`).
//!
//! Go's `common.Hash` / `eth.Bytes32` are `0x`-prefixed lowercase hex; `uint64` fields are
//! plain JSON numbers. The block references are Keel's own types from `keel-derive`,
//! written in op-node's field names (`parentHash`, `l1origin`, `sequenceNumber`) by the
//! [`l1_ref`] and [`l2_ref`] serde adapters, so the driver fills these structs with the
//! references it already has.

use alloy_primitives::B256;
use keel_derive::types::{L1BlockRef, L2BlockRef};
use keel_protocol::rollup_config::BlockId;
use serde::{Deserialize, Serialize};

/// op-node's `eth.SyncStatus`: a snapshot of the driver's view of both chains. Fields not
/// yet known are zero references.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// The L1 block derivation last idled at (processed up to and including).
    #[serde(with = "l1_ref")]
    pub current_l1: L1BlockRef,
    /// Deprecated in op-node; equals `finalized_l1`.
    #[serde(with = "l1_ref")]
    pub current_l1_finalized: L1BlockRef,
    /// The L1 head as seen, without confirmation depth.
    #[serde(with = "l1_ref")]
    pub head_l1: L1BlockRef,
    /// L1's safe block.
    #[serde(with = "l1_ref")]
    pub safe_l1: L1BlockRef,
    /// L1's finalized block.
    #[serde(with = "l1_ref")]
    pub finalized_l1: L1BlockRef,
    /// The L2 tip, not yet (known to be) derived from L1.
    #[serde(with = "l2_ref")]
    pub unsafe_l2: L2BlockRef,
    /// The L2 block derived from L1 up to `current_l1`.
    #[serde(with = "l2_ref")]
    pub safe_l2: L2BlockRef,
    /// The L2 block derived from finalized L1 data.
    #[serde(with = "l2_ref")]
    pub finalized_l2: L2BlockRef,
    /// Derived from a batch but not yet consolidated into the safe chain.
    #[serde(with = "l2_ref")]
    pub pending_safe_l2: L2BlockRef,
    /// Pre-interop equal to `unsafe_l2`.
    #[serde(with = "l2_ref")]
    pub cross_unsafe_l2: L2BlockRef,
    /// Pre-interop equal to `safe_l2`.
    #[serde(with = "l2_ref")]
    pub local_safe_l2: L2BlockRef,
}

/// op-node's `eth.OutputResponse`, the answer of `optimism_outputAtBlock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputResponse {
    /// Output version (zero: v0).
    pub version: B256,
    /// `keccak256(version ‖ stateRoot ‖ withdrawalStorageRoot ‖ blockRef.hash)`.
    pub output_root: B256,
    /// The L2 block the output is of.
    #[serde(with = "l2_ref")]
    pub block_ref: L2BlockRef,
    /// Storage root of the `L2ToL1MessagePasser` predeploy at that block.
    pub withdrawal_storage_root: B256,
    /// The block's state root.
    pub state_root: B256,
    /// The node's sync status when the block was looked up.
    #[serde(rename = "syncStatus")]
    pub status: SyncStatus,
}

/// op-node's `eth.SafeHeadResponse`, the answer of `optimism_safeHeadAtL1Block`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SafeHeadResponse {
    /// The L1 block of the record used (at or before the one asked for).
    pub l1_block: BlockId,
    /// The L2 safe head once that L1 block was processed.
    pub safe_head: BlockId,
}

impl From<keel_safedb::SafeHeadRecord> for SafeHeadResponse {
    fn from(r: keel_safedb::SafeHeadRecord) -> Self {
        Self {
            l1_block: r.l1,
            safe_head: r.safe_head,
        }
    }
}

/// `#[serde(with = "l1_ref")]`: an [`L1BlockRef`] as op-node's `eth.L1BlockRef`
/// (`hash`, `number`, `parentHash`, `timestamp`).
pub mod l1_ref {
    use super::{B256, Deserialize, L1BlockRef, Serialize};

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Wire {
        hash: B256,
        number: u64,
        parent_hash: B256,
        timestamp: u64,
    }

    /// Writes op-node's shape.
    pub fn serialize<S: serde::Serializer>(r: &L1BlockRef, s: S) -> Result<S::Ok, S::Error> {
        Wire {
            hash: r.hash,
            number: r.number,
            parent_hash: r.parent_hash,
            timestamp: r.timestamp,
        }
        .serialize(s)
    }

    /// Reads op-node's shape.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<L1BlockRef, D::Error> {
        let w = Wire::deserialize(d)?;
        Ok(L1BlockRef {
            hash: w.hash,
            number: w.number,
            parent_hash: w.parent_hash,
            timestamp: w.timestamp,
        })
    }
}

/// `#[serde(with = "l2_ref")]`: an [`L2BlockRef`] as op-node's `eth.L2BlockRef`
/// (`hash`, `number`, `parentHash`, `timestamp`, `l1origin` {`hash`, `number`},
/// `sequenceNumber`).
pub mod l2_ref {
    use super::{B256, BlockId, Deserialize, L2BlockRef, Serialize};

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Wire {
        hash: B256,
        number: u64,
        parent_hash: B256,
        timestamp: u64,
        #[serde(rename = "l1origin")]
        l1_origin: BlockId,
        sequence_number: u64,
    }

    /// Writes op-node's shape.
    pub fn serialize<S: serde::Serializer>(r: &L2BlockRef, s: S) -> Result<S::Ok, S::Error> {
        Wire {
            hash: r.hash,
            number: r.number,
            parent_hash: r.parent_hash,
            timestamp: r.timestamp,
            l1_origin: r.l1_origin,
            sequence_number: r.sequence_number,
        }
        .serialize(s)
    }

    /// Reads op-node's shape.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<L2BlockRef, D::Error> {
        let w = Wire::deserialize(d)?;
        Ok(L2BlockRef {
            hash: w.hash,
            number: w.number,
            parent_hash: w.parent_hash,
            timestamp: w.timestamp,
            l1_origin: w.l1_origin,
            sequence_number: w.sequence_number,
        })
    }
}
