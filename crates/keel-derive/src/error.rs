//! The derivation error and its class.

/// What the caller should do about an error (op-node's error levels; kona's
/// `PipelineErrorKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Retry the same step later: data is missing or a source is briefly unavailable.
    Temporary,
    /// The view of L1 or L2 changed under the pipeline (a reorg, an inconsistency): restart
    /// derivation from a safe point.
    Reset,
    /// Continuing would derive a wrong chain: stop and report.
    Critical,
}

/// An error of the derivation pipeline, from one of its stages.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeriveError {
    /// L1 traversal refused the next L1 block.
    #[error("L1 traversal: {0}")]
    Traversal(#[from] crate::stages::traversal::TraversalError),
    /// The provided blobs do not fit the block's batcher transactions.
    #[error("L1 retrieval: {0}")]
    Retrieval(#[from] crate::stages::retrieval::RetrievalError),
}

impl DeriveError {
    /// What the caller should do about it.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Traversal(e) => e.class(),
            Self::Retrieval(e) => e.class(),
        }
    }
}
