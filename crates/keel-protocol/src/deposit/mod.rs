//! User deposits: the L1 `OptimismPortal`'s `TransactionDeposited` logs, turned into L2
//! deposit transactions.
//!
//! Spec: protocol/deposits.md#deposit-contract and
//! protocol/deposits.md#user-deposited-transactions.
//!
//! The decoder accepts exactly what op-node's `UnmarshalDepositLogEvent` accepts and rejects
//! exactly what it rejects, because a deposit that one node derives and another drops is a
//! chain split. Where op-node is lenient (it does not look at the upper 12 bytes of the
//! `from`/`to` topics, and it treats any non-zero `isCreation` byte as "create"), so is this
//! decoder; the leniency is documented on each rule.
//!
//! - `opaque`: the version-0 `opaqueData` packing ([`OpaqueDataV0`]).
//! - `scan`: finding the deposit logs in an L1 block's receipts ([`scan_user_deposits`],
//!   [`user_deposits`]).

mod opaque;
mod scan;

pub use opaque::{OPAQUE_DATA_V0_MIN_LEN, OpaqueDataError, OpaqueDataV0};
pub use scan::{
    DepositScan, MalformedDepositLog, UserDepositsError, scan_user_deposits, user_deposits,
};

use alloy_primitives::{Address, B256, Bytes, Log, LogData, TxKind, U256, b256};
use op_alloy_consensus::{TxDeposit, UserDepositSource};

/// `keccak256("TransactionDeposited(address,address,uint256,bytes)")`: topic 0 of every
/// deposit log.
///
/// Spec: protocol/deposits.md#deposit-contract
pub const DEPOSIT_EVENT_TOPIC: B256 =
    b256!("0xb3813568d9991fc951961fcb4c784893574240a28925604d09fc577c55bb7c32");

/// The only `version` (topic 3) the protocol defines: opaque data layout version 0.
///
/// Spec: protocol/deposits.md#deposit-contract
pub const DEPOSIT_EVENT_VERSION_0: B256 = B256::ZERO;

/// Why a `TransactionDeposited` log does not decode into a deposit.
///
/// The checks and their order are op-node's (`UnmarshalDepositLogEvent`), so the same log
/// fails for the same reason in both.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DepositLogError {
    /// The log does not have the four topics (event id, from, to, version).
    #[error("expected 4 topics (event id, from, to, version), got {0}")]
    TopicCount(usize),
    /// Topic 0 is not the `TransactionDeposited` event id.
    #[error("topic 0 is {0}, not the TransactionDeposited event id")]
    WrongEvent(B256),
    /// The ABI head (offset word and length word) is incomplete.
    #[error("log data is {0} bytes, shorter than the 64-byte ABI head of `opaqueData`")]
    DataTooShort(usize),
    /// ABI-encoded event data is always a whole number of 32-byte words.
    #[error("log data is {0} bytes, not a multiple of 32")]
    DataNotWordAligned(usize),
    /// The offset of `opaqueData` must be 32: it is the only dynamic argument.
    #[error("opaqueData offset word is {0}, expected 32")]
    BadOffset(U256),
    /// The length word is larger than the data that follows it, or the data carries more
    /// than the minimal zero padding after it.
    #[error(
        "opaqueData length {length} does not fit the {available} bytes after the ABI head minimally"
    )]
    BadLength {
        /// Length word as found.
        length: U256,
        /// Bytes present after the 64-byte head.
        available: usize,
    },
    /// The version topic is not 0.
    #[error("unsupported deposit version {0}")]
    UnsupportedVersion(B256),
    /// The version-0 opaque data is malformed.
    #[error("opaque data (version 0): {0}")]
    Opaque(#[from] OpaqueDataError),
}

