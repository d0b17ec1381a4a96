//! L2 block → block ref / system config: real OP Goerli blocks (hildr `HeadInfoTest`), a
//! round trip through the attributes builder for every L1-info format, genesis, and each
//! error.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod attributes_support;

use alloy_consensus::{Header, Sealable, Sealed, Signed, TxLegacy};
use alloy_eips::{eip1559::BaseFeeParams, eip2718::Decodable2718};
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256, address};
use attributes_support::*;
use keel_derive::{
    attributes::{EpochOrigin, prepare_payload_attributes},
    error::ErrorClass,
    l2::{
        ExtraDataError, L2BlockError, L2ChainView, MemoryL2Chain, block_ref, block_ref_from_block,
        system_config as l2_system_config,
    },
    types::L2BlockRef,
};
use keel_protocol::{
    hardfork::HardforkTimes,
    rollup_config::{BlockId, RollupConfig},
};
use op_alloy_consensus::{
    OpBlock, OpTxEnvelope, TxDeposit, encode_holocene_extra_data, encode_jovian_extra_data,
};

fn dec(v: &serde_json::Value) -> u64 {
    v.as_str().unwrap().parse().unwrap()
}

fn op_goerli() -> RollupConfig {
    let forks = HardforkTimes {
        regolith_time: Some(1_679_079_600),
        canyon_time: Some(1_699_981_200),
        delta_time: Some(1_703_116_800),
        ecotone_time: Some(1_707_238_800),
        ..Default::default()
    };
    RollupConfig {
        block_time: 2,
        ..config(forks)
    }
}

fn header_from_rpc(b: &serde_json::Value) -> Sealed<Header> {
    let opt_q = |k: &str| b.get(k).map(quantity);
    let h = Header {
        parent_hash: b256(&b["parentHash"]),
        number: quantity(&b["number"]),
        timestamp: quantity(&b["timestamp"]),
        gas_limit: quantity(&b["gasLimit"]),
        gas_used: quantity(&b["gasUsed"]),
        extra_data: Bytes::from(hex_bytes(&b["extraData"])),
        mix_hash: b256(&b["mixHash"]),
        base_fee_per_gas: opt_q("baseFeePerGas"),
        ..Default::default()
    };
    Sealed::new_unchecked(h, b256(&b["hash"]))
}

fn deposit_from_rpc(t: &serde_json::Value) -> OpTxEnvelope {
    let d = TxDeposit {
        source_hash: b256(&t["sourceHash"]),
        from: Address::from_slice(&hex_bytes(&t["from"])),
        to: TxKind::Call(Address::from_slice(&hex_bytes(&t["to"]))),
        mint: t.get("mint").map_or(0, |m| u128::from(quantity(m))),
        value: U256::from(quantity(&t["value"])),
        gas_limit: quantity(&t["gas"]),
        is_system_transaction: t.get("isSystemTx").is_some_and(|v| v.as_bool().unwrap()),
        input: Bytes::from(hex_bytes(&t["input"])),
    };
    OpTxEnvelope::Deposit(d.seal_slow())
}

#[test]
fn hildr_op_goerli_blocks() {
    for name in ["bedrock", "ecotone"] {
        let f = read_json(&format!(
            "../../keel-protocol/testdata/deposits/l2-blocks/{name}_raw_block.json"
        ));
        let b = &f["test_block_data"];
        let header = header_from_rpc(b);
        let tx0 = deposit_from_rpc(&b["transactions"][0]);
        let cfg = op_goerli();
        let r = block_ref(&cfg, &header, Some(&tx0)).unwrap();
        assert_eq!(r.hash, b256(&f["assert_l2_block_hash"]), "{name}");
        assert_eq!(r.number, dec(&f["assert_l2_block_number"]));
        assert_eq!(r.timestamp, dec(&f["assert_l2_block_timestamp"]));
        assert_eq!(r.parent_hash, b256(&b["parentHash"]));
        assert_eq!(r.l1_origin.hash, b256(&f["assert_l1_block_hash"]), "{name}");
        assert_eq!(r.l1_origin.number, dec(&f["assert_l1_block_number"]));
        let OpTxEnvelope::Deposit(d) = &tx0 else {
            panic!()
        };
        let info = keel_protocol::l1_info::L1BlockInfo::decode(&d.inner().input).unwrap();
        assert_eq!(info.timestamp(), dec(&f["assert_l1_block_timestamp"]));
        let sys = l2_system_config(&cfg, &header, Some(&tx0)).unwrap();
        assert_eq!(sys.gas_limit, quantity(&b["gasLimit"]));
        // The "ecotone" block is an OP Sepolia block: its batcher is OP Sepolia's.
        let batcher = if name == "bedrock" {
            address!("0x7431310e026b69bfc676c0013e12a1a11411eec9")
        } else {
            BATCHER
        };
        assert_eq!(sys.batcher_addr, batcher, "{name}");
        assert_eq!(info.batcher_address(), batcher);
        assert_eq!(
            sys.eip1559_params,
            alloy_primitives::B64::ZERO,
            "pre-Holocene"
        );
        if name == "bedrock" {
            assert_eq!(sys.overhead, B256::left_padding_from(&[8, 0x34]));
            assert_eq!(
                sys.scalar,
                B256::left_padding_from(&1_000_000u32.to_be_bytes())
            );
        } else {
            // After Ecotone the scalars are re-packed as a version-1 word.
            assert_eq!(sys.scalar[0], 1);
            assert_eq!(sys.overhead, B256::ZERO);
        }
    }
}

