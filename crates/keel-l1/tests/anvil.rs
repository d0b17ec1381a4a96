#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! keel-l1 against a real, independent L1 node: anvil (npm `@foundry-rs/anvil`, pinned in
//! `tools/package.json`, installed by `scripts/test.sh`).
//!
//! A batcher posts one calldata transaction and one blob transaction to the batch inbox
//! (plus a stranger's transaction to the inbox and a batcher transaction elsewhere, both to
//! be ignored); the block is read back through [`L1Client`] (block, transactions, receipts
//! by both methods, head / safe / finalized), handed to the pipeline's L1 retrieval stage
//! (`keel_derive::stages::retrieval`), whose blob request is served by [`BeaconClient`] from
//! anvil's beacon API (each blob checked against its versioned hash), and the batcher data
//! comes out as posted.
//!
//! Anvil 1.7.1 serves `/eth/v1/beacon/genesis` and `/eth/v1/beacon/blobs/{block}`, answers
//! `/eth/v1/beacon/blob_sidecars` with 410 Gone, and has no `/eth/v1/config/spec`; so the
//! beacon client is given the slot length (1000 s), anvil does not mine on its own
//! (`--no-mining`), and blocks are mined by hand at `genesis + 1000 * n`: slot n is then
//! block n, which is what anvil's `/blobs/{n}` takes.
//!
//! Without anvil the test fails under CI (`CI=true`) and is skipped, with a message,
//! elsewhere.

mod common;

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use alloy_consensus::{
    SignableTransaction, TxEip1559, TxEip4844, TxEip4844Variant, TxEip4844WithSidecar, TxEnvelope,
};
use alloy_eips::eip4844::IndexedBlobHash;
use alloy_eips::{
    eip2718::Encodable2718,
    eip4844::{BlobTransactionSidecar, kzg_to_versioned_hash},
    eip7594::BlobTransactionSidecarVariant,
};
use alloy_network::{Ethereum, TxSignerSync};
use alloy_primitives::{Address, B256, Bytes, FixedBytes, TxKind, U256, address};
use alloy_provider::{Provider, RootProvider};
use alloy_signer_local::PrivateKeySigner;
use keel_derive::stages::retrieval::{self, DataItem};
use keel_l1::{BeaconClient, BeaconConfig, BlobEndpoint, L1Client, L1Config, ReceiptsMethod};
use keel_protocol::{hardfork::HardforkTimes, rollup_config::RollupConfig};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// Anvil's first two dev accounts (public, from anvil's default mnemonic).
const BATCHER_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const STRANGER_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const INBOX: Address = address!("ff00000000000000000000000000000000000901");
const SLOT_SECONDS: u64 = 1000;
const GWEI: u128 = 1_000_000_000;

fn anvil_path() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("KEEL_ANVIL") {
        return Some(PathBuf::from(p));
    }
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/node_modules");
    // The platform binary first: `.bin/anvil` is a node wrapper that does not pass a kill on.
    [
        "@foundry-rs/anvil-linux-amd64/bin/anvil",
        "@foundry-rs/anvil-linux-arm64/bin/anvil",
        "@foundry-rs/anvil-darwin-arm64/bin/anvil",
        "@foundry-rs/anvil-darwin-amd64/bin/anvil",
        ".bin/anvil",
    ]
    .iter()
    .map(|c| modules.join(c))
    .find(|p| p.exists())
}

/// A running anvil, killed when dropped.
struct Anvil {
    _child: Child,
    url: String,
}

async fn start_anvil(bin: &Path) -> Anvil {
    let mut child = Command::new(bin)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--hardfork",
            "prague",
            "--no-mining",
            "--slots-in-an-epoch",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(addr) = line.trim().strip_prefix("Listening on ") {
                return addr.to_string();
            }
        }
        panic!("anvil exited before listening");
    })
    .await
    .expect("anvil did not start listening within 60 s");
    // Keep draining its output so that a full pipe never blocks it.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Anvil {
        _child: child,
        url: format!("http://{addr}"),
    }
}

fn sign_1559(
    key: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: Address,
    input: &[u8],
) -> Vec<u8> {
    let mut tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: 10 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to: TxKind::Call(to),
        value: U256::ZERO,
        access_list: Default::default(),
        input: Bytes::copy_from_slice(input),
    };
    let sig = key.sign_transaction_sync(&mut tx).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
}

