#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! The batcher's channel builder: frames decode back to the blocks that went in.

mod batches_support;

use alloy_primitives::{B128, B256};
use batches_support::{BLOCK_TIME, CHAIN_ID, GENESIS, epoch_hash, realistic_blocks};
use keel_protocol::batch::{Batch, SingleBatch, read_channel_batches};
use keel_protocol::channel::assemble_channels;
use keel_protocol::channel_builder::{
    BatchKind, ChannelBuilder, ChannelBuilderError, ChannelConfig,
};
use keel_protocol::compression::{CompressionAlgo, decompress};
use keel_protocol::frame::{Frame, encode_frames, parse_frames};

const ID: B128 = B128::new([7; 16]);

fn config(algo: CompressionAlgo, kind: BatchKind) -> ChannelConfig {
    ChannelConfig {
        algo,
        kind,
        max_frame_size: 1_000,
        target_compressed_size: 1_000_000,
        max_rlp_bytes: 10_000_000,
        chain_id: CHAIN_ID,
        genesis_timestamp: GENESIS,
        block_time: BLOCK_TIME,
    }
}

/// What a verifier reads from the frames: through calldata encoding, frame parsing, channel
/// assembly, decompression and the batch reader.
fn read_back(frames: &[Frame]) -> Vec<Batch> {
    let mut calldata = encode_frames(frames);
    let parsed = parse_frames(&calldata).unwrap();
    assert_eq!(parsed, frames);
    calldata.clear();
    let channels = assemble_channels(&parsed);
    assert_eq!(channels.len(), 1);
    assert!(channels[0].is_ready());
    let (_, out) = decompress(&channels[0].data().unwrap(), 10_000_000, true).unwrap();
    let (batches, err) = read_channel_batches(&out, 10_000_000);
    assert!(err.is_none(), "{err:?}");
    batches
}

fn check_frames(frames: &[Frame], max_frame_size: usize) {
    for (i, f) in frames.iter().enumerate() {
        assert_eq!(f.channel_id, ID);
        assert_eq!(usize::from(f.number), i);
        assert_eq!(f.is_last, i + 1 == frames.len());
        assert!(f.encoded_len() <= max_frame_size);
    }
}

fn to_singles(batches: &[Batch], parent: B256) -> Vec<SingleBatch> {
    match batches {
        [Batch::Span(raw)] => raw
            .to_span_batch(GENESIS, BLOCK_TIME, CHAIN_ID)
            .unwrap()
            .to_singular_batches(|n| Some(epoch_hash(n)), parent)
            .unwrap(),
        other => other
            .iter()
            .map(|b| match b {
                Batch::Single(s) => s.clone(),
                Batch::Span(_) => panic!("mixed"),
            })
            .collect(),
    }
}

#[test]
fn every_algo_and_kind_round_trips() {
    let blocks = realistic_blocks(24, 5);
    for algo in [CompressionAlgo::Zlib, CompressionAlgo::Brotli] {
        for kind in [BatchKind::Singular, BatchKind::Span] {
            let cfg = config(algo, kind);
            let mut b = ChannelBuilder::new(cfg.clone(), ID).unwrap();
            for (i, block) in blocks.iter().enumerate() {
                b.add_block(block.clone(), (i % 6) as u64).unwrap();
            }
            assert!(!b.is_full());
            let frames = b.output_frames().unwrap();
            assert!(
                frames.len() > 1,
                "{algo:?} {kind:?}: data spans several 1000-byte frames"
            );
            check_frames(&frames, cfg.max_frame_size);
            let batches = read_back(&frames);
            match kind {
                BatchKind::Singular => assert_eq!(batches.len(), blocks.len()),
                BatchKind::Span => {
                    assert_eq!(batches.len(), 1);
                    let Batch::Span(raw) = &batches[0] else {
                        panic!("span")
                    };
                    // The first block is the first of its epoch (seq 0): origin bit 0 is set.
                    assert!(raw.origin_bits().get(0));
                }
            }
            assert_eq!(
                to_singles(&batches, blocks[0].parent_hash),
                blocks,
                "{algo:?} {kind:?}"
            );
        }
    }
}

