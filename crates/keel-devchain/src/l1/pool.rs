//! The L1 dev chain's transaction pool: raw transactions as `eth_sendRawTransaction` gives
//! them, validated against the head (signature, chain id, nonce, balance, intrinsic gas,
//! blob sidecar) and kept per sender in nonce order, with fixed bounds.
//!
//! Admission rules follow geth's `txpool` where a dev chain needs them: a transaction for an
//! already-pending (sender, nonce) replaces it only with both fee caps raised by at least
//! 10%; blob transactions must carry an EIP-4844 sidecar whose KZG proofs verify (Prague:
//! no EIP-7594 cell proofs); legacy transactions must be EIP-155 protected.

use std::collections::{BTreeMap, HashMap};

use alloy_consensus::{
    Signed, Transaction, TxEip4844Variant, TxEnvelope,
    transaction::{Recovered, SignerRecoverable},
};
use alloy_eips::eip4844::BlobTransactionSidecar;
use alloy_eips::{
    eip2718::Decodable2718,
    eip4844::{BYTES_PER_BLOB, DATA_GAS_PER_BLOB, env_settings::EnvKzgSettings},
    eip7594::BlobTransactionSidecarVariant,
};
use alloy_primitives::{Address, B256, U256};
use revm::context_interface::cfg::gas::calculate_initial_tx_gas;

use super::spec::{L1_BLOB_PARAMS, L1_SPEC_ID};
use crate::state::MemState;

/// Largest encoded non-blob transaction accepted: geth's `txMaxSize` (4 × 32 KiB).
pub const MAX_TX_SIZE: usize = 128 * 1024;

/// Largest encoded blob transaction accepted: [`MAX_TX_SIZE`] plus, per blob the block can
/// hold, the blob with its commitment and proof.
pub const MAX_BLOB_TX_SIZE: usize = MAX_TX_SIZE + 9 * (BYTES_PER_BLOB + 96 + 64);

/// Most transactions the pool keeps.
pub const MAX_POOL_TXS: usize = 4_096;

/// Most blobs the pool keeps (16 MiB): a few blocks' worth at Prague's maximum of 9.
pub const MAX_POOL_BLOBS: usize = 128;

/// Fee-cap increase (percent) a replacement needs, as geth's default `PriceBump`.
pub const REPLACEMENT_BUMP_PERCENT: u128 = 10;

/// Why a transaction was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// The encoding is larger than the bound for its kind.
    #[error("transaction of {size} bytes is larger than the {max}-byte limit")]
    TooLarge {
        /// Encoded size.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// The bytes are not an EIP-2718 transaction.
    #[error("transaction does not decode: {0}")]
    Decode(String),
    /// The signature does not recover a sender.
    #[error("invalid transaction signature")]
    InvalidSignature,
    /// Signed for another chain, or not EIP-155 protected.
    #[error("wrong chain id: expected {expected}, transaction has {got:?}")]
    WrongChainId {
        /// This chain's id.
        expected: u64,
        /// The transaction's (`None`: unprotected legacy transaction).
        got: Option<u64>,
    },
    /// The nonce is below the sender's account nonce.
    #[error("nonce too low: account {address} is at {state}, transaction has {tx}")]
    NonceTooLow {
        /// Sender.
        address: Address,
        /// Account nonce at the head.
        state: u64,
        /// Transaction nonce.
        tx: u64,
    },
    /// The balance does not cover gas limit × fee cap + value (+ blob gas × blob fee cap).
    #[error("insufficient funds: balance {balance}, transaction costs up to {cost}")]
    InsufficientFunds {
        /// Sender balance at the head.
        balance: U256,
        /// Maximum cost.
        cost: U256,
    },
    /// The gas limit is below the intrinsic gas (or the EIP-7623 calldata floor).
    #[error("intrinsic gas too low: gas limit {gas_limit}, needs {intrinsic}")]
    IntrinsicGasTooLow {
        /// Transaction gas limit.
        gas_limit: u64,
        /// Intrinsic gas.
        intrinsic: u64,
    },
    /// The gas limit exceeds the block gas limit.
    #[error("gas limit {gas_limit} exceeds the block gas limit {block}")]
    GasLimitExceedsBlock {
        /// Transaction gas limit.
        gas_limit: u64,
        /// Block gas limit.
        block: u64,
    },
    /// `maxPriorityFeePerGas` is above `maxFeePerGas`.
    #[error("max priority fee {tip} is above max fee {cap}")]
    TipAboveFeeCap {
        /// Priority fee.
        tip: u128,
        /// Fee cap.
        cap: u128,
    },
    /// A blob transaction without its sidecar (the block form was sent).
    #[error("blob transaction without sidecar")]
    MissingSidecar,
    /// An EIP-7594 (cell proof) sidecar, which Prague does not accept.
    #[error("EIP-7594 cell-proof sidecars are not accepted before Osaka")]
    CellProofSidecar,
    /// The sidecar does not match the versioned hashes or its proofs do not verify.
    #[error("invalid blob sidecar: {0}")]
    InvalidSidecar(String),
    /// A blob transaction with no blobs, or more than a block can hold.
    #[error("blob transaction with {count} blobs (1 to {max} allowed)")]
    BlobCount {
        /// Blobs in the transaction.
        count: usize,
        /// Most a transaction may have.
        max: u64,
    },
    /// An EIP-7702 transaction with an empty authorization list.
    #[error("EIP-7702 transaction with an empty authorization list")]
    EmptyAuthorizationList,
    /// The same transaction is already pending.
    #[error("already known: {0}")]
    AlreadyKnown(B256),
    /// A transaction with the same sender and nonce is pending and this one does not raise
    /// both fee caps by [`REPLACEMENT_BUMP_PERCENT`].
    #[error("replacement transaction underpriced")]
    ReplacementUnderpriced,
    /// The pool holds [`MAX_POOL_TXS`] transactions.
    #[error("transaction pool is full ({0} transactions)")]
    PoolFull(usize),
    /// The pool holds [`MAX_POOL_BLOBS`] blobs.
    #[error("blob pool is full ({0} blobs)")]
    BlobPoolFull(usize),
}

