//! Keel's side of the Engine API: an authenticated HTTP client and the engine controller.
//!
//! # Design
//!
//! Keel keeps no chain state of its own; the execution engine does. This crate holds the
//! two halves of talking to it:
//!
//! - The **controller** ([`controller::EngineController`]) decides: it owns the unsafe,
//!   cross-unsafe, pending-safe, safe and finalized heads, and turns inputs (an unsafe
//!   payload from gossip or the sequencer, derived attributes, L1 finality) into Engine
//!   API actions, one at a time. It never awaits: the caller runs each action and hands
//!   the result back. Tests script the engine's answers directly.
//! - The **client** ([`client::HttpEngineClient`]) does the I/O: JSON-RPC over HTTP with a
//!   fresh HS256 JWT per request, the method version chosen by fork exactly as op-node
//!   chooses it. It reads the clock (for the token's `iat`) and nothing else.
//! - The **actor** ([`actor::EngineActor`]) is the thin loop between them, generic over the
//!   narrow [`api::EngineApi`] trait so tests can run it against an in-memory engine.
//!
//! # Layout
//!
//! - [`jwt`]: the secret file and tokens.
//! - [`version`]: which method version per fork.
//! - [`error`]: the crate's error and its class (temporary / reset / critical).
//! - [`api`]: the narrow engine trait.
//! - [`client`]: the HTTP implementation.
//! - [`consolidate`]: does an existing unsafe block match derived attributes?
//! - [`controller`]: the sans-IO state machine.
//! - [`actor`]: the async driver.
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]
#![forbid(unsafe_code)]

pub mod actor;
pub mod api;
pub mod client;
pub mod consolidate;
pub mod controller;
pub mod error;
pub mod jwt;
pub mod version;
