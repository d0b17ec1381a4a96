//! `--log.level` and `--log.format`, as op-node names them (op-service `oplog`), on
//! tracing-subscriber. Logs go to stderr so that stdout stays for command output.

use tracing_subscriber::EnvFilter;

/// op-node's log formats that Keel writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `keel node`'s log flags (`OP_NODE_LOG_*`).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Logging")]
pub(crate) struct NodeLogArgs {
    /// Lowest level logged: trace, debug, info, warn, error, crit (as error); or a
    /// tracing filter such as `info,keel_node=debug`.
    #[arg(long = "log.level", env = "OP_NODE_LOG_LEVEL", default_value = "info")]
    pub(crate) level: String,
    /// Log line format.
    #[arg(long = "log.format", env = "OP_NODE_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub(crate) format: LogFormat,
}

/// `keel batcher`'s log flags (`OP_BATCHER_LOG_*`).
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Logging")]
pub(crate) struct BatcherLogArgs {
    /// Lowest level logged: trace, debug, info, warn, error, crit (as error); or a
    /// tracing filter.
    #[arg(
        long = "log.level",
        env = "OP_BATCHER_LOG_LEVEL",
        default_value = "info"
    )]
    pub(crate) level: String,
    /// Log line format.
    #[arg(long = "log.format", env = "OP_BATCHER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub(crate) format: LogFormat,
}

/// Why logging could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("--log.level {level:?}: {reason}")]
pub(crate) struct LogError {
    level: String,
    reason: String,
}

/// Installs the global subscriber logging at `level` in `format`.
pub(crate) fn init(level_arg: &str, format: LogFormat) -> Result<(), LogError> {
    let level = match level_arg.to_ascii_lowercase().as_str() {
        // op-node's highest level; tracing has none above error.
        "crit" => "error".to_owned(),
        other => other.to_owned(),
    };
    let filter = EnvFilter::try_new(&level).map_err(|e| LogError {
        level: level_arg.to_owned(),
        reason: e.to_string(),
    })?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let installed = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    installed.map_err(|e| LogError {
        level: level_arg.to_owned(),
        reason: e.to_string(),
    })
}
