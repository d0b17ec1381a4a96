//! The span-batch primitives: protobuf varints, standard bitlists and a bounds-checked cursor.
//!
//! Spec: protocol/delta/span-batches.md#span-batch-format.

use super::BatchError;

/// Longest uvarint of a `u64`: ten 7-bit groups.
///
/// Spec: protocol/delta/span-batches.md#span-batch-format (`uvarint` as in the protobuf spec).
pub(crate) const MAX_VARINT_LEN: usize = 10;

/// Appends `value` as a minimal unsigned protobuf varint.
pub(crate) fn write_uvarint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Number of bytes [`write_uvarint`] writes for `value`.
pub(crate) fn uvarint_len(value: u64) -> usize {
    let bits = 64 - value.max(1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// A read position in a borrowed buffer; every read is checked against the end.
#[derive(Debug, Clone)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Bytes consumed so far.
    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    /// Bytes not yet consumed.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The unread bytes, without consuming them.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Consumes `n` bytes.
    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], BatchError> {
        let out = self.rest().get(..n).ok_or(BatchError::Truncated {
            field,
            offset: self.pos,
            needed: n,
            remaining: self.remaining(),
        })?;
        self.pos += n;
        Ok(out)
    }

    /// Consumes a fixed-size array.
    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], BatchError> {
        let bytes = self.take(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// Consumes one unsigned protobuf varint.
    ///
    /// Non-minimal encodings (e.g. `0x81 0x00` for 1) are accepted, as op-node's
    /// `binary.ReadUvarint` does; more than ten bytes, or a tenth byte above 1, overflow.
    pub(crate) fn uvarint(&mut self, field: &'static str) -> Result<u64, BatchError> {
        let start = self.pos;
        let mut value: u64 = 0;
        for i in 0..MAX_VARINT_LEN {
            let &byte = self.rest().first().ok_or(BatchError::Truncated {
                field,
                offset: self.pos,
                needed: 1,
                remaining: 0,
            })?;
            self.pos += 1;
            if byte < 0x80 {
                if i == MAX_VARINT_LEN - 1 && byte > 1 {
                    return Err(BatchError::VarintOverflow {
                        field,
                        offset: start,
                    });
                }
                return Ok(value | (u64::from(byte) << (7 * i)));
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
        }
        Err(BatchError::VarintOverflow {
            field,
            offset: start,
        })
    }
}

/// A standard span-batch bitlist: a big-endian integer of `len` bits, left-padded with zeroes
/// to whole bytes. Bit `i` is the integer's bit `i`, so bit 0 is the lowest bit of the last byte.
///
/// Spec: protocol/delta/span-batches.md#span-batch-format ("Standard bitlists").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BitList {
    bytes: Vec<u8>,
    len: u64,
}

impl BitList {
    /// Bytes needed for `len` bits.
    pub(crate) fn byte_len(len: u64) -> u64 {
        len.div_ceil(8)
    }

    /// A bitlist holding `bits` in order.
    pub fn from_bools(bits: &[bool]) -> Self {
        let len = bits.len() as u64;
        let n = bits.len().div_ceil(8);
        let mut bytes = vec![0u8; n];
        for (i, _) in bits.iter().enumerate().filter(|(_, b)| **b) {
            if let Some(byte) = bytes.get_mut(n - 1 - i / 8) {
                *byte |= 1 << (i % 8);
            }
        }
        Self { bytes, len }
    }

    /// Number of bits.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the list has no bits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bit `i`; `false` past the end.
    pub fn get(&self, i: u64) -> bool {
        if i >= self.len {
            return false;
        }
        let from_end = (i / 8) as usize;
        let idx = self.bytes.len().saturating_sub(1 + from_end);
        self.bytes.get(idx).is_some_and(|b| b & (1 << (i % 8)) != 0)
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> u64 {
        self.bytes.iter().map(|b| u64::from(b.count_ones())).sum()
    }

    /// Iterates over the bits in order.
    pub fn iter(&self) -> impl Iterator<Item = bool> + '_ {
        (0..self.len).map(|i| self.get(i))
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Reads a bitlist of `len` bits. The caller bounds `len` (by the element-count limit); the
    /// byte count is checked against the input before anything is allocated. Padding bits must be
    /// zero, as op-node rejects a bitfield longer than `len` bits.
    pub(crate) fn decode(
        cur: &mut Cursor<'_>,
        len: u64,
        field: &'static str,
    ) -> Result<Self, BatchError> {
        let n = usize::try_from(Self::byte_len(len)).map_err(|_| BatchError::Truncated {
            field,
            offset: cur.offset(),
            needed: usize::MAX,
            remaining: cur.remaining(),
        })?;
        let offset = cur.offset();
        let bytes = cur.take(n, field)?;
        let pad = (n as u64) * 8 - len;
        if pad > 0
            && let Some(&first) = bytes.first()
            && first >> (8 - pad) != 0
        {
            return Err(BatchError::BitlistPadding { field, offset, len });
        }
        Ok(Self {
            bytes: bytes.to_vec(),
            len,
        })
    }

    /// Appends the encoding.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varint_known_values() {
        for (v, enc) in [
            (0u64, vec![0u8]),
            (1, vec![1]),
            (127, vec![0x7f]),
            (128, vec![0x80, 1]),
            (300, vec![0xac, 0x02]),
        ] {
            let mut out = Vec::new();
            write_uvarint(&mut out, v);
            assert_eq!(out, enc);
            assert_eq!(uvarint_len(v), enc.len());
            assert_eq!(Cursor::new(&enc).uvarint("t").unwrap(), v);
        }
        let mut out = Vec::new();
        write_uvarint(&mut out, u64::MAX);
        assert_eq!(out.len(), MAX_VARINT_LEN);
        assert_eq!(Cursor::new(&out).uvarint("t").unwrap(), u64::MAX);
    }

    #[test]
    fn varint_non_minimal_and_overflow() {
        assert_eq!(Cursor::new(&[0x81, 0x80, 0x00]).uvarint("t").unwrap(), 1);
        let mut over = vec![0xff; 9];
        over.push(0x02);
        assert!(matches!(
            Cursor::new(&over).uvarint("t"),
            Err(BatchError::VarintOverflow { .. })
        ));
        assert!(matches!(
            Cursor::new(&[0x80; 11]).uvarint("t"),
            Err(BatchError::VarintOverflow { .. })
        ));
        assert!(matches!(
            Cursor::new(&[0x80]).uvarint("t"),
            Err(BatchError::Truncated { .. })
        ));
    }

    #[test]
    fn bitlist_layout_is_big_endian_integer() {
        // Bits 0 and 9 of a 10-bit list: integer 0b10_0000_0001 = 0x0201.
        let mut bits = vec![false; 10];
        bits[0] = true;
        bits[9] = true;
        let b = BitList::from_bools(&bits);
        assert_eq!(b.as_bytes(), &[0x02, 0x01]);
        assert_eq!(b.iter().collect::<Vec<_>>(), bits);
        assert_eq!(b.count_ones(), 2);
        let back = BitList::decode(&mut Cursor::new(&[0x02, 0x01]), 10, "t").unwrap();
        assert_eq!(back, b);
        // Bit 10 set in a 10-bit list is padding.
        assert!(matches!(
            BitList::decode(&mut Cursor::new(&[0x04, 0x01]), 10, "t"),
            Err(BatchError::BitlistPadding { .. })
        ));
        assert!(
            BitList::decode(&mut Cursor::new(&[]), 0, "t")
                .unwrap()
                .is_empty()
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
        #[test]
        fn varint_round_trip(v in proptest::prelude::any::<u64>(), extra in 0usize..3) {
            let mut out = Vec::new();
            write_uvarint(&mut out, v);
            proptest::prop_assert_eq!(out.len(), uvarint_len(v));
            let mut cur = Cursor::new(&out);
            proptest::prop_assert_eq!(cur.uvarint("t").unwrap(), v);
            proptest::prop_assert_eq!(cur.remaining(), 0);
            // Redundant continuation bytes decode to the same value while within ten bytes.
            if out.len() + extra <= MAX_VARINT_LEN {
                let mut padded = out.clone();
                for _ in 0..extra {
                    *padded.last_mut().unwrap() |= 0x80;
                    padded.push(0);
                }
                proptest::prop_assert_eq!(Cursor::new(&padded).uvarint("t").unwrap(), v);
            }
        }

        #[test]
        fn bitlist_decode_encode(bits in proptest::collection::vec(proptest::prelude::any::<bool>(), 0..100)) {
            let b = BitList::from_bools(&bits);
            let mut out = Vec::new();
            b.encode(&mut out);
            let back = BitList::decode(&mut Cursor::new(&out), bits.len() as u64, "t").unwrap();
            proptest::prop_assert_eq!(back, b);
        }
    }
}
