//! `keel decode frames` and `keel decode batcher-data`.

use keel_protocol::{
    channel::assemble_channels,
    frame::{Frame, parse_frames},
};
use serde_json::{Map, Value, json};

use super::{
    BatchOptions, DecodeError,
    batches::{compression_name, decode_channel},
    json::hex_bytes,
};

/// Batcher data → `{"frames": [...]}`.
pub(crate) fn frames(bytes: &[u8], with_data: bool) -> Result<Value, DecodeError> {
    let frames = parse(bytes)?;
    Ok(json!({ "frames": frames.iter().map(|f| frame_json(f, with_data)).collect::<Vec<_>>() }))
}

/// Batcher data → frames, channels and, for each complete channel, its batches.
///
/// A channel that fails to decompress or decode is reported in its own `error` field
/// rather than failing the whole command: one bad channel should not hide the others.
pub(crate) fn batcher_data(bytes: &[u8], opts: BatchOptions) -> Result<Value, DecodeError> {
    let frames = parse(bytes)?;
    let channels = assemble_channels(&frames)
        .iter()
        .map(|ch| {
            let mut obj = Map::new();
            obj.insert("id".into(), hex_bytes(ch.id()));
            obj.insert("complete".into(), Value::Bool(ch.is_ready()));
            match ch.data() {
                Some(data) => match decode_channel(&data, opts) {
                    Ok((algo, batches)) => {
                        obj.insert("compression".into(), compression_name(algo).into());
                        obj.insert("batches".into(), batches.into());
                    }
                    Err(e) => {
                        obj.insert("error".into(), e.to_string().into());
                    }
                },
                None => {
                    obj.insert("batches".into(), Value::Array(Vec::new()));
                }
            }
            Value::Object(obj)
        })
        .collect::<Vec<_>>();
    Ok(json!({
        "frames": frames.iter().map(|f| frame_json(f, false)).collect::<Vec<_>>(),
        "channels": channels,
    }))
}

fn parse(bytes: &[u8]) -> Result<Vec<Frame>, DecodeError> {
    parse_frames(bytes).map_err(|e| DecodeError::invalid(format!("batcher data: {e}")))
}

fn frame_json(f: &Frame, with_data: bool) -> Value {
    let mut obj = Map::new();
    obj.insert("channel_id".into(), hex_bytes(f.channel_id));
    obj.insert("frame_number".into(), Value::from(f.number));
    obj.insert("data_len".into(), Value::from(f.data.len()));
    obj.insert("is_last".into(), Value::Bool(f.is_last));
    if with_data {
        obj.insert("data".into(), hex_bytes(&f.data));
    }
    Value::Object(obj)
}