/// A validated pending transaction.
#[derive(Debug, Clone)]
pub struct PoolTx {
    /// The transaction in block form (a blob transaction without its sidecar), with sender.
    pub tx: Recovered<TxEnvelope>,
    /// The blob sidecar of a blob transaction.
    pub sidecar: Option<BlobTransactionSidecar>,
}

impl PoolTx {
    /// Transaction hash.
    pub fn hash(&self) -> B256 {
        *self.tx.inner().tx_hash()
    }

    /// Blobs carried.
    pub fn blob_count(&self) -> usize {
        self.sidecar.as_ref().map_or(0, |s| s.blobs.len())
    }
}

/// What admission checks against.
#[derive(Debug, Clone, Copy)]
pub struct AdmissionContext<'a> {
    /// Chain id.
    pub chain_id: u64,
    /// Block gas limit.
    pub block_gas_limit: u64,
    /// State at the head.
    pub state: &'a MemState,
}

/// Decodes and validates a raw transaction (EIP-2718 network encoding).
///
/// Checks, in order: size, decoding, signature, chain id, type rules (blob sidecar and
/// count, authorization list), fee caps, gas limit against the block and intrinsic gas
/// (EIP-7623 floor included), nonce and balance against the head state.
pub fn validate(raw: &[u8], ctx: AdmissionContext<'_>) -> Result<PoolTx, PoolError> {
    if raw.len() > MAX_BLOB_TX_SIZE {
        return Err(PoolError::TooLarge {
            size: raw.len(),
            max: MAX_BLOB_TX_SIZE,
        });
    }
    let envelope =
        TxEnvelope::decode_2718_exact(raw).map_err(|e| PoolError::Decode(e.to_string()))?;
    if !envelope.is_eip4844() && raw.len() > MAX_TX_SIZE {
        return Err(PoolError::TooLarge {
            size: raw.len(),
            max: MAX_TX_SIZE,
        });
    }
    let sender = envelope
        .recover_signer()
        .map_err(|_| PoolError::InvalidSignature)?;
    if envelope.chain_id() != Some(ctx.chain_id) {
        return Err(PoolError::WrongChainId {
            expected: ctx.chain_id,
            got: envelope.chain_id(),
        });
    }
    let (envelope, sidecar) = split_sidecar(envelope)?;
    if envelope.is_eip7702() && envelope.authorization_list().is_none_or(<[_]>::is_empty) {
        return Err(PoolError::EmptyAuthorizationList);
    }
    if let Some(tip) = envelope.max_priority_fee_per_gas()
        && tip > envelope.max_fee_per_gas()
    {
        return Err(PoolError::TipAboveFeeCap {
            tip,
            cap: envelope.max_fee_per_gas(),
        });
    }
    let gas_limit = envelope.gas_limit();
    if gas_limit > ctx.block_gas_limit {
        return Err(PoolError::GasLimitExceedsBlock {
            gas_limit,
            block: ctx.block_gas_limit,
        });
    }
    let intrinsic = intrinsic_gas(&envelope);
    if gas_limit < intrinsic {
        return Err(PoolError::IntrinsicGasTooLow {
            gas_limit,
            intrinsic,
        });
    }
    let state_nonce = ctx.state.nonce(&sender);
    if envelope.nonce() < state_nonce {
        return Err(PoolError::NonceTooLow {
            address: sender,
            state: state_nonce,
            tx: envelope.nonce(),
        });
    }
    let cost = max_cost(&envelope);
    let balance = ctx.state.balance(&sender);
    if balance < cost {
        return Err(PoolError::InsufficientFunds { balance, cost });
    }
    Ok(PoolTx {
        tx: Recovered::new_unchecked(envelope, sender),
        sidecar,
    })
}

