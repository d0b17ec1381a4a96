//! L1-attributes vectors from kona, reth, op-alloy, hildr, magi and a Base Mainnet deposit
//! (testdata/deposits/l1_info_deposits.json), and the L1-info txs of two real OP Goerli
//! blocks (testdata/deposits/l2-blocks).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod common;
mod deposits_support;

use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{B256, TxKind, U256, keccak256};
use deposits_support::*;
use keel_protocol::l1_info::{
    L1_BLOCK_PREDEPLOY, L1_INFO_DEPOSITOR, L1BlobFee, L1BlockInfo, L1InfoFormat, L1Origin,
    l1_info_deposit, l1_info_deposit_from_info,
};
use op_alloy_consensus::{L1InfoDepositSource, OpTxEnvelope, TxDeposit};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    common::read_json("deposits/l1_info_deposits.json")["vectors"]
        .as_array()
        .unwrap()
        .clone()
}

/// Checks every `expected` field against the decoded info, through its JSON form (so the
/// serde output `keel decode` prints is checked at the same time).
fn check_expected(id: &str, info: &L1BlockInfo, expected: &Value) {
    let json = serde_json::to_value(info).unwrap();
    for (key, want) in expected.as_object().unwrap() {
        let ours = match key.as_str() {
            "time" => "timestamp",
            "l1_base_fee" => "base_fee",
            "batcher_hash" => "batcher_address",
            k => k,
        };
        if want.is_null() {
            assert_eq!(ours, "blob_base_fee", "{id}: unexpected null for {key}");
            assert_eq!(info.blob_base_fee(), None, "{id}");
            continue;
        }
        let got = json
            .get(ours)
            .unwrap_or_else(|| panic!("{id}: no field {ours} in {json}"));
        assert_eq!(quantity(got), quantity(want), "{id}: field {key}");
    }
}

/// Rebuilds the calldata through the full builder (rollup config, system config, L1 origin)
/// from the decoded values, for a block well past the format's activation.
fn rebuild_calldata(info: &L1BlockInfo) -> Vec<u8> {
    let (forks, ts) = match info.format() {
        L1InfoFormat::Bedrock => (forks_through("regolith"), 100),
        L1InfoFormat::Ecotone => (forks_through("ecotone"), 100),
        L1InfoFormat::Isthmus => (forks_through("isthmus"), 100),
        L1InfoFormat::Jovian => (forks_through("jovian"), 100),
    };
    let cfg = rollup_config(forks);
    let origin = L1Origin {
        number: info.number(),
        timestamp: info.timestamp(),
        hash: info.block_hash(),
        base_fee: info.base_fee(),
        blob_fee: L1BlobFee::Known(info.blob_base_fee().unwrap_or(U256::from(1))),
    };
    let sys = match info {
        L1BlockInfo::Bedrock(b) => system_config_for(
            b.batcher_address,
            b.l1_fee_overhead,
            b.l1_fee_scalar.into(),
            (0, 0),
            0,
        ),
        L1BlockInfo::Ecotone(e) => system_config_for(
            e.batcher_address,
            U256::ZERO,
            ecotone_scalar(e.base_fee_scalar, e.blob_base_fee_scalar),
            (0, 0),
            0,
        ),
        L1BlockInfo::Isthmus(i) => system_config_for(
            i.batcher_address,
            U256::ZERO,
            ecotone_scalar(i.base_fee_scalar, i.blob_base_fee_scalar),
            (i.operator_fee_scalar, i.operator_fee_constant),
            0,
        ),
        L1BlockInfo::Jovian(j) => system_config_for(
            j.batcher_address,
            U256::ZERO,
            ecotone_scalar(j.base_fee_scalar, j.blob_base_fee_scalar),
            (j.operator_fee_scalar, j.operator_fee_constant),
            j.da_footprint_gas_scalar,
        ),
    };
    let tx = l1_info_deposit(&cfg, &sys, &origin, info.sequence_number(), ts).unwrap();
    tx.input.to_vec()
}

