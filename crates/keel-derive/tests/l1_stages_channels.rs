#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Frame queue, channel bank (pre-Holocene) and channel assembler (Holocene).

mod common;

use std::sync::Arc;

use alloy_primitives::Bytes;
use common::chain::*;
use keel_derive::{
    stages::{
        channel_assembler::{AssemblerError, ChannelAssembler},
        channel_bank::{ChannelBank, ChannelBankError},
        channel_stage::ChannelStage,
        frame_queue::FrameQueue,
    },
    types::L1BlockRef,
};
use keel_protocol::{
    channel::{CHANNEL_BANK_FRAME_OVERHEAD, ChannelError},
    frame::Frame,
    rollup_config::{MAX_CHANNEL_BANK_SIZE_BEDROCK, MAX_RLP_BYTES_PER_CHANNEL_BEDROCK},
};

fn l1(number: u64) -> L1BlockRef {
    L1BlockRef {
        number,
        timestamp: number * L1_BLOCK_TIME,
        ..Default::default()
    }
}

/// Feeds frames one data payload per entry, each at its L1 block, through the channel stage
/// (op-node's pull order), and returns the ids and data of the channels read.
fn run(
    cfg: &Arc<keel_protocol::rollup_config::RollupConfig>,
    input: &[(u64, Vec<Frame>)],
) -> Vec<(u8, Vec<u8>, u64)> {
    let mut fq = FrameQueue::new(Arc::clone(cfg));
    let mut stage = ChannelStage::new(Arc::clone(cfg));
    let mut out = Vec::new();
    for (block, frames) in input {
        let origin = l1(*block);
        while let Some(ch) = stage.next_channel(&mut fq, origin) {
            out.push((ch.id[0], ch.data, ch.l1.number));
        }
        if !frames.is_empty() {
            fq.push(&payload(frames), origin).unwrap();
        }
        while let Some(ch) = stage.next_channel(&mut fq, origin) {
            out.push((ch.id[0], ch.data, ch.l1.number));
        }
    }
    out
}

#[test]
fn frames_out_of_order_and_duplicated() {
    let cfg = Arc::new(config(None, None, None));
    let got = run(
        &cfg,
        &[
            (10, vec![frame(1, 2, b"C", true), frame(1, 0, b"A", false)]),
            (
                11,
                vec![frame(1, 0, b"dup", false), frame(1, 2, b"dup-close", true)],
            ),
            (
                12,
                vec![frame(1, 3, b"past end", false), frame(1, 1, b"B", false)],
            ),
        ],
    );
    assert_eq!(got, vec![(1, b"ABC".to_vec(), 12)]);
}

#[test]
fn channel_bank_drop_reasons() {
    let cfg = Arc::new(config(None, None, None));
    let mut bank = ChannelBank::new(Arc::clone(&cfg));
    bank.add_frame(frame(1, 0, b"a", false), l1(5)).unwrap();
    assert_eq!(
        bank.add_frame(frame(1, 0, b"a", false), l1(5)),
        Err(ChannelBankError::Rejected(ChannelError::DuplicateFrame {
            channel: cid(1),
            number: 0
        }))
    );
    bank.add_frame(frame(1, 1, b"b", true), l1(6)).unwrap();
    assert!(matches!(
        bank.add_frame(frame(1, 2, b"c", true), l1(6)),
        Err(ChannelBankError::Rejected(
            ChannelError::DuplicateClose { .. }
        ))
    ));
    assert_eq!(bank.total_size(), 2 * (1 + CHANNEL_BANK_FRAME_OVERHEAD));
    let ch = bank.next_channel(l1(6)).unwrap();
    assert_eq!(
        (ch.id, ch.data.as_slice(), ch.opened_at),
        (cid(1), b"ab".as_ref(), 5)
    );
    assert!(bank.is_empty());
    assert_eq!(bank.total_size(), 0);
}

