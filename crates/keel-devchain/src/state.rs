//! The in-memory world state: accounts, storage and code, with the Merkle-Patricia roots
//! computed by `alloy-trie`, and revm's `Database` / `DatabaseCommit` over it.
//!
//! The whole state lives in ordered maps; a block's post-state is a clone of its parent's
//! with the block's changes committed. Storage roots are cached per account and recomputed
//! only for accounts a commit touched, so a block costs one storage-trie build per changed
//! contract plus one account-trie build.

use std::{collections::BTreeMap, convert::Infallible, sync::Arc};

use alloy_primitives::{Address, B256, Bytes, KECCAK256_EMPTY, U256, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, TrieAccount, root::storage_root_unhashed};
use revm::{
    Database, DatabaseCommit,
    bytecode::Bytecode,
    primitives::{AddressMap, StorageKey, StorageValue},
    state::{Account, AccountInfo},
};

/// Number of recent block hashes the `BLOCKHASH` opcode can see (EIP-210 window).
pub const BLOCK_HASH_WINDOW: u64 = 256;

/// One account of the in-memory state.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Cached storage root; `None` when the storage changed since it was last computed.
    storage_root: Option<B256>,
}

impl Default for MemAccount {
    fn default() -> Self {
        Self {
            nonce: 0,
            balance: U256::ZERO,
            code: Bytes::new(),
            code_hash: KECCAK256_EMPTY,
            storage: BTreeMap::new(),
            storage_root: Some(EMPTY_ROOT_HASH),
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
            storage_root: None,
            ..Self::default()
        }
    }

    /// The storage-trie root (computed on demand, then cached).
    pub fn storage_root(&mut self) -> B256 {
        if let Some(root) = self.storage_root {
            return root;
        }
        let root = compute_storage_root(&self.storage);
        self.storage_root = Some(root);
        root
    }

    /// The storage root without caching (for a shared reference).
    pub fn storage_root_uncached(&self) -> B256 {
        self.storage_root
            .unwrap_or_else(|| compute_storage_root(&self.storage))
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

fn compute_storage_root(storage: &BTreeMap<U256, U256>) -> B256 {
    storage_root_unhashed(
        storage
            .iter()
            .filter(|(_, v)| !v.is_zero())
            .map(|(k, v)| (B256::from(*k), *v)),
    )
}

/// The world state plus the recent block hashes `BLOCKHASH` reads.
#[derive(Debug, Clone, Default)]
pub struct MemState {
    accounts: BTreeMap<Address, MemAccount>,
    /// Code by hash, shared between snapshots.
    codes: BTreeMap<B256, Bytes>,
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
        self.accounts.get(address)
    }

    /// All accounts, by address.
    pub fn accounts(&self) -> impl Iterator<Item = (&Address, &MemAccount)> {
        self.accounts.iter()
    }

    /// Balance of `address` (zero when absent).
    pub fn balance(&self, address: &Address) -> U256 {
        self.accounts
            .get(address)
            .map(|a| a.balance)
            .unwrap_or_default()
    }

    /// Nonce of `address` (zero when absent).
    pub fn nonce(&self, address: &Address) -> u64 {
        self.accounts.get(address).map(|a| a.nonce).unwrap_or(0)
    }

    /// Code of `address` (empty when absent).
    pub fn code(&self, address: &Address) -> Bytes {
        self.accounts
            .get(address)
            .map(|a| a.code.clone())
            .unwrap_or_default()
    }

    /// Storage slot `slot` of `address` (zero when unset).
    pub fn storage(&self, address: &Address, slot: U256) -> U256 {
        self.accounts
            .get(address)
            .and_then(|a| a.storage.get(&slot).copied())
            .unwrap_or_default()
    }

    /// Inserts or replaces an account.
    pub fn insert_account(&mut self, address: Address, mut account: MemAccount) {
        if !account.code.is_empty() {
            account.code_hash = keccak256(&account.code);
            self.codes.insert(account.code_hash, account.code.clone());
        }
        account.storage.retain(|_, v| !v.is_zero());
        account.storage_root = None;
        self.accounts.insert(address, account);
    }

    /// Removes an account.
    pub fn remove_account(&mut self, address: &Address) -> Option<MemAccount> {
        self.accounts.remove(address)
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
    /// `(nonce, balance, storageRoot, codeHash)`.
    ///
    /// Spec: Ethereum yellow paper, appendix D; every OP execution client uses the same trie.
    pub fn state_root(&mut self) -> B256 {
        let mut leaves: Vec<(B256, TrieAccount)> = self
            .accounts
            .iter_mut()
            .map(|(address, account)| {
                (
                    keccak256(address),
                    TrieAccount {
                        nonce: account.nonce,
                        balance: account.balance,
                        storage_root: account.storage_root(),
                        code_hash: account.code_hash,
                    },
                )
            })
            .collect();
        leaves.sort_unstable_by_key(|(k, _)| *k);
        alloy_trie::root::state_root(leaves)
    }

    /// The storage root of `address` (the empty root when absent).
    pub fn storage_root(&mut self, address: &Address) -> B256 {
        self.accounts
            .get_mut(address)
            .map_or(EMPTY_ROOT_HASH, MemAccount::storage_root)
    }
}

impl Database for MemState {
    type Error = Infallible;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.accounts.get(&address).map(MemAccount::info))
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
            if account.is_selfdestructed() {
                self.accounts.remove(&address);
                continue;
            }
            let created = account.is_created();
            let info = &account.info;
            if info.is_empty() && account.storage.values().all(|s| s.present_value.is_zero()) {
                self.accounts.remove(&address);
                continue;
            }
            let entry = self.accounts.entry(address).or_default();
            if created {
                entry.storage.clear();
            }
            entry.nonce = info.nonce;
            entry.balance = info.balance;
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
                    self.codes.insert(info.code_hash, code);
                }
            }
            let mut storage_changed = created;
            for (slot, value) in &account.storage {
                if !value.is_changed() && !created {
                    continue;
                }
                storage_changed = true;
                if value.present_value.is_zero() {
                    entry.storage.remove(slot);
                } else {
                    entry.storage.insert(*slot, value.present_value);
                }
            }
            if storage_changed {
                entry.storage_root = None;
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