/// Builds the block after `parent` with the builder, makes its header as an execution
/// client would (gas limit and extraData from the attributes), and reads it back.
fn round_trip(
    cfg: &RollupConfig,
    parent_time: u64,
    seq: u64,
) -> (L2BlockRef, keel_protocol::system_config::SystemConfig) {
    let origin = seal(l1_header(500, B256::repeat_byte(1), 1000));
    let id = BlockId {
        hash: origin.hash(),
        number: 500,
    };
    let parent = l2_parent(40, parent_time, id, seq);
    let mut sys = system_config();
    sys.da_footprint_gas_scalar = 0xdead;
    let out = prepare_payload_attributes(
        cfg,
        &parent,
        &sys,
        id,
        EpochOrigin {
            header: &origin,
            receipts: None,
            l1_blob_params: None,
        },
    )
    .unwrap();
    let a = &out.attributes;
    let t = a.payload_attributes.timestamp;
    let params = BaseFeeParams::new(250, 6);
    let extra = if let Some(min) = a.min_base_fee {
        encode_jovian_extra_data(a.eip_1559_params.unwrap(), params, min).unwrap()
    } else if let Some(p) = a.eip_1559_params {
        encode_holocene_extra_data(p, params).unwrap()
    } else {
        Bytes::new()
    };
    let header = Header {
        number: 41,
        parent_hash: parent.hash,
        timestamp: t,
        gas_limit: a.gas_limit.unwrap(),
        extra_data: extra,
        ..Default::default()
    };
    let tx0 = OpTxEnvelope::decode_2718(&mut a.transactions.as_ref().unwrap()[0].as_ref()).unwrap();
    let block = OpBlock {
        header: header.clone(),
        body: alloy_consensus::BlockBody {
            transactions: vec![tx0.clone()],
            ommers: vec![],
            withdrawals: None,
        },
    };
    let sealed = header.seal_slow();
    let r = block_ref(cfg, &sealed, Some(&tx0)).unwrap();
    assert_eq!(r, block_ref_from_block(cfg, sealed.hash(), &block).unwrap());
    assert_eq!(r.l1_origin, id);
    assert_eq!(r.sequence_number, seq + 1);
    let got = l2_system_config(cfg, &sealed, Some(&tx0)).unwrap();
    assert_eq!(
        got,
        keel_derive::l2::system_config_from_block(cfg, sealed.hash(), &block).unwrap()
    );
    (r, got)
}

#[test]
fn builder_output_reads_back_per_format() {
    let want = {
        let mut s = system_config();
        s.da_footprint_gas_scalar = 0xdead;
        s
    };
    // Jovian: everything recovered.
    let (_, got) = round_trip(&config(forks_through("jovian")), 1100, 2);
    assert_eq!(got, want);
    // Isthmus: no min base fee, no DA footprint scalar.
    let (_, got) = round_trip(&config(forks_through("isthmus")), 1100, 2);
    assert_eq!(
        got,
        keel_protocol::system_config::SystemConfig {
            min_base_fee: 0,
            da_footprint_gas_scalar: 0,
            ..want
        }
    );
    // Holocene: no operator fee either.
    let (_, got) = round_trip(&config(forks_through("holocene")), 1100, 2);
    assert_eq!(
        got,
        keel_protocol::system_config::SystemConfig {
            min_base_fee: 0,
            da_footprint_gas_scalar: 0,
            operator_fee_params: B256::ZERO,
            ..want
        }
    );
    // Ecotone: no EIP-1559 params.
    let (_, got) = round_trip(&config(forks_through("ecotone")), 1100, 2);
    assert_eq!(got.eip1559_params, alloy_primitives::B64::ZERO);
    assert_eq!(got.scalar, want.scalar);
    // Jovian activation block: Isthmus-format deposit, so no DA scalar; min base fee from
    // the Jovian extraData.
    let mut f = forks_through("isthmus");
    f.jovian_time = Some(1102);
    let (_, got) = round_trip(&config(f), 1100, 2);
    assert_eq!(got.da_footprint_gas_scalar, 0);
    assert_eq!(got.min_base_fee, want.min_base_fee);
    assert_eq!(got.operator_fee_params, want.operator_fee_params);
}