/// Checks a full L1-info deposit against the parsed calldata, and rebuilds it.
fn check_deposit(id: &str, tx: &TxDeposit, info: &L1BlockInfo) {
    assert_eq!(tx.from, L1_INFO_DEPOSITOR, "{id}");
    assert_eq!(tx.to, TxKind::Call(L1_BLOCK_PREDEPLOY), "{id}");
    assert_eq!(tx.mint, 0, "{id}");
    assert_eq!(tx.value, U256::ZERO, "{id}");
    assert_eq!(
        tx.source_hash,
        L1InfoDepositSource::new(info.block_hash(), info.sequence_number()).source_hash(),
        "{id}: source hash"
    );
    let cfg = if tx.is_system_transaction {
        rollup_config(forks_through("bedrock"))
    } else {
        rollup_config(forks_through("regolith"))
    };
    let rebuilt = l1_info_deposit_from_info(&cfg, info, 100);
    assert_eq!(&rebuilt, tx, "{id}: rebuilt deposit");
}

fn tx_from_rpc(rpc: &Value) -> TxDeposit {
    TxDeposit {
        source_hash: b256(&rpc["sourceHash"]),
        from: addr(&rpc["from"]),
        to: TxKind::Call(addr(&rpc["to"])),
        mint: quantity(&rpc["mint"]).to(),
        value: quantity(&rpc["value"]),
        gas_limit: quantity(&rpc["gas"]).to(),
        is_system_transaction: rpc
            .get("isSystemTx")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        input: bytes(&rpc["input"]),
    }
}

#[test]
fn every_l1_info_vector() {
    let vectors = vectors();
    assert!(
        vectors.len() >= 15,
        "expected at least 15 vectors, got {}",
        vectors.len()
    );
    let mut checked = 0;
    for v in &vectors {
        let id = v["id"].as_str().unwrap();
        match v["kind"].as_str().unwrap() {
            "l1_info_calldata" => {
                let calldata = hex_bytes(v["calldata"].as_str().unwrap());
                let info = L1BlockInfo::decode(&calldata).unwrap_or_else(|e| panic!("{id}: {e}"));
                check_expected(id, &info, &v["expected"]);
                assert_eq!(info.encode().to_vec(), calldata, "{id}: re-encode");
                assert_eq!(rebuild_calldata(&info), calldata, "{id}: builder");
                if id == "reth-jovian-l1info-devnet" {
                    assert_eq!(calldata.len(), 178);
                }
            }
            "l1_info_deposit_tx" => {
                let raw = hex_bytes(v["raw_tx"].as_str().unwrap());
                let env = OpTxEnvelope::decode_2718(&mut raw.as_slice()).unwrap();
                let OpTxEnvelope::Deposit(sealed) = &env else {
                    panic!("{id}: not a deposit")
                };
                let tx = sealed.inner();
                assert_eq!(env.encoded_2718(), raw, "{id}: re-encode");
                if let Some(hash) = v.get("tx_hash") {
                    assert_eq!(keccak256(&raw), b256(hash), "{id}: tx hash");
                }
                let info = L1BlockInfo::decode(&tx.input).unwrap_or_else(|e| panic!("{id}: {e}"));
                if let Some(expected) = v.get("expected") {
                    let mut expected = expected.clone();
                    if let Some(mint) = expected.as_object_mut().unwrap().remove("mint") {
                        assert_eq!(U256::from(tx.mint), quantity(&mint), "{id}: mint");
                    }
                    check_expected(id, &info, &expected);
                }
                check_deposit(id, tx, &info);
                assert_eq!(rebuild_calldata(&info), tx.input.to_vec(), "{id}: builder");
            }
            "rpc_deposit_transaction_json" => {
                let rpc = &v["rpc_json"];
                let tx = tx_from_rpc(rpc);
                let info = L1BlockInfo::decode(&tx.input).unwrap_or_else(|e| panic!("{id}: {e}"));
                assert_eq!(tx.tx_hash(), b256(&rpc["hash"]), "{id}: tx hash");
                if let Some(expected) = v["expected"].get("tx_hash") {
                    assert_eq!(tx.tx_hash(), b256(expected), "{id}");
                }
                if let Some(expected) = v["expected"].get("source_hash") {
                    assert_eq!(tx.source_hash, b256(expected), "{id}");
                }
                check_deposit(id, &tx, &info);
                assert_eq!(rebuild_calldata(&info), tx.input.to_vec(), "{id}: builder");
                if info.format() == L1InfoFormat::Jovian {
                    assert_eq!(tx.input.len(), 178);
                }
            }
            other => panic!("{id}: unknown kind {other}"),
        }
        checked += 1;
    }
    assert_eq!(checked, vectors.len());
}

