#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! The beacon client against real Goerli beacon responses (genesis, spec, five blob
//! sidecars of slot 7422094), served by a local HTTP stub: parsing, KZG verification,
//! endpoint fallback, source fallback, and rejection of wrong blobs.

mod common;

use std::sync::Arc;

use alloy_eips::eip4844::{IndexedBlobHash, kzg_to_versioned_hash};
use alloy_primitives::B256;
use keel_l1::{BeaconClient, BeaconConfig, BlobEndpoint, ErrorClass, L1Error, RetryPolicy};

/// Kept once in the repository, with the protocol crate's blob test data.
const SIDECARS: &str = "../../keel-protocol/testdata/framing/beacon-api/eth_v1_beacon_blob_sidecars_7422094_goerli.json";
const SLOT: u64 = 7_422_094;
/// Goerli beacon genesis (from the genesis fixture) + 12 s per slot.
const SLOT_TIME: u64 = 1_606_824_023 + 12 * SLOT;

fn sidecars_json() -> serde_json::Value {
    serde_json::from_slice(&common::read(SIDECARS)).unwrap()
}

/// (index, versioned hash, blob bytes) of every sidecar in the fixture.
fn fixture_blobs() -> Vec<(u64, B256, Vec<u8>)> {
    sidecars_json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let c = hex::decode(
                s["kzg_commitment"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("0x"),
            )
            .unwrap();
            let blob = hex::decode(s["blob"].as_str().unwrap().trim_start_matches("0x")).unwrap();
            (
                s["index"].as_str().unwrap().parse().unwrap(),
                kzg_to_versioned_hash(&c),
                blob,
            )
        })
        .collect()
}

