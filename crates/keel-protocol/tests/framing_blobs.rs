//! Blob vectors: the OP blob encoding (hildr, Unichain mainnet) and KZG commitments (Unichain,
//! Goerli beacon sidecars). Sources and assertions: `testdata/framing/README.md`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use alloy_primitives::{B256, FixedBytes};
use keel_protocol::{
    blob::{
        BLOB_SIZE, BlobError, decode_blob, encode_blob, kzg_commitment, verify_blob,
        verify_blob_kzg_proof, versioned_hash,
    },
    channel::assemble_channels,
    compression::{CompressionAlgo, decompress, max_rlp_bytes_per_channel},
    frame::{Frame, parse_frames},
};
use serde_json::Value;

fn hex_str(s: &str) -> Vec<u8> {
    let s = s.trim();
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).unwrap()
}

fn as_blob(bytes: &[u8]) -> &[u8; BLOB_SIZE] {
    bytes.try_into().unwrap()
}

#[test]
fn hildr_blob_vectors() {
    let vectors = common::read_json("framing/blob_decode_vectors.json");
    let vectors = vectors["vectors"].as_array().unwrap();
    assert_eq!(vectors.len(), 9);
    for v in vectors {
        let file = v["blob_file"]
            .as_str()
            .unwrap()
            .replace("blobs/", "hildr-blobs/");
        let blob = common::read_hex(&format!("framing/{file}"));
        assert_eq!(blob.len(), BLOB_SIZE, "{file}");
        let expected = if let Some(s) = v["expected_decoded_utf8"].as_str() {
            s.as_bytes().to_vec()
        } else if let Some(h) = v["expected_decoded_hex"].as_str() {
            hex_str(h)
        } else {
            let f = v["expected_decoded_hex_file"]
                .as_str()
                .unwrap()
                .replace("blobs/", "hildr-blobs/");
            common::read_hex(&format!("framing/{f}"))
        };
        let decoded = decode_blob(&blob).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(decoded, expected, "{file}");
        // The encoding is bijective: re-encoding gives the same blob.
        assert_eq!(&encode_blob(&decoded).unwrap()[..], &blob[..], "{file}");
    }
}

#[test]
fn hildr_sepolia_blob_holds_frames() {
    let blob = common::read_hex("framing/hildr-blobs/blob9.txt");
    let data = decode_blob(&blob).unwrap();
    assert_eq!(data[0], 0x00, "derivation version");
    let frames = parse_frames(&data).unwrap();
    assert!(!frames.is_empty());
}

fn unichain() -> (Value, Vec<(B256, Vec<u8>)>) {
    let fixture = common::read_json("framing/unichain-blobs/unichain_blobs_fixture.json");
    let blobs = fixture["blob_versioned_hashes_in_tx_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let hash: B256 = h.as_str().unwrap().parse().unwrap();
            let file = fixture["blob_files"][h.as_str().unwrap()].as_str().unwrap();
            assert!(file.contains(&hash.to_string()), "hash is in the file name");
            (
                hash,
                common::read_bytes(&format!("framing/unichain-blobs/{file}")),
            )
        })
        .collect();
    (fixture, blobs)
}

#[test]
fn unichain_blobs_decode_into_a_complete_channel() {
    let (fixture, blobs) = unichain();
    assert_eq!(blobs.len(), 3);
    let mut frames: Vec<Frame> = Vec::new();
    for (hash, blob) in &blobs {
        let data = decode_blob(blob).unwrap_or_else(|e| panic!("{hash}: {e}"));
        frames.extend(parse_frames(&data).unwrap_or_else(|e| panic!("{hash}: {e}")));
    }
    let channels = assemble_channels(&frames);
    assert_eq!(
        (frames.len(), channels.len()),
        (3, 1),
        "one frame per blob, one channel"
    );
    let ready: Vec<_> = channels.iter().filter(|c| c.is_ready()).collect();
    assert!(!ready.is_empty(), "at least one complete channel");
    for ch in ready {
        let data = ch.data().unwrap();
        let (algo, out) = decompress(&data, max_rlp_bytes_per_channel(true), true).unwrap();
        assert_eq!(algo, CompressionAlgo::Brotli);
        assert_eq!(ch.frame_count(), 3);
        // First item: an RLP string holding a span batch (type 1).
        let mut rest = out.as_slice();
        let h = alloy_rlp::Header::decode(&mut rest).unwrap();
        assert!(!h.list);
        assert_eq!(rest[0], 0x01, "span batch");
        // The span batch prefix starts with uvarint rel_timestamp; the source states 36637400.
        let mut rel_timestamp = 0u64;
        for (i, b) in rest[1..].iter().enumerate().take(10) {
            rel_timestamp |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                break;
            }
        }
        assert_eq!(
            rel_timestamp,
            fixture["source_claims"]["span_batch_rel_timestamp"]
                .as_u64()
                .unwrap()
        );
    }
}

#[test]
fn unichain_blobs_match_their_versioned_hashes() {
    let (_, blobs) = unichain();
    for (hash, blob) in &blobs {
        let blob = as_blob(blob);
        verify_blob(blob, *hash).unwrap();
        let c = kzg_commitment(blob).unwrap();
        assert_eq!(versioned_hash(&c.0), *hash);
    }
    // A blob checked against another blob's hash is rejected.
    let err = verify_blob(as_blob(&blobs[0].1), blobs[1].0).unwrap_err();
    assert!(
        matches!(err, BlobError::HashMismatch { expected, computed } if expected == blobs[1].0 && computed == blobs[0].0)
    );
}

#[test]
fn goerli_beacon_sidecars_commitments() {
    let json =
        common::read_json("framing/beacon-api/eth_v1_beacon_blob_sidecars_7422094_goerli.json");
    let sidecars = json["data"].as_array().unwrap();
    assert_eq!(sidecars.len(), 5);
    for (i, sc) in sidecars.iter().enumerate() {
        assert_eq!(sc["index"].as_str().unwrap(), i.to_string());
        let blob = hex_str(sc["blob"].as_str().unwrap());
        let blob = as_blob(&blob);
        let expected: FixedBytes<48> = sc["kzg_commitment"].as_str().unwrap().parse().unwrap();
        let proof: FixedBytes<48> = sc["kzg_proof"].as_str().unwrap().parse().unwrap();
        assert_eq!(kzg_commitment(blob).unwrap(), expected, "sidecar {i}");
        assert!(
            verify_blob_kzg_proof(blob, &expected.0, &proof.0).unwrap(),
            "sidecar {i}"
        );
        verify_blob(blob, versioned_hash(&expected.0)).unwrap();
    }
    // The proof of sidecar 0 does not prove sidecar 1's blob.
    let blob1 = hex_str(sidecars[1]["blob"].as_str().unwrap());
    let c0: FixedBytes<48> = sidecars[0]["kzg_commitment"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let p0: FixedBytes<48> = sidecars[0]["kzg_proof"].as_str().unwrap().parse().unwrap();
    assert!(!verify_blob_kzg_proof(as_blob(&blob1), &c0.0, &p0.0).unwrap());
}
