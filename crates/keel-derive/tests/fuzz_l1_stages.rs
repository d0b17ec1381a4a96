//! Stable fuzzing of the L1 stages: mutated batcher data through traversal, retrieval, frame
//! queue and channel bank / assembler must never panic, and the channel stage must stay
//! within its bounds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use std::sync::Arc;

use common::{chain::*, fuzz};
use keel_derive::{
    stages::{
        channel_stage::ChannelStage,
        frame_queue::FrameQueue,
        retrieval::{DataItem, resolve},
    },
    types::L1BlockRef,
};
use keel_protocol::{
    blob::{BLOB_SIZE, encode_blob},
    rollup_config::RollupConfig,
};

/// Splits a fuzz input into (blocks to advance, batcher payload) steps: each step is a
/// control byte, a length byte, then that many payload bytes (or the rest). The control
/// byte advances `ctl % 4` blocks, or 60 (past the Granite timeout) when it is 0xff.
fn steps(input: &[u8]) -> Vec<(u64, &[u8])> {
    let mut out = Vec::new();
    let mut rest = input;
    while let [ctl, len, tail @ ..] = rest {
        let len = usize::from(*len).min(tail.len());
        let (data, tail) = tail.split_at(len);
        let advance = if *ctl == 0xff { 60 } else { u64::from(ctl % 4) };
        out.push((advance, data));
        rest = tail;
    }
    out
}

fn step(advance: u8, data: &[u8]) -> Vec<u8> {
    let mut v = vec![advance, u8::try_from(data.len()).unwrap()];
    v.extend_from_slice(data);
    v
}

/// Seeds: steps carrying frames of interleaved channels, out of order, garbage, a timeout.
fn seeds() -> Vec<Vec<u8>> {
    let mut a = step(
        0,
        &payload(&[frame(1, 1, b"bbbb", false), frame(2, 0, b"xx", false)]),
    );
    a.extend(step(1, &payload(&[frame(1, 0, b"aaaa", false)])));
    a.extend(step(
        1,
        &payload(&[frame(2, 1, b"yy", true), frame(1, 2, b"c", true)]),
    ));
    a.extend(step(2, b"garbage!"));
    a.extend(step(
        0,
        &payload(&[frame(4, 0, b"in order", false), frame(4, 1, b"!", true)]),
    ));
    let mut b = step(0, &payload(&[frame(3, 0, b"0123456789ab", false)]));
    b.extend(step(0xff, &payload(&[frame(3, 1, b"late", true)])));
    b.extend(step(1, &payload(&[frame(5, 0, b"single", true)])));
    vec![a, b]
}

fn configs() -> Vec<(&'static str, Arc<RollupConfig>)> {
    let mut pre_canyon = config(None, None, None);
    pre_canyon.hardforks.canyon_time = None;
    vec![
        ("pre-canyon", Arc::new(pre_canyon)),
        ("canyon", Arc::new(config(None, None, None))),
        ("granite", Arc::new(config(Some(0), Some(0), None))),
        ("holocene", Arc::new(config(Some(0), Some(0), Some(0)))),
        // Holocene activates mid-run.
        (
            "to-holocene",
            Arc::new(config(
                Some(0),
                Some(0),
                Some(genesis().timestamp + 5 * L1_BLOCK_TIME),
            )),
        ),
    ]
}

/// Runs the input through the frame queue and channel stage, checking the bounds after every
/// step; returns the number of channels read.
fn drive(cfg: &Arc<RollupConfig>, input: &[u8]) -> usize {
    let mut fq = FrameQueue::new(Arc::clone(cfg));
    let mut stage = ChannelStage::new(Arc::clone(cfg));
    let mut origin = genesis();
    let mut pushed = 0usize;
    let mut read = 0usize;
    for (advance, data) in steps(input) {
        for _ in 0..advance {
            origin = L1BlockRef {
                parent_hash: origin.hash,
                hash: alloy_primitives::B256::with_last_byte(origin.number as u8),
                number: origin.number + 1,
                timestamp: origin.timestamp + L1_BLOCK_TIME,
            };
        }
        if fq.push(data, origin).is_ok() {
            pushed += data.len();
        }
        while let Some(ch) = stage.next_channel(&mut fq, origin) {
            assert!(ch.data.len() <= pushed, "a channel holds only pushed bytes");
            assert!(ch.opened_at <= origin.number && ch.l1 == origin);
            read += 1;
        }
        assert!(fq.is_empty(), "the stage drains the queue");
        if let Some(bank) = stage.bank() {
            assert!(bank.total_size() as u64 <= cfg.max_channel_bank_size(origin.timestamp));
        }
        if let Some(asm) = stage.assembler() {
            assert!(asm.size() <= cfg.max_rlp_bytes_per_channel(origin.timestamp));
        }
    }
    read
}

