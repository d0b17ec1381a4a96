//! The in-memory world state: accounts, storage and code, with the Merkle-Patricia roots
//! kept incrementally, and revm's `Database` / `DatabaseCommit` over it.
//!
//! Design: the accounts live in a persistent account trie keyed by `keccak(address)`, and
//! each account's storage in a persistent storage trie keyed by `keccak(slot)` ([`crate::trie`]).
//! A block's post-state starts as a clone of its parent's, which shares every trie node
//! (a reference count, not a copy of 100,000 accounts); committing the block's changes
//! copies only the nodes on the changed paths, and the state root rehashes only those. The
//! roots are exactly alloy-trie's (`state_root`, `storage_root_unhashed`) over the same
//! accounts; the property tests in `tests/state_root_props.rs` check it.

use std::{collections::BTreeMap, convert::Infallible, sync::Arc};

use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, U256, keccak256};
use alloy_rlp::Encodable;
use alloy_trie::{EMPTY_ROOT_HASH, TrieAccount, root::storage_root_unhashed};
use revm::{
    Database, DatabaseCommit,
    bytecode::Bytecode,
    primitives::{AddressMap, StorageKey, StorageValue},
    state::{Account, AccountInfo},
};

use crate::trie::{Trie, TrieValue};

/// Number of recent block hashes the `BLOCKHASH` opcode can see (EIP-210 window).
pub const BLOCK_HASH_WINDOW: u64 = 256;

/// One account of the in-memory state.
#[derive(Debug, Clone)]
pub struct MemAccount {
    /// Nonce.
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// Runtime code (empty for externally owned accounts).
    pub code: Bytes,
    /// `keccak256(code)`.
    pub code_hash: B256,
    /// Non-zero storage slots.
    pub storage: BTreeMap<U256, U256>,
    /// The storage trie over `storage`, keyed by `keccak(slot)`.
    storage_trie: Trie<U256>,
    /// Whether `storage_trie` holds exactly `storage`: false for an account built or changed
    /// outside [`MemState`] (the public `storage` field), until it is rebuilt.
    trie_synced: bool,
}

impl PartialEq for MemAccount {
    fn eq(&self, other: &Self) -> bool {
        self.nonce == other.nonce
            && self.balance == other.balance
            && self.code == other.code
            && self.code_hash == other.code_hash
            && self.storage == other.storage
    }
}

impl Eq for MemAccount {}

impl Default for MemAccount {
    fn default() -> Self {
        Self {
            nonce: 0,
            balance: U256::ZERO,
            code: Bytes::new(),
            code_hash: KECCAK256_EMPTY,
            storage: BTreeMap::new(),
            storage_trie: Trie::new(),
            trie_synced: true,
        }
    }
}

impl MemAccount {
    /// An externally owned account holding `balance`.
    pub fn with_balance(balance: U256) -> Self {
        Self {
            balance,
            ..Self::default()
        }
    }

    /// A contract account with `code` and `storage`.
    pub fn with_code(code: Bytes, storage: BTreeMap<U256, U256>) -> Self {
        Self {
            code_hash: keccak256(&code),
            code,
            storage,
            trie_synced: false,
            ..Self::default()
        }
    }

    /// The storage-trie root (the trie is rebuilt first if the account was built or
    /// changed outside [`MemState`]).
    pub fn storage_root(&mut self) -> B256 {
        if !self.trie_synced {
            self.rebuild_storage_trie();
        }
        self.storage_trie.root()
    }

    /// The storage root through a shared reference (computed from `storage` from scratch
    /// if the trie is not in step with it).
    pub fn storage_root_uncached(&self) -> B256 {
        if self.trie_synced {
            self.storage_trie.root()
        } else {
            compute_storage_root(&self.storage)
        }
    }

    fn rebuild_storage_trie(&mut self) {
        self.storage.retain(|_, v| !v.is_zero());
        let mut trie = Trie::new();
        for (slot, value) in &self.storage {
            trie.insert(slot_key(*slot), *value);
        }
        self.storage_trie = trie;
        self.trie_synced = true;
    }

    /// Sets slot `slot` to `value` in the map and the trie (zero deletes).
    fn set_slot(&mut self, slot: U256, value: U256) {
        let key = slot_key(slot);
        if value.is_zero() {
            self.storage.remove(&slot);
            self.storage_trie.remove(&key);
        } else {
            self.storage.insert(slot, value);
            self.storage_trie.insert(key, value);
        }
    }

