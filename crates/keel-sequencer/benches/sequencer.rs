//! Keel's own time per sequenced block, outside the engine and L1 calls: every
//! `next_action` (origin selection, attributes through the shared builder, schedule) and
//! `on_event` call of one block's cycle, on a Jovian chain with 2 s L2 blocks, 12 s L1
//! blocks and two user deposits per L1 block. The fetches and the engine are answered
//! instantly and their cost is not counted.
//!
//! Prints p50 / p99 / max over 20,000 blocks, then runs the criterion measurement.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::{
    hint::black_box,
    time::{Duration, Instant},
};

use alloy_consensus::{Eip658Value, Header, Receipt, ReceiptEnvelope, Sealable, Sealed, TxReceipt};
use alloy_primitives::{Address, B64, B256, Bytes, TxKind, U256, address, keccak256};
use alloy_rpc_types_engine::PayloadId;
use criterion::{Criterion, criterion_group, criterion_main};
use keel_derive::types::{L1BlockRef, L2BlockRef};
use keel_protocol::{
    deposit::encode_deposit_log,
    hardfork::HardforkTimes,
    rollup_config::{BlockId, ChainGenesis, RollupConfig},
    system_config::{EcotoneScalars, SystemConfig, encode_ecotone_scalar},
};
use keel_sequencer::sequencer::{
    EpochInput, Sequencer, SequencerAction, SequencerConfig, SequencerEvent,
};
use op_alloy_consensus::TxDeposit;

const PORTAL: Address = address!("0x16fc5058f25648194471939df75cf27a2fdc48bc");
const T0: u64 = 1_700_000_000;
const L1_BLOCKS: u64 = 20_000;

struct Sim {
    seq: Sequencer,
    l1: Vec<Sealed<Header>>,
    receipts: Vec<ReceiptEnvelope>,
    now: u64,
    l1_head_sent: u64,
    payloads: u64,
    building: (BlockId, u64),
}

fn l1_ref(h: &Sealed<Header>) -> L1BlockRef {
    L1BlockRef {
        hash: h.hash(),
        number: h.number,
        parent_hash: h.parent_hash,
        timestamp: h.timestamp,
    }
}

impl Sim {
    fn new() -> Self {
        let mut l1: Vec<Sealed<Header>> = Vec::new();
        let mut parent = B256::repeat_byte(0x99);
        for i in 0..L1_BLOCKS {
            let h = Header {
                number: 100 + i,
                parent_hash: parent,
                timestamp: T0 + 12 * i,
                base_fee_per_gas: Some(7),
                mix_hash: B256::repeat_byte(0xab),
                excess_blob_gas: Some(0),
                blob_gas_used: Some(0),
                parent_beacon_block_root: Some(B256::repeat_byte(0xbe)),
                ..Default::default()
            }
            .seal_slow();
            parent = h.hash();
            l1.push(h);
        }
        let deposit = |n: u8| {
            encode_deposit_log(
                PORTAL,
                &TxDeposit {
                    from: Address::repeat_byte(n),
                    to: TxKind::Call(Address::repeat_byte(n + 1)),
                    mint: 1000,
                    value: U256::from(n),
                    gas_limit: 100_000,
                    input: Bytes::from(vec![n; 64]),
                    ..Default::default()
                },
            )
        };
        let receipts = vec![ReceiptEnvelope::Eip1559(
            Receipt {
                status: Eip658Value::Eip658(true),
                cumulative_gas_used: 100_000,
                logs: vec![deposit(1), deposit(2)],
            }
            .into_with_bloom(),
        )];
        let mut sys = SystemConfig {
            batcher_addr: Address::repeat_byte(0xba),
            scalar: encode_ecotone_scalar(EcotoneScalars {
                blob_base_fee_scalar: 810_949,
                base_fee_scalar: 1368,
            }),
            gas_limit: 30_000_000,
            min_base_fee: 1_000,
            ..Default::default()
        };
        sys.set_eip1559_params(250, 6);
        let forks = HardforkTimes {
            regolith_time: Some(0),
            canyon_time: Some(0),
            delta_time: Some(0),
            ecotone_time: Some(0),
            fjord_time: Some(0),
            granite_time: Some(0),
            holocene_time: Some(0),
            isthmus_time: Some(0),
            jovian_time: Some(0),
            ..Default::default()
        };
        let cfg = RollupConfig {
            genesis: ChainGenesis {
                l1: BlockId {
                    hash: l1[0].hash(),
                    number: 100,
                },
                l2: BlockId {
                    hash: B256::repeat_byte(0x42),
                    number: 0,
                },
                l2_time: T0,
                system_config: sys,
            },
            block_time: 2,
            max_sequencer_drift: 600,
            l2_chain_id: 10,
            hardforks: forks,
            deposit_contract_address: PORTAL,
            ..Default::default()
        };
        let genesis = L2BlockRef {
            hash: cfg.genesis.l2.hash,
            number: 0,
            timestamp: T0,
            l1_origin: cfg.genesis.l1,
            ..Default::default()
        };
        let mut seq = Sequencer::new(cfg, SequencerConfig::default());
        let now = T0 * 1000;
        seq.start_unchecked(now);
        seq.on_event(
            SequencerEvent::UnsafeHead {
                head: genesis,
                system_config: sys,
            },
            now,
        );
        Self {
            seq,
            l1,
            receipts,
            now,
            l1_head_sent: 0,
            payloads: 0,
            building: (BlockId::default(), 0),
        }
    }

