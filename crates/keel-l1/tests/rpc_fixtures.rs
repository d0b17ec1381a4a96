#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! op-node's real Goerli L1 block fixtures, served by a local JSON-RPC stub: the good blocks
//! verify, every corrupted variant is rejected, and `trust_rpc` skips the root checks.

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::B256;
use keel_l1::{ErrorClass, InvalidBlockKind, L1Client, L1Config, L1Error, RetryPolicy};

/// A client whose node answers every request with `file`'s JSON.
async fn client_serving(file: &str, trust_rpc: bool) -> L1Client {
    let json: Arc<String> = Arc::new(String::from_utf8(common::read(file)).unwrap());
    let addr = common::serve(move |req| (200, common::rpc_result(&req.body, &json))).await;
    let config = L1Config {
        trust_rpc,
        retry: RetryPolicy::no_retry(),
        ..L1Config::default()
    };
    L1Client::new_http(&format!("http://{addr}"), config).unwrap()
}

fn hash_of(file: &str) -> B256 {
    let v: serde_json::Value = serde_json::from_slice(&common::read(file)).unwrap();
    v["hash"].as_str().unwrap().parse().unwrap()
}

fn expected(fixture: &str) -> (bool, Option<String>) {
    let meta: serde_json::Value = serde_json::from_slice(&common::read(
        &fixture.replace("_data.json", "_metadata.json"),
    ))
    .unwrap();
    (
        meta["fail"].as_bool().unwrap_or(false),
        meta["reason"].as_str().map(str::to_string),
    )
}

const BLOCKS: &[&str] = &[
    "post-shanghai-success",
    "post-shanghai-bad-receipts-hash",
    "post-shanghai-bad-transactions-hash",
    "post-shanghai-bad-transactions-nil",
    "post-shanghai-bad-transactions",
    "post-shanghai-bad-withdrawals-hash",
    "post-shanghai-bad-withdrawals-nil",
    "post-shanghai-bad-withdrawals",
    "pre-shanghai-success",
    "pre-shanghai-bad-receipts-hash",
    "pre-shanghai-bad-transactions-hash",
    "pre-shanghai-bad-transactions",
];

#[tokio::test]
async fn full_blocks_verify_or_fail_as_op_node_says() {
    for name in BLOCKS {
        let file = format!("l1-rpc-blocks/blocks/{name}_data.json");
        let (fail, reason) = expected(&file);
        let client = client_serving(&file, false).await;
        // Ask for the hash the node reports, as op-node's tests do: each corruption is
        // then caught by the check it targets.
        let want = hash_of(&file);
        let got = client.block_by_hash(want).await;
        if !fail {
            let b = got.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(b.hash(), want, "{name}");
            assert!(!b.transactions.is_empty(), "{name}");
            continue;
        }
        let err = got.err().unwrap_or_else(|| panic!("{name} must fail"));
        let reason = reason.unwrap_or_default();
        match &err {
            L1Error::InvalidBlock { what, .. } => {
                assert_eq!(err.class(), ErrorClass::Reset, "{name}");
                let ok = match what {
                    InvalidBlockKind::HeaderHash { .. } => reason.contains("block hash"),
                    InvalidBlockKind::TransactionsRoot { .. } => {
                        reason.contains("transactions list")
                    }
                    InvalidBlockKind::WithdrawalsRoot { .. } => reason.contains("withdrawals list"),
                    _ => false,
                };
                assert!(ok, "{name}: op-node says {reason:?}, we said {err}");
            }
            // A null transaction or withdrawal does not even decode.
            L1Error::Malformed { .. } => {
                assert!(
                    reason.contains("nil") || reason.contains("null"),
                    "{name}: {err}"
                )
            }
            other => panic!("{name}: unexpected error {other}"),
        }
    }
}

#[tokio::test]
async fn trust_rpc_skips_root_checks() {
    let client = client_serving(
        "l1-rpc-blocks/blocks/post-shanghai-bad-transactions_data.json",
        true,
    )
    .await;
    let want = hash_of("l1-rpc-blocks/blocks/post-shanghai-bad-transactions_data.json");
    let b = client.block_by_hash(want).await.unwrap();
    assert_eq!(b.hash(), want);
}

