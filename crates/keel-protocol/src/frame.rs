//! Channel frames and the batcher-transaction payload that carries them.
//!
//! A batcher transaction's data (calldata, or one decoded blob) is a version byte followed by
//! one or more frames. Each frame is a chunk of one channel's compressed bytes.
//!
//! Spec: protocol/derivation.md#batcher-transaction-format,
//! protocol/derivation.md#frame-format.

use alloy_primitives::{B128, Bytes};

/// The only derivation version whose payload is a list of frames.
///
/// Spec: protocol/derivation.md#batcher-transaction-format (version 1 is alt-DA, which this
/// crate does not derive from).
pub const DERIVATION_VERSION_0: u8 = 0;

/// Upper bound on a frame's `frame_data_length`; longer frames are invalid.
///
/// Spec: protocol/derivation.md#frame-format ("It is capped to 1,000,000 bytes").
pub const MAX_FRAME_LEN: usize = 1_000_000;

/// Fixed wire overhead of one frame: 16-byte id, 2-byte number, 4-byte length, 1-byte is_last.
///
/// Spec: protocol/derivation.md#frame-format (`16 + 2 + 4 + 1 = 23 bytes`).
pub const FRAME_OVERHEAD: usize = 23;

/// Opaque 16-byte channel identifier.
///
/// Spec: protocol/derivation.md#frame-format (`channel_id = bytes16`).
pub type ChannelId = B128;

const ID_LEN: usize = 16;

/// Why a frame or a batcher-transaction payload failed to parse.
///
/// Per spec any of these in a batcher transaction invalidates every frame of that transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The batcher transaction carried no data at all.
    #[error("batcher transaction data is empty")]
    EmptyData,
    /// The first byte is not [`DERIVATION_VERSION_0`].
    #[error("unknown derivation version {version:#04x}")]
    UnknownVersion {
        /// The version byte found.
        version: u8,
    },
    /// The payload had a version byte but no frame after it.
    #[error("batcher transaction has a version byte but no frames")]
    NoFrames,
    /// The input ended inside a frame.
    #[error(
        "frame truncated at offset {offset}: need {needed} more bytes for {field}, have {available}"
    )]
    Truncated {
        /// Offset within the frame where the missing field starts.
        offset: usize,
        /// Which field was cut.
        field: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// `frame_data_length` exceeds [`MAX_FRAME_LEN`].
    #[error("frame data length {len} exceeds the maximum {MAX_FRAME_LEN}")]
    FrameTooLong {
        /// The declared length.
        len: u32,
    },
    /// `is_last` is neither 0 nor 1.
    #[error("invalid is_last byte {value:#04x} at offset {offset}")]
    InvalidIsLast {
        /// The byte found.
        value: u8,
        /// Its offset within the frame.
        offset: usize,
    },
    /// A frame inside a batcher transaction failed to parse.
    #[error("frame {index} at payload offset {offset}: {source}")]
    InFrame {
        /// Index of the failing frame in the transaction.
        index: usize,
        /// Offset of the frame in the batcher-transaction data (version byte is offset 0).
        offset: usize,
        /// What was wrong with it.
        #[source]
        source: Box<FrameError>,
    },
}

/// One chunk of a channel.
///
/// Spec: protocol/derivation.md#frame-format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The channel this frame belongs to.
    pub channel_id: ChannelId,
    /// Index of the frame within its channel.
    pub number: u16,
    /// This frame's part of the channel's bytes.
    pub data: Bytes,
    /// Whether this is the channel's closing frame.
    pub is_last: bool,
}

