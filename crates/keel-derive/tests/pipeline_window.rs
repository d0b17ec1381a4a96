//! Sequencing-window expiry through the whole pipeline: the batcher posts nothing (or
//! withholds a range), so once each epoch's window is over the pipeline derives deposit-only
//! blocks that force the epoch's deposits in; and each fork's activation block is derived.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;

use alloy_consensus::Sealed;
use common::{driver::*, sim::*};
use keel_derive::{
    attributes::{EpochOrigin, prepare_payload_attributes},
    pipeline::Pipeline,
};
use keel_protocol::{
    channel_builder::BatchKind, compression::CompressionAlgo, hardfork::Hardfork,
    rollup_config::BlockId,
};

/// The chain op-node derives from empty batches alone: the epoch advances when the next
/// timestamp reaches the next L1 block's time.
fn check_empty_chain(w: &World, d: &Derived) -> usize {
    let mut parent = w.genesis;
    let mut sys = genesis_system_config();
    let mut deposits = 0;
    for a in &d.attrs {
        let ts = parent.timestamp + 2;
        let mut epoch = parent.l1_origin.number;
        if ts >= l1_ref(w, epoch + 1).timestamp {
            epoch += 1;
        }
        let b = &w.l1[(epoch - GENESIS_NUMBER) as usize];
        let sealed = Sealed::new_unchecked(b.header.clone(), b.block_ref.hash);
        let p = prepare_payload_attributes(
            &w.cfg,
            &parent,
            &sys,
            BlockId {
                hash: b.block_ref.hash,
                number: epoch,
            },
            EpochOrigin {
                header: &sealed,
                receipts: Some(&b.receipts),
                l1_blob_params: None,
            },
        )
        .unwrap();
        assert_eq!(
            a.attributes, p.attributes,
            "empty block after {}",
            parent.number
        );
        deposits += p.deposit_count;
        sys = p.system_config;
        parent = execute(&parent, &a.attributes);
    }
    deposits
}

#[test]
fn expired_windows_force_deposit_only_blocks() {
    for kind in [BatchKind::Singular, BatchKind::Span] {
        let mut p = SimParams::new(21, kind, CompressionAlgo::Zlib);
        p.seq_window_size = 8;
        p.withhold = Some((1, p.l2_blocks));
        let w = build_world(&p);
        let mut pipe = Pipeline::new(w.cfg.clone(), w.l1[0].block_ref, genesis_system_config());
        let mut d = Derived::new(&w);
        drive(&w, &mut pipe, &mut d, None).unwrap();
        // Epochs up to (last L1 - window) are forced.
        let last_l1 = GENESIS_NUMBER + w.l1.len() as u64 - 1;
        let last = d.attrs.last().unwrap();
        assert!(d.safe.l1_origin.number + p.seq_window_size >= last_l1 - 1);
        assert!(d.attrs.len() > 200, "only {} blocks", d.attrs.len());
        assert!(last.attributes.transactions.is_some());
        let deposits = check_empty_chain(&w, &d);
        assert!(deposits > 10, "deposits forced in: {deposits}");
    }
}

#[test]
fn withheld_range_is_replaced_by_empty_blocks_then_batches_resume_fail_parent_check() {
    // The batcher skips blocks 20..=40: after the window those heights become deposit-only,
    // and the sequencer's later batches (built on its own blocks) no longer fit.
    let mut p = SimParams::new(22, BatchKind::Singular, CompressionAlgo::Zlib);
    p.seq_window_size = 8;
    p.withhold = Some((20, 40));
    let w = build_world(&p);
    let mut pipe = Pipeline::new(w.cfg.clone(), w.l1[0].block_ref, genesis_system_config());
    let mut d = Derived::new(&w);
    drive(&w, &mut pipe, &mut d, None).unwrap();
    // Channels touching the withheld range are withheld whole, so the gap starts at or
    // before block 20; everything before it is the sequencer's chain.
    let k = d
        .attrs
        .iter()
        .zip(&w.l2)
        .position(|(a, s)| a.attributes != s.attributes)
        .unwrap();
    assert!((1..20).contains(&k), "first forced block {}", k + 1);
    let n_user = |a: &op_alloy_rpc_types_engine::OpPayloadAttributes| {
        a.transactions
            .as_ref()
            .unwrap()
            .iter()
            .filter(|t| t[0] != 0x7e)
            .count()
    };
    assert!(d.attrs[k..].iter().all(|a| n_user(&a.attributes) == 0));
}

#[test]
fn every_fork_activation_block_is_derived() {
    let p = SimParams::new(23, BatchKind::Span, CompressionAlgo::Brotli);
    let w = build_world(&p);
    let mut pipe = Pipeline::new(w.cfg.clone(), w.l1[0].block_ref, genesis_system_config());
    let mut d = Derived::new(&w);
    drive(&w, &mut pipe, &mut d, None).unwrap();
    assert_same_chain(&w, &d, p.kind, "forks");
    for fork in [
        Hardfork::Ecotone,
        Hardfork::Fjord,
        Hardfork::Granite,
        Hardfork::Holocene,
        Hardfork::Isthmus,
        Hardfork::Jovian,
    ] {
        let a = d
            .attrs
            .iter()
            .find(|a| {
                w.cfg
                    .is_activation_block(fork, a.attributes.payload_attributes.timestamp)
            })
            .unwrap_or_else(|| panic!("{fork:?} activation block not derived"));
        let upgrades = keel_protocol::upgrades::upgrade_transactions_for_block(
            &w.cfg,
            a.attributes.payload_attributes.timestamp,
        );
        let txs = a.attributes.transactions.as_ref().unwrap();
        for u in &upgrades {
            assert!(txs.contains(u), "{fork:?} upgrade tx missing");
        }
    }
}