/// Separates a blob transaction's sidecar (checked against the versioned hashes with KZG)
/// from the block-form transaction, keeping the transaction hash.
fn split_sidecar(
    envelope: TxEnvelope,
) -> Result<(TxEnvelope, Option<BlobTransactionSidecar>), PoolError> {
    let TxEnvelope::Eip4844(signed) = envelope else {
        return Ok((envelope, None));
    };
    let (variant, signature, hash) = signed.into_parts();
    let (tx, sidecar) = match variant {
        TxEip4844Variant::TxEip4844(_) => return Err(PoolError::MissingSidecar),
        TxEip4844Variant::TxEip4844WithSidecar(with) => with.into_parts(),
    };
    let sidecar = match sidecar {
        BlobTransactionSidecarVariant::Eip4844(s) => s,
        BlobTransactionSidecarVariant::Eip7594(_) => return Err(PoolError::CellProofSidecar),
    };
    let count = tx.blob_versioned_hashes.len();
    if count == 0 || count as u64 > L1_BLOB_PARAMS.max_blobs_per_tx {
        return Err(PoolError::BlobCount {
            count,
            max: L1_BLOB_PARAMS.max_blobs_per_tx,
        });
    }
    sidecar
        .validate(&tx.blob_versioned_hashes, EnvKzgSettings::Default.get())
        .map_err(|e| PoolError::InvalidSidecar(e.to_string()))?;
    let block_form = Signed::new_unchecked(TxEip4844Variant::TxEip4844(tx), signature, hash);
    Ok((TxEnvelope::Eip4844(block_form), Some(sidecar)))
}

/// Intrinsic gas of `tx` under Prague: the larger of the EIP-2028/2930/7702 initial gas and
/// the EIP-7623 calldata floor.
pub fn intrinsic_gas(tx: &TxEnvelope) -> u64 {
    let (accounts, slots) = tx.access_list().map_or((0, 0), |list| {
        list.iter().fold((0u64, 0u64), |(a, s), item| {
            (a + 1, s + item.storage_keys.len() as u64)
        })
    });
    let auths = tx.authorization_list().map_or(0, |l| l.len() as u64);
    let gas = calculate_initial_tx_gas(
        L1_SPEC_ID,
        tx.input(),
        tx.kind().is_create(),
        accounts,
        slots,
        auths,
    );
    gas.initial_total_gas.max(gas.floor_gas)
}

/// The most `tx` can cost its sender: `gas × maxFeePerGas + value + blobGas × maxFeePerBlobGas`.
pub fn max_cost(tx: &TxEnvelope) -> U256 {
    let gas = U256::from(tx.gas_limit()) * U256::from(tx.max_fee_per_gas());
    let blob = U256::from(tx.blob_gas_used().unwrap_or(0))
        * U256::from(tx.max_fee_per_blob_gas().unwrap_or(0));
    gas.saturating_add(tx.value()).saturating_add(blob)
}

/// Pending transactions by sender and nonce.
#[derive(Debug, Default)]
pub struct TxPool {
    // Ordered so that block building is deterministic among equal tips.
    by_sender: BTreeMap<Address, BTreeMap<u64, PoolTx>>,
    by_hash: HashMap<B256, (Address, u64)>,
    blobs: usize,
}

impl TxPool {
    /// An empty pool.
    pub fn new() -> Self {
        Self::default()
    }

    /// Transactions pending.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Blobs pending.
    pub fn blob_count(&self) -> usize {
        self.blobs
    }

