//! `keel batcher`: op-batcher's flags (keel-batcher's [`BatcherArgs`]) and its service.

use keel_batcher::BatcherArgs;

use super::log::BatcherLogArgs;

/// `keel batcher` options.
#[derive(Debug, clap::Args)]
pub(crate) struct BatcherCommand {
    #[command(flatten)]
    batcher: BatcherArgs,
    #[command(flatten)]
    log: BatcherLogArgs,
}

/// Runs the batcher until Ctrl-C.
pub(crate) fn run(cmd: BatcherCommand) -> Result<(), Box<dyn std::error::Error>> {
    super::log::init(&cmd.log.level, cmd.log.format)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(keel_batcher::run(cmd.batcher))?;
    Ok(())
}
