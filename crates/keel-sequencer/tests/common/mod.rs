//! A deterministic world for the sequencer: a fake clock, an in-memory L1 that grows with
//! time (with reorgs and outages), a fake engine that builds and seals instantly or fails on
//! demand, and the sequenced L2 chain in a `MemoryL2Chain`.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::{collections::HashMap, collections::VecDeque, time::Duration};

use alloy_consensus::{Eip658Value, Header, Receipt, ReceiptEnvelope, Sealable, Sealed, TxReceipt};
use alloy_primitives::{Address, B64, B256, Bytes, Log, LogData, TxKind, U256, address, keccak256};
use alloy_rpc_types_engine::PayloadId;
use keel_derive::{
    l2::{L2ChainView, MemoryL2Chain},
    types::{L1BlockRef, L2BlockRef},
};
use keel_protocol::{
    config_update::{CONFIG_UPDATE_TOPIC, UpdateType},
    deposit::encode_deposit_log,
    hardfork::HardforkTimes,
    rollup_config::{BlockId, ChainGenesis, RollupConfig},
    system_config::{EcotoneScalars, SystemConfig, encode_ecotone_scalar},
};
use keel_sequencer::{
    attributes::SequencerAttributes,
    sequencer::{
        EngineFault, EpochInput, Sequencer, SequencerAction, SequencerConfig, SequencerEvent,
    },
};
use op_alloy_consensus::TxDeposit;

pub const PORTAL: Address = address!("0x16fc5058f25648194471939df75cf27a2fdc48bc");
pub const SYS_CFG: Address = address!("0x034edd2a225f7f429a63e0f1d2084b9e0a93b538");
pub const BATCHER: Address = address!("0x8f23bb38f531600e5d8fddaaec41f13fab46e98c");
pub const GENESIS_L2: B256 = B256::repeat_byte(0x42);
pub const L1_START: u64 = 100;
pub const T0: u64 = 1_700_000_000;

/// Every fork through `last` active at genesis (by index in `ORDER`), later ones unset.
pub const ORDER: [&str; 9] = [
    "regolith", "canyon", "delta", "ecotone", "fjord", "granite", "holocene", "isthmus", "jovian",
];

pub fn set_fork(f: &mut HardforkTimes, name: &str, t: Option<u64>) {
    match name {
        "regolith" => f.regolith_time = t,
        "canyon" => f.canyon_time = t,
        "delta" => f.delta_time = t,
        "ecotone" => f.ecotone_time = t,
        "fjord" => f.fjord_time = t,
        "granite" => f.granite_time = t,
        "holocene" => f.holocene_time = t,
        "isthmus" => f.isthmus_time = t,
        "jovian" => f.jovian_time = t,
        other => panic!("unknown fork {other}"),
    }
}

pub fn forks_through(last: &str) -> HardforkTimes {
    let mut f = HardforkTimes::default();
    for name in ORDER {
        set_fork(&mut f, name, Some(0));
        if name == last {
            break;
        }
    }
    f
}

pub fn system_config() -> SystemConfig {
    let mut sys = SystemConfig {
        batcher_addr: BATCHER,
        scalar: encode_ecotone_scalar(EcotoneScalars {
            blob_base_fee_scalar: 810_949,
            base_fee_scalar: 1368,
        }),
        gas_limit: 30_000_000,
        min_base_fee: 1_000,
        ..Default::default()
    };
    sys.set_eip1559_params(250, 6);
    sys.set_operator_fee(20_000, 500);
    sys
}

pub fn l1_header(number: u64, parent: B256, timestamp: u64, salt: u8) -> Sealed<Header> {
    Header {
        number,
        parent_hash: parent,
        timestamp,
        base_fee_per_gas: Some(7),
        mix_hash: B256::repeat_byte(0xab),
        excess_blob_gas: Some(0),
        blob_gas_used: Some(0),
        parent_beacon_block_root: Some(B256::repeat_byte(0xbe)),
        extra_data: Bytes::from(vec![salt]),
        ..Default::default()
    }
    .seal_slow()
}

