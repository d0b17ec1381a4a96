//! The safe-db against real files: records and lookups (at, between, before records),
//! truncation on reorgs, op-node's reset rule, persistence across reopen, and refusal of
//! damaged or foreign files with typed errors.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::io::{Seek, SeekFrom, Write};

use alloy_primitives::B256;
use keel_protocol::rollup_config::BlockId;
use keel_safedb::{FORMAT_VERSION, SafeDb, SafeDbError, SafeHeadRecord};

/// Distinct hashes per block so a mixed-up record shows.
fn l1(n: u64) -> BlockId {
    BlockId {
        hash: B256::left_padding_from(&[0x11, n as u8]),
        number: n,
    }
}

fn l2(n: u64) -> BlockId {
    BlockId {
        hash: B256::left_padding_from(&[0x22, n as u8]),
        number: n,
    }
}

fn rec(l1_n: u64, l2_n: u64) -> SafeHeadRecord {
    SafeHeadRecord {
        l1: l1(l1_n),
        safe_head: l2(l2_n),
    }
}

fn fresh() -> (tempfile::TempDir, SafeDb) {
    let dir = tempfile::tempdir().unwrap();
    let db = SafeDb::open(dir.path().join("safedb")).unwrap();
    (dir, db)
}

#[test]
fn lookups_at_between_and_before_records() {
    let (_dir, db) = fresh();
    assert_eq!(db.safe_head_at_l1(100).unwrap(), None);
    db.record(l1(10), l2(100)).unwrap();
    db.record(l1(12), l2(130)).unwrap();
    db.record(l1(15), l2(160)).unwrap();
    assert_eq!(db.len().unwrap(), 3);

    // Before the first record: nothing is known.
    assert_eq!(db.safe_head_at_l1(9).unwrap(), None);
    assert_eq!(db.safe_head_at_l1(0).unwrap(), None);
    // Exactly at records.
    assert_eq!(db.safe_head_at_l1(10).unwrap(), Some(rec(10, 100)));
    assert_eq!(db.safe_head_at_l1(12).unwrap(), Some(rec(12, 130)));
    assert_eq!(db.safe_head_at_l1(15).unwrap(), Some(rec(15, 160)));
    // Between records: the earlier record is in force.
    assert_eq!(db.safe_head_at_l1(11).unwrap(), Some(rec(10, 100)));
    assert_eq!(db.safe_head_at_l1(14).unwrap(), Some(rec(12, 130)));
    // After the last record, up to the largest number.
    assert_eq!(db.safe_head_at_l1(1_000).unwrap(), Some(rec(15, 160)));
    assert_eq!(db.safe_head_at_l1(u64::MAX).unwrap(), Some(rec(15, 160)));
    assert_eq!(db.latest().unwrap(), Some(rec(15, 160)));
}

#[test]
fn a_second_record_for_one_l1_block_replaces_the_first() {
    let (_dir, db) = fresh();
    db.record(l1(10), l2(100)).unwrap();
    db.record(l1(10), l2(105)).unwrap();
    assert_eq!(db.len().unwrap(), 1);
    assert_eq!(db.safe_head_at_l1(10).unwrap(), Some(rec(10, 105)));
}

#[test]
fn truncate_from_l1_drops_that_block_and_later() {
    let (_dir, db) = fresh();
    for (a, b) in [(10, 100), (12, 130), (15, 160), (20, 200)] {
        db.record(l1(a), l2(b)).unwrap();
    }
    // A reorg replacing L1 blocks 13 onwards: records 15 and 20 go, 10 and 12 stay.
    assert_eq!(db.truncate_from_l1(13).unwrap(), 2);
    assert_eq!(db.len().unwrap(), 2);
    assert_eq!(db.safe_head_at_l1(20).unwrap(), Some(rec(12, 130)));
    // At an exact record number the record itself goes.
    assert_eq!(db.truncate_from_l1(12).unwrap(), 1);
    assert_eq!(db.safe_head_at_l1(20).unwrap(), Some(rec(10, 100)));
    // Past the last record: nothing to drop.
    assert_eq!(db.truncate_from_l1(11).unwrap(), 0);
    assert_eq!(db.latest().unwrap(), Some(rec(10, 100)));
    // The new branch is recorded on top.
    db.record(l1(13), l2(140)).unwrap();
    assert_eq!(db.safe_head_at_l1(14).unwrap(), Some(rec(13, 140)));
}

