//! The safe-head store over one redb file.

use std::path::{Path, PathBuf};

use alloy_primitives::B256;
use keel_protocol::rollup_config::BlockId;
use redb::{
    Database, MultimapTableHandle, ReadableDatabase, ReadableTable, ReadableTableMetadata,
    TableDefinition, TableError, TableHandle,
};

use crate::error::{SafeDbError, storage};

/// The on-disk format this build reads and writes (stored in the `meta` table).
pub const FORMAT_VERSION: u64 = 1;

const META_NAME: &str = "keel_safedb_meta";
const RECORDS_NAME: &str = "safe_head_by_l1_number";
const VERSION_KEY: &str = "format_version";

/// `format_version → FORMAT_VERSION`.
const META: TableDefinition<'_, &str, u64> = TableDefinition::new(META_NAME);
/// `l1 number → (l1 hash, l2 safe-head hash, l2 safe-head number)`: op-node's record.
const RECORDS: TableDefinition<'_, u64, ([u8; 32], [u8; 32], u64)> =
    TableDefinition::new(RECORDS_NAME);

type RecordValue = ([u8; 32], [u8; 32], u64);

/// What the safe head was once an L1 block had been processed (op-node's
/// `SafeHeadResponse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SafeHeadRecord {
    /// The L1 block whose processing made `safe_head` safe.
    pub l1: BlockId,
    /// The L2 safe head after that L1 block.
    pub safe_head: BlockId,
}

impl SafeHeadRecord {
    fn from_row(l1_number: u64, (l1_hash, l2_hash, l2_number): RecordValue) -> Self {
        Self {
            l1: BlockId {
                hash: B256::from(l1_hash),
                number: l1_number,
            },
            safe_head: BlockId {
                hash: B256::from(l2_hash),
                number: l2_number,
            },
        }
    }

    fn row(&self) -> RecordValue {
        (self.l1.hash.0, self.safe_head.hash.0, self.safe_head.number)
    }
}

/// The safe-head database. Cheap to share behind an `Arc`: every method takes `&self`;
/// redb serialises writers and lets readers run beside them on the last commit.
#[derive(Debug)]
pub struct SafeDb {
    db: Database,
    path: PathBuf,
}

fn foreign(path: &Path, e: TableError) -> SafeDbError {
    match e {
        TableError::Storage(s) => SafeDbError::Open {
            path: path.to_path_buf(),
            source: s.into(),
        },
        other => SafeDbError::Foreign {
            path: path.to_path_buf(),
            reason: other.to_string(),
        },
    }
}

