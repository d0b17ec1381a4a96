//! The user-facing `eth_` JSON-RPC API, written once against a small backend trait so the
//! L2 dev chain and the L1 dev chain serve the same methods with the same shapes.
//!
//! # Design
//!
//! What differs between an OP chain and an Ethereum chain is small: the transaction and
//! receipt envelopes, how a raw transaction is decoded and priced (the L1 data fee), how a
//! call is executed (op-revm or revm), the next block's base fee rule, and the extra fields
//! of a receipt. [`EthBackend`] names exactly those; everything else (block tags and
//! EIP-1898 block ids, transaction and receipt shaping, log filters, fee history, the
//! transaction-pool admission rules, the gas estimator's binary search) is here, once.
//!
//! Error messages and codes follow geth / op-geth, which `cast`, wallets and SDKs match on:
//! `-32000` for state and pool errors, `3` with revert data for reverted calls.
//!
//! # Layout
//!
//! - [`error`]: [`EthError`], its codes and geth's messages.
//! - `blocks`: block-id resolution, blocks, transactions and receipts in RPC shape.
//! - `send`: `eth_sendRawTransaction`'s admission checks.
//! - `fees`: `eth_gasPrice`, `eth_maxPriorityFeePerGas`, `eth_feeHistory`.
//! - `logs`: `eth_getLogs`.
//! - `proof`: `eth_getProof` (EIP-1186 Merkle proofs over a block's post-state).
//! - `estimate`: `eth_call` and `eth_estimateGas`.
//! - [`server`]: the method table and a standalone HTTP server ([`EthServer`]).

mod blocks;
pub mod error;
mod estimate;
mod fees;
mod logs;
mod proof;
mod send;
pub mod server;

use alloy_consensus::{
    Header, Sealed, Transaction, TxReceipt,
    transaction::{Recovered, TransactionInfo, TxHashRef},
};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, Log, U256};
use alloy_rpc_types_eth::TransactionRequest;
use revm::primitives::hardfork::SpecId;
use serde::Serialize;

pub use error::EthError;
pub use estimate::RPC_GAS_CAP;
pub use fees::{MAX_FEE_HISTORY_BLOCKS, MAX_REWARD_PERCENTILES, MIN_SUGGESTED_TIP};
pub use logs::{MAX_BLOCK_RANGE, MAX_LOGS};
pub use proof::{MAX_PROOF_KEYS, account_proof};
pub use send::{MAX_TX_SIZE, PRICE_BUMP_PERCENT};
pub use server::{BackendHandle, EthServer, eth_module};

use crate::{chain::Forkchoice, state::MemState};

/// A stored block as the handlers read it.
#[derive(Debug)]
pub struct BlockRef<'a, T, R> {
    /// The sealed header.
    pub header: &'a Sealed<Header>,
    /// The transactions, in block order.
    pub transactions: &'a [T],
    /// The receipts, in block order (one per transaction).
    pub receipts: &'a [R],
}

// Manual impls: a derive would require `T: Clone` / `R: Clone` for a pair of references.
impl<T, R> Clone for BlockRef<'_, T, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T, R> Copy for BlockRef<'_, T, R> {}

/// A transaction as a chain stores it in its blocks: the bare envelope (the L2), or the
/// envelope with its sender already recovered (the L1 dev chain keeps `Recovered`), so the
/// handlers can read either without copying a block.
pub trait StoredTx<T>: 'static {
    /// The signed envelope.
    fn envelope(&self) -> &T;
    /// The sender, when the chain stored it beside the envelope.
    fn known_sender(&self) -> Option<Address> {
        None
    }
}

impl<T: 'static> StoredTx<T> for T {
    fn envelope(&self) -> &T {
        self
    }
}

impl<T: 'static> StoredTx<T> for Recovered<T> {
    fn envelope(&self) -> &T {
        self.inner()
    }

    fn known_sender(&self) -> Option<Address> {
        Some(self.signer())
    }
}

/// How a read-only call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallOutcome {
    /// Ran to the end.
    Success {
        /// Gas used (after refunds).
        gas_used: u64,
        /// Return data.
        output: Bytes,
    },
    /// `REVERT`ed.
    Revert {
        /// Gas used.
        gas_used: u64,
        /// Revert data.
        output: Bytes,
    },
    /// Halted (out of gas, invalid opcode, ...).
    Halt {
        /// Gas used (the whole limit).
        gas_used: u64,
        /// Why, as the EVM names it.
        reason: String,
    },
}

