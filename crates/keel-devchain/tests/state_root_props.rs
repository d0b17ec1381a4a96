#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! `MemState`'s incremental state root against alloy-trie's from-scratch roots over an
//! independent model of the accounts, through random sequences of account inserts and
//! removals and of EVM commits (balance / nonce / code changes, storage writes and
//! deletions, self-destructs, re-creations, EIP-161 removals), with roots taken midway and
//! post-states cloned and diverged as the chain does per block.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, U256, keccak256};
use alloy_trie::{
    EMPTY_ROOT_HASH, TrieAccount,
    root::{state_root_unhashed, storage_root_unhashed},
};
use keel_devchain::state::{MemAccount, MemState};
use proptest::prelude::*;
use revm::{
    DatabaseCommit,
    bytecode::Bytecode,
    primitives::AddressMap,
    state::{Account, AccountInfo, EvmStorageSlot},
};

const ADDRESSES: usize = 24;
const SLOTS: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Model {
    nonce: u64,
    balance: U256,
    code: Bytes,
    storage: BTreeMap<U256, U256>,
}

#[derive(Debug, Clone)]
enum Change {
    /// New balance / nonce / code, and slot writes (zero deletes).
    Update {
        balance: u64,
        nonce: u64,
        code: Option<u8>,
        writes: Vec<(usize, u64)>,
    },
    /// Destroyed.
    SelfDestruct,
    /// Created afresh: storage starts empty, then the writes.
    Create {
        balance: u64,
        writes: Vec<(usize, u64)>,
    },
    /// Touched and left empty (EIP-161 removal), storage unchanged.
    EmptyTouch,
}

#[derive(Debug, Clone)]
enum Op {
    Insert {
        address: usize,
        balance: u64,
        slots: Vec<(usize, u64)>,
    },
    Remove(usize),
    Commit(Vec<(usize, Change)>),
    Root,
    Fork,
}

fn address(i: usize) -> Address {
    Address::with_last_byte(u8::try_from(i).unwrap())
}

fn slot(i: usize) -> U256 {
    U256::from(i) << (8 * (i % 3))
}

fn code(b: u8) -> Bytes {
    Bytes::from(vec![0x60, b, 0x60, 0x00, 0x55, 0x00])
}

fn writes() -> impl Strategy<Value = Vec<(usize, u64)>> {
    prop::collection::vec(
        (0..SLOTS, prop_oneof![2 => Just(0u64), 5 => 1u64..1_000]),
        0..6,
    )
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        6 => (0u64..1_000, 0u64..5, prop::option::weighted(0.2, any::<u8>()), writes())
            .prop_map(|(balance, nonce, code, writes)| Change::Update { balance, nonce, code, writes }),
        1 => Just(Change::SelfDestruct),
        1 => (0u64..1_000, writes()).prop_map(|(balance, writes)| Change::Create { balance, writes }),
        1 => Just(Change::EmptyTouch),
    ]
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            3 => (0..ADDRESSES, 0u64..1_000, prop::collection::vec((0..SLOTS, 1u64..1_000), 0..8))
                .prop_map(|(address, balance, slots)| Op::Insert { address, balance, slots }),
            1 => (0..ADDRESSES).prop_map(Op::Remove),
            5 => prop::collection::btree_map(0..ADDRESSES, change(), 1..6)
                .prop_map(|m| Op::Commit(m.into_iter().collect())),
            1 => Just(Op::Root),
            1 => Just(Op::Fork),
        ],
        1..60,
    )
}

fn expected_root(model: &BTreeMap<Address, Model>) -> B256 {
    state_root_unhashed(model.iter().map(|(a, m)| {
        (
            *a,
            TrieAccount {
                nonce: m.nonce,
                balance: m.balance,
                storage_root: storage_root_unhashed(
                    m.storage.iter().map(|(k, v)| (B256::from(*k), *v)),
                ),
                code_hash: if m.code.is_empty() {
                    KECCAK256_EMPTY
                } else {
                    keccak256(&m.code)
                },
            },
        )
    }))
}

fn check(state: &MemState, model: &BTreeMap<Address, Model>) -> Result<(), TestCaseError> {
    prop_assert_eq!(state.clone().state_root(), expected_root(model));
    let seen: BTreeMap<Address, Model> = state
        .accounts()
        .map(|(a, acc)| {
            (
                *a,
                Model {
                    nonce: acc.nonce,
                    balance: acc.balance,
                    code: acc.code.clone(),
                    storage: acc.storage.clone(),
                },
            )
        })
        .collect();
    prop_assert_eq!(&seen, model);
    for (a, m) in model {
        let root = storage_root_unhashed(m.storage.iter().map(|(k, v)| (B256::from(*k), *v)));
        prop_assert_eq!(state.clone().storage_root(a), root);
    }
    Ok(())
}

