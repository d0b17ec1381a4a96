//! Helpers shared by the integration tests: this crate's fixtures, and the stable fuzz
//! driver from `keel-testkit`.
#![allow(
    dead_code,
    unused_imports,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used
)]

pub mod chain;
pub mod driver;
pub mod sim;

pub use keel_testkit::fuzz;

keel_testkit::testdata_readers!();
