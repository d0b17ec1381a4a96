//! Channel decode throughput: how much of the time to read a channel is spent parsing
//! batches, next to the decompression that must happen anyway.
//!
//! The channel is one span batch of 1,000 L2 blocks × 100 transactions, built to look like
//! a real chain's: ERC-20 transfers and ETH sends among a few hundred accounts and a few
//! dozen contracts, realistic gas and fee values, and random (incompressible) signatures.
//! It is compressed once with the protocol's zlib and brotli settings (the batcher's), then:
//!
//! - `decompress`: the bounded decompression alone;
//! - `decode`: decompression plus reading every batch (`read_channel_batches`, what
//!   derivation does with a channel);
//! - `decode+txs`: plus rebuilding every transaction's EIP-2718 bytes from the span batch.
//!
//! Throughput is in bytes of *decompressed* channel data. Run:
//! `cargo bench -p keel-protocol --bench channel_decode`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::{hint::black_box, time::Duration};

use alloy_consensus::{Signed, TxEip1559, TxEnvelope};
use alloy_eips::{eip2718::Encodable2718, eip2930::AccessList};
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keel_protocol::{
    batch::{Batch, SingleBatch, SpanBatch, read_channel_batches},
    compression::{CompressionAlgo, compress, decompress, max_rlp_bytes_per_channel},
};

const CHAIN_ID: u64 = 10;
const GENESIS: u64 = 1_686_068_903;
const BLOCK_TIME: u64 = 2;
const BLOCKS: u64 = 1_000;
const TXS_PER_BLOCK: u64 = 100;

/// A small deterministic generator (PCG-style LCG): the bench must measure the same bytes
/// on every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 ^ (self.0 >> 29)
    }
    fn pick(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn address(kind: u8, i: u64) -> Address {
    let mut a = [0u8; 20];
    a[0] = kind;
    a[12..].copy_from_slice(&(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_be_bytes());
    Address::from(a)
}

fn realistic_tx(rng: &mut Lcg, nonce: u64) -> Bytes {
    let erc20 = rng.pick(10) < 7;
    let (to, value, input, gas_limit) = if erc20 {
        let mut input = vec![0xa9, 0x05, 0x9c, 0xbb]; // transfer(address,uint256)
        input.extend([0u8; 12]);
        input.extend(address(0xaa, rng.pick(400)).as_slice());
        let amount =
            U256::from(rng.pick(1_000_000)) * U256::from(10u64).pow(U256::from(12 + rng.pick(6)));
        input.extend(amount.to_be_bytes::<32>());
        (
            address(0xcc, rng.pick(40)),
            U256::ZERO,
            input,
            65_000 + rng.pick(4) * 5_000,
        )
    } else {
        let value = U256::from(rng.pick(10_000)) * U256::from(10u64).pow(U256::from(14));
        (address(0xaa, rng.pick(400)), value, Vec::new(), 21_000)
    };
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit,
        max_fee_per_gas: 1_000_000 + u128::from(rng.pick(50_000)),
        max_priority_fee_per_gas: 1_000 * u128::from(1 + rng.pick(3)),
        to: TxKind::Call(to),
        value,
        access_list: AccessList::default(),
        input: input.into(),
    };
    let r = U256::from(rng.next()) << 192
        | U256::from(rng.next()) << 128
        | U256::from(rng.next()) << 64
        | U256::from(rng.next());
    let s = U256::from(rng.next()) << 128 | U256::from(rng.next());
    let sig = Signature::new(r, s, rng.next() & 1 == 1);
    TxEnvelope::Eip1559(Signed::new_unhashed(tx, sig))
        .encoded_2718()
        .into()
}

/// The decompressed channel: one span batch as a channel item (RLP string of type ++ body).
fn realistic_channel() -> Vec<u8> {
    let mut rng = Lcg(0x6b65_656c);
    let blocks: Vec<SingleBatch> = (0..BLOCKS)
        .map(|i| SingleBatch {
            parent_hash: if i == 0 {
                B256::repeat_byte(0xab)
            } else {
                B256::ZERO
            },
            epoch_num: 19_000_000 + i / 6,
            epoch_hash: B256::from(U256::from(19_000_000 + i / 6)),
            timestamp: GENESIS + i * BLOCK_TIME,
            transactions: (0..TXS_PER_BLOCK)
                .map(|j| realistic_tx(&mut rng, i * TXS_PER_BLOCK + j))
                .collect(),
        })
        .collect();
    let span = SpanBatch::from_singular_batches(&blocks, GENESIS, BLOCK_TIME, CHAIN_ID).unwrap();
    let raw = span.to_raw(GENESIS, CHAIN_ID).unwrap();
    let mut channel = Vec::new();
    Batch::Span(raw).encode_channel_item(&mut channel);
    channel
}

fn bench_algo(c: &mut Criterion, algo: CompressionAlgo, name: &str, channel: &[u8]) {
    let limit = max_rlp_bytes_per_channel(true);
    let compressed = compress(algo, channel).unwrap();
    eprintln!(
        "{name}: {} bytes decompressed, {} compressed (ratio {:.2})",
        channel.len(),
        compressed.len(),
        channel.len() as f64 / compressed.len() as f64
    );
    // Pair check: the bench measures a channel that really decodes to the batch.
    let (_, data) = decompress(&compressed, limit, true).unwrap();
    assert_eq!(data, channel);
    let (batches, err) = read_channel_batches(&data, limit);
    assert!(err.is_none() && batches.len() == 1);

    let mut group = c.benchmark_group(format!("channel_{name}"));
    group.throughput(Throughput::Bytes(channel.len() as u64));
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(8))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("decompress", |b| {
        b.iter(|| decompress(black_box(&compressed), limit, true).unwrap())
    });
    group.bench_function("decode", |b| {
        b.iter(|| {
            let (_, data) = decompress(black_box(&compressed), limit, true).unwrap();
            let (batches, err) = read_channel_batches(&data, limit);
            assert!(err.is_none());
            batches
        })
    });
    group.bench_function("decode+txs", |b| {
        b.iter(|| {
            let (_, data) = decompress(black_box(&compressed), limit, true).unwrap();
            let (batches, _) = read_channel_batches(&data, limit);
            match &batches[0] {
                Batch::Span(span) => span.transactions(CHAIN_ID).unwrap(),
                Batch::Single(_) => unreachable!(),
            }
        })
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    let channel = realistic_channel();
    bench_algo(c, CompressionAlgo::Zlib, "zlib", &channel);
    bench_algo(c, CompressionAlgo::Brotli, "brotli", &channel);
}

criterion_group!(channel_decode, benches);
criterion_main!(channel_decode);
