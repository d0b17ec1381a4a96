//! `keel`: the Keel OP Stack rollup node and its operator tools.
//!
//! # Design
//!
//! The binary is thin wiring: argument parsing with clap, then a call into the library
//! crates. Every command returns a typed error; `main` prints it as one line on stderr
//! and exits 1, so scripts can rely on the exit code and a human can read the reason.
//!
//! # Layout
//!
//! - `decode`: `keel decode …`, the batch-decoder toolbox for operators.

#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

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
    /// Decode OP Stack wire data (batcher data, channels, blobs, L1-info calldata,
    /// deposit logs) into JSON.
    #[command(subcommand)]
    Decode(decode::DecodeCommand),
    /// Run a whole OP chain in one process: L1, sequencer, batcher and a verifier.
    Devnet(keel_node::devnet::cli::DevnetArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode(cmd) => decode::run(cmd),
        Command::Devnet(args) => return devnet(args),
    };
    match result {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
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

fn devnet(args: keel_node::devnet::cli::DevnetArgs) -> ExitCode {
    // The status line is the devnet's report; component logs are warnings only unless
    // RUST_LOG says otherwise.
    init_logs("warn");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(keel_node::devnet::cli::run(args)) {
        Ok((line, ok)) => {
            println!("{line}");
            if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
