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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Decode(cmd) => decode::run(cmd),
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