#[test]
fn serde_shape_for_keel_decode() {
    let v = vectors()
        .into_iter()
        .find(|v| v["id"] == "kona-bedrock-l1info-opmainnet-l1block-18334955")
        .unwrap();
    let info = L1BlockInfo::decode(&hex_bytes(v["calldata"].as_str().unwrap())).unwrap();
    let json = serde_json::to_value(info).unwrap();
    assert_eq!(json["fork"], "bedrock");
    assert_eq!(json["number"], 18_334_955);
    assert_eq!(json["timestamp"], 1_697_121_143);
    assert_eq!(json["base_fee"], 10_419_034_451u64);
    assert_eq!(json["sequence_number"], 4);
    assert_eq!(
        json["batcher_address"],
        "0x6887246668a3b87f54deb3b94ba47a6f63f32985"
    );
    assert_eq!(json["l1_fee_scalar"], 0xa6fe0);
    let mut big = info;
    if let L1BlockInfo::Bedrock(b) = &mut big {
        b.base_fee = U256::MAX;
    }
    let json = serde_json::to_value(big).unwrap();
    assert_eq!(json["base_fee"], format!("{:#x}", U256::MAX));
}

/// hildr `HeadInfoTest`: the L1 origin of real OP Goerli L2 blocks, read from their L1-info
/// tx; the tx is also rebuilt and must hash to the block's tx hash.
#[test]
fn hildr_l2_blocks_l1_origin() {
    for name in ["bedrock_raw_block.json", "ecotone_raw_block.json"] {
        let block = common::read_json(&format!("deposits/l2-blocks/{name}"));
        let rpc = &block["test_block_data"]["transactions"][0];
        let tx = tx_from_rpc(rpc);
        let info = L1BlockInfo::decode(&tx.input).unwrap();
        assert_eq!(
            info.number(),
            block["assert_l1_block_number"]
                .as_str()
                .unwrap()
                .parse::<u64>()
                .unwrap(),
            "{name}"
        );
        assert_eq!(
            info.block_hash(),
            b256(&block["assert_l1_block_hash"]),
            "{name}"
        );
        assert_eq!(
            info.timestamp(),
            block["assert_l1_block_timestamp"]
                .as_str()
                .unwrap()
                .parse::<u64>()
                .unwrap(),
            "{name}"
        );
        assert_eq!(tx.tx_hash(), b256(&rpc["hash"]), "{name}: tx hash");
        check_deposit(name, &tx, &info);
    }
}