/// Decodes a `TransactionDeposited` log into the deposit transaction it requests.
///
/// `l1_block_hash` and `log_index` (the log's index within the whole L1 block, as in a
/// JSON-RPC log's `logIndex`) make the deposit's source hash.
///
/// The log's emitter address is not checked here; [`scan_user_deposits`] filters by the
/// deposit contract before calling this, as op-node does. When `isCreation` is set, the `to`
/// topic is ignored whatever it holds (op-node does not require it to be zero).
///
/// Spec: protocol/deposits.md#deposit-contract,
/// protocol/deposits.md#source-hash-computation. Size bound: the data must be exactly the
/// minimal ABI encoding of one `bytes` argument, so nothing beyond `64 + len` rounded up to a
/// word is accepted.
pub fn decode_deposit_log(
    log: &Log,
    l1_block_hash: B256,
    log_index: u64,
) -> Result<TxDeposit, DepositLogError> {
    let topics = log.topics();
    let [event, from, to, version] = topics else {
        return Err(DepositLogError::TopicCount(topics.len()));
    };
    if *event != DEPOSIT_EVENT_TOPIC {
        return Err(DepositLogError::WrongEvent(*event));
    }
    let opaque = opaque_data_of(&log.data.data)?;
    // op-node reads the addresses from the low 20 bytes and ignores the padding; so must we.
    let from = Address::from_word(*from);
    let to = Address::from_word(*to);
    if *version != DEPOSIT_EVENT_VERSION_0 {
        return Err(DepositLogError::UnsupportedVersion(*version));
    }
    let fields = OpaqueDataV0::decode(opaque)?;
    let mint =
        u128::try_from(fields.mint).map_err(|_| OpaqueDataError::MintTooLarge(fields.mint))?;
    Ok(TxDeposit {
        source_hash: UserDepositSource::new(l1_block_hash, log_index).source_hash(),
        from,
        to: if fields.is_creation {
            TxKind::Create
        } else {
            TxKind::Call(to)
        },
        mint,
        value: fields.value,
        gas_limit: fields.gas,
        is_system_transaction: false,
        input: fields.data,
    })
}

/// Extracts the `opaqueData` bytes from the ABI-encoded event data, with op-node's checks.
/// The content of the zero padding after the bytes is not checked, as in op-node.
fn opaque_data_of(data: &[u8]) -> Result<&[u8], DepositLogError> {
    let Some((head, rest)) = data.split_at_checked(64) else {
        return Err(DepositLogError::DataTooShort(data.len()));
    };
    if !data.len().is_multiple_of(32) {
        return Err(DepositLogError::DataNotWordAligned(data.len()));
    }
    let (offset_word, length_word) = head.split_at(32);
    let offset = U256::from_be_slice(offset_word);
    if offset != U256::from(32) {
        return Err(DepositLogError::BadOffset(offset));
    }
    let length = U256::from_be_slice(length_word);
    let bad_length = || DepositLogError::BadLength {
        length,
        available: rest.len(),
    };
    let len = usize::try_from(length).map_err(|_| bad_length())?;
    // The content must fit, and the padding after it must be less than a whole word.
    if len > rest.len()
        || len
            .checked_add(32)
            .is_none_or(|padded| padded <= rest.len())
    {
        return Err(bad_length());
    }
    rest.get(..len).ok_or_else(bad_length)
}