    /// The pending transaction with hash `hash`.
    pub fn get(&self, hash: &B256) -> Option<&PoolTx> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        self.by_sender.get(sender)?.get(nonce)
    }

    /// The highest pending nonce of `sender` plus one, if it has pending transactions
    /// continuing from `state_nonce` (the "pending" nonce).
    pub fn pending_nonce(&self, sender: &Address, state_nonce: u64) -> u64 {
        let mut next = state_nonce;
        if let Some(txs) = self.by_sender.get(sender) {
            while txs.contains_key(&next) {
                next += 1;
            }
        }
        next
    }

    /// Adds a validated transaction. Returns its hash.
    pub fn insert(&mut self, tx: PoolTx) -> Result<B256, PoolError> {
        let hash = tx.hash();
        if self.by_hash.contains_key(&hash) {
            return Err(PoolError::AlreadyKnown(hash));
        }
        let sender = tx.tx.signer();
        let nonce = tx.tx.nonce();
        let replaced = self.by_sender.get(&sender).and_then(|m| m.get(&nonce));
        let freed_blobs = replaced.map_or(0, PoolTx::blob_count);
        if let Some(old) = replaced
            && !outbids(&tx.tx, &old.tx)
        {
            return Err(PoolError::ReplacementUnderpriced);
        }
        if replaced.is_none() && self.len() >= MAX_POOL_TXS {
            return Err(PoolError::PoolFull(self.len()));
        }
        let blobs_after = self.blobs - freed_blobs + tx.blob_count();
        if tx.blob_count() > 0 && blobs_after > MAX_POOL_BLOBS {
            return Err(PoolError::BlobPoolFull(self.blobs));
        }
        if let Some(old) = self.by_sender.entry(sender).or_default().insert(nonce, tx) {
            self.by_hash.remove(&old.hash());
        }
        self.blobs = blobs_after;
        self.by_hash.insert(hash, (sender, nonce));
        Ok(hash)
    }

    /// Each sender's pending transactions from its account nonce in `state` on, without gaps.
    pub fn executable(&self, state: &MemState) -> Vec<Vec<PoolTx>> {
        self.by_sender
            .iter()
            .map(|(sender, txs)| {
                let mut next = state.nonce(sender);
                txs.range(next..)
                    .take_while(|(n, _)| {
                        let ok = **n == next;
                        next += 1;
                        ok
                    })
                    .map(|(_, tx)| tx.clone())
                    .collect::<Vec<_>>()
            })
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// Drops what `state` (a new head) makes stale: transactions whose nonce is below their
    /// sender's account nonce (included, or replaced on chain).
    pub fn prune(&mut self, state: &MemState) {
        let mut removed = Vec::new();
        self.by_sender.retain(|sender, txs| {
            let nonce = state.nonce(sender);
            let keep = txs.split_off(&nonce);
            removed.extend(txs.values().map(|tx| (tx.hash(), tx.blob_count())));
            *txs = keep;
            !txs.is_empty()
        });
        for (hash, blobs) in removed {
            self.by_hash.remove(&hash);
            self.blobs = self.blobs.saturating_sub(blobs);
        }
    }

    /// Removes every pending transaction of `sender`, lowest nonce first (after an L1 reorg
    /// dropped some of its mined transactions, the rest could never execute: nonce gap).
    pub fn remove_sender(&mut self, sender: &Address) -> Vec<PoolTx> {
        let Some(txs) = self.by_sender.remove(sender) else {
            return Vec::new();
        };
        for tx in txs.values() {
            self.by_hash.remove(&tx.hash());
            self.blobs = self.blobs.saturating_sub(tx.blob_count());
        }
        txs.into_values().collect()
    }

    /// Removes one transaction (e.g. one that can never execute).
    pub fn remove(&mut self, hash: &B256) -> Option<PoolTx> {
        let (sender, nonce) = self.by_hash.remove(hash)?;
        let txs = self.by_sender.get_mut(&sender)?;
        let tx = txs.remove(&nonce)?;
        if txs.is_empty() {
            self.by_sender.remove(&sender);
        }
        self.blobs = self.blobs.saturating_sub(tx.blob_count());
        Some(tx)
    }
}

/// Whether `new` raises both fee caps of `old` (and the blob fee cap, for blob
/// transactions) by at least [`REPLACEMENT_BUMP_PERCENT`].
fn outbids(new: &TxEnvelope, old: &TxEnvelope) -> bool {
    let bumped = |n: u128, o: u128| {
        n.saturating_mul(100) >= o.saturating_mul(100 + REPLACEMENT_BUMP_PERCENT)
    };
    let tip = |t: &TxEnvelope| t.max_priority_fee_per_gas().unwrap_or(t.max_fee_per_gas());
    bumped(new.max_fee_per_gas(), old.max_fee_per_gas())
        && bumped(tip(new), tip(old))
        && bumped(
            new.max_fee_per_blob_gas().unwrap_or(0),
            old.max_fee_per_blob_gas().unwrap_or(0),
        )
}

/// Blob gas of `count` blobs.
pub const fn blob_gas(count: usize) -> u64 {
    count as u64 * DATA_GAS_PER_BLOB
}