#[test]
fn channel_timeout_pre_granite_300() {
    let cfg = Arc::new(config(None, None, None));
    // Opened at 10: frames at 310 (= 10 + 300) still count, at 311 the channel is timed out.
    let got = run(
        &cfg,
        &[
            (10, vec![frame(1, 0, b"a", false)]),
            (310, vec![frame(1, 1, b"b", true)]),
        ],
    );
    assert_eq!(got, vec![(1, b"ab".to_vec(), 310)]);

    let mut bank = ChannelBank::new(Arc::clone(&cfg));
    bank.add_frame(frame(2, 0, b"a", false), l1(10)).unwrap();
    assert!(matches!(
        bank.add_frame(frame(2, 1, b"b", true), l1(311)),
        Err(ChannelBankError::TimedOut {
            open_l1_block: 10,
            current_l1_block: 311,
            ..
        })
    ));
    assert_eq!(bank.len(), 1, "timed out but not yet removed");
    assert_eq!(bank.next_channel(l1(311)), None);
    assert!(bank.is_empty(), "reading removes the timed-out head");
    assert_eq!(bank.total_size(), 0);

    let got = run(
        &cfg,
        &[
            (10, vec![frame(3, 0, b"a", false)]),
            (311, vec![frame(3, 1, b"b", true)]),
        ],
    );
    assert!(got.is_empty());
}

#[test]
fn channel_timeout_granite_50() {
    // Granite from L1 time 0: timeout 50.
    let cfg = Arc::new(config(Some(0), Some(0), None));
    let got = run(
        &cfg,
        &[
            (10, vec![frame(1, 0, b"a", false)]),
            (60, vec![frame(1, 1, b"b", true)]),
        ],
    );
    assert_eq!(got, vec![(1, b"ab".to_vec(), 60)]);
    let got = run(
        &cfg,
        &[
            (10, vec![frame(1, 0, b"a", false)]),
            (61, vec![frame(1, 1, b"b", true)]),
        ],
    );
    assert!(got.is_empty());

    // A channel opened before Granite is judged with 50 once the origin is past Granite
    // (op-node: ChannelTimeout(origin.Time)). Granite at block 100's time.
    let cfg = Arc::new(config(Some(0), Some(100 * L1_BLOCK_TIME), None));
    let got = run(
        &cfg,
        &[
            (90, vec![frame(1, 0, b"a", false)]),
            (141, vec![frame(1, 1, b"b", true)]),
        ],
    );
    assert!(got.is_empty());
    let got = run(
        &cfg,
        &[
            (90, vec![frame(1, 0, b"a", false)]),
            (99, vec![frame(1, 1, b"b", true)]),
        ],
    );
    assert_eq!(got.len(), 1);
}

#[test]
fn timed_out_head_is_removed_before_a_ready_channel_behind_it() {
    // Pre-Canyon (Canyon never): only the head is read; a ready channel waits behind an
    // unready head until the head times out.
    let mut c = config(None, None, None);
    c.hardforks.canyon_time = None;
    let cfg = Arc::new(c);
    let got = run(
        &cfg,
        &[
            (10, vec![frame(1, 0, b"head", false)]),
            (11, vec![frame(2, 0, b"ready", true)]),
            (311, vec![]),
        ],
    );
    assert_eq!(got, vec![(2, b"ready".to_vec(), 311)]);

    // From Canyon the first ready channel is read at once.
    let cfg = Arc::new(config(None, None, None));
    let got = run(
        &cfg,
        &[
            (10, vec![frame(1, 0, b"head", false)]),
            (11, vec![frame(2, 0, b"ready", true)]),
        ],
    );
    assert_eq!(got, vec![(2, b"ready".to_vec(), 11)]);
}

#[test]
fn oversized_bank_prunes_oldest_first() {
    let cfg = Arc::new(config(None, None, None));
    let mut bank = ChannelBank::new(Arc::clone(&cfg));
    // 1 MB frames share one buffer (Bytes clones are cheap).
    let mb = Bytes::from(vec![7u8; 1_000_000]);
    let big = |id: u8, n: u16| Frame {
        channel_id: cid(id),
        number: n,
        data: mb.clone(),
        is_last: false,
    };
    let per_frame = 1_000_000 + CHANNEL_BANK_FRAME_OVERHEAD;
    for n in 0..40 {
        assert_eq!(bank.add_frame(big(1, n), l1(1)).unwrap(), 0);
    }
    for n in 0..40 {
        assert_eq!(bank.add_frame(big(2, n), l1(2)).unwrap(), 0);
    }
    for n in 0..19 {
        assert_eq!(bank.add_frame(big(3, n), l1(3)).unwrap(), 0);
    }
    assert_eq!(bank.total_size(), 99 * per_frame);
    assert!(bank.total_size() as u64 <= MAX_CHANNEL_BANK_SIZE_BEDROCK);
    // The 100th MB frame (plus overheads) goes over 100 MB: the oldest channel goes.
    assert_eq!(bank.add_frame(big(3, 19), l1(3)).unwrap(), 1);
    assert_eq!(bank.channel_ids().collect::<Vec<_>>(), vec![cid(2), cid(3)]);
    assert_eq!(bank.total_size(), 60 * per_frame);
    // A frame for the pruned channel reopens it at the back (ids can be reused once pruned).
    bank.add_frame(
        Frame {
            channel_id: cid(1),
            number: 0,
            data: Bytes::from_static(b"x"),
            is_last: true,
        },
        l1(4),
    )
    .unwrap();
    assert_eq!(
        bank.channel_ids().collect::<Vec<_>>(),
        vec![cid(2), cid(3), cid(1)]
    );
    let ch = bank.next_channel(l1(4)).unwrap();
    assert_eq!((ch.id, ch.opened_at), (cid(1), 4));
}

