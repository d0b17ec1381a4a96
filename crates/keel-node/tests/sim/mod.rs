//! A simulated world for driver tests: an in-memory L1 whose blocks appear when the
//! (paused, tokio-driven) clock reaches their timestamps, a dev rollup config, embedded L2
//! engines called in process, and a hand-rolled batcher (one channel, calldata).
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::sync::{Arc, Mutex};

use alloy_consensus::{
    Header, Receipt, ReceiptEnvelope, ReceiptWithBloom, Sealable, Sealed, SignableTransaction,
    TxEip1559, TxEnvelope,
};
use alloy_eips::{BlockNumberOrTag, eip2718::Encodable2718};
use alloy_primitives::{Address, B256, Bloom, Bytes, TxKind, U256, address};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use keel_derive::types::{L1BlockInput, L1BlockRef};
use keel_devchain::{
    chain::{Chain, ChainConfig},
    engine_server::InProcessEngine,
    genesis::{
        DEV_PRIVATE_KEYS, DevGenesisConfig, build_genesis, dev_system_config,
        seal_dev_rollup_config,
    },
};
use keel_engine::client::EngineClient;
use keel_node::{
    driver::{
        Driver, DriverConfig, NoHooks,
        sources::{Clock, L1Heads, L1Source, SourceError, TokioClock},
    },
    sources::{in_process::InProcessTransport, rpc::RpcL2},
};
use keel_protocol::{
    batch::SingleBatch,
    blob::BLOB_SIZE,
    channel_builder::{BatchKind, ChannelBuilder, ChannelConfig},
    compression::CompressionAlgo,
    frame::{DERIVATION_VERSION_0, encode_frames},
    hardfork::{Hardfork, HardforkTimes},
    rollup_config::RollupConfig,
    system_config::SystemConfig,
};
use op_alloy_consensus::OpTxEnvelope;

pub const GENESIS_TIME: u64 = 1_700_000_000;
pub const L1_BLOCK_TIME: u64 = 12;
pub const L1_CHAIN_ID: u64 = 900;
pub const BATCH_INBOX: Address = address!("0xff00000000000000000000000000000000000901");

pub fn batcher_key() -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&DEV_PRIVATE_KEYS[9]).unwrap()
}

fn l1_header(number: u64, parent_hash: B256, timestamp: u64) -> Sealed<Header> {
    Header {
        parent_hash,
        number,
        timestamp,
        gas_limit: 30_000_000,
        base_fee_per_gas: Some(7),
        mix_hash: B256::repeat_byte(number as u8),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::repeat_byte(0xbe)),
        withdrawals_root: Some(B256::ZERO),
        requests_hash: Some(B256::ZERO),
        ..Default::default()
    }
    .seal_slow()
}

/// L1 blocks, each visible once the clock reaches its timestamp.
#[derive(Clone)]
pub struct FakeL1 {
    pub blocks: Arc<Mutex<Vec<L1BlockInput>>>,
    pub clock: TokioClock,
    /// How far finalized lags the head.
    pub finality_lag: u64,
}

impl FakeL1 {
    /// `count` empty blocks from the genesis (number 0 at `GENESIS_TIME`).
    pub fn new(clock: TokioClock, count: u64) -> Self {
        let l1 = Self {
            blocks: Arc::new(Mutex::new(Vec::new())),
            clock,
            finality_lag: 4,
        };
        l1.rebuild_from(0, count, &[]);
        l1
    }

