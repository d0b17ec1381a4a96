//! The benches' world: the dev genesis (Jovian at genesis) plus many funded accounts, the
//! attributes of block 1 (L1-info deposit from the shared attributes builder), and signed
//! transactions for the block: ETH transfers between funded accounts, or calls of an
//! SSTORE / KECCAK256 loop contract.
#![allow(dead_code, unreachable_pub)]

#[path = "../../tests/common/mod.rs"]
mod chain_common;

use std::{collections::BTreeMap, time::Duration};

use alloy_consensus::{Header, Sealed, SignableTransaction, TxEip1559, transaction::Recovered};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use keel_derive::{
    attributes::{EpochOrigin, prepare_payload_attributes},
    types::L2BlockRef,
};
use keel_devchain::{
    genesis::DevGenesis,
    state::{MemAccount, MemState},
};
use keel_protocol::rollup_config::{BlockId, RollupConfig};
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::OpPayloadAttributes;

pub use chain_common::{CHAIN_ID, ETH};

/// The loop contract's address.
pub const LOOP_CONTRACT: Address = address!("0xC0de000000000000000000000000000000000001");

/// Runtime code: `for i in 0..calldata[0] { sstore(keccak256(caller ‖ i), i + 1) }`.
/// Every call writes fresh slots (the caller is part of the key), so each iteration costs a
/// cold zero-to-non-zero SSTORE and a KECCAK256.
pub const LOOP_CODE: [u8; 42] = [
    0x60, 0x00, 0x35, // n = calldataload(0)
    0x60, 0x00, // i = 0
    0x5b, // loop:
    0x81, 0x81, 0x10, 0x15, 0x61, 0x00, 0x28, 0x57, // if !(i < n) goto end
    0x33, 0x60, 0x00, 0x52, // mstore(0, caller)
    0x80, 0x60, 0x20, 0x52, // mstore(32, i)
    0x60, 0x40, 0x60, 0x00, 0x20, // slot = keccak256(0, 64)
    0x81, 0x60, 0x01, 0x01, 0x90, 0x55, // sstore(slot, i + 1)
    0x60, 0x01, 0x01, // i += 1
    0x61, 0x00, 0x05, 0x56, // goto loop
    0x5b, 0x00, // end: stop
];

/// Slots the loop contract holds at genesis, so its storage trie has depth.
pub const LOOP_CONTRACT_SLOTS: u64 = 10_000;

/// The gas limit of the bench chain: room for 1,000 transfers under Jovian's DA footprint
/// limit (each small transaction counts ~40,000 DA-footprint gas at scalar 400).
pub const GAS_LIMIT: u64 = 60_000_000;

/// Whether the bench runs for real (`cargo bench`) rather than as a smoke test
/// (`cargo test --all-targets` runs bench targets once without `--bench`).
pub fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// A genesis with extra accounts, its rollup config and block 1's attributes.
pub struct World {
    /// The rollup config (its L2 genesis is [`World::genesis`]).
    pub cfg: RollupConfig,
    /// The genesis header and state.
    pub genesis: DevGenesis,
    /// Block 1's attributes: the L1-info deposit, `noTxPool` false.
    pub attrs: OpPayloadAttributes,
    /// Keys of the funded senders (the first `senders` of the funded accounts).
    pub senders: Vec<PrivateKeySigner>,
}

fn funded(i: usize) -> Address {
    Address::from_word(keccak256(format!("keel-bench-account-{i}")))
}

fn sender_key(i: usize) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&keccak256(format!("keel-bench-key-{i}"))).unwrap()
}

