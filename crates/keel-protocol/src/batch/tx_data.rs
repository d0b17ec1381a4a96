//! A span batch's per-transaction `tx_datas` entry: the fields that are not split out into
//! their own columns (value, fees, data, access and authorization lists), and its conversion
//! to and from a full signed transaction.
//!
//! Spec: protocol/delta/span-batches.md#span-batch-format (`tx_datas`),
//! protocol/isthmus/derivation.md#span-batch-updates (type 4).

use alloy_consensus::{Signed, Transaction, TxEip1559, TxEip2930, TxEip7702, TxEnvelope, TxLegacy};
use alloy_eips::eip2930::AccessList;
use alloy_eips::eip7702::SignedAuthorization;
use alloy_primitives::{Address, Bytes, Signature, TxKind, U256};
use alloy_rlp::{Decodable, Encodable, Header};

use super::bits::Cursor;
use super::{BatchError, MAX_SPAN_BATCH_ELEMENT_COUNT};

/// EIP-2718 type of a legacy transaction.
pub(crate) const LEGACY_TX_TYPE: u8 = 0;
/// EIP-2930.
pub(crate) const EIP2930_TX_TYPE: u8 = 1;
/// EIP-1559.
pub(crate) const EIP1559_TX_TYPE: u8 = 2;
/// EIP-7702 (Isthmus).
pub(crate) const EIP7702_TX_TYPE: u8 = 4;

/// The decoded fields of one `tx_datas` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SpanTxData {
    /// `rlp_encode(value, gasPrice, data)`.
    Legacy {
        value: U256,
        gas_price: u128,
        data: Bytes,
    },
    /// `0x01 ++ rlp_encode(value, gasPrice, data, accessList)`.
    Eip2930 {
        value: U256,
        gas_price: u128,
        data: Bytes,
        access_list: AccessList,
    },
    /// `0x02 ++ rlp_encode(value, max_priority_fee_per_gas, max_fee_per_gas, data, access_list)`.
    Eip1559 {
        value: U256,
        max_priority_fee_per_gas: u128,
        max_fee_per_gas: u128,
        data: Bytes,
        access_list: AccessList,
    },
    /// `0x04 ++ rlp_encode(value, max_priority_fee_per_gas, max_fee_per_gas, data, access_list,
    /// authorization_list)`.
    Eip7702 {
        value: U256,
        max_priority_fee_per_gas: u128,
        max_fee_per_gas: u128,
        data: Bytes,
        access_list: AccessList,
        authorization_list: Vec<SignedAuthorization>,
    },
}

/// Reads one raw `tx_datas` entry (optional type byte, then one RLP list) and returns its bytes
/// and type. Only types 1, 2 and 4 may be prefixed; a first byte of `0xc0` or more is legacy.
/// The list's length is bounded by the remaining input and by `MAX_SPAN_BATCH_ELEMENT_COUNT`
/// bytes, op-node's cap on this RLP stream.
pub(crate) fn read_raw(cur: &mut Cursor<'_>, index: u64) -> Result<(Bytes, u8), BatchError> {
    let start = cur.offset();
    let rest = cur.rest();
    let &first = rest.first().ok_or(BatchError::Truncated {
        field: "tx_datas",
        offset: start,
        needed: 1,
        remaining: 0,
    })?;
    let (tx_type, prefix) = match first {
        EIP2930_TX_TYPE | EIP1559_TX_TYPE | EIP7702_TX_TYPE => (first, 1usize),
        0..=0x7f => {
            return Err(BatchError::UnsupportedTxType {
                index,
                tx_type: first,
            });
        }
        _ => (LEGACY_TX_TYPE, 0),
    };
    let mut list = rest.get(prefix..).unwrap_or_default();
    let before = list.len();
    let header =
        Header::decode(&mut list).map_err(|source| BatchError::TxDataRlp { index, source })?;
    if !header.list {
        return Err(BatchError::TxDataRlp {
            index,
            source: alloy_rlp::Error::UnexpectedString,
        });
    }
    if header.payload_length as u64 > MAX_SPAN_BATCH_ELEMENT_COUNT {
        return Err(BatchError::TooManyElements {
            field: "tx data length",
            count: header.payload_length as u64,
            limit: MAX_SPAN_BATCH_ELEMENT_COUNT,
        });
    }
    let total = prefix + (before - list.len()) + header.payload_length;
    let raw = cur.take(total, "tx_datas")?;
    Ok((Bytes::copy_from_slice(raw), tx_type))
}

fn field<T: Decodable>(buf: &mut &[u8], index: u64) -> Result<T, BatchError> {
    T::decode(buf).map_err(|source| BatchError::TxDataRlp { index, source })
}