#[test]
fn fuzz_frame_queue_and_channel_stage() {
    for (name, cfg) in configs() {
        // The seeds exercise the stages. Seed a: channels 1, 2, 4 complete pre-Holocene
        // (pre-Canyon, 2 waits behind 1 and is read after it); under Holocene only 4 (1 is
        // replaced, 2's late frames break the order). Seed b: channel 3 times out after 60
        // blocks only from Granite; 5 always completes.
        let per_seed: Vec<usize> = seeds().iter().map(|s| drive(&cfg, s)).collect();
        let expected = match name {
            "pre-canyon" | "canyon" => vec![3, 2],
            "granite" | "to-holocene" => vec![3, 1],
            _ => vec![1, 1],
        };
        assert_eq!(per_seed, expected, "{name}");
        fuzz::run(&format!("l1-stages-{name}"), &seeds(), 512, |bytes| {
            drive(&cfg, bytes);
        });
    }
}

#[test]
fn fuzz_signed_batcher_txs_through_retrieval() {
    // Mutated payloads in real signed transactions, some from a stranger or to another
    // address, through traversal and retrieval into the channel stage.
    let batcher = key(1);
    let stranger = key(2);
    let cfg = config(Some(0), Some(0), None);
    let seeds = seeds();
    let mut runs = 0u64;
    fuzz::run("l1-stages-signed", &seeds, 256, |bytes| {
        runs += 1;
        if !runs.is_multiple_of(8) {
            // Signing and recovery dominate; a sample of the inputs is plenty here.
            return;
        }
        let mut side = L1Side::new(cfg.clone(), genesis(), sys(addr(&batcher)));
        let mut chain = ChainBuilder::new();
        for (advance, data) in steps(bytes) {
            for _ in 1..advance.min(3) {
                side.feed(&chain.empty(), &[]).unwrap();
            }
            let (signer, to) = match data.first().map(|b| b % 5) {
                Some(0) => (&stranger, INBOX),
                Some(1) => (&batcher, SYS_CFG),
                _ => (&batcher, INBOX),
            };
            let block = chain.block(vec![tx_1559(signer, L1_CHAIN_ID, to, data)]);
            for ch in side.feed(&block, &[]).unwrap() {
                assert_eq!(ch.l1, block.block_ref);
            }
            let bank = side.channels.bank().unwrap();
            assert!(
                bank.total_size() as u64 <= cfg.max_channel_bank_size(block.block_ref.timestamp)
            );
        }
    });
}

#[test]
fn fuzz_resolve_with_arbitrary_blobs() {
    // Arbitrary blob contents (not KZG-checked here) mixed with calldata: undecodable blobs
    // are skipped, never a panic; decodable ones come out in item order.
    let seeds: Vec<Vec<u8>> = vec![
        encode_blob(&payload(&[frame(1, 0, b"blob", true)]))
            .unwrap()
            .to_vec()[..4096]
            .to_vec(),
        vec![0; 64],
    ];
    fuzz::run("l1-stages-resolve", &seeds, 4096, |bytes| {
        let mut blob = Box::new([0u8; BLOB_SIZE]);
        let n = bytes.len().min(BLOB_SIZE);
        blob[..n].copy_from_slice(&bytes[..n]);
        let items = vec![
            DataItem::Calldata(bytes.to_vec().into()),
            DataItem::Blob {
                index: 0,
                hash: Default::default(),
            },
        ];
        let resolved = resolve(items, std::slice::from_ref(&blob)).unwrap();
        assert_eq!(resolved.data.len() + resolved.skipped.len(), 2);
        assert_eq!(resolved.data[0].as_ref(), bytes);
    });
}
