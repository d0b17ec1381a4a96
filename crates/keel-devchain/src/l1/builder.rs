//! Mining one L1 block: the header fields that follow from the parent (base fee, excess blob
//! gas), pool selection (nonce order per sender, highest tip first, within the gas and blob
//! limits), execution with alloy-evm's Ethereum block executor (EIP-4788 / EIP-2935 system
//! calls before, EIP-7002 / EIP-7251 requests after), and the sealed Prague header.

use std::{borrow::Cow, cmp::Reverse, collections::BinaryHeap};

use alloy_consensus::{
    EMPTY_OMMER_ROOT_HASH, Header, ReceiptEnvelope, Sealed, Transaction, TxEnvelope, TxReceipt,
    transaction::Recovered,
};
use alloy_eips::{
    eip1559::{BaseFeeParams, calc_next_block_base_fee},
    eip2718::Encodable2718,
    eip4844::BlobTransactionSidecar,
};
use alloy_evm::{
    EthEvmFactory, EvmEnv, EvmFactory,
    block::{BlockExecutor, BlockExecutorFactory},
    eth::{EthBlockExecutionCtx, EthBlockExecutorFactory, receipt_builder::AlloyReceiptBuilder},
};
use alloy_primitives::{B64, B256, Bloom, Bytes, U256, keccak256};
use alloy_trie::{EMPTY_ROOT_HASH, root::ordered_trie_root_with_encoder};
use revm::{
    context::{BlockEnv, CfgEnv},
    context_interface::block::BlobExcessGasAndPrice,
};

use super::{
    pool::{PoolTx, blob_gas},
    spec::{L1_BLOB_PARAMS, L1_SPEC_ID, L1Config, L1Spec},
};
use crate::state::MemState;

/// Why a block could not be mined.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The timestamp does not follow the parent's.
    #[error("timestamp {timestamp} is not after the parent's {parent}")]
    Timestamp {
        /// Requested timestamp.
        timestamp: u64,
        /// Parent timestamp.
        parent: u64,
    },
    /// Block-level execution (system calls, requests) failed.
    #[error("block execution failed: {0}")]
    Execution(String),
}

/// A mined block with its post-state.
#[derive(Debug, Clone)]
pub struct MinedBlock {
    /// The sealed header.
    pub header: Sealed<Header>,
    /// Transactions in block order (blob transactions without sidecars).
    pub transactions: Vec<Recovered<TxEnvelope>>,
    /// Receipts in block order.
    pub receipts: Vec<ReceiptEnvelope>,
    /// Sidecars of the block's blob transactions, in block order, by transaction hash.
    pub sidecars: Vec<(B256, BlobTransactionSidecar)>,
    /// State after the block.
    pub state: MemState,
    /// Pool transactions tried and left out, with the executor's reason.
    pub rejected: Vec<(B256, String)>,
}

/// Base fee of the block after `parent` (EIP-1559 with Ethereum's parameters).
pub fn next_base_fee(parent: &Header) -> u64 {
    calc_next_block_base_fee(
        parent.gas_used,
        parent.gas_limit,
        parent.base_fee_per_gas.unwrap_or_default(),
        BaseFeeParams::ethereum(),
    )
}

/// Excess blob gas of the block after `parent`: EIP-4844's rule with Prague's target
/// (EIP-7691: 6 blobs). Prague has no EIP-7918 reserve price, so the base fee plays no part.
pub fn next_excess_blob_gas(parent: &Header) -> u64 {
    L1_BLOB_PARAMS.next_block_excess_blob_gas_osaka(
        parent.excess_blob_gas.unwrap_or(0),
        parent.blob_gas_used.unwrap_or(0),
        parent.base_fee_per_gas.unwrap_or(0),
    )
}

/// The blob base fee for a block with `excess_blob_gas` (EIP-4844's `fake_exponential`
/// with Prague's update fraction).
pub fn blob_base_fee(excess_blob_gas: u64) -> u128 {
    L1_BLOB_PARAMS.calc_blob_fee(excess_blob_gas)
}

/// The EVM environment of the block after `parent` at `timestamp`.
pub fn block_env(config: &L1Config, parent: &Header, timestamp: u64) -> EvmEnv {
    let excess = next_excess_blob_gas(parent);
    EvmEnv::new(
        CfgEnv::new()
            .with_chain_id(config.chain_id)
            .with_spec_and_mainnet_gas_params(L1_SPEC_ID)
            .with_max_blobs_per_tx(L1_BLOB_PARAMS.max_blobs_per_tx),
        BlockEnv {
            number: U256::from(parent.number.saturating_add(1)),
            beneficiary: config.coinbase,
            timestamp: U256::from(timestamp),
            difficulty: U256::ZERO,
            prevrandao: Some(prev_randao(parent)),
            gas_limit: config.gas_limit,
            basefee: next_base_fee(parent),
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice {
                excess_blob_gas: excess,
                blob_gasprice: blob_base_fee(excess),
            }),
            slot_num: 0,
        },
    )
}

/// The dev chain has no beacon chain: `prevRandao` is derived from the parent hash so it is
/// deterministic and differs per block.
fn prev_randao(parent: &Header) -> B256 {
    keccak256(parent.hash_slow())
}