pub fn l1_ref(h: &Sealed<Header>) -> L1BlockRef {
    L1BlockRef {
        hash: h.hash(),
        number: h.number,
        parent_hash: h.parent_hash,
        timestamp: h.timestamp,
    }
}

pub fn receipt(logs: Vec<Log>) -> ReceiptEnvelope {
    ReceiptEnvelope::Eip1559(
        Receipt {
            status: Eip658Value::Eip658(true),
            cumulative_gas_used: 21_000,
            logs,
        }
        .into_with_bloom(),
    )
}

pub fn deposit_log(n: u8) -> Log {
    let tx = TxDeposit {
        from: Address::repeat_byte(n),
        to: TxKind::Call(Address::repeat_byte(n + 1)),
        mint: u128::from(n) * 1000,
        value: U256::from(n),
        gas_limit: 100_000,
        input: Bytes::from(vec![n; 3]),
        ..Default::default()
    };
    encode_deposit_log(PORTAL, &tx)
}

fn word(v: u64) -> [u8; 32] {
    B256::left_padding_from(&v.to_be_bytes()).0
}

/// `ConfigUpdate(version 0, GasLimit, abi.encode(gas))`.
pub fn gas_limit_log(gas: u64) -> Log {
    let mut data = word(32).to_vec();
    data.extend(word(32));
    data.extend(word(gas));
    Log {
        address: SYS_CFG,
        data: LogData::new_unchecked(
            vec![
                CONFIG_UPDATE_TOPIC,
                B256::ZERO,
                UpdateType::GasLimit.topic(),
            ],
            data.into(),
        ),
    }
}

pub fn config(forks: HardforkTimes, genesis_l1: &Sealed<Header>) -> RollupConfig {
    RollupConfig {
        genesis: ChainGenesis {
            l1: BlockId {
                hash: genesis_l1.hash(),
                number: genesis_l1.number,
            },
            l2: BlockId {
                hash: GENESIS_L2,
                number: 0,
            },
            l2_time: T0,
            system_config: system_config(),
        },
        block_time: 2,
        max_sequencer_drift: 600,
        seq_window_size: 100,
        channel_timeout: 50,
        l1_chain_id: 1,
        l2_chain_id: 10,
        hardforks: forks,
        deposit_contract_address: PORTAL,
        l1_system_config_address: SYS_CFG,
        ..Default::default()
    }
}

/// One L1 block as the fake L1 serves it.
#[derive(Debug, Clone)]
pub struct L1Block {
    pub header: Sealed<Header>,
    pub receipts: Vec<ReceiptEnvelope>,
}

/// A sealed L2 block with what the sequencer built it from.
#[derive(Debug, Clone)]
pub struct Produced {
    pub block: L2BlockRef,
    pub attributes: SequencerAttributes,
    /// The L1 head number when the build started.
    pub l1_head_at_build: u64,
    /// When it was sealed (ms).
    pub sealed_ms: u64,
}

/// The simulated world.
pub struct World {
    pub cfg: RollupConfig,
    pub seq: Sequencer,
    pub now: u64,
    /// Canonical L1, by number (from `L1_START`).
    pub l1: Vec<L1Block>,
    /// Every L1 block ever seen, by hash (fetch by hash serves orphans too, like a node).
    pub l1_by_hash: HashMap<B256, L1Block>,
    pub l1_down: bool,
    pub l1_head_sent: Option<B256>,
    pub l2: MemoryL2Chain,
    pub produced: Vec<Produced>,
    pub actions: Vec<(u64, SequencerAction)>,
    pub engine_faults: VecDeque<EngineFault>,
    pub seal_ms: u64,
    building: Option<(L2BlockRef, SequencerAttributes, u64)>,
    payload_counter: u64,
    pub resets: usize,
    salt: u8,
}

impl World {
    /// A world at L2 genesis with one L1 block (the genesis origin) at `T0`.
    pub fn new(forks: HardforkTimes, conf: SequencerConfig) -> Self {
        let genesis_l1 = l1_header(L1_START, B256::repeat_byte(0x99), T0, 0);
        let cfg = config(forks, &genesis_l1);
        Self::with_config(cfg, genesis_l1, conf)
    }

