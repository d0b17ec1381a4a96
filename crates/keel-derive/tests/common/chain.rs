//! An in-memory L1 for the L1-stage tests: real signed transactions (k256), receipts with
//! `ConfigUpdate` logs, blocks linked by hash, and a small driver that runs traversal,
//! retrieval, frame queue and channel stage the way op-node's pipeline pulls them.

use std::sync::Arc;

use alloy_consensus::{
    Header, Receipt, ReceiptEnvelope, ReceiptWithBloom, SignableTransaction, Signed, TxEip1559,
    TxEip4844, TxEip4844Variant, TxEip7702, TxEnvelope, TxLegacy,
};
use alloy_primitives::{Address, B128, B256, Bloom, Bytes, Log, LogData, Signature, TxKind, U256};
use k256::ecdsa::SigningKey;
use keel_derive::{
    error::DeriveError,
    stages::{
        channel_bank::ReadyChannel,
        channel_stage::ChannelStage,
        frame_queue::FrameQueue,
        retrieval::{batcher_data, resolve},
        traversal::L1Traversal,
    },
    types::{L1BlockInput, L1BlockRef},
};
use keel_protocol::{
    blob::{BLOB_SIZE, encode_blob, kzg_commitment, versioned_hash},
    config_update::{CONFIG_UPDATE_TOPIC, UpdateType},
    frame::{Frame, encode_frames},
    hardfork::HardforkTimes,
    rollup_config::RollupConfig,
    system_config::SystemConfig,
};

/// L1 chain id of the test chain.
pub const L1_CHAIN_ID: u64 = 900;
/// Batch inbox of the test chain.
pub const INBOX: Address = Address::repeat_byte(0xff);
/// L1 SystemConfig contract of the test chain.
pub const SYS_CFG: Address = Address::repeat_byte(0x5c);
/// Seconds between test L1 blocks.
pub const L1_BLOCK_TIME: u64 = 12;

/// A deterministic signing key.
pub fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n.max(1); 32].into()).unwrap()
}

/// The address of `key`.
pub fn addr(key: &SigningKey) -> Address {
    Address::from_private_key(key)
}

/// Signs `tx` with `key`.
pub fn sign<T: SignableTransaction<Signature>>(tx: T, key: &SigningKey) -> Signed<T> {
    let hash = tx.signature_hash();
    let (sig, recid) = key.sign_prehash_recoverable(hash.as_slice()).unwrap();
    tx.into_signed(Signature::from((sig, recid)))
}

/// An EIP-1559 transaction to `to` carrying `data`, signed by `key` for `chain_id`.
pub fn tx_1559(key: &SigningKey, chain_id: u64, to: Address, data: &[u8]) -> TxEnvelope {
    let tx = TxEip1559 {
        chain_id,
        to: TxKind::Call(to),
        input: Bytes::copy_from_slice(data),
        gas_limit: 1_000_000,
        ..Default::default()
    };
    TxEnvelope::Eip1559(sign(tx, key))
}

/// A legacy EIP-155 transaction to `to` carrying `data`.
pub fn tx_legacy(key: &SigningKey, to: Address, data: &[u8]) -> TxEnvelope {
    let tx = TxLegacy {
        chain_id: Some(L1_CHAIN_ID),
        to: TxKind::Call(to),
        input: Bytes::copy_from_slice(data),
        gas_limit: 1_000_000,
        ..Default::default()
    };
    TxEnvelope::Legacy(sign(tx, key))
}

/// An EIP-7702 transaction to `to` carrying `data`.
pub fn tx_7702(key: &SigningKey, to: Address, data: &[u8]) -> TxEnvelope {
    let tx = TxEip7702 {
        chain_id: L1_CHAIN_ID,
        to,
        input: Bytes::copy_from_slice(data),
        gas_limit: 1_000_000,
        ..Default::default()
    };
    TxEnvelope::Eip7702(sign(tx, key))
}

