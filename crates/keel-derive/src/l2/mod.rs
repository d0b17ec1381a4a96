//! The narrow view of the L2 chain the pipeline needs: block references and system configs
//! recovered from L2 blocks (op-node's `PayloadToBlockRef` / `PayloadToSystemConfig`), and a
//! trait the node implements over its execution client.
//!
//! Spec: protocol/system-config.md ("the system config can be retrieved from the last L2
//! block that referenced the L1 block as L1 origin"), protocol/derivation.md#resetting-the-pipeline.

mod chain;
mod convert;

pub use chain::{L2ChainView, MemoryL2Chain, MemoryL2ChainError};
pub use convert::{
    ExtraDataError, L2BlockError, block_ref, block_ref_from_block, system_config,
    system_config_from_block,
};
