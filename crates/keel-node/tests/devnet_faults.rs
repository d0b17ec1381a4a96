//! Faults in a whole devnet on tokio's paused clock: a batcher restarted mid-channel, a
//! verifier restarted, an L1 reorg that drops posted batches, a batcher down for longer than
//! the sequencing window. After each, the verifier (which learns the chain only from L1)
//! and the sequencer must agree on every block up to the safe head, and the safe head must
//! move on past the fault.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod devnet_support;

use alloy_primitives::{U256, address};
use keel_batcher::DataAvailability;
use keel_node::devnet::{Devnet, DevnetConfig, RunningDevnet};

use devnet_support::*;

fn start(cfg: &DevnetConfig) -> RunningDevnet {
    init_tracing();
    Devnet::new(cfg, START_MS).unwrap().start()
}

fn calldata(cfg: DevnetConfig) -> DevnetConfig {
    DevnetConfig {
        data_availability: DataAvailability::Calldata,
        ..cfg
    }
}

/// A batcher killed with a channel open (blocks loaded, not posted) and replaced by a
/// fresh one: the new one starts at the sequencer's safe head + 1, so no block is posted
/// twice and none is skipped, and the verifier's safe head goes on.
#[tokio::test(start_paused = true)]
async fn batcher_restarted_mid_channel_resumes_from_the_safe_head() {
    // Channels stay open for 6 L1 blocks (12 s, 6 L2 blocks).
    let cfg = calldata(DevnetConfig {
        max_channel_duration: 6,
        ..DevnetConfig::default()
    });
    let mut dn = start(&cfg);
    wait_until(&dn, 120, "a few channels derived", |s| {
        s.verifier.heads.safe.number >= 10
    })
    .await;
    // Some blocks past the safe head sit in the batcher's open channel.
    wait_until(&dn, 60, "unsafe blocks pending", |s| {
        s.sequencer.heads.unsafe_head.number >= s.sequencer.heads.safe.number + 4
    })
    .await;
    restart_batcher_and_check(&mut dn).await;
    dn.shutdown().await;
}

/// The same with a channel half on L1 (one small frame per transaction and L1 block): the
/// killed batcher's channel never completes, derivation drops it when the new batcher's
/// first channel starts (protocol/holocene/derivation.md#frame-queue), and the new channel
/// carries its blocks again from the safe head + 1.
#[tokio::test(start_paused = true)]
async fn batcher_restarted_mid_posting_a_channel_resumes_from_the_safe_head() {
    let cfg = calldata(DevnetConfig {
        max_channel_duration: 4,
        max_l1_tx_size: 50,
        target_num_frames: 4,
        ..DevnetConfig::default()
    });
    let mut dn = start(&cfg);
    wait_until(&dn, 120, "a few channels derived", |s| {
        s.verifier.heads.safe.number >= 10
    })
    .await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
    while !posted_channels(&dn.l1, &dn.rollup)
        .iter()
        .any(|c| !c.complete && c.first_l1 == dn.l1.read().head().number())
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no half-posted channel"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let half = restart_batcher_and_check(&mut dn).await;
    assert!(
        half.iter().any(|c| !c.complete),
        "the killed batcher's channel stays incomplete"
    );
    dn.shutdown().await;
}