#[test]
fn holocene_frame_queue_pruning() {
    let cfg = Arc::new(config(Some(0), Some(0), Some(0)));
    let mut fq = FrameQueue::new(Arc::clone(&cfg));
    let origin = l1(5);
    fq.push(
        &payload(&[
            frame(1, 0, b"a", false),
            frame(1, 2, b"gap", false),
            frame(1, 1, b"b", true),
            frame(1, 2, b"after close", true),
            frame(2, 0, b"x", false),
            frame(3, 0, b"y", false),
            frame(3, 1, b"z", true),
        ]),
        origin,
    )
    .unwrap();
    let left: Vec<_> = std::iter::from_fn(|| fq.next_frame())
        .map(|(f, _)| (f.channel_id[0], f.number))
        .collect();
    assert_eq!(left, vec![(1, 0), (1, 1), (3, 0), (3, 1)]);

    // Pre-Holocene the queue keeps everything (the bank sorts it out).
    let pre = Arc::new(config(None, None, None));
    let mut fq = FrameQueue::new(pre);
    assert_eq!(
        fq.push(
            &payload(&[frame(1, 2, b"", true), frame(1, 0, b"", false)]),
            origin
        ),
        Ok(2)
    );
    assert_eq!(fq.len(), 2);
    fq.clear();
    assert!(fq.is_empty());
}

#[test]
fn holocene_assembler_rules() {
    let cfg = Arc::new(config(Some(0), Some(0), Some(0)));
    let mut asm = ChannelAssembler::new(Arc::clone(&cfg));
    // Non-first frame without a channel.
    assert_eq!(
        asm.add_frame(frame(1, 1, b"b", false), l1(1)),
        Err(AssemblerError::NoChannel {
            channel: cid(1),
            number: 1
        })
    );
    // Single channel: frame 0 of channel 2 replaces unfinished channel 1.
    assert_eq!(asm.add_frame(frame(1, 0, b"a", false), l1(1)), Ok(None));
    assert_eq!(asm.add_frame(frame(2, 0, b"x", false), l1(1)), Ok(None));
    assert_eq!(asm.staging(), Some(cid(2)));
    assert!(matches!(
        asm.add_frame(frame(1, 1, b"b", true), l1(1)),
        Err(AssemblerError::Rejected(ChannelError::WrongChannel { .. }))
    ));
    assert!(matches!(
        asm.add_frame(frame(2, 2, b"gap", true), l1(1)),
        Err(AssemblerError::Rejected(ChannelError::OutOfOrder {
            number: 2,
            expected: 1,
            ..
        }))
    ));
    let ch = asm
        .add_frame(frame(2, 1, b"y", true), l1(2))
        .unwrap()
        .unwrap();
    assert_eq!(
        (ch.id, ch.data.as_slice(), ch.opened_at, ch.l1),
        (cid(2), b"xy".as_ref(), 1, l1(2))
    );
    assert_eq!(asm.staging(), None);

    // Timeout (Granite: 50): the next frame of a timed-out channel finds no channel.
    asm.add_frame(frame(3, 0, b"a", false), l1(10)).unwrap();
    assert_eq!(asm.add_frame(frame(3, 1, b"b", false), l1(60)), Ok(None));
    assert_eq!(
        asm.add_frame(frame(3, 2, b"c", true), l1(61)),
        Err(AssemblerError::NoChannel {
            channel: cid(3),
            number: 2
        })
    );
    asm.add_frame(frame(4, 0, b"a", false), l1(100)).unwrap();
    assert_eq!(asm.check_timeout(l1(151)), Some(cid(4)));
    assert_eq!(asm.staging(), None);
}

