#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Property tests: pre-Holocene, the channel does not depend on the order or the L1 blocks
//! its frames arrive in (within the timeout), through signed batcher transactions.

mod common;

use common::chain::*;
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
}