    /// Replaces blocks `from..count` with fresh ones, `txs` in block `from`.
    pub fn rebuild_from(&self, from: u64, count: u64, txs: &[TxEnvelope]) {
        let mut blocks = self.blocks.lock().unwrap();
        blocks.truncate(from as usize);
        for n in from..count {
            let parent = blocks.last().map_or(B256::ZERO, |b| b.block_ref.hash);
            let body: Vec<TxEnvelope> = if n == from { txs.to_vec() } else { Vec::new() };
            let receipts = body
                .iter()
                .enumerate()
                .map(|(i, _)| {
                    ReceiptEnvelope::Eip1559(ReceiptWithBloom {
                        receipt: Receipt {
                            status: true.into(),
                            cumulative_gas_used: 100_000 * (i as u64 + 1),
                            logs: Vec::new(),
                        },
                        logs_bloom: Bloom::ZERO,
                    })
                })
                .collect();
            let header = l1_header(n, parent, GENESIS_TIME + L1_BLOCK_TIME * n);
            blocks.push(L1BlockInput::new(header.into_inner(), body, receipts));
        }
    }

    pub fn block(&self, n: u64) -> L1BlockInput {
        self.blocks.lock().unwrap()[n as usize].clone()
    }

    fn visible(&self) -> Vec<L1BlockInput> {
        let now = self.clock.now_ms();
        self.blocks
            .lock()
            .unwrap()
            .iter()
            .filter(|b| b.block_ref.timestamp * 1000 <= now)
            .cloned()
            .collect()
    }
}

impl L1Source for FakeL1 {
    async fn heads(&self) -> Result<L1Heads, SourceError> {
        let visible = self.visible();
        let head = visible.last().map(|b| b.block_ref).unwrap_or_default();
        let fin = visible
            .get(head.number.saturating_sub(self.finality_lag) as usize)
            .map(|b| b.block_ref)
            .unwrap_or_default();
        Ok(L1Heads {
            head,
            safe: head,
            finalized: fin,
        })
    }

    async fn block_ref_by_number(&self, number: u64) -> Result<Option<L1BlockRef>, SourceError> {
        Ok(self.visible().get(number as usize).map(|b| b.block_ref))
    }

    async fn block_ref_by_hash(&self, hash: B256) -> Result<Option<L1BlockRef>, SourceError> {
        Ok(self
            .visible()
            .iter()
            .find(|b| b.block_ref.hash == hash)
            .map(|b| b.block_ref))
    }

    async fn block_input(&self, number: u64) -> Result<Option<L1BlockInput>, SourceError> {
        Ok(self.visible().get(number as usize).cloned())
    }

    async fn epoch(
        &self,
        hash: B256,
        receipts: bool,
    ) -> Result<(Sealed<Header>, Option<Vec<ReceiptEnvelope>>), SourceError> {
        let b = self
            .visible()
            .into_iter()
            .find(|b| b.block_ref.hash == hash)
            .ok_or_else(|| SourceError::temporary("L1", format!("no block {hash}")))?;
        Ok((
            Sealed::new_unchecked(b.header, hash),
            receipts.then_some(b.receipts),
        ))
    }

    async fn blobs(
        &self,
        _block: L1BlockRef,
        _hashes: &[B256],
        _indices: &[u64],
    ) -> Result<Vec<Box<[u8; BLOB_SIZE]>>, SourceError> {
        Err(SourceError::temporary(
            "L1 beacon",
            "no blobs in this simulation",
        ))
    }
}

/// The dev rollup config (every fork through Jovian at genesis, 2 s blocks) on `l1`'s
/// genesis block.
pub fn rollup_config(l1: &FakeL1) -> RollupConfig {
    let mut cfg = RollupConfig {
        block_time: 2,
        max_sequencer_drift: 1800,
        seq_window_size: 3600,
        channel_timeout: 300,
        l1_chain_id: L1_CHAIN_ID,
        l2_chain_id: 901,
        batch_inbox_address: BATCH_INBOX,
        hardforks: HardforkTimes::all_through(Hardfork::Jovian),
        deposit_contract_address: address!("0xDe00000000000000000000000000000000000001"),
        l1_system_config_address: address!("0x5C00000000000000000000000000000000000001"),
        ..Default::default()
    };
    cfg.genesis.l2_time = GENESIS_TIME;
    cfg.genesis.system_config = SystemConfig {
        batcher_addr: batcher_key().address(),
        ..dev_system_config()
    };
    cfg.genesis.l1 = l1.block(0).block_ref.id();
    seal_dev_rollup_config(&mut cfg).unwrap();
    cfg
}