#[test]
fn full_channel_hands_the_block_back_for_the_next_channel() {
    for kind in [BatchKind::Singular, BatchKind::Span] {
        let blocks = realistic_blocks(60, 10);
        let cfg = ChannelConfig {
            target_compressed_size: 20_000,
            ..config(CompressionAlgo::Zlib, kind)
        };
        let mut channels = vec![ChannelBuilder::new(cfg.clone(), ID).unwrap()];
        for (i, block) in blocks.iter().enumerate() {
            let current = channels.last_mut().unwrap();
            match current.add_block(block.clone(), i as u64 % 6) {
                Ok(()) => {}
                Err(ChannelBuilderError::Full { batch, blocks }) => {
                    assert!(blocks > 0);
                    assert_eq!(*batch, *block);
                    let mut next = ChannelBuilder::new(cfg.clone(), ID).unwrap();
                    next.add_block(*batch, i as u64 % 6).unwrap();
                    channels.push(next);
                }
                Err(e) => panic!("{e}"),
            }
        }
        assert!(
            channels.len() > 1,
            "{kind:?}: 60 blocks of 10 txs do not fit 20 kB"
        );
        let mut all = Vec::new();
        let mut parent = blocks[0].parent_hash;
        for c in channels {
            let n = c.block_count();
            let frames = c.output_frames().unwrap();
            let size: usize = frames.iter().map(|f| f.data.len()).sum();
            assert!(
                size < 30_000,
                "{kind:?}: {size} bytes is far past the 20 kB target"
            );
            let batches = read_back(&frames);
            let mut singles = to_singles(&batches, parent);
            // Span batches do not carry later parents: restore them to compare.
            for (s, want) in singles.iter_mut().zip(&blocks[all.len()..]) {
                s.parent_hash = want.parent_hash;
            }
            assert_eq!(singles.len(), n);
            all.extend(singles);
            parent = B256::ZERO;
        }
        assert_eq!(all, blocks, "{kind:?}");
    }
}

#[test]
fn hard_rlp_limit_and_config_checks() {
    let blocks = realistic_blocks(5, 10);
    let cfg = ChannelConfig {
        max_rlp_bytes: 3_000,
        ..config(CompressionAlgo::Zlib, BatchKind::Singular)
    };
    let mut b = ChannelBuilder::new(cfg, ID).unwrap();
    b.add_block(blocks[0].clone(), 0).unwrap();
    assert!(matches!(
        b.add_block(blocks[1].clone(), 1),
        Err(ChannelBuilderError::Full { .. })
    ));
    assert!(b.is_full());
    assert_eq!(read_back(&b.output_frames().unwrap()).len(), 1);

    let tiny = ChannelConfig {
        max_rlp_bytes: 100,
        ..config(CompressionAlgo::Zlib, BatchKind::Singular)
    };
    let mut b = ChannelBuilder::new(tiny, ID).unwrap();
    assert!(matches!(
        b.add_block(blocks[0].clone(), 0),
        Err(ChannelBuilderError::BlockTooLarge { .. })
    ));
    assert!(matches!(b.output_frames(), Err(ChannelBuilderError::Empty)));

    for size in [0, 23, 2_000_000] {
        let cfg = ChannelConfig {
            max_frame_size: size,
            ..config(CompressionAlgo::Zlib, BatchKind::Singular)
        };
        assert!(matches!(
            ChannelBuilder::new(cfg, ID),
            Err(ChannelBuilderError::FrameSize { .. })
        ));
    }
}

#[test]
fn span_channel_refuses_a_gap() {
    let mut blocks = realistic_blocks(3, 1);
    blocks[2].timestamp += BLOCK_TIME;
    let mut b = ChannelBuilder::new(config(CompressionAlgo::Brotli, BatchKind::Span), ID).unwrap();
    b.add_block(blocks[0].clone(), 3).unwrap();
    b.add_block(blocks[1].clone(), 4).unwrap();
    assert!(matches!(
        b.add_block(blocks[2].clone(), 5),
        Err(ChannelBuilderError::Batch(_))
    ));
    let batches = read_back(&b.output_frames().unwrap());
    let [Batch::Span(raw)] = batches.as_slice() else {
        panic!("one span batch")
    };
    assert_eq!(raw.block_count(), 2);
    assert!(!raw.origin_bits().get(0), "first block had seq 3");
}
