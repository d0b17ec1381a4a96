//! The OP blob encoding (version 0) and the KZG checks that tie a blob to its versioned hash.
//!
//! A blob is 4096 field elements of 32 bytes. Each group of 4 field elements carries 127 bytes of
//! rollup data: 31 bytes in the low bytes of each element, and 3 more bytes spread over the
//! low 6 bits of the four first bytes, whose top 2 bits stay 0 so every element is below the
//! BLS modulus. The first rollup byte is the encoding version, the next 3 the data length.
//!
//! Spec: protocol/ecotone/derivation.md#blob-encoding, protocol/ecotone/derivation.md#ecotone-blob-retrieval.

use alloy_primitives::{B256, FixedBytes};

/// Bytes in an EIP-4844 blob (4096 field elements of 32 bytes).
///
/// Spec: protocol/ecotone/derivation.md#blob-encoding (`FIELD_ELEMENTS_PER_BLOB = 4096`).
pub const BLOB_SIZE: usize = 131072;

/// The only OP blob encoding version.
///
/// Spec: protocol/ecotone/derivation.md#blob-encoding ("In version `0` ...").
pub const BLOB_ENCODING_VERSION: u8 = 0;

/// Rollup-data bytes a blob holds: 127 per 4 field elements, 1024 times.
///
/// Spec: protocol/ecotone/derivation.md#blob-encoding (`(4 * 31 + 3) * 1024 = 130048`).
pub const BLOB_ROLLUP_CAPACITY: usize = (4 * 31 + 3) * 1024;

/// Largest payload a version-0 blob can carry: the capacity minus version byte and 3-byte length.
///
/// Spec: protocol/ecotone/derivation.md#blob-encoding ("If the length is larger than
/// `130048 - 4`, the blob is invalid").
pub const MAX_BLOB_DATA_SIZE: usize = (4 * 31 + 3) * 1024 - 4; // 130044

const FIELD_ELEMENT: usize = 32;
#[cfg(test)]
const ROUND_BYTES: usize = 127;
const HIGH_BITS: u8 = 0b1100_0000;

/// Why a blob could not be decoded, encoded or verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BlobError {
    /// The input is not exactly [`BLOB_SIZE`] bytes.
    #[error("blob is {len} bytes, expected {BLOB_SIZE}")]
    WrongSize {
        /// The length given.
        len: usize,
    },
    /// A field element has one of its two top bits set.
    #[error("field element {index} has its top two bits set (first byte {first_byte:#04x})")]
    InvalidFieldElement {
        /// Index of the field element (0..4096).
        index: usize,
        /// Its first byte.
        first_byte: u8,
    },
    /// The encoding version is not [`BLOB_ENCODING_VERSION`].
    #[error("unknown blob encoding version {version}")]
    UnknownVersion {
        /// The version found.
        version: u8,
    },
    /// The declared length exceeds [`MAX_BLOB_DATA_SIZE`].
    #[error("blob declares {len} data bytes, maximum is {MAX_BLOB_DATA_SIZE}")]
    LengthTooLarge {
        /// The declared length.
        len: usize,
    },
    /// A non-zero byte past the declared data.
    #[error("non-zero rollup byte at offset {offset} past the declared length {len}")]
    TrailingData {
        /// Offset in the rollup-data stream (version byte is offset 0).
        offset: usize,
        /// The declared data length.
        len: usize,
    },
    /// Data to encode is longer than [`MAX_BLOB_DATA_SIZE`].
    #[error("{len} bytes do not fit in a blob (maximum {MAX_BLOB_DATA_SIZE})")]
    DataTooLarge {
        /// The data length.
        len: usize,
    },
    /// c-kzg rejected the blob (e.g. a field element not below the BLS modulus).
    #[error("KZG: {0}")]
    Kzg(#[source] c_kzg::Error),
    /// The blob's versioned hash is not the expected one.
    #[error("blob versioned hash {computed} does not match expected {expected}")]
    HashMismatch {
        /// The hash the transaction committed to.
        expected: B256,
        /// The hash of this blob's commitment.
        computed: B256,
    },
}