#[test]
fn holocene_assembler_size_limit() {
    // Fjord off: MAX_RLP_BYTES_PER_CHANNEL is 10 MB; size counts 200 bytes per frame.
    let cfg = Arc::new(config(None, None, Some(0)));
    let mut asm = ChannelAssembler::new(cfg);
    let mb = Bytes::from(vec![1u8; 1_000_000]);
    let big = |n: u16| Frame {
        channel_id: cid(1),
        number: n,
        data: mb.clone(),
        is_last: false,
    };
    for n in 0..9 {
        assert_eq!(asm.add_frame(big(n), l1(1)), Ok(None));
    }
    // 10 frames: 10_000_000 data + 2_000 overhead > 10_000_000.
    let err = asm.add_frame(big(9), l1(1)).unwrap_err();
    assert_eq!(
        err,
        AssemblerError::TooLarge {
            channel: cid(1),
            size: 10 * (1_000_000 + CHANNEL_BANK_FRAME_OVERHEAD),
            max: MAX_RLP_BYTES_PER_CHANNEL_BEDROCK
        }
    );
    assert_eq!(asm.staging(), None);
    assert!(matches!(
        asm.add_frame(big(10), l1(1)),
        Err(AssemblerError::NoChannel { .. })
    ));
}

#[test]
fn holocene_stage_via_frame_queue() {
    let cfg = Arc::new(config(Some(0), Some(0), Some(0)));
    let got = run(
        &cfg,
        &[
            // Channel 1 is replaced by channel 2's first frame; channel 2 completes in the
            // next block; channel 3's frame 1 arrives before its frame 0 and is dropped.
            (1, vec![frame(1, 0, b"a", false), frame(2, 0, b"x", false)]),
            (2, vec![frame(2, 1, b"y", true)]),
            (3, vec![frame(3, 1, b"late", true)]),
            (4, vec![frame(3, 0, b"p", true)]),
            // In one batcher tx, channel 4's frame 1 after channel 1's frame 1 is dropped
            // by the queue (a non-first frame of another channel), and channel 1's frame is
            // refused by the assembler (its staging channel is 4): nothing completes.
            (5, vec![frame(4, 0, b"q", false)]),
            (6, vec![frame(1, 1, b"b", true), frame(4, 1, b"r", true)]),
            (7, vec![frame(4, 1, b"r", true)]),
        ],
    );
    assert_eq!(
        got,
        vec![
            (2, b"xy".to_vec(), 2),
            (3, b"p".to_vec(), 4),
            (4, b"qr".to_vec(), 7)
        ]
    );
}

#[test]
fn holocene_activation_discards_the_bank() {
    // Holocene at block 20's time: channel 1 (pre-Holocene, unfinished) is dropped at
    // activation; its closing frame after activation finds no channel.
    let cfg = Arc::new(config(Some(0), Some(0), Some(20 * L1_BLOCK_TIME)));
    let got = run(
        &cfg,
        &[
            (18, vec![frame(1, 1, b"b", false), frame(1, 0, b"a", false)]),
            (19, vec![frame(9, 0, b"pre", true)]),
            (20, vec![frame(1, 2, b"c", true)]),
            (21, vec![frame(2, 0, b"new", true)]),
        ],
    );
    assert_eq!(
        got,
        vec![(9, b"pre".to_vec(), 19), (2, b"new".to_vec(), 21)]
    );

    // Frames still queued from a pre-Holocene block are not assembled after activation.
    let mut fq = FrameQueue::new(Arc::clone(&cfg));
    let mut stage = ChannelStage::new(Arc::clone(&cfg));
    fq.push(&payload(&[frame(5, 0, b"old", true)]), l1(19))
        .unwrap();
    assert_eq!(stage.next_channel(&mut fq, l1(20)), None);
    assert!(stage.is_holocene() && fq.is_empty());

    // An L1 reorg back before activation brings the bank back.
    assert_eq!(stage.next_channel(&mut fq, l1(19)), None);
    assert!(!stage.is_holocene());
    assert!(stage.bank().is_some());
}