#[test]
fn activation_blocks_keep_the_previous_format() {
    use keel_protocol::hardfork::HardforkTimes;
    use keel_protocol::l1_info::l1_info_format;
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
    let at = |ts| l1_info_format(&cfg, ts);
    assert_eq!(at(8), L1InfoFormat::Bedrock);
    assert_eq!(at(10), L1InfoFormat::Bedrock, "Ecotone activation block");
    assert_eq!(at(12), L1InfoFormat::Ecotone);
    assert_eq!(at(20), L1InfoFormat::Ecotone, "Isthmus activation block");
    assert_eq!(at(22), L1InfoFormat::Isthmus);
    assert_eq!(at(30), L1InfoFormat::Isthmus, "Jovian activation block");
    assert_eq!(at(32), L1InfoFormat::Jovian);

    // Isthmus and Jovian together: their shared activation block still uses Ecotone's.
    let cfg = rollup_config(HardforkTimes {
        isthmus_time: Some(20),
        jovian_time: Some(20),
        ..times
    });
    assert_eq!(l1_info_format(&cfg, 20), L1InfoFormat::Ecotone);
    assert_eq!(l1_info_format(&cfg, 22), L1InfoFormat::Jovian);

    // Active at genesis (time 0): no activation block, the new format from the start.
    let cfg = rollup_config(forks_through("jovian"));
    assert_eq!(l1_info_format(&cfg, 0), L1InfoFormat::Jovian);

    // decode_for_block insists on the scheduled format.
    let cfg = rollup_config(times);
    let ecotone = L1BlockInfo::Ecotone(Default::default()).encode();
    assert!(L1BlockInfo::decode_for_block(&cfg, 12, &ecotone).is_ok());
    assert!(L1BlockInfo::decode_for_block(&cfg, 10, &ecotone).is_err());
}

#[test]
fn gas_and_system_flag_by_fork() {
    let info = L1BlockInfo::Bedrock(Default::default());
    let pre = l1_info_deposit_from_info(&rollup_config(forks_through("bedrock")), &info, 100);
    assert_eq!(
        (pre.gas_limit, pre.is_system_transaction),
        (150_000_000, true)
    );
    let post = l1_info_deposit_from_info(&rollup_config(forks_through("regolith")), &info, 100);
    assert_eq!(
        (post.gas_limit, post.is_system_transaction),
        (1_000_000, false)
    );
}

#[test]
fn jovian_zero_da_scalar_becomes_400() {
    let cfg = rollup_config(forks_through("jovian"));
    let sys = system_config_for(
        Default::default(),
        U256::ZERO,
        ecotone_scalar(1, 2),
        (3, 4),
        0,
    );
    let origin = L1Origin {
        number: 1,
        timestamp: 2,
        hash: B256::repeat_byte(1),
        base_fee: U256::from(7),
        blob_fee: L1BlobFee::PreCancun,
    };
    let tx = l1_info_deposit(&cfg, &sys, &origin, 0, 100).unwrap();
    let L1BlockInfo::Jovian(j) = L1BlockInfo::decode(&tx.input).unwrap() else {
        panic!()
    };
    assert_eq!(j.da_footprint_gas_scalar, 400);
    assert_eq!(
        j.blob_base_fee,
        U256::from(1),
        "pre-Cancun L1 reports the minimum"
    );
}

#[test]
fn blob_base_fee_follows_the_pectra_blob_schedule() {
    use alloy_eips::eip7840::BlobParams;
    // fake_exponential(1, 10_000_000, fraction): 19 with Cancun's 3338477, 7 with Prague's 5007716.
    let origin = |timestamp| L1Origin {
        number: 1,
        timestamp,
        hash: B256::ZERO,
        base_fee: U256::ZERO,
        blob_fee: L1BlobFee::Excess {
            excess_blob_gas: 10_000_000,
            l1_params: BlobParams::prague(),
        },
    };
    let mut times = forks_through("isthmus");
    let cfg = rollup_config(times);
    assert_eq!(origin(5).blob_base_fee(&cfg), U256::from(7));
    times.pectra_blob_schedule_time = Some(100);
    let cfg = rollup_config(times);
    assert_eq!(origin(99).blob_base_fee(&cfg), U256::from(19));
    assert_eq!(origin(100).blob_base_fee(&cfg), U256::from(7));
}
