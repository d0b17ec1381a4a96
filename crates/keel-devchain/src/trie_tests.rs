//! The incremental trie against alloy-trie's from-scratch root, over random sequences of
//! inserts, updates and deletes on keys that share long prefixes (so deletes collapse
//! branches into extensions and leaves), with roots taken midway (so cached hashes must be
//! forgotten exactly where a later write passes) and clones that diverge (so a write to one
//! must not show in the other).

use std::collections::BTreeMap;

use alloy_primitives::{B256, U256};
use alloy_trie::{EMPTY_ROOT_HASH, root::storage_root_unsorted};
use proptest::prelude::*;

use super::Trie;

#[derive(Debug, Clone)]
enum Op {
    Insert(usize, u64),
    Remove(usize),
    Root,
    Fork,
}

/// Keys where each may share its first `shared` nibbles with an earlier one.
fn keys() -> impl Strategy<Value = Vec<B256>> {
    prop::collection::vec(
        (any::<[u8; 32]>(), any::<prop::sample::Index>(), 0usize..64),
        1..48,
    )
    .prop_map(|specs| {
        let mut keys: Vec<B256> = Vec::new();
        for (random, base, shared) in specs {
            let mut key = random;
            if !keys.is_empty() {
                let base = keys[base.index(keys.len())];
                for n in 0..shared {
                    let (byte, high) = (n / 2, n % 2 == 0);
                    let mask = if high { 0xf0 } else { 0x0f };
                    key[byte] = (key[byte] & !mask) | (base[byte] & mask);
                }
            }
            keys.push(B256::from(key));
        }
        keys
    })
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            6 => (0usize..64, 1u64..1_000_000).prop_map(|(k, v)| Op::Insert(k, v)),
            4 => (0usize..64).prop_map(Op::Remove),
            1 => Just(Op::Root),
            1 => Just(Op::Fork),
        ],
        1..300,
    )
}

fn expected(model: &BTreeMap<B256, U256>) -> B256 {
    storage_root_unsorted(model.iter().map(|(k, v)| (*k, *v)))
}

fn check(trie: &Trie<U256>, model: &BTreeMap<B256, U256>) -> Result<(), TestCaseError> {
    prop_assert_eq!(trie.root(), expected(model));
    prop_assert_eq!(trie.len(), model.len());
    let values: Vec<U256> = trie.values().copied().collect();
    let model_values: Vec<U256> = model.values().copied().collect();
    prop_assert_eq!(values, model_values);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn incremental_root_equals_full_rebuild(keys in keys(), ops in ops()) {
        let mut trie = Trie::new();
        let mut model = BTreeMap::new();
        let mut forks: Vec<(Trie<U256>, BTreeMap<B256, U256>, B256)> = Vec::new();
        for op in ops {
            match op {
                Op::Insert(k, v) => {
                    let key = keys[k % keys.len()];
                    let old = trie.insert(key, U256::from(v));
                    prop_assert_eq!(old, model.insert(key, U256::from(v)));
                }
                Op::Remove(k) => {
                    let key = keys[k % keys.len()];
                    prop_assert_eq!(trie.remove(&key), model.remove(&key));
                }
                Op::Root => check(&trie, &model)?,
                Op::Fork => {
                    let root = trie.root();
                    forks.push((trie.clone(), model.clone(), root));
                }
            }
            for key in &keys {
                prop_assert_eq!(trie.get(key), model.get(key));
            }
        }
        check(&trie, &model)?;
        for (fork, fork_model, root) in &forks {
            prop_assert_eq!(fork.root(), *root);
            check(fork, fork_model)?;
        }
    }

    #[test]
    fn get_mut_writes_rehash_only_through_the_copy(
        keys in keys(),
        values in prop::collection::vec(1u64..1_000, 48),
        writes in prop::collection::vec((0usize..48, 1u64..1_000), 1..40),
    ) {
        let mut trie = Trie::new();
        let mut model = BTreeMap::new();
        for (key, v) in keys.iter().zip(&values) {
            trie.insert(*key, U256::from(*v));
            model.insert(*key, U256::from(*v));
        }
        let parent = trie.clone();
        let parent_root = parent.root();
        for (k, v) in writes {
            let key = keys[k % keys.len()];
            *trie.get_mut(&key).unwrap() = U256::from(v);
            model.insert(key, U256::from(v));
        }
        check(&trie, &model)?;
        prop_assert_eq!(parent.root(), parent_root);
    }
}

#[test]
fn empty_and_emptied_tries_have_the_empty_root() {
    let mut trie = Trie::new();
    assert_eq!(trie.root(), EMPTY_ROOT_HASH);
    let key = B256::repeat_byte(7);
    trie.insert(key, U256::from(1));
    assert_ne!(trie.root(), EMPTY_ROOT_HASH);
    assert_eq!(trie.remove(&key), Some(U256::from(1)));
    assert_eq!(trie.root(), EMPTY_ROOT_HASH);
    assert_eq!(trie.len(), 0);
}

/// Two keys differing only in the last nibble: one extension of 63 nibbles over a branch;
/// removing one collapses it back into a single 64-nibble leaf.
#[test]
fn deep_shared_prefix_collapses_to_a_leaf() {
    let a = B256::repeat_byte(0x11);
    let mut b = a;
    b.0[31] = 0x12;
    let mut trie = Trie::new();
    trie.insert(a, U256::from(5));
    let single = trie.root();
    trie.insert(b, U256::from(6));
    let pair: BTreeMap<B256, U256> = [(a, U256::from(5)), (b, U256::from(6))].into();
    assert_eq!(trie.root(), expected(&pair));
    trie.remove(&b);
    assert_eq!(trie.root(), single);
}
