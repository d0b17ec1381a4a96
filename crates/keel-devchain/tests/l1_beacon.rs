#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Blob transactions on the L1 dev chain: inclusion within Prague's per-block limit, excess
//! blob gas and blob base fee progression, sidecars kept for a bounded history, and the
//! beacon API endpoint read back by keel-l1's `BeaconClient` (each blob KZG-verified against
//! its versioned hash), through both `/blobs` and `/blob_sidecars`.

mod l1_support;

use std::{sync::Arc, time::Duration};

use alloy_eips::eip4844::{DATA_GAS_PER_BLOB, IndexedBlobHash};
use alloy_primitives::{Address, address};
use keel_devchain::l1::{L1Config, beacon};
use keel_l1::{BeaconClient, BeaconConfig, BlobEndpoint};
use l1_support::*;
use parking_lot::RwLock;

const INBOX: Address = address!("0xff00000000000000000000000000000000000901");

#[test]
fn blob_gas_limits_and_excess_progression() {
    let mut chain = chain();
    let blobs = |n: usize, tag: u8| {
        (0..n)
            .map(|i| blob(&[tag, i as u8, 0xab]))
            .collect::<Vec<_>>()
    };
    // Tips make the order A, B, C.
    let (a, _) = blob_tx_with_tip(&chain, 1, 0, INBOX, blobs(6, 1), 3 * GWEI);
    let (b, _) = blob_tx_with_tip(&chain, 2, 0, INBOX, blobs(4, 2), 2 * GWEI);
    let (c, _) = blob_tx_with_tip(&chain, 3, 0, INBOX, blobs(5, 3), GWEI);
    let ha = chain.send_raw_transaction(&a).unwrap();
    let hb = chain.send_raw_transaction(&b).unwrap();
    let hc = chain.send_raw_transaction(&c).unwrap();

    // Block 1: A's 6 blobs; neither B (6 + 4) nor C (6 + 5) fits under the maximum of 9.
    let b1 = mine(&mut chain).block;
    let hashes = |b: &keel_devchain::l1::L1Block| {
        b.transactions
            .iter()
            .map(|t| *t.inner().tx_hash())
            .collect::<Vec<_>>()
    };
    assert_eq!(hashes(&b1), vec![ha]);
    assert_eq!(b1.header.blob_gas_used, Some(6 * DATA_GAS_PER_BLOB));
    assert_eq!(b1.header.excess_blob_gas, Some(0));

    // Block 2: B and C, 9 blobs, the maximum; the excess after block 1 (at target) is 0.
    let b2 = mine(&mut chain).block;
    assert_eq!(hashes(&b2), vec![hb, hc]);
    assert_eq!(b2.header.blob_gas_used, Some(9 * DATA_GAS_PER_BLOB));
    assert_eq!(b2.header.excess_blob_gas, Some(0));

    // Block 3: excess = 9 - 6 blobs over the target.
    let b3 = mine(&mut chain).block;
    assert_eq!(b3.header.excess_blob_gas, Some(3 * DATA_GAS_PER_BLOB));
    assert_eq!(b3.header.blob_gas_used, Some(0));
    // Block 4: back to zero (3 - 6 saturates).
    let b4 = mine(&mut chain).block;
    assert_eq!(b4.header.excess_blob_gas, Some(0));

    // The receipts report the blob gas and the block's blob gas price.
    let info = chain.transaction(&hc).unwrap();
    assert_eq!(info.blob_gas_used, Some(5 * DATA_GAS_PER_BLOB));
    assert_eq!(info.blob_gas_price, Some(1));
    // Sidecars are kept per block, in block order.
    let s2 = chain.blob_sidecars(2).unwrap();
    assert_eq!(s2.iter().map(|(h, _)| *h).collect::<Vec<_>>(), vec![hb, hc]);
    assert_eq!(s2[1].1.blobs.len(), 5);
    assert_eq!(chain.blob_sidecars(3).unwrap().len(), 0);
}

