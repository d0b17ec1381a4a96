//! Rebuilds the forced part of real OP Sepolia payload attributes (kona executor fixtures,
//! blocks 26207960–26207963, Holocene): the L2 parent's block ref and system config are
//! recovered from real headers and L1-info deposits, and the builder must reproduce the real
//! L1-info deposit byte for byte, plus timestamp, prevRandao, fee recipient, beacon root,
//! gas limit and eip1559Params. The L1 origin's header is not in the fixtures: the test
//! makes one carrying the values the real deposit and attributes reveal (number, time, base
//! fee, blob base fee, mix hash, beacon root) sealed with the real hash.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod attributes_support;

use alloy_consensus::{Header, Sealable, Sealed};
use alloy_eips::eip7840::BlobParams;
use alloy_primitives::{B64, B256, Bytes, U256};
use attributes_support::{b256, hex_bytes, quantity, read_json, tx};
use keel_derive::{
    attributes::{EpochOrigin, SEQUENCER_FEE_VAULT, prepare_payload_attributes},
    l2::{block_ref, system_config},
    types::L2BlockRef,
};
use keel_protocol::{
    l1_info::L1BlockInfo,
    rollup_config::{BlockId, RollupConfig},
    system_config::SystemConfig,
};
use op_alloy_consensus::OpTxEnvelope;

const FIRST: u64 = 26_207_960;

fn fixture(n: u64) -> serde_json::Value {
    read_json(&format!("attributes/block-{n}.fixture.json"))
}

fn cfg(f: &serde_json::Value) -> RollupConfig {
    RollupConfig::from_json(&serde_json::to_vec(&f["rollup_config"]).unwrap()).unwrap()
}

fn parent_header(f: &serde_json::Value) -> Sealed<Header> {
    let h: Header = serde_json::from_value(f["parent_header"].clone()).unwrap();
    h.seal_slow()
}

fn first_tx(f: &serde_json::Value) -> OpTxEnvelope {
    tx(&f["executing_payload"]["transactions"][0])
}

fn l1_info(f: &serde_json::Value) -> L1BlockInfo {
    let OpTxEnvelope::Deposit(d) = first_tx(f) else {
        panic!("first tx is not a deposit")
    };
    L1BlockInfo::decode(&d.inner().input).unwrap()
}

