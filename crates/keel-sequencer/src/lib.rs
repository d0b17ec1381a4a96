//! Keel's sequencer core: which L1 origin to build on, which attributes to build with, when
//! to start and seal each block, and how to sign it for gossip — with no I/O inside.
//!
//! # Design
//!
//! The sequencer is a sans-IO state machine ([`sequencer::Sequencer`]). The node's async
//! driver asks it for its next action with the current wall-clock time as an argument
//! (`next_action(now_ms)`), executes that action (fetch an L1 block, call
//! `engine_forkchoiceUpdated` with attributes, seal with `getPayload` / `newPayload` /
//! `forkchoiceUpdated`), and feeds the outcome back as an event (`on_event(event, now_ms)`).
//! Nothing here awaits, reads a clock or logs: every decision is a function of the inputs,
//! so a test drives whole chains with a fake clock, injects L1 reorgs and engine faults, and
//! replays a failing case exactly.
//!
//! The attributes come from the builder shared with derivation
//! ([`keel_derive::attributes::prepare_payload_attributes`]); the sequencer only decides the
//! epoch beforehand and `no_tx_pool` afterwards, so the blocks it builds are the blocks
//! derivation later derives from the same L1.
//!
//! # Layout
//!
//! - [`origin`]: L1-origin selection (op-node's `L1OriginSelector.FindL1Origin`), with the
//!   confirmation depth and the maximum sequencer drift.
//! - [`attributes`]: the sequencer's payload attributes: the shared builder's output, then
//!   `no_tx_pool` for drift, upgrade blocks and recovery mode.
//! - [`schedule`]: the block-building clock: when to start, when to seal (an adaptive seal
//!   margin), and the back-off after faults.
//! - [`sequencer`]: the state machine tying the three together, with its actions, events and
//!   admin controls (start / stop at a head, recovery mode).
//! - [`signing`]: block-gossip signatures (rollup-node-p2p.md#block-signatures).
//! - [`error`]: the crate's error and its class.
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
#![forbid(unsafe_code)]

pub mod attributes;
pub mod error;
pub mod origin;
pub mod schedule;
pub mod sequencer;
pub mod signing;

pub use keel_derive::error::ErrorClass;