/// The dev genesis plus `accounts` funded accounts (the first `senders` of them with known
/// keys) and the loop contract, re-sealed with the new state root.
pub fn world(accounts: usize, senders: usize) -> World {
    let mut sys = chain_common::dev_system_config();
    sys.gas_limit = GAS_LIMIT;
    let l1_a = chain_common::l1_header(
        100,
        B256::repeat_byte(0x99),
        chain_common::GENESIS_TIME - 12,
    );
    let l1_b = chain_common::l1_header(101, l1_a.hash(), chain_common::GENESIS_TIME);
    let (mut cfg, genesis) =
        chain_common::dev_rollup_config(chain_common::jovian_at_genesis(), sys, &l1_a);
    let mut state = genesis.state;
    let keys: Vec<PrivateKeySigner> = (0..senders).map(sender_key).collect();
    let balance = U256::from(1_000 * ETH);
    for key in &keys {
        state.insert_account(key.address(), MemAccount::with_balance(balance));
    }
    for i in senders..accounts {
        state.insert_account(funded(i), MemAccount::with_balance(balance));
    }
    let slots: BTreeMap<U256, U256> = (0..LOOP_CONTRACT_SLOTS)
        .map(|i| {
            (
                U256::from_be_bytes(keccak256(i.to_be_bytes()).0),
                U256::from(i + 1),
            )
        })
        .collect();
    state.insert_account(
        LOOP_CONTRACT,
        MemAccount::with_code(Bytes::from_static(&LOOP_CODE), slots),
    );
    let mut header = genesis.header.inner().clone();
    header.state_root = state.state_root();
    let header = Sealed::new(header);
    state.push_block_hash(0, header.hash());
    cfg.genesis.l2 = BlockId {
        hash: header.hash(),
        number: 0,
    };
    let parent = L2BlockRef {
        hash: header.hash(),
        number: 0,
        parent_hash: B256::ZERO,
        timestamp: chain_common::GENESIS_TIME,
        l1_origin: BlockId {
            hash: l1_a.hash(),
            number: l1_a.number,
        },
        sequence_number: 0,
    };
    let prepared = prepare_payload_attributes(
        &cfg,
        &parent,
        &sys,
        BlockId {
            hash: l1_b.hash(),
            number: l1_b.number,
        },
        EpochOrigin {
            header: &l1_b,
            receipts: Some(&[]),
            l1_blob_params: None,
        },
    )
    .unwrap();
    let mut attrs = prepared.attributes;
    attrs.no_tx_pool = Some(false);
    World {
        cfg,
        genesis: DevGenesis { state, header },
        attrs,
        senders: keys,
    }
}

fn sign(
    key: &PrivateKeySigner,
    to: Address,
    gas_limit: u64,
    value: U256,
    input: Bytes,
) -> Recovered<OpTxEnvelope> {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: 0,
        gas_limit,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: TxKind::Call(to),
        value,
        input,
        ..Default::default()
    };
    let sig = key.sign_hash_sync(&tx.signature_hash()).unwrap();
    Recovered::new_unchecked(OpTxEnvelope::Eip1559(tx.into_signed(sig)), key.address())
}

/// One ETH transfer from each of `w.senders` to a distinct other funded account.
pub fn transfers(w: &World, accounts: usize) -> Vec<Recovered<OpTxEnvelope>> {
    let n = w.senders.len();
    w.senders
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let to = funded(n + (i * 7919) % (accounts - n));
            sign(
                key,
                to,
                21_000,
                U256::from(1_000_000_000u64 + i as u64),
                Bytes::new(),
            )
        })
        .collect()
}

/// `count` calls of the loop contract, each writing `writes` fresh slots, from distinct
/// senders.
pub fn loop_calls(w: &World, count: usize, writes: u64) -> Vec<Recovered<OpTxEnvelope>> {
    let input = Bytes::from(U256::from(writes).to_be_bytes::<32>().to_vec());
    w.senders
        .iter()
        .take(count)
        .map(|key| {
            sign(
                key,
                LOOP_CONTRACT,
                30_000 + 23_000 * writes,
                U256::ZERO,
                input.clone(),
            )
        })
        .collect()
}

/// The `p`-quantile of sorted durations (nearest rank).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Prints p50 / p99 / max of `samples` (sorted in place) under `label`.
pub fn report(label: &str, samples: &mut [Duration]) {
    samples.sort();
    eprintln!(
        "{label} ({} runs): p50 {:.2?}, p99 {:.2?}, max {:.2?}",
        samples.len(),
        percentile(samples, 0.50),
        percentile(samples, 0.99),
        samples.last().unwrap()
    );
}

/// The state's account count (a sanity check on the world).
pub fn account_count(state: &MemState) -> usize {
    state.accounts().count()
}

/// The genesis header, for building on.
pub fn genesis_header(w: &World) -> &Sealed<Header> {
    &w.genesis.header
}