    pub fn with_config(
        cfg: RollupConfig,
        genesis_l1: Sealed<Header>,
        conf: SequencerConfig,
    ) -> Self {
        let g = L1Block {
            header: genesis_l1,
            receipts: vec![],
        };
        let mut l2 = MemoryL2Chain::new();
        l2.insert(
            L2BlockRef {
                hash: GENESIS_L2,
                number: 0,
                parent_hash: B256::ZERO,
                timestamp: cfg.genesis.l2_time,
                l1_origin: cfg.genesis.l1,
                sequence_number: 0,
            },
            cfg.genesis.system_config,
        );
        let mut seq = Sequencer::new(cfg.clone(), conf);
        let now = cfg.genesis.l2_time * 1000;
        seq.start_unchecked(now);
        let mut l1_by_hash = HashMap::new();
        l1_by_hash.insert(g.header.hash(), g.clone());
        Self {
            cfg,
            seq,
            now,
            l1: vec![g],
            l1_by_hash,
            l1_down: false,
            l1_head_sent: None,
            l2,
            produced: vec![],
            actions: vec![],
            engine_faults: VecDeque::new(),
            seal_ms: 20,
            building: None,
            payload_counter: 0,
            resets: 0,
            salt: 0,
        }
    }

    /// Appends an L1 block `dt` seconds after the tip.
    pub fn push_l1(&mut self, dt: u64, receipts: Vec<ReceiptEnvelope>) -> L1BlockRef {
        let tip = self.l1.last().unwrap().header.clone();
        let h = l1_header(tip.number + 1, tip.hash(), tip.timestamp + dt, self.salt);
        let b = L1Block {
            header: h,
            receipts,
        };
        self.l1_by_hash.insert(b.header.hash(), b.clone());
        self.l1.push(b);
        l1_ref(&self.l1.last().unwrap().header)
    }

    /// Appends L1 blocks every `dt` seconds until the tip's time reaches `until` (seconds).
    pub fn fill_l1(&mut self, dt: u64, until: u64) {
        while self.l1.last().unwrap().header.timestamp + dt <= until {
            self.push_l1(dt, vec![]);
        }
    }

    /// Replaces the L1 chain above `number` by a fork (new hashes, same spacing).
    pub fn reorg_l1_above(&mut self, number: u64) {
        self.salt = self.salt.wrapping_add(1);
        let keep = (number - L1_START + 1) as usize;
        let old: Vec<u64> = self.l1[keep..].iter().map(|b| b.header.timestamp).collect();
        self.l1.truncate(keep);
        let mut prev_t = self.l1.last().unwrap().header.timestamp;
        for t in old {
            self.push_l1(t - prev_t, vec![]);
            prev_t = t;
        }
    }

    /// The canonical L1 blocks visible at `now` (timestamp reached).
    fn visible_tip(&self) -> Option<&L1Block> {
        self.l1
            .iter()
            .take_while(|b| b.header.timestamp * 1000 <= self.now)
            .last()
    }

    fn visible(&self, number: u64) -> Option<&L1Block> {
        let tip = self.visible_tip()?;
        if number > tip.header.number || number < L1_START {
            return None;
        }
        self.l1.get((number - L1_START) as usize)
    }

    /// Tells the sequencer about a new L1 head, if there is one.
    fn sync_l1_head(&mut self) {
        if self.l1_down {
            return;
        }
        let Some(tip) = self.visible_tip() else {
            return;
        };
        let r = l1_ref(&tip.header);
        if self.l1_head_sent != Some(r.hash) {
            self.l1_head_sent = Some(r.hash);
            self.seq.on_event(SequencerEvent::L1Head(r), self.now);
        }
    }

    fn next_l1_time_ms(&self) -> Option<u64> {
        self.l1
            .iter()
            .map(|b| b.header.timestamp * 1000)
            .find(|t| *t > self.now)
    }

    pub fn l1_head_number(&self) -> u64 {
        self.visible_tip().map_or(0, |b| b.header.number)
    }

    /// Runs the driver loop until `end_ms` (or a halt); `jitter` adds delay to each wake-up.
    pub fn run_until(&mut self, end_ms: u64) {
        self.run_until_with(end_ms, &mut |_| 0)
    }