impl SafeDb {
    /// Opens the safe-db file at `path`, creating it (not its parent directory) if absent.
    ///
    /// Refuses, with a typed error and without changing the file: a directory, a file that
    /// is not a redb database or is damaged, a redb database holding other tables or ours
    /// with other types, and a Keel safe-db of another format version.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SafeDbError> {
        let path = path.as_ref().to_path_buf();
        if path.is_dir() {
            return Err(SafeDbError::IsDirectory(path));
        }
        let db = Database::create(&path).map_err(|e| SafeDbError::Open {
            path: path.clone(),
            source: e.into(),
        })?;
        Self::check_schema(&db, &path)?;
        Ok(Self { db, path })
    }

    /// Checks (and on a new file, writes) the format marker. Every check runs before the
    /// first insert, and a refused file's transaction is dropped uncommitted.
    fn check_schema(db: &Database, path: &Path) -> Result<(), SafeDbError> {
        let open_err = |e: redb::Error| SafeDbError::Open {
            path: path.to_path_buf(),
            source: e,
        };
        let txn = db.begin_write().map_err(|e| open_err(e.into()))?;
        let mut names: Vec<String> = txn
            .list_tables()
            .map_err(|e| open_err(e.into()))?
            .map(|t| t.name().to_owned())
            .collect();
        names.extend(
            txn.list_multimap_tables()
                .map_err(|e| open_err(e.into()))?
                .map(|t| t.name().to_owned()),
        );
        if let Some(other) = names
            .iter()
            .find(|n| n.as_str() != META_NAME && n.as_str() != RECORDS_NAME)
        {
            return Err(SafeDbError::Foreign {
                path: path.to_path_buf(),
                reason: format!("it holds a table named {other:?}"),
            });
        }
        {
            let mut meta = txn.open_table(META).map_err(|e| foreign(path, e))?;
            let version = meta
                .get(VERSION_KEY)
                .map_err(|e| open_err(e.into()))?
                .map(|v| v.value());
            match version {
                Some(FORMAT_VERSION) => {}
                Some(found) => {
                    return Err(SafeDbError::FormatVersion {
                        path: path.to_path_buf(),
                        found,
                        expected: FORMAT_VERSION,
                    });
                }
                None if names.iter().any(|n| n == RECORDS_NAME) => {
                    return Err(SafeDbError::Foreign {
                        path: path.to_path_buf(),
                        reason: "records without a format version".into(),
                    });
                }
                None => {
                    meta.insert(VERSION_KEY, FORMAT_VERSION)
                        .map_err(|e| open_err(e.into()))?;
                }
            }
            txn.open_table(RECORDS).map_err(|e| foreign(path, e))?;
        }
        txn.commit().map_err(|e| open_err(e.into()))
    }

    /// The file this database lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records that processing L1 block `l1` made `safe_head` the L2 safe head, replacing a
    /// record of the same L1 number. Durable when it returns (op-node's `SafeHeadUpdated`,
    /// which also writes with sync).
    pub fn record(&self, l1: BlockId, safe_head: BlockId) -> Result<(), SafeDbError> {
        let op = || storage("record");
        let txn = self.db.begin_write().map_err(|e| op()(e.into()))?;
        {
            let mut table = txn.open_table(RECORDS).map_err(|e| op()(e.into()))?;
            table
                .insert(l1.number, SafeHeadRecord { l1, safe_head }.row())
                .map_err(|e| op()(e.into()))?;
        }
        txn.commit().map_err(|e| op()(e.into()))
    }

    /// The latest record at or before L1 block `l1_number`: the safe head in force once that
    /// L1 block was processed. `None` when no record is that old (op-node answers "not
    /// found").
    pub fn safe_head_at_l1(&self, l1_number: u64) -> Result<Option<SafeHeadRecord>, SafeDbError> {
        let op = || storage("lookup");
        let txn = self.db.begin_read().map_err(|e| op()(e.into()))?;
        let table = txn.open_table(RECORDS).map_err(|e| op()(e.into()))?;
        let mut range = table.range(..=l1_number).map_err(|e| op()(e.into()))?;
        match range.next_back() {
            None => Ok(None),
            Some(row) => {
                let (k, v) = row.map_err(|e| op()(e.into()))?;
                Ok(Some(SafeHeadRecord::from_row(k.value(), v.value())))
            }
        }
    }

    /// The record with the highest L1 number, if any (where a restarted node left off).
    pub fn latest(&self) -> Result<Option<SafeHeadRecord>, SafeDbError> {
        self.safe_head_at_l1(u64::MAX)
    }

    /// The number of records.
    pub fn len(&self) -> Result<u64, SafeDbError> {
        let op = || storage("count");
        let txn = self.db.begin_read().map_err(|e| op()(e.into()))?;
        let table = txn.open_table(RECORDS).map_err(|e| op()(e.into()))?;
        table.len().map_err(|e| op()(e.into()))
    }

    /// Whether there are no records.
    pub fn is_empty(&self) -> Result<bool, SafeDbError> {
        Ok(self.len()? == 0)
    }

    /// Drops every record at or after L1 block `l1_number` and returns how many were dropped.
    /// For an L1 reorg whose first replaced block is `l1_number`: records of the old branch
    /// name L1 blocks that no longer exist.
    pub fn truncate_from_l1(&self, l1_number: u64) -> Result<u64, SafeDbError> {
        self.remove_range("truncate", l1_number..)
    }

    /// Drops every record before L1 block `l1_number` and returns how many were dropped:
    /// an operator's bound on the history kept. Lookups before the oldest kept record then
    /// answer `None`.
    pub fn prune_below(&self, l1_number: u64) -> Result<u64, SafeDbError> {
        self.remove_range("prune", ..l1_number)
    }

    fn remove_range(
        &self,
        operation: &'static str,
        range: impl std::ops::RangeBounds<u64> + Clone,
    ) -> Result<u64, SafeDbError> {
        let op = || storage(operation);
        let txn = self.db.begin_write().map_err(|e| op()(e.into()))?;
        let mut removed = 0u64;
        {
            let mut table = txn.open_table(RECORDS).map_err(|e| op()(e.into()))?;
            table
                .retain_in(range, |_, _| {
                    removed += 1;
                    false
                })
                .map_err(|e| op()(e.into()))?;
        }
        txn.commit().map_err(|e| op()(e.into()))?;
        Ok(removed)
    }

    /// After a derivation-pipeline reset to `safe_head` (whose L1 origin is
    /// `l1_origin_number`), drops the records that named a safe head at or past it, as
    /// op-node's `SafeHeadReset` does: from the first record at or after the L1 origin whose
    /// safe head is at or above `safe_head.number`, everything goes; that first record's L1
    /// block is then re-recorded with `safe_head`, unless it was the oldest record (the new
    /// safe head may have become safe before the history starts, so no L1 block is named).
    pub fn safe_head_reset(
        &self,
        safe_head: BlockId,
        l1_origin_number: u64,
    ) -> Result<(), SafeDbError> {
        let op = || storage("reset");
        let txn = self.db.begin_write().map_err(|e| op()(e.into()))?;
        {
            let mut table = txn.open_table(RECORDS).map_err(|e| op()(e.into()))?;
            let mut first_stale = None;
            for row in table
                .range(l1_origin_number..)
                .map_err(|e| op()(e.into()))?
            {
                let (k, v) = row.map_err(|e| op()(e.into()))?;
                let record = SafeHeadRecord::from_row(k.value(), v.value());
                if record.safe_head.number >= safe_head.number {
                    first_stale = Some(record.l1);
                    break;
                }
            }
            let Some(l1) = first_stale else {
                return Ok(());
            };
            let has_earlier = table
                .range(..l1.number)
                .map_err(|e| op()(e.into()))?
                .next_back()
                .is_some();
            table
                .retain_in(l1.number.., |_, _| false)
                .map_err(|e| op()(e.into()))?;
            if has_earlier {
                table
                    .insert(l1.number, SafeHeadRecord { l1, safe_head }.row())
                    .map_err(|e| op()(e.into()))?;
            }
        }
        txn.commit().map_err(|e| op()(e.into()))
    }
}
