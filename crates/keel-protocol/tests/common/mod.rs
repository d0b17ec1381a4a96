//! Helpers shared by the integration tests: this crate's fixtures, and the stable fuzz
//! driver from `keel-testkit`.
#![allow(
    dead_code,
    unused_imports,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::path::PathBuf;

pub use keel_testkit::fuzz;

/// Path of a file under this crate's `testdata/` directory.
pub fn testdata(rel: &str) -> PathBuf {
    keel_testkit::fixtures::testdata(env!("CARGO_MANIFEST_DIR"), rel)
}

/// Reads a test-data file as bytes.
pub fn read_bytes(rel: &str) -> Vec<u8> {
    keel_testkit::fixtures::read_bytes(env!("CARGO_MANIFEST_DIR"), rel)
}

/// Reads a test-data file holding hex text (optional `0x`, surrounding whitespace ignored).
pub fn read_hex(rel: &str) -> Vec<u8> {
    keel_testkit::fixtures::read_hex(env!("CARGO_MANIFEST_DIR"), rel)
}

/// Reads a test-data JSON file.
pub fn read_json(rel: &str) -> serde_json::Value {
    keel_testkit::fixtures::read_json(env!("CARGO_MANIFEST_DIR"), rel)
}