impl SpanTxData {
    /// Parses a raw entry as returned by [`read_raw`]. The list must hold exactly its fields.
    pub(crate) fn parse(raw: &[u8], index: u64) -> Result<Self, BatchError> {
        let (tx_type, mut buf) = match raw.split_first() {
            Some((&t, rest)) if t <= 0x7f => (t, rest),
            _ => (LEGACY_TX_TYPE, raw),
        };
        let header =
            Header::decode(&mut buf).map_err(|source| BatchError::TxDataRlp { index, source })?;
        if !header.list {
            return Err(BatchError::TxDataRlp {
                index,
                source: alloy_rlp::Error::UnexpectedString,
            });
        }
        let (mut p, _) =
            buf.split_at_checked(header.payload_length)
                .ok_or(BatchError::TxDataRlp {
                    index,
                    source: alloy_rlp::Error::InputTooShort,
                })?;
        let p = &mut p;
        let out = match tx_type {
            LEGACY_TX_TYPE => Self::Legacy {
                value: field(p, index)?,
                gas_price: field(p, index)?,
                data: field(p, index)?,
            },
            EIP2930_TX_TYPE => Self::Eip2930 {
                value: field(p, index)?,
                gas_price: field(p, index)?,
                data: field(p, index)?,
                access_list: field(p, index)?,
            },
            EIP1559_TX_TYPE => Self::Eip1559 {
                value: field(p, index)?,
                max_priority_fee_per_gas: field(p, index)?,
                max_fee_per_gas: field(p, index)?,
                data: field(p, index)?,
                access_list: field(p, index)?,
            },
            EIP7702_TX_TYPE => Self::Eip7702 {
                value: field(p, index)?,
                max_priority_fee_per_gas: field(p, index)?,
                max_fee_per_gas: field(p, index)?,
                data: field(p, index)?,
                access_list: field(p, index)?,
                authorization_list: field(p, index)?,
            },
            other => {
                return Err(BatchError::UnsupportedTxType {
                    index,
                    tx_type: other,
                });
            }
        };
        if !p.is_empty() {
            return Err(BatchError::TxDataRlp {
                index,
                source: alloy_rlp::Error::ListLengthMismatch {
                    expected: header.payload_length,
                    got: header.payload_length - p.len(),
                },
            });
        }
        Ok(out)
    }

    /// EIP-2718 type.
    pub(crate) fn tx_type(&self) -> u8 {
        match self {
            Self::Legacy { .. } => LEGACY_TX_TYPE,
            Self::Eip2930 { .. } => EIP2930_TX_TYPE,
            Self::Eip1559 { .. } => EIP1559_TX_TYPE,
            Self::Eip7702 { .. } => EIP7702_TX_TYPE,
        }
    }

    /// Encodes the entry (type byte for typed transactions, then the RLP list).
    pub(crate) fn encode(&self) -> Vec<u8> {
        let fields: Vec<&dyn Encodable> = match self {
            Self::Legacy {
                value,
                gas_price,
                data,
            } => vec![value, gas_price, data],
            Self::Eip2930 {
                value,
                gas_price,
                data,
                access_list,
            } => vec![value, gas_price, data, access_list],
            Self::Eip1559 {
                value,
                max_priority_fee_per_gas,
                max_fee_per_gas,
                data,
                access_list,
            } => {
                vec![
                    value,
                    max_priority_fee_per_gas,
                    max_fee_per_gas,
                    data,
                    access_list,
                ]
            }
            Self::Eip7702 {
                value,
                max_priority_fee_per_gas,
                max_fee_per_gas,
                data,
                access_list,
                authorization_list,
            } => {
                vec![
                    value,
                    max_priority_fee_per_gas,
                    max_fee_per_gas,
                    data,
                    access_list,
                    authorization_list,
                ]
            }
        };
        let payload_length: usize = fields.iter().map(|f| f.length()).sum();
        let mut out = Vec::with_capacity(payload_length + 6);
        if self.tx_type() != LEGACY_TX_TYPE {
            out.push(self.tx_type());
        }
        Header {
            list: true,
            payload_length,
        }
        .encode(&mut out);
        for f in fields {
            f.encode(&mut out);
        }
        out
    }