    /// Runs one block's cycle; returns the time spent inside the sequencer.
    fn block(&mut self) -> Duration {
        let mut keel = Duration::ZERO;
        let mut timed = |seq: &mut Sequencer, f: &mut dyn FnMut(&mut Sequencer)| {
            let t = Instant::now();
            f(seq);
            keel += t.elapsed();
        };
        loop {
            let visible = ((self.now / 1000 - T0) / 12).min(L1_BLOCKS - 1);
            if visible > self.l1_head_sent || self.l1_head_sent == 0 {
                self.l1_head_sent = visible.max(1);
                let head = l1_ref(&self.l1[visible as usize]);
                let now = self.now;
                timed(&mut self.seq, &mut |s| {
                    s.on_event(SequencerEvent::L1Head(head), now)
                });
            }
            let now = self.now;
            let mut action = SequencerAction::Idle;
            timed(&mut self.seq, &mut |s| action = s.next_action(now));
            let event = match black_box(action) {
                SequencerAction::Wait { until_ms, .. }
                | SequencerAction::WaitForL1 { until_ms, .. } => {
                    self.now = until_ms;
                    continue;
                }
                SequencerAction::FetchL1BlockByNumber(n) => {
                    SequencerEvent::L1Block(l1_ref(&self.l1[(n - 100) as usize]))
                }
                SequencerAction::FetchL1BlockByHash(h) => {
                    SequencerEvent::L1Block(l1_ref(self.l1.iter().find(|b| b.hash() == h).unwrap()))
                }
                SequencerAction::FetchEpoch { origin, receipts } => {
                    SequencerEvent::EpochData(Box::new(EpochInput {
                        header: self.l1[(origin.number - 100) as usize].clone(),
                        receipts: receipts.then(|| self.receipts.clone()),
                        blob_params: None,
                    }))
                }
                SequencerAction::StartBuilding { attributes, .. } => {
                    self.building = (attributes.origin.id(), attributes.prepared.sequence_number);
                    self.payloads += 1;
                    SequencerEvent::BuildStarted {
                        payload_id: PayloadId(B64::from(self.payloads)),
                    }
                }
                SequencerAction::Seal {
                    parent, timestamp, ..
                } => {
                    let head = L2BlockRef {
                        hash: keccak256(timestamp.to_be_bytes()),
                        number: parent.number + 1,
                        parent_hash: parent.hash,
                        timestamp,
                        l1_origin: self.building.0,
                        sequence_number: self.building.1,
                    };
                    let now = self.now;
                    timed(&mut self.seq, &mut |s| {
                        s.on_event(
                            SequencerEvent::Sealed {
                                head,
                                seal_duration: Duration::from_millis(30),
                            },
                            now,
                        )
                    });
                    return keel;
                }
                other => panic!("unexpected {other:?}"),
            };
            let now = self.now;
            timed(&mut self.seq, &mut |s| s.on_event(event.clone(), now));
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn bench(c: &mut Criterion) {
    let mut sim = Sim::new();
    let mut samples: Vec<Duration> = (0..20_000).map(|_| sim.block()).collect();
    samples.sort();
    eprintln!(
        "keel time per block (20,000 blocks): p50 {:?}, p99 {:?}, max {:?}",
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        samples.last().unwrap()
    );
    let mut sim = Sim::new();
    let mut blocks = 0u64;
    c.bench_function("sequencer/block_cycle", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                if blocks >= 90_000 {
                    sim = Sim::new();
                    blocks = 0;
                }
                total += sim.block();
                blocks += 1;
            }
            total
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
