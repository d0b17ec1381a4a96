//! The L2 chain as the pipeline and the sync-start search see it.

use std::collections::BTreeMap;

use keel_protocol::system_config::SystemConfig;

use crate::{error::ErrorClass, types::L2BlockRef};

/// Read access to the canonical L2 chain, by block number. The node implements it over the
/// execution client (with [`super::block_ref_from_block`] and
/// [`super::system_config_from_block`]); tests use [`MemoryL2Chain`].
///
/// `Ok(None)` means the chain has no block at that height; errors are the implementation's
/// own (an RPC failure, say) and carry their class.
pub trait L2ChainView {
    /// The implementation's error.
    type Error: std::error::Error;

    /// The canonical L2 block at height `number`.
    fn block_ref_by_number(&self, number: u64) -> Result<Option<L2BlockRef>, Self::Error>;

    /// The system config in force after the canonical L2 block at height `number`.
    fn system_config_by_number(&self, number: u64) -> Result<Option<SystemConfig>, Self::Error>;
}

/// The error of [`MemoryL2Chain`]: it never fails, but a test can make it fail on purpose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MemoryL2ChainError {
    /// Injected by [`MemoryL2Chain::fail_at`].
    #[error("injected failure reading L2 block {0}")]
    Injected(u64),
}

impl MemoryL2ChainError {
    /// Injected failures stand for a flaky RPC: temporary.
    pub const fn class(&self) -> ErrorClass {
        ErrorClass::Temporary
    }
}

/// An in-memory canonical L2 chain for tests (of this crate and others).
#[derive(Debug, Clone, Default)]
pub struct MemoryL2Chain {
    blocks: BTreeMap<u64, (L2BlockRef, SystemConfig)>,
    fail_at: Option<u64>,
}

impl MemoryL2Chain {
    /// An empty chain.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets (or replaces, as a reorg would) the canonical block at `block.number`.
    pub fn insert(&mut self, block: L2BlockRef, system_config: SystemConfig) {
        self.blocks.insert(block.number, (block, system_config));
    }

    /// Removes every block above `number` (an unwind of the execution client).
    pub fn truncate_after(&mut self, number: u64) {
        let _ = self.blocks.split_off(&number.saturating_add(1));
    }

    /// Makes reads of block `number` fail with [`MemoryL2ChainError::Injected`] (or none).
    pub fn fail_at(&mut self, number: Option<u64>) {
        self.fail_at = number;
    }

    /// The highest block, if any.
    pub fn head(&self) -> Option<L2BlockRef> {
        self.blocks.last_key_value().map(|(_, (b, _))| *b)
    }

    /// Number of blocks stored.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// Whether no block is stored.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    fn check(&self, number: u64) -> Result<(), MemoryL2ChainError> {
        match self.fail_at {
            Some(n) if n == number => Err(MemoryL2ChainError::Injected(number)),
            _ => Ok(()),
        }
    }
}

impl L2ChainView for MemoryL2Chain {
    type Error = MemoryL2ChainError;

    fn block_ref_by_number(&self, number: u64) -> Result<Option<L2BlockRef>, Self::Error> {
        self.check(number)?;
        Ok(self.blocks.get(&number).map(|(b, _)| *b))
    }

    fn system_config_by_number(&self, number: u64) -> Result<Option<SystemConfig>, Self::Error> {
        self.check(number)?;
        Ok(self.blocks.get(&number).map(|(_, c)| *c))
    }
}