    /// Assembles the full signed transaction.
    ///
    /// Legacy transactions are EIP-155 protected with `chain_id` when `protected` is set, else
    /// `v` is `27 + y_parity`; typed ones carry `chain_id` and `y_parity`, as op-node's
    /// `recoverV` does.
    pub(crate) fn into_envelope(
        self,
        parts: TxParts,
        chain_id: u64,
        index: u64,
    ) -> Result<TxEnvelope, BatchError> {
        let TxParts {
            nonce,
            gas_limit,
            to,
            signature,
            protected,
        } = parts;
        let kind = to.map_or(TxKind::Create, TxKind::Call);
        Ok(match self {
            Self::Legacy {
                value,
                gas_price,
                data,
            } => TxEnvelope::Legacy(Signed::new_unhashed(
                TxLegacy {
                    chain_id: protected.then_some(chain_id),
                    nonce,
                    gas_price,
                    gas_limit,
                    to: kind,
                    value,
                    input: data,
                },
                signature,
            )),
            Self::Eip2930 {
                value,
                gas_price,
                data,
                access_list,
            } => TxEnvelope::Eip2930(Signed::new_unhashed(
                TxEip2930 {
                    chain_id,
                    nonce,
                    gas_price,
                    gas_limit,
                    to: kind,
                    value,
                    input: data,
                    access_list,
                },
                signature,
            )),
            Self::Eip1559 {
                value,
                max_priority_fee_per_gas,
                max_fee_per_gas,
                data,
                access_list,
            } => TxEnvelope::Eip1559(Signed::new_unhashed(
                TxEip1559 {
                    chain_id,
                    nonce,
                    gas_limit,
                    max_fee_per_gas,
                    max_priority_fee_per_gas,
                    to: kind,
                    value,
                    access_list,
                    input: data,
                },
                signature,
            )),
            Self::Eip7702 {
                value,
                max_priority_fee_per_gas,
                max_fee_per_gas,
                data,
                access_list,
                authorization_list,
            } => {
                let to = to.ok_or(BatchError::SetCodeCreation { index })?;
                TxEnvelope::Eip7702(Signed::new_unhashed(
                    TxEip7702 {
                        chain_id,
                        nonce,
                        gas_limit,
                        max_fee_per_gas,
                        max_priority_fee_per_gas,
                        to,
                        value,
                        access_list,
                        authorization_list,
                        input: data,
                    },
                    signature,
                ))
            }
        })
    }

    /// Splits a full transaction into its span-batch columns.
    ///
    /// Protected transactions must be for `chain_id` (op-node's `AddTxs` check); blob and
    /// deposit transactions cannot be carried.
    pub(crate) fn from_envelope(
        env: TxEnvelope,
        chain_id: u64,
        index: u64,
    ) -> Result<(Self, TxParts), BatchError> {
        let check = |got: u64| {
            if got == chain_id {
                Ok(())
            } else {
                Err(BatchError::ChainIdMismatch {
                    index,
                    expected: chain_id,
                    got,
                })
            }
        };
        if env.is_eip4844() {
            return Err(BatchError::UnsupportedTxType { index, tx_type: 3 });
        }
        // The columns every type shares come from the envelope; only `tx_datas` differs.
        let parts = TxParts {
            nonce: env.nonce(),
            gas_limit: env.gas_limit(),
            to: env.kind().to().copied(),
            signature: *env.signature(),
            protected: env.chain_id().is_some(),
        };
        if let Some(id) = env.chain_id() {
            check(id)?;
        }
        let data = match env {
            TxEnvelope::Legacy(s) => {
                let tx = s.strip_signature();
                Self::Legacy {
                    value: tx.value,
                    gas_price: tx.gas_price,
                    data: tx.input,
                }
            }
            TxEnvelope::Eip2930(s) => {
                let tx = s.strip_signature();
                Self::Eip2930 {
                    value: tx.value,
                    gas_price: tx.gas_price,
                    data: tx.input,
                    access_list: tx.access_list,
                }
            }
            TxEnvelope::Eip1559(s) => {
                let tx = s.strip_signature();
                Self::Eip1559 {
                    value: tx.value,
                    max_priority_fee_per_gas: tx.max_priority_fee_per_gas,
                    max_fee_per_gas: tx.max_fee_per_gas,
                    data: tx.input,
                    access_list: tx.access_list,
                }
            }
            TxEnvelope::Eip7702(s) => {
                let tx = s.strip_signature();
                Self::Eip7702 {
                    value: tx.value,
                    max_priority_fee_per_gas: tx.max_priority_fee_per_gas,
                    max_fee_per_gas: tx.max_fee_per_gas,
                    data: tx.input,
                    access_list: tx.access_list,
                    authorization_list: tx.authorization_list,
                }
            }
            TxEnvelope::Eip4844(_) => {
                return Err(BatchError::UnsupportedTxType { index, tx_type: 3 });
            }
        };
        Ok((data, parts))
    }
}

/// The columns of a span-batch transaction other than its `tx_datas` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TxParts {
    pub(crate) nonce: u64,
    pub(crate) gas_limit: u64,
    /// `None` for a contract creation.
    pub(crate) to: Option<Address>,
    /// `r`, `s` and the y parity.
    pub(crate) signature: Signature,
    /// The `protected_bits` entry (meaningful for legacy transactions only).
    pub(crate) protected: bool,
}