#[test]
fn blob_base_fee_rises_with_sustained_excess() {
    let mut chain = chain();
    let mut nonce = [0u64; 10];
    // Nine blobs in every block for a while: the excess grows by 3 blobs per block. The
    // blob base fee doubles once the excess passes ln 2 × 5,007,716 (about 26.5 blobs).
    const ROUNDS: u8 = 10;
    for round in 0..ROUNDS {
        for (sender, n) in [(1usize, 5usize), (2, 4)] {
            let blobs = (0..n)
                .map(|i| blob(&[round, sender as u8, i as u8]))
                .collect();
            let (raw, _) = blob_tx(&chain, sender, nonce[sender], INBOX, blobs);
            nonce[sender] += 1;
            chain.send_raw_transaction(&raw).unwrap();
        }
        let b = mine(&mut chain).block;
        assert_eq!(
            b.header.blob_gas_used,
            Some(9 * DATA_GAS_PER_BLOB),
            "round {round}"
        );
        assert_eq!(
            b.header.excess_blob_gas,
            Some(u64::from(round) * 3 * DATA_GAS_PER_BLOB)
        );
    }
    let excess = u64::from(ROUNDS) * 3 * DATA_GAS_PER_BLOB;
    assert_eq!(
        chain.next_blob_base_fee(),
        alloy_eips::eip4844::fake_exponential(1, u128::from(excess), 5_007_716)
    );
    assert_eq!(chain.next_blob_base_fee(), 2);
}

#[test]
fn old_sidecars_are_dropped_past_the_bound() {
    let mut chain = chain_with(L1Config {
        max_kept_blobs: 2,
        ..L1Config::default()
    });
    for i in 0..3u64 {
        let (raw, _) = blob_tx(&chain, 1, i, INBOX, vec![blob(&[i as u8])]);
        chain.send_raw_transaction(&raw).unwrap();
        mine(&mut chain);
    }
    assert!(chain.blob_sidecars(1).is_none());
    assert_eq!(chain.blob_sidecars(2).unwrap().len(), 1);
    assert_eq!(chain.blob_sidecars(3).unwrap().len(), 1);
}

#[tokio::test]
async fn beacon_client_fetches_and_verifies_blobs() {
    let mut chain = chain();
    mine(&mut chain); // slot 1: no blobs
    let data = [b"first frame".as_slice(), b"second frame", b"third"];
    let (raw, hashes) = blob_tx(&chain, 1, 0, INBOX, data.iter().map(|d| blob(d)).collect());
    chain.send_raw_transaction(&raw).unwrap();
    let block = mine(&mut chain).block; // slot 2
    assert_eq!(chain.slot_of(block.header.timestamp), Some(2));
    let genesis_time = chain.genesis_time();
    let shared = Arc::new(RwLock::new(chain));
    let server = beacon::serve(Arc::clone(&shared), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();

    for prefer in [BlobEndpoint::Blobs, BlobEndpoint::Sidecars] {
        let client = BeaconClient::new(BeaconConfig {
            prefer,
            request_timeout: Duration::from_secs(10),
            ..BeaconConfig::new(vec![server.url()])
        })
        .unwrap();
        let clock = client.slot_clock().await.unwrap();
        assert_eq!(clock.genesis_time, genesis_time);
        assert_eq!(clock.seconds_per_slot, 6);
        // Ask for the second and third blobs only.
        let wanted: Vec<IndexedBlobHash> = [1usize, 2]
            .iter()
            .map(|i| IndexedBlobHash {
                index: *i as u64,
                hash: hashes[*i],
            })
            .collect();
        let blobs = client.blobs(block.header.timestamp, &wanted).await.unwrap();
        assert_eq!(blobs.len(), 2);
        for (got, i) in blobs.iter().zip([1usize, 2]) {
            let decoded = keel_protocol::blob::decode_blob(got.as_slice()).unwrap();
            assert_eq!(decoded, data[i], "{prefer:?} blob {i}");
        }
    }

    // The raw endpoints: index filter, signed header slot, empty and missing slots.
    let http = reqwest::Client::new();
    let get = |path: String| {
        let http = http.clone();
        let url = format!("{}{path}", server.url());
        async move {
            let r = http.get(url).send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<serde_json::Value>().await.unwrap(),
            )
        }
    };
    let (status, body) = get("/eth/v1/beacon/blob_sidecars/2?indices=2".into()).await;
    assert_eq!(status, 200);
    let list = body["data"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["index"], "2");
    assert_eq!(list[0]["signed_block_header"]["message"]["slot"], "2");
    assert_eq!(
        list[0]["signed_block_header"]["message"]["body_root"],
        serde_json::json!(block.hash())
    );
    let (status, body) = get("/eth/v1/beacon/blob_sidecars/1".into()).await;
    assert_eq!((status, body["data"].as_array().unwrap().len()), (200, 0));
    let (status, _) = get("/eth/v1/beacon/blob_sidecars/9".into()).await;
    assert_eq!(status, 404);
    let (status, _) = get("/eth/v1/beacon/blobs/2?versioned_hashes=0xzz".into()).await;
    assert_eq!(status, 400);
    let (status, body) = get(format!(
        "/eth/v1/beacon/blobs/2?versioned_hashes={}",
        hashes[0]
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
}