    fn info(&self) -> AccountInfo {
        AccountInfo::new(
            self.balance,
            self.nonce,
            self.code_hash,
            Bytecode::new_raw(self.code.clone()),
        )
    }
}

/// The storage trie's key for `slot`.
fn slot_key(slot: U256) -> B256 {
    keccak256(B256::from(slot))
}

impl TrieValue for U256 {
    fn encode_value(&self, out: &mut Vec<u8>) {
        self.encode(out);
    }
}

fn compute_storage_root(storage: &BTreeMap<U256, U256>) -> B256 {
    storage_root_unhashed(
        storage
            .iter()
            .filter(|(_, v)| !v.is_zero())
            .map(|(k, v)| (B256::from(*k), *v)),
    )
}

/// An account-trie leaf: the account and the address its key hashes.
#[derive(Debug, Clone)]
struct AccountLeaf {
    address: Address,
    account: MemAccount,
}

impl TrieValue for AccountLeaf {
    fn encode_value(&self, out: &mut Vec<u8>) {
        let a = &self.account;
        TrieAccount {
            nonce: a.nonce,
            balance: a.balance,
            storage_root: a.storage_root_uncached(),
            code_hash: a.code_hash,
        }
        .encode(out);
    }
}

/// The world state plus the recent block hashes `BLOCKHASH` reads. Cloning is cheap: the
/// clones share the tries' nodes until one of them writes.
#[derive(Debug, Clone, Default)]
pub struct MemState {
    /// The account trie, keyed by `keccak(address)`.
    accounts: Trie<AccountLeaf>,
    /// Code by hash, shared between snapshots.
    codes: Arc<BTreeMap<B256, Bytes>>,
    /// Hashes of recent blocks by number (at most [`BLOCK_HASH_WINDOW`]).
    block_hashes: Arc<BTreeMap<u64, B256>>,
}

impl MemState {
    /// An empty state.
    pub fn new() -> Self {
        Self::default()
    }

    /// The account at `address`, if it exists.
    pub fn account(&self, address: &Address) -> Option<&MemAccount> {
        self.accounts
            .get(&keccak256(address))
            .map(|leaf| &leaf.account)
    }

    /// All accounts, in the account trie's order (by `keccak(address)`).
    pub fn accounts(&self) -> impl Iterator<Item = (&Address, &MemAccount)> {
        self.accounts
            .values()
            .map(|leaf| (&leaf.address, &leaf.account))
    }

    /// Number of accounts.
    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }

    /// Balance of `address` (zero when absent).
    pub fn balance(&self, address: &Address) -> U256 {
        self.account(address).map(|a| a.balance).unwrap_or_default()
    }

    /// Nonce of `address` (zero when absent).
    pub fn nonce(&self, address: &Address) -> u64 {
        self.account(address).map(|a| a.nonce).unwrap_or(0)
    }

    /// Code of `address` (empty when absent).
    pub fn code(&self, address: &Address) -> Bytes {
        self.account(address)
            .map(|a| a.code.clone())
            .unwrap_or_default()
    }

    /// Storage slot `slot` of `address` (zero when unset).
    pub fn storage(&self, address: &Address, slot: U256) -> U256 {
        self.account(address)
            .and_then(|a| a.storage.get(&slot).copied())
            .unwrap_or_default()
    }

    /// Inserts or replaces an account.
    pub fn insert_account(&mut self, address: Address, mut account: MemAccount) {
        if !account.code.is_empty() {
            account.code_hash = keccak256(&account.code);
            self.add_code(account.code_hash, account.code.clone());
        }
        account.rebuild_storage_trie();
        self.accounts
            .insert(keccak256(address), AccountLeaf { address, account });
    }

    /// Removes an account.
    pub fn remove_account(&mut self, address: &Address) -> Option<MemAccount> {
        self.accounts
            .remove(&keccak256(address))
            .map(|leaf| leaf.account)
    }

    fn add_code(&mut self, hash: B256, code: Bytes) {
        if !self.codes.contains_key(&hash) {
            Arc::make_mut(&mut self.codes).insert(hash, code);
        }
    }

    /// Records `hash` as block `number`'s, forgetting hashes older than the `BLOCKHASH`
    /// window.
    pub fn push_block_hash(&mut self, number: u64, hash: B256) {
        let hashes = Arc::make_mut(&mut self.block_hashes);
        hashes.insert(number, hash);
        let floor = number.saturating_sub(BLOCK_HASH_WINDOW);
        hashes.retain(|n, _| *n >= floor);
    }

    /// The state root: the account trie over `keccak(address)` of each account's
    /// `(nonce, balance, storageRoot, codeHash)`. Only the paths changed since the last
    /// root (of this state or of the parent it was cloned from) are rehashed.
    ///
    /// Spec: Ethereum yellow paper, appendix D; every OP execution client uses the same trie.
    pub fn state_root(&mut self) -> B256 {
        self.accounts.root()
    }

    /// The storage root of `address` (the empty root when absent).
    pub fn storage_root(&mut self, address: &Address) -> B256 {
        self.account(address)
            .map_or(EMPTY_ROOT_HASH, MemAccount::storage_root_uncached)
    }
}