/// Stops the batcher, lets whatever it had in flight land and be derived, starts a fresh
/// one and checks it resumes at the safe head + 1 and the chain goes on. Returns the
/// channels on L1 first seen before the restart.
async fn restart_batcher_and_check(dn: &mut RunningDevnet) -> Vec<PostedChannel> {
    let unsafe_at_stop = dn.status().sequencer.heads.unsafe_head.number;
    dn.stop_batcher().await;
    run_for(12).await;
    let at_restart = dn.status();
    let safe_at_restart = at_restart.sequencer.heads.safe.number;
    assert!(
        safe_at_restart < unsafe_at_stop,
        "blocks {}..={unsafe_at_stop} were held by the batcher, not on L1",
        safe_at_restart + 1
    );
    assert_eq!(at_restart.verifier.heads.safe.number, safe_at_restart);
    let l1_at_restart = dn.l1.read().head().number();
    dn.start_batcher();

    let end = wait_until(dn, 240, "safe head past the restart", |s| {
        s.verifier.heads.safe.number >= unsafe_at_stop + 20
    })
    .await;
    let safe = end.verifier.heads.safe.number;
    assert_same_chain(&dn.sequencer_engine, &dn.verifier_engine, safe);

    let channels = posted_channels(&dn.l1, &dn.rollup);
    let (before, after): (Vec<_>, Vec<_>) = channels
        .iter()
        .cloned()
        .partition(|c| c.first_l1 <= l1_at_restart);
    assert!(after.len() >= 2, "{after:#?}");
    assert_eq!(
        after[0].l2_blocks.first(),
        Some(&(safe_at_restart + 1)),
        "the new batcher's first channel starts after the safe head: {after:#?}"
    );
    assert_posted(&channels, safe, false);
    before
}

/// A verifier stopped while the chain goes on, then started again as a new driver on the
/// same engine: it resumes from the engine's heads (its blocks are kept, not re-derived
/// into new ones) and catches up with the sequencer.
#[tokio::test(start_paused = true)]
async fn verifier_restarted_resumes_from_its_engine_and_catches_up() {
    let cfg = calldata(DevnetConfig {
        seq_window_size: 20,
        ..DevnetConfig::default()
    });
    let mut dn = start(&cfg);
    let s = wait_until(&dn, 120, "verifier safe head at 30", |s| {
        s.verifier.heads.safe.number >= 30
    })
    .await;
    assert_eq!(s.verifier.resets, 1, "only the start-up reset");
    dn.stop_verifier().await;
    let kept = dn
        .verifier_engine
        .with_chain(|c| c.head().unwrap().header.number);
    let kept_hashes: Vec<_> = (0..=kept)
        .map(|n| dn.verifier_engine.with_chain(|c| c.canonical_hash(n)))
        .collect();
    // The chain moves on 60 s (30 L2 blocks) without it.
    run_for(60).await;
    let seq_head = dn.status().sequencer.heads.unsafe_head.number;
    assert!(seq_head >= kept + 25, "{seq_head} vs {kept}");
    assert_eq!(
        dn.verifier_engine
            .with_chain(|c| c.head().unwrap().header.number),
        kept,
        "a stopped verifier's engine does not move"
    );

    dn.start_verifier();
    let end = wait_until(&dn, 120, "restarted verifier caught up", |s| {
        s.verifier.heads.safe.number >= seq_head
    })
    .await;
    assert_eq!(end.verifier.resets, 1, "a new driver, one start-up reset");
    assert_eq!(end.verifier.halted, None);
    let safe = end.verifier.heads.safe.number;
    assert_same_chain(&dn.sequencer_engine, &dn.verifier_engine, safe);
    for (n, hash) in kept_hashes.iter().enumerate() {
        assert_eq!(
            dn.verifier_engine
                .with_chain(|c| c.canonical_hash(n as u64)),
            *hash,
            "block {n} kept across the restart"
        );
    }
    dn.shutdown().await;
}

/// L1 reorganises deeper than the batches the verifier derived its newest safe blocks
/// from: those batcher transactions vanish. Derivation resets on both nodes, the batcher
/// sees its confirmed transactions gone and posts their blocks again, the sequencer moves
/// its unsafe chain onto canonical L1 origins, and both end with the same chain.
#[tokio::test(start_paused = true)]
async fn l1_reorg_dropping_posted_batches_is_recovered() {
    l1_reorg_dropping_posted_batches(DataAvailability::Calldata).await;
}

/// The same with blobs: the dropped blocks' sidecars go with them.
#[tokio::test(start_paused = true)]
async fn l1_reorg_dropping_posted_blob_batches_is_recovered() {
    l1_reorg_dropping_posted_batches(DataAvailability::Blobs).await;
}

