//! A seeded simulation of a sequencer, a batcher and L1, and a driver that answers the
//! pipeline's steps from them. Every random choice is a pure function of (seed, tag, index),
//! so a failing seed replays exactly and two worlds with the same seed agree on everything
//! that does not depend on their diverging L1 blocks (used to inject reorgs).

use std::{collections::HashMap, sync::Arc};

use alloy_consensus::{Header, SignableTransaction, TxEip1559, TxEip2930, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256, keccak256};
use keel_derive::{
    attributes::{EpochOrigin, prepare_payload_attributes},
    types::{L1BlockInput, L2BlockRef},
};
use keel_protocol::{
    batch::SingleBatch,
    blob::{BLOB_SIZE, MAX_BLOB_DATA_SIZE},
    channel_builder::{BatchKind, ChannelBuilder, ChannelConfig},
    compression::CompressionAlgo,
    deposit::encode_deposit_log,
    frame::{Frame, encode_frames},
    hardfork::{Hardfork, HardforkTimes},
    l1_info::L1BlockInfo,
    rollup_config::{BlockId, ChainGenesis, RollupConfig},
    system_config::SystemConfig,
};
use op_alloy_consensus::{OpTxEnvelope, TxDeposit};
use op_alloy_rpc_types_engine::OpPayloadAttributes;

use super::chain::{INBOX, L1_BLOCK_TIME, L1_CHAIN_ID, SYS_CFG, addr, blob, key, receipt};

/// The deposit contract of the simulated chain.
pub const PORTAL: Address = Address::repeat_byte(0xd0);
/// L2 chain id.
pub const L2_CHAIN_ID: u64 = 901;
/// L1 genesis number and time (= L2 genesis time).
pub const GENESIS_NUMBER: u64 = 100;
/// Genesis time.
pub const GENESIS_TIME: u64 = 1_000;

/// A deterministic random stream (splitmix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// The stream for `(seed, tag, index)`.
    pub fn new(seed: u64, tag: &str, index: u64) -> Self {
        let h = keccak256(
            [
                &seed.to_le_bytes()[..],
                tag.as_bytes(),
                &index.to_le_bytes(),
            ]
            .concat(),
        );
        Self(u64::from_le_bytes(h[..8].try_into().unwrap()))
    }
    /// Next value.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// True with probability `num/den`.
    pub fn chance(&mut self, num: u64, den: u64) -> bool {
        self.below(den) < num
    }
    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimParams {
    /// The seed.
    pub seed: u64,
    /// L2 blocks to sequence.
    pub l2_blocks: u64,
    /// Batch format.
    pub kind: BatchKind,
    /// Preferred compression (brotli falls back to zlib before Fjord).
    pub algo: CompressionAlgo,
    /// Post some channels in blobs (from Ecotone).
    pub blobs: bool,
    /// Fork times (absolute timestamps).
    pub forks: HardforkTimes,
    /// Sequencing window.
    pub seq_window_size: u64,
    /// Random user transactions per L2 block: `0..=max_txs`.
    pub max_txs: u64,
    /// L2 block range (by number) the batcher never posts.
    pub withhold: Option<(u64, u64)>,
    /// From this L1 block number on, L1 is an alternative branch (a reorg).
    pub reorg_from: Option<u64>,
    /// Max blocks per channel.
    pub max_channel_blocks: u64,
    /// Minimum user transactions per block.
    pub min_txs: u64,
    /// Fixed frame size (else random, small for calldata).
    pub max_frame_size: Option<usize>,
    /// Each channel after the first also re-posts up to this many blocks before it (span
    /// batches then overlap the safe chain; singular ones are past).
    pub overlap: u64,
}

impl SimParams {
    /// Defaults: 300 blocks, forks through Jovian activating along the way.
    pub fn new(seed: u64, kind: BatchKind, algo: CompressionAlgo) -> Self {
        Self {
            seed,
            l2_blocks: 300,
            kind,
            algo,
            blobs: false,
            forks: staggered_forks(),
            seq_window_size: 3600,
            max_txs: 4,
            withhold: None,
            reorg_from: None,
            max_channel_blocks: 12,
            min_txs: 0,
            max_frame_size: None,
            overlap: 0,
        }
    }
}

/// Regolith, Canyon, Delta at genesis; then Ecotone, Fjord, Granite, Holocene, Isthmus,
/// Jovian a minute apart (so each has an activation block in a 300-block run).
pub fn staggered_forks() -> HardforkTimes {
    HardforkTimes {
        regolith_time: Some(0),
        canyon_time: Some(0),
        delta_time: Some(0),
        ecotone_time: Some(GENESIS_TIME + 60),
        fjord_time: Some(GENESIS_TIME + 120),
        granite_time: Some(GENESIS_TIME + 180),
        holocene_time: Some(GENESIS_TIME + 240),
        isthmus_time: Some(GENESIS_TIME + 300),
        jovian_time: Some(GENESIS_TIME + 360),
        ..Default::default()
    }
}

