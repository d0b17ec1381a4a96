#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! `eth_getProof` (EIP-1186): the account and storage proofs the server returns verify with
//! alloy-trie's `verify_proof` against the block's state root and the account's storage
//! root, for a contract with storage, an EOA, a missing account and a missing slot, at the
//! head and at an older block; a tampered value does not verify. On the L2 genesis the
//! `L2ToL1MessagePasser`'s `storageHash` is the header's `withdrawalsRoot` (Isthmus), the
//! value op-node's `optimism_outputAtBlock` reads.

mod l1_support;

use std::sync::Arc;

use alloy_eips::BlockId;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address, keccak256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::EIP1186AccountProofResponse;
use alloy_trie::{EMPTY_ROOT_HASH, Nibbles, TrieAccount, proof::verify_proof};
use keel_devchain::{
    genesis::{DevGenesisConfig, L2_TO_L1_MESSAGE_PASSER, build_genesis},
    l1::{beacon::SharedL1Chain, contracts::SYSTEM_CONFIG},
    l1_rpc,
    rpc::account_proof,
    state::MemAccount,
};
use l1_support::*;
use parking_lot::RwLock;

const MISSING: Address = address!("0x00000000000000000000000000000000deadbeef");

fn rlp<T: Encodable>(v: &T) -> Vec<u8> {
    let mut out = Vec::new();
    v.encode(&mut out);
    out
}

/// Verifies the account proof (inclusion or, for a missing account, exclusion) against
/// `state_root`, and every storage proof against the answered `storageHash`.
fn verify(state_root: B256, p: &EIP1186AccountProofResponse, exists: bool) {
    let key = Nibbles::unpack(keccak256(p.address));
    let leaf = exists.then(|| {
        rlp(&TrieAccount {
            nonce: p.nonce,
            balance: p.balance,
            storage_root: p.storage_hash,
            code_hash: p.code_hash,
        })
    });
    verify_proof(state_root, key, leaf, &p.account_proof).unwrap();
    for s in &p.storage_proof {
        let key = Nibbles::unpack(keccak256(s.key.as_b256()));
        let value = (!s.value.is_zero()).then(|| rlp(&s.value));
        verify_proof(p.storage_hash, key, value, &s.proof).unwrap();
    }
}

