//! Keel's derivation: L1 data in, L2 payload attributes out, with no I/O inside.
//!
//! # Design
//!
//! Every stage of the spec's pipeline is a plain state machine over data handed to it.
//! The caller (the node's driver, or a test) owns the clock, the L1 and the execution
//! client: it asks the pipeline for its next step, and the answer is either a result
//! (payload attributes), a request for data ("give me L1 block n", "give me these
//! blobs"), or a typed error classed temporary / reset / critical. Because nothing here
//! awaits a provider halfway through a rule, a test can drive the pipeline block by block,
//! inject reorgs, and replay a failing case exactly.
//!
//! The attributes builder is shared with the sequencer: both must produce identical
//! attributes for the same L2 parent and L1 origin.
//!
//! # Layout
//!
//! - [`types`]: L1 and L2 block references and the L1 block data the pipeline consumes.
//! - [`stages`]: the spec's pipeline stages (L1 traversal, retrieval, frame queue, channel
//!   bank / assembler, channel reader, batch queue / stream with the validity rules,
//!   attributes queue), each a push-based state machine.
//! - [`error`]: the crate's error and its class.
//! - [`l2`]: the narrow view of the L2 chain the pipeline needs (implemented by the node
//!   over the execution client, and by tests in memory).
//! - [`attributes`]: the payload-attributes builder (op-node's `PreparePayloadAttributes`).
//! - [`pipeline`]: the whole pipeline behind one `step` entry point.
//! - [`reset`]: finding the sync start after a reorg or restart (op-node's `FindL2Heads`).
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
#![forbid(unsafe_code)]

pub mod attributes;
pub mod error;
pub mod l2;
pub mod pipeline;
pub mod reset;
pub mod types;

// The pipeline's stages (kept in their own group so module additions above merge cleanly).
pub mod stages;
