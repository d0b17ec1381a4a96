//! Keel's safe-head database: for each L1 block that moved the L2 safe head, which L2 block
//! it made safe. It answers `optimism_safeHeadAtL1Block` ("what was the safe head once L1
//! block n was processed?"), which fault-proof challengers and output proposers ask.
//!
//! # Design
//!
//! One record per L1 block, keyed by the L1 block number: `l1 number → (l1 hash, l2 hash,
//! l2 number)`, the same record op-node's pebble safe-db keeps. A lookup answers the latest
//! record at or before the asked-for L1 number, as op-node does, because an L1 block that did
//! not move the safe head leaves the previous one in force.
//!
//! The store is a single [redb](https://www.redb.org) file (pure Rust, copy-on-write B-trees,
//! checksummed commits). Every write is its own transaction committed with redb's default
//! immediate durability (fsync before `commit` returns), so a record the driver was told is
//! stored survives `kill -9` or power loss; a torn write leaves the previous commit intact.
//! A file that is not a redb database, is damaged, or is a redb file of another program or
//! format version is refused at [`SafeDb::open`] with a typed [`SafeDbError`].
//!
//! Records are kept for ever, as op-node keeps them: the answers are wanted for old L1
//! blocks (a dispute game can ask about any output within its window), and the cost is
//! small (about 100 bytes per L1 block that moved the safe head, well under 300 MB per year
//! of 12-second L1 blocks). [`SafeDb::prune_below`] exists for operators who want a bound.
//!
//! # Layout
//!
//! - [`SafeDb`]: open, record, look up, truncate on reorgs and pipeline resets.
//! - [`SafeDbError`]: why an operation failed.
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
#![forbid(unsafe_code)]

mod db;
mod error;

pub use db::{FORMAT_VERSION, SafeDb, SafeHeadRecord};
pub use error::SafeDbError;
