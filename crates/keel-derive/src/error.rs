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
