//! Real batcher data from other clients: frames, channels and channel decompression.
//! Sources and assertions: `testdata/framing/README.md`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use alloy_consensus::{Transaction, TxEnvelope, transaction::SignerRecoverable};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B128, address, b128};
use keel_protocol::{
    channel::{Channel, assemble_channels},
    compression::{
        CHANNEL_VERSION_BROTLI, CompressionAlgo, CompressionError, StreamEnd, decompress,
        decompress_body, decompress_prefix, max_rlp_bytes_per_channel,
    },
    frame::{DERIVATION_VERSION_0, Frame, encode_frames, parse_frames},
};
use serde_json::Value;

fn hex_field(v: &Value) -> Vec<u8> {
    let s = v.as_str().unwrap();
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).unwrap()
}

fn vector(id: &str) -> Value {
    let all = common::read_json("framing/batcher_tx_channels_batches.json");
    all["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["id"] == id)
        .unwrap()
        .clone()
}

/// Splits decompressed channel data into its top-level RLP strings (one per batch), checking
/// the whole buffer is consumed. Only framing-level structure: batch contents are not decoded.
fn rlp_strings(mut data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let h = alloy_rlp::Header::decode(&mut data).unwrap();
        assert!(!h.list, "channel items are RLP byte strings");
        out.push(data[..h.payload_length].to_vec());
        data = &data[h.payload_length..];
    }
    out
}

#[test]
fn hildr_calldata_single_frame() {
    let v = vector("hildr-batcher-tx-calldata-single-frame");
    let calldata = hex_field(&v["calldata"]);
    assert_eq!(calldata[0], DERIVATION_VERSION_0);
    let frames = parse_frames(&calldata).unwrap();
    assert_eq!(frames.len(), 1);
    let f = &frames[0];
    assert_eq!(f.channel_id, b128!("b3ec7df691dc58384222fbdc05891b08"));
    assert_eq!(
        u128::from_be_bytes(f.channel_id.0).to_string(),
        v["expected"]["frame0"]["channel_id_decimal"]
            .as_str()
            .unwrap()
    );
    assert_eq!(f.number, 0);
    assert_eq!(f.data.len(), 3028);
    assert!(f.is_last);
    assert_eq!(&f.data[..], &calldata[23..calldata.len() - 1]);
    assert_eq!(encode_frames(&frames), calldata);

    // The frame is the whole `hildr-channel-zlib-6-singular-batches` channel.
    let channel = hex_field(&vector("hildr-channel-zlib-6-singular-batches")["channel_data"]);
    assert_eq!(&f.data[..], &channel[..]);
    let chans = assemble_channels(&frames);
    assert_eq!(chans.len(), 1);
    assert_eq!(chans[0].data().unwrap(), channel);
}

#[test]
fn hildr_zlib_channel_six_singular_batches() {
    let channel = hex_field(&vector("hildr-channel-zlib-6-singular-batches")["channel_data"]);
    let (algo, data) = decompress(&channel, max_rlp_bytes_per_channel(false), false).unwrap();
    assert_eq!(algo, CompressionAlgo::Zlib);
    let items = rlp_strings(&data);
    assert_eq!(items.len(), 6);
    assert!(items.iter().all(|b| b[0] == 0x00), "all singular (type 0)");
}

#[test]
fn magi_calldata_carries_the_hildr_span_channel() {
    let calldata = hex_field(&vector("magi-batcher-tx-span-batch-opsepolia")["calldata"]);
    let frames = parse_frames(&calldata).unwrap();
    assert_eq!(frames.len(), 1);
    assert_eq!(
        frames[0].channel_id,
        b128!("656531d7fca1ad32740ea3adca85922a")
    );
    assert_eq!(
        (frames[0].number, frames[0].data.len(), frames[0].is_last),
        (0, 1500, true)
    );
    let channel = hex_field(&vector("hildr-channel-zlib-1-span-batch")["channel_data"]);
    assert_eq!(&frames[0].data[..], &channel[..]);
    // The zlib stream is never terminated (no final deflate block): op-node reads the batch
    // lazily before hitting the end, so `decompress` hands on what was produced.
    let prefix = decompress_prefix(&channel, max_rlp_bytes_per_channel(false), false).unwrap();
    assert!(
        matches!(prefix.end, StreamEnd::Corrupt(_)),
        "{:?}",
        prefix.end
    );
    let (algo, data) = decompress(&channel, max_rlp_bytes_per_channel(false), false).unwrap();
    assert_eq!(algo, CompressionAlgo::Zlib);
    assert_eq!(data, prefix.data);
    let items = rlp_strings(&data);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0][0], 0x01, "span batch");
}

