//! Helpers shared by the integration tests: fixture loading and the stable fuzz driver.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

pub mod chain;
pub mod driver;
pub mod fuzz;
pub mod sim;

use std::path::PathBuf;

/// Path of a file under the crate's `testdata/` directory.
pub fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// Reads a test-data file as bytes.
pub fn read_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(testdata(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
}

/// Reads a test-data file holding hex text (optional `0x`, surrounding whitespace ignored).
pub fn read_hex(rel: &str) -> Vec<u8> {
    let text =
        std::fs::read_to_string(testdata(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"));
    let t = text.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    hex::decode(t).unwrap_or_else(|e| panic!("hex in {rel}: {e}"))
}

/// Reads a test-data JSON file.
pub fn read_json(rel: &str) -> serde_json::Value {
    serde_json::from_slice(&read_bytes(rel)).unwrap_or_else(|e| panic!("json in {rel}: {e}"))
}
