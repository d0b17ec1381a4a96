//! The Keel rollup node as a library: the driver that ties derivation, the engine
//! controller and the sequencer together, the sources it reads L1 and L2 through, and the
//! services around it (RPC API, safe-head database and metrics hooks, start-up). The
//! `keel` binary (src/main.rs) wires these to the command line.
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
#![forbid(unsafe_code)]

pub mod devnet;
pub mod driver;
pub mod node;
pub mod sources;
