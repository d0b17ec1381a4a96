//! The in-memory L2 chain: blocks by hash and number, the canonical chain, forkchoice
//! (head / safe / finalized) with reorgs, post-state snapshots and a transaction pool.
//!
//! Every block keeps its header, transactions and receipts for as long as the chain lives;
//! post-states are kept for at most [`ChainConfig::max_states`] blocks, the oldest pruned
//! first (the head's and the genesis' states are never pruned). A block whose state was
//! pruned stays known and can still be made canonical, but building or executing on it
//! fails with [`ChainError::StatePruned`] (re-execution from an older state is not
//! implemented).

use std::collections::{BTreeMap, HashMap, VecDeque};

use alloy_consensus::{Header, Sealed, transaction::Recovered};
use alloy_primitives::B256;
use keel_protocol::rollup_config::RollupConfig;
use op_alloy_consensus::OpTxEnvelope;
use op_alloy_rpc_types_engine::{
    OpExecutionPayload, OpExecutionPayloadSidecar, OpPayloadAttributes,
};

use crate::{
    executor::{ExecError, ExecutedBlock, build_block, execute_payload},
    genesis::DevGenesis,
    state::MemState,
};

/// Chain settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainConfig {
    /// How many post-states to keep in memory (at least 1).
    pub max_states: usize,
}

impl Default for ChainConfig {
    fn default() -> Self {
        Self { max_states: 256 }
    }
}

/// Why a chain operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChainError {
    /// The block (parent, forkchoice target) is unknown.
    #[error("unknown block {0}")]
    UnknownBlock(B256),
    /// The block is known but its post-state was pruned.
    #[error("state of block {0} was pruned")]
    StatePruned(B256),
    /// Safe or finalized is not an ancestor of (or equal to) the new head.
    #[error("forkchoice {label} {hash} is not on the chain of head {head}")]
    InvalidForkchoice {
        /// `safe` or `finalized`.
        label: &'static str,
        /// The block given.
        hash: B256,
        /// The head given.
        head: B256,
    },
    /// Execution failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// The pool holds [`MAX_POOL_TXS`] transactions already.
    #[error("transaction pool is full ({0} transactions)")]
    PoolFull(usize),
}

/// Most transactions the pool keeps: a bound on what users can make the dev chain hold in
/// memory before a block drains it (a 30M-gas block holds at most ~1,400 transfers).
pub const MAX_POOL_TXS: usize = 8_192;

/// A stored block.
#[derive(Debug, Clone)]
pub struct StoredBlock {
    /// The sealed header.
    pub header: Sealed<Header>,
    /// Transactions.
    pub transactions: Vec<OpTxEnvelope>,
    /// Receipts.
    pub receipts: Vec<op_alloy_consensus::OpReceiptEnvelope>,
}

/// The forkchoice labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Forkchoice {
    /// Canonical head.
    pub head: B256,
    /// Safe block.
    pub safe: B256,
    /// Finalized block.
    pub finalized: B256,
}

/// The in-memory chain.
#[derive(Debug)]
pub struct Chain {
    rollup: RollupConfig,
    config: ChainConfig,
    genesis: B256,
    blocks: HashMap<B256, StoredBlock>,
    canonical: BTreeMap<u64, B256>,
    states: HashMap<B256, MemState>,
    state_order: VecDeque<B256>,
    forkchoice: Forkchoice,
    pool: Vec<Recovered<OpTxEnvelope>>,
    /// Where each transaction was included: (block hash, index), one entry per block
    /// holding it (a reorg can include a transaction in two blocks).
    tx_index: HashMap<B256, Vec<(B256, usize)>>,
}

impl Chain {
    /// A chain holding only `genesis`.
    pub fn new(rollup: RollupConfig, genesis: DevGenesis, config: ChainConfig) -> Self {
        let hash = genesis.header.hash();
        let mut chain = Self {
            rollup,
            config,
            genesis: hash,
            blocks: HashMap::new(),
            canonical: BTreeMap::new(),
            states: HashMap::new(),
            state_order: VecDeque::new(),
            forkchoice: Forkchoice {
                head: hash,
                safe: hash,
                finalized: hash,
            },
            pool: Vec::new(),
            tx_index: HashMap::new(),
        };
        chain.blocks.insert(
            hash,
            StoredBlock {
                header: genesis.header,
                transactions: Vec::new(),
                receipts: Vec::new(),
            },
        );
        chain.canonical.insert(0, hash);
        chain.states.insert(hash, genesis.state);
        chain
    }