async fn l1_reorg_dropping_posted_batches(da: DataAvailability) {
    let cfg = DevnetConfig {
        data_availability: da,
        ..DevnetConfig::default()
    };
    let dn = start(&cfg);
    wait_until(&dn, 120, "safe head at 20", |s| {
        s.verifier.heads.safe.number >= 20
    })
    .await;
    // Wait until the verifier has derived from the newest batch: its safe head is the
    // newest block carried by a complete channel, whose frames are in the last 3 L1 blocks.
    let depth = 5;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let (before, reorged_safe) = loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the verifier never caught up with the newest batch"
        );
        run_for(1).await;
        let s = dn.status();
        let head = dn.l1.read().head().number();
        let recent: Vec<_> = posted_channels(&dn.l1, &dn.rollup)
            .into_iter()
            .filter(|c| c.complete && c.first_l1 + 3 > head)
            .collect();
        let newest = recent
            .iter()
            .flat_map(|c| c.l2_blocks.iter().copied())
            .max();
        if newest.is_some_and(|n| s.verifier.heads.safe.number >= n) {
            break (s, newest.unwrap());
        }
    };
    let rewound = dn.reorg_l1(depth).unwrap();
    assert!(
        rewound
            .mined
            .iter()
            .any(|tx| alloy_consensus::Transaction::to(tx.inner())
                == Some(keel_node::devnet::BATCH_INBOX)),
        "the reorg dropped batcher transactions"
    );
    // The batches of the verifier's newest safe blocks are no longer on L1.
    let still_posted: Vec<u64> = posted_channels(&dn.l1, &dn.rollup)
        .iter()
        .filter(|c| c.complete)
        .flat_map(|c| c.l2_blocks.clone())
        .collect();
    assert!(!still_posted.contains(&reorged_safe), "{reorged_safe}");

    // Both nodes notice: derivation resets and the safe head goes back below the blocks
    // whose batches vanished.
    wait_until(&dn, 30, "safe heads back below the lost batches", |s| {
        s.verifier.resets > before.verifier.resets
            && s.sequencer.resets > before.sequencer.resets
            && s.verifier.heads.safe.number < reorged_safe
            && s.sequencer.heads.safe.number < reorged_safe
    })
    .await;
    let end = wait_until(&dn, 180, "safe head past the reorg", |s| {
        s.verifier.heads.safe.number >= before.sequencer.heads.unsafe_head.number + 20
    })
    .await;
    assert_eq!(end.verifier.halted, None);
    let safe = end.verifier.heads.safe.number;
    assert_same_chain(&dn.sequencer_engine, &dn.verifier_engine, safe);
    // Posted again, with no gap. Some blocks may be carried twice: the batcher re-posts
    // what it still held before the node's reset shows it the safe head went back, and
    // derivation drops the copies it already applied.
    assert_posted(&posted_channels(&dn.l1, &dn.rollup), safe, true);
    // Every block of the sequencer's chain, unsafe ones included, has a canonical origin.
    for n in 1..=end.sequencer.heads.unsafe_head.number {
        let origin = l2_ref(&dn.rollup, &dn.sequencer_engine, n).l1_origin;
        let canonical = dn
            .l1
            .read()
            .block_by_number(origin.number)
            .map(|b| b.hash());
        assert_eq!(canonical, Some(origin.hash), "origin of L2 block {n}");
    }
    dn.shutdown().await;
}

