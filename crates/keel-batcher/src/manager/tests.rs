//! The channel manager's rules, one test each.

use alloy_primitives::{B256, Bytes};
use keel_protocol::{
    batch::{Batch, read_channel_batches},
    compression::{CompressionAlgo, decompress},
    frame::parse_frames,
    hardfork::HardforkTimes,
};

use super::*;
use crate::config::DataAvailability;

const GENESIS_TIME: u64 = 1_000;

fn rollup() -> RollupConfig {
    RollupConfig {
        block_time: 2,
        seq_window_size: 100,
        channel_timeout: 10,
        l1_chain_id: 900,
        l2_chain_id: 901,
        genesis: keel_protocol::rollup_config::ChainGenesis {
            l2_time: GENESIS_TIME,
            ..Default::default()
        },
        ..Default::default()
    }
}

fn hash(fork: u8, n: u64) -> B256 {
    let mut b = [0u8; 32];
    b[0] = fork;
    b[24..].copy_from_slice(&n.to_be_bytes());
    B256::from(b)
}

/// Incompressible bytes (xorshift), so channel sizes are predictable.
fn noise(seed: u64, len: usize) -> Bytes {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Block `n` of chain `fork` (parent: block n-1 of the same fork), 3 blocks per epoch.
fn block(fork: u8, n: u64, tx_len: usize) -> BatchBlock {
    let epoch = n / 3;
    BatchBlock {
        id: BlockId {
            hash: hash(fork, n),
            number: n,
        },
        l1_origin: BlockId {
            hash: hash(0xee, epoch),
            number: epoch,
        },
        l1_origin_time: epoch * 12,
        sequence_number: n % 3,
        batch: keel_protocol::batch::SingleBatch {
            parent_hash: hash(fork, n - 1),
            epoch_num: epoch,
            epoch_hash: hash(0xee, epoch),
            timestamp: GENESIS_TIME + 2 * n,
            transactions: if tx_len == 0 {
                vec![]
            } else {
                vec![noise(n, tx_len)]
            },
        },
    }
}

fn safe(n: u64) -> BlockId {
    BlockId {
        hash: hash(1, n),
        number: n,
    }
}

fn head(number: u64) -> L1Head {
    L1Head {
        number,
        timestamp: number * 12,
    }
}

fn manager(config: BatcherConfig) -> ChannelManager {
    let mut m = ChannelManager::new(rollup(), config, [9; 32]);
    m.on_safe_head(safe(0));
    m
}

fn small_calldata() -> BatcherConfig {
    BatcherConfig {
        max_l1_tx_size: 1_000,
        sub_safety_margin: 4,
        ..Default::default()
    }
}

/// The singular batches a sequence of payloads decodes to (all frames of complete channels).
fn decode(txs: &[TxData]) -> Vec<keel_protocol::batch::SingleBatch> {
    let mut frames = Vec::new();
    for tx in txs {
        match tx.data_availability {
            DataAvailability::Calldata => frames.extend(parse_frames(&tx.calldata()).unwrap()),
            DataAvailability::Blobs => {
                for blob in tx.blobs().unwrap() {
                    let data = keel_protocol::blob::decode_blob(blob.as_slice()).unwrap();
                    frames.extend(parse_frames(&data).unwrap());
                }
            }
        }
    }
    let mut out = Vec::new();
    for ch in keel_protocol::channel::assemble_channels(&frames) {
        let data = ch.data().expect("complete channel");
        let (_, raw) = decompress(&data, 10_000_000, true).unwrap();
        let (batches, err) = read_channel_batches(&raw, 10_000_000);
        assert!(err.is_none(), "{err:?}");
        for b in batches {
            match b {
                Batch::Single(s) => out.push(s),
                Batch::Span(_) => panic!("singular expected"),
            }
        }
    }
    out
}

#[test]
fn blocks_must_chain_and_a_reorg_resets_to_the_safe_head() {
    let mut m = manager(small_calldata());
    for n in 1..=3 {
        m.add_block(block(1, n, 10)).unwrap();
    }
    assert_eq!(m.next_block_to_load(), Some(4));
    // Block 4 of another fork: parent is not our block 3.
    let mut other = block(2, 4, 10);
    other.batch.parent_hash = hash(2, 3);
    let err = m.add_block(other).unwrap_err();
    assert_eq!(
        err,
        AddBlockError::Reorg {
            number: 4,
            parent: hash(2, 3),
            expected_number: 4,
            expected: hash(1, 3),
        }
    );
    assert_eq!(m.pending_blocks(), 0);
    assert_eq!(
        m.next_block_to_load(),
        Some(1),
        "restart after the safe head"
    );
    assert_eq!(m.stats().l2_reorgs, 1);
    // A gap is refused the same way.
    let err = m.add_block(block(1, 2, 10)).unwrap_err();
    assert!(matches!(
        err,
        AddBlockError::Reorg {
            number: 2,
            expected_number: 1,
            ..
        }
    ));
}

#[test]
fn channel_closes_at_target_size_into_one_frame_per_tx() {
    let mut m = manager(small_calldata());
    for n in 1..=12 {
        m.add_block(block(1, n, 300)).unwrap();
    }
    let mut txs = Vec::new();
    while let Some(tx) = m.next_tx_data(head(1)).unwrap() {
        assert_eq!(tx.frames.len(), 1, "calldata: one frame per tx");
        assert!(tx.calldata().len() <= 1_000, "{}", tx.calldata().len());
        txs.push(tx);
    }
    // Incompressible 300-byte blocks: about three fit 999-byte frames; the rest stay queued
    // in the open channel, which is not full yet.
    let posted = decode(&txs);
    assert!(posted.len() >= 9, "{}", posted.len());
    assert_eq!(
        posted,
        (1..=posted.len() as u64)
            .map(|n| block(1, n, 300).batch)
            .collect::<Vec<_>>()
    );
    // Flushing posts the rest.
    while let Some(tx) = m.flush(head(1)).unwrap() {
        txs.push(tx);
    }
    assert_eq!(
        decode(&txs),
        (1..=12).map(|n| block(1, n, 300).batch).collect::<Vec<_>>()
    );
}

#[test]
fn channel_waits_for_max_duration() {
    let mut m = manager(BatcherConfig {
        max_channel_duration: 5,
        ..small_calldata()
    });
    m.add_block(block(1, 1, 10)).unwrap();
    // (The sequencing window of epoch 0 closes the channel at 96, later than this.)
    assert_eq!(m.next_tx_data(head(10)).unwrap(), None, "opened at 10");
    m.add_block(block(1, 2, 10)).unwrap();
    assert_eq!(m.next_tx_data(head(14)).unwrap(), None);
    let tx = m.next_tx_data(head(15)).unwrap().expect("duration reached");
    assert_eq!(
        decode(&[tx]),
        vec![block(1, 1, 10).batch, block(1, 2, 10).batch]
    );
}

#[test]
fn channel_closes_before_the_sequencing_window_ends() {
    // Blocks 30..32 have epoch 10; window 100, margin 4: close at L1 block 106.
    let mut m = ChannelManager::new(rollup(), small_calldata(), [1; 32]);
    m.on_safe_head(safe(29));
    m.add_block(block(1, 30, 10)).unwrap();
    assert_eq!(m.next_tx_data(head(105)).unwrap(), None);
    assert!(m.next_tx_data(head(106)).unwrap().is_some());
}

#[test]
fn blob_txs_carry_several_frames_and_calldata_one() {
    let cfg = BatcherConfig {
        data_availability: DataAvailability::Blobs,
        target_num_frames: 3,
        ..small_calldata()
    };
    let mut m = manager(cfg);
    // ~400 KB incompressible: 3 frames of ~130 KB plus one more channel.
    for n in 1..=40 {
        m.add_block(block(1, n, 10_000)).unwrap();
    }
    let tx = m.next_tx_data(head(1)).unwrap().expect("full channel");
    assert_eq!(tx.frames.len(), 3);
    assert_eq!(tx.blobs().unwrap().len(), 3);
    assert!(
        tx.frames
            .iter()
            .all(|f| f.encoded_len() <= crate::config::MAX_BLOB_FRAME_SIZE)
    );
    assert_eq!(
        tx.frames.iter().map(|f| f.number).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    let mut txs = vec![tx];
    while let Some(tx) = m.flush(head(1)).unwrap() {
        txs.push(tx);
    }
    assert_eq!(
        decode(&txs),
        (1..=40)
            .map(|n| block(1, n, 10_000).batch)
            .collect::<Vec<_>>()
    );
}

/// Blocks 1..=4 of 300 bytes in a channel of 1 frame per tx, frames of 300 bytes: several
/// frames.
fn multi_frame() -> (ChannelManager, Vec<TxData>) {
    let mut m = manager(BatcherConfig {
        max_l1_tx_size: 301,
        target_num_frames: 10,
        ..small_calldata()
    });
    for n in 1..=4 {
        m.add_block(block(1, n, 300)).unwrap();
    }
    let first = m.flush(head(1)).unwrap().unwrap();
    let mut txs = vec![first];
    while let Some(tx) = m.next_tx_data(head(1)).unwrap() {
        txs.push(tx);
    }
    (m, txs)
}

#[test]
fn failed_tx_frames_go_out_again_first() {
    let (mut m, txs) = multi_frame();
    assert!(txs.len() >= 4, "{}", txs.len());
    let numbers: Vec<u16> = txs.iter().map(|t| t.frames[0].number).collect();
    assert_eq!(numbers, (0..txs.len() as u16).collect::<Vec<_>>());
    assert_eq!(m.tx_failed(txs[1].id), TxOutcome::Recorded);
    assert_eq!(m.tx_failed(txs[2].id), TxOutcome::Recorded);
    let again = m.next_tx_data(head(2)).unwrap().unwrap();
    assert_eq!(again.frames, txs[1].frames);
    assert_ne!(again.id, txs[1].id);
    let again = m.next_tx_data(head(2)).unwrap().unwrap();
    assert_eq!(again.frames, txs[2].frames);
    assert_eq!(m.next_tx_data(head(2)).unwrap(), None);
    assert_eq!(m.tx_failed(TxId(999)), TxOutcome::Unknown);
}

#[test]
fn confirmed_channel_is_kept_until_safe_then_pruned() {
    let (mut m, txs) = multi_frame();
    let last = txs.len() - 1;
    for (i, tx) in txs.iter().enumerate() {
        let at = BlockId {
            hash: hash(0xaa, 50),
            number: 50,
        };
        let expect = if i == last {
            TxOutcome::ChannelComplete
        } else {
            TxOutcome::Recorded
        };
        assert_eq!(m.tx_confirmed(tx.id, at), expect);
    }
    assert_eq!(
        m.confirmed_inclusions(),
        vec![BlockId {
            hash: hash(0xaa, 50),
            number: 50
        }]
    );
    assert!(m.is_idle());
    assert!(!m.on_safe_head(safe(3)));
    assert_eq!(m.pending_blocks(), 4, "block 4 still unsafe: channel kept");
    assert!(!m.on_safe_head(safe(4)));
    assert_eq!(m.pending_blocks(), 0);
    assert!(m.confirmed_inclusions().is_empty());
    assert_eq!(m.next_block_to_load(), Some(5));
}

#[test]
fn l1_reorg_requeues_frames_confirmed_in_dropped_blocks() {
    let (mut m, txs) = multi_frame();
    m.tx_confirmed(
        txs[0].id,
        BlockId {
            hash: hash(0xaa, 50),
            number: 50,
        },
    );
    m.tx_confirmed(
        txs[1].id,
        BlockId {
            hash: hash(0xaa, 51),
            number: 51,
        },
    );
    m.tx_confirmed(
        txs[2].id,
        BlockId {
            hash: hash(0xaa, 52),
            number: 52,
        },
    );
    assert_eq!(m.on_l1_reorg(50), 2);
    assert_eq!(
        m.confirmed_inclusions(),
        vec![BlockId {
            hash: hash(0xaa, 50),
            number: 50
        }]
    );
    let again = m.next_tx_data(head(53)).unwrap().unwrap();
    assert_eq!(again.frames, txs[1].frames);
    let again = m.next_tx_data(head(53)).unwrap().unwrap();
    assert_eq!(again.frames, txs[2].frames);
}

#[test]
fn channel_timed_out_on_l1_is_rebuilt_with_later_blocks() {
    let (mut m, txs) = multi_frame();
    // A second channel after it.
    m.add_block(block(1, 5, 10)).unwrap();
    let later = m.flush(head(1)).unwrap().unwrap();
    assert_ne!(later.channel_id, txs[0].channel_id);
    m.tx_confirmed(
        txs[0].id,
        BlockId {
            hash: hash(0xaa, 100),
            number: 100,
        },
    );
    // Channel timeout 10: a frame 10 blocks after the first is too late.
    let out = m.tx_confirmed(
        txs[1].id,
        BlockId {
            hash: hash(0xaa, 110),
            number: 110,
        },
    );
    assert_eq!(out, TxOutcome::ChannelTimedOut);
    assert_eq!(m.stats().channels_timed_out, 1);
    // Both channels' in-flight payloads are forgotten.
    assert_eq!(
        m.tx_confirmed(later.id, BlockId::default()),
        TxOutcome::Unknown
    );
    assert_eq!(m.tx_failed(txs[2].id), TxOutcome::Unknown);
    // Blocks 1..=5 go out again, in order, in new channels.
    let mut again = Vec::new();
    while let Some(tx) = m.flush(head(111)).unwrap() {
        assert_ne!(tx.channel_id, txs[0].channel_id);
        assert_ne!(tx.channel_id, later.channel_id);
        again.push(tx);
    }
    let mut expect: Vec<_> = (1..=4).map(|n| block(1, n, 300).batch).collect();
    expect.push(block(1, 5, 10).batch);
    assert_eq!(decode(&again), expect);
}

#[test]
fn channel_that_cannot_finish_in_time_is_rebuilt_on_l1_head() {
    let (mut m, txs) = multi_frame();
    m.tx_confirmed(
        txs[0].id,
        BlockId {
            hash: hash(0xaa, 100),
            number: 100,
        },
    );
    m.on_l1_head(head(109));
    assert_eq!(m.stats().channels_timed_out, 0);
    m.on_l1_head(head(110));
    assert_eq!(m.stats().channels_timed_out, 1);
    let tx = m.flush(head(110)).unwrap().unwrap();
    assert_ne!(tx.channel_id, txs[0].channel_id);
    assert_eq!(tx.frames[0].number, 0);
}

#[test]
fn safe_blocks_are_never_posted() {
    let mut m = manager(small_calldata());
    for n in 1..=6 {
        m.add_block(block(1, n, 10)).unwrap();
    }
    // Another batcher (or an earlier run) got blocks up to 3 safe.
    assert!(!m.on_safe_head(safe(3)));
    let tx = m.flush(head(1)).unwrap().unwrap();
    assert_eq!(
        decode(&[tx]),
        (4..=6).map(|n| block(1, n, 10).batch).collect::<Vec<_>>()
    );
}

#[test]
fn safe_head_on_another_chain_or_past_the_tip_resets() {
    let mut m = manager(small_calldata());
    for n in 1..=4 {
        m.add_block(block(1, n, 10)).unwrap();
    }
    assert!(
        m.on_safe_head(BlockId {
            hash: hash(7, 2),
            number: 2
        }),
        "hash differs"
    );
    assert_eq!(m.pending_blocks(), 0);
    assert_eq!(m.next_block_to_load(), Some(3));
    let mut m = manager(small_calldata());
    m.add_block(block(1, 1, 10)).unwrap();
    assert!(m.on_safe_head(safe(8)), "safe head passed the tip");
    assert_eq!(m.next_block_to_load(), Some(9));
}

#[test]
fn safe_head_going_back_below_pruned_channels_resets() {
    let (mut m, txs) = multi_frame();
    let at = BlockId {
        hash: hash(0xaa, 50),
        number: 50,
    };
    for tx in &txs {
        m.tx_confirmed(tx.id, at);
    }
    assert!(!m.on_safe_head(safe(4)));
    assert_eq!(m.pending_blocks(), 0);
    assert_eq!(m.next_block_to_load(), Some(5));
    // An L1 reorg removed the batches of blocks 3 and 4: the node's safe head went back.
    // Nothing held covers them, so the batcher must load them again.
    assert!(m.on_safe_head(safe(2)), "gap after the safe head");
    assert_eq!(m.next_block_to_load(), Some(3));
    // Same with blocks still held, but above the gap.
    let mut m = manager(small_calldata());
    for n in 1..=4 {
        m.add_block(block(1, n, 10)).unwrap();
    }
    assert!(!m.on_safe_head(safe(2)));
    assert!(
        !m.on_safe_head(safe(2)),
        "the same safe head again is no gap"
    );
    assert!(
        m.on_safe_head(safe(1)),
        "went back below the oldest held (3)"
    );
    assert_eq!(m.next_block_to_load(), Some(2));
}

#[test]
fn open_channel_partly_safe_is_rebuilt_from_the_first_unsafe_block() {
    let mut m = manager(BatcherConfig {
        max_channel_duration: 100,
        ..small_calldata()
    });
    for n in 1..=3 {
        m.add_block(block(1, n, 10)).unwrap();
    }
    assert_eq!(m.next_tx_data(head(1)).unwrap(), None, "open, not full");
    assert!(!m.on_safe_head(safe(2)));
    let tx = m.flush(head(2)).unwrap().unwrap();
    assert_eq!(decode(&[tx]), vec![block(1, 3, 10).batch]);
}

#[test]
fn span_batches_and_brotli_after_delta_and_fjord() {
    let mut r = rollup();
    r.hardforks = HardforkTimes {
        delta_time: Some(0),
        fjord_time: Some(0),
        ..Default::default()
    };
    let mut m = ChannelManager::new(r, small_calldata(), [3; 32]);
    m.on_safe_head(safe(0));
    for n in 1..=5 {
        m.add_block(block(1, n, 0)).unwrap();
    }
    let tx = m.flush(head(1)).unwrap().unwrap();
    let frames = parse_frames(&tx.calldata()).unwrap();
    let data: Vec<u8> = frames.iter().flat_map(|f| f.data.to_vec()).collect();
    assert_eq!(
        keel_protocol::compression::detect(&data, true).unwrap(),
        CompressionAlgo::Brotli
    );
    let (_, raw) = decompress(&data, 100_000_000, true).unwrap();
    let (batches, err) = read_channel_batches(&raw, 100_000_000);
    assert!(err.is_none());
    let [Batch::Span(span)] = batches.as_slice() else {
        panic!("one span batch: {batches:?}")
    };
    assert_eq!(span.block_count(), 5);
    assert_eq!(span.epoch_numbers(), vec![0, 0, 1, 1, 1]);
    assert_eq!(span.rel_timestamp(), 2);
}

#[test]
fn channel_ids_differ_per_seed_and_per_channel() {
    let ids = |seed| {
        let mut m = ChannelManager::new(rollup(), small_calldata(), seed);
        m.on_safe_head(safe(0));
        let mut ids = Vec::new();
        for n in 1..=2 {
            m.add_block(block(1, n, 10)).unwrap();
            ids.push(m.flush(head(1)).unwrap().unwrap().channel_id);
        }
        ids
    };
    let a = ids([1; 32]);
    assert_ne!(a[0], a[1]);
    assert_eq!(a, ids([1; 32]), "deterministic for a seed");
    assert_ne!(a, ids([2; 32]));
}
