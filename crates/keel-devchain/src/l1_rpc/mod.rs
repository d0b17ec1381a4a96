//! The L1 dev chain as an `eth_` backend: Ethereum transaction and receipt envelopes, revm
//! calls, Ethereum's base-fee and blob-fee rules, the L1 pool's own admission (blob sidecars
//! verified), and no chain-specific receipt fields. [`serve`] starts its public server.
//!
//! The L1 never reorganises, so its canonical chain is every block it holds, and its
//! `safe` / `finalized` labels are the chain's lagging blocks ([`L1Chain::safe`],
//! [`L1Chain::finalized`]).

mod call;

use std::net::SocketAddr;

use alloy_consensus::{
    Header, ReceiptEnvelope, Transaction, TxEnvelope,
    transaction::{Recovered, SignerRecoverable, TransactionInfo},
};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::{Log, TransactionRequest};
use revm::primitives::hardfork::SpecId;
use serde::Serialize;

use crate::{
    chain::Forkchoice,
    l1::{
        L1ChainError, PoolError,
        beacon::SharedL1Chain,
        builder::{blob_base_fee, next_base_fee, next_excess_blob_gas},
        chain::L1Chain,
        spec::{L1_BLOB_PARAMS, L1_SPEC_ID},
    },
    rpc::{
        BackendHandle, BlockRef, CallOutcome, EthBackend, EthError, EthServer,
        server::EthServerError,
    },
    state::MemState,
};

/// An Ethereum receipt has no fields beyond the standard ones.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct NoReceiptExtra {}

/// Serves the L1 dev chain's `eth_` API on `addr` (port 0 picks a free port); blocks are
/// mined elsewhere (the [`crate::l1::driver`], or a test calling `build_block`). Must be
/// called inside a tokio runtime.
pub async fn serve(chain: SharedL1Chain, addr: SocketAddr) -> Result<EthServer, EthServerError> {
    EthServer::start(addr, chain).await
}

impl BackendHandle for SharedL1Chain {
    type Backend = L1Chain;

    fn read<R>(&self, f: impl FnOnce(&L1Chain) -> R) -> R {
        f(&parking_lot::RwLock::read(self))
    }

    fn write<R>(&self, f: impl FnOnce(&mut L1Chain) -> R) -> R {
        f(&mut parking_lot::RwLock::write(self))
    }
}

/// The pool's refusal as geth words it (`core/txpool/errors.go`), for tools that match on
/// the text; the checks geth has no message for keep the pool's own.
fn pool_error(e: PoolError) -> EthError {
    match e {
        PoolError::TooLarge { size, max } => EthError::Oversized { size, limit: max },
        PoolError::Decode(msg) => EthError::Decode(msg),
        PoolError::InvalidSignature => EthError::InvalidSender(e.to_string()),
        PoolError::WrongChainId {
            expected,
            got: Some(have),
        } => EthError::WrongChainId {
            have,
            want: expected,
        },
        PoolError::WrongChainId { got: None, .. } => EthError::Unprotected,
        PoolError::NonceTooLow { state, tx, .. } => EthError::NonceTooLow {
            next: state,
            nonce: tx,
        },
        PoolError::InsufficientFunds { balance, cost } => EthError::InsufficientFunds {
            balance,
            cost,
            overshot: cost.saturating_sub(balance),
        },
        PoolError::IntrinsicGasTooLow {
            gas_limit,
            intrinsic,
        } => EthError::IntrinsicGas {
            gas: gas_limit,
            needed: intrinsic,
        },
        PoolError::GasLimitExceedsBlock { .. } => EthError::GasLimit,
        PoolError::TipAboveFeeCap { .. } => EthError::TipAboveFeeCap,
        PoolError::AlreadyKnown(_) => EthError::AlreadyKnown,
        PoolError::ReplacementUnderpriced => EthError::ReplaceUnderpriced,
        PoolError::PoolFull(_) | PoolError::BlobPoolFull(_) => EthError::PoolFull,
        PoolError::MissingSidecar
        | PoolError::CellProofSidecar
        | PoolError::InvalidSidecar(_)
        | PoolError::BlobCount { .. }
        | PoolError::EmptyAuthorizationList => EthError::Execution(e.to_string()),
    }
}

fn chain_error(e: L1ChainError) -> EthError {
    match e {
        L1ChainError::Pool(p) => pool_error(p),
        other => EthError::Internal(other.to_string()),
    }
}

impl EthBackend for L1Chain {
    type Tx = TxEnvelope;
    type Stored = Recovered<TxEnvelope>;
    type Receipt = ReceiptEnvelope;
    type RpcTx = alloy_rpc_types_eth::Transaction<TxEnvelope>;
    type RpcReceiptInner = ReceiptEnvelope<Log>;
    type ReceiptExtra = NoReceiptExtra;

    fn chain_id(&self) -> u64 {
        L1Chain::chain_id(self)
    }

    fn forkchoice(&self) -> Forkchoice {
        Forkchoice {
            head: self.head().hash(),
            safe: self.safe().hash(),
            finalized: self.finalized().hash(),
        }
    }

