//! Network-upgrade transactions against kona's exact EIP-2718 encodings
//! (testdata/deposits/hardforks) and the spec's attributes (upgrade_transactions.json).
//! Interop is not implemented and its vectors are skipped.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;
mod deposits_support;

use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Bytes, TxKind, U256};
use deposits_support::*;
use keel_protocol::{
    hardfork::{Hardfork, HardforkTimes},
    upgrades::{deployed_address, upgrade_transactions, upgrade_transactions_for_block},
};
use op_alloy_consensus::UpgradeDepositSource;

const FORKS: [(&str, Hardfork); 4] = [
    ("ecotone", Hardfork::Ecotone),
    ("fjord", Hardfork::Fjord),
    ("isthmus", Hardfork::Isthmus),
    ("jovian", Hardfork::Jovian),
];

#[test]
fn kona_exact_encodings() {
    let f = common::read_json("deposits/upgrade_transactions.json");
    let order = &f["kona_activation_order"];
    for (name, fork) in &FORKS[..3] {
        let ours = upgrade_transactions(*fork);
        let expected = order[name].as_array().unwrap();
        assert_eq!(ours.len(), expected.len(), "{name}");
        for (i, (tx, e)) in ours.iter().zip(expected).enumerate() {
            let file = e["file"]
                .as_str()
                .unwrap()
                .trim_start_matches("kona/hardforks/");
            let want = common::read_hex(&format!("deposits/hardforks/{file}"));
            assert_eq!(tx.encoded_2718(), want, "{name} tx {i}");
            assert_eq!(tx.source_hash, b256(&e["sourceHash"]), "{name} tx {i}");
        }
    }
}

#[test]
fn spec_attributes_of_every_fork() {
    let f = common::read_json("deposits/upgrade_transactions.json");
    let spec = &f["spec_transactions"];
    for (name, fork) in FORKS {
        let ours = upgrade_transactions(fork);
        let expected = spec[name].as_array().unwrap();
        assert_eq!(ours.len(), expected.len(), "{name}");
        for (tx, e) in ours.iter().zip(expected) {
            let intent = e["intent"].as_str().unwrap();
            assert_eq!(tx.from, addr(&e["from"]), "{intent}");
            match e["to"].as_str() {
                None => assert_eq!(tx.to, TxKind::Create, "{intent}"),
                Some(_) => assert_eq!(tx.to, TxKind::Call(addr(&e["to"])), "{intent}"),
            }
            assert_eq!(U256::from(tx.mint), quantity(&e["mint"]), "{intent}");
            assert_eq!(tx.value, quantity(&e["value"]), "{intent}");
            assert_eq!(tx.gas_limit, e["gasLimit"].as_u64().unwrap(), "{intent}");
            assert!(!tx.is_system_transaction, "{intent}");
            assert_eq!(tx.source_hash, b256(&e["sourceHash"]), "{intent}");
            assert_eq!(
                tx.source_hash,
                UpgradeDepositSource::new(intent.into()).source_hash(),
                "{intent}"
            );
            let data: Bytes = match e["data"].as_str() {
                Some(d) => Bytes::from(hex_bytes(d)),
                None => {
                    // The spec's bytecode file is embedded in the crate; the copy under
                    // src/upgrades/bytecode is the one checked here.
                    let file = e["data_bytecode_file"]
                        .as_str()
                        .unwrap()
                        .trim_start_matches("specs-upgrades/bytecode/");
                    let path = format!(
                        "{}/src/upgrades/bytecode/{file}",
                        env!("CARGO_MANIFEST_DIR")
                    );
                    Bytes::from(hex_bytes(&std::fs::read_to_string(path).unwrap()))
                }
            };
            assert_eq!(tx.input, data, "{intent}");
        }
    }
}

/// The proxy updates point at the address the matching deployment creates, as the spec's
/// `cast compute-address` lines state.
#[test]
fn proxy_updates_point_at_deployed_addresses() {
    for (name, fork) in FORKS {
        let txs = upgrade_transactions(fork);
        let deployed: Vec<_> = txs
            .iter()
            .filter(|t| t.to.is_create())
            .map(|t| deployed_address(t.from))
            .collect();
        for tx in txs
            .iter()
            .filter(|t| t.input.starts_with(&[0x36, 0x59, 0xcf, 0xe6]))
        {
            let target = alloy_primitives::Address::from_slice(&tx.input[16..36]);
            assert!(
                deployed.contains(&target),
                "{name}: proxy update to {target}"
            );
        }
    }
    // Spec, jovian/derivation.md: L1Block deployed to 0x3Ba4…df2C, GasPriceOracle to 0x4f1d…88F1.
    let jovian = upgrade_transactions(Hardfork::Jovian);
    assert_eq!(
        deployed_address(jovian[0].from),
        "0x3Ba4007f5C922FBb33C454B41ea7a1f11E83df2C"
            .parse::<alloy_primitives::Address>()
            .unwrap()
    );
    assert_eq!(
        deployed_address(jovian[2].from),
        "0x4f1db3c6AbD250ba86E0928471A8F7DB3AFd88F1"
            .parse::<alloy_primitives::Address>()
            .unwrap()
    );
}

#[test]
fn upgrade_transactions_only_in_activation_blocks() {
    let times = HardforkTimes {
        regolith_time: Some(0),
        canyon_time: Some(0),
        delta_time: Some(0),
        ecotone_time: Some(10),
        fjord_time: Some(10),
        granite_time: Some(10),
        holocene_time: Some(10),
        isthmus_time: Some(20),
        jovian_time: Some(30),
        ..Default::default()
    };
    let cfg = rollup_config(times);
    let encoded = |fork| -> Vec<Bytes> {
        upgrade_transactions(fork)
            .iter()
            .map(|t| Bytes::from(t.encoded_2718()))
            .collect()
    };
    assert!(upgrade_transactions_for_block(&cfg, 8).is_empty());
    let mut eco_fjord = encoded(Hardfork::Ecotone);
    eco_fjord.extend(encoded(Hardfork::Fjord));
    assert_eq!(upgrade_transactions_for_block(&cfg, 10), eco_fjord);
    assert!(upgrade_transactions_for_block(&cfg, 12).is_empty());
    assert_eq!(
        upgrade_transactions_for_block(&cfg, 20),
        encoded(Hardfork::Isthmus)
    );
    assert_eq!(
        upgrade_transactions_for_block(&cfg, 30),
        encoded(Hardfork::Jovian)
    );
    // Forks active at genesis have no upgrade transactions.
    let cfg = rollup_config(forks_through("jovian"));
    assert!(upgrade_transactions_for_block(&cfg, 0).is_empty());
    assert!(upgrade_transactions_for_block(&cfg, 2).is_empty());
}

/// Jovian has no encoded transactions in kona, but kona carries the same creation code:
/// an independent check of the spec's bytecode files.
#[test]
fn jovian_bytecode_matches_kona() {
    let jovian = upgrade_transactions(Hardfork::Jovian);
    let l1_block = common::read_hex("deposits/hardforks/jovian-l1-block-deployment.hex");
    let gpo = common::read_hex("deposits/hardforks/jovian-gas-price-oracle-deployment.hex");
    assert_eq!(jovian[0].input.to_vec(), l1_block);
    assert_eq!(jovian[2].input.to_vec(), gpo);
}