/// An L1 reorg that removes the newest batches but none of the L1 origins of the L2 chain
/// (the sequencer is paused, so its newest origin is older than the batches): the L2 chain
/// itself does not reorganise, only the safe head goes back. The batcher, which had
/// dropped those blocks as safe, must notice the safe head went back and post them again.
#[tokio::test(start_paused = true)]
async fn l1_reorg_of_batches_only_makes_the_batcher_post_again() {
    let cfg = calldata(DevnetConfig::default());
    let dn = start(&cfg);
    wait_until(&dn, 120, "safe head at 10", |s| {
        s.verifier.heads.safe.number >= 10
    })
    .await;
    let head = dn.sequencer().stop_sequencer().await.unwrap().unwrap();
    let all_safe = wait_until(&dn, 60, "every block derived", |s| {
        s.sequencer.heads.unsafe_head.hash == head
            && s.verifier.heads.safe.hash == head
            && s.sequencer.heads.safe.hash == head
    })
    .await;
    let last = all_safe.verifier.heads.safe.number;
    let origin = l2_ref(&dn.rollup, &dn.sequencer_engine, last)
        .l1_origin
        .number;
    let carrier = posted_channels(&dn.l1, &dn.rollup)
        .into_iter()
        .find(|c| c.complete && c.l2_blocks.contains(&last))
        .unwrap();
    assert!(carrier.first_l1 > origin, "{carrier:?} vs origin {origin}");
    let depth = dn.l1.read().head().number() - carrier.first_l1 + 1;
    dn.reorg_l1(depth).unwrap();
    assert!(
        !posted_channels(&dn.l1, &dn.rollup)
            .iter()
            .any(|c| c.complete && c.l2_blocks.contains(&last))
    );
    assert_eq!(
        l2_ref(&dn.rollup, &dn.sequencer_engine, last).hash,
        head,
        "the L2 chain itself is still canonical"
    );
    wait_until(&dn, 30, "safe heads back", |s| {
        s.verifier.heads.safe.number < last && s.sequencer.heads.safe.number < last
    })
    .await;
    wait_until(&dn, 60, "blocks posted again and derived", |s| {
        s.verifier.heads.safe.hash == head && s.sequencer.heads.safe.hash == head
    })
    .await;
    dn.sequencer().start_sequencer(head).await.unwrap().unwrap();
    let end = wait_until(&dn, 120, "chain going on", |s| {
        s.verifier.heads.safe.number >= last + 10
    })
    .await;
    let safe = end.verifier.heads.safe.number;
    assert_same_chain(&dn.sequencer_engine, &dn.verifier_engine, safe);
    assert_posted(&posted_channels(&dn.l1, &dn.rollup), safe, true);
    dn.shutdown().await;
}

/// An L1 reorg that drops the first frame of a channel still being posted (small
/// transactions: one frame per L1 block): the channel is not on L1 entirely, so no node
/// derived from it and only the batcher's own check of its confirmations can tell. It must
/// post the frame again, ahead of the rest, so the channel completes in order.
#[tokio::test(start_paused = true)]
async fn l1_reorg_of_a_half_posted_channel_requeues_its_frames() {
    let cfg = calldata(DevnetConfig {
        max_channel_duration: 4,
        max_l1_tx_size: 50,
        ..DevnetConfig::default()
    });
    let dn = start(&cfg);
    wait_until(&dn, 120, "safe head at 6", |s| {
        s.verifier.heads.safe.number >= 6
    })
    .await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
    let before = loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no half-posted channel: {:?}",
            posted_channels(&dn.l1, &dn.rollup)
                .iter()
                .map(|c| (c.first_l1, c.complete, c.l2_blocks.len()))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        let head = dn.l1.read().head().number();
        let half = posted_channels(&dn.l1, &dn.rollup)
            .iter()
            .any(|c| !c.complete && c.first_l1 == head);
        if half {
            // A batcher round (500 ms) records the confirmation before the block goes.
            tokio::time::sleep(std::time::Duration::from_millis(600)).await;
            if dn.l1.read().head().number() == head {
                break dn.status();
            }
        }
    };
    dn.reorg_l1(1).unwrap();
    let after = wait_until(&dn, 30, "the batcher saw its confirmation go", |s| {
        s.batcher.txs_reorged > before.batcher.txs_reorged
    })
    .await;
    let end = wait_until(&dn, 180, "safe head past the reorg", |s| {
        s.verifier.heads.safe.number >= after.sequencer.heads.unsafe_head.number + 10
    })
    .await;
    assert_eq!(end.verifier.halted, None);
    let safe = end.verifier.heads.safe.number;
    assert_same_chain(&dn.sequencer_engine, &dn.verifier_engine, safe);
    assert_posted(&posted_channels(&dn.l1, &dn.rollup), safe, true);
    dn.shutdown().await;
}