    fn canonical_hash(&self, number: u64) -> Option<B256> {
        self.block_by_number(number).map(|b| b.hash())
    }

    fn block(&self, hash: &B256) -> Option<BlockRef<'_, Recovered<TxEnvelope>, ReceiptEnvelope>> {
        self.block_by_hash(hash).map(|b| BlockRef {
            header: &b.header,
            transactions: &b.transactions,
            receipts: &b.receipts,
        })
    }

    fn transaction_location(&self, hash: &B256) -> Option<(B256, usize)> {
        let (number, index) = L1Chain::transaction_location(self, hash)?;
        Some((self.block_by_number(number)?.hash(), index))
    }

    fn state(&self, hash: &B256) -> Option<&MemState> {
        let number = self.block_by_hash(hash)?.number();
        self.state_at(number).ok()
    }

    fn sender(&self, tx: &TxEnvelope) -> Option<Address> {
        tx.recover_signer().ok()
    }

    /// Always empty: the L1 pool is keyed by sender and nonce, not a list; the look-ups the
    /// handlers make go through [`EthBackend::pooled`] and [`EthBackend::pending_nonce`],
    /// which this backend answers from it.
    fn pool(&self) -> &[Recovered<TxEnvelope>] {
        &[]
    }

    fn pooled(&self, hash: &B256) -> Option<Recovered<TxEnvelope>> {
        self.pending_transaction(hash).map(|p| p.tx.clone())
    }

    fn pending_nonce(&self, sender: Address, _account_nonce: u64) -> u64 {
        L1Chain::pending_nonce(self, &sender)
    }

    /// The L1 pool's admission (sidecar KZG proofs, blob count, replacement bumps on the
    /// blob fee too), with its refusals in geth's words.
    fn send_raw_transaction(&mut self, raw: &[u8]) -> Result<B256, EthError> {
        L1Chain::send_raw_transaction(self, raw).map_err(chain_error)
    }

    fn decode_raw(&self, raw: &[u8]) -> Result<Recovered<TxEnvelope>, EthError> {
        let tx = TxEnvelope::decode_2718_exact(raw).map_err(|e| EthError::Decode(e.to_string()))?;
        let signer = tx
            .recover_signer()
            .map_err(|e| EthError::InvalidSender(e.to_string()))?;
        Ok(Recovered::new_unchecked(tx, signer))
    }

    /// The blob gas at the blob fee cap: what a blob transaction may pay beside its gas.
    fn extra_cost(&self, tx: &Recovered<TxEnvelope>) -> U256 {
        let tx = tx.inner();
        U256::from(tx.blob_gas_used().unwrap_or_default())
            .saturating_mul(U256::from(tx.max_fee_per_blob_gas().unwrap_or_default()))
    }

    /// Hands the transaction to the L1 pool in its network encoding (the pool replaces a
    /// same-nonce transaction itself, so `replaces` is not needed).
    fn submit(
        &mut self,
        tx: Recovered<TxEnvelope>,
        _replaces: Option<B256>,
    ) -> Result<(), EthError> {
        L1Chain::send_raw_transaction(self, &tx.inner().encoded_2718())
            .map(|_| ())
            .map_err(chain_error)
    }

    fn spec(&self, _timestamp: u64) -> SpecId {
        L1_SPEC_ID
    }

    fn next_base_fee(&self, parent: &Header) -> u64 {
        next_base_fee(parent)
    }

    fn blob_base_fee(&self, header: &Header) -> u128 {
        blob_base_fee(header.excess_blob_gas.unwrap_or_default())
    }

    fn next_blob_base_fee(&self, parent: &Header) -> u128 {
        blob_base_fee(next_excess_blob_gas(parent))
    }

    fn max_blob_gas_per_block(&self, _header: &Header) -> u64 {
        L1_BLOB_PARAMS.max_blob_gas_per_block()
    }

    fn call(
        &self,
        at: &B256,
        request: &TransactionRequest,
        gas_limit: u64,
    ) -> Result<CallOutcome, EthError> {
        call::call(self, at, request, gas_limit)
    }

    fn rpc_transaction(
        &self,
        tx: Recovered<TxEnvelope>,
        info: TransactionInfo,
        _receipt: Option<&ReceiptEnvelope>,
    ) -> alloy_rpc_types_eth::Transaction<TxEnvelope> {
        alloy_rpc_types_eth::Transaction::from_transaction(tx, info)
    }

    fn rpc_receipt_inner(&self, receipt: &ReceiptEnvelope, logs: Vec<Log>) -> ReceiptEnvelope<Log> {
        let mut rpc_logs = logs.into_iter();
        receipt.clone().map_logs(|inner| {
            rpc_logs.next().unwrap_or(Log {
                inner,
                ..Log::default()
            })
        })
    }

    fn receipt_extra(
        &self,
        _block: BlockRef<'_, Recovered<TxEnvelope>, ReceiptEnvelope>,
        _index: usize,
    ) -> NoReceiptExtra {
        NoReceiptExtra {}
    }
}
