//! `keel decode channel`, and the JSON shape of batches shared with `batcher-data`.

use keel_protocol::{
    batch::{Batch, RawSpanBatch, SingleBatch, read_channel_batches},
    compression::{CompressionAlgo, decompress, max_rlp_bytes_per_channel},
};
use serde_json::{Map, Value, json};

use super::{BatchOptions, DecodeError, json::hex_bytes};

/// A channel's compressed bytes → `{"compression", "batches"}`.
pub(crate) fn channel(bytes: &[u8], opts: BatchOptions) -> Result<Value, DecodeError> {
    let (algo, batches) = decode_channel(bytes, opts)?;
    Ok(json!({ "compression": compression_name(algo), "batches": batches }))
}

/// Decompresses a channel and renders its batches.
///
/// The tool does not know which fork the channel was posted under, so it accepts brotli
/// and bounds output by Fjord's (larger) limit: Spec: protocol/fjord/derivation.md.
pub(crate) fn decode_channel(
    bytes: &[u8],
    opts: BatchOptions,
) -> Result<(CompressionAlgo, Vec<Value>), DecodeError> {
    let limit = max_rlp_bytes_per_channel(true);
    let (algo, data) = decompress(bytes, limit, true)
        .map_err(|e| DecodeError::invalid(format!("channel decompression: {e}")))?;
    let (batches, err) = read_channel_batches(&data, limit);
    if let Some(err) = err {
        return Err(DecodeError::invalid(format!(
            "batch {} of the channel: {err}",
            batches.len()
        )));
    }
    let rendered = batches
        .iter()
        .enumerate()
        .map(|(i, b)| {
            batch_json(b, opts).map_err(|e| DecodeError::invalid(format!("batch {i}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((algo, rendered))
}

/// The JSON name of a compression algorithm.
pub(crate) const fn compression_name(algo: CompressionAlgo) -> &'static str {
    match algo {
        CompressionAlgo::Zlib => "zlib",
        CompressionAlgo::Brotli => "brotli",
    }
}

fn batch_json(batch: &Batch, opts: BatchOptions) -> Result<Value, String> {
    match batch {
        Batch::Single(b) => Ok(single_json(b)),
        Batch::Span(b) => span_json(b, opts),
    }
}

fn single_json(b: &SingleBatch) -> Value {
    json!({
        "type": "single",
        "parent_hash": b.parent_hash,
        "epoch_num": b.epoch_num,
        "epoch_hash": b.epoch_hash,
        "timestamp": b.timestamp,
        "transactions": b.transactions.iter().map(hex_bytes).collect::<Vec<_>>(),
    })
}

fn span_json(b: &RawSpanBatch, opts: BatchOptions) -> Result<Value, String> {
    let epochs = b.epoch_numbers();
    let counts = b.block_tx_counts();
    let txs = match opts.chain_id {
        Some(chain_id) => Some(b.transactions(chain_id).map_err(|e| e.to_string())?),
        None => None,
    };
    let mut blocks = Vec::with_capacity(epochs.len());
    for (i, (epoch, count)) in epochs.iter().zip(counts.iter()).enumerate() {
        let mut block = Map::new();
        block.insert("epoch_num".into(), Value::from(*epoch));
        block.insert("tx_count".into(), Value::from(*count));
        if let (Some(genesis), Some(block_time)) = (opts.genesis_timestamp, opts.block_time) {
            let ts = (i as u64)
                .checked_mul(block_time)
                .and_then(|d| d.checked_add(b.rel_timestamp()))
                .and_then(|d| d.checked_add(genesis))
                .ok_or_else(|| format!("timestamp of block {i} overflows u64"))?;
            block.insert("timestamp".into(), Value::from(ts));
        }
        if let Some(per_block) = txs.as_ref().and_then(|t| t.get(i)) {
            block.insert(
                "transactions".into(),
                per_block.iter().map(hex_bytes).collect(),
            );
        }
        blocks.push(Value::Object(block));
    }
    Ok(json!({
        "type": "span",
        "rel_timestamp": b.rel_timestamp(),
        "l1_origin_num": b.l1_origin_num(),
        "parent_check": hex_bytes(b.parent_check()),
        "l1_origin_check": hex_bytes(b.l1_origin_check()),
        "block_count": b.block_count(),
        "total_txs": b.total_txs(),
        "blocks": blocks,
    }))
}
