//! The `txs` section of a span batch: transactions split into columns.
//!
//! Spec: protocol/delta/span-batches.md#span-batch-format (`txs = contract_creation_bits ++
//! y_parity_bits ++ tx_sigs ++ tx_tos ++ tx_datas ++ tx_nonces ++ tx_gases ++ protected_bits`).

use alloy_consensus::TxEnvelope;
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, Bytes, Signature, U256};

use super::bits::{BitList, Cursor, write_uvarint};
use super::tx_data::{LEGACY_TX_TYPE, SpanTxData, TxParts, read_raw};
use super::{BatchError, MAX_SPAN_BATCH_ELEMENT_COUNT};

/// Bytes of one `tx_sigs` entry: `r` and `s` as big-endian `uint256`.
const SIG_LEN: usize = 64;
/// Bytes of one `tx_tos` entry.
const ADDRESS_LEN: usize = 20;

/// The span batch's transactions as stored on the wire. `tx_datas` entries are kept as raw
/// bytes (checked for type and RLP framing) so re-encoding is byte-identical; they are parsed
/// when full transactions are built.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SpanBatchTxs {
    pub(crate) total: u64,
    pub(crate) contract_creation_bits: BitList,
    pub(crate) y_parity_bits: BitList,
    pub(crate) sigs: Vec<(U256, U256)>,
    pub(crate) tos: Vec<Address>,
    pub(crate) datas: Vec<Bytes>,
    pub(crate) types: Vec<u8>,
    pub(crate) nonces: Vec<u64>,
    pub(crate) gases: Vec<u64>,
    pub(crate) protected_bits: BitList,
}

/// Fails unless `count` items of at least `min_size` bytes each fit in the remaining input:
/// the bound that comes before any allocation sized by `count`.
fn check_fits(
    cur: &Cursor<'_>,
    count: u64,
    min_size: u64,
    field: &'static str,
) -> Result<usize, BatchError> {
    let needed = count
        .checked_mul(min_size)
        .ok_or(BatchError::Overflow { field })?;
    if needed > cur.remaining() as u64 {
        return Err(BatchError::Truncated {
            field,
            offset: cur.offset(),
            needed: usize::try_from(needed).unwrap_or(usize::MAX),
            remaining: cur.remaining(),
        });
    }
    usize::try_from(count).map_err(|_| BatchError::Overflow { field })
}

impl SpanBatchTxs {
    /// Decodes `total` transactions. The caller has checked `total` against
    /// [`MAX_SPAN_BATCH_ELEMENT_COUNT`]; each column is checked against the remaining input.
    pub(crate) fn decode(cur: &mut Cursor<'_>, total: u64) -> Result<Self, BatchError> {
        if total > MAX_SPAN_BATCH_ELEMENT_COUNT {
            return Err(BatchError::TooManyElements {
                field: "total txs",
                count: total,
                limit: MAX_SPAN_BATCH_ELEMENT_COUNT,
            });
        }
        let contract_creation_bits = BitList::decode(cur, total, "contract_creation_bits")?;
        let y_parity_bits = BitList::decode(cur, total, "y_parity_bits")?;

        let n = check_fits(cur, total, SIG_LEN as u64, "tx_sigs")?;
        let mut sigs = Vec::with_capacity(n);
        for _ in 0..n {
            let r = U256::from_be_bytes(cur.array::<32>("tx_sigs")?);
            let s = U256::from_be_bytes(cur.array::<32>("tx_sigs")?);
            sigs.push((r, s));
        }

        let to_count = total.saturating_sub(contract_creation_bits.count_ones());
        let n_tos = check_fits(cur, to_count, ADDRESS_LEN as u64, "tx_tos")?;
        let mut tos = Vec::with_capacity(n_tos);
        for _ in 0..n_tos {
            tos.push(Address::from(cur.array::<ADDRESS_LEN>("tx_tos")?));
        }

        // Each entry, nonce and gas takes at least one byte.
        let n = check_fits(cur, total, 3, "tx_datas")?;
        let mut datas = Vec::with_capacity(n);
        let mut types = Vec::with_capacity(n);
        for index in 0..total {
            let (raw, ty) = read_raw(cur, index)?;
            datas.push(raw);
            types.push(ty);
        }
        let n = check_fits(cur, total, 2, "tx_nonces")?;
        let mut nonces = Vec::with_capacity(n);
        for _ in 0..n {
            nonces.push(cur.uvarint("tx_nonces")?);
        }
        let mut gases = Vec::with_capacity(n);
        for _ in 0..n {
            gases.push(cur.uvarint("tx_gases")?);
        }
        let legacy = types.iter().filter(|t| **t == LEGACY_TX_TYPE).count() as u64;
        let protected_bits = BitList::decode(cur, legacy, "protected_bits")?;
        Ok(Self {
            total,
            contract_creation_bits,
            y_parity_bits,
            sigs,
            tos,
            datas,
            types,
            nonces,
            gases,
            protected_bits,
        })
    }

