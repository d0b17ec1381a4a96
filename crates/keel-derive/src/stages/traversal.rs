//! L1 traversal: walks L1 one block at a time and keeps the system config current.
//!
//! The stage never fetches: the caller hands it the next L1 block. It checks that the block
//! extends the current origin (a mismatch is an L1 reorg: Reset), then applies the block's
//! `ConfigUpdate` logs so that the batcher address used to authenticate this block's batcher
//! transactions already includes this block's updates.
//!
//! Spec: protocol/derivation.md#l1-traversal.

use std::sync::Arc;

use alloy_primitives::B256;
use keel_protocol::{
    config_update::{ReceiptsUpdateError, apply_receipts_config_updates},
    hardfork::Hardfork,
    rollup_config::RollupConfig,
    system_config::SystemConfig,
};

use crate::{
    error::ErrorClass,
    types::{L1BlockInput, L1BlockRef},
};

/// Why an L1 block was not accepted as the next origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TraversalError {
    /// The block does not build on the current origin: L1 reorged under the pipeline.
    ///
    /// Spec: protocol/derivation.md#resetting-the-pipeline (op-node's `AdvanceL1Block` returns
    /// a reset error).
    #[error(
        "L1 reorg: block {number} has parent {parent_hash}, but the current origin is {origin_hash}"
    )]
    ParentHashMismatch {
        /// Number of the offered block.
        number: u64,
        /// Its parent hash.
        parent_hash: B256,
        /// Hash of the current origin it should build on.
        origin_hash: B256,
    },
    /// The block is not the one after the current origin (the caller offered the wrong one).
    #[error("offered L1 block {got}, expected {expected}")]
    UnexpectedNumber {
        /// The number the traversal needs next.
        expected: u64,
        /// The number offered.
        got: u64,
    },
    /// The block's parts disagree (reference vs header, or receipt count vs transaction
    /// count): the caller's data is inconsistent; fetch it again.
    #[error("inconsistent L1 block {number}: {what}")]
    Inconsistent {
        /// Number of the offered block.
        number: u64,
        /// Which parts disagree.
        what: &'static str,
    },
}

impl TraversalError {
    /// The error's class: a reorg resets derivation; a wrong or inconsistent block is retried.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::ParentHashMismatch { .. } => ErrorClass::Reset,
            Self::UnexpectedNumber { .. } | Self::Inconsistent { .. } => ErrorClass::Temporary,
        }
    }
}

/// What advancing by one block did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Advanced {
    /// Number of `ConfigUpdate` logs that changed the system config (0 when
    /// `config_errors` is set: the good logs are still applied, but not counted).
    pub config_updates: usize,
    /// Malformed `ConfigUpdate` logs, skipped. Log them: current op-node warns and
    /// continues (see [`apply_receipts_config_updates`]).
    pub config_errors: Option<ReceiptsUpdateError>,
}

/// The L1 traversal stage: the current L1 origin and the system config as of that block.
///
/// Spec: protocol/derivation.md#l1-traversal.
#[derive(Debug, Clone)]
pub struct L1Traversal {
    cfg: Arc<RollupConfig>,
    origin: L1BlockRef,
    system_config: SystemConfig,
}

impl L1Traversal {
    /// A traversal positioned at `origin`, whose system config (including `origin`'s own
    /// updates) is `system_config`; as after a pipeline reset.
    pub fn new(cfg: Arc<RollupConfig>, origin: L1BlockRef, system_config: SystemConfig) -> Self {
        Self {
            cfg,
            origin,
            system_config,
        }
    }

    /// The current L1 origin.
    pub fn origin(&self) -> L1BlockRef {
        self.origin
    }

    /// The system config as of the current origin, its own `ConfigUpdate` logs included.
    pub fn system_config(&self) -> &SystemConfig {
        &self.system_config
    }

    /// The number of the L1 block the traversal needs next.
    pub fn next_number(&self) -> u64 {
        self.origin.number.saturating_add(1)
    }

    /// Moves back to `origin` with `system_config` (a pipeline reset).
    ///
    /// Spec: protocol/derivation.md#resetting-derivation-stages.
    pub fn reset(&mut self, origin: L1BlockRef, system_config: SystemConfig) {
        self.origin = origin;
        self.system_config = system_config;
    }

    /// Makes `block` the new origin and applies its `ConfigUpdate` logs.
    ///
    /// Checks, in order: the number is the origin's plus one; the reference agrees with the
    /// header and there is one receipt per transaction; the parent hash is the origin's hash
    /// (else [`TraversalError::ParentHashMismatch`], a Reset). On error nothing changes.
    ///
    /// Updates are applied before the block's batcher data is read, as op-node does
    /// (`AdvanceL1Block` updates the config, then `L1Retrieval` opens the block with
    /// `SystemConfig().BatcherAddr`): a batcher change in block N already governs block N's
    /// batcher transactions. The fee-scalar rule follows the Ecotone activation by this L1
    /// block's timestamp, like op-node's `UpdateSystemConfigWithL1Receipts(.., l1Time)`.
    ///
    /// Spec: protocol/derivation.md#l1-traversal ("the batch-sender authentication is always
    /// accurate to the exact L1 block that is read").
    pub fn advance(&mut self, block: &L1BlockInput) -> Result<Advanced, TraversalError> {
        let r = &block.block_ref;
        let expected = self.next_number();
        if r.number != expected {
            return Err(TraversalError::UnexpectedNumber {
                expected,
                got: r.number,
            });
        }
        let h = &block.header;
        if h.number != r.number || h.parent_hash != r.parent_hash || h.timestamp != r.timestamp {
            return Err(TraversalError::Inconsistent {
                number: r.number,
                what: "block reference does not match the header",
            });
        }
        if block.receipts.len() != block.transactions.len() {
            return Err(TraversalError::Inconsistent {
                number: r.number,
                what: "receipt count differs from transaction count",
            });
        }
        if r.parent_hash != self.origin.hash {
            return Err(TraversalError::ParentHashMismatch {
                number: r.number,
                parent_hash: r.parent_hash,
                origin_hash: self.origin.hash,
            });
        }
        let ecotone = self.cfg.is_active(Hardfork::Ecotone, r.timestamp);
        let mut advanced = Advanced::default();
        match apply_receipts_config_updates(
            &mut self.system_config,
            self.cfg.l1_system_config_address,
            &block.receipts,
            ecotone,
        ) {
            Ok(n) => advanced.config_updates = n,
            Err(e) => advanced.config_errors = Some(e),
        }
        self.origin = *r;
        Ok(advanced)
    }
}
