//! The embedded L1 dev chain: an Ethereum (Prague) chain in process, with the OP deposit
//! portal and system config in its genesis and a beacon-API blob endpoint, for a whole OP
//! devnet on one machine.
//!
//! # Design
//!
//! The core, [`L1Chain`], is sans-IO: [`L1Chain::build_block`] mines the pool into a block
//! at a timestamp it is given, and every query is a plain method. What needs a clock or a
//! socket sits at the edge: [`driver`] mines on a timer, [`beacon`] serves blobs over HTTP.
//! Execution is alloy-evm's Ethereum block executor on revm (the same stack as the L2
//! engine, in Ethereum mode), over the crate's [`MemState`](crate::state::MemState).
//!
//! # Layout
//!
//! - [`spec`]: forks (everything through Prague from genesis), blob parameters, settings.
//! - [`contracts`]: the committed Solidity artifacts, their genesis addresses and ABIs.
//! - [`genesis`]: dev accounts, the portal and system config, Prague system contracts.
//! - [`pool`]: raw-transaction validation and the pending pool.
//! - [`builder`]: one block: selection, execution, header.
//! - [`chain`]: blocks, states, sidecars, labels and look-ups.
//! - [`query`]: `eth_call` / `eth_estimateGas` and fee suggestions.
//! - [`beacon`]: the beacon API (genesis, spec, blob sidecars, blobs) on loopback.
//! - [`driver`]: mines a block every slot on the wall clock.

pub mod beacon;
pub mod builder;
pub mod chain;
pub mod contracts;
pub mod driver;
pub mod genesis;
pub mod pool;
pub mod query;
pub mod spec;

pub use chain::{BuiltBlock, L1Block, L1Chain, L1ChainError, Rewound, TxInfo};
pub use genesis::{L1GenesisConfig, L1GenesisError};
pub use pool::PoolError;
pub use query::CallOutcome;
pub use spec::L1Config;
