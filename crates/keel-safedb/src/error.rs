//! Why a safe-db operation failed.

use std::path::PathBuf;

/// Why the safe-db could not be opened, read or written.
///
/// Opening errors ([`Self::IsDirectory`], [`Self::Open`], [`Self::Foreign`],
/// [`Self::FormatVersion`]) are critical: the operator must point `--safedb.path` at a Keel
/// safe-db file or at a path where one may be created. [`Self::Storage`] during operation
/// means the disk failed; the node should stop rather than serve a history with holes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SafeDbError {
    /// The path is a directory (op-node's safe-db is a pebble directory; Keel's is one file).
    #[error(
        "safe-db path {0} is a directory; Keel's safe-db is a single file (an op-node pebble safe-db cannot be reused)"
    )]
    IsDirectory(PathBuf),
    /// redb refused the file: not a redb database, damaged, locked by another process, or
    /// an unreadable file.
    #[error("cannot open safe-db {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// redb's reason.
        source: redb::Error,
    },
    /// A redb database, but not a Keel safe-db (other tables, or ours with other types).
    #[error("{path} is not a Keel safe-db: {reason}")]
    Foreign {
        /// The file.
        path: PathBuf,
        /// What did not match.
        reason: String,
    },
    /// A Keel safe-db written in a format version this build does not read.
    #[error("safe-db {path} has format version {found}; this Keel reads version {expected}")]
    FormatVersion {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u64,
        /// The version this build reads and writes.
        expected: u64,
    },
    /// A read or write failed after the database was opened.
    #[error("safe-db {operation} failed: {source}")]
    Storage {
        /// What was being done (`record`, `lookup`, `truncate`, …).
        operation: &'static str,
        /// redb's reason.
        source: redb::Error,
    },
}

/// Wraps a redb error of any kind as [`SafeDbError::Storage`] for `operation`.
pub(crate) fn storage(operation: &'static str) -> impl FnOnce(redb::Error) -> SafeDbError {
    move |source| SafeDbError::Storage { operation, source }
}
