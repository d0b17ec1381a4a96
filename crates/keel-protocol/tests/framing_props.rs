//! Round-trip property tests for frames, channels, compression and the blob encoding.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use alloy_primitives::{B128, Bytes};
use keel_protocol::{
    blob::{MAX_BLOB_DATA_SIZE, decode_blob, encode_blob},
    channel::{CHANNEL_BANK_FRAME_OVERHEAD, Channel, assemble_channels},
    compression::{CompressionAlgo, Compressor, compress, decompress},
    frame::{Frame, encode_frames, parse_frames},
};
use proptest::prelude::*;

fn arb_frame() -> impl Strategy<Value = Frame> {
    (
        any::<[u8; 16]>(),
        any::<u16>(),
        proptest::collection::vec(any::<u8>(), 0..600),
        any::<bool>(),
    )
        .prop_map(|(id, number, data, is_last)| Frame {
            channel_id: B128::from(id),
            number,
            data: Bytes::from(data),
            is_last,
        })
}

/// Deterministic filler so large inputs need no per-byte shrinking.
fn filler(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Mix in runs so compressors have something to find.
            if (i / 64) % 3 == 0 {
                (i / 64) as u8
            } else {
                x as u8
            }
        })
        .collect()
}

/// Splits `data` into `n` frames of channel `id` (sizes from `cuts`).
fn split(id: B128, data: &[u8], cuts: &[usize]) -> Vec<Frame> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
    points.sort_unstable();
    let mut bounds = vec![0];
    bounds.extend(points);
    bounds.push(data.len());
    let n = bounds.len() - 1;
    (0..n)
        .map(|i| Frame {
            channel_id: id,
            number: i as u16,
            data: Bytes::copy_from_slice(&data[bounds[i]..bounds[i + 1]]),
            is_last: i + 1 == n,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn frame_round_trip(frame in arb_frame(), trailing in proptest::collection::vec(any::<u8>(), 0..8)) {
        let mut enc = frame.encode();
        prop_assert_eq!(enc.len(), frame.encoded_len());
        enc.extend_from_slice(&trailing);
        let (decoded, used) = Frame::decode(&enc).unwrap();
        prop_assert_eq!(used, frame.encoded_len());
        prop_assert_eq!(decoded, frame);
    }

    #[test]
    fn batcher_payload_round_trip(frames in proptest::collection::vec(arb_frame(), 1..6)) {
        prop_assert_eq!(parse_frames(&encode_frames(&frames)).unwrap(), frames);
    }

    #[test]
    fn frames_in_any_order_assemble_the_same_channel(
        data in proptest::collection::vec(any::<u8>(), 0..3000),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
        dup in proptest::collection::vec(any::<prop::sample::Index>(), 0..4),
        order_seed in any::<u64>(),
    ) {
        let id = B128::repeat_byte(0x5a);
        let frames = split(id, &data, &cuts);
        // Deterministic shuffle from the seed, plus some duplicates that must be ignored.
        let mut order: Vec<Frame> = frames.clone();
        for d in &dup {
            order.push(d.get(&frames).clone());
        }
        let mut s = order_seed | 1;
        for i in (1..order.len()).rev() {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let mut ch = Channel::new(id, 7);
        for (i, f) in order.iter().enumerate() {
            let _ = ch.add_frame(f.clone(), 7 + i as u64);
        }
        prop_assert!(ch.is_ready());
        prop_assert_eq!(ch.data().unwrap(), data.clone());
        prop_assert_eq!(ch.size(), data.len() + frames.len() * CHANNEL_BANK_FRAME_OVERHEAD);
        let assembled = assemble_channels(&order);
        prop_assert_eq!(assembled.len(), 1);
        prop_assert_eq!(assembled[0].data().unwrap(), data);
    }

    #[test]
    fn compression_round_trip(len in 0usize..40_000, seed in any::<u64>(), brotli in any::<bool>()) {
        let algo = if brotli { CompressionAlgo::Brotli } else { CompressionAlgo::Zlib };
        let data = filler(len, seed);
        let c = compress(algo, &data).unwrap();
        prop_assert_eq!(decompress(&c, len, true).unwrap(), (algo, data));
    }

    #[test]
    fn streaming_compressor_round_trip(
        chunks in proptest::collection::vec((0usize..3000, any::<u64>(), any::<bool>()), 0..8),
        brotli in any::<bool>(),
    ) {
        let algo = if brotli { CompressionAlgo::Brotli } else { CompressionAlgo::Zlib };
        let mut c = Compressor::new(algo);
        let mut all = Vec::new();
        let mut last_len = c.len();
        for (len, seed, flush) in chunks {
            let part = filler(len, seed);
            c.write(&part).unwrap();
            if flush {
                c.flush().unwrap();
            }
            prop_assert!(c.len() >= last_len, "len never shrinks");
            last_len = c.len();
            all.extend_from_slice(&part);
        }
        prop_assert_eq!(c.input_len(), all.len());
        let out = c.finish().unwrap();
        prop_assert!(out.len() >= last_len);
        prop_assert_eq!(decompress(&out, all.len(), true).unwrap(), (algo, all));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn blob_round_trip(
        len in prop_oneof![0usize..300, (MAX_BLOB_DATA_SIZE - 300)..=MAX_BLOB_DATA_SIZE, 0..=MAX_BLOB_DATA_SIZE],
        seed in any::<u64>(),
    ) {
        let data = filler(len, seed);
        let blob = encode_blob(&data).unwrap();
        prop_assert!(blob.chunks(32).all(|fe| fe[0] & 0xc0 == 0), "every field element below 2^254");
        prop_assert_eq!(decode_blob(&blob[..]).unwrap(), data);
    }
}
