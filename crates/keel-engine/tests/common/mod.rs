//! Fixtures shared by the integration tests: a rollup config, L2 blocks with real L1-info
//! deposits, attributes and the payloads an engine would build from them.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B64, B256, Bytes, Sealed, Signature, TxKind, U256, keccak256};
use alloy_rpc_types_engine::{
    ExecutionPayloadV1, ExecutionPayloadV2, ExecutionPayloadV3, PayloadAttributes,
};
use keel_derive::types::{L1BlockRef, L2BlockRef};
use keel_engine::controller::DerivedAttributes;
use keel_protocol::{
    l1_info::{L1BlockInfo, L1BlockInfoEcotone, l1_info_deposit_from_info},
    rollup_config::{BlockId, RollupConfig},
};
use op_alloy_consensus::{OpTxEnvelope, encode_holocene_extra_data};
use op_alloy_rpc_types_engine::{
    OpExecutionPayload, OpExecutionPayloadEnvelope, OpPayloadAttributes,
};

pub const GAS_LIMIT: u64 = 30_000_000;
pub const BLOCK_TIME: u64 = 2;
pub const GENESIS_TIME: u64 = 1_000;

pub fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(rel)
}

/// OP Mainnet's config with every fork through Granite at genesis; Holocene at genesis if
/// `holocene`, else unscheduled.
pub fn config(holocene: bool) -> RollupConfig {
    let mut cfg = keel_protocol::presets::preset("op-mainnet").unwrap();
    let h = &mut cfg.hardforks;
    h.regolith_time = Some(0);
    h.canyon_time = Some(0);
    h.delta_time = Some(0);
    h.ecotone_time = Some(0);
    h.fjord_time = Some(0);
    h.granite_time = Some(0);
    h.holocene_time = holocene.then_some(0);
    h.pectra_blob_schedule_time = None;
    h.isthmus_time = None;
    h.jovian_time = None;
    h.karst_time = None;
    h.interop_time = None;
    cfg.genesis.l2 = BlockId {
        hash: B256::repeat_byte(0x99),
        number: 0,
    };
    cfg.genesis.l2_time = GENESIS_TIME;
    cfg
}

pub fn genesis(cfg: &RollupConfig) -> L2BlockRef {
    L2BlockRef {
        hash: cfg.genesis.l2.hash,
        number: 0,
        parent_hash: B256::ZERO,
        timestamp: GENESIS_TIME,
        l1_origin: cfg.genesis.l1,
        sequence_number: 0,
    }
}

pub fn l1(number: u64) -> L1BlockRef {
    L1BlockRef {
        hash: keccak256(format!("l1-{number}")),
        number,
        parent_hash: keccak256(format!("l1-{}", number.saturating_sub(1))),
        timestamp: 500 + 12 * number,
    }
}

/// The L1-info deposit of an L2 block with origin `l1(origin)`.
pub fn l1_info_tx(cfg: &RollupConfig, origin: u64, seq: u64, ts: u64) -> Bytes {
    let o = l1(origin);
    let info = L1BlockInfo::Ecotone(L1BlockInfoEcotone {
        number: o.number,
        timestamp: o.timestamp,
        block_hash: o.hash,
        sequence_number: seq,
        base_fee: U256::from(7),
        blob_base_fee: U256::from(1),
        ..Default::default()
    });
    let dep = l1_info_deposit_from_info(cfg, &info, ts);
    OpTxEnvelope::Deposit(Sealed::new(dep))
        .encoded_2718()
        .into()
}

/// A user transaction (signature not checked by anything here).
pub fn user_tx(nonce: u64) -> Bytes {
    let tx = TxEip1559 {
        chain_id: 10,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(Address::repeat_byte(0x11)),
        value: U256::from(1),
        ..Default::default()
    };
    let signed = tx.into_signed(Signature::new(U256::from(1), U256::from(2), false));
    OpTxEnvelope::Eip1559(signed).encoded_2718().into()
}

