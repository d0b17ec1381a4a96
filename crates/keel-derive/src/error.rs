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
    /// The batch queue's L1 view does not fit the safe head (or an internal invariant broke).
    #[error("batch queue: {0}")]
    BatchQueue(#[from] crate::stages::batch_queue::BatchQueueError),
    /// The attributes of an accepted batch could not be built.
    #[error("attributes: {0}")]
    Attributes(#[from] crate::stages::attributes_queue::AttributesQueueError),
    /// The caller handed in data the pipeline did not ask for.
    #[error("pipeline: {0}")]
    Pipeline(#[from] crate::pipeline::PipelineError),
}

impl DeriveError {
    /// What the caller should do about it.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Traversal(e) => e.class(),
            Self::Retrieval(e) => e.class(),
            Self::BatchQueue(e) => e.class(),
            Self::Attributes(e) => e.class(),
            Self::Pipeline(e) => e.class(),
        }
    }
}