    pub fn run_until_with(&mut self, end_ms: u64, jitter: &mut dyn FnMut(u64) -> u64) {
        let mut guard = 0u64;
        while self.now < end_ms {
            guard += 1;
            assert!(guard < 1_000_000, "driver loop does not progress");
            self.sync_l1_head();
            let action = self.seq.next_action(self.now);
            self.actions.push((self.now, action.clone()));
            match action {
                SequencerAction::Wait { until_ms, .. }
                | SequencerAction::WaitForL1 { until_ms, .. } => {
                    let mut t = until_ms.max(self.now + 1);
                    if let Some(l1) = self.next_l1_time_ms() {
                        t = t.min(l1);
                    }
                    self.now = t.min(end_ms) + jitter(self.now);
                }
                SequencerAction::Idle | SequencerAction::Halt { .. } => {
                    self.now = end_ms;
                }
                SequencerAction::NeedUnsafeHead => self.send_head(),
                SequencerAction::FetchL1BlockByNumber(n) => {
                    let ev = match (self.l1_down, self.visible(n)) {
                        (false, Some(b)) => SequencerEvent::L1Block(l1_ref(&b.header)),
                        _ => SequencerEvent::L1Unavailable,
                    };
                    self.seq.on_event(ev, self.now);
                }
                SequencerAction::FetchL1BlockByHash(h) => {
                    let ev = match (self.l1_down, self.l1_by_hash.get(&h)) {
                        (false, Some(b)) => SequencerEvent::L1Block(l1_ref(&b.header)),
                        _ => SequencerEvent::L1Unavailable,
                    };
                    self.seq.on_event(ev, self.now);
                }
                SequencerAction::FetchEpoch { origin, receipts } => {
                    let ev = match (self.l1_down, self.l1_by_hash.get(&origin.hash)) {
                        (false, Some(b)) => SequencerEvent::EpochData(Box::new(EpochInput {
                            header: b.header.clone(),
                            receipts: receipts.then(|| b.receipts.clone()),
                            blob_params: None,
                        })),
                        _ => SequencerEvent::L1Unavailable,
                    };
                    self.seq.on_event(ev, self.now);
                }
                SequencerAction::StartBuilding {
                    parent, attributes, ..
                } => {
                    if let Some(fault) = self.engine_faults.pop_front() {
                        self.seq
                            .on_event(SequencerEvent::EngineError { fault }, self.now);
                        continue;
                    }
                    self.payload_counter += 1;
                    let l1_head = self.l1_head_number();
                    self.building = Some((parent, *attributes, l1_head));
                    let id = PayloadId(B64::from(self.payload_counter));
                    self.seq
                        .on_event(SequencerEvent::BuildStarted { payload_id: id }, self.now);
                }
                SequencerAction::Seal { parent, .. } => {
                    let (p, attrs, l1_head) = self.building.take().expect("seal without build");
                    assert_eq!(p, parent);
                    self.now += self.seal_ms;
                    if let Some(fault) = self.engine_faults.pop_front() {
                        self.seq
                            .on_event(SequencerEvent::EngineError { fault }, self.now);
                        continue;
                    }
                    let block = self.seal(&p, &attrs);
                    self.produced.push(Produced {
                        block,
                        attributes: attrs,
                        l1_head_at_build: l1_head,
                        sealed_ms: self.now,
                    });
                    self.seq.on_event(
                        SequencerEvent::Sealed {
                            head: block,
                            seal_duration: Duration::from_millis(self.seal_ms),
                        },
                        self.now,
                    );
                }
                SequencerAction::Reset { .. } => {
                    self.resets += 1;
                    self.rewind_to_canonical_origin();
                    self.send_head();
                }
                _ => panic!("unexpected action"),
            }
        }
    }

