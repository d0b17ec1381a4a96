//! Deposit vectors (testdata/deposits/deposits_and_source_hashes.json and output_root.json):
//! source hashes of all four domains, TransactionDeposited logs to deposit txs, opaque data
//! layouts, the minimal deposit encoding, and output root v0.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;
mod deposits_support;

use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, B256, Log, TxKind, U256, keccak256};
use deposits_support::*;
use keel_protocol::{
    deposit::{DEPOSIT_EVENT_TOPIC, OpaqueDataV0, decode_deposit_log, encode_deposit_log},
    output_root::{OutputRootV0, output_root_v0},
};
use op_alloy_consensus::{
    L1InfoDepositSource, OpTxEnvelope, TxDeposit, UpgradeDepositSource, UserDepositSource,
};
use serde_json::Value;

fn file() -> Value {
    common::read_json("deposits/deposits_and_source_hashes.json")
}

/// op-node's `AfterForceIncludeSource` (domain 3): op-alloy has no type for it, so the test
/// computes it from the spec's formula.
fn after_force_include_source(l1_block_hash: B256, seq_number: u64) -> B256 {
    let mut inner = [0u8; 64];
    inner[..32].copy_from_slice(l1_block_hash.as_slice());
    inner[56..].copy_from_slice(&seq_number.to_be_bytes());
    let mut outer = [0u8; 64];
    outer[31] = 3;
    outer[32..].copy_from_slice(keccak256(inner).as_slice());
    keccak256(outer)
}

#[test]
fn source_hashes_of_every_domain() {
    let f = file();
    let mut seen = [0usize; 4];
    for v in f["source_hash_vectors"].as_array().unwrap() {
        let Some(kind) = v.get("kind").and_then(Value::as_str) else {
            continue;
        };
        let expected = b256(&v["expected"]);
        let got = match kind {
            "user_deposit" => {
                UserDepositSource::new(b256(&v["l1_block_hash"]), v["log_index"].as_u64().unwrap())
                    .source_hash()
            }
            "l1_info" => L1InfoDepositSource::new(
                b256(&v["l1_block_hash"]),
                v["seq_number"].as_u64().unwrap(),
            )
            .source_hash(),
            "upgrade" => {
                UpgradeDepositSource::new(v["intent"].as_str().unwrap().into()).source_hash()
            }
            "after_force_include" => after_force_include_source(
                b256(&v["l1_block_hash"]),
                v["seq_number"].as_u64().unwrap(),
            ),
            other => panic!("unknown kind {other}"),
        };
        assert_eq!(got, expected, "{kind}: {v}");
        seen[v["domain"].as_u64().unwrap() as usize] += 1;
    }
    assert!(
        seen.iter().all(|n| *n > 0),
        "every domain covered: {seen:?}"
    );
}

fn log_of(v: &Value, address: Address) -> Log {
    let topics = v["topics"].as_array().unwrap().iter().map(b256).collect();
    Log::new_unchecked(address, topics, bytes(&v["data"]))
}

#[test]
fn kona_empty_opaque_log_gives_exact_2718_bytes() {
    let f = file();
    let v = &f["deposit_log_vectors"][0];
    assert_eq!(v["id"], "kona-deposit-log-empty-opaque");
    let log = log_of(&v["log"], addr(&v["log"]["address"]));
    let tx = decode_deposit_log(
        &log,
        b256(&v["l1_block_hash"]),
        v["log_index"].as_u64().unwrap(),
    )
    .unwrap();
    assert_eq!(
        tx.encoded_2718(),
        hex_bytes(v["expected_deposit_tx_2718"].as_str().unwrap())
    );
    // And back: encoding the tx as a log reproduces the vector's data and topics.
    let again = encode_deposit_log(log.address, &tx);
    assert_eq!(again, log);
}

