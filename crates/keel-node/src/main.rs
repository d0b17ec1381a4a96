//! `keel`: the Keel OP Stack rollup node and its operator tools.
//!
//! # Design
//!
//! The binary is thin wiring: argument parsing with clap, then a call into the library
//! crates. Every command returns a typed error; `main` prints it as one line on stderr
//! and exits 1, so scripts can rely on the exit code and a human can read the reason.
//! A new command is one variant of [`Command`] and one arm in [`Command::run`].
//!
//! # Layout
//!
//! - `cli::node`: `keel node`, the rollup node with op-node's flags.
//! - `cli::batcher`: `keel batcher`, the batch submitter with op-batcher's flags.
//! - `decode`: `keel decode …`, the batch-decoder toolbox for operators.
//! - `keel devnet`: a whole chain in one process (`keel_node::devnet`).

#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

mod cli;
mod decode;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Keel: an OP Stack rollup node.
#[derive(Debug, Parser)]
#[command(name = "keel", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the rollup node (op-node's flags and OP_NODE_* variables).
    Node(Box<cli::node::NodeArgs>),
    /// Run the batch submitter (op-batcher's flags and OP_BATCHER_* variables).
    Batcher(Box<cli::batcher::BatcherCommand>),
    /// Decode OP Stack wire data (batcher data, channels, blobs, L1-info calldata,
    /// deposit logs) into JSON.
    #[command(subcommand)]
    Decode(decode::DecodeCommand),
    /// Run a whole OP chain in one process: L1, sequencer, batcher and a verifier.
    Devnet(Box<keel_node::devnet::cli::DevnetArgs>),
}

impl Command {
    /// Runs the command; what it prints on success is its own business.
    fn run(self) -> Result<ExitCode, Box<dyn std::error::Error>> {
        match self {
            Self::Node(args) => cli::node::run(&args)?,
            Self::Batcher(cmd) => cli::batcher::run(*cmd)?,
            Self::Decode(cmd) => println!("{}", decode::run(cmd)?),
            Self::Devnet(args) => return devnet(*args),
        }
        Ok(ExitCode::SUCCESS)
    }
}

fn main() -> ExitCode {
    match Cli::parse().command.run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn init_logs(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// `keel devnet`: its status line on stdout; exit 1 when it did not reach its goal.
fn devnet(
    args: keel_node::devnet::cli::DevnetArgs,
) -> Result<ExitCode, Box<dyn std::error::Error>> {
    // The status line is the devnet's report; component logs are warnings only unless
    // RUST_LOG says otherwise.
    init_logs("warn");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let (line, ok) = runtime.block_on(keel_node::devnet::cli::run(args))?;
    println!("{line}");
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