/// Attributes for the child of `parent`, origin `l1(origin)`, with `users` user txs.
pub fn attributes(
    cfg: &RollupConfig,
    parent: &L2BlockRef,
    origin: u64,
    users: &[u64],
) -> OpPayloadAttributes {
    let ts = parent.timestamp + BLOCK_TIME;
    let seq = if parent.l1_origin.number == origin {
        parent.sequence_number + 1
    } else {
        0
    };
    let mut txs = vec![l1_info_tx(cfg, origin, seq, ts)];
    txs.extend(users.iter().map(|n| user_tx(*n)));
    let holocene = cfg.is_active(keel_protocol::hardfork::Hardfork::Holocene, ts);
    OpPayloadAttributes {
        payload_attributes: PayloadAttributes {
            timestamp: ts,
            prev_randao: l1(origin).hash,
            suggested_fee_recipient: Address::repeat_byte(0x42),
            withdrawals: Some(vec![]),
            parent_beacon_block_root: Some(B256::repeat_byte(0xbe)),
            slot_number: None,
            target_gas_limit: None,
        },
        transactions: Some(txs),
        no_tx_pool: Some(true),
        gas_limit: Some(GAS_LIMIT),
        eip_1559_params: holocene.then_some(B64::ZERO),
        min_base_fee: None,
    }
}

pub fn derived(
    attributes: OpPayloadAttributes,
    parent: L2BlockRef,
    from: u64,
    last: bool,
) -> Box<DerivedAttributes> {
    Box::new(DerivedAttributes {
        attributes,
        parent,
        derived_from: l1(from),
        is_last_in_span: last,
    })
}

/// The payload an engine builds from `attrs` on `parent`; `salt` varies the block hash.
pub fn payload(
    cfg: &RollupConfig,
    attrs: &OpPayloadAttributes,
    parent: &L2BlockRef,
    salt: u8,
) -> OpExecutionPayloadEnvelope {
    let a = &attrs.payload_attributes;
    let number = parent.number + 1;
    let extra_data = match attrs.eip_1559_params {
        Some(p) => {
            let d = cfg.base_fee_params(a.timestamp);
            encode_holocene_extra_data(p, d).unwrap()
        }
        None => Bytes::new(),
    };
    let txs = attrs.transactions.clone().unwrap_or_default();
    let hash = keccak256(
        [
            parent.hash.as_slice(),
            &number.to_be_bytes(),
            &[salt],
            &(txs.len() as u64).to_be_bytes(),
        ]
        .concat(),
    );
    let v1 = ExecutionPayloadV1 {
        parent_hash: parent.hash,
        fee_recipient: a.suggested_fee_recipient,
        state_root: B256::repeat_byte(1),
        receipts_root: B256::repeat_byte(2),
        logs_bloom: Default::default(),
        prev_randao: a.prev_randao,
        block_number: number,
        gas_limit: attrs.gas_limit.unwrap_or(GAS_LIMIT),
        gas_used: 21_000,
        timestamp: a.timestamp,
        extra_data,
        base_fee_per_gas: U256::from(100),
        block_hash: hash,
        transactions: txs,
    };
    OpExecutionPayloadEnvelope {
        parent_beacon_block_root: a.parent_beacon_block_root,
        execution_payload: OpExecutionPayload::V3(ExecutionPayloadV3 {
            payload_inner: ExecutionPayloadV2 {
                payload_inner: v1,
                withdrawals: vec![],
            },
            blob_gas_used: 0,
            excess_blob_gas: 0,
        }),
    }
}

/// The reference of a payload made by [`payload`] on `parent` with origin `l1(origin)`.
pub fn block_ref(env: &OpExecutionPayloadEnvelope, parent: &L2BlockRef, origin: u64) -> L2BlockRef {
    let p = &env.execution_payload;
    L2BlockRef {
        hash: p.block_hash(),
        number: p.block_number(),
        parent_hash: p.parent_hash(),
        timestamp: p.timestamp(),
        l1_origin: l1(origin).id(),
        sequence_number: if parent.l1_origin.number == origin {
            parent.sequence_number + 1
        } else {
            0
        },
    }
}