/// Builds the EVM change set for `changes` against the current model, and applies the same
/// rules to the model.
fn commit(state: &mut MemState, model: &mut BTreeMap<Address, Model>, changes: &[(usize, Change)]) {
    let mut set = AddressMap::<Account>::default();
    for (i, change) in changes {
        let a = address(*i);
        let before = model.get(&a).cloned().unwrap_or_default();
        let slot_changes = |writes: &[(usize, u64)], base: &BTreeMap<U256, U256>| {
            let mut slots = BTreeMap::new();
            for (s, v) in writes {
                let original = base.get(&slot(*s)).copied().unwrap_or_default();
                slots.insert(slot(*s), (original, U256::from(*v)));
            }
            slots
        };
        let info = |balance: u64, nonce: u64, code: &Bytes| {
            if code.is_empty() {
                AccountInfo {
                    balance: U256::from(balance),
                    nonce,
                    code_hash: KECCAK256_EMPTY,
                    code: None,
                    ..Default::default()
                }
            } else {
                AccountInfo::new(
                    U256::from(balance),
                    nonce,
                    keccak256(code),
                    Bytecode::new_raw(code.clone()),
                )
            }
        };
        let mut account = match change {
            Change::Update {
                balance,
                nonce,
                code: new_code,
                writes,
            } => {
                let code = new_code.map_or(before.code.clone(), code);
                let slots = slot_changes(writes, &before.storage);
                let mut after = Model {
                    nonce: *nonce,
                    balance: U256::from(*balance),
                    code: code.clone(),
                    storage: before.storage.clone(),
                };
                for (k, (_, v)) in &slots {
                    if v.is_zero() {
                        after.storage.remove(k);
                    } else {
                        after.storage.insert(*k, *v);
                    }
                }
                let empty = *balance == 0 && *nonce == 0 && code.is_empty();
                if empty && slots.values().all(|(_, v)| v.is_zero()) {
                    model.remove(&a);
                } else {
                    model.insert(a, after);
                }
                Account::default()
                    .with_info(info(*balance, *nonce, &code))
                    .with_storage(
                        slots
                            .into_iter()
                            .map(|(k, (o, p))| (k, EvmStorageSlot::new_changed(o, p, 0))),
                    )
            }
            Change::SelfDestruct => {
                model.remove(&a);
                Account::default()
                    .with_info(info(0, 0, &Bytes::new()))
                    .with_selfdestruct_mark()
            }
            Change::Create { balance, writes } => {
                let slots = slot_changes(writes, &BTreeMap::new());
                let storage: BTreeMap<U256, U256> = slots
                    .iter()
                    .filter(|(_, (_, v))| !v.is_zero())
                    .map(|(k, (_, v))| (*k, *v))
                    .collect();
                // A created account has nonce 1 (EIP-161), so it is never left empty.
                let nonce = 1;
                model.insert(
                    a,
                    Model {
                        nonce,
                        balance: U256::from(*balance),
                        code: Bytes::new(),
                        storage,
                    },
                );
                Account::default()
                    .with_info(info(*balance, nonce, &Bytes::new()))
                    .with_storage(
                        slots
                            .into_iter()
                            .map(|(k, (_, p))| (k, EvmStorageSlot::new_changed(U256::ZERO, p, 0))),
                    )
                    .with_created_mark()
            }
            Change::EmptyTouch => {
                model.remove(&a);
                Account::default().with_info(info(0, 0, &Bytes::new()))
            }
        };
        account.mark_touch();
        set.insert(a, account);
    }
    state.commit(set);
}

fn apply(state: &mut MemState, model: &mut BTreeMap<Address, Model>, op: &Op) {
    match op {
        Op::Insert {
            address: i,
            balance,
            slots,
        } => {
            let storage: BTreeMap<U256, U256> = slots
                .iter()
                .map(|(s, v)| (slot(*s), U256::from(*v)))
                .collect();
            let a = address(*i);
            let acc = if storage.is_empty() {
                MemAccount::with_balance(U256::from(*balance))
            } else {
                let mut acc = MemAccount::with_code(code(*i as u8), storage.clone());
                acc.balance = U256::from(*balance);
                acc
            };
            model.insert(
                a,
                Model {
                    nonce: 0,
                    balance: U256::from(*balance),
                    code: acc.code.clone(),
                    storage,
                },
            );
            state.insert_account(a, acc);
        }
        Op::Remove(i) => {
            let a = address(*i);
            let removed = state.remove_account(&a).is_some();
            assert_eq!(removed, model.remove(&a).is_some());
        }
        Op::Commit(changes) => commit(state, model, changes),
        Op::Root | Op::Fork => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn incremental_state_root_equals_full_recomputation(ops in ops()) {
        let mut state = MemState::new();
        let mut model = BTreeMap::new();
        let mut forks = Vec::new();
        for op in &ops {
            apply(&mut state, &mut model, op);
            match op {
                Op::Root => {
                    prop_assert_eq!(state.state_root(), expected_root(&model));
                }
                Op::Fork => {
                    let root = state.state_root();
                    forks.push((state.clone(), model.clone(), root));
                }
                _ => {}
            }
        }
        check(&state, &model)?;
        for (fork, fork_model, root) in &forks {
            let mut fork = fork.clone();
            prop_assert_eq!(fork.state_root(), *root);
            check(&fork, fork_model)?;
        }
    }
}

#[test]
fn empty_state_and_emptied_state_have_the_empty_root() {
    let mut state = MemState::new();
    assert_eq!(state.state_root(), EMPTY_ROOT_HASH);
    let a = address(1);
    state.insert_account(a, MemAccount::with_balance(U256::from(5)));
    assert_ne!(state.state_root(), EMPTY_ROOT_HASH);
    state.remove_account(&a);
    assert_eq!(state.state_root(), EMPTY_ROOT_HASH);
}
