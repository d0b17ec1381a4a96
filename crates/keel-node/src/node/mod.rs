//! The running node's services around the driver: the JSON-RPC API over its handle and the
//! L2 client ([`api`]), the hooks that feed the safe-head database and metrics ([`hooks`]),
//! and start-up: the checks, the clients and the servers, wired and shut down together
//! ([`service`]), and the timing of the driver's L1 and engine calls ([`timed`]).

pub mod api;
pub mod hooks;
pub mod service;
pub mod timed;
