//! Block-gossip signing against op-alloy's published vectors (testdata/engine-api/README.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use alloy_primitives::{B256, keccak256};
use keel_sequencer::signing::{
    BLOCK_SIGNING_DOMAIN_V1, BlockSigner, recover_signer, signature_bytes, signing_hash,
};
use op_alloy_rpc_types_engine::{OpExecutionPayloadEnvelope, OpNetworkPayloadEnvelope};

fn vectors() -> Vec<serde_json::Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/engine-api/op_alloy_engine_vectors.json"
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["vectors"].as_array().unwrap().clone()
}

fn vector(id: &str) -> serde_json::Value {
    vectors().into_iter().find(|v| v["id"] == id).unwrap()
}

fn hex_bytes(v: &serde_json::Value) -> Vec<u8> {
    hex::decode(v.as_str().unwrap().trim_start_matches("0x")).unwrap()
}

/// The vector's `payload_hash` field is, in op-alloy's test, the *payload* (its test wraps
/// it with `PayloadHash::from(bytes)`, which hashes): the signed message is over
/// `keccak256(0x99…99)`, not over `0x99…99` (the vector's note says otherwise; see the
/// testdata README).
#[test]
fn signature_message_matches_op_alloy_vector() {
    let v = vector("p2p-gossip-signature-message");
    let payload = hex_bytes(&v["payload_hash"]);
    let payload_hash = keccak256(&payload);
    assert_ne!(
        signing_hash(BLOCK_SIGNING_DOMAIN_V1, 10, B256::from_slice(&payload)),
        B256::from_slice(&hex_bytes(&v["expected_signature_message"])),
        "the field is not the hash itself"
    );
    let chain_id = v["chain_id"].as_u64().unwrap();
    let expected = B256::from_slice(&hex_bytes(&v["expected_signature_message"]));
    assert_eq!(
        signing_hash(BLOCK_SIGNING_DOMAIN_V1, chain_id, payload_hash),
        expected
    );
}

/// For each real gossip envelope (v1–v4): the payload bytes Keel signs over (op-alloy's SSZ
/// of the envelope, with the beacon root from v3) hash to what the gossip decoder hashed,
/// and a block signed by Keel's signer recovers to the signer's address.
#[test]
fn gossip_envelopes_sign_and_recover() {
    let signer = BlockSigner::new(&B256::repeat_byte(0x5a), 10).unwrap();
    for (version, id) in [
        (1, "p2p-gossip-network-payload-envelope-v1"),
        (2, "p2p-gossip-network-payload-envelope-v2"),
        (3, "p2p-gossip-network-payload-envelope-v3"),
        (4, "p2p-gossip-network-payload-envelope-v4"),
    ] {
        let v = vector(id);
        let data = hex_bytes(&v["data"]);
        let decoded = match version {
            1 => OpNetworkPayloadEnvelope::decode_v1(&data),
            2 => OpNetworkPayloadEnvelope::decode_v2(&data),
            3 => OpNetworkPayloadEnvelope::decode_v3(&data),
            _ => OpNetworkPayloadEnvelope::decode_v4(&data),
        }
        .unwrap();
        assert_eq!(
            decoded.payload.timestamp(),
            v["expected"]["payload_timestamp"].as_u64().unwrap(),
            "{id}"
        );
        let envelope = OpExecutionPayloadEnvelope {
            parent_beacon_block_root: decoded.parent_beacon_block_root,
            execution_payload: decoded.payload.clone(),
        };
        let sig = signer.sign_envelope(&envelope).unwrap();
        assert_eq!(
            recover_signer(&sig, 10, decoded.payload_hash.0).unwrap(),
            signer.address(),
            "{id}"
        );
        // The decoder's hash is keccak256 of the bytes after the 65-byte signature.
        let raw = snap_len_prefix_free(&data);
        assert_eq!(keccak256(&raw[65..]), decoded.payload_hash.0, "{id}");
        let wire = signature_bytes(&sig);
        assert!(wire[64] <= 1);
    }
}

/// Snappy block decompression of the gossip message (op-alloy's decoder did it too; this
/// re-does it to hash the exact wire bytes).
fn snap_len_prefix_free(data: &[u8]) -> Vec<u8> {
    snap::raw::Decoder::new().decompress_vec(data).unwrap()
}
