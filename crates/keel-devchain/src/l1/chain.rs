//! The L1 dev chain: blocks mined on demand (`build_block(timestamp)`, no clock inside),
//! the pool, blob sidecars kept for the beacon API, `safe` / `finalized` labels that lag the
//! head, and the look-ups an `eth_` API needs.
//!
//! A dev L1 has one producer, so the chain only reorganises when asked to
//! ([`L1Chain::rewind_to`], for fault tests): the newest blocks are dropped and the caller
//! mines new ones at the same heights. Every canonical block (header, transactions,
//! receipts) is kept; post-states are kept for the last [`L1Config::max_states`] blocks (and
//! genesis); blob sidecars for the newest blocks holding at most
//! [`L1Config::max_kept_blobs`] blobs.

use std::{
    collections::{BTreeMap, HashMap, VecDeque},
    sync::Arc,
};

use alloy_consensus::{
    Header, ReceiptEnvelope, Sealed, Transaction, TxEnvelope, transaction::Recovered,
};
use alloy_eips::{BlockNumberOrTag, eip4844::BlobTransactionSidecar};
use alloy_primitives::{Address, B256};

use super::{
    builder::{BuildError, mine},
    genesis::{L1GenesisConfig, L1GenesisError, build_l1_genesis},
    pool::{AdmissionContext, PoolError, PoolTx, TxPool, validate},
    spec::L1Config,
};
use crate::state::MemState;