/// What the `eth_` handlers need from a chain. Implemented by the L2 [`crate::chain::Chain`];
/// an Ethereum-mode chain implements it with alloy's `TxEnvelope` / `ReceiptEnvelope`.
///
/// `'static` because alloy's transaction trait is (it is `Any`).
///
/// Reads take `&self` and must be cheap: the server holds the chain's lock while a method
/// runs. Only [`Self::submit`] changes the chain.
pub trait EthBackend: 'static {
    /// The signed transaction envelope stored in blocks and in the pool.
    type Tx: Transaction + Encodable2718 + TxHashRef + Clone;
    /// A transaction as stored in the chain's blocks (`Self::Tx`, or it with its sender).
    type Stored: StoredTx<Self::Tx>;
    /// The consensus receipt stored beside each transaction.
    type Receipt: TxReceipt<Log = Log>;
    /// A transaction in RPC shape (e.g. `alloy_rpc_types_eth::Transaction<Self::Tx>`).
    type RpcTx: Serialize;
    /// A receipt envelope whose logs are RPC logs (flattened into the RPC receipt).
    type RpcReceiptInner: Serialize;
    /// Chain-specific receipt fields flattened beside the standard ones (OP's L1-fee
    /// fields; an empty struct for Ethereum).
    type ReceiptExtra: Serialize;

    // --- chain reads ---

    /// The chain id (`eth_chainId`, and the id a raw transaction must be signed for).
    fn chain_id(&self) -> u64;
    /// The head, safe and finalized block hashes.
    fn forkchoice(&self) -> Forkchoice;
    /// The canonical block hash at `number`.
    fn canonical_hash(&self, number: u64) -> Option<B256>;
    /// A known block (canonical or not) by hash.
    fn block(&self, hash: &B256) -> Option<BlockRef<'_, Self::Stored, Self::Receipt>>;
    /// Where a transaction was included: a block hash and index, preferring the canonical
    /// chain (the handlers check canonicity again).
    fn transaction_location(&self, hash: &B256) -> Option<(B256, usize)>;
    /// The post-state of block `hash`, if the chain still keeps it.
    fn state(&self, hash: &B256) -> Option<&MemState>;
    /// The sender of a stored transaction (signature recovery, or a deposit's `from`).
    fn sender(&self, tx: &Self::Tx) -> Option<Address>;

    // --- pool ---

    /// The pending transactions, with their senders.
    fn pool(&self) -> &[Recovered<Self::Tx>];
    /// Decodes an EIP-2718 transaction and recovers its signer, refusing types the chain's
    /// pool does not take (deposits on L2). Chain-id checks are left to the caller.
    fn decode_raw(&self, raw: &[u8]) -> Result<Recovered<Self::Tx>, EthError>;
    /// The pooled transaction with hash `hash` (by default, a scan of [`Self::pool`]).
    fn pooled(&self, hash: &B256) -> Option<Recovered<Self::Tx>> {
        self.pool()
            .iter()
            .find(|t| t.inner().tx_hash() == hash)
            .cloned()
    }
    /// The nonce `sender`'s next transaction should carry: `account_nonce` (at the head)
    /// plus the pooled transactions that follow it without a gap (geth's pending nonce).
    fn pending_nonce(&self, sender: Address, account_nonce: u64) -> u64 {
        send::pending_nonce(self, sender, account_nonce)
    }
    /// `eth_sendRawTransaction`: validates a raw transaction and pools it, answering its
    /// hash. By default geth's admission checks here, then [`Self::submit`]; a chain with a
    /// pool of its own rules (the L1's, which verifies blob sidecars) overrides it.
    fn send_raw_transaction(&mut self, raw: &[u8]) -> Result<B256, EthError>
    where
        Self: Sized,
    {
        send::send_raw(self, raw)
    }
    /// What the sender pays beside `gas × price + value` at the head (OP's L1 data fee and
    /// operator fee; zero on Ethereum), counted by the pool's balance check.
    fn extra_cost(&self, tx: &Recovered<Self::Tx>) -> U256;
    /// Adds an admitted transaction to the pool, replacing the pooled one with hash
    /// `replaces` (same sender and nonce) when given.
    fn submit(&mut self, tx: Recovered<Self::Tx>, replaces: Option<B256>) -> Result<(), EthError>;

    // --- execution and fees ---

    /// The Ethereum spec the block at `timestamp` runs (for intrinsic gas).
    fn spec(&self, timestamp: u64) -> SpecId;
    /// The base fee of the block after `parent` (for `eth_feeHistory`'s last entry).
    fn next_base_fee(&self, parent: &Header) -> u64;
    /// The blob base fee of a block (0 where the chain has no blob fee market).
    fn blob_base_fee(&self, header: &Header) -> u128;
    /// The blob base fee of the block after `parent` (`eth_blobBaseFee`, and
    /// `eth_feeHistory`'s last entry). By default the parent's: a chain without blobs has
    /// a constant one.
    fn next_blob_base_fee(&self, parent: &Header) -> u128 {
        self.blob_base_fee(parent)
    }
    /// The most blob gas a block may use (for `eth_feeHistory`'s `blobGasUsedRatio`); 0,
    /// the default, where blocks carry no blobs.
    fn max_blob_gas_per_block(&self, _header: &Header) -> u64 {
        0
    }
    /// Executes `request` read-only on the post-state of block `at`, in that block's
    /// environment, with `gas_limit`, without committing.
    fn call(
        &self,
        at: &B256,
        request: &TransactionRequest,
        gas_limit: u64,
    ) -> Result<CallOutcome, EthError>;

    // --- RPC shaping ---

    /// A transaction in RPC shape, with its inclusion info (`None` fields while pending)
    /// and its receipt when included.
    fn rpc_transaction(
        &self,
        tx: Recovered<Self::Tx>,
        info: TransactionInfo,
        receipt: Option<&Self::Receipt>,
    ) -> Self::RpcTx;
    /// A receipt envelope with its logs replaced by the given RPC logs.
    fn rpc_receipt_inner(
        &self,
        receipt: &Self::Receipt,
        logs: Vec<alloy_rpc_types_eth::Log>,
    ) -> Self::RpcReceiptInner;
    /// The chain-specific fields of the receipt of transaction `index` of `block`.
    fn receipt_extra(
        &self,
        block: BlockRef<'_, Self::Stored, Self::Receipt>,
        index: usize,
    ) -> Self::ReceiptExtra;
    /// The address a contract-creating transaction deployed to (`None` for calls).
    fn contract_address(
        &self,
        tx: &Self::Tx,
        from: Address,
        _receipt: &Self::Receipt,
    ) -> Option<Address> {
        tx.kind().is_create().then(|| from.create(tx.nonce()))
    }
}