    /// The rollup config.
    pub const fn rollup_config(&self) -> &RollupConfig {
        &self.rollup
    }

    /// The forkchoice labels.
    pub const fn forkchoice(&self) -> Forkchoice {
        self.forkchoice
    }

    /// The canonical head block.
    pub fn head(&self) -> Option<&StoredBlock> {
        self.blocks.get(&self.forkchoice.head)
    }

    /// A block by hash (canonical or not).
    pub fn block_by_hash(&self, hash: &B256) -> Option<&StoredBlock> {
        self.blocks.get(hash)
    }

    /// The canonical block at `number`.
    pub fn block_by_number(&self, number: u64) -> Option<&StoredBlock> {
        self.canonical.get(&number).and_then(|h| self.blocks.get(h))
    }

    /// The post-state of block `hash`, if still kept.
    pub fn state_at(&self, hash: &B256) -> Option<&MemState> {
        self.states.get(hash)
    }

    /// The canonical head's post-state.
    pub fn head_state(&self) -> Option<&MemState> {
        self.states.get(&self.forkchoice.head)
    }

    /// Adds a transaction to the pool (no validation beyond what building does).
    ///
    /// Refused once the pool holds [`MAX_POOL_TXS`] transactions.
    pub fn add_to_pool(&mut self, tx: Recovered<OpTxEnvelope>) -> Result<(), ChainError> {
        if self.pool.len() >= MAX_POOL_TXS {
            return Err(ChainError::PoolFull(self.pool.len()));
        }
        self.pool.push(tx);
        Ok(())
    }

    /// The pooled transactions.
    pub fn pool(&self) -> &[Recovered<OpTxEnvelope>] {
        &self.pool
    }

    /// Replaces the pooled transaction `old` with `tx` in place (a same-nonce replacement
    /// keeps its position); adds `tx` when `old` is no longer pooled.
    pub fn replace_in_pool(
        &mut self,
        old: &B256,
        tx: Recovered<OpTxEnvelope>,
    ) -> Result<(), ChainError> {
        match self.pool.iter_mut().find(|t| t.inner().tx_hash() == *old) {
            Some(slot) => {
                *slot = tx;
                Ok(())
            }
            None => self.add_to_pool(tx),
        }
    }

    /// The canonical block hash at `number`.
    pub fn canonical_hash(&self, number: u64) -> Option<B256> {
        self.canonical.get(&number).copied()
    }

    /// Where transaction `hash` was included: its block and index, the canonical block
    /// first when several blocks hold it.
    pub fn transaction_location(&self, hash: &B256) -> Option<(B256, usize)> {
        let places = self.tx_index.get(hash)?;
        places
            .iter()
            .find(|(block, _)| {
                self.blocks
                    .get(block)
                    .is_some_and(|b| self.canonical.get(&b.header.number) == Some(block))
            })
            .or_else(|| places.first())
            .copied()
    }

    fn parent(&self, hash: B256) -> Result<(&Sealed<Header>, &MemState), ChainError> {
        let block = self
            .blocks
            .get(&hash)
            .ok_or(ChainError::UnknownBlock(hash))?;
        let state = self
            .states
            .get(&hash)
            .ok_or(ChainError::StatePruned(hash))?;
        Ok((&block.header, state))
    }

    /// Builds a block on `parent` from `attrs` and stores it (not canonical until a
    /// forkchoice update makes it so). Included pool transactions leave the pool.
    pub fn build(
        &mut self,
        parent: B256,
        attrs: &OpPayloadAttributes,
    ) -> Result<&StoredBlock, ChainError> {
        let (header, state) = self.parent(parent)?;
        let executed = build_block(&self.rollup, header, state, attrs, &self.pool)?;
        let included: Vec<B256> = executed.transactions.iter().map(|t| t.tx_hash()).collect();
        self.pool
            .retain(|t| !included.contains(&t.inner().tx_hash()));
        Ok(self.insert(executed))
    }

