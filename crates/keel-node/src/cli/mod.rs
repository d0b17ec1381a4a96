//! The long-running commands: `keel node` and `keel batcher`, their flags, logging, and
//! the signal handling that stops them.

pub(crate) mod batcher;
pub(crate) mod log;
pub(crate) mod node;

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM: what an operator, systemd or a
/// container runtime sends to stop the node. If the handlers cannot be installed the
/// future never completes (the node then stops only when killed) and says so.
pub(crate) async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    r = tokio::signal::ctrl_c() => {
                        if let Err(e) = r {
                            tracing::error!(error = %e, "cannot listen for SIGINT");
                            std::future::pending::<()>().await;
                        }
                    }
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                if tokio::signal::ctrl_c().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
    tracing::info!("shutdown signal received");
}