/// Why an L1 chain operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum L1ChainError {
    /// The genesis could not be built.
    #[error(transparent)]
    Genesis(#[from] L1GenesisError),
    /// Mining failed.
    #[error(transparent)]
    Build(#[from] BuildError),
    /// The transaction was refused.
    #[error(transparent)]
    Pool(#[from] PoolError),
    /// No such block.
    #[error("unknown block {0}")]
    UnknownBlock(String),
    /// The block's post-state is no longer kept.
    #[error("state of block {0} was pruned")]
    StatePruned(u64),
    /// A read-only call could not run.
    #[error("call failed: {0}")]
    Call(String),
    /// The call or estimate reverted, with the revert data.
    #[error("execution reverted: {0}")]
    Reverted(alloy_primitives::Bytes),
    /// The call or estimate halted (out of gas, invalid opcode, ...).
    #[error("execution halted: {0}")]
    Halted(String),
    /// The configuration is unusable.
    #[error("invalid L1 config: {0}")]
    Config(&'static str),
    /// A rewind would drop the `finalized` block: finalized L1 blocks never reorganise.
    #[error("cannot rewind to block {to}: block {finalized} is finalized")]
    RewindPastFinalized {
        /// The requested new head.
        to: u64,
        /// The finalized block.
        finalized: u64,
    },
}

/// A block of the L1 dev chain.
#[derive(Debug, Clone)]
pub struct L1Block {
    /// The sealed header.
    pub header: Sealed<Header>,
    /// Transactions in block order (blob transactions in block form, without sidecars).
    pub transactions: Vec<Recovered<TxEnvelope>>,
    /// Receipts in block order.
    pub receipts: Vec<ReceiptEnvelope>,
}

impl L1Block {
    /// Block hash.
    pub fn hash(&self) -> B256 {
        self.header.hash()
    }

    /// Block number.
    pub fn number(&self) -> u64 {
        self.header.number
    }
}

/// A mined transaction with what a receipt in the `eth_` API reports about it.
#[derive(Debug, Clone)]
pub struct TxInfo {
    /// The transaction (block form) and its sender.
    pub tx: Recovered<TxEnvelope>,
    /// Its receipt.
    pub receipt: ReceiptEnvelope,
    /// Hash of the including block.
    pub block_hash: B256,
    /// Number of the including block.
    pub block_number: u64,
    /// Timestamp of the including block.
    pub block_timestamp: u64,
    /// Index in the block.
    pub index: u64,
    /// Gas this transaction used (its cumulative gas minus the previous one's).
    pub gas_used: u64,
    /// Price per gas paid: `min(maxFee, baseFee + maxPriorityFee)`, or the legacy gas price.
    pub effective_gas_price: u128,
    /// Blob gas used (blob transactions).
    pub blob_gas_used: Option<u64>,
    /// Blob gas price of the block (blob transactions).
    pub blob_gas_price: Option<u128>,
    /// Address created by a creation transaction.
    pub contract_address: Option<Address>,
    /// Block-wide index of this transaction's first log.
    pub first_log_index: u64,
}

/// The outcome of [`L1Chain::build_block`].
#[derive(Debug, Clone)]
pub struct BuiltBlock {
    /// The new head.
    pub block: Arc<L1Block>,
    /// Pool transactions the EVM refused (dropped from the pool), with the reason.
    pub rejected: Vec<(B256, String)>,
}

/// What [`L1Chain::rewind_to`] took off the chain.
#[derive(Debug, Clone, Default)]
pub struct Rewound {
    /// Transactions of the dropped blocks, oldest first (block form, sender recovered).
    pub mined: Vec<Recovered<TxEnvelope>>,
    /// Pending transactions evicted because their sender had a dropped transaction: with
    /// it gone they would wait forever on the nonce gap.
    pub evicted: Vec<PoolTx>,
}

/// The L1 dev chain.
#[derive(Debug)]
pub struct L1Chain {
    config: L1Config,
    genesis: Arc<L1Block>,
    head: Arc<L1Block>,
    /// Canonical blocks by number (index = number), genesis and head included.
    blocks: Vec<Arc<L1Block>>,
    by_hash: HashMap<B256, u64>,
    tx_index: HashMap<B256, (u64, usize)>,
    head_state: MemState,
    /// Post-states of blocks before the head (genesis always, then the newest).
    states: BTreeMap<u64, MemState>,
    /// Sidecars of recent blocks with blobs, oldest first.
    sidecars: VecDeque<(u64, Vec<(B256, BlobTransactionSidecar)>)>,
    kept_blobs: usize,
    pool: TxPool,
}

impl L1Chain {
    /// A chain holding only the genesis built from `genesis`.
    pub fn new(config: L1Config, genesis: &L1GenesisConfig) -> Result<Self, L1ChainError> {
        if config.block_time == 0 {
            return Err(L1ChainError::Config("block_time must be at least 1 second"));
        }
        let built = build_l1_genesis(&config, genesis)?;
        let block = Arc::new(L1Block {
            header: built.header,
            transactions: Vec::new(),
            receipts: Vec::new(),
        });
        let mut by_hash = HashMap::new();
        by_hash.insert(block.hash(), 0);
        Ok(Self {
            config,
            genesis: Arc::clone(&block),
            head: Arc::clone(&block),
            blocks: vec![block],
            by_hash,
            tx_index: HashMap::new(),
            head_state: built.state,
            states: BTreeMap::new(),
            sidecars: VecDeque::new(),
            kept_blobs: 0,
            pool: TxPool::new(),
        })
    }

    /// The chain's settings.
    pub fn config(&self) -> &L1Config {
        &self.config
    }

    /// Chain id.
    pub fn chain_id(&self) -> u64 {
        self.config.chain_id
    }

    /// The genesis block.
    pub fn genesis(&self) -> &Arc<L1Block> {
        &self.genesis
    }

    /// Genesis timestamp: the beacon API's `genesis_time`.
    pub fn genesis_time(&self) -> u64 {
        self.genesis().header.timestamp
    }

    /// The head block.
    pub fn head(&self) -> &Arc<L1Block> {
        &self.head
    }

    /// The `safe` block: [`L1Config::safe_lag`] blocks behind the head (genesis at least).
    pub fn safe(&self) -> &Arc<L1Block> {
        self.lagging(self.config.safe_lag)
    }

    /// The `finalized` block: [`L1Config::finalized_lag`] blocks behind the head.
    pub fn finalized(&self) -> &Arc<L1Block> {
        self.lagging(self.config.finalized_lag)
    }

    fn lagging(&self, lag: u64) -> &Arc<L1Block> {
        let n = self.head().number().saturating_sub(lag);
        self.block_by_number(n).unwrap_or_else(|| self.genesis())
    }

    /// The block with number `number`.
    pub fn block_by_number(&self, number: u64) -> Option<&Arc<L1Block>> {
        self.blocks.get(usize::try_from(number).ok()?)
    }

    /// The block with hash `hash`.
    pub fn block_by_hash(&self, hash: &B256) -> Option<&Arc<L1Block>> {
        self.by_hash
            .get(hash)
            .and_then(|n| self.block_by_number(*n))
    }

    /// The block a number or tag names. `pending` is the head (blocks are mined on
    /// demand, so there is no pending block to show).
    pub fn block(&self, id: BlockNumberOrTag) -> Option<&Arc<L1Block>> {
        match id {
            BlockNumberOrTag::Latest | BlockNumberOrTag::Pending => Some(self.head()),
            BlockNumberOrTag::Safe => Some(self.safe()),
            BlockNumberOrTag::Finalized => Some(self.finalized()),
            BlockNumberOrTag::Earliest => Some(self.genesis()),
            BlockNumberOrTag::Number(n) => self.block_by_number(n),
        }
    }

    /// The post-state of block `number`.
    pub fn state_at(&self, number: u64) -> Result<&MemState, L1ChainError> {
        if number > self.head().number() {
            return Err(L1ChainError::UnknownBlock(number.to_string()));
        }
        if number == self.head().number() {
            return Ok(&self.head_state);
        }
        self.states
            .get(&number)
            .ok_or(L1ChainError::StatePruned(number))
    }

    /// The post-state of the head.
    pub fn head_state(&self) -> &MemState {
        &self.head_state
    }

    /// Validates a raw transaction (EIP-2718 network form; blob transactions with their
    /// sidecar) against the head and adds it to the pool. Returns its hash.
    pub fn send_raw_transaction(&mut self, raw: &[u8]) -> Result<B256, L1ChainError> {
        let ctx = AdmissionContext {
            chain_id: self.config.chain_id,
            block_gas_limit: self.config.gas_limit,
            state: self.head_state(),
        };
        let tx = validate(raw, ctx)?;
        Ok(self.pool.insert(tx)?)
    }

    /// A pending transaction.
    pub fn pending_transaction(&self, hash: &B256) -> Option<&PoolTx> {
        self.pool.get(hash)
    }

    /// Transactions pending.
    pub fn pool_len(&self) -> usize {
        self.pool.len()
    }

    /// The next nonce of `address` counting its pending transactions (`eth_getTransactionCount`
    /// at `pending`).
    pub fn pending_nonce(&self, address: &Address) -> u64 {
        self.pool
            .pending_nonce(address, self.head_state().nonce(address))
    }

    /// Mines the pool into a block at `timestamp` (must be after the head's) and makes it the
    /// head. Included and now-stale transactions leave the pool; so do those the EVM refused.
    pub fn build_block(&mut self, timestamp: u64) -> Result<BuiltBlock, L1ChainError> {
        let parent = Arc::clone(self.head());
        let parent_state = &self.head_state;
        let candidates = self.pool.executable(parent_state);
        // No beacon chain: each block's beacon root is its parent's execution block hash,
        // unique and deterministic (EIP-4788 only needs some root per slot).
        let mined = mine(
            &self.config,
            &parent.header,
            parent_state,
            timestamp,
            parent.hash(),
            candidates,
        )?;
        let number = mined.header.number;
        let block = Arc::new(L1Block {
            header: mined.header,
            transactions: mined.transactions,
            receipts: mined.receipts,
        });
        for (i, tx) in block.transactions.iter().enumerate() {
            self.tx_index.insert(*tx.inner().tx_hash(), (number, i));
        }
        self.by_hash.insert(block.hash(), number);
        self.blocks.push(Arc::clone(&block));
        self.pool.prune(&mined.state);
        for (hash, _) in &mined.rejected {
            self.pool.remove(hash);
        }
        let old = std::mem::replace(&mut self.head_state, mined.state);
        self.states.insert(parent.number(), old);
        self.head = Arc::clone(&block);
        self.prune_states();
        self.keep_sidecars(number, mined.sidecars);
        Ok(BuiltBlock {
            block,
            rejected: mined.rejected,
        })
    }

    /// Makes block `number` the head again, dropping every block above it: an L1 reorg,
    /// once the caller mines the new branch on top. Blocks, states, sidecars and the
    /// transaction index forget the dropped blocks (look-ups by hash no longer find them).
    ///
    /// Unlike geth, the dropped transactions are not put back in the pool but returned, so
    /// the new branch differs from the old one (a batcher transaction that vanished stays
    /// gone unless its sender posts it again); pending transactions of their senders are
    /// evicted and returned too (they could never execute past the nonce gap). Fails if the
    /// `finalized` block would be dropped, or the state of `number` was pruned. A `number`
    /// at or above the head changes nothing.
    pub fn rewind_to(&mut self, number: u64) -> Result<Rewound, L1ChainError> {
        if number >= self.head().number() {
            return Ok(Rewound::default());
        }
        let finalized = self.finalized().number();
        if number < finalized {
            return Err(L1ChainError::RewindPastFinalized {
                to: number,
                finalized,
            });
        }
        let state = self
            .states
            .get(&number)
            .cloned()
            .ok_or(L1ChainError::StatePruned(number))?;
        let unknown = || L1ChainError::UnknownBlock(number.to_string());
        let index = usize::try_from(number).map_err(|_| unknown())?;
        let head = self.blocks.get(index).cloned().ok_or_else(unknown)?;
        // `index` is below the length, so `index + 1` cannot overflow.
        let dropped = self.blocks.split_off(index + 1);
        let mut rewound = Rewound::default();
        for block in &dropped {
            self.by_hash.remove(&block.hash());
            for tx in &block.transactions {
                self.tx_index.remove(tx.inner().tx_hash());
            }
            rewound.mined.extend(block.transactions.iter().cloned());
        }
        // `states` holds the post-states of blocks below the old head; the new head's
        // becomes the head state.
        drop(self.states.split_off(&number));
        self.head_state = state;
        self.head = head;
        self.sidecars.retain(|(n, _)| *n <= number);
        self.kept_blobs = self
            .sidecars
            .iter()
            .flat_map(|(_, s)| s.iter().map(|(_, s)| s.blobs.len()))
            .sum();
        let mut senders: Vec<Address> = rewound.mined.iter().map(|tx| tx.signer()).collect();
        senders.sort_unstable();
        senders.dedup();
        for sender in &senders {
            rewound.evicted.extend(self.pool.remove_sender(sender));
        }
        Ok(rewound)
    }

    fn prune_states(&mut self) {
        // `states` holds genesis plus older blocks; the head's is kept apart.
        let keep = self.config.max_states.max(1);
        while self.states.len() > keep {
            let Some(oldest) = self.states.keys().copied().find(|n| *n != 0) else {
                break;
            };
            self.states.remove(&oldest);
        }
    }

    fn keep_sidecars(&mut self, number: u64, sidecars: Vec<(B256, BlobTransactionSidecar)>) {
        if sidecars.is_empty() {
            return;
        }
        self.kept_blobs += sidecars.iter().map(|(_, s)| s.blobs.len()).sum::<usize>();
        self.sidecars.push_back((number, sidecars));
        while self.kept_blobs > self.config.max_kept_blobs {
            let Some((_, dropped)) = self.sidecars.pop_front() else {
                break;
            };
            self.kept_blobs -= dropped.iter().map(|(_, s)| s.blobs.len()).sum::<usize>();
        }
    }

    /// The blob sidecars of block `number`'s blob transactions, in block order, if still
    /// kept (`None` when pruned; empty when the block has no blobs).
    pub fn blob_sidecars(&self, number: u64) -> Option<Vec<(B256, BlobTransactionSidecar)>> {
        if let Some((_, s)) = self.sidecars.iter().find(|(n, _)| *n == number) {
            return Some(s.clone());
        }
        let block = self.block_by_number(number)?;
        let has_blobs = block.transactions.iter().any(|t| t.inner().is_eip4844());
        (!has_blobs).then(Vec::new)
    }

    /// The beacon slot of an L1 timestamp: `(timestamp - genesis) / block_time`, when the
    /// timestamp is on a slot boundary.
    pub fn slot_of(&self, timestamp: u64) -> Option<u64> {
        let since = timestamp.checked_sub(self.genesis_time())?;
        since
            .is_multiple_of(self.config.block_time)
            .then(|| since / self.config.block_time)
    }

    /// The block mined at beacon slot `slot` (none for an empty slot).
    pub fn block_at_slot(&self, slot: u64) -> Option<&Arc<L1Block>> {
        let ts = slot
            .checked_mul(self.config.block_time)?
            .checked_add(self.genesis_time())?;
        let idx = self
            .blocks
            .binary_search_by_key(&ts, |b| b.header.timestamp)
            .ok()?;
        self.blocks.get(idx)
    }

    /// Where a mined transaction is: its block number and index in the block.
    pub fn transaction_location(&self, hash: &B256) -> Option<(u64, usize)> {
        self.tx_index.get(hash).copied()
    }

    /// A mined transaction and its receipt data.
    pub fn transaction(&self, hash: &B256) -> Option<TxInfo> {
        let (number, index) = *self.tx_index.get(hash)?;
        self.block_by_number(number)
            .and_then(|b| tx_infos(b).into_iter().nth(index))
    }

    /// Receipt data of every transaction of block `hash`, in order.
    pub fn block_receipts(&self, hash: &B256) -> Option<Vec<TxInfo>> {
        self.block_by_hash(hash).map(|b| tx_infos(b))
    }
}

/// The receipt data of each transaction of `block`.
pub fn tx_infos(block: &L1Block) -> Vec<TxInfo> {
    let header = &block.header;
    let base_fee = header.base_fee_per_gas.unwrap_or(0);
    let blob_price = super::builder::blob_base_fee(header.excess_blob_gas.unwrap_or(0));
    let mut prev_cumulative = 0;
    let mut log_index = 0;
    block
        .transactions
        .iter()
        .zip(&block.receipts)
        .enumerate()
        .map(|(index, (tx, receipt))| {
            let cumulative = receipt.cumulative_gas_used();
            let inner = tx.inner();
            let info = TxInfo {
                tx: tx.clone(),
                receipt: receipt.clone(),
                block_hash: header.hash(),
                block_number: header.number,
                block_timestamp: header.timestamp,
                index: index as u64,
                gas_used: cumulative.saturating_sub(prev_cumulative),
                effective_gas_price: inner.effective_gas_price(Some(base_fee)),
                blob_gas_used: inner.blob_gas_used(),
                blob_gas_price: inner.is_eip4844().then_some(blob_price),
                contract_address: inner
                    .kind()
                    .is_create()
                    .then(|| tx.signer().create(inner.nonce())),
                first_log_index: log_index,
            };
            prev_cumulative = cumulative;
            log_index += receipt.logs().len() as u64;
            info
        })
        .collect()
}