#[test]
fn genesis_block() {
    let cfg = config(forks_through("holocene"));
    let g = Sealed::new_unchecked(
        Header {
            number: 0,
            timestamp: 1000,
            ..Default::default()
        },
        GENESIS_L2,
    );
    let r = block_ref(&cfg, &g, None).unwrap();
    assert_eq!(r.l1_origin, cfg.genesis.l1);
    assert_eq!(r.sequence_number, 0);
    assert_eq!(r.hash, GENESIS_L2);
    assert_eq!(
        l2_system_config(&cfg, &g, None).unwrap(),
        cfg.genesis.system_config
    );
    let other = Sealed::new_unchecked(g.inner().clone(), B256::repeat_byte(3));
    let err = block_ref(&cfg, &other, None).unwrap_err();
    assert!(matches!(
        err,
        L2BlockError::GenesisMismatch { number: 0, .. }
    ));
    assert_eq!(err.class(), ErrorClass::Critical);
    assert!(l2_system_config(&cfg, &other, None).is_err());
}

#[test]
fn malformed_blocks_are_typed_errors() {
    let cfg = config(forks_through("holocene"));
    let header = Sealed::new_unchecked(
        Header {
            number: 7,
            timestamp: 1014,
            extra_data: Bytes::from_static(&[0, 0, 0, 0, 250, 0, 0, 0, 6]),
            ..Default::default()
        },
        B256::repeat_byte(7),
    );
    assert!(matches!(
        block_ref(&cfg, &header, None),
        Err(L2BlockError::MissingL1InfoTx { number: 7, .. })
    ));
    let legacy = OpTxEnvelope::Legacy(Signed::new_unchecked(
        TxLegacy::default(),
        Signature::test_signature(),
        B256::ZERO,
    ));
    assert!(matches!(
        block_ref(&cfg, &header, Some(&legacy)),
        Err(L2BlockError::FirstTxNotDeposit { tx_type: 0, .. })
    ));
    let garbage = OpTxEnvelope::Deposit(
        TxDeposit {
            input: Bytes::from_static(&[1, 2, 3, 4, 5]),
            ..Default::default()
        }
        .seal_slow(),
    );
    assert!(matches!(
        l2_system_config(&cfg, &header, Some(&garbage)),
        Err(L2BlockError::L1Info { number: 7, .. })
    ));
}

#[test]
fn bad_extra_data_is_rejected() {
    let cfg = config(forks_through("holocene"));
    let (_, _) = round_trip(&cfg, 1100, 0);
    let origin = seal(l1_header(500, B256::repeat_byte(1), 1000));
    let id = BlockId {
        hash: origin.hash(),
        number: 500,
    };
    let out = prepare_payload_attributes(
        &cfg,
        &l2_parent(40, 1100, id, 0),
        &system_config(),
        id,
        EpochOrigin {
            header: &origin,
            receipts: None,
            l1_blob_params: None,
        },
    )
    .unwrap();
    let tx0 =
        OpTxEnvelope::decode_2718(&mut out.attributes.transactions.as_ref().unwrap()[0].as_ref())
            .unwrap();
    let with_extra = |extra: &'static [u8]| {
        Header {
            number: 41,
            timestamp: 1102,
            extra_data: Bytes::from_static(extra),
            ..Default::default()
        }
        .seal_slow()
    };
    for (extra, zero_denominator) in [
        (&[][..], false),
        (&[1, 0, 0, 0, 250, 0, 0, 0, 6][..], false),
        (&[0, 0, 0, 0, 250, 0, 0, 0, 6, 0][..], false),
        (&[0, 0, 0, 0, 0, 0, 0, 0, 6][..], true),
    ] {
        let err = l2_system_config(&cfg, &with_extra(extra), Some(&tx0)).unwrap_err();
        match err {
            L2BlockError::ExtraData { reason, .. } => assert_eq!(
                matches!(reason, ExtraDataError::ZeroDenominator { elasticity: 6 }),
                zero_denominator
            ),
            other => panic!("{other}"),
        }
    }
    // Zero params (use the chain defaults) are valid.
    assert!(l2_system_config(&cfg, &with_extra(&[0; 9]), Some(&tx0)).is_ok());
}

#[test]
fn memory_chain() {
    let mut chain = MemoryL2Chain::new();
    assert!(chain.is_empty());
    let sys = system_config();
    for n in 0..5 {
        chain.insert(l2_parent(n, 1000 + 2 * n, BlockId::default(), n), sys);
    }
    assert_eq!(chain.len(), 5);
    assert_eq!(chain.head().unwrap().number, 4);
    assert_eq!(chain.block_ref_by_number(3).unwrap().unwrap().number, 3);
    assert_eq!(chain.system_config_by_number(3).unwrap(), Some(sys));
    assert_eq!(chain.block_ref_by_number(9).unwrap(), None);
    chain.truncate_after(2);
    assert_eq!(chain.block_ref_by_number(3).unwrap(), None);
    assert_eq!(chain.head().unwrap().number, 2);
    chain.fail_at(Some(1));
    let err = chain.block_ref_by_number(1).unwrap_err();
    assert_eq!(err.class(), ErrorClass::Temporary);
    assert!(chain.system_config_by_number(1).is_err());
    assert!(chain.block_ref_by_number(2).is_ok());
}