/// Decodes an OP-encoded blob into its rollup data, applying every check the spec lists.
///
/// The whole blob is decoded and checked, so a blob is accepted only if it is the exact
/// encoding of its data: every field element but the first has its top two bits clear, the
/// version is 0, the length is at most
/// [`MAX_BLOB_DATA_SIZE`], and every byte after the data is zero. Output is bounded by
/// [`MAX_BLOB_DATA_SIZE`].
///
/// The first field element's top bits are ignored, not checked: the spec asks for them to be
/// zero, but op-node and kona both mask them off without looking, so a blob with them set
/// is derived by every deployed node. Rejecting it would split Keel from the chain.
///
/// Spec: protocol/ecotone/derivation.md#blob-encoding.
pub fn decode_blob(blob: &[u8]) -> Result<Vec<u8>, BlobError> {
    let blob: &[u8; BLOB_SIZE] = blob
        .try_into()
        .map_err(|_| BlobError::WrongSize { len: blob.len() })?;
    let (elements, _) = blob.as_chunks::<FIELD_ELEMENT>();
    let (rounds, _) = elements.as_chunks::<4>();
    let mut stream = Vec::with_capacity(BLOB_ROLLUP_CAPACITY);
    for (r, [fa, fb, fc, fd]) in rounds.iter().enumerate() {
        let [a, ta @ ..] = fa;
        let [b, tb @ ..] = fb;
        let [c, tc @ ..] = fc;
        let [d, td @ ..] = fd;
        for (j, &first) in [*a, *b, *c, *d].iter().enumerate() {
            let is_first_element = r == 0 && j == 0;
            if first & HIGH_BITS != 0 && !is_first_element {
                return Err(BlobError::InvalidFieldElement {
                    index: r * 4 + j,
                    first_byte: first,
                });
            }
        }
        // Inverse of the spec's packing of x, y, z into the 6-bit chunks A, B, C, D.
        let x = (a & 0b0011_1111) | ((b & 0b0011_0000) << 2);
        let y = (b & 0b0000_1111) | ((d & 0b0000_1111) << 4);
        let z = (c & 0b0011_1111) | ((d & 0b0011_0000) << 2);
        stream.extend_from_slice(ta);
        stream.push(x);
        stream.extend_from_slice(tb);
        stream.push(y);
        stream.extend_from_slice(tc);
        stream.push(z);
        stream.extend_from_slice(td);
    }
    let (&version, rest) = stream
        .split_first()
        .ok_or(BlobError::WrongSize { len: 0 })?;
    if version != BLOB_ENCODING_VERSION {
        return Err(BlobError::UnknownVersion { version });
    }
    let (len_bytes, rest) = rest
        .split_first_chunk::<3>()
        .ok_or(BlobError::WrongSize { len: 0 })?;
    let [l0, l1, l2] = *len_bytes;
    let len = usize::from(l0) << 16 | usize::from(l1) << 8 | usize::from(l2);
    if len > MAX_BLOB_DATA_SIZE {
        return Err(BlobError::LengthTooLarge { len });
    }
    let (data, trailing) = rest
        .split_at_checked(len)
        .ok_or(BlobError::LengthTooLarge { len })?;
    if let Some(pos) = trailing.iter().position(|&b| b != 0) {
        return Err(BlobError::TrailingData {
            offset: 4 + len + pos,
            len,
        });
    }
    Ok(data.to_vec())
}

/// Encodes `data` as an OP blob, version 0.
///
/// Spec: protocol/ecotone/derivation.md#blob-encoding.
pub fn encode_blob(data: &[u8]) -> Result<Box<[u8; BLOB_SIZE]>, BlobError> {
    let len = data.len();
    if len > MAX_BLOB_DATA_SIZE {
        return Err(BlobError::DataTooLarge { len });
    }
    // len <= 130044 < 2^24, so the three low bytes hold it exactly.
    let [_, l0, l1, l2] = u32::try_from(len)
        .map_err(|_| BlobError::DataTooLarge { len })?
        .to_be_bytes();
    let mut stream = [BLOB_ENCODING_VERSION, l0, l1, l2]
        .into_iter()
        .chain(data.iter().copied())
        .chain(std::iter::repeat(0));
    let mut next = move || stream.next().unwrap_or(0);

    let mut out = Box::new([0u8; BLOB_SIZE]);
    let (elements, _) = out.as_chunks_mut::<FIELD_ELEMENT>();
    let (rounds, _) = elements.as_chunks_mut::<4>();
    for [fa, fb, fc, fd] in rounds.iter_mut() {
        let ta: [u8; 31] = std::array::from_fn(|_| next());
        let x = next();
        let tb: [u8; 31] = std::array::from_fn(|_| next());
        let y = next();
        let tc: [u8; 31] = std::array::from_fn(|_| next());
        let z = next();
        let td: [u8; 31] = std::array::from_fn(|_| next());
        let a = x & 0b0011_1111;
        let b = (y & 0b0000_1111) | ((x & 0b1100_0000) >> 2);
        let c = z & 0b0011_1111;
        let d = ((z & 0b1100_0000) >> 2) | ((y & 0b1111_0000) >> 4);
        for (fe, (first, tail)) in
            [fa, fb, fc, fd]
                .into_iter()
                .zip([(a, ta), (b, tb), (c, tc), (d, td)])
        {
            let [f, t @ ..] = fe;
            *f = first;
            *t = tail;
        }
    }
    Ok(out)
}

fn kzg_settings() -> &'static c_kzg::KzgSettings {
    // c-kzg caches the parsed Ethereum trusted setup in a static per precompute level; 0 keeps
    // memory small (we commit, we do not prove in bulk).
    c_kzg::ethereum_kzg_settings(0)
}

/// The KZG commitment of a blob, with Ethereum's trusted setup.
///
/// Spec: protocol/ecotone/derivation.md#ecotone-blob-retrieval ("cryptographically verified
/// against its versioned hash").
pub fn kzg_commitment(blob: &[u8; BLOB_SIZE]) -> Result<FixedBytes<48>, BlobError> {
    let blob = c_kzg::Blob::new(*blob);
    let commitment = kzg_settings()
        .blob_to_kzg_commitment(&blob)
        .map_err(BlobError::Kzg)?;
    Ok(FixedBytes::from(commitment.to_bytes().into_inner()))
}