#[test]
fn hildr_brotli_and_zlib_channels_decompress_to_one_batch() {
    for id in [
        "hildr-channel-brotli-a",
        "hildr-channel-brotli-b",
        "hildr-channel-brotli-c",
    ] {
        let channel = hex_field(&vector(id)["channel_data"]);
        assert!(matches!(
            decompress(&channel, max_rlp_bytes_per_channel(false), false),
            Err(CompressionError::BrotliNotActive)
        ));
        let (algo, data) = decompress(&channel, max_rlp_bytes_per_channel(true), true).unwrap();
        assert_eq!(algo, CompressionAlgo::Brotli, "{id}");
        assert_eq!(rlp_strings(&data).len(), 1, "{id}");
    }
    let channel = hex_field(&vector("hildr-channel-zlib-789c")["channel_data"]);
    assert_eq!(&channel[..2], &[0x78, 0x9c]);
    let (algo, data) = decompress(&channel, max_rlp_bytes_per_channel(false), false).unwrap();
    assert_eq!(algo, CompressionAlgo::Zlib);
    assert_eq!(rlp_strings(&data).len(), 1);
}

#[test]
fn kona_raw_batcher_tx_is_one_frame() {
    let raw = common::read_bytes("framing/kona/raw_batcher_tx.bin");
    let tx = TxEnvelope::decode_2718(&mut raw.as_slice()).unwrap();
    assert!(matches!(tx, TxEnvelope::Eip1559(_)));
    assert_eq!(
        tx.to(),
        Some(address!("ff00000000000000000000000000000000000010"))
    );
    let sender: Address = tx.recover_signer().unwrap();
    assert_eq!(sender, address!("6887246668a3b87F54DeB3b94Ba47a6f63F32985"));
    let calldata = tx.input();
    assert_eq!(calldata.len(), 119_823);
    let frames = parse_frames(calldata).unwrap();
    assert_eq!(frames.len(), 1);
    assert_eq!(
        frames[0].channel_id,
        b128!("ac329933f5efdcc35ccd284232a376d3")
    );
    assert_eq!(frames[0].data.len(), 119_823 - 1 - 23);
}

#[test]
fn kona_batch_hex_zlib_channel() {
    let channel = common::read_hex("framing/kona/batch.hex");
    assert_eq!(&channel[..2], &[0x78, 0xda]);
    for fjord in [false, true] {
        let (algo, data) = decompress(&channel, max_rlp_bytes_per_channel(fjord), fjord).unwrap();
        assert_eq!(algo, CompressionAlgo::Zlib);
        let items = rlp_strings(&data);
        assert_eq!(items.len(), 1, "one batch, whole buffer consumed");
        assert_eq!(items[0][0], 0x01, "span batch");
    }
}

#[test]
fn kona_two_frame_brotli_channel() {
    let exp = common::read_json("framing/kona/expectations.json");
    let ex = &exp["frames_to_batch_example"];
    let frames: Vec<Frame> = ex["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let bytes = hex_field(f);
            let (frame, used) = Frame::decode(&bytes).unwrap();
            assert_eq!(used, bytes.len());
            assert_eq!(frame.encode(), bytes);
            frame
        })
        .collect();
    let id: B128 = ex["expected"]["channel_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(frames.iter().map(|f| f.number).collect::<Vec<_>>(), [0, 1]);
    assert_eq!(
        frames.iter().map(|f| f.is_last).collect::<Vec<_>>(),
        [false, true]
    );

    // In either arrival order the channel is the same.
    for order in [[0usize, 1], [1, 0]] {
        let mut ch = Channel::new(id, 100);
        for i in order {
            ch.add_frame(frames[i].clone(), 100 + i as u64).unwrap();
        }
        assert!(ch.is_ready());
        assert_eq!(ch.highest_l1_block(), 101);
        let data = ch.data().unwrap();
        // kona's example compresses with bare brotli, without the Fjord channel version byte
        // (its example calls `decompress_brotli` directly). So as a channel it is invalid: the
        // first byte 0x1b is neither a zlib CMF nor version 0x01. The bare stream decodes to
        // the batch.
        assert_eq!(data[0], 0x1b);
        assert!(matches!(
            decompress(&data, max_rlp_bytes_per_channel(true), true),
            Err(CompressionError::UnknownVersion { byte: 0x1b })
        ));
        let (out, end) = decompress_body(
            CompressionAlgo::Brotli,
            &data,
            max_rlp_bytes_per_channel(true),
        );
        assert!(matches!(end, StreamEnd::Complete), "{end:?}");
        // Prefixing the version byte makes it a valid Fjord channel with the same content.
        let mut versioned = vec![CHANNEL_VERSION_BROTLI];
        versioned.extend_from_slice(&data);
        assert_eq!(
            decompress(&versioned, max_rlp_bytes_per_channel(true), true)
                .unwrap()
                .1,
            out
        );
        // The example also skips the channel's RLP string wrapper: the output is the bare
        // batch, type 0 (single) followed by its RLP list, spanning the whole buffer.
        assert_eq!(out[0], 0x00, "single batch type");
        let mut rest = &out[1..];
        let h = alloy_rlp::Header::decode(&mut rest).unwrap();
        assert!(h.list);
        assert_eq!(h.payload_length, rest.len());
    }
}
