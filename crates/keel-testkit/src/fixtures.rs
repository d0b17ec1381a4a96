//! Reading test data. Each crate keeps its files under its own `testdata/`; callers pass
//! their `CARGO_MANIFEST_DIR` so paths resolve the same from any working directory.

use std::path::{Path, PathBuf};

/// Path of `rel` under `<manifest_dir>/testdata/`.
pub fn testdata(manifest_dir: &str, rel: &str) -> PathBuf {
    Path::new(manifest_dir).join("testdata").join(rel)
}

/// A file as bytes; panics with the path on failure (tests only).
pub fn read_bytes(manifest_dir: &str, rel: &str) -> Vec<u8> {
    std::fs::read(testdata(manifest_dir, rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
}

/// A file holding hex text (optional `0x`, surrounding whitespace ignored).
pub fn read_hex(manifest_dir: &str, rel: &str) -> Vec<u8> {
    let text = String::from_utf8(read_bytes(manifest_dir, rel))
        .unwrap_or_else(|e| panic!("{rel} is not text: {e}"));
    let t = text.trim();
    let t = t.strip_prefix("0x").unwrap_or(t);
    hex::decode(t).unwrap_or_else(|e| panic!("hex in {rel}: {e}"))
}

/// A JSON file.
pub fn read_json(manifest_dir: &str, rel: &str) -> serde_json::Value {
    serde_json::from_slice(&read_bytes(manifest_dir, rel))
        .unwrap_or_else(|e| panic!("json in {rel}: {e}"))
}

/// Defines `testdata`, `read_bytes`, `read_hex` and `read_json` for the calling crate's
/// `testdata/` (the `env!` expands in the caller, so each crate reads its own files).
#[macro_export]
macro_rules! testdata_readers {
    () => {
        /// Path of a file under this crate's `testdata/` directory.
        pub fn testdata(rel: &str) -> ::std::path::PathBuf {
            $crate::fixtures::testdata(env!("CARGO_MANIFEST_DIR"), rel)
        }

        /// Reads a test-data file as bytes.
        pub fn read_bytes(rel: &str) -> Vec<u8> {
            $crate::fixtures::read_bytes(env!("CARGO_MANIFEST_DIR"), rel)
        }

        /// Reads a test-data file holding hex text (optional `0x`, whitespace ignored).
        pub fn read_hex(rel: &str) -> Vec<u8> {
            $crate::fixtures::read_hex(env!("CARGO_MANIFEST_DIR"), rel)
        }

        /// Reads a test-data JSON file.
        pub fn read_json(rel: &str) -> ::serde_json::Value {
            $crate::fixtures::read_json(env!("CARGO_MANIFEST_DIR"), rel)
        }
    };
}