/// A blob transaction to `to` with `hashes` and (ignored from Ecotone) `calldata`.
pub fn tx_blob(key: &SigningKey, to: Address, hashes: Vec<B256>, calldata: &[u8]) -> TxEnvelope {
    let tx = TxEip4844 {
        chain_id: L1_CHAIN_ID,
        to,
        input: Bytes::copy_from_slice(calldata),
        blob_versioned_hashes: hashes,
        gas_limit: 1_000_000,
        ..Default::default()
    };
    let signed = sign(tx, key);
    let (tx, sig, hash) = signed.into_parts();
    TxEnvelope::Eip4844(Signed::new_unchecked(
        TxEip4844Variant::TxEip4844(tx),
        sig,
        hash,
    ))
}

/// A blob carrying `data` and its versioned hash.
pub fn blob(data: &[u8]) -> (Box<[u8; BLOB_SIZE]>, B256) {
    let blob = encode_blob(data).unwrap();
    let hash = versioned_hash(&kzg_commitment(&blob).unwrap().0);
    (blob, hash)
}

/// A receipt with `status` and `logs`.
pub fn receipt(status: bool, logs: Vec<Log>) -> ReceiptEnvelope {
    ReceiptEnvelope::Eip1559(ReceiptWithBloom {
        receipt: Receipt {
            status: status.into(),
            cumulative_gas_used: 0,
            logs,
        },
        logs_bloom: Bloom::default(),
    })
}

/// A `ConfigUpdate` log of the test SystemConfig setting the batcher to `batcher`.
pub fn batcher_update_log(batcher: Address) -> Log {
    let word = |v: U256| B256::from(v.to_be_bytes::<32>());
    let mut data = Vec::new();
    data.extend_from_slice(word(U256::from(32)).as_slice());
    data.extend_from_slice(word(U256::from(32)).as_slice());
    data.extend_from_slice(B256::left_padding_from(batcher.as_slice()).as_slice());
    Log {
        address: SYS_CFG,
        data: LogData::new_unchecked(
            vec![CONFIG_UPDATE_TOPIC, B256::ZERO, UpdateType::Batcher.topic()],
            data.into(),
        ),
    }
}