    fn seal(&mut self, parent: &L2BlockRef, attrs: &SequencerAttributes) -> L2BlockRef {
        let ts = attrs.prepared.attributes.payload_attributes.timestamp;
        let mut pre = parent.hash.to_vec();
        pre.extend(ts.to_be_bytes());
        pre.extend(attrs.origin.hash);
        let block = L2BlockRef {
            hash: keccak256(pre),
            number: parent.number + 1,
            parent_hash: parent.hash,
            timestamp: ts,
            l1_origin: attrs.origin.id(),
            sequence_number: attrs.prepared.sequence_number,
        };
        self.l2.truncate_after(parent.number);
        self.l2.insert(block, attrs.prepared.system_config);
        block
    }

    pub fn send_head(&mut self) {
        let head = self.l2.head().unwrap();
        let sys = self
            .l2
            .system_config_by_number(head.number)
            .unwrap()
            .unwrap();
        self.seq.on_event(
            SequencerEvent::UnsafeHead {
                head,
                system_config: sys,
            },
            self.now,
        );
    }

    /// What the engine controller's reset does here: unwind the unsafe chain to the last
    /// block whose L1 origin is canonical.
    fn rewind_to_canonical_origin(&mut self) {
        loop {
            let head = self.l2.head().unwrap();
            let canonical = self
                .l1
                .get((head.l1_origin.number - L1_START) as usize)
                .is_some_and(|b| b.header.hash() == head.l1_origin.hash);
            if canonical || head.number == 0 {
                break;
            }
            self.l2.truncate_after(head.number - 1);
        }
    }

    /// The sealed chain from genesis to the head, from the L2 store.
    pub fn chain(&self) -> Vec<L2BlockRef> {
        let head = self.l2.head().unwrap();
        (0..=head.number)
            .map(|n| self.l2.block_ref_by_number(n).unwrap().unwrap())
            .collect()
    }

    /// The produced block that is the canonical block at its height.
    pub fn canonical_produced(&self) -> Vec<&Produced> {
        let chain = self.chain();
        self.produced
            .iter()
            .filter(|p| chain.get(p.block.number as usize) == Some(&p.block))
            .collect()
    }

    pub fn l1_block_by_hash(&self, h: &B256) -> Option<&L1Block> {
        self.l1_by_hash.get(h)
    }

    /// Checks the derivation rules on the canonical chain: consecutive timestamps, origins
    /// not in the future, moving by at most one L1 block whose parent is the previous
    /// origin, and the drift (except empty blocks whose next origin is still in the future).
    pub fn check_chain_rules(&self) {
        let chain = self.chain();
        let by_block: HashMap<B256, &Produced> =
            self.produced.iter().map(|p| (p.block.hash, p)).collect();
        for w in chain.windows(2) {
            let (a, b) = (w[0], w[1]);
            assert_eq!(
                b.timestamp,
                a.timestamp + self.cfg.block_time,
                "consecutive"
            );
            let origin = self
                .l1_block_by_hash(&b.l1_origin.hash)
                .expect("origin known");
            assert!(
                origin.header.timestamp <= b.timestamp,
                "origin in the future"
            );
            match b.l1_origin.number - a.l1_origin.number {
                0 => {
                    assert_eq!(b.l1_origin, a.l1_origin);
                    assert_eq!(b.sequence_number, a.sequence_number + 1);
                }
                1 => {
                    assert_eq!(origin.header.parent_hash, a.l1_origin.hash, "origin links");
                    assert_eq!(b.sequence_number, 0);
                }
                d => panic!("origin jumped by {d}"),
            }
            let drift = self.cfg.max_sequencer_drift(origin.header.timestamp);
            if b.timestamp > origin.header.timestamp + drift {
                // Past the drift: no pool transactions, and a block that keeps its parent's
                // origin must not have been able to adopt the next one (a block that moves
                // to the next origin is always acceptable when empty).
                let p = by_block[&b.hash];
                assert_eq!(p.attributes.prepared.attributes.no_tx_pool, Some(true));
                if b.l1_origin == a.l1_origin {
                    let next = self.l1.get((b.l1_origin.number + 1 - L1_START) as usize);
                    let next = next.expect("next origin known past the drift");
                    assert!(
                        next.header.timestamp > b.timestamp,
                        "block {} could have advanced to L1 block {}",
                        b.number,
                        next.header.number
                    );
                }
            }
        }
    }
}
