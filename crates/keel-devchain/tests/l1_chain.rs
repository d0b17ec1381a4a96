#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! The L1 dev chain's blocks: header hash and roots recomputed independently with
//! alloy-consensus / alloy-trie, the EIP-4788 / EIP-2935 system calls' storage, pool
//! ordering (tip, then nonce per sender), EIP-7702 and legacy transactions, the `safe` /
//! `finalized` lag, state pruning, invalid transactions refused with their error, and
//! `eth_call` / `eth_estimateGas`.

mod l1_support;

use alloy_consensus::{
    SignableTransaction, TxEip1559, TxEip4844, TxEip7702, TxEnvelope, TxLegacy,
    proofs::{calculate_receipt_root, calculate_transaction_root},
};
use alloy_eips::{
    BlockNumberOrTag, eip2718::Encodable2718, eip2935::HISTORY_STORAGE_ADDRESS,
    eip4788::BEACON_ROOTS_ADDRESS, eip7685::EMPTY_REQUESTS_HASH, eip7702::Authorization,
};
use alloy_primitives::{Address, B256, Bloom, Bytes, TxKind, U256, address, keccak256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_trie::{EMPTY_ROOT_HASH, TrieAccount, root::storage_root_unhashed};
use keel_devchain::l1::{L1ChainError, L1Config, PoolError};
use l1_support::*;

const SINK: Address = address!("0x00000000000000000000000000000000005e1e01");

/// The state root recomputed from the accounts with alloy-trie directly.
fn independent_state_root(state: &keel_devchain::state::MemState) -> B256 {
    alloy_trie::root::state_root_unhashed(state.accounts().map(|(a, acc)| {
        (
            *a,
            TrieAccount {
                nonce: acc.nonce,
                balance: acc.balance,
                storage_root: storage_root_unhashed(
                    acc.storage.iter().map(|(k, v)| (B256::from(*k), *v)),
                ),
                code_hash: keccak256(&acc.code),
            },
        )
    }))
}

#[test]
fn headers_and_roots_are_consistent() {
    let mut chain = chain();
    let g = chain.genesis().clone();
    assert_eq!(g.header.hash(), g.header.inner().hash_slow());
    assert_eq!(
        g.header.state_root,
        independent_state_root(chain.state_at(0).unwrap())
    );
    for i in 0..3u64 {
        let raw = eip1559(
            &chain,
            1,
            i,
            TxKind::Call(SINK),
            U256::from(10 + i),
            Bytes::new(),
            21_000,
        );
        chain.send_raw_transaction(&raw).unwrap();
    }
    let raw = legacy(&chain, 2, 0, SINK, U256::from(5u64));
    chain.send_raw_transaction(&raw).unwrap();
    let built = mine(&mut chain);
    let block = built.block;
    let h = block.header.inner();
    assert_eq!(block.transactions.len(), 4);
    assert_eq!(block.hash(), h.hash_slow());
    assert_eq!(h.parent_hash, g.hash());
    let txs: Vec<TxEnvelope> = block
        .transactions
        .iter()
        .map(|t| t.inner().clone())
        .collect();
    assert_eq!(h.transactions_root, calculate_transaction_root(&txs));
    assert_eq!(h.receipts_root, calculate_receipt_root(&block.receipts));
    let bloom = block.receipts.iter().fold(Bloom::ZERO, |b, r| {
        b | alloy_primitives::logs_bloom(r.logs())
    });
    assert_eq!(h.logs_bloom, bloom);
    assert_eq!(h.gas_used, 4 * 21_000);
    assert_eq!(h.state_root, independent_state_root(chain.head_state()));
    assert_eq!(h.withdrawals_root, Some(EMPTY_ROOT_HASH));
    assert_eq!(h.requests_hash, Some(EMPTY_REQUESTS_HASH));
    assert_eq!(h.blob_gas_used, Some(0));
    assert_eq!(h.excess_blob_gas, Some(0));
    assert_eq!(h.parent_beacon_block_root, Some(g.hash()));
    // EIP-1559: after an empty parent (genesis, 1 gwei) the base fee drops by 1/8.
    assert_eq!(h.base_fee_per_gas, Some(875_000_000));
    assert_eq!(
        chain.state_at(1).unwrap().balance(&SINK),
        U256::from(10 + 11 + 12 + 5u64)
    );

    // EIP-4788: the beacon root is stored under timestamp % 8191 (and the root 8191 after).
    let state = chain.head_state();
    let slot = U256::from(h.timestamp % 8191);
    assert_eq!(
        state.storage(&BEACON_ROOTS_ADDRESS, slot),
        U256::from(h.timestamp)
    );
    assert_eq!(
        state.storage(&BEACON_ROOTS_ADDRESS, slot + U256::from(8191)),
        U256::from_be_bytes(g.hash().0)
    );
    // EIP-2935: the parent hash under (number - 1) % 8191.
    assert_eq!(
        state.storage(&HISTORY_STORAGE_ADDRESS, U256::ZERO),
        U256::from_be_bytes(g.hash().0)
    );

    // Receipt data: gas, price, log index.
    let infos = chain.block_receipts(&block.hash()).unwrap();
    assert_eq!(infos.len(), 4);
    for (i, info) in infos.iter().enumerate() {
        assert_eq!(info.index, i as u64);
        assert_eq!(info.gas_used, 21_000);
        assert_eq!(info.block_number, 1);
    }
    // EIP-1559 pays base fee + tip (1 gwei); legacy its gas price.
    let legacy_info = infos.iter().find(|i| i.tx.inner().is_legacy()).unwrap();
    assert_eq!(legacy_info.effective_gas_price, 20 * GWEI);
    let dyn_info = infos.iter().find(|i| !i.tx.inner().is_legacy()).unwrap();
    assert_eq!(dyn_info.effective_gas_price, 875_000_000 + GWEI);
}

#[test]
fn pool_orders_by_tip_and_nonce() {
    let mut chain = chain();
    let sign = |from: usize, nonce: u64, tip: u128| {
        let tx = TxEip1559 {
            chain_id: 900,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 100 * GWEI,
            max_priority_fee_per_gas: tip,
            to: TxKind::Call(SINK),
            ..Default::default()
        };
        let sig = key(from).sign_hash_sync(&tx.signature_hash()).unwrap();
        TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
    };
    // Sender 1 sends nonce 1 before nonce 0; sender 2 tips more; sender 3 has a gap.
    let a1 = chain.send_raw_transaction(&sign(1, 1, 50 * GWEI)).unwrap();
    let a0 = chain.send_raw_transaction(&sign(1, 0, GWEI)).unwrap();
    let b0 = chain.send_raw_transaction(&sign(2, 0, 5 * GWEI)).unwrap();
    let gap = chain.send_raw_transaction(&sign(3, 1, 90 * GWEI)).unwrap();
    let block = mine(&mut chain).block;
    let order: Vec<B256> = block
        .transactions
        .iter()
        .map(|t| *t.inner().tx_hash())
        .collect();
    // b0 (5 gwei) beats a0 (1 gwei); a1 (50 gwei) can only follow a0.
    assert_eq!(order, vec![b0, a0, a1]);
    assert!(chain.pending_transaction(&gap).is_some());
    assert_eq!(chain.pool_len(), 1);
    assert_eq!(chain.pending_nonce(&key(1).address()), 2);
    assert_eq!(chain.pending_nonce(&key(3).address()), 0);
}

#[test]
fn eip7702_delegation_is_installed() {
    let mut chain = chain();
    let delegate = address!("0x00000000000000000000000000000000000de1e9");
    let authority = key(5);
    let auth = Authorization {
        chain_id: U256::from(900u64),
        address: delegate,
        nonce: 0,
    };
    let sig = authority.sign_hash_sync(&auth.signature_hash()).unwrap();
    let tx = TxEip7702 {
        chain_id: 900,
        nonce: 0,
        gas_limit: 100_000,
        max_fee_per_gas: 20 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to: SINK,
        authorization_list: vec![auth.into_signed(sig)],
        ..Default::default()
    };
    let sig = key(6).sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw = TxEnvelope::from(tx.into_signed(sig)).encoded_2718();
    let info = send_and_mine(&mut chain, &raw);
    assert!(info.receipt.status());
    let mut expected = vec![0xef, 0x01, 0x00];
    expected.extend_from_slice(delegate.as_slice());
    assert_eq!(
        chain.head_state().code(&authority.address()).to_vec(),
        expected
    );
    assert_eq!(chain.head_state().nonce(&authority.address()), 1);
}

#[test]
fn safe_and_finalized_lag_the_head() {
    let mut chain = chain_with(L1Config {
        safe_lag: 2,
        finalized_lag: 4,
        max_states: 3,
        ..L1Config::default()
    });
    mine(&mut chain);
    assert_eq!(chain.safe().number(), 0);
    assert_eq!(chain.finalized().number(), 0);
    for _ in 0..5 {
        mine(&mut chain);
    }
    assert_eq!(chain.head().number(), 6);
    assert_eq!(chain.block(BlockNumberOrTag::Safe).unwrap().number(), 4);
    assert_eq!(
        chain.block(BlockNumberOrTag::Finalized).unwrap().number(),
        2
    );
    assert_eq!(chain.block(BlockNumberOrTag::Latest).unwrap().number(), 6);
    assert_eq!(chain.block(BlockNumberOrTag::Earliest).unwrap().number(), 0);
    let b3 = chain.block_by_number(3).unwrap().clone();
    assert_eq!(chain.block_by_hash(&b3.hash()).unwrap().number(), 3);
    assert_eq!(b3.header.timestamp, GENESIS_TIME + 3 * 6);
    // Genesis, the head and the newest older states are kept; block 1's is pruned.
    assert!(chain.state_at(0).is_ok());
    assert!(chain.state_at(6).is_ok());
    assert!(chain.state_at(5).is_ok());
    assert_eq!(chain.state_at(1).unwrap_err(), L1ChainError::StatePruned(1));
    assert!(matches!(
        chain.state_at(7),
        Err(L1ChainError::UnknownBlock(_))
    ));
    // Time must move forward.
    let ts = chain.head().header.timestamp;
    assert!(matches!(chain.build_block(ts), Err(L1ChainError::Build(_))));
}

fn refused(chain: &mut keel_devchain::l1::L1Chain, raw: &[u8]) -> PoolError {
    match chain.send_raw_transaction(raw) {
        Err(L1ChainError::Pool(e)) => e,
        other => panic!("expected a pool error, got {other:?}"),
    }
}

#[test]
fn invalid_transactions_are_refused_with_their_error() {
    let mut chain = chain();
    let transfer = |chain: &keel_devchain::l1::L1Chain, nonce, gas| {
        eip1559(
            chain,
            1,
            nonce,
            TxKind::Call(SINK),
            U256::from(1u64),
            Bytes::new(),
            gas,
        )
    };
    assert!(matches!(
        refused(&mut chain, &[0x02, 0xc0]),
        PoolError::Decode(_)
    ));

    // Wrong chain id.
    let tx = TxEip1559 {
        chain_id: 1,
        gas_limit: 21_000,
        max_fee_per_gas: GWEI,
        to: TxKind::Call(SINK),
        ..Default::default()
    };
    let sig = key(1).sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw = TxEnvelope::from(tx.into_signed(sig)).encoded_2718();
    assert_eq!(
        refused(&mut chain, &raw),
        PoolError::WrongChainId {
            expected: 900,
            got: Some(1)
        }
    );
    // Unprotected legacy.
    let tx = TxLegacy {
        chain_id: None,
        gas_price: 10 * GWEI,
        gas_limit: 21_000,
        to: TxKind::Call(SINK),
        ..Default::default()
    };
    let sig = key(1).sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw = TxEnvelope::from(tx.into_signed(sig)).encoded_2718();
    assert_eq!(
        refused(&mut chain, &raw),
        PoolError::WrongChainId {
            expected: 900,
            got: None
        }
    );

    let low = transfer(&chain, 0, 20_999);
    assert_eq!(
        refused(&mut chain, &low),
        PoolError::IntrinsicGasTooLow {
            gas_limit: 20_999,
            intrinsic: 21_000
        }
    );
    let high = transfer(&chain, 0, 31_000_000);
    assert_eq!(
        refused(&mut chain, &high),
        PoolError::GasLimitExceedsBlock {
            gas_limit: 31_000_000,
            block: 30_000_000
        }
    );

    // No funds.
    let poor = PrivateKeySigner::random();
    let tx = TxEip1559 {
        chain_id: 900,
        gas_limit: 21_000,
        max_fee_per_gas: GWEI,
        to: TxKind::Call(SINK),
        ..Default::default()
    };
    let sig = poor.sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw = TxEnvelope::from(tx.into_signed(sig)).encoded_2718();
    assert_eq!(
        refused(&mut chain, &raw),
        PoolError::InsufficientFunds {
            balance: U256::ZERO,
            cost: U256::from(21_000 * GWEI)
        }
    );

    // Tip above the fee cap.
    let tx = TxEip1559 {
        chain_id: 900,
        gas_limit: 21_000,
        max_fee_per_gas: GWEI,
        max_priority_fee_per_gas: 2 * GWEI,
        to: TxKind::Call(SINK),
        ..Default::default()
    };
    let sig = key(1).sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw = TxEnvelope::from(tx.into_signed(sig)).encoded_2718();
    assert!(matches!(
        refused(&mut chain, &raw),
        PoolError::TipAboveFeeCap { .. }
    ));

    // Known, then an underpriced replacement, then a good one.
    let first = transfer(&chain, 0, 21_000);
    let hash = chain.send_raw_transaction(&first).unwrap();
    assert_eq!(refused(&mut chain, &first), PoolError::AlreadyKnown(hash));
    let same_fees = eip1559(
        &chain,
        1,
        0,
        TxKind::Call(SINK),
        U256::from(2u64),
        Bytes::new(),
        21_000,
    );
    assert_eq!(
        refused(&mut chain, &same_fees),
        PoolError::ReplacementUnderpriced
    );

    // Nonce too low once mined.
    mine(&mut chain);
    assert_eq!(
        refused(&mut chain, &first),
        PoolError::NonceTooLow {
            address: key(1).address(),
            state: 1,
            tx: 0
        }
    );

    // A blob transaction in block form (no sidecar).
    let tx = TxEip4844 {
        chain_id: 900,
        gas_limit: 21_000,
        max_fee_per_gas: 20 * GWEI,
        to: SINK,
        blob_versioned_hashes: vec![B256::with_last_byte(1)],
        max_fee_per_blob_gas: GWEI,
        ..Default::default()
    };
    let sig = key(2).sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw = TxEnvelope::from(tx.into_signed(sig)).encoded_2718();
    assert_eq!(refused(&mut chain, &raw), PoolError::MissingSidecar);

    // A sidecar whose blob is not the committed one.
    let (good, _) = blob_tx(&chain, 2, 0, SINK, vec![blob(b"one")]);
    let mut decoded =
        <TxEnvelope as alloy_eips::eip2718::Decodable2718>::decode_2718(&mut good.as_slice())
            .unwrap();
    if let TxEnvelope::Eip4844(signed) = &mut decoded {
        let alloy_consensus::TxEip4844Variant::TxEip4844WithSidecar(with) = signed.tx() else {
            panic!()
        };
        let mut with = with.clone();
        let alloy_eips::eip7594::BlobTransactionSidecarVariant::Eip4844(s) = &mut with.sidecar
        else {
            panic!()
        };
        s.blobs[0] = blob(b"two");
        *signed = alloy_consensus::Signed::new_unchecked(
            alloy_consensus::TxEip4844Variant::TxEip4844WithSidecar(with),
            *signed.signature(),
            *signed.hash(),
        );
    }
    assert!(matches!(
        refused(&mut chain, &decoded.encoded_2718()),
        PoolError::InvalidSidecar(_)
    ));

    // EIP-7702 without authorizations.
    let tx = TxEip7702 {
        chain_id: 900,
        gas_limit: 50_000,
        max_fee_per_gas: 20 * GWEI,
        to: SINK,
        ..Default::default()
    };
    let sig = key(2).sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw = TxEnvelope::from(tx.into_signed(sig)).encoded_2718();
    assert_eq!(refused(&mut chain, &raw), PoolError::EmptyAuthorizationList);
}

#[test]
fn call_and_estimate() {
    let mut chain = chain();
    mine(&mut chain);
    let req = TransactionRequest::default()
        .from(key(1).address())
        .to(SINK)
        .value(U256::from(1u64));
    assert_eq!(chain.estimate_gas(&req, 1).unwrap(), 21_000);
    let out = chain.call(&req, 1).unwrap();
    assert!(out.success);
    assert_eq!(out.gas_used, 21_000);
    // A revert is reported with its data.
    let revert = TransactionRequest::default()
        .from(key(1).address())
        .to(keel_devchain::l1::contracts::SYSTEM_CONFIG)
        .input(Bytes::from(vec![0xde, 0xad, 0xbe, 0xef]).into());
    assert!(matches!(
        chain.estimate_gas(&revert, 1),
        Err(L1ChainError::Reverted(_))
    ));
    // Fees: the next base fee follows EIP-1559 from the empty head.
    let head = chain.head().header.base_fee_per_gas.unwrap();
    assert_eq!(chain.next_base_fee(), head - head / 8);
    assert_eq!(chain.gas_price(), u128::from(head - head / 8) + GWEI);
    assert_eq!(chain.next_blob_base_fee(), 1);
}