#[test]
fn prune_below_bounds_the_history() {
    let (_dir, db) = fresh();
    for (a, b) in [(10, 100), (12, 130), (15, 160)] {
        db.record(l1(a), l2(b)).unwrap();
    }
    assert_eq!(db.prune_below(12).unwrap(), 1);
    assert_eq!(db.safe_head_at_l1(11).unwrap(), None);
    assert_eq!(db.safe_head_at_l1(13).unwrap(), Some(rec(12, 130)));
}

/// op-node's `SafeHeadReset` cases (op-node/node/safedb/safedb_test.go's scenarios, written
/// afresh): reset to a safe head inside the history re-records the first stale L1 block
/// with the new safe head; reset before the history empties it; reset past it keeps all.
#[test]
fn safe_head_reset_follows_op_node() {
    let (_dir, db) = fresh();
    for (a, b) in [(10, 100), (12, 130), (15, 160), (20, 200)] {
        db.record(l1(a), l2(b)).unwrap();
    }
    // New safe head 140 with L1 origin 11: first record from L1 11 with safe head >= 140
    // is L1 15 (160); 15 and 20 are dropped and L1 15 now names safe head 140.
    db.safe_head_reset(l2(140), 11).unwrap();
    assert_eq!(db.len().unwrap(), 3);
    assert_eq!(db.safe_head_at_l1(15).unwrap(), Some(rec(15, 140)));
    assert_eq!(db.safe_head_at_l1(30).unwrap(), Some(rec(15, 140)));
    assert_eq!(db.safe_head_at_l1(12).unwrap(), Some(rec(12, 130)));

    // Past every record: nothing changes.
    db.safe_head_reset(l2(500), 16).unwrap();
    assert_eq!(db.len().unwrap(), 3);

    // Before the first record: everything goes and nothing is re-recorded.
    db.safe_head_reset(l2(50), 5).unwrap();
    assert!(db.is_empty().unwrap());
    assert_eq!(db.safe_head_at_l1(100).unwrap(), None);
}

#[test]
fn records_survive_drop_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("safedb");
    {
        let db = SafeDb::open(&path).unwrap();
        db.record(l1(7), l2(70)).unwrap();
        db.record(l1(9), l2(95)).unwrap();
        db.truncate_from_l1(9).unwrap();
        db.record(l1(8), l2(81)).unwrap();
    }
    let db = SafeDb::open(&path).unwrap();
    assert_eq!(db.path(), path.as_path());
    assert_eq!(db.len().unwrap(), 2);
    assert_eq!(db.safe_head_at_l1(7).unwrap(), Some(rec(7, 70)));
    assert_eq!(db.safe_head_at_l1(100).unwrap(), Some(rec(8, 81)));
}