/// A fresh embedded engine at the chain's genesis.
pub fn engine(cfg: &RollupConfig) -> InProcessEngine {
    let genesis = build_genesis(&DevGenesisConfig::from_rollup_config(cfg)).unwrap();
    InProcessEngine::new(Chain::new(cfg.clone(), genesis, ChainConfig::default())).unwrap()
}

pub type SimDriver = Driver<
    FakeL1,
    RpcL2<InProcessTransport>,
    EngineClient<InProcessTransport>,
    TokioClock,
    NoHooks,
>;

pub fn driver(
    cfg: DriverConfig,
    l1: FakeL1,
    engine: &InProcessEngine,
    clock: TokioClock,
) -> SimDriver {
    let forks = cfg.rollup.hardforks;
    let l2 = RpcL2(EngineClient::with_transport(
        InProcessTransport(engine.clone()),
        forks,
    ));
    let client = EngineClient::with_transport(InProcessTransport(engine.clone()), forks);
    Driver::new(cfg, l1, l2, client, clock, NoHooks)
}

/// The canonical L2 blocks `1..=last` of `engine` as singular batches.
pub async fn batches(
    engine: &InProcessEngine,
    cfg: &RollupConfig,
    last: u64,
) -> Vec<(SingleBatch, u64)> {
    let mut out = Vec::new();
    for n in 1..=last {
        let (hash, block) = l2_block(engine, n).await;
        let block_ref = keel_derive::l2::block_ref_from_block(cfg, hash, &block).unwrap();
        let transactions = block
            .body
            .transactions
            .iter()
            .filter(|tx| !matches!(tx, OpTxEnvelope::Deposit(_)))
            .map(|tx| Bytes::from(tx.encoded_2718()))
            .collect();
        out.push((
            SingleBatch {
                parent_hash: block.header.parent_hash,
                epoch_num: block_ref.l1_origin.number,
                epoch_hash: block_ref.l1_origin.hash,
                timestamp: block.header.timestamp,
                transactions,
            },
            block_ref.sequence_number,
        ));
    }
    out
}

/// The engine's canonical block `n` and its hash.
pub async fn l2_block(engine: &InProcessEngine, n: u64) -> (B256, op_alloy_consensus::OpBlock) {
    let value = engine
        .call(
            "eth_getBlockByNumber",
            serde_json::json!([BlockNumberOrTag::Number(n), true]),
        )
        .await
        .unwrap();
    keel_engine::client::block_from_rpc(value).unwrap().unwrap()
}

/// One span-batch channel of `batches`, brotli-compressed, as one signed calldata batcher
/// transaction on L1.
pub fn batcher_tx(cfg: &RollupConfig, batches: Vec<(SingleBatch, u64)>, nonce: u64) -> TxEnvelope {
    let mut builder = ChannelBuilder::new(
        ChannelConfig {
            algo: CompressionAlgo::Brotli,
            kind: BatchKind::Span,
            max_frame_size: 120_000,
            target_compressed_size: 1_000_000,
            max_rlp_bytes: 100_000_000,
            chain_id: cfg.l2_chain_id,
            genesis_timestamp: cfg.genesis.l2_time,
            block_time: cfg.block_time,
        },
        alloy_primitives::FixedBytes([7u8; 16]),
    )
    .unwrap();
    for (batch, seq) in batches {
        builder.add_block(batch, seq).unwrap();
    }
    let frames = builder.output_frames().unwrap();
    let data = encode_frames(&frames);
    assert_eq!(data[0], DERIVATION_VERSION_0);
    let tx = TxEip1559 {
        chain_id: L1_CHAIN_ID,
        nonce,
        gas_limit: 5_000_000,
        max_fee_per_gas: 100,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(BATCH_INBOX),
        value: U256::ZERO,
        input: data.into(),
        access_list: Default::default(),
    };
    let sig = batcher_key().sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::Eip1559(tx.into_signed(sig))
}
