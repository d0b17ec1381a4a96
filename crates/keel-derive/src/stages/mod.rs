//! The derivation stages, each a push-based state machine (no I/O, no clock).
//!
//! L1 side: [`traversal`] → [`retrieval`] → [`frame_queue`] → [`channel_stage`] (the
//! [`channel_bank`] before Holocene, the [`channel_assembler`] after).

pub mod channel_assembler;
pub mod channel_bank;
pub mod channel_stage;
pub mod frame_queue;
pub mod retrieval;
pub mod traversal;
