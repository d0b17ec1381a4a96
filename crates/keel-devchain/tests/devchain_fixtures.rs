#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Header-level rules against real OP Sepolia blocks (kona executor fixtures; see
//! `testdata/kona-executor/README.md`).

use alloy_consensus::Header;
use alloy_primitives::B256;
use keel_devchain::executor::{decode_transactions, extra_data_for, next_base_fee};
use keel_protocol::rollup_config::RollupConfig;
use op_alloy_rpc_types_engine::OpPayloadAttributes;

const BLOCKS: [u64; 4] = [26207960, 26207961, 26207962, 26207963];

struct Fixture {
    cfg: RollupConfig,
    parent: Header,
    attrs: OpPayloadAttributes,
    expected_hash: B256,
}

fn load(number: u64) -> Fixture {
    let path = format!(
        "{}/testdata/kona-executor/block-{number}.fixture.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    Fixture {
        cfg: RollupConfig::from_json(&serde_json::to_vec(&v["rollup_config"]).unwrap()).unwrap(),
        parent: serde_json::from_value(v["parent_header"].clone()).unwrap(),
        attrs: serde_json::from_value(v["executing_payload"].clone()).unwrap(),
        expected_hash: serde_json::from_value(v["expected_block_hash"].clone()).unwrap(),
    }
}

#[test]
fn base_fee_and_extra_data_match_real_blocks() {
    let fixtures: Vec<Fixture> = BLOCKS.iter().map(|n| load(*n)).collect();
    for pair in fixtures.windows(2) {
        let (this, next) = (&pair[0], &pair[1]);
        // `next.parent` is this block's real header.
        let real = &next.parent;
        assert_eq!(real.hash_slow(), this.expected_hash);
        let ts = this.attrs.payload_attributes.timestamp;
        assert_eq!(real.timestamp, ts);
        assert_eq!(
            next_base_fee(&this.cfg, &this.parent, ts).unwrap(),
            real.base_fee_per_gas.unwrap(),
            "base fee of block {}",
            real.number
        );
        assert_eq!(
            extra_data_for(&this.cfg, &this.attrs, ts).unwrap(),
            real.extra_data,
            "extraData of block {}",
            real.number
        );
    }
}

#[test]
fn real_transactions_decode_and_recover() {
    for n in BLOCKS {
        let f = load(n);
        let txs = f.attrs.transactions.as_deref().unwrap();
        let decoded = decode_transactions(txs).unwrap();
        assert_eq!(decoded.len(), txs.len());
        assert!(
            decoded[0].1.inner().is_deposit(),
            "block {n} starts with the L1-info deposit"
        );
    }
}