#[tokio::test]
async fn a_block_other_than_the_one_asked_for_is_rejected() {
    // The node serves a consistent block, but not the one asked for (as after a reorg).
    let client = client_serving(
        "l1-rpc-blocks/blocks/post-shanghai-success_data.json",
        false,
    )
    .await;
    let e = client
        .block_by_hash(B256::repeat_byte(1))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            L1Error::InvalidBlock {
                what: InvalidBlockKind::HeaderHash { .. },
                ..
            }
        ),
        "{e}"
    );
    // And by number: the served block has another number.
    let e = client.block_by_number(1).await.unwrap_err();
    assert!(
        matches!(
            e,
            L1Error::InvalidBlock {
                what: InvalidBlockKind::Number { requested: 1 },
                ..
            }
        ),
        "{e}"
    );
}

#[tokio::test]
async fn header_refs_verify_or_fail() {
    for name in [
        "post-shanghai-success",
        "post-shanghai-bad-receipts",
        "post-shanghai-bad-transactions",
        "post-shanghai-bad-withdrawals",
        "pre-shanghai-success",
        "pre-shanghai-bad-receipts",
        "pre-shanghai-bad-transactions",
    ] {
        let file = format!("l1-rpc-blocks/headers/{name}_data.json");
        let (fail, _) = expected(&file);
        let client = client_serving(&file, false).await;
        let r = client.block_ref_by_tag(BlockNumberOrTag::Latest).await;
        if fail {
            let e = r.err().unwrap_or_else(|| panic!("{name} must fail"));
            assert!(
                matches!(
                    e,
                    L1Error::InvalidBlock {
                        what: InvalidBlockKind::HeaderHash { .. },
                        ..
                    }
                ),
                "{name}: {e}"
            );
        } else {
            let r = r.unwrap();
            assert_eq!(r.hash, hash_of(&file), "{name}");
        }
    }
}

#[tokio::test]
async fn not_found_is_temporary_and_not_retried() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = Arc::clone(&calls);
    let addr = common::serve(move |req| {
        c2.fetch_add(1, Ordering::SeqCst);
        (200, common::rpc_result(&req.body, "null"))
    })
    .await;
    let client = L1Client::new_http(&format!("http://{addr}"), L1Config::default()).unwrap();
    let e = client.block_by_number(7).await.unwrap_err();
    assert!(matches!(e, L1Error::BlockNotFound { .. }), "{e}");
    assert_eq!(e.class(), ErrorClass::Temporary);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = Arc::clone(&calls);
    let addr = common::serve(move |_| {
        c2.fetch_add(1, Ordering::SeqCst);
        (503, b"{}".to_vec())
    })
    .await;
    let retry = RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
    };
    // An API key in the URL's path must not leak into errors.
    let url = format!("http://{addr}/v3/SECRETKEY");
    let client = L1Client::new_http(
        &url,
        L1Config {
            retry,
            ..L1Config::default()
        },
    )
    .unwrap();
    let e = client.head().await.unwrap_err();
    assert!(
        matches!(
            e,
            L1Error::Transport {
                retryable: true,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    let shown = e.to_string();
    assert!(
        shown.contains(&addr.to_string()) && !shown.contains("SECRETKEY"),
        "{shown}"
    );
    assert!(!format!("{client:?}").contains("SECRETKEY"));
}

#[tokio::test]
async fn blocks_by_hash_come_from_the_cache_the_second_time() {
    let file = "l1-rpc-blocks/blocks/pre-shanghai-success_data.json";
    let calls = Arc::new(AtomicUsize::new(0));
    let c2 = Arc::clone(&calls);
    let block = String::from_utf8(common::read(file)).unwrap();
    let addr = common::serve(move |req| {
        c2.fetch_add(1, Ordering::SeqCst);
        (200, common::rpc_result(&req.body, &block))
    })
    .await;
    let url = format!("http://{addr}");
    let want = hash_of(file);
    let client = L1Client::new_http(&url, L1Config::default()).unwrap();
    let a = client.block_by_hash(want).await.unwrap();
    let b = client.block_by_hash(want).await.unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // A cache of size 0 asks every time.
    let config = L1Config {
        block_cache_size: 0,
        ..L1Config::default()
    };
    let uncached = L1Client::new_http(&url, config).unwrap();
    uncached.block_by_hash(want).await.unwrap();
    uncached.block_by_hash(want).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}