/// The EIP-4844 versioned hash of a commitment: `0x01 || sha256(commitment)[1..]`.
pub fn versioned_hash(commitment: &[u8; 48]) -> B256 {
    alloy_eips::eip4844::kzg_to_versioned_hash(commitment)
}

/// Checks that `blob` is the one `expected` (a transaction's blob versioned hash) commits to.
///
/// Spec: protocol/ecotone/derivation.md#ecotone-blob-retrieval (MUST verify when the source
/// is untrusted).
pub fn verify_blob(blob: &[u8; BLOB_SIZE], expected: B256) -> Result<(), BlobError> {
    let commitment = kzg_commitment(blob)?;
    let computed = versioned_hash(&commitment.0);
    if computed == expected {
        Ok(())
    } else {
        Err(BlobError::HashMismatch { expected, computed })
    }
}

/// Verifies a beacon sidecar's KZG proof: `proof` shows `commitment` is the commitment of
/// `blob`. Returns `Ok(false)` for a well-formed but wrong proof.
///
/// An alternative to recomputing the commitment (one pairing check instead of an MSM).
pub fn verify_blob_kzg_proof(
    blob: &[u8; BLOB_SIZE],
    commitment: &[u8; 48],
    proof: &[u8; 48],
) -> Result<bool, BlobError> {
    let blob = c_kzg::Blob::new(*blob);
    kzg_settings()
        .verify_blob_kzg_proof(
            &blob,
            &c_kzg::Bytes48::new(*commitment),
            &c_kzg::Bytes48::new(*proof),
        )
        .map_err(BlobError::Kzg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants() {
        assert_eq!(MAX_BLOB_DATA_SIZE, 130_044);
        assert_eq!(BLOB_ROLLUP_CAPACITY, BLOB_SIZE / 128 * ROUND_BYTES);
    }

    #[test]
    fn layout_of_first_field_element() {
        let blob = encode_blob(b"hello").unwrap();
        assert_eq!(&blob[..10], &[0, 0, 0, 0, 5, b'h', b'e', b'l', b'l', b'o']);
        assert!(blob[10..].iter().all(|&b| b == 0));
        assert_eq!(decode_blob(&blob[..]).unwrap(), b"hello");
    }

    #[test]
    fn round_trip_edges() {
        for len in [
            0,
            1,
            27,
            28,
            123,
            124,
            127,
            128,
            4000,
            MAX_BLOB_DATA_SIZE - 1,
            MAX_BLOB_DATA_SIZE,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8 | 0xc0).collect();
            let blob = encode_blob(&data).unwrap();
            assert_eq!(decode_blob(&blob[..]).unwrap(), data, "len {len}");
        }
        assert!(matches!(
            encode_blob(&vec![0; MAX_BLOB_DATA_SIZE + 1]),
            Err(BlobError::DataTooLarge { len: 130_045 })
        ));
    }

    #[test]
    fn rejects_each_invalid_form() {
        let good = encode_blob(b"abc").unwrap();
        assert!(matches!(
            decode_blob(&good[..100]),
            Err(BlobError::WrongSize { len: 100 })
        ));

        let mut b = good.clone();
        b[1] = 1;
        assert!(matches!(
            decode_blob(&b[..]),
            Err(BlobError::UnknownVersion { version: 1 })
        ));

        let mut b = good.clone();
        b[2..5].copy_from_slice(&[0x01, 0xfb, 0xfd]); // 130045
        assert!(matches!(
            decode_blob(&b[..]),
            Err(BlobError::LengthTooLarge { len: 130_045 })
        ));

        // Like op-node and kona, the first element's top bits are masked, not checked.
        let mut b = good.clone();
        b[0] |= 0x40;
        assert_eq!(
            decode_blob(&b[..]).unwrap(),
            decode_blob(&good[..]).unwrap()
        );

        for fe in [1usize, 3, 4, 4095] {
            let mut b = good.clone();
            b[fe * 32] |= 0x40;
            assert!(
                matches!(decode_blob(&b[..]), Err(BlobError::InvalidFieldElement { index, .. }) if index == fe),
                "fe {fe}"
            );
        }

        // A non-zero byte right after the data, and one in the last field element.
        let mut b = good.clone();
        b[8] = 1;
        assert!(matches!(
            decode_blob(&b[..]),
            Err(BlobError::TrailingData { offset: 7, len: 3 })
        ));
        let mut b = good.clone();
        b[BLOB_SIZE - 1] = 1;
        assert!(matches!(
            decode_blob(&b[..]),
            Err(BlobError::TrailingData { .. })
        ));
        // Trailing bits hidden in a first byte's 6-bit chunk.
        let mut b = good;
        b[32 * 7] = 0x01;
        assert!(matches!(
            decode_blob(&b[..]),
            Err(BlobError::TrailingData { .. })
        ));
    }

    #[test]
    fn versioned_hash_has_version_byte() {
        let h = versioned_hash(&[0u8; 48]);
        assert_eq!(h[0], 0x01);
    }
}