/// A stub beacon node. `sidecars` / `blobs` say whether each blob endpoint is served.
async fn beacon(sidecars: bool, blobs: bool, sidecar_body: Arc<Vec<u8>>) -> String {
    let genesis = common::read("beacon-api/eth_v1_beacon_genesis_goerli.json");
    let spec = common::read("beacon-api/eth_v1_config_spec_goerli.json");
    let blob_list: Vec<String> = sidecars_json()["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["blob"].as_str().unwrap().to_string())
        .collect();
    let blobs_body = serde_json::to_vec(&serde_json::json!({"data": blob_list})).unwrap();
    let addr = common::serve(move |req| {
        let path = req.target.split('?').next().unwrap_or_default().to_string();
        match path.as_str() {
            "/eth/v1/beacon/genesis" => (200, genesis.clone()),
            "/eth/v1/config/spec" => (200, spec.clone()),
            p if p == format!("/eth/v1/beacon/blob_sidecars/{SLOT}") && sidecars => {
                (200, sidecar_body.to_vec())
            }
            p if p == format!("/eth/v1/beacon/blobs/{SLOT}") && blobs => (200, blobs_body.clone()),
            _ => (404, br#"{"code":404,"message":"not found"}"#.to_vec()),
        }
    })
    .await;
    format!("http://{addr}")
}

fn config(urls: Vec<String>, prefer: BlobEndpoint) -> BeaconConfig {
    BeaconConfig {
        prefer,
        retry: RetryPolicy::no_retry(),
        ..BeaconConfig::new(urls)
    }
}

fn wanted(indices: &[usize]) -> (Vec<IndexedBlobHash>, Vec<Vec<u8>>) {
    let all = fixture_blobs();
    indices
        .iter()
        .map(|&i| {
            (
                IndexedBlobHash {
                    index: all[i].0,
                    hash: all[i].1,
                },
                all[i].2.clone(),
            )
        })
        .unzip()
}

#[test]
fn all_five_goerli_sidecars_verify() {
    let hashes = keel_l1::beacon::verified_sidecar_hashes(&common::read(SIDECARS)).unwrap();
    assert_eq!(hashes.len(), 5);
    let fixture: Vec<_> = fixture_blobs()
        .into_iter()
        .map(|(i, h, _)| (i, h))
        .collect();
    assert_eq!(hashes, fixture);
    assert!(
        hashes.iter().all(|(_, h)| h[0] == 0x01),
        "KZG versioned hashes start 0x01"
    );
}

#[test]
fn a_tampered_blob_fails_its_proof() {
    let mut v = sidecars_json();
    let blob = v["data"][2]["blob"].as_str().unwrap().to_string();
    // Change one nibble inside the second field element (keeps it canonical).
    let mut b = blob.into_bytes();
    b[2 + 64 + 10] = if b[2 + 64 + 10] == b'1' { b'2' } else { b'1' };
    v["data"][2]["blob"] = serde_json::Value::String(String::from_utf8(b).unwrap());
    let e = keel_l1::beacon::verified_sidecar_hashes(&serde_json::to_vec(&v).unwrap()).unwrap_err();
    assert!(matches!(e, L1Error::BlobMismatch { index: 2, .. }), "{e}");
    assert_eq!(e.class(), ErrorClass::Reset);
}

#[tokio::test]
async fn genesis_spec_and_slot() {
    let url = beacon(true, false, Arc::new(common::read(SIDECARS))).await;
    let c = BeaconClient::new(config(vec![url], BlobEndpoint::Blobs)).unwrap();
    let clock = c.slot_clock().await.unwrap();
    assert_eq!(clock.genesis_time, 1_606_824_023);
    assert_eq!(clock.seconds_per_slot, 12);
    assert_eq!(clock.slot(SLOT_TIME).unwrap(), SLOT);
}

#[tokio::test]
async fn sidecars_endpoint_after_blobs_endpoint_is_missing() {
    // The node has no /blobs (pre-Fulu): the client falls back to /blob_sidecars.
    let url = beacon(true, false, Arc::new(common::read(SIDECARS))).await;
    let c = BeaconClient::new(config(vec![url], BlobEndpoint::Blobs)).unwrap();
    let (want, bytes) = wanted(&[3, 1]);
    let got = c.blobs(SLOT_TIME, &want).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[0].as_ref(),
        bytes[0].as_slice(),
        "returned in the order asked"
    );
    assert_eq!(got[1].as_ref(), bytes[1].as_slice());
}

#[tokio::test]
async fn blobs_endpoint_after_sidecars_endpoint_is_gone() {
    // The node has only /blobs (Fulu and later): blobs are checked by recomputing their
    // commitments.
    let url = beacon(false, true, Arc::new(common::read(SIDECARS))).await;
    let c = BeaconClient::new(config(vec![url], BlobEndpoint::Sidecars)).unwrap();
    let (want, bytes) = wanted(&[0, 4]);
    let got = c.blobs(SLOT_TIME, &want).await.unwrap();
    assert_eq!(got[0].as_ref(), bytes[0].as_slice());
    assert_eq!(got[1].as_ref(), bytes[1].as_slice());
}

#[tokio::test]
async fn next_source_when_the_first_is_down_or_lies() {
    // Source 1 answers everything with 500; source 2 serves sidecars whose blob 1 was
    // swapped for blob 0 (commitment kept): its proof fails; source 3 is honest.
    let down = common::serve(|_| (500, b"{}".to_vec())).await;
    let mut lying = sidecars_json();
    lying["data"][1]["blob"] = lying["data"][0]["blob"].clone();
    let liar = beacon(true, false, Arc::new(serde_json::to_vec(&lying).unwrap())).await;
    let honest = beacon(true, false, Arc::new(common::read(SIDECARS))).await;

    let (want, bytes) = wanted(&[1]);
    let only_liar = BeaconClient::new(config(vec![liar.clone()], BlobEndpoint::Sidecars)).unwrap();
    let e = only_liar.blobs(SLOT_TIME, &want).await.unwrap_err();
    match &e {
        L1Error::BlobsUnavailable { slot, last, .. } => {
            assert_eq!(*slot, SLOT);
            assert!(
                matches!(**last, L1Error::BlobMismatch { index: 1, .. }),
                "{last}"
            );
        }
        other => panic!("{other}"),
    }

    // Genesis comes from the first source that answers (the down one does not).
    let c = BeaconClient::new(config(
        vec![format!("http://{down}"), liar, honest],
        BlobEndpoint::Sidecars,
    ))
    .unwrap();
    let got = c.blobs(SLOT_TIME, &want).await.unwrap();
    assert_eq!(got[0].as_ref(), bytes[0].as_slice());
}

#[tokio::test]
async fn a_hash_no_blob_matches_is_an_error() {
    let url = beacon(true, true, Arc::new(common::read(SIDECARS))).await;
    let c = BeaconClient::new(config(vec![url], BlobEndpoint::Blobs)).unwrap();
    let want = [IndexedBlobHash {
        index: 0,
        hash: B256::repeat_byte(7),
    }];
    let e = c.blobs(SLOT_TIME, &want).await.unwrap_err();
    assert!(matches!(e, L1Error::BlobsUnavailable { .. }), "{e}");
    // Off-slot timestamps are a misconfiguration, not a retry.
    let e = c.blobs(SLOT_TIME + 1, &want).await.unwrap_err();
    assert_eq!(e.class(), ErrorClass::Critical, "{e}");
}

#[tokio::test]
async fn two_transactions_committing_to_the_same_blob_both_get_it() {
    let url = beacon(false, true, Arc::new(common::read(SIDECARS))).await;
    let c = BeaconClient::new(config(vec![url], BlobEndpoint::Blobs)).unwrap();
    let (mut want, bytes) = wanted(&[2]);
    want.push(IndexedBlobHash {
        index: 5,
        hash: want[0].hash,
    });
    let got = c.blobs(SLOT_TIME, &want).await.unwrap();
    assert_eq!(got.len(), 2);
    assert!(got.iter().all(|b| b.as_slice() == bytes[0].as_slice()));
}
