//! The sequencer's payload attributes: exactly the shared builder's, then `no_tx_pool`.
//!
//! Spec: protocol/derivation.md#building-individual-payload-attributes (the builder),
//! protocol/derivation.md#sequencing--batch-submission-overview (no sequencer transactions
//! past the drift), protocol/ecotone/derivation.md, protocol/fjord/derivation.md,
//! protocol/isthmus/derivation.md, protocol/jovian/derivation.md#activation-block-rules
//! (upgrade blocks carry no sequenced transactions).

use keel_derive::{
    attributes::{EpochOrigin, PreparedAttributes, prepare_payload_attributes},
    types::{L1BlockRef, L2BlockRef},
};
use keel_protocol::{hardfork::Hardfork, rollup_config::RollupConfig, system_config::SystemConfig};

use crate::error::SequencerError;

/// Forks whose activation block must carry no transactions from the pool, per their spec:
/// Ecotone, Fjord and Isthmus ("this block will not include any sequenced transactions by
/// setting `noTxPool: true`") and Jovian (#activation-block-rules; derivation even drops a
/// batch with transactions for it). Granite and Holocene do not ask for it (kona empties
/// those blocks too, op-node does not); Karst and Interop activation blocks are refused by
/// the shared builder.
pub const EMPTY_UPGRADE_BLOCK_FORKS: [Hardfork; 4] = [
    Hardfork::Ecotone,
    Hardfork::Fjord,
    Hardfork::Isthmus,
    Hardfork::Jovian,
];

/// Why a block is built without transactions from the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoTxPoolReason {
    /// The block's timestamp is past its origin's time plus the maximum sequencer drift.
    ///
    /// Spec: protocol/derivation.md#batch-queue (`len(batch.transactions) > 0` → drop)
    DriftExceeded {
        /// The block's timestamp.
        l2_time: u64,
        /// Origin time plus maximum drift.
        drift_limit: u64,
    },
    /// The block activates a fork whose spec forbids sequenced transactions in it.
    UpgradeBlock(Hardfork),
    /// The operator put the sequencer in recovery mode: deposits-only blocks.
    RecoveryMode,
    /// The engine refused the previous attempt at this block; the retry is deposits-only.
    DepositsOnlyRetry,
}

/// The attributes the sequencer hands to the engine, with the builder's side results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequencerAttributes {
    /// The shared builder's output, with `attributes.no_tx_pool` set by the sequencer.
    pub prepared: PreparedAttributes,
    /// The L1 origin the attributes were built on.
    pub origin: L1BlockRef,
    /// Why the pool is off (`None`: the engine may add pool transactions).
    pub no_tx_pool: Option<NoTxPoolReason>,
}

/// How the block after `parent` is to be built beyond the builder's inputs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuildMode {
    /// Recovery mode: deposits-only blocks.
    pub recovery: bool,
    /// The engine refused the previous attempt at this block: retry deposits-only.
    pub deposits_only_retry: bool,
}

/// Builds the sequencer's attributes for the block after `parent` on L1 origin `origin`:
/// the shared builder's attributes (which checks that `epoch.header` is `origin`'s and
/// that the epoch fits the parent), then `no_tx_pool = true` when the block is past the
/// drift, activates a fork listed in [`EMPTY_UPGRADE_BLOCK_FORKS`], or `mode` asks for a
/// deposits-only block; `false` otherwise.
///
/// Spec: see the module documentation; op-node `Sequencer.startBuildingBlock`.
pub fn sequencer_attributes(
    cfg: &RollupConfig,
    parent: &L2BlockRef,
    parent_system_config: &SystemConfig,
    origin: &L1BlockRef,
    epoch: EpochOrigin<'_>,
    mode: BuildMode,
) -> Result<SequencerAttributes, SequencerError> {
    let mut prepared =
        prepare_payload_attributes(cfg, parent, parent_system_config, origin.id(), epoch)?;
    let no_tx_pool = no_tx_pool_reason(
        cfg,
        origin,
        prepared.attributes.payload_attributes.timestamp,
        mode,
    );
    prepared.attributes.no_tx_pool = Some(no_tx_pool.is_some());
    Ok(SequencerAttributes {
        prepared,
        origin: *origin,
        no_tx_pool,
    })
}

/// The first reason, if any, for the block at `l2_time` on `origin` to carry no pool
/// transactions (op-node's order: drift, then upgrade blocks; then Keel's modes).
pub fn no_tx_pool_reason(
    cfg: &RollupConfig,
    origin: &L1BlockRef,
    l2_time: u64,
    mode: BuildMode,
) -> Option<NoTxPoolReason> {
    let drift_limit = origin
        .timestamp
        .saturating_add(cfg.max_sequencer_drift(origin.timestamp));
    if l2_time > drift_limit {
        return Some(NoTxPoolReason::DriftExceeded {
            l2_time,
            drift_limit,
        });
    }
    if let Some(fork) = EMPTY_UPGRADE_BLOCK_FORKS
        .into_iter()
        .find(|f| cfg.is_activation_block(*f, l2_time))
    {
        return Some(NoTxPoolReason::UpgradeBlock(fork));
    }
    if mode.recovery {
        return Some(NoTxPoolReason::RecoveryMode);
    }
    mode.deposits_only_retry
        .then_some(NoTxPoolReason::DepositsOnlyRetry)
}