/// A type-3 transaction with its sidecar (network form), and the blob's versioned hash.
fn sign_blob_tx(key: &PrivateKeySigner, chain_id: u64, nonce: u64, blob: &[u8]) -> (Vec<u8>, B256) {
    let settings = c_kzg::ethereum_kzg_settings(0);
    let c_blob = c_kzg::Blob::from_bytes(blob).unwrap();
    let commitment = settings.blob_to_kzg_commitment(&c_blob).unwrap().to_bytes();
    let proof = settings
        .compute_blob_kzg_proof(&c_blob, &commitment)
        .unwrap()
        .to_bytes();
    let hash = kzg_to_versioned_hash(commitment.as_slice());
    let sidecar = BlobTransactionSidecar {
        blobs: vec![FixedBytes::from_slice(blob)],
        commitments: vec![FixedBytes::from_slice(commitment.as_slice())],
        proofs: vec![FixedBytes::from_slice(proof.as_slice())],
    };
    let tx = TxEip4844 {
        chain_id,
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: 10 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to: INBOX,
        value: U256::ZERO,
        access_list: Default::default(),
        blob_versioned_hashes: vec![hash],
        max_fee_per_blob_gas: 10 * GWEI,
        input: Bytes::new(),
    };
    let mut tx = TxEip4844Variant::TxEip4844WithSidecar(TxEip4844WithSidecar {
        tx,
        sidecar: BlobTransactionSidecarVariant::Eip4844(sidecar),
    });
    let sig = key.sign_transaction_sync(&mut tx).unwrap();
    (
        TxEnvelope::Eip4844(tx.into_signed(sig)).encoded_2718(),
        hash,
    )
}

async fn mine_at(provider: &RootProvider<Ethereum>, timestamp: u64) {
    let _: serde_json::Value = provider
        .raw_request("evm_setNextBlockTimestamp".into(), (timestamp,))
        .await
        .unwrap();
    let _: serde_json::Value = provider
        .raw_request("evm_mine".into(), Vec::<u64>::new())
        .await
        .unwrap();
}

/// A proxy to `upstream` that answers `eth_getBlockReceipts` as a node without it would,
/// and counts the per-transaction receipt requests that come instead.
async fn proxy_without_block_receipts(upstream: String, per_tx: Arc<AtomicUsize>) -> String {
    let http = reqwest::Client::new();
    let addr = common::serve_async(move |req| {
        let (http, upstream, per_tx) = (http.clone(), upstream.clone(), Arc::clone(&per_tx));
        async move {
            match common::rpc_method(&req.body).as_str() {
                "eth_getBlockReceipts" => {
                    let id: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
                    let body = format!(
                        r#"{{"jsonrpc":"2.0","id":{},"error":{{"code":-32601,"message":"the method eth_getBlockReceipts does not exist/is not available"}}}}"#,
                        id["id"]
                    );
                    return (200, body.into_bytes());
                }
                "eth_getTransactionReceipt" => {
                    per_tx.fetch_add(1, Ordering::SeqCst);
                }
                _ => {}
            }
            let resp = http
                .post(&upstream)
                .header("content-type", "application/json")
                .body(req.body)
                .send()
                .await
                .unwrap();
            (resp.status().as_u16(), resp.bytes().await.unwrap().to_vec())
        }
    })
    .await;
    format!("http://{addr}")
}

#[tokio::test]
async fn batcher_data_round_trips_through_anvil() {
    let Some(bin) = anvil_path() else {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(
            !ci,
            "anvil not found: run `npm ci --prefix tools` (scripts/test.sh does) or set KEEL_ANVIL"
        );
        // Straight to stderr: the test harness captures `eprintln!` of passing tests.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED batcher_data_round_trips_through_anvil: anvil not found (run `npm ci --prefix tools` or set KEEL_ANVIL)"
        );
        return;
    };
    tokio::time::timeout(Duration::from_secs(240), run(&bin))
        .await
        .expect("anvil test timed out");
}