/// The genesis system config.
pub fn genesis_system_config() -> SystemConfig {
    let mut sys = SystemConfig {
        batcher_addr: addr(&key(7)),
        scalar: B256::with_last_byte(1),
        gas_limit: 30_000_000,
        ..Default::default()
    };
    sys.set_eip1559_params(250, 6);
    sys
}

/// One sequenced L2 block.
#[derive(Debug, Clone)]
pub struct SeqBlock {
    /// Its reference.
    pub block_ref: L2BlockRef,
    /// The attributes the sequencer built (verifier form: batch txs appended, no_tx_pool set).
    pub attributes: OpPayloadAttributes,
    /// The batch.
    pub batch: SingleBatch,
    /// System config after it.
    pub system_config: SystemConfig,
    /// Whether it ends its channel's span.
    pub last_in_channel: bool,
}

/// The simulated world: L1 blocks (with batcher data), blobs, and the sequenced L2 chain.
#[derive(Debug, Clone)]
pub struct World {
    /// The rollup config.
    pub cfg: Arc<RollupConfig>,
    /// L1 blocks from genesis.
    pub l1: Vec<L1BlockInput>,
    /// Blobs by versioned hash.
    pub blobs: HashMap<B256, Box<[u8; BLOB_SIZE]>>,
    /// L2 genesis.
    pub genesis: L2BlockRef,
    /// L2 blocks 1..
    pub l2: Vec<SeqBlock>,
    /// Batcher bytes posted (calldata or blob data).
    pub batcher_bytes: usize,
}

/// Executes attributes on `parent` the way the simulated engine does: the block hash commits
/// to the parent, the timestamp and every transaction; the L1 origin is read from the L1-info
/// deposit.
pub fn execute(parent: &L2BlockRef, attrs: &OpPayloadAttributes) -> L2BlockRef {
    let txs = attrs.transactions.as_ref().unwrap();
    let mut pre = parent.hash.to_vec();
    pre.extend_from_slice(&attrs.payload_attributes.timestamp.to_be_bytes());
    for t in txs {
        pre.extend_from_slice(keccak256(t).as_slice());
    }
    let OpTxEnvelope::Deposit(d) = OpTxEnvelope::decode_2718(&mut txs[0].as_ref()).unwrap() else {
        panic!("first tx is not a deposit")
    };
    let info = L1BlockInfo::decode(&d.inner().input).unwrap();
    L2BlockRef {
        hash: keccak256(pre),
        number: parent.number + 1,
        parent_hash: parent.hash,
        timestamp: attrs.payload_attributes.timestamp,
        l1_origin: BlockId {
            hash: info.block_hash(),
            number: info.number(),
        },
        sequence_number: info.sequence_number(),
    }
}

fn l1_header(number: u64, parent: B256, timestamp: u64, branch: u8) -> Header {
    Header {
        number,
        parent_hash: parent,
        timestamp,
        base_fee_per_gas: Some(7),
        mix_hash: B256::with_last_byte(number as u8),
        excess_blob_gas: Some(0),
        blob_gas_used: Some(0),
        parent_beacon_block_root: Some(B256::repeat_byte(0xbe)),
        extra_data: Bytes::from(vec![branch]),
        ..Default::default()
    }
}

fn user_tx(rng: &mut Rng) -> Bytes {
    let sig = Signature::new(
        U256::from(rng.next_u64() | 1),
        U256::from(rng.next_u64() | 1),
        rng.chance(1, 2),
    );
    let len = rng.below(120) as usize;
    let input = Bytes::from(rng.bytes(len));
    let to = TxKind::Call(Address::from_word(B256::from(U256::from(rng.next_u64()))));
    let env = match rng.below(3) {
        0 => TxEnvelope::Legacy(
            TxLegacy {
                chain_id: Some(L2_CHAIN_ID),
                nonce: rng.below(1000),
                gas_price: rng.below(1 << 40).into(),
                gas_limit: 21_000 + rng.below(100_000),
                to,
                value: U256::from(rng.below(1 << 50)),
                input,
            }
            .into_signed(sig),
        ),
        1 => TxEnvelope::Eip2930(
            TxEip2930 {
                chain_id: L2_CHAIN_ID,
                nonce: rng.below(1000),
                gas_price: rng.below(1 << 40).into(),
                gas_limit: 21_000 + rng.below(100_000),
                to,
                value: U256::from(rng.below(1 << 50)),
                input,
                ..Default::default()
            }
            .into_signed(sig),
        ),
        _ => TxEnvelope::Eip1559(
            TxEip1559 {
                chain_id: L2_CHAIN_ID,
                nonce: rng.below(1000),
                gas_limit: 21_000 + rng.below(100_000),
                max_fee_per_gas: rng.below(1 << 40).into(),
                max_priority_fee_per_gas: rng.below(1 << 30).into(),
                to,
                value: U256::from(rng.below(1 << 50)),
                input,
                ..Default::default()
            }
            .into_signed(sig),
        ),
    };
    Bytes::from(env.encoded_2718())
}

