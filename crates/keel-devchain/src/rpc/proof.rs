//! `eth_getProof`: an account's Merkle proof in the state trie and its storage slots' proofs
//! in its storage trie, over a block's post-state.
//!
//! The in-memory state keeps no trie, so each proof rebuilds the trie it needs with
//! alloy-trie's `HashBuilder` from the sorted hashed leaves, retaining the nodes on the
//! paths to the requested keys. The roots built this way are the ones the block headers
//! commit to (the same leaves as [`MemState::state_root`]), which the proofs then verify
//! against.
//!
//! Spec: EIP-1186 (`eth_getProof`); op-node's `optimism_outputAtBlock` reads the
//! `L2ToL1MessagePasser`'s `storageHash` from it (protocol/proposals.md, the output root's
//! `message_passer_storage_root`).

use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, U256, keccak256};
use alloy_rlp::Encodable;
use alloy_rpc_types_eth::{EIP1186AccountProofResponse, EIP1186StorageProof};
use alloy_trie::{EMPTY_ROOT_HASH, HashBuilder, Nibbles, TrieAccount, proof::ProofRetainer};

use super::EthError;
use crate::state::{MemAccount, MemState};

/// Most storage keys one `eth_getProof` call may ask for: a bound on the response and on
/// the work of one request (each key adds a proof of up to a few kilobytes).
pub const MAX_PROOF_KEYS: usize = 1024;

/// The EIP-1186 proof of `address` and of its storage slots `keys` in `state`. Each key is
/// answered as its 32-byte form (what clients send; geth echoes the request's spelling).
///
/// An absent account is proven absent (its proof ends where its path leaves the trie) and
/// reported as geth does: zero balance and nonce, the empty code hash and storage root.
/// An unset slot is proven absent and reported as zero.
pub fn account_proof(
    state: &MemState,
    address: Address,
    keys: &[U256],
) -> Result<EIP1186AccountProofResponse, EthError> {
    if keys.len() > MAX_PROOF_KEYS {
        return Err(EthError::InvalidParams(format!(
            "too many storage keys: {}, limit {MAX_PROOF_KEYS}",
            keys.len()
        )));
    }
    let account = state.account(&address);
    let account_leaves = state.accounts().map(|(a, acc)| {
        let mut value = Vec::new();
        trie_account(acc).encode(&mut value);
        (keccak256(a), value)
    });
    let (_, account_proof) = prove(account_leaves, &[keccak256(address)]);
    let account_proof = account_proof.into_iter().next().unwrap_or_default();

    let storage = account.map(|a| &a.storage);
    let storage_leaves = storage
        .into_iter()
        .flatten()
        .filter(|(_, v)| !v.is_zero())
        .map(|(slot, value)| {
            let mut encoded = Vec::new();
            value.encode(&mut encoded);
            (keccak256(B256::from(*slot)), encoded)
        });
    let hashed_keys: Vec<B256> = keys.iter().map(|k| keccak256(B256::from(*k))).collect();
    let (storage_root, storage_proofs) = prove(storage_leaves, &hashed_keys);
    let storage_proof = keys
        .iter()
        .zip(storage_proofs)
        .map(|(key, proof)| EIP1186StorageProof {
            key: B256::from(*key).into(),
            value: storage
                .and_then(|s| s.get(key))
                .copied()
                .unwrap_or_default(),
            proof,
        })
        .collect();

    Ok(EIP1186AccountProofResponse {
        address,
        balance: account.map(|a| a.balance).unwrap_or_default(),
        code_hash: account.map_or(KECCAK256_EMPTY, |a| a.code_hash),
        nonce: account.map(|a| a.nonce).unwrap_or_default(),
        storage_hash: if account.is_some() {
            storage_root
        } else {
            EMPTY_ROOT_HASH
        },
        account_proof,
        storage_proof,
    })
}

/// The account's leaf in the state trie.
fn trie_account(account: &MemAccount) -> TrieAccount {
    TrieAccount {
        nonce: account.nonce,
        balance: account.balance,
        storage_root: account.storage_root_uncached(),
        code_hash: account.code_hash,
    }
}

/// Builds the trie over `leaves` (hashed key, RLP value; any order) and answers its root and,
/// for each of `targets`, the nodes on the path from the root towards it, root first.
fn prove(
    leaves: impl Iterator<Item = (B256, Vec<u8>)>,
    targets: &[B256],
) -> (B256, Vec<Vec<Bytes>>) {
    let mut leaves: Vec<(B256, Vec<u8>)> = leaves.collect();
    leaves.sort_unstable_by_key(|(k, _)| *k);
    let paths: Vec<Nibbles> = targets.iter().map(Nibbles::unpack).collect();
    let mut builder = HashBuilder::default().with_proof_retainer(ProofRetainer::new(paths.clone()));
    for (key, value) in &leaves {
        builder.add_leaf(Nibbles::unpack(key), value);
    }
    let root = builder.root();
    let nodes = builder.take_proof_nodes();
    let proofs = paths
        .iter()
        .map(|path| {
            nodes
                .matching_nodes_sorted(path)
                .into_iter()
                .map(|(_, node)| node)
                .collect()
        })
        .collect();
    (root, proofs)
}
