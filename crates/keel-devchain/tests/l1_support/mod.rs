//! Shared helpers of the `l1_*` tests: a dev L1 chain, signed transactions from the dev
//! accounts, mining at the next slot.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use alloy_consensus::{
    SignableTransaction, TxEip1559, TxEip4844, TxEip4844Variant, TxEip4844WithSidecar, TxEnvelope,
    TxLegacy,
};
use alloy_eips::{
    eip2718::Encodable2718,
    eip4844::{Blob, BlobTransactionSidecar},
    eip7594::BlobTransactionSidecarVariant,
};
use alloy_primitives::{Address, B256, Bytes, Log, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use keel_devchain::{
    genesis::DEV_PRIVATE_KEYS,
    l1::{BuiltBlock, L1Chain, L1Config, L1GenesisConfig, TxInfo},
};

/// Genesis time of the test chains (a multiple of nothing in particular).
pub const GENESIS_TIME: u64 = 1_700_000_000;
/// 1 gwei.
pub const GWEI: u128 = 1_000_000_000;

pub fn chain() -> L1Chain {
    chain_with(L1Config::default())
}

pub fn chain_with(config: L1Config) -> L1Chain {
    L1Chain::new(config, &L1GenesisConfig::dev(GENESIS_TIME).unwrap()).unwrap()
}

pub fn key(i: usize) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&DEV_PRIVATE_KEYS[i]).unwrap()
}

/// Mines the next block one slot after the head.
pub fn mine(chain: &mut L1Chain) -> BuiltBlock {
    let ts = chain.head().header.timestamp + chain.config().block_time;
    chain.build_block(ts).unwrap()
}

/// An EIP-1559 transaction from dev account `from`, network-encoded.
pub fn eip1559(
    chain: &L1Chain,
    from: usize,
    nonce: u64,
    to: TxKind,
    value: U256,
    input: Bytes,
    gas_limit: u64,
) -> Vec<u8> {
    let tx = TxEip1559 {
        chain_id: chain.chain_id(),
        nonce,
        gas_limit,
        max_fee_per_gas: 20 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to,
        value,
        input,
        ..Default::default()
    };
    let sig = key(from).sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
}

/// An EIP-155 legacy transaction.
pub fn legacy(chain: &L1Chain, from: usize, nonce: u64, to: Address, value: U256) -> Vec<u8> {
    let tx = TxLegacy {
        chain_id: Some(chain.chain_id()),
        nonce,
        gas_price: 20 * GWEI,
        gas_limit: 21_000,
        to: TxKind::Call(to),
        value,
        input: Bytes::new(),
    };
    let sig = key(from).sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
}

/// A blob carrying `data` (the OP blob encoding, so field elements are valid).
pub fn blob(data: &[u8]) -> Blob {
    let b = keel_protocol::blob::encode_blob(data).unwrap();
    Blob::from_slice(b.as_slice())
}

/// A type-3 transaction with its EIP-4844 sidecar (network form), and its versioned hashes.
pub fn blob_tx(
    chain: &L1Chain,
    from: usize,
    nonce: u64,
    to: Address,
    blobs: Vec<Blob>,
) -> (Vec<u8>, Vec<B256>) {
    blob_tx_with_tip(chain, from, nonce, to, blobs, GWEI)
}

/// [`blob_tx`] with a chosen priority fee.
pub fn blob_tx_with_tip(
    chain: &L1Chain,
    from: usize,
    nonce: u64,
    to: Address,
    blobs: Vec<Blob>,
    tip: u128,
) -> (Vec<u8>, Vec<B256>) {
    let sidecar = BlobTransactionSidecar::try_from_blobs_with_settings(
        blobs,
        alloy_eips::eip4844::env_settings::EnvKzgSettings::Default.get(),
    )
    .unwrap();
    let hashes: Vec<B256> = sidecar.versioned_hashes().collect();
    let tx = TxEip4844 {
        chain_id: chain.chain_id(),
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 20 * GWEI,
        max_priority_fee_per_gas: tip,
        to,
        value: U256::ZERO,
        access_list: Default::default(),
        blob_versioned_hashes: hashes.clone(),
        max_fee_per_blob_gas: 1_000 * GWEI,
        input: Bytes::new(),
    };
    let variant =
        TxEip4844Variant::TxEip4844WithSidecar(TxEip4844WithSidecar::from_tx_and_sidecar(
            tx,
            BlobTransactionSidecarVariant::Eip4844(sidecar),
        ));
    let sig = key(from).sign_hash_sync(&variant.signature_hash()).unwrap();
    (
        TxEnvelope::Eip4844(variant.into_signed(sig)).encoded_2718(),
        hashes,
    )
}

/// Sends `raw`, mines a block, and returns the transaction's mined info.
pub fn send_and_mine(chain: &mut L1Chain, raw: &[u8]) -> TxInfo {
    let hash = chain.send_raw_transaction(raw).unwrap();
    let built = mine(chain);
    assert!(built.rejected.is_empty(), "rejected: {:?}", built.rejected);
    chain.transaction(&hash).expect("mined")
}

/// The logs of a mined transaction with their block-wide log indices.
pub fn logs_of(info: &TxInfo) -> Vec<(u64, Log)> {
    info.receipt
        .logs()
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, l)| (info.first_log_index + i as u64, l))
        .collect()
}

/// Deploys `init` from dev account `from` and returns the created address.
pub fn deploy(chain: &mut L1Chain, from: usize, init: Bytes) -> Address {
    let nonce = chain.pending_nonce(&key(from).address());
    let raw = eip1559(
        chain,
        from,
        nonce,
        TxKind::Create,
        U256::ZERO,
        init,
        3_000_000,
    );
    let info = send_and_mine(chain, &raw);
    assert!(info.receipt.status(), "deployment reverted");
    info.contract_address.unwrap()
}