/// Builds the world for `p`.
pub fn build_world(p: &SimParams) -> World {
    let l1_count = (p.l2_blocks * 2) / L1_BLOCK_TIME + 40;
    // L1 headers and deposits (batcher txs are added later; they do not change the hash).
    let mut l1: Vec<L1BlockInput> = Vec::new();
    let mut parent = B256::ZERO;
    for i in 0..l1_count {
        let number = GENESIS_NUMBER + i;
        let branch = u8::from(p.reorg_from.is_some_and(|r| number >= r));
        let tag = if branch == 1 { "l1-reorg" } else { "l1" };
        let mut rng = Rng::new(p.seed, tag, number);
        let header = l1_header(number, parent, GENESIS_TIME + i * L1_BLOCK_TIME, branch);
        let mut txs = Vec::new();
        let mut receipts = Vec::new();
        if i > 0 && rng.chance(1, 2) {
            let n = 1 + rng.below(3);
            let logs = (0..n)
                .map(|_| {
                    let d = TxDeposit {
                        from: Address::repeat_byte(rng.next_u64() as u8),
                        to: TxKind::Call(Address::repeat_byte(rng.next_u64() as u8)),
                        mint: rng.below(1 << 40) as u128,
                        value: U256::from(rng.below(1 << 40)),
                        gas_limit: 100_000 + rng.below(100_000),
                        input: {
                            let len = rng.below(64) as usize;
                            Bytes::from(rng.bytes(len))
                        },
                        ..Default::default()
                    };
                    encode_deposit_log(PORTAL, &d)
                })
                .collect();
            txs.push(super::chain::tx_1559(
                &key(9),
                L1_CHAIN_ID,
                PORTAL,
                b"deposit",
            ));
            receipts.push(receipt(true, logs));
        }
        let block = L1BlockInput::new(header, txs, receipts);
        parent = block.block_ref.hash;
        l1.push(block);
    }
    let genesis_l1 = l1[0].block_ref;
    let cfg = Arc::new(RollupConfig {
        genesis: ChainGenesis {
            l1: genesis_l1.id(),
            l2: BlockId {
                hash: B256::repeat_byte(0x22),
                number: 0,
            },
            l2_time: GENESIS_TIME,
            system_config: genesis_system_config(),
        },
        block_time: 2,
        max_sequencer_drift: 600,
        seq_window_size: p.seq_window_size,
        channel_timeout: 300,
        l1_chain_id: L1_CHAIN_ID,
        l2_chain_id: L2_CHAIN_ID,
        hardforks: p.forks,
        batch_inbox_address: INBOX,
        deposit_contract_address: PORTAL,
        l1_system_config_address: SYS_CFG,
        ..Default::default()
    });
    let genesis = L2BlockRef {
        hash: cfg.genesis.l2.hash,
        number: 0,
        parent_hash: B256::ZERO,
        timestamp: GENESIS_TIME,
        l1_origin: genesis_l1.id(),
        sequence_number: 0,
    };

    // Sequencer.
    let mut l2: Vec<SeqBlock> = Vec::new();
    let mut head = genesis;
    let mut sys = genesis_system_config();
    for n in 1..=p.l2_blocks {
        let mut rng = Rng::new(p.seed, "l2", n);
        let t = head.timestamp + cfg.block_time;
        let cur = (head.l1_origin.number - GENESIS_NUMBER) as usize;
        // The hash identifies the branch: the origin is the L1 block the parent names.
        let mut origin = cur;
        if let Some(next) = l1.get(cur + 1)
            && next.block_ref.timestamp <= t
            && (rng.chance(3, 4) || t > l1[cur].block_ref.timestamp + 300)
        {
            origin = cur + 1;
        }
        let ob = &l1[origin];
        let sealed = alloy_consensus::Sealed::new_unchecked(ob.header.clone(), ob.block_ref.hash);
        let prepared = prepare_payload_attributes(
            &cfg,
            &head,
            &sys,
            ob.block_ref.id(),
            EpochOrigin {
                header: &sealed,
                receipts: Some(&ob.receipts),
                l1_blob_params: None,
            },
        )
        .unwrap();
        let empty = cfg.is_activation_block(Hardfork::Jovian, t)
            || t > ob.block_ref.timestamp + cfg.max_sequencer_drift(ob.block_ref.timestamp);
        let user: Vec<Bytes> = if empty {
            Vec::new()
        } else {
            (0..rng.below(p.max_txs + 1))
                .map(|_| user_tx(&mut rng))
                .collect()
        };
        let mut attributes = prepared.attributes;
        attributes
            .transactions
            .as_mut()
            .unwrap()
            .extend(user.iter().cloned());
        attributes.no_tx_pool = Some(true);
        let block_ref = execute(&head, &attributes);
        let batch = SingleBatch {
            parent_hash: head.hash,
            epoch_num: ob.block_ref.number,
            epoch_hash: ob.block_ref.hash,
            timestamp: t,
            transactions: user,
        };
        sys = prepared.system_config;
        l2.push(SeqBlock {
            block_ref,
            attributes,
            batch,
            system_config: sys,
            last_in_channel: false,
        });
        head = block_ref;
    }

    // Batcher: channels of consecutive blocks, all frames of a channel in one L1 block.
    let batcher_key = key(7);
    let mut blobs = HashMap::new();
    let mut batcher_bytes = 0usize;
    let mut next_inclusion = 1usize;
    let mut i = 0usize;
    let mut channel_no = 0u64;
    while i < l2.len() {
        let mut rng = Rng::new(p.seed, "channel", channel_no);
        channel_no += 1;
        let len = 1 + rng.below(p.max_channel_blocks) as usize;
        let end = (i + len).min(l2.len());
        let range = i..end;
        i = end;
        if let Some((a, b)) = p.withhold
            && range.clone().any(|k| (a..=b).contains(&(k as u64 + 1)))
        {
            continue;
        }
        let last = &l2[end - 1];
        // First L1 block at or after the last block's time, plus a random delay.
        let mut incl = l1
            .iter()
            .position(|b| b.block_ref.timestamp > last.block_ref.timestamp)
            .unwrap_or(l1.len() - 1)
            + rng.below(2) as usize;
        incl = incl.max(next_inclusion).min(l1.len() - 1);
        next_inclusion = incl;
        let incl_time = l1[incl].block_ref.timestamp;
        let fjord = cfg.is_active(Hardfork::Fjord, incl_time);
        let use_blobs = p.blobs && cfg.is_active(Hardfork::Ecotone, incl_time) && rng.chance(1, 2);
        let algo = if p.algo == CompressionAlgo::Brotli && fjord {
            CompressionAlgo::Brotli
        } else {
            CompressionAlgo::Zlib
        };
        let max_frame_size = if let Some(size) = p.max_frame_size {
            size
        } else if use_blobs {
            20_000 + rng.below(40_000) as usize
        } else {
            200 + rng.below(3000) as usize
        };
        let mut builder = ChannelBuilder::new(
            ChannelConfig {
                algo,
                kind: p.kind,
                max_frame_size,
                target_compressed_size: usize::MAX,
                max_rlp_bytes: cfg.max_rlp_bytes_per_channel(incl_time),
                chain_id: L2_CHAIN_ID,
                genesis_timestamp: GENESIS_TIME,
                block_time: 2,
            },
            keel_protocol::frame::ChannelId::from_slice(&rng.bytes(16)),
        )
        .unwrap();
        let first = range
            .start
            .saturating_sub(rng.below(p.overlap + 1) as usize);
        for b in &l2[first..range.end] {
            builder
                .add_block(b.batch.clone(), b.block_ref.sequence_number)
                .unwrap();
        }
        l2[end - 1].last_in_channel = true;
        let frames = builder.output_frames().unwrap();
        post(
            &mut l1[incl],
            &frames,
            use_blobs,
            &batcher_key,
            &mut blobs,
            &mut batcher_bytes,
        );
    }
    World {
        cfg,
        l1,
        blobs,
        genesis,
        l2,
        batcher_bytes,
    }
}

fn post(
    block: &mut L1BlockInput,
    frames: &[Frame],
    use_blobs: bool,
    key: &k256::ecdsa::SigningKey,
    blobs: &mut HashMap<B256, Box<[u8; BLOB_SIZE]>>,
    bytes: &mut usize,
) {
    for f in frames {
        let data = encode_frames(std::slice::from_ref(f));
        *bytes += data.len();
        let tx = if use_blobs {
            assert!(data.len() <= MAX_BLOB_DATA_SIZE);
            let (b, hash) = blob(&data);
            blobs.insert(hash, b);
            super::chain::tx_blob(key, INBOX, vec![hash], b"")
        } else {
            super::chain::tx_1559(key, L1_CHAIN_ID, INBOX, &data)
        };
        block.transactions.push(tx);
        block.receipts.push(receipt(true, vec![]));
    }
}