/// The test rollup config: every fork through Delta from genesis; Ecotone, Granite and
/// Holocene at the given L1 timestamps (`None`: never).
pub fn config(ecotone: Option<u64>, granite: Option<u64>, holocene: Option<u64>) -> RollupConfig {
    RollupConfig {
        l1_chain_id: L1_CHAIN_ID,
        l2_chain_id: 901,
        block_time: 2,
        seq_window_size: 3600,
        channel_timeout: 300,
        batch_inbox_address: INBOX,
        l1_system_config_address: SYS_CFG,
        hardforks: HardforkTimes {
            regolith_time: Some(0),
            canyon_time: Some(0),
            delta_time: Some(0),
            ecotone_time: ecotone,
            fjord_time: ecotone,
            granite_time: granite,
            holocene_time: holocene,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The genesis L1 block reference the tests start from.
pub fn genesis() -> L1BlockRef {
    L1BlockRef {
        hash: B256::repeat_byte(0x01),
        number: 100,
        parent_hash: B256::ZERO,
        timestamp: 1_000,
    }
}

/// A system config whose batcher is `batcher`.
pub fn sys(batcher: Address) -> SystemConfig {
    SystemConfig {
        batcher_addr: batcher,
        gas_limit: 30_000_000,
        ..Default::default()
    }
}

/// Builds L1 blocks on top of each other.
#[derive(Debug, Clone)]
pub struct ChainBuilder {
    /// The last block built (or the genesis).
    pub head: L1BlockRef,
}

impl ChainBuilder {
    /// A builder on top of [`genesis`].
    pub fn new() -> Self {
        Self { head: genesis() }
    }

    /// The next block with `txs`, all receipts successful and without logs.
    pub fn block(&mut self, txs: Vec<TxEnvelope>) -> L1BlockInput {
        let receipts = txs.iter().map(|_| receipt(true, vec![])).collect();
        self.block_with(txs, receipts)
    }

    /// The next block with `txs` and `receipts`.
    pub fn block_with(
        &mut self,
        txs: Vec<TxEnvelope>,
        receipts: Vec<ReceiptEnvelope>,
    ) -> L1BlockInput {
        let header = Header {
            parent_hash: self.head.hash,
            number: self.head.number + 1,
            timestamp: self.head.timestamp + L1_BLOCK_TIME,
            ..Default::default()
        };
        let block = L1BlockInput::new(header, txs, receipts);
        self.head = block.block_ref;
        block
    }

    /// An empty next block.
    pub fn empty(&mut self) -> L1BlockInput {
        self.block(vec![])
    }
}

/// A channel id from a byte.
pub fn cid(n: u8) -> B128 {
    B128::repeat_byte(n)
}

/// A frame of channel `id`.
pub fn frame(id: u8, number: u16, data: &[u8], is_last: bool) -> Frame {
    Frame {
        channel_id: cid(id),
        number,
        data: Bytes::copy_from_slice(data),
        is_last,
    }
}

/// Batcher-transaction data holding `frames`.
pub fn payload(frames: &[Frame]) -> Vec<u8> {
    encode_frames(frames)
}

/// Splits `data` into `n` frames of channel `id` (the last one closing).
pub fn split(id: u8, data: &[u8], n: usize) -> Vec<Frame> {
    let n = n.max(1);
    let chunk = data.len().div_ceil(n).max(1);
    let mut frames: Vec<Frame> = data
        .chunks(chunk)
        .enumerate()
        .map(|(i, c)| frame(id, i as u16, c, false))
        .collect();
    while frames.len() < n {
        let i = frames.len() as u16;
        frames.push(frame(id, i, b"", false));
    }
    if let Some(last) = frames.last_mut() {
        last.is_last = true;
    }
    frames
}

/// The L1 side of the pipeline, driven as op-node pulls it: advance the origin, read the
/// block's batcher data in order, push one transaction's data at a time into the frame queue
/// and drain every channel it completes before the next.
#[derive(Debug)]
pub struct L1Side {
    /// The rollup config.
    pub cfg: Arc<RollupConfig>,
    /// L1 traversal.
    pub traversal: L1Traversal,
    /// Frame queue.
    pub frames: FrameQueue,
    /// Channel bank / assembler.
    pub channels: ChannelStage,
}

impl L1Side {
    /// Stages positioned at `origin` with `system_config`.
    pub fn new(cfg: RollupConfig, origin: L1BlockRef, system_config: SystemConfig) -> Self {
        let cfg = Arc::new(cfg);
        Self {
            traversal: L1Traversal::new(Arc::clone(&cfg), origin, system_config),
            frames: FrameQueue::new(Arc::clone(&cfg)),
            channels: ChannelStage::new(Arc::clone(&cfg)),
            cfg,
        }
    }

    /// Feeds one L1 block (with the blobs its batcher transactions reference, in order) and
    /// returns the channels read at this origin.
    pub fn feed(
        &mut self,
        block: &L1BlockInput,
        blobs: &[Box<[u8; BLOB_SIZE]>],
    ) -> Result<Vec<ReadyChannel>, DeriveError> {
        self.traversal.advance(block)?;
        let batcher = self.traversal.system_config().batcher_addr;
        let items = batcher_data(block, &self.cfg, batcher);
        let resolved = resolve(items, blobs)?;
        let origin = self.traversal.origin();
        let mut out = Vec::new();
        // Timeouts and ready channels at the new origin come before its first frame.
        while let Some(ch) = self.channels.next_channel(&mut self.frames, origin) {
            out.push(ch);
        }
        for data in &resolved.data {
            let _ = self.frames.push(data, origin);
            while let Some(ch) = self.channels.next_channel(&mut self.frames, origin) {
                out.push(ch);
            }
        }
        Ok(out)
    }
}