#[test]
fn hildr_log_fields() {
    let f = file();
    let v = &f["deposit_log_vectors"][1];
    assert_eq!(v["id"], "hildr-user-deposited-log");
    let log = log_of(&v["log"], Address::ZERO);
    let hash = b256(&v["log"]["blockHash"]);
    let index = v["log"]["logIndex"].as_u64().unwrap();
    let tx = decode_deposit_log(&log, hash, index).unwrap();
    let e = &v["expected"];
    assert_eq!(tx.from, addr(&e["from"]));
    assert_eq!(tx.to, TxKind::Call(addr(&e["to"])));
    assert_eq!(U256::from(tx.mint), quantity(&e["mint"]));
    assert_eq!(tx.value, quantity(&e["value"]));
    assert_eq!(tx.gas_limit, e["gas"].as_u64().unwrap());
    assert_eq!(tx.to.is_create(), e["is_creation"].as_bool().unwrap());
    assert_eq!(hash, b256(&e["l1_block_hash"]));
    assert_eq!(index, e["log_index"].as_u64().unwrap());
    assert_eq!(
        tx.source_hash,
        UserDepositSource::new(hash, index).source_hash()
    );
    assert!(!tx.is_system_transaction);
}

#[test]
fn viem_mainnet_log_gives_l2_tx_hash() {
    let f = file();
    let v = &f["deposit_log_vectors"][2];
    assert_eq!(v["id"], "viem-deposit-log-to-l2-hash");
    let log = log_of(&v["log"], Address::ZERO);
    assert_eq!(log.topics()[0], DEPOSIT_EVENT_TOPIC);
    let tx = decode_deposit_log(
        &log,
        b256(&v["log"]["blockHash"]),
        v["log"]["logIndex"].as_u64().unwrap(),
    )
    .unwrap();
    assert_eq!(tx.mint, 0);
    assert_eq!(tx.value, U256::from(69));
    assert_eq!(tx.gas_limit, 21_000);
    assert_eq!(tx.to, TxKind::Call(addr(&v["log_args"]["to"])));
    assert!(tx.input.is_empty());
    assert_eq!(tx.tx_hash(), b256(&v["expected_l2_tx_hash"]));
    // The opaque data in the log is viem's verbatim.
    let opaque =
        OpaqueDataV0::decode(&hex_bytes(v["log_args"]["opaqueData"].as_str().unwrap())).unwrap();
    assert_eq!(opaque.value, U256::from(69));
}

#[test]
fn viem_minimal_deposit_encoding() {
    let f = file();
    let v = &f["deposit_tx_encoding_vectors"][0];
    assert_eq!(v["id"], "viem-minimal-deposit-serialization");
    let t = &v["tx"];
    let tx = TxDeposit {
        source_hash: b256(&t["sourceHash"]),
        from: addr(&t["from"]),
        to: TxKind::Create,
        mint: 0,
        value: U256::ZERO,
        gas_limit: 0,
        is_system_transaction: false,
        input: Default::default(),
    };
    let expected = hex_bytes(v["expected_2718"].as_str().unwrap());
    assert_eq!(tx.encoded_2718(), expected);
    let back = OpTxEnvelope::decode_2718(&mut expected.as_slice()).unwrap();
    assert_eq!(back.as_deposit().unwrap().inner(), &tx);
}

#[test]
fn viem_opaque_data_layouts() {
    let f = file();
    let cases = f["opaque_data_vectors"]["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for c in cases {
        let raw = hex_bytes(c["opaqueData"].as_str().unwrap());
        let d = OpaqueDataV0::decode(&raw).unwrap();
        let e = &c["expected"];
        assert_eq!(d.mint, quantity(&e["mint"]));
        assert_eq!(d.value, quantity(&e["value"]));
        assert_eq!(d.gas, e["gas"].as_u64().unwrap());
        assert_eq!(d.is_creation, e["isCreation"].as_bool().unwrap());
        assert_eq!(d.data, bytes(&e["data"]));
        assert_eq!(d.encode(), raw);
    }
}

#[test]
fn kona_output_root() {
    let f = common::read_json("deposits/output_root.json");
    for v in f["vectors"].as_array().unwrap() {
        let root = OutputRootV0 {
            state_root: b256(&v["state_root"]),
            message_passer_storage_root: b256(&v["message_passer_storage_root"]),
            block_hash: b256(&v["block_hash"]),
        };
        let encoding = hex_bytes(v["expected_encoding"].as_str().unwrap());
        assert_eq!(root.encode().to_vec(), encoding);
        assert_eq!(OutputRootV0::decode(&encoding).unwrap(), root);
        let expected = b256(&v["expected_output_root"]);
        assert_eq!(root.hash(), expected);
        assert_eq!(
            output_root_v0(
                root.state_root,
                root.message_passer_storage_root,
                root.block_hash
            ),
            expected
        );
    }
}