/// A child process records and is killed with SIGKILL right after `record` returned; the
/// record must be in the file (each record is its own fsynced commit).
#[test]
#[cfg(unix)]
fn a_record_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("safedb");
    if let Ok(child_path) = std::env::var("KEEL_SAFEDB_CHILD") {
        let db = SafeDb::open(&child_path).unwrap();
        for i in 0..5u64 {
            db.record(l1(i), l2(i * 10)).unwrap();
        }
        // Tell the parent the last record returned, then wait to be killed.
        println!("recorded");
        std::io::stdout().flush().unwrap();
        std::thread::sleep(std::time::Duration::from_secs(60));
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new(exe)
        .args(["--exact", "a_record_survives_kill_9", "--nocapture"])
        .env("KEEL_SAFEDB_CHILD", &path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut seen = String::new();
    let mut buf = [0u8; 256];
    while !seen.contains("recorded") {
        let n = std::io::Read::read(&mut out, &mut buf).unwrap();
        assert!(n > 0, "child exited before recording: {seen}");
        seen.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    // SIGKILL: no destructor runs in the child.
    child.kill().unwrap();
    child.wait().unwrap();
    let db = SafeDb::open(&path).unwrap();
    assert_eq!(db.len().unwrap(), 5);
    assert_eq!(db.latest().unwrap(), Some(rec(4, 40)));
}

#[test]
fn a_file_of_random_bytes_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("safedb");
    let junk: Vec<u8> = (0..64 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &junk).unwrap();
    let err = SafeDb::open(&path).unwrap_err();
    assert!(matches!(err, SafeDbError::Open { .. }), "{err:?}");
    // Refusing did not rewrite the file.
    assert_eq!(std::fs::read(&path).unwrap(), junk);
}

#[test]
fn a_text_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("safedb");
    std::fs::write(&path, "not a database\n").unwrap();
    let err = SafeDb::open(&path).unwrap_err();
    assert!(matches!(err, SafeDbError::Open { .. }), "{err:?}");
}

/// A real safe-db whose header region is overwritten: refused or, if redb can recover from
/// its second commit slot, opened with the records intact; never a panic or wrong data.
#[test]
fn a_damaged_safedb_is_refused_or_recovered_never_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("safedb");
    {
        let db = SafeDb::open(&path).unwrap();
        db.record(l1(3), l2(30)).unwrap();
    }
    let mut f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.seek(SeekFrom::Start(0)).unwrap();
    f.write_all(&[0xAB; 512]).unwrap();
    drop(f);
    match SafeDb::open(&path) {
        Err(SafeDbError::Open { .. }) => {}
        Ok(db) => assert_eq!(db.latest().unwrap(), Some(rec(3, 30))),
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

#[test]
fn a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = SafeDb::open(dir.path()).unwrap_err();
    assert!(matches!(err, SafeDbError::IsDirectory(_)), "{err:?}");
    assert!(err.to_string().contains("is a directory"), "{err}");
}

#[test]
fn another_programs_redb_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let def: redb::TableDefinition<'_, &str, &str> = redb::TableDefinition::new("accounts");
            txn.open_table(def).unwrap().insert("a", "b").unwrap();
        }
        txn.commit().unwrap();
    }
    let err = SafeDb::open(&path).unwrap_err();
    match err {
        SafeDbError::Foreign { reason, .. } => assert!(reason.contains("accounts"), "{reason}"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn our_table_with_other_types_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let def: redb::TableDefinition<'_, &str, &str> =
                redb::TableDefinition::new("keel_safedb_meta");
            txn.open_table(def)
                .unwrap()
                .insert("format_version", "one")
                .unwrap();
        }
        txn.commit().unwrap();
    }
    let err = SafeDb::open(&path).unwrap_err();
    assert!(matches!(err, SafeDbError::Foreign { .. }), "{err:?}");
}

#[test]
fn another_format_version_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let def: redb::TableDefinition<'_, &str, u64> =
                redb::TableDefinition::new("keel_safedb_meta");
            txn.open_table(def)
                .unwrap()
                .insert("format_version", FORMAT_VERSION + 1)
                .unwrap();
        }
        txn.commit().unwrap();
    }
    let err = SafeDb::open(&path).unwrap_err();
    match err {
        SafeDbError::FormatVersion {
            found, expected, ..
        } => {
            assert_eq!(found, FORMAT_VERSION + 1);
            assert_eq!(expected, FORMAT_VERSION);
        }
        other => panic!("unexpected {other:?}"),
    }
}
