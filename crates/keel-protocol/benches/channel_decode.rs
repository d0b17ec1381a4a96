//! Batcher data to channel bytes: frame parsing, blob decoding and bounded decompression on
//! real data from `testdata/framing/`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use keel_protocol::{
    blob::decode_blob,
    channel::assemble_channels,
    compression::{decompress, max_rlp_bytes_per_channel},
    frame::parse_frames,
};

fn testdata(rel: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/framing")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn unichain_blobs() -> Vec<Vec<u8>> {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/framing/unichain-blobs");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    names.sort();
    names.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

fn benches(c: &mut Criterion) {
    let batch_hex = String::from_utf8(testdata("kona/batch.hex")).unwrap();
    let zlib_channel = hex::decode(batch_hex.trim()).unwrap();
    c.bench_function("decompress zlib kona batch.hex", |b| {
        b.iter(|| {
            decompress(
                black_box(&zlib_channel),
                max_rlp_bytes_per_channel(true),
                true,
            )
            .unwrap()
        })
    });

    let blobs = unichain_blobs();
    c.bench_function("decode_blob unichain", |b| {
        b.iter(|| decode_blob(black_box(&blobs[0])).unwrap())
    });

    c.bench_function("unichain 3 blobs -> channel -> brotli", |b| {
        b.iter(|| {
            let frames: Vec<_> = blobs
                .iter()
                .flat_map(|blob| parse_frames(&decode_blob(blob).unwrap()).unwrap())
                .collect();
            let data = assemble_channels(&frames)[0].data().unwrap();
            decompress(&data, max_rlp_bytes_per_channel(true), true).unwrap()
        })
    });
}

criterion_group!(channel_decode, benches);
criterion_main!(channel_decode);
