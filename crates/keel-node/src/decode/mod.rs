//! `keel decode`: OP Stack wire data to JSON, for operators debugging a chain.
//!
//! Each subcommand reads one input (a path or `-`), raw bytes or hex text detected
//! automatically, and prints one JSON document. Hashes, addresses and byte strings are
//! `0x` hex; quantities are JSON numbers when they fit in a u64, otherwise `0x` hex.

mod batcher_data;
mod batches;
mod blob;
mod deposit_log;
mod input;
mod json;
mod l1_info;

use clap::{Args, Subcommand};
use serde_json::Value;

/// What can go wrong while decoding; each variant prints as one line naming the problem
/// and where it is.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DecodeError {
    /// The input could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The input is larger than `keel decode` accepts.
    #[error("{path} is larger than {limit} bytes")]
    InputTooLarge { path: String, limit: u64 },
    /// Nothing to decode.
    #[error("{path} is empty")]
    EmptyInput { path: String },
    /// Hex text with an odd number of digits.
    #[error("hex input has an odd number of digits ({digits})")]
    OddHex { digits: usize },
    /// Malformed hex text.
    #[error("invalid hex input: {0}")]
    BadHex(String),
    /// The bytes do not decode as the requested kind of data.
    #[error("{0}")]
    Invalid(String),
}

impl DecodeError {
    fn invalid(what: impl std::fmt::Display) -> Self {
        Self::Invalid(what.to_string())
    }
}

/// The `keel decode` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum DecodeCommand {
    /// Batcher data (derivation version byte, then frames) → its frames.
    Frames {
        /// Input file, or `-` for stdin (raw bytes or hex text).
        input: String,
        /// Include each frame's data as hex.
        #[arg(long)]
        with_data: bool,
    },
    /// A channel's bytes (its frames' data concatenated, still compressed) → its batches.
    Channel {
        /// Input file, or `-` for stdin (raw bytes or hex text).
        input: String,
        #[command(flatten)]
        opts: BatchOptions,
    },
    /// Batcher data → frames → complete channels → batches, in one go.
    BatcherData {
        /// Input file, or `-` for stdin (raw bytes or hex text).
        input: String,
        #[command(flatten)]
        opts: BatchOptions,
    },
    /// One 131072-byte blob in the OP blob encoding → the data it carries.
    Blob {
        /// Input file, or `-` for stdin (raw bytes or hex text).
        input: String,
    },
    /// L1-attributes deposit calldata → its fields.
    L1Info {
        /// Input file, or `-` for stdin (raw bytes or hex text).
        input: String,
    },
    /// A `TransactionDeposited` log as `eth_getLogs` returns it (JSON) → the deposit tx.
    DepositLog {
        /// Input file, or `-` for stdin (JSON).
        input: String,
    },
}

/// Options that turn span batches into full blocks.
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct BatchOptions {
    /// L2 chain id: needed to rebuild span-batch transactions (EIP-155 signatures).
    #[arg(long)]
    pub(crate) chain_id: Option<u64>,
    /// L2 genesis timestamp: with --block-time, gives each span-batch block its timestamp.
    #[arg(long, requires = "block_time")]
    pub(crate) genesis_timestamp: Option<u64>,
    /// L2 block time in seconds: with --genesis-timestamp.
    #[arg(long, requires = "genesis_timestamp")]
    pub(crate) block_time: Option<u64>,
}

/// Runs one decode subcommand and returns its JSON document.
pub(crate) fn run(cmd: DecodeCommand) -> Result<Value, DecodeError> {
    match cmd {
        DecodeCommand::Frames { input, with_data } => {
            batcher_data::frames(&input::read_bytes(&input)?, with_data)
        }
        DecodeCommand::Channel { input, opts } => {
            batches::channel(&input::read_bytes(&input)?, opts)
        }
        DecodeCommand::BatcherData { input, opts } => {
            batcher_data::batcher_data(&input::read_bytes(&input)?, opts)
        }
        DecodeCommand::Blob { input } => blob::blob(&input::read_bytes(&input)?),
        DecodeCommand::L1Info { input } => l1_info::l1_info(&input::read_bytes(&input)?),
        DecodeCommand::DepositLog { input } => {
            deposit_log::deposit_log(&input::read_source(&input)?)
        }
    }
}
