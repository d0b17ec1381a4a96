//! The derivation stages, each a push-based state machine (no I/O, no clock).
//!
//! L1 side: [`traversal`] → [`retrieval`] → [`frame_queue`] → [`channel_stage`] (the
//! [`channel_bank`] before Holocene, the [`channel_assembler`] after).
//!
//! Batch side: [`channel_reader`] → [`batch_queue`] (with [`batch_stream`] from Holocene,
//! rules in [`batch_validation`]) → [`attributes_queue`]. [`crate::pipeline`] composes them.

pub mod attributes_queue;
pub mod batch_queue;
pub mod batch_stream;
pub mod batch_validation;
pub mod channel_assembler;
pub mod channel_bank;
pub mod channel_reader;
pub mod channel_stage;
pub mod frame_queue;
pub mod retrieval;
pub mod traversal;