/// Mines the block after `parent` at `timestamp` from `candidates` (each sender's
/// executable transactions in nonce order).
///
/// Selection: the sender whose next transaction pays the highest tip at this block's base
/// fee goes first; a transaction whose gas limit or blobs do not fit what is left, or whose
/// fee caps are below the block's base fees, ends its sender's turn for this block (later
/// nonces cannot go before it); one that the EVM refuses is reported in `rejected`.
///
/// The block's `parentBeaconBlockRoot` is `parent_beacon_block_root` (EIP-4788).
pub fn mine(
    config: &L1Config,
    parent: &Sealed<Header>,
    parent_state: &MemState,
    timestamp: u64,
    parent_beacon_block_root: B256,
    candidates: Vec<Vec<PoolTx>>,
) -> Result<MinedBlock, BuildError> {
    if timestamp <= parent.timestamp {
        return Err(BuildError::Timestamp {
            timestamp,
            parent: parent.timestamp,
        });
    }
    let env = block_env(config, parent, timestamp);
    let base_fee = env.block_env.basefee;
    let blob_fee = env
        .block_env
        .blob_excess_gas_and_price
        .map_or(1, |b| b.blob_gasprice);
    let excess_blob_gas = next_excess_blob_gas(parent);
    let number = parent.number.saturating_add(1);
    let prev_randao = prev_randao(parent);

    let factory = EthBlockExecutorFactory::new(
        AlloyReceiptBuilder::default(),
        L1Spec,
        EthEvmFactory::default(),
    );
    let mut state = parent_state.clone();
    let mut transactions = Vec::new();
    let mut sidecars = Vec::new();
    let mut rejected = Vec::new();
    let result = {
        let evm = factory.evm_factory().create_evm(&mut state, env);
        let mut executor = factory.create_executor(
            evm,
            EthBlockExecutionCtx {
                parent_hash: parent.hash(),
                parent_beacon_block_root: Some(parent_beacon_block_root),
                ommers: &[],
                withdrawals: Some(Cow::Owned(Vec::new())),
                extra_data: Bytes::new(),
                tx_count_hint: None,
                slot_number: None,
            },
        );
        executor
            .apply_pre_execution_changes()
            .map_err(|e| BuildError::Execution(e.to_string()))?;

        let mut queues: Vec<std::vec::IntoIter<PoolTx>> =
            candidates.into_iter().map(Vec::into_iter).collect();
        let mut heap = BinaryHeap::new();
        let mut heads: Vec<Option<PoolTx>> = Vec::with_capacity(queues.len());
        for (i, q) in queues.iter_mut().enumerate() {
            let head = q.next();
            if let Some(tx) = &head {
                heap.push((tip(tx, base_fee), Reverse(i)));
            }
            heads.push(head);
        }
        let mut gas_left = config.gas_limit;
        let mut blob_gas_left = L1_BLOB_PARAMS.max_blob_gas_per_block();
        while let Some((_, Reverse(i))) = heap.pop() {
            let Some(tx) = heads.get_mut(i).and_then(Option::take) else {
                continue;
            };
            let inner = tx.tx.inner();
            let blobs = blob_gas(tx.blob_count());
            if inner.gas_limit() > gas_left
                || blobs > blob_gas_left
                || inner.max_fee_per_gas() < u128::from(base_fee)
                || inner
                    .max_fee_per_blob_gas()
                    .is_some_and(|cap| cap < blob_fee)
            {
                continue;
            }
            match executor.execute_transaction(&tx.tx) {
                Ok(gas) => {
                    gas_left = gas_left.saturating_sub(gas.tx_gas_used());
                    blob_gas_left -= blobs;
                    if let Some(sidecar) = tx.sidecar.clone() {
                        sidecars.push((tx.hash(), sidecar));
                    }
                    transactions.push(tx.tx);
                    if let Some(next) = queues.get_mut(i).and_then(Iterator::next) {
                        heap.push((tip(&next, base_fee), Reverse(i)));
                        if let Some(slot) = heads.get_mut(i) {
                            *slot = Some(next);
                        }
                    }
                }
                Err(e) => rejected.push((tx.hash(), e.to_string())),
            }
        }
        let (_evm, result) = executor
            .finish()
            .map_err(|e| BuildError::Execution(e.to_string()))?;
        result
    };

    let mut logs_bloom = Bloom::ZERO;
    for r in &result.receipts {
        logs_bloom |= r.bloom();
    }
    let header = Header {
        parent_hash: parent.hash(),
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: config.coinbase,
        state_root: state.state_root(),
        transactions_root: ordered_trie_root_with_encoder(&transactions, |tx, buf| {
            tx.inner().encode_2718(buf)
        }),
        receipts_root: ordered_trie_root_with_encoder(&result.receipts, |r, buf| {
            r.encode_2718(buf)
        }),
        logs_bloom,
        difficulty: U256::ZERO,
        number,
        gas_limit: config.gas_limit,
        gas_used: result.gas_used,
        timestamp,
        extra_data: Bytes::new(),
        mix_hash: prev_randao,
        nonce: B64::ZERO,
        base_fee_per_gas: Some(base_fee),
        withdrawals_root: Some(EMPTY_ROOT_HASH),
        blob_gas_used: Some(result.blob_gas_used),
        excess_blob_gas: Some(excess_blob_gas),
        parent_beacon_block_root: Some(parent_beacon_block_root),
        requests_hash: Some(result.requests.requests_hash()),
        block_access_list_hash: None,
        slot_number: None,
    };
    let header = Sealed::new(header);
    state.push_block_hash(number, header.hash());
    Ok(MinedBlock {
        header,
        transactions,
        receipts: result.receipts,
        sidecars,
        state,
        rejected,
    })
}

/// What `tx` pays its block's producer per gas at `base_fee` (zero if it cannot pay the
/// base fee; such a transaction is skipped when its turn comes).
fn tip(tx: &PoolTx, base_fee: u64) -> u128 {
    tx.tx.inner().effective_tip_per_gas(base_fee).unwrap_or(0)
}
