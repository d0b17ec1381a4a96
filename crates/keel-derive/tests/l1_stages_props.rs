#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Property tests: pre-Holocene, the channel does not depend on the order or the L1 blocks
//! its frames arrive in (within the timeout), through signed batcher transactions.

mod common;

use std::sync::Arc;

use alloy_primitives::Bytes;
use common::chain::*;
use keel_derive::{stages::channel_bank::ChannelBank, types::L1BlockRef};
use keel_protocol::frame::Frame;
use proptest::prelude::*;

/// Delivers `frames[order[i]]` in the block at offset `offsets[i]` (sorted), one signed
/// batcher tx per frame, and returns the channels read.
fn deliver(
    cfg: keel_protocol::rollup_config::RollupConfig,
    frames: &[Frame],
    order: &[usize],
    offsets: &[u64],
) -> Vec<keel_derive::stages::channel_bank::ReadyChannel> {
    let batcher = key(1);
    let mut side = L1Side::new(cfg, genesis(), sys(addr(&batcher)));
    let mut chain = ChainBuilder::new();
    let mut deliveries: Vec<(u64, &Frame)> = order
        .iter()
        .zip(offsets)
        .map(|(&i, &o)| (o, &frames[i]))
        .collect();
    deliveries.sort_by_key(|(o, _)| *o);
    let last = deliveries.last().map_or(0, |(o, _)| *o);
    let mut out = Vec::new();
    for offset in 0..=last {
        let txs = deliveries
            .iter()
            .filter(|(o, _)| *o == offset)
            .map(|(_, f)| tx_1559(&batcher, L1_CHAIN_ID, INBOX, &payload(&[(*f).clone()])))
            .collect();
        out.extend(side.feed(&chain.block(txs), &[]).unwrap());
    }
    out
}

fn arb_case(max_offset: u64) -> impl Strategy<Value = (Vec<u8>, usize, Vec<usize>, Vec<u64>)> {
    (proptest::collection::vec(any::<u8>(), 1..600), 1usize..10).prop_flat_map(move |(data, n)| {
        let order = Just((0..n).collect::<Vec<_>>()).prop_shuffle();
        let offsets = proptest::collection::vec(0..=max_offset, n);
        (Just(data), Just(n), order, offsets)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any permutation of a channel's frames spread over L1 blocks within the (pre-Granite)
    /// timeout, with duplicates of some frames delivered again later, yields the channel's
    /// data exactly once.
    #[test]
    fn any_frame_order_within_timeout_gives_the_same_channel(
        (data, n, order, offsets) in arb_case(12),
        dups in proptest::collection::vec(0usize..10, 0..4),
    ) {
        let frames = split(7, &data, n);
        let mut order = order;
        let mut offsets = offsets;
        // Each duplicate rides in the same block as its original, after it: dropped while
        // the channel is buffered. (A copy arriving after the channel was read would open a
        // new channel, so only the first channel read is checked.)
        for i in &dups {
            let i = i % n;
            let pos = order.iter().position(|&x| x == i).unwrap();
            order.push(i);
            offsets.push(offsets[pos]);
        }
        let got = deliver(config(None, None, None), &frames, &order, &offsets);
        prop_assert!(!got.is_empty());
        prop_assert_eq!(&got[0].data, &data);
        prop_assert_eq!(got[0].id, cid(7));
        let first_block = genesis().number + 1 + offsets.iter().copied().min().unwrap();
        prop_assert_eq!(got[0].opened_at, first_block);
    }

    /// Under Granite (timeout 50), the channel is read iff every frame it needs arrived by
    /// `open + 50`.
    #[test]
    fn granite_timeout_decides_completion((data, n, order, offsets) in arb_case(80)) {
        let frames = split(3, &data, n);
        let cfg = config(Some(0), Some(0), None);
        let got = deliver(cfg, &frames, &order, &offsets);
        let open = offsets.iter().copied().min().unwrap();
        let ready_at = offsets.iter().copied().max().unwrap();
        if ready_at <= open + 50 {
            prop_assert_eq!(got.len(), 1);
            prop_assert_eq!(&got[0].data, &data);
        } else {
            prop_assert!(got.is_empty());
        }
    }

    /// Holocene: frames in order, spread over blocks within the timeout, give the channel;
    /// the channel's bytes are the same as pre-Holocene.
    #[test]
    fn holocene_in_order_frames((data, n, _order, offsets) in arb_case(40)) {
        let frames = split(5, &data, n);
        let mut offsets = offsets;
        offsets.sort_unstable();
        let order: Vec<usize> = (0..n).collect();
        let got = deliver(config(Some(0), Some(0), Some(0)), &frames, &order, &offsets);
        prop_assert_eq!(got.len(), 1);
        prop_assert_eq!(&got[0].data, &data);
    }

    /// The bank never exceeds `MAX_CHANNEL_BANK_SIZE` after a frame, and pruning removes the
    /// oldest channels: what is left is always the most recently opened ones, in order.
    #[test]
    fn bank_stays_bounded_and_prunes_oldest_first(
        frames in proptest::collection::vec(
            (0u8..6, 0u16..1000, 0usize..4, proptest::bool::weighted(0.01)),
            100..300,
        ),
    ) {
        // Large frames share one buffer, so 100+ MB banks cost nothing to build. With these
        // sizes most runs go over 100 MB and prune (checked by hand: ~55% of cases).
        let big = Bytes::from(vec![0u8; 1_000_000]);
        let sizes = [0usize, 400_000, 1_000_000, 1_000_000];
        let cfg = Arc::new(config(None, None, None));
        let max = cfg.max_channel_bank_size(0) as usize;
        let mut bank = ChannelBank::new(Arc::clone(&cfg));
        let mut opened = Vec::new();
        let l1 = L1BlockRef { number: 1, ..Default::default() };
        for (id, number, size, is_last) in frames {
            let f = Frame { channel_id: cid(id), number, data: big.slice(..sizes[size]), is_last };
            if !bank.channel_ids().any(|c| c == cid(id)) {
                opened.push(cid(id));
            }
            let _ = bank.add_frame(f, l1);
            prop_assert!(bank.total_size() <= max);
            let left: Vec<_> = bank.channel_ids().collect();
            prop_assert_eq!(&left[..], &opened[opened.len() - left.len()..]);
        }
    }
}
