//! One batcher transaction's payload: a run of frames of one channel, as calldata or blobs.

use alloy_eips::eip4844::Blob;
use keel_protocol::{
    blob::{BlobError, encode_blob},
    frame::{ChannelId, DERIVATION_VERSION_0, Frame, encode_frames},
};

use crate::config::DataAvailability;

/// Identifies a transaction's payload to the channel manager, for reporting its fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TxId(pub u64);

impl std::fmt::Display for TxId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "tx#{}", self.0)
    }
}

/// The frames of one batcher transaction, in frame order, all of one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxData {
    /// The manager's id for this payload.
    pub id: TxId,
    /// The channel the frames belong to.
    pub channel_id: ChannelId,
    /// The frames.
    pub frames: Vec<Frame>,
    /// Calldata or blobs.
    pub data_availability: DataAvailability,
}

impl TxData {
    /// The calldata: the derivation version byte, then every frame.
    ///
    /// Spec: protocol/derivation.md#batcher-transaction-format.
    pub fn calldata(&self) -> Vec<u8> {
        encode_frames(&self.frames)
    }

    /// One blob per frame, each carrying the version byte and the frame, in the OP blob
    /// encoding.
    ///
    /// Spec: protocol/derivation.md#batcher-transaction-format,
    /// protocol/ecotone/derivation.md#blob-encoding.
    pub fn blobs(&self) -> Result<Vec<Blob>, BlobError> {
        // Blobs are 128 KiB: filled in place on the heap, never passed by value.
        let mut blobs = vec![Blob::ZERO; self.frames.len()];
        for (f, out) in self.frames.iter().zip(blobs.iter_mut()) {
            let mut data = Vec::with_capacity(1 + f.encoded_len());
            data.push(DERIVATION_VERSION_0);
            f.encode_into(&mut data);
            out.copy_from_slice(encode_blob(&data)?.as_slice());
        }
        Ok(blobs)
    }

    /// Total frame bytes carried (headers included).
    pub fn len(&self) -> usize {
        self.frames.iter().map(Frame::encoded_len).sum()
    }

    /// Whether the payload has no frames (never handed out by the manager).
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::Bytes;
    use keel_protocol::{blob::decode_blob, frame::parse_frames};

    fn frames() -> Vec<Frame> {
        (0..3u16)
            .map(|n| Frame {
                channel_id: [7; 16].into(),
                number: n,
                data: Bytes::from(vec![n as u8 + 1; 100 + usize::from(n)]),
                is_last: n == 2,
            })
            .collect()
    }

    #[test]
    fn calldata_is_version_byte_then_frames() {
        let tx = TxData {
            id: TxId(1),
            channel_id: [7; 16].into(),
            frames: frames(),
            data_availability: DataAvailability::Calldata,
        };
        let data = tx.calldata();
        assert_eq!(data[0], 0);
        assert_eq!(data.len(), 1 + 3 * 23 + 100 + 101 + 102);
        assert_eq!(parse_frames(&data).unwrap(), frames());
    }

    #[test]
    fn each_blob_carries_one_frame() {
        let tx = TxData {
            id: TxId(2),
            channel_id: [7; 16].into(),
            frames: frames(),
            data_availability: DataAvailability::Blobs,
        };
        let blobs = tx.blobs().unwrap();
        assert_eq!(blobs.len(), 3);
        for (blob, frame) in blobs.iter().zip(frames()) {
            let data = decode_blob(blob.as_slice()).unwrap();
            assert_eq!(parse_frames(&data).unwrap(), vec![frame]);
        }
    }
}