#[tokio::test]
async fn proofs_verify_against_state_and_storage_roots() {
    let shared: SharedL1Chain = Arc::new(RwLock::new(chain()));
    // A block that changes the state: a transfer to a fresh account.
    let fresh = address!("0x00000000000000000000000000000000000f4e54");
    {
        let mut c = shared.write();
        let raw = eip1559(
            &c,
            2,
            0,
            TxKind::Call(fresh),
            U256::from(777u64),
            Bytes::new(),
            21_000,
        );
        send_and_mine(&mut c, &raw);
    }
    let server = l1_rpc::serve(Arc::clone(&shared), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let provider = ProviderBuilder::new().connect_http(server.url().parse().unwrap());

    let (head_root, genesis_root, slots, storage_root) = {
        let c = shared.read();
        let mut state = c.head_state().clone();
        let account = state.account(&SYSTEM_CONFIG).unwrap();
        let slots: Vec<(U256, U256)> = account.storage.iter().map(|(k, v)| (*k, *v)).collect();
        (
            c.head().header.state_root,
            c.genesis().header.state_root,
            slots,
            state.storage_root(&SYSTEM_CONFIG),
        )
    };
    assert!(slots.len() >= 2, "the system config should have storage");
    assert_ne!(storage_root, EMPTY_ROOT_HASH);

    // A contract with storage: every slot, plus one that is not set.
    let unset = B256::with_last_byte(0xee);
    assert!(!slots.iter().any(|(k, _)| B256::from(*k) == unset));
    let mut keys: Vec<B256> = slots.iter().map(|(k, _)| B256::from(*k)).collect();
    keys.push(unset);
    let p = provider
        .get_proof(SYSTEM_CONFIG, keys.clone())
        .await
        .unwrap();
    assert_eq!(p.storage_hash, storage_root);
    assert_eq!(p.storage_proof.len(), keys.len());
    for ((_, value), proof) in slots.iter().zip(&p.storage_proof) {
        assert_eq!(proof.value, *value);
        assert!(!proof.proof.is_empty());
    }
    assert_eq!(p.storage_proof.last().unwrap().value, U256::ZERO);
    verify(head_root, &p, true);
    // A tampered storage value does not verify.
    let first = &p.storage_proof[0];
    assert!(
        verify_proof(
            p.storage_hash,
            Nibbles::unpack(keccak256(first.key.as_b256())),
            Some(rlp(&(first.value + U256::from(1)))),
            &first.proof,
        )
        .is_err()
    );

    // An EOA (the sender: its nonce and balance changed in block 1), and its empty storage.
    let sender = key(2).address();
    let p = provider.get_proof(sender, vec![unset]).await.unwrap();
    assert_eq!(p.nonce, 1);
    assert_eq!(p.balance, shared.read().head_state().balance(&sender));
    assert_eq!(p.storage_hash, EMPTY_ROOT_HASH);
    assert_eq!(p.code_hash, alloy_primitives::KECCAK256_EMPTY);
    verify(head_root, &p, true);
    // A wrong balance does not verify against the same proof.
    let mut forged = p.clone();
    forged.balance += U256::from(1);
    let leaf = rlp(&TrieAccount {
        nonce: forged.nonce,
        balance: forged.balance,
        storage_root: forged.storage_hash,
        code_hash: forged.code_hash,
    });
    assert!(
        verify_proof(
            head_root,
            Nibbles::unpack(keccak256(sender)),
            Some(leaf),
            &p.account_proof
        )
        .is_err()
    );

    // At genesis the same account had nonce 0, proven against genesis' root.
    let old = provider
        .get_proof(sender, vec![])
        .block_id(BlockId::number(0))
        .await
        .unwrap();
    assert_eq!(old.nonce, 0);
    verify(genesis_root, &old, true);
    // The fresh account exists at the head, not at genesis.
    let now = provider.get_proof(fresh, vec![]).await.unwrap();
    assert_eq!(now.balance, U256::from(777u64));
    verify(head_root, &now, true);
    let before = provider
        .get_proof(fresh, vec![])
        .block_id(BlockId::number(0))
        .await
        .unwrap();
    verify(genesis_root, &before, false);

    // A missing account: zero fields, and an exclusion proof.
    let p = provider.get_proof(MISSING, vec![unset]).await.unwrap();
    assert_eq!((p.nonce, p.balance), (0, U256::ZERO));
    assert_eq!(p.storage_hash, EMPTY_ROOT_HASH);
    assert_eq!(p.storage_proof[0].value, U256::ZERO);
    assert!(!p.account_proof.is_empty());
    verify(head_root, &p, false);
    // ... which does not pass as an inclusion proof of an empty account.
    assert!(
        verify_proof(
            head_root,
            Nibbles::unpack(keccak256(MISSING)),
            Some(rlp(&TrieAccount::default())),
            &p.account_proof
        )
        .is_err()
    );
    server.stop().await;
}

#[test]
fn message_passer_storage_hash_is_the_withdrawals_root() {
    let genesis = build_genesis(&DevGenesisConfig {
        chain_id: 901,
        timestamp: 1_700_000_000,
        hardforks: keel_protocol::hardfork::HardforkTimes::all_through(
            keel_protocol::hardfork::Hardfork::Jovian,
        ),
        gas_limit: 30_000_000,
        base_fee: 1_000_000_000,
        eip1559_denominator: 250,
        eip1559_elasticity: 6,
        min_base_fee: 0,
        dev_balance: U256::from(10u128.pow(24)),
        fee_vault_recipient: keel_devchain::genesis::DEFAULT_FEE_VAULT_RECIPIENT,
        fee_vault_min_withdrawal: U256::from(1),
    })
    .unwrap();
    // The dev genesis' message passer is a proxy holding only its two ERC-1967 slots: its
    // storage hash is the (non-empty) root the Isthmus genesis header commits to, proven.
    assert!(genesis.state.account(&L2_TO_L1_MESSAGE_PASSER).is_some());
    let p = account_proof(&genesis.state, L2_TO_L1_MESSAGE_PASSER, &[U256::ZERO]).unwrap();
    assert_eq!(Some(p.storage_hash), genesis.header.withdrawals_root);
    assert_ne!(p.storage_hash, EMPTY_ROOT_HASH);
    verify(genesis.header.state_root, &p, true);

    // With sent messages (`sentMessages[hash] = true` in slot keccak(hash . 0)), the storage
    // hash is the passer's storage root, the value an Isthmus header's withdrawalsRoot holds.
    let mut state = genesis.state.clone();
    let slots: Vec<U256> = (1u8..=3)
        .map(|i| U256::from_be_bytes(keccak256([B256::repeat_byte(i).0, B256::ZERO.0].concat()).0))
        .collect();
    let storage = slots.iter().map(|s| (*s, U256::from(1))).collect();
    state.insert_account(
        L2_TO_L1_MESSAGE_PASSER,
        MemAccount::with_code(Bytes::from_static(&[0x60, 0x00]), storage),
    );
    let state_root = state.state_root();
    let withdrawals_root = state.storage_root(&L2_TO_L1_MESSAGE_PASSER);
    let mut keys = slots.clone();
    keys.push(U256::from(7));
    let p = account_proof(&state, L2_TO_L1_MESSAGE_PASSER, &keys).unwrap();
    assert_eq!(p.storage_hash, withdrawals_root);
    assert_ne!(withdrawals_root, EMPTY_ROOT_HASH);
    assert_eq!(p.code_hash, keccak256([0x60, 0x00]));
    let values: Vec<U256> = p.storage_proof.iter().map(|s| s.value).collect();
    assert_eq!(
        values,
        vec![U256::from(1), U256::from(1), U256::from(1), U256::ZERO]
    );
    verify(state_root, &p, true);
}