/// The smallest excess blob gas whose Prague blob base fee is `fee`.
fn excess_for(fee: U256) -> u64 {
    let target: u128 = fee.to();
    let params = BlobParams::prague();
    let (mut lo, mut hi) = (0u64, 1u64 << 40);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if params.calc_blob_fee(mid) < target {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    assert_eq!(
        params.calc_blob_fee(lo),
        target,
        "blob fee {fee} not reachable"
    );
    lo
}

/// The L1 origin header as far as the real attributes reveal it.
fn origin_header(f: &serde_json::Value, parent_hash: B256) -> Sealed<Header> {
    let info = l1_info(f);
    let attrs = &f["executing_payload"];
    let header = Header {
        number: info.number(),
        timestamp: info.timestamp(),
        parent_hash,
        base_fee_per_gas: Some(info.base_fee().to()),
        mix_hash: b256(&attrs["prevRandao"]),
        parent_beacon_block_root: Some(b256(&attrs["parentBeaconBlockRoot"])),
        excess_blob_gas: Some(excess_for(info.blob_base_fee().unwrap())),
        blob_gas_used: Some(0),
        ..Default::default()
    };
    Sealed::new_unchecked(header, info.block_hash())
}

fn check_attributes(
    cfg: &RollupConfig,
    f: &serde_json::Value,
    parent: &L2BlockRef,
    parent_sys: &SystemConfig,
    receipts: Option<&[alloy_consensus::ReceiptEnvelope]>,
    origin_parent: B256,
) -> u64 {
    let info = l1_info(f);
    let epoch = BlockId {
        hash: info.block_hash(),
        number: info.number(),
    };
    let header = origin_header(f, origin_parent);
    let out = prepare_payload_attributes(
        cfg,
        parent,
        parent_sys,
        epoch,
        EpochOrigin {
            header: &header,
            receipts,
            // Sepolia's blob schedule in April 2025: Prague.
            l1_blob_params: Some(BlobParams::prague()),
        },
    )
    .unwrap();
    let real = &f["executing_payload"];
    let a = &out.attributes;
    let txs = a.transactions.as_ref().unwrap();
    assert_eq!(txs.len(), 1, "no deposits or upgrades in these blocks");
    assert_eq!(
        txs[0],
        Bytes::from(hex_bytes(&real["transactions"][0])),
        "L1-info deposit must match the real one byte for byte"
    );
    // The rest of the real list are sequencer transactions, none a deposit.
    for t in real["transactions"].as_array().unwrap().iter().skip(1) {
        assert!(!tx(t).is_deposit());
    }
    assert_eq!(a.payload_attributes.timestamp, quantity(&real["timestamp"]));
    assert_eq!(a.payload_attributes.prev_randao, b256(&real["prevRandao"]));
    assert_eq!(
        a.payload_attributes.suggested_fee_recipient,
        SEQUENCER_FEE_VAULT
    );
    assert_eq!(
        format!("{:?}", SEQUENCER_FEE_VAULT).to_lowercase(),
        real["suggestedFeeRecipient"]
            .as_str()
            .unwrap()
            .to_lowercase()
    );
    assert_eq!(
        a.payload_attributes.parent_beacon_block_root,
        Some(b256(&real["parentBeaconBlockRoot"]))
    );
    assert_eq!(a.payload_attributes.withdrawals, Some(vec![]), "Canyon");
    assert_eq!(a.gas_limit, Some(quantity(&real["gasLimit"])));
    assert_eq!(
        a.eip_1559_params,
        Some(B64::from_slice(&hex_bytes(&real["eip1559Params"])))
    );
    assert_eq!(a.min_base_fee, None, "Jovian not active");
    assert_eq!(a.no_tx_pool, Some(true));
    assert_eq!(out.sequence_number, info.sequence_number());
    out.sequence_number
}

#[test]
fn header_chain_is_consecutive() {
    for n in FIRST..FIRST + 3 {
        let next = fixture(n + 1);
        assert_eq!(
            parent_header(&next).hash(),
            b256(&fixture(n)["expected_block_hash"])
        );
    }
}

/// Blocks 26207961..=63 continue epoch 8085313: the parent's block ref (recovered from the
/// real header and L1-info deposit) gives the origin and sequence number the builder
/// continues from.
#[test]
fn same_epoch_blocks_rebuild_exactly() {
    let mut seqs = Vec::new();
    for n in FIRST + 1..=FIRST + 3 {
        let prev = fixture(n - 1);
        let cur = fixture(n);
        let cfg = cfg(&cur);
        let header = parent_header(&cur);
        let tx0 = first_tx(&prev);
        let parent = block_ref(&cfg, &header, Some(&tx0)).unwrap();
        assert_eq!(parent.number, n - 1);
        assert_eq!(parent.hash, b256(&prev["expected_block_hash"]));
        assert_eq!(parent.l1_origin.number, 8_085_313);
        assert_eq!(parent.sequence_number, n - 1 - FIRST);
        let sys = system_config(&cfg, &header, Some(&tx0)).unwrap();
        assert_eq!(sys.gas_limit, 60_000_000);
        assert_eq!(sys.eip1559_denominator(), 250);
        assert_eq!(sys.eip1559_elasticity(), 6);
        assert_eq!(sys.batcher_addr, l1_info(&prev).batcher_address());
        seqs.push(check_attributes(
            &cfg,
            &cur,
            &parent,
            &sys,
            None,
            B256::ZERO,
        ));
    }
    assert_eq!(seqs, vec![1, 2, 3]);
}

/// Block 26207960 opens epoch 8085313 (sequence number 0, no deposits). Its parent's L1-info
/// deposit is not in the fixtures, so the parent's origin is made up and the new origin's
/// parent hash is set to it; the parent's system config is the one recovered from block
/// 26207960 itself (same gas limit and extraData as its parent; no config update).
#[test]
fn epoch_start_block_rebuilds_exactly() {
    let f60 = fixture(FIRST);
    let f61 = fixture(FIRST + 1);
    let cfg = cfg(&f60);
    let grand = parent_header(&f60);
    let block60 = parent_header(&f61);
    assert_eq!(grand.gas_limit, block60.gas_limit);
    assert_eq!(grand.extra_data, block60.extra_data);
    let sys = system_config(&cfg, &block60, Some(&first_tx(&f60))).unwrap();
    let made_up_origin = BlockId {
        hash: B256::repeat_byte(0x11),
        number: 8_085_312,
    };
    let parent = L2BlockRef {
        hash: grand.hash(),
        number: grand.number,
        parent_hash: grand.parent_hash,
        timestamp: grand.timestamp,
        l1_origin: made_up_origin,
        sequence_number: 5,
    };
    let seq = check_attributes(&cfg, &f60, &parent, &sys, Some(&[]), made_up_origin.hash);
    assert_eq!(seq, 0);
}
