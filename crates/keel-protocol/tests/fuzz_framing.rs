//! Stable fuzzing of the framing decoders: they must return `Ok` or `Err`, never panic, and
//! stay within their bounds. Seeds are real encodings from `testdata/framing/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use alloy_primitives::{B128, Bytes};
use common::fuzz;
use keel_protocol::{
    blob::{BLOB_SIZE, decode_blob, encode_blob},
    channel::{CHANNEL_BANK_FRAME_OVERHEAD, Channel},
    compression::{CompressionAlgo, compress, decompress, decompress_prefix},
    frame::{Frame, MAX_FRAME_LEN, encode_frames, parse_frames},
};

/// Decompression bound for fuzzing; the zip-bomb guarantee is checked against it.
const FUZZ_MAX_OUTPUT: usize = 1_000_000;

fn hex_field(v: &serde_json::Value) -> Vec<u8> {
    let s = v.as_str().unwrap();
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).unwrap()
}

fn vectors(kind: &str, field: &str) -> Vec<Vec<u8>> {
    let all = common::read_json("framing/batcher_tx_channels_batches.json");
    all["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["kind"] == kind)
        .map(|v| hex_field(&v[field]))
        .collect()
}

fn frame(id: u8, number: u16, data: &[u8], is_last: bool) -> Frame {
    Frame {
        channel_id: B128::repeat_byte(id),
        number,
        data: Bytes::copy_from_slice(data),
        is_last,
    }
}

fn batcher_seeds() -> Vec<Vec<u8>> {
    let mut seeds = vectors("batcher_tx_calldata", "calldata");
    seeds.push(encode_frames(&[
        frame(1, 0, b"abc", false),
        frame(1, 1, b"", true),
        frame(2, 0, b"x", true),
    ]));
    seeds
}

#[test]
fn fuzz_parse_frames() {
    fuzz::run("parse_frames", &batcher_seeds(), 256, |bytes| {
        if let Ok(frames) = parse_frames(bytes) {
            assert!(!frames.is_empty());
            assert!(frames.iter().all(|f| f.data.len() <= MAX_FRAME_LEN));
            // Whatever parses re-encodes to the same bytes: the format has no slack.
            assert_eq!(encode_frames(&frames), bytes);
        }
    });
}

#[test]
fn fuzz_frame_decode() {
    let seeds: Vec<Vec<u8>> = batcher_seeds().iter().map(|s| s[1..].to_vec()).collect();
    fuzz::run("frame_decode", &seeds, 128, |bytes| {
        if let Ok((f, used)) = Frame::decode(bytes) {
            assert!(used <= bytes.len());
            assert_eq!(f.encode(), bytes[..used]);
        }
    });
}

#[test]
fn fuzz_decompress() {
    let mut seeds = vectors("channel_data", "channel_data");
    seeds.push(compress(CompressionAlgo::Zlib, &[0u8; 4096]).unwrap());
    seeds.push(compress(CompressionAlgo::Brotli, &[0u8; 4096]).unwrap());
    // A bomb as a seed, so mutations of it are exercised against the bound.
    seeds.push(compress(CompressionAlgo::Zlib, &vec![0u8; 4 * FUZZ_MAX_OUTPUT]).unwrap());
    fuzz::run("decompress", &seeds, 512, |bytes| {
        for brotli_allowed in [false, true] {
            if let Ok((_, out)) = decompress(bytes, FUZZ_MAX_OUTPUT, brotli_allowed) {
                assert!(out.len() <= FUZZ_MAX_OUTPUT);
            }
            if let Ok(d) = decompress_prefix(bytes, FUZZ_MAX_OUTPUT, brotli_allowed) {
                assert!(d.data.capacity() <= FUZZ_MAX_OUTPUT);
            }
        }
    });
}

#[test]
fn fuzz_decode_blob() {
    let seeds = vec![
        common::read_hex("framing/hildr-blobs/blob1.txt"),
        common::read_hex("framing/hildr-blobs/blob9.txt"),
        encode_blob(&[0xff; 1000]).unwrap().to_vec(),
    ];
    fuzz::run("decode_blob", &seeds, 512, |bytes| {
        // As given (mostly the wrong size) and forced to blob size, so mutations reach the
        // field-element and trailing-data checks.
        let _ = decode_blob(bytes);
        let mut blob = bytes.to_vec();
        blob.resize(BLOB_SIZE, 0);
        if let Ok(data) = decode_blob(&blob) {
            // Decoding is bijective except for the first byte's top two bits, which are
            // masked like op-node does: only the canonical encoding is otherwise accepted.
            // (`assert!` rather than `assert_eq!`, so a failure does not print 128 KiB.)
            blob[0] &= 0b0011_1111;
            let reencoded = encode_blob(&data).unwrap();
            assert!(
                reencoded[..] == blob[..],
                "blob of {} data bytes does not re-encode to itself",
                data.len()
            );
        }
    });
}

#[test]
fn fuzz_channel_add_frame_sequences() {
    // Each 3-byte op: channel (bit 7 of b0), is_last (bit 6), frame number (low 3 bits of b0),
    // data length (b1 % 8), L1 block (b2).
    let seeds = vec![
        vec![0x00, 1, 1, 0x01, 2, 1, 0x42, 3, 2],
        vec![0x43, 0, 0, 0x40, 1, 1, 0x41, 1, 1],
    ];
    fuzz::run("channel_add_frame", &seeds, 96, |bytes| {
        let id = B128::repeat_byte(0);
        let mut ch = Channel::new(id, 5);
        let mut highest = 5;
        for op in bytes.chunks_exact(3) {
            let chan = if op[0] & 0x80 == 0 { 0 } else { 1 };
            let number = u16::from(op[0] & 0x07);
            let data = vec![number as u8; usize::from(op[1] % 8)];
            let l1 = u64::from(op[2]);
            if ch
                .add_frame(frame(chan, number, &data, op[0] & 0x40 != 0), l1)
                .is_ok()
            {
                highest = highest.max(l1);
            }
        }
        assert_eq!(ch.highest_l1_block(), highest);
        let buffered: usize = ch
            .frames()
            .map(|(_, d)| d.len() + CHANNEL_BANK_FRAME_OVERHEAD)
            .sum();
        assert_eq!(ch.size(), buffered);
        if let Some(end) = ch.end_frame_number() {
            assert!(ch.frames().all(|(n, _)| n <= end));
        }
        match ch.data() {
            Some(d) => {
                assert!(ch.is_ready());
                assert_eq!(d.len(), ch.frames().map(|(_, d)| d.len()).sum::<usize>());
            }
            None => assert!(!ch.is_ready()),
        }
    });
}
