#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Batch decoding against real data from other clients (see `testdata/batches/README.md`).

mod common;

use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::{Transaction, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B256, Bytes, Signature, U256, hex};
use keel_protocol::batch::{Batch, RawSpanBatch, SpanBatch, read_channel_batches};
use keel_protocol::blob::decode_blob;
use keel_protocol::channel::assemble_channels;
use keel_protocol::compression::{
    CompressionAlgo, decompress, decompress_body, max_rlp_bytes_per_channel,
};
use keel_protocol::frame::{Frame, parse_frames};
use serde_json::Value;

const OP_SEPOLIA_CHAIN_ID: u64 = 11_155_420;
const UNICHAIN_CHAIN_ID: u64 = 130;
const LIMIT: usize = 100_000_000;

fn hildr(id: &str) -> Value {
    let json = common::read_json("framing/batcher_tx_channels_batches.json");
    json["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap_or_else(|| panic!("{id}"))
        .clone()
}

fn hex_field(v: &Value, key: &str) -> Vec<u8> {
    hex::decode(v[key].as_str().unwrap()).unwrap()
}

fn channel_batches(channel: &[u8]) -> (Vec<Batch>, Vec<u8>) {
    let (_, out) = decompress(channel, LIMIT, true).unwrap();
    let (batches, err) = read_channel_batches(&out, LIMIT);
    assert!(err.is_none(), "{err:?}");
    (batches, out)
}

/// Every transaction is a well-formed EIP-2718 tx whose signer recovers.
fn assert_txs_recover(txs: &[Bytes], chain_id: u64) -> Vec<Address> {
    txs.iter()
        .map(|raw| {
            let env = TxEnvelope::decode_2718_exact(raw).unwrap();
            if let Some(id) = env.chain_id() {
                assert_eq!(id, chain_id);
            }
            env.recover_signer().unwrap()
        })
        .collect()
}

fn channel_items_reencode(batches: &[Batch], decompressed: &[u8]) {
    let mut out = Vec::new();
    for b in batches {
        b.encode_channel_item(&mut out);
    }
    assert_eq!(
        out, decompressed,
        "re-encoding every batch gives back the whole channel"
    );
}

#[test]
fn hildr_zlib_channel_has_six_singular_batches() {
    let v = hildr("hildr-channel-zlib-6-singular-batches");
    let (batches, out) = channel_batches(&hex_field(&v, "channel_data"));
    assert_eq!(batches.len(), 6);
    let parent: B256 = v["expected"]["batch0_parent_hash"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let Batch::Single(first) = &batches[0] else {
        panic!("singular")
    };
    assert_eq!(first.parent_hash, parent);
    assert_eq!(
        parent,
        "0x9a6d7cf81309515caed98e08edffe9a467a71a707910474b5fde43e2a6fc6454"
            .parse::<B256>()
            .unwrap()
    );
    let mut last_ts = 0;
    for b in &batches {
        let Batch::Single(s) = b else {
            panic!("all singular")
        };
        assert!(s.timestamp > last_ts, "timestamps increase");
        last_ts = s.timestamp;
    }
    channel_items_reencode(&batches, &out);
}

#[test]
fn hildr_span_batch_has_nine_txs_on_op_sepolia() {
    let v = hildr("hildr-channel-zlib-1-span-batch");
    let (batches, out) = channel_batches(&hex_field(&v, "channel_data"));
    assert_eq!(batches.len(), 1);
    let Batch::Span(span) = &batches[0] else {
        panic!("span")
    };
    assert_eq!(span.total_txs(), 9);
    assert_eq!(span.block_tx_counts().iter().sum::<u64>(), 9);
    let per_block = span.transactions(OP_SEPOLIA_CHAIN_ID).unwrap();
    assert_eq!(per_block.len() as u64, span.block_count());
    let all: Vec<Bytes> = per_block.into_iter().flatten().collect();
    assert_eq!(all.len(), 9);
    assert_txs_recover(&all, OP_SEPOLIA_CHAIN_ID);
    // Raw → derived → raw is byte-identical.
    let derived = span
        .to_span_batch(1_691_802_540, 2, OP_SEPOLIA_CHAIN_ID)
        .unwrap();
    assert_eq!(
        derived.to_raw(1_691_802_540, OP_SEPOLIA_CHAIN_ID).unwrap(),
        *span
    );
    channel_items_reencode(&batches, &out);
}

#[test]
fn hildr_brotli_and_zlib_channels_hold_one_batch_each() {
    let json = common::read_json("framing/batcher_tx_channels_batches.json");
    let mut seen = 0;
    for v in json["vectors"].as_array().unwrap() {
        let id = v["id"].as_str().unwrap();
        if v["kind"] != "channel_data" || id.contains("6-singular") || id.contains("1-span") {
            continue;
        }
        assert_eq!(v["expected"]["batch_count"], 1, "{id}");
        let (batches, out) = channel_batches(&hex_field(v, "channel_data"));
        assert_eq!(batches.len(), 1, "{id}");
        channel_items_reencode(&batches, &out);
        seen += 1;
    }
    assert_eq!(seen, 4, "three brotli and one zlib channel");
}

#[test]
fn kona_batch_hex_is_one_span_batch_consuming_the_buffer() {
    let channel = common::read_hex("framing/kona/batch.hex");
    for limit in [10_000_000, 100_000_000] {
        let (_, out) = decompress(&channel, limit, false).unwrap();
        let (batches, err) = read_channel_batches(&out, limit);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(batches.len(), 1);
        let Batch::Span(span) = &batches[0] else {
            panic!("span")
        };
        assert!(span.block_count() >= 2);
        channel_items_reencode(&batches, &out);
        assert_eq!(span.epoch_numbers().len() as u64, span.block_count());
    }
}

#[test]
fn kona_raw_span_batch_round_trips_byte_for_byte() {
    let raw = common::read_bytes("batches/kona/raw_span_batch.bin");
    let batch = RawSpanBatch::decode(&raw).unwrap();
    assert_eq!(batch.encode(), raw);
    assert_eq!(batch.encoded_len(), raw.len());
    // Through the typed entry point too.
    let mut typed = vec![1u8];
    typed.extend_from_slice(&raw);
    assert_eq!(Batch::decode(&typed).unwrap(), Batch::Span(batch.clone()));
    assert_eq!(Batch::Span(batch.clone()).encode(), typed);
}

/// Offset of the `block_count` varint: after two varints and two 20-byte checks.
fn block_count_offset(raw: &[u8]) -> usize {
    let mut i = 0;
    for _ in 0..2 {
        while raw[i] & 0x80 != 0 {
            i += 1;
        }
        i += 1;
    }
    i + 40
}

#[test]
fn kona_raw_span_batch_non_minimal_block_count() {
    let raw = common::read_bytes("batches/kona/raw_span_batch.bin");
    let batch = RawSpanBatch::decode(&raw).unwrap();
    let at = block_count_offset(&raw);
    let mut end = at;
    while raw[end] & 0x80 != 0 {
        end += 1;
    }
    // Re-encode the same value with one redundant continuation byte: last byte | 0x80, then 0x00.
    let mut padded = raw[..end].to_vec();
    padded.push(raw[end] | 0x80);
    padded.push(0x00);
    padded.extend_from_slice(&raw[end + 1..]);
    let again = RawSpanBatch::decode(&padded).unwrap();
    assert_eq!(again, batch);
    assert_eq!(again.encode(), raw, "re-encoding is minimal");
    assert_eq!(again.block_count(), batch.block_count());
}

#[test]
fn kona_frames_to_batch_example() {
    let json = common::read_json("framing/kona/expectations.json");
    let ex = &json["frames_to_batch_example"];
    let frames: Vec<Frame> = ex["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            Frame::decode(&hex::decode(f.as_str().unwrap()).unwrap())
                .unwrap()
                .0
        })
        .collect();
    let channels = assemble_channels(&frames);
    assert_eq!(channels.len(), 1);
    let data = channels[0].data().unwrap();
    // kona's example carries a bare brotli stream holding `type ++ content` (see the framing
    // README): decode that directly.
    let (out, _) = decompress_body(CompressionAlgo::Brotli, &data, LIMIT);
    let Batch::Single(b) = Batch::decode(&out).unwrap() else {
        panic!("singular")
    };
    let e = &ex["expected"]["batch"];
    assert_eq!(b.parent_hash, B256::ZERO);
    assert_eq!(b.epoch_num, e["epoch_num"].as_u64().unwrap());
    assert_eq!(b.epoch_hash, B256::ZERO);
    assert_eq!(b.timestamp, 1);
    assert_eq!(b.transactions.len(), 2);
    for (raw, want) in b
        .transactions
        .iter()
        .zip(e["transactions"].as_array().unwrap())
    {
        let TxEnvelope::Eip1559(s) = TxEnvelope::decode_2718_exact(raw).unwrap() else {
            panic!("1559")
        };
        let tx = s.tx();
        assert_eq!(tx.chain_id, 10);
        assert_eq!(tx.nonce, 2);
        assert_eq!(tx.max_fee_per_gas, 3);
        assert_eq!(tx.max_priority_fee_per_gas, 4);
        assert_eq!(tx.gas_limit, 5);
        assert_eq!(
            tx.to.to().copied(),
            Some(want["to"].as_str().unwrap().parse().unwrap())
        );
        assert_eq!(tx.value, U256::from(7));
        assert_eq!(tx.input.as_ref(), &[8u8]);
        assert!(tx.access_list.is_empty());
        assert_eq!(*s.signature(), Signature::test_signature());
    }
    // The same batch, put into a span batch and back, keeps its transactions.
    let span = SpanBatch::from_singular_batches(std::slice::from_ref(&b), 0, 2, 10).unwrap();
    let raw = span.to_raw(0, 10).unwrap();
    let back = RawSpanBatch::decode(&raw.encode())
        .unwrap()
        .to_span_batch(0, 2, 10)
        .unwrap();
    assert_eq!(back.blocks[0].transactions, b.transactions);
}

#[test]
fn unichain_blob_span_batch() {
    let fixture = common::read_json("framing/unichain-blobs/unichain_blobs_fixture.json");
    let mut frames = Vec::new();
    for h in fixture["blob_versioned_hashes_in_tx_order"]
        .as_array()
        .unwrap()
    {
        let file = fixture["blob_files"][h.as_str().unwrap()].as_str().unwrap();
        let blob = common::read_bytes(&format!("framing/unichain-blobs/{file}"));
        frames.extend(parse_frames(&decode_blob(&blob).unwrap()).unwrap());
    }
    let channels = assemble_channels(&frames);
    let data = channels[0].data().unwrap();
    let (_, out) = decompress(&data, max_rlp_bytes_per_channel(true), true).unwrap();
    let (batches, err) = read_channel_batches(&out, max_rlp_bytes_per_channel(true));
    assert!(err.is_none(), "{err:?}");
    let Batch::Span(span) = &batches[0] else {
        panic!("span")
    };
    let claims = &fixture["source_claims"];
    assert_eq!(
        span.rel_timestamp(),
        claims["span_batch_rel_timestamp"].as_u64().unwrap()
    );

    let l1: Vec<(u64, B256, u64)> = fixture["l1_epoch_blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["number"].as_u64().unwrap(),
                b["hash"].as_str().unwrap().parse().unwrap(),
                b["timestamp"].as_u64().unwrap(),
            )
        })
        .collect();
    let range = claims["span_batch_epochs_range"].as_array().unwrap();
    let (lo, hi) = (range[0].as_u64().unwrap(), range[1].as_u64().unwrap());
    let epochs = span.epoch_numbers();
    assert_eq!((epochs[0], *epochs.last().unwrap()), (lo, hi));
    assert_eq!(span.l1_origin_num(), hi);
    let last_hash = l1.iter().find(|(n, _, _)| *n == hi).unwrap().1;
    assert_eq!(span.l1_origin_check().as_slice(), &last_hash[..20]);

    let genesis = fixture["l2_genesis_time"].as_u64().unwrap();
    let block_time = fixture["l2_block_time"].as_u64().unwrap();
    let derived = span
        .to_span_batch(genesis, block_time, UNICHAIN_CHAIN_ID)
        .unwrap();
    assert_eq!(derived.to_raw(genesis, UNICHAIN_CHAIN_ID).unwrap(), *span);
    for b in &derived.blocks {
        let origin_time = l1.iter().find(|(n, _, _)| *n == b.epoch_num).unwrap().2;
        assert!(
            b.timestamp >= origin_time,
            "an L2 block is never older than its L1 origin"
        );
        assert_txs_recover(&b.transactions, UNICHAIN_CHAIN_ID);
    }
    let singles = derived
        .to_singular_batches(
            |n| l1.iter().find(|(m, _, _)| *m == n).map(|x| x.1),
            B256::repeat_byte(9),
        )
        .unwrap();
    assert_eq!(singles.len() as u64, span.block_count());
    assert_eq!(singles[0].parent_hash, B256::repeat_byte(9));
    // Singular batches → span batch reproduces the checks and blocks (parent_check is from the
    // made-up parent hash here).
    let mut rebuilt =
        SpanBatch::from_singular_batches(&singles, genesis, block_time, UNICHAIN_CHAIN_ID).unwrap();
    assert_eq!(rebuilt.l1_origin_check, span.l1_origin_check());
    assert_eq!(rebuilt.blocks, derived.blocks);
    rebuilt.parent_check = span.parent_check();
    rebuilt.first_origin_bit = derived.first_origin_bit;
    assert_eq!(
        rebuilt.to_raw(genesis, UNICHAIN_CHAIN_ID).unwrap().encode(),
        span.encode()
    );
}
