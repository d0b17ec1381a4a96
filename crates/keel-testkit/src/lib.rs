//! Test support shared by Keel's crates (a dev-dependency only).
//!
//! # Layout
//!
//! - [`fuzz`]: the deterministic fuzz driver that runs on stable Rust inside `cargo test`.
//! - [`fixtures`]: reading a crate's `testdata/` files (bytes, hex text, JSON).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
#![forbid(unsafe_code)]

pub mod fixtures;
pub mod fuzz;