impl Frame {
    /// Encodes this frame alone (no derivation-version byte).
    ///
    /// The caller keeps `data` within [`MAX_FRAME_LEN`]; a longer frame is still written but
    /// [`Frame::decode`] will reject it, as every node would.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_into(&mut out);
        out
    }

    /// Appends this frame's encoding to `out`.
    ///
    /// Spec: protocol/derivation.md#frame-format (big-endian integers).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        // A length over u32::MAX cannot be represented; saturating keeps the output
        // well-formed-but-invalid instead of silently wrapping to a small, valid-looking length.
        let len = u32::try_from(self.data.len()).unwrap_or(u32::MAX);
        out.reserve(self.encoded_len());
        out.extend_from_slice(self.channel_id.as_slice());
        out.extend_from_slice(&self.number.to_be_bytes());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.data);
        out.push(u8::from(self.is_last));
    }

    /// Length of [`Frame::encode`]'s output.
    pub fn encoded_len(&self) -> usize {
        FRAME_OVERHEAD.saturating_add(self.data.len())
    }

    /// Decodes one frame from the start of `buf`, returning it and the number of bytes it used.
    ///
    /// Bounded by [`MAX_FRAME_LEN`]: the declared length is checked before any allocation.
    ///
    /// Spec: protocol/derivation.md#frame-format.
    pub fn decode(buf: &[u8]) -> Result<(Self, usize), FrameError> {
        let mut r = Reader { buf, pos: 0 };
        let id: [u8; ID_LEN] = r.array("channel_id")?;
        let number = u16::from_be_bytes(r.array("frame_number")?);
        let len = u32::from_be_bytes(r.array("frame_data_length")?);
        let data_len = usize::try_from(len).unwrap_or(usize::MAX);
        if data_len > MAX_FRAME_LEN {
            return Err(FrameError::FrameTooLong { len });
        }
        let data = r.take(data_len, "frame_data")?;
        let is_last_at = r.pos;
        let [is_last] = r.array::<1>("is_last")?;
        let is_last = match is_last {
            0 => false,
            1 => true,
            value => {
                return Err(FrameError::InvalidIsLast {
                    value,
                    offset: is_last_at,
                });
            }
        };
        let frame = Self {
            channel_id: B128::from(id),
            number,
            data: Bytes::copy_from_slice(data),
            is_last,
        };
        Ok((frame, r.pos))
    }
}

/// Cursor over untrusted bytes that reports which field ran short.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], FrameError> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let (head, _) = rest.split_at_checked(n).ok_or(FrameError::Truncated {
            offset: self.pos,
            field,
            needed: n,
            available: rest.len(),
        })?;
        self.pos = self.pos.saturating_add(n);
        Ok(head)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], FrameError> {
        let bytes = self.take(N, field)?;
        // `take` returned exactly N bytes, so the conversion cannot fail; map it anyway
        // rather than unwrap.
        <[u8; N]>::try_from(bytes).map_err(|_| FrameError::Truncated {
            offset: self.pos,
            field,
            needed: N,
            available: bytes.len(),
        })
    }
}

/// Parses a whole batcher-transaction payload: the version byte, then frames until the data
/// ends exactly.
///
/// Any error rejects every frame of the transaction, as the spec requires; there is no partial
/// result. The number of frames is bounded by the input length (each frame is at least
/// [`FRAME_OVERHEAD`] bytes).
///
/// Spec: protocol/derivation.md#batcher-transaction-format ("If any one frame fails to parse,
/// the all frames in the transaction are rejected").
pub fn parse_frames(batcher_data: &[u8]) -> Result<Vec<Frame>, FrameError> {
    let (&version, mut rest) = batcher_data.split_first().ok_or(FrameError::EmptyData)?;
    if version != DERIVATION_VERSION_0 {
        return Err(FrameError::UnknownVersion { version });
    }
    if rest.is_empty() {
        return Err(FrameError::NoFrames);
    }
    let mut frames = Vec::new();
    let mut offset = 1usize;
    while !rest.is_empty() {
        let (frame, used) = Frame::decode(rest).map_err(|e| FrameError::InFrame {
            index: frames.len(),
            offset,
            source: Box::new(e),
        })?;
        frames.push(frame);
        rest = rest.get(used..).unwrap_or_default();
        offset = offset.saturating_add(used);
    }
    Ok(frames)
}

