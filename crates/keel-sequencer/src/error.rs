//! The sequencer's error and its class.

use keel_derive::{attributes::AttributesError, error::ErrorClass};

use crate::origin::OriginError;

/// Why the sequencer cannot build the next block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SequencerError {
    /// L1-origin selection failed (the parent's L1 origin left the canonical L1 chain, or the
    /// L1 data handed in does not fit).
    #[error("L1 origin selection: {0}")]
    Origin(#[from] OriginError),
    /// The shared attributes builder refused the block.
    #[error("payload attributes: {0}")]
    Attributes(#[from] AttributesError),
    /// The engine refused the deposits-only retry of a block after refusing the block itself:
    /// derivation would fail the same way, so the chain cannot progress.
    #[error(
        "engine refused the deposits-only block after L2 parent {parent_number} at time {timestamp}"
    )]
    DepositsOnlyRejected {
        /// The L2 parent's number.
        parent_number: u64,
        /// The refused block's timestamp.
        timestamp: u64,
    },
    /// The next L2 timestamp does not fit in a `u64` (or in milliseconds).
    #[error("L2 timestamp overflows after block {parent_number}")]
    TimestampOverflow {
        /// The L2 parent's number.
        parent_number: u64,
    },
}

impl SequencerError {
    /// What the driver should do: Temporary → retry later, Reset → reset the engine
    /// controller / derivation to a consistent head, Critical → stop sequencing and report.
    pub const fn class(&self) -> ErrorClass {
        match self {
            Self::Origin(e) => e.class(),
            Self::Attributes(e) => e.class(),
            Self::DepositsOnlyRejected { .. } | Self::TimestampOverflow { .. } => {
                ErrorClass::Critical
            }
        }
    }
}
