//! Retrying temporary failures with exponential backoff.

use std::future::Future;

use crate::{config::RetryPolicy, error::L1Error};

/// Runs `op` until it succeeds, fails with an error that is not retryable
/// ([`L1Error::is_retryable`]), or `policy.max_attempts` attempts have been made; sleeps
/// `policy.backoff(n)` on the tokio clock between attempts (so tests can pause time).
pub(crate) async fn with_retry<T, F, Fut>(policy: &RetryPolicy, mut op: F) -> Result<T, L1Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, L1Error>>,
{
    let mut attempt = 1u32;
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if e.is_retryable() && attempt < policy.max_attempts => {
                tokio::time::sleep(policy.backoff(attempt)).await;
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_eips::BlockId;
    use std::{cell::Cell, time::Duration};

    fn transport() -> L1Error {
        L1Error::Transport {
            endpoint: "http://127.0.0.1:8545".into(),
            method: "eth_blockNumber",
            block: BlockId::latest(),
            message: "refused".into(),
            retryable: true,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_temporary_until_bound() {
        let calls = Cell::new(0);
        let policy = RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(20),
        };
        let r: Result<(), _> = with_retry(&policy, || {
            calls.set(calls.get() + 1);
            async { Err(transport()) }
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls.get(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn succeeds_after_failures() {
        let calls = Cell::new(0);
        let r = with_retry(&RetryPolicy::default(), || {
            calls.set(calls.get() + 1);
            let n = calls.get();
            async move { if n < 3 { Err(transport()) } else { Ok(n) } }
        })
        .await;
        assert_eq!(r.unwrap(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn not_found_is_not_retried() {
        let calls = Cell::new(0);
        let r: Result<(), _> = with_retry(&RetryPolicy::default(), || {
            calls.set(calls.get() + 1);
            async {
                Err(L1Error::BlockNotFound {
                    block: BlockId::number(9),
                })
            }
        })
        .await;
        assert!(matches!(r, Err(L1Error::BlockNotFound { .. })));
        assert_eq!(calls.get(), 1);
    }
}