    /// Appends the encoding.
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        self.contract_creation_bits.encode(out);
        self.y_parity_bits.encode(out);
        for (r, s) in &self.sigs {
            out.extend_from_slice(&r.to_be_bytes::<32>());
            out.extend_from_slice(&s.to_be_bytes::<32>());
        }
        for to in &self.tos {
            out.extend_from_slice(to.as_slice());
        }
        for d in &self.datas {
            out.extend_from_slice(d);
        }
        for n in &self.nonces {
            write_uvarint(out, *n);
        }
        for g in &self.gases {
            write_uvarint(out, *g);
        }
        self.protected_bits.encode(out);
    }

    /// Builds the columns from full EIP-2718 transactions.
    pub(crate) fn from_txs<'a>(
        txs: impl IntoIterator<Item = &'a Bytes>,
        chain_id: u64,
    ) -> Result<Self, BatchError> {
        let mut creation = Vec::new();
        let mut parity = Vec::new();
        let mut protected = Vec::new();
        let mut out = Self::default();
        for (index, raw) in txs.into_iter().enumerate() {
            let index = index as u64;
            let env = TxEnvelope::decode_2718_exact(raw)
                .map_err(|source| BatchError::TxDecode { index, source })?;
            let (data, parts) = SpanTxData::from_envelope(env, chain_id, index)?;
            creation.push(parts.to.is_none());
            parity.push(parts.signature.v());
            if data.tx_type() == LEGACY_TX_TYPE {
                protected.push(parts.protected);
            }
            out.sigs.push((parts.signature.r(), parts.signature.s()));
            if let Some(to) = parts.to {
                out.tos.push(to);
            }
            out.types.push(data.tx_type());
            out.datas.push(data.encode().into());
            out.nonces.push(parts.nonce);
            out.gases.push(parts.gas_limit);
        }
        out.total = out.types.len() as u64;
        if out.total > MAX_SPAN_BATCH_ELEMENT_COUNT {
            return Err(BatchError::TooManyElements {
                field: "total txs",
                count: out.total,
                limit: MAX_SPAN_BATCH_ELEMENT_COUNT,
            });
        }
        out.contract_creation_bits = BitList::from_bools(&creation);
        out.y_parity_bits = BitList::from_bools(&parity);
        out.protected_bits = BitList::from_bools(&protected);
        Ok(out)
    }

    /// The full EIP-2718 transactions, in order.
    ///
    /// Spec: protocol/delta/span-batches.md#span-batch-format; `v` recovery as op-node's
    /// `recoverV` (legacy: `27 + y` unprotected, `chain_id * 2 + 35 + y` protected).
    pub(crate) fn full_txs(&self, chain_id: u64) -> Result<Vec<Bytes>, BatchError> {
        let mut out = Vec::with_capacity(self.datas.len());
        let mut tos = self.tos.iter();
        let mut legacy_idx = 0u64;
        let rows = self
            .datas
            .iter()
            .zip(&self.sigs)
            .zip(self.nonces.iter().zip(&self.gases));
        for (i, ((raw, (r, s)), (nonce, gas))) in rows.enumerate() {
            let index = i as u64;
            let data = SpanTxData::parse(raw, index)?;
            let to = if self.contract_creation_bits.get(index) {
                None
            } else {
                Some(*tos.next().ok_or(BatchError::Truncated {
                    field: "tx_tos",
                    offset: 0,
                    needed: 1,
                    remaining: 0,
                })?)
            };
            let protected = if data.tx_type() == LEGACY_TX_TYPE {
                let p = self.protected_bits.get(legacy_idx);
                legacy_idx += 1;
                p
            } else {
                true
            };
            let signature = Signature::new(*r, *s, self.y_parity_bits.get(index));
            let parts = TxParts {
                nonce: *nonce,
                gas_limit: *gas,
                to,
                signature,
                protected,
            };
            out.push(
                data.into_envelope(parts, chain_id, index)?
                    .encoded_2718()
                    .into(),
            );
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_consensus::{Signed, TxEip7702, TxLegacy};
    use alloy_primitives::TxKind;

    fn sig(y: bool) -> Signature {
        Signature::new(U256::from(1), U256::from(2), y)
    }

    #[test]
    fn set_code_tx_cannot_be_a_creation() {
        let tx = TxEip7702 {
            chain_id: 5,
            to: Address::repeat_byte(3),
            ..Default::default()
        };
        let raw: Bytes = TxEnvelope::Eip7702(Signed::new_unhashed(tx, sig(true)))
            .encoded_2718()
            .into();
        let mut txs = SpanBatchTxs::from_txs([&raw], 5).unwrap();
        assert_eq!(txs.full_txs(5).unwrap(), vec![raw]);
        txs.contract_creation_bits = BitList::from_bools(&[true]);
        txs.tos.clear();
        assert!(matches!(
            txs.full_txs(5),
            Err(BatchError::SetCodeCreation { index: 0 })
        ));
    }

    #[test]
    fn legacy_v_follows_the_protected_bit() {
        let tx = TxLegacy {
            chain_id: Some(10),
            to: TxKind::Create,
            ..Default::default()
        };
        let protected: Bytes = TxEnvelope::Legacy(Signed::new_unhashed(tx.clone(), sig(true)))
            .encoded_2718()
            .into();
        let plain_tx = TxLegacy {
            chain_id: None,
            ..tx
        };
        let plain: Bytes = TxEnvelope::Legacy(Signed::new_unhashed(plain_tx, sig(false)))
            .encoded_2718()
            .into();
        let txs = SpanBatchTxs::from_txs([&protected, &plain], 10).unwrap();
        assert_eq!(
            txs.protected_bits.iter().collect::<Vec<_>>(),
            vec![true, false]
        );
        assert_eq!(
            txs.y_parity_bits.iter().collect::<Vec<_>>(),
            vec![true, false]
        );
        let full = txs.full_txs(10).unwrap();
        assert_eq!(full, vec![protected.clone(), plain.clone()]);
        // Default fields are six empty strings; then v, r = 1, s = 2. EIP-155: v = 10 * 2 + 35 + 1.
        let expect = |v: u8| {
            Bytes::from(vec![
                0xc9, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, v, 0x01, 0x02,
            ])
        };
        assert_eq!(full[0], expect(56));
        assert_eq!(full[1], expect(27));
        // A protected tx for another chain is refused; an unprotected one is chain-agnostic.
        assert!(matches!(
            SpanBatchTxs::from_txs([&protected], 11),
            Err(BatchError::ChainIdMismatch { .. })
        ));
        assert!(SpanBatchTxs::from_txs([&plain], 11).is_ok());
    }
}