/// Encodes frames as one batcher-transaction payload: [`DERIVATION_VERSION_0`] then each frame.
///
/// Spec: protocol/derivation.md#batcher-transaction-format.
pub fn encode_frames(frames: &[Frame]) -> Vec<u8> {
    let total = frames
        .iter()
        .fold(1usize, |acc, f| acc.saturating_add(f.encoded_len()));
    let mut out = Vec::with_capacity(total);
    out.push(DERIVATION_VERSION_0);
    for frame in frames {
        frame.encode_into(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(number: u16, data: &[u8], is_last: bool) -> Frame {
        Frame {
            channel_id: B128::repeat_byte(0xab),
            number,
            data: Bytes::copy_from_slice(data),
            is_last,
        }
    }

    #[test]
    fn encodes_spec_layout() {
        let f = frame(0x0102, b"xyz", true);
        let enc = f.encode();
        assert_eq!(enc.len(), FRAME_OVERHEAD + 3);
        assert_eq!(&enc[..16], &[0xab; 16]);
        assert_eq!(&enc[16..18], &[0x01, 0x02]);
        assert_eq!(&enc[18..22], &[0, 0, 0, 3]);
        assert_eq!(&enc[22..25], b"xyz");
        assert_eq!(enc[25], 1);
        assert_eq!(Frame::decode(&enc).unwrap(), (f, enc.len()));
    }

    #[test]
    fn decode_reports_bytes_consumed_with_trailing_data() {
        let f = frame(7, b"", false);
        let mut enc = f.encode();
        enc.extend_from_slice(&[9, 9, 9]);
        assert_eq!(Frame::decode(&enc).unwrap(), (f, FRAME_OVERHEAD));
    }

    #[test]
    fn rejects_bad_is_last() {
        let mut enc = frame(0, b"a", true).encode();
        *enc.last_mut().unwrap() = 2;
        assert_eq!(
            Frame::decode(&enc),
            Err(FrameError::InvalidIsLast {
                value: 2,
                offset: 23
            })
        );
    }

    #[test]
    fn rejects_overlong_frame_before_reading_it() {
        let mut enc = frame(0, b"", true).encode();
        enc[18..22].copy_from_slice(&1_000_001u32.to_be_bytes());
        assert_eq!(
            Frame::decode(&enc),
            Err(FrameError::FrameTooLong { len: 1_000_001 })
        );
        // Exactly the cap is allowed (reported as truncated here because the data is absent).
        enc[18..22].copy_from_slice(&1_000_000u32.to_be_bytes());
        assert!(matches!(
            Frame::decode(&enc),
            Err(FrameError::Truncated {
                field: "frame_data",
                needed: 1_000_000,
                ..
            })
        ));
    }

    #[test]
    fn truncated_everywhere() {
        let enc = frame(3, b"hello", false).encode();
        for cut in 0..enc.len() {
            assert!(
                matches!(
                    Frame::decode(&enc[..cut]),
                    Err(FrameError::Truncated { .. })
                ),
                "cut {cut}"
            );
        }
    }

    #[test]
    fn parse_frames_rules() {
        assert_eq!(parse_frames(&[]), Err(FrameError::EmptyData));
        assert_eq!(
            parse_frames(&[1, 2]),
            Err(FrameError::UnknownVersion { version: 1 })
        );
        assert_eq!(parse_frames(&[0]), Err(FrameError::NoFrames));
        let frames = vec![frame(0, b"ab", false), frame(1, b"c", true)];
        let data = encode_frames(&frames);
        assert_eq!(parse_frames(&data).unwrap(), frames);
        // One bad frame (a stray trailing byte) rejects the whole transaction.
        let mut bad = data.clone();
        bad.push(0);
        assert!(matches!(
            parse_frames(&bad),
            Err(FrameError::InFrame { index: 2, offset, .. }) if offset == data.len()
        ));
    }
}