impl Database for MemState {
    type Error = Infallible;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.account(&address).map(MemAccount::info))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        Ok(self
            .codes
            .get(&code_hash)
            .map(|c| Bytecode::new_raw(c.clone()))
            .unwrap_or_default())
    }

    fn storage(
        &mut self,
        address: Address,
        index: StorageKey,
    ) -> Result<StorageValue, Self::Error> {
        Ok(MemState::storage(self, &address, index))
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, Self::Error> {
        Ok(self.block_hashes.get(&number).copied().unwrap_or_default())
    }
}

impl DatabaseCommit for MemState {
    /// Applies an EVM change set with Ethereum's post-Spurious-Dragon rules: a self-destructed
    /// account is removed, a newly created one starts with empty storage, and a touched
    /// account left empty (EIP-161) is removed.
    fn commit(&mut self, changes: AddressMap<Account>) {
        for (address, account) in changes {
            if !account.is_touched() {
                continue;
            }
            let key = keccak256(address);
            if account.is_selfdestructed() {
                self.accounts.remove(&key);
                continue;
            }
            let created = account.is_created();
            let info = &account.info;
            if info.is_empty() && account.storage.values().all(|s| s.present_value.is_zero()) {
                self.accounts.remove(&key);
                continue;
            }
            if self.accounts.get(&key).is_none() {
                self.accounts.insert(
                    key,
                    AccountLeaf {
                        address,
                        account: MemAccount::default(),
                    },
                );
            }
            let Some(leaf) = self.accounts.get_mut(&key) else {
                continue;
            };
            let entry = &mut leaf.account;
            if created {
                entry.storage.clear();
                entry.storage_trie = Trie::new();
                entry.trie_synced = true;
            }
            entry.nonce = info.nonce;
            entry.balance = info.balance;
            let mut code_added = None;
            if entry.code_hash != info.code_hash {
                let code = info
                    .code
                    .as_ref()
                    .map(|c| c.original_bytes())
                    .or_else(|| self.codes.get(&info.code_hash).cloned())
                    .unwrap_or_default();
                entry.code_hash = info.code_hash;
                entry.code = code.clone();
                if !code.is_empty() {
                    code_added = Some((info.code_hash, code));
                }
            }
            for (slot, value) in &account.storage {
                if value.is_changed() || created {
                    entry.set_slot(*slot, value.present_value);
                }
            }
            if let Some((hash, code)) = code_added {
                self.add_code(hash, code);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_state_has_empty_root() {
        assert_eq!(MemState::new().state_root(), EMPTY_ROOT_HASH);
    }

    #[test]
    fn storage_root_cache_follows_changes() {
        let mut state = MemState::new();
        let a = Address::repeat_byte(1);
        let mut storage = BTreeMap::new();
        storage.insert(U256::from(1), U256::from(2));
        state.insert_account(a, MemAccount::with_code(Bytes::from_static(&[0]), storage));
        let r1 = state.storage_root(&a);
        assert_ne!(r1, EMPTY_ROOT_HASH);
        let mut acc = state.account(&a).cloned().unwrap();
        acc.storage.insert(U256::from(1), U256::ZERO);
        state.insert_account(a, acc);
        assert_eq!(state.storage_root(&a), EMPTY_ROOT_HASH);
    }
}