/// Encodes a deposit as the `TransactionDeposited` log the deposit contract would emit for
/// it (opaque data version 0), for tests and the devnet's embedded L1.
///
/// The result decodes back to `tx` with [`decode_deposit_log`] given the same source
/// (block hash and log index) and the tx's fields. `tx.source_hash` and
/// `tx.is_system_transaction` are not part of the log.
///
/// Spec: protocol/deposits.md#deposit-contract
pub fn encode_deposit_log(deposit_contract: Address, tx: &TxDeposit) -> Log {
    let to_topic = match tx.to {
        TxKind::Call(to) => to.into_word(),
        TxKind::Create => B256::ZERO,
    };
    let opaque = OpaqueDataV0 {
        mint: U256::from(tx.mint),
        value: tx.value,
        gas: tx.gas_limit,
        is_creation: tx.to.is_create(),
        data: tx.input.clone(),
    }
    .encode();
    let padded = opaque.len().div_ceil(32) * 32;
    let mut data = Vec::with_capacity(64 + padded);
    data.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    data.extend_from_slice(&U256::from(opaque.len()).to_be_bytes::<32>());
    data.extend_from_slice(&opaque);
    data.resize(64 + padded, 0);
    Log {
        address: deposit_contract,
        data: LogData::new_unchecked(
            vec![
                DEPOSIT_EVENT_TOPIC,
                tx.from.into_word(),
                to_topic,
                DEPOSIT_EVENT_VERSION_0,
            ],
            Bytes::from(data),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{address, keccak256};

    #[test]
    fn event_topic_is_the_event_signature_hash() {
        assert_eq!(
            DEPOSIT_EVENT_TOPIC,
            keccak256("TransactionDeposited(address,address,uint256,bytes)")
        );
    }

    fn sample() -> TxDeposit {
        TxDeposit {
            source_hash: B256::ZERO,
            from: address!("0x1111111111111111111111111111111111111111"),
            to: TxKind::Call(address!("0x2222222222222222222222222222222222222222")),
            mint: 7,
            value: U256::from(9),
            gas_limit: 21_000,
            is_system_transaction: false,
            input: Bytes::from_static(&[1, 2, 3]),
        }
    }

    #[test]
    fn encode_then_decode_is_identity() {
        let tx = sample();
        let log = encode_deposit_log(Address::ZERO, &tx);
        assert_eq!(log.data.data.len(), 64 + 96);
        let hash = B256::repeat_byte(3);
        let back = decode_deposit_log(&log, hash, 5).unwrap();
        let expected = TxDeposit {
            source_hash: UserDepositSource::new(hash, 5).source_hash(),
            ..tx
        };
        assert_eq!(back, expected);
    }

    #[test]
    fn rejects_extra_padding_word() {
        let mut log = encode_deposit_log(Address::ZERO, &sample());
        let mut data = log.data.data.to_vec();
        data.extend_from_slice(&[0; 32]);
        log.data = LogData::new_unchecked(log.data.topics().to_vec(), data.into());
        assert!(matches!(
            decode_deposit_log(&log, B256::ZERO, 0),
            Err(DepositLogError::BadLength { .. })
        ));
    }

    #[test]
    fn rejects_bad_offset_version_and_topics() {
        let good = encode_deposit_log(Address::ZERO, &sample());
        let mut data = good.data.data.to_vec();
        data[31] = 64;
        let log = Log::new_unchecked(Address::ZERO, good.data.topics().to_vec(), data.into());
        assert_eq!(
            decode_deposit_log(&log, B256::ZERO, 0),
            Err(DepositLogError::BadOffset(U256::from(64)))
        );
        let mut topics = good.data.topics().to_vec();
        topics[3] = B256::with_last_byte(1);
        let log = Log::new_unchecked(Address::ZERO, topics, good.data.data.clone());
        assert_eq!(
            decode_deposit_log(&log, B256::ZERO, 0),
            Err(DepositLogError::UnsupportedVersion(B256::with_last_byte(1)))
        );
        let log = Log::new_unchecked(
            Address::ZERO,
            good.data.topics()[..3].to_vec(),
            good.data.data.clone(),
        );
        assert_eq!(
            decode_deposit_log(&log, B256::ZERO, 0),
            Err(DepositLogError::TopicCount(3))
        );
        let mut topics = good.data.topics().to_vec();
        topics[0] = B256::ZERO;
        let log = Log::new_unchecked(Address::ZERO, topics, good.data.data.clone());
        assert_eq!(
            decode_deposit_log(&log, B256::ZERO, 0),
            Err(DepositLogError::WrongEvent(B256::ZERO))
        );
    }

    #[test]
    fn upper_topic_bytes_are_ignored_like_op_node() {
        let good = encode_deposit_log(Address::ZERO, &sample());
        let mut topics = good.data.topics().to_vec();
        topics[1].0[0] = 0xff;
        let log = Log::new_unchecked(Address::ZERO, topics, good.data.data.clone());
        let tx = decode_deposit_log(&log, B256::ZERO, 0).unwrap();
        assert_eq!(tx.from, sample().from);
    }

    #[test]
    fn padding_content_is_not_checked_like_op_node() {
        let good = encode_deposit_log(Address::ZERO, &sample());
        let mut data = good.data.data.to_vec();
        *data.last_mut().unwrap() = 0x27;
        let log = Log::new_unchecked(Address::ZERO, good.data.topics().to_vec(), data.into());
        assert_eq!(
            decode_deposit_log(&log, B256::ZERO, 0).unwrap().input,
            sample().input
        );
    }

    #[test]
    fn mint_beyond_u128_is_rejected() {
        let opaque = OpaqueDataV0 {
            mint: U256::from(u128::MAX) + U256::from(1),
            value: U256::ZERO,
            gas: 0,
            is_creation: false,
            data: Bytes::new(),
        }
        .encode();
        let mut data = U256::from(32).to_be_bytes::<32>().to_vec();
        data.extend_from_slice(&U256::from(opaque.len()).to_be_bytes::<32>());
        data.extend_from_slice(&opaque);
        data.resize(64 + opaque.len().div_ceil(32) * 32, 0);
        let topics = vec![DEPOSIT_EVENT_TOPIC, B256::ZERO, B256::ZERO, B256::ZERO];
        let log = Log::new_unchecked(Address::ZERO, topics, data.into());
        assert!(matches!(
            decode_deposit_log(&log, B256::ZERO, 0),
            Err(DepositLogError::Opaque(OpaqueDataError::MintTooLarge(_)))
        ));
    }
}