    /// Executes and stores a payload on its parent (`newPayload`).
    pub fn insert_payload(
        &mut self,
        payload: &OpExecutionPayload,
        sidecar: &OpExecutionPayloadSidecar,
    ) -> Result<&StoredBlock, ChainError> {
        let (header, state) = self.parent(payload.parent_hash())?;
        let executed = execute_payload(&self.rollup, header, state, payload, sidecar)?;
        Ok(self.insert(executed))
    }

    fn insert(&mut self, executed: ExecutedBlock) -> &StoredBlock {
        let hash = executed.hash();
        if !self.states.contains_key(&hash) {
            self.state_order.push_back(hash);
        }
        self.states.insert(hash, executed.state);
        self.prune();
        if !self.blocks.contains_key(&hash) {
            for (i, tx) in executed.transactions.iter().enumerate() {
                self.tx_index
                    .entry(tx.tx_hash())
                    .or_default()
                    .push((hash, i));
            }
        }
        self.blocks.entry(hash).or_insert(StoredBlock {
            header: executed.header,
            transactions: executed.transactions,
            receipts: executed.receipts,
        })
    }

    fn prune(&mut self) {
        let max = self.config.max_states.max(1);
        let mut kept = VecDeque::new();
        while self.state_order.len() + kept.len() > max {
            let Some(oldest) = self.state_order.pop_front() else {
                break;
            };
            if oldest == self.forkchoice.head {
                kept.push_back(oldest);
                continue;
            }
            self.states.remove(&oldest);
        }
        while let Some(h) = kept.pop_back() {
            self.state_order.push_front(h);
        }
    }

    /// Whether `ancestor` is `block` or one of its ancestors.
    fn is_ancestor(&self, ancestor: B256, block: B256) -> bool {
        let Some(target) = self.blocks.get(&ancestor) else {
            return false;
        };
        let mut cursor = block;
        loop {
            if cursor == ancestor {
                return true;
            }
            match self.blocks.get(&cursor) {
                Some(b) if b.header.number > target.header.number => {
                    cursor = b.header.parent_hash;
                }
                _ => return false,
            }
        }
    }

    /// Applies a forkchoice update: `head` becomes canonical (a reorg if it is not a
    /// descendant of the current head: the canonical index is rewritten from the common
    /// ancestor, and the head's post-state becomes the state), `safe` and `finalized` must
    /// be ancestors of it (zero hash: unchanged).
    ///
    /// Spec: protocol/exec-engine.md#engine_forkchoiceupdatedv2 (the execution-apis rules).
    pub fn forkchoice_update(
        &mut self,
        head: B256,
        safe: B256,
        finalized: B256,
    ) -> Result<(), ChainError> {
        if !self.blocks.contains_key(&head) {
            return Err(ChainError::UnknownBlock(head));
        }
        for (label, hash) in [("safe", safe), ("finalized", finalized)] {
            if !hash.is_zero() && !self.is_ancestor(hash, head) {
                return Err(ChainError::InvalidForkchoice { label, hash, head });
            }
        }
        // Rewrite the canonical index from the head back to the first block already there.
        let mut cursor = head;
        let mut new_entries = Vec::new();
        while let Some(block) = self.blocks.get(&cursor) {
            let number = block.header.number;
            if self.canonical.get(&number) == Some(&cursor) {
                break;
            }
            new_entries.push((number, cursor));
            if number == 0 {
                break;
            }
            cursor = block.header.parent_hash;
        }
        let head_number = self.blocks.get(&head).map_or(0, |b| b.header.number);
        self.canonical.retain(|n, _| *n <= head_number);
        for (n, h) in new_entries {
            self.canonical.insert(n, h);
        }
        self.forkchoice.head = head;
        if !safe.is_zero() {
            self.forkchoice.safe = safe;
        }
        if !finalized.is_zero() {
            self.forkchoice.finalized = finalized;
        }
        Ok(())
    }

    /// The genesis hash.
    pub const fn genesis_hash(&self) -> B256 {
        self.genesis
    }
}