/// The batcher is down for longer than the sequencing window while a deposit lands on L1
/// and a user transaction reaches the sequencer: the verifier derives deposit-only blocks
/// for the expired window (the deposit included), the sequencer replaces its unsafe blocks
/// with them (its user transaction leaves those blocks), and after the batcher is back
/// both agree on every block and hold the deposit.
#[tokio::test(start_paused = true)]
async fn batcher_down_past_the_sequencing_window_forces_empty_batches() {
    let cfg = calldata(DevnetConfig {
        seq_window_size: 10,
        ..DevnetConfig::default()
    });
    let mut dn = start(&cfg);
    wait_until(&dn, 120, "safe head at 6", |s| {
        s.verifier.heads.safe.number >= 6
    })
    .await;
    dn.stop_batcher().await;
    // Whatever the batcher had in flight lands; from here nothing more is posted.
    run_for(4).await;
    let stopped = dn.status();
    let safe_at_stop = stopped.verifier.heads.safe.number;
    let value = 7_000_000_000_000_000_000u128;
    dn.l1
        .write()
        .send_raw_transaction(&deposit_tx(cfg.l1_chain_id, 0, value))
        .unwrap();
    let sink = address!("0x0000000000000000000000000000000000005151");
    let user_tx = send_l2_transfer(&dn.sequencer_engine, cfg.l2_chain_id, 5, sink);
    // The sequencer includes the user transaction in an unsafe block.
    run_for(6).await;
    let user_block = dn
        .sequencer_engine
        .with_chain(|c| c.transaction_location(&user_tx))
        .map(|(hash, _)| {
            dn.sequencer_engine
                .with_chain(|c| c.block_by_hash(&hash).unwrap().header.number)
        })
        .expect("user tx sequenced");
    assert!(user_block > safe_at_stop);

    // Down for three windows: the window of every unposted epoch expires.
    run_for(3 * 10 * cfg.l1_block_time).await;
    let forced = dn.status();
    let forced_safe = forced.verifier.heads.safe.number;
    assert!(
        forced_safe > user_block,
        "verifier derived forced blocks past {user_block}: {forced:#?}"
    );
    assert_same_chain(&dn.sequencer_engine, &dn.verifier_engine, forced_safe);
    for n in safe_at_stop + 1..=forced_safe {
        let txs = l2_tx_hashes(&dn.verifier_engine, n);
        assert!(!txs.contains(&user_tx), "forced block {n} is deposits-only");
    }
    let want = U256::from(value);
    let forced_hash = forced.verifier.heads.safe.hash;
    assert_eq!(
        dn.verifier_engine
            .with_chain(|c| c.state_at(&forced_hash).unwrap().balance(&RECIPIENT)),
        want,
        "the deposit is in the forced blocks"
    );

    dn.start_batcher();
    let end = wait_until(&dn, 120, "safe head past the outage", |s| {
        s.verifier.heads.safe.number >= s.sequencer.heads.unsafe_head.number.saturating_sub(10)
            && s.verifier.heads.safe.number >= forced_safe + 20
    })
    .await;
    let safe = end.verifier.heads.safe.number;
    assert_same_chain(&dn.sequencer_engine, &dn.verifier_engine, safe);
    let safe_hash = end.verifier.heads.safe.hash;
    for engine in [&dn.sequencer_engine, &dn.verifier_engine] {
        assert_eq!(
            engine.with_chain(|c| c.state_at(&safe_hash).unwrap().balance(&RECIPIENT)),
            want
        );
    }
    dn.shutdown().await;
}