async fn run(bin: &Path) {
    let anvil = start_anvil(bin).await;
    let provider = RootProvider::<Ethereum>::new_http(anvil.url.parse().unwrap());
    let chain_id = provider.get_chain_id().await.unwrap();
    let batcher: PrivateKeySigner = BATCHER_KEY.parse().unwrap();
    let stranger: PrivateKeySigner = STRANGER_KEY.parse().unwrap();

    // Frames as a batcher would post them: version byte 0, then frame bytes (content is
    // opaque to this crate).
    let calldata: Vec<u8> = [&[0u8][..], b"keel calldata frame"].concat();
    let blob_data: Vec<u8> = [&[0u8][..], &[0xab; 5000][..]].concat();
    let blob = keel_protocol::blob::encode_blob(&blob_data)
        .unwrap()
        .to_vec();
    let (blob_tx, blob_hash) = sign_blob_tx(&batcher, chain_id, 1, &blob);
    for raw in [
        sign_1559(&batcher, chain_id, 0, INBOX, &calldata),
        blob_tx,
        sign_1559(&stranger, chain_id, 0, INBOX, b"\x00not the batcher"),
        sign_1559(
            &batcher,
            chain_id,
            2,
            Address::repeat_byte(0x42),
            b"\x00not the inbox",
        ),
    ] {
        let _pending = provider.send_raw_transaction(&raw).await.unwrap();
    }

    let genesis = provider
        .get_block_by_number(0.into())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    for n in 1..=3 {
        mine_at(&provider, genesis + SLOT_SECONDS * n).await;
    }

    // Blocks, verified (hash recomputed, transactions root checked).
    let l1 = L1Client::new_http(&anvil.url, L1Config::default()).unwrap();
    let block = l1.block_by_number(1).await.unwrap();
    assert_eq!(
        block.transactions.len(),
        4,
        "all four transactions in block 1"
    );
    assert_eq!(block.header.timestamp, genesis + SLOT_SECONDS);
    let by_hash = l1.block_by_hash(block.hash()).await.unwrap();
    assert_eq!(*by_hash, *block);
    let next = l1.block_by_number(2).await.unwrap();
    assert_eq!(next.header.parent_hash, block.hash());

    // Head / safe / finalized (anvil: safe and finalized trail by one and two epochs of
    // one slot).
    let head = l1.head().await.unwrap();
    let safe = l1.safe().await.unwrap();
    let finalized = l1.finalized().await.unwrap();
    assert_eq!(head.number, 3);
    assert!(finalized.number <= safe.number && safe.number <= head.number);
    assert!(
        safe.number < head.number,
        "safe trails head: {safe:?} {head:?}"
    );
    for r in [head, safe, finalized] {
        assert_eq!(l1.block_by_number(r.number).await.unwrap().block_ref(), r);
    }

    // Receipts: eth_getBlockReceipts, per transaction, and the automatic fallback.
    let receipts = l1.receipts(&block).await.unwrap();
    assert_eq!(receipts.len(), 4);
    assert!(receipts.iter().all(|r| r.status()), "all succeeded");
    let per_tx_client = L1Client::new_http(
        &anvil.url,
        L1Config {
            receipts_method: ReceiptsMethod::PerTransaction,
            // 4 receipts in chunks of 3 and 1: order must survive.
            receipts_concurrency: 3,
            ..L1Config::default()
        },
    )
    .unwrap();
    assert_eq!(*per_tx_client.receipts(&block).await.unwrap(), *receipts);
    let per_tx_calls = Arc::new(AtomicUsize::new(0));
    let proxy = proxy_without_block_receipts(anvil.url.clone(), Arc::clone(&per_tx_calls)).await;
    let fallback = L1Client::new_http(&proxy, L1Config::default()).unwrap();
    assert_eq!(
        *fallback.receipts_by_hash(block.hash()).await.unwrap(),
        *receipts
    );
    assert_eq!(
        per_tx_calls.load(Ordering::SeqCst),
        4,
        "one receipt request per transaction"
    );

    // L1 retrieval picks the batcher's two inbox transactions, in block order.
    let rollup = RollupConfig {
        l1_chain_id: chain_id,
        batch_inbox_address: INBOX,
        hardforks: HardforkTimes {
            regolith_time: Some(0),
            canyon_time: Some(0),
            delta_time: Some(0),
            ecotone_time: Some(0),
            ..HardforkTimes::default()
        },
        ..RollupConfig::default()
    };
    let input = l1.block_input_by_number(1).await.unwrap();
    assert_eq!(input.block_ref, block.block_ref());
    assert_eq!(input.receipts, *receipts);
    let items = retrieval::batcher_data(&input, &rollup, batcher.address());
    assert_eq!(
        items,
        vec![
            DataItem::Calldata(Bytes::from(calldata.clone())),
            DataItem::Blob {
                index: 0,
                hash: blob_hash
            },
        ]
    );
    let hashes: Vec<IndexedBlobHash> = items
        .iter()
        .filter_map(|i| match i {
            DataItem::Blob { index, hash } => Some(IndexedBlobHash {
                index: *index,
                hash: *hash,
            }),
            DataItem::Calldata(_) => None,
        })
        .collect();

    // Blobs through anvil's beacon API, verified by KZG against the versioned hash; once
    // preferring /blobs, once preferring /blob_sidecars (which anvil answers 410 Gone).
    for prefer in [BlobEndpoint::Blobs, BlobEndpoint::Sidecars] {
        let beacon = BeaconClient::new(BeaconConfig {
            prefer,
            seconds_per_slot: Some(SLOT_SECONDS),
            ..BeaconConfig::new(vec![anvil.url.clone()])
        })
        .unwrap();
        let clock = beacon.slot_clock().await.unwrap();
        assert_eq!(clock.seconds_per_slot, SLOT_SECONDS);
        assert_eq!(clock.slot(block.header.timestamp).unwrap(), 1);
        let blobs = beacon.blobs(block.header.timestamp, &hashes).await.unwrap();
        assert_eq!(blobs.len(), 1);
        assert_eq!(blobs[0].as_slice(), blob.as_slice(), "{prefer:?}");
        // The pipeline's own checks and decoding take them as they are.
        retrieval::verify_blobs(&items, &blobs).unwrap();
        let resolved = retrieval::resolve(items.clone(), &blobs).unwrap();
        assert!(resolved.skipped.is_empty());
        assert_eq!(
            resolved.data,
            vec![
                Bytes::from(calldata.clone()),
                Bytes::from(blob_data.clone())
            ]
        );
    }
}
