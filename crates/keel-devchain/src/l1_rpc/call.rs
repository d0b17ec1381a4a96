//! Read-only execution for `eth_call` / `eth_estimateGas` on the L1 dev chain: one
//! transaction request run by revm (through alloy-evm's Ethereum EVM factory, as the block
//! builder does) on a block's post-state, in that block's environment, nothing committed.
//!
//! As geth for RPC calls: no nonce check, and a request without any fee runs with a zero
//! base fee (geth's `NoBaseFee` rule), so calls from unfunded accounts work.

use std::convert::Infallible;

use alloy_evm::{EthEvmFactory, Evm, EvmEnv, EvmFactory, rpc::TryIntoTxEnv};
use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::TransactionRequest;
use revm::{
    DatabaseRef,
    bytecode::Bytecode,
    context::{BlockEnv, CfgEnv, TxEnv, result::EVMError},
    context_interface::{
        block::BlobExcessGasAndPrice,
        result::{ExecutionResult, HaltReason, InvalidTransaction},
    },
    database_interface::WrapDatabaseRef,
    primitives::{StorageKey, StorageValue},
    state::AccountInfo,
};

use crate::{
    l1::{
        L1Chain,
        builder::blob_base_fee,
        spec::{L1_BLOB_PARAMS, L1_SPEC_ID},
    },
    rpc::{CallOutcome, EthError},
    state::MemState,
};

/// A read-only view of a post-state, with the chain for `BLOCKHASH`.
#[derive(Debug)]
struct ReadOnly<'a> {
    state: &'a MemState,
    chain: &'a L1Chain,
}

impl DatabaseRef for ReadOnly<'_> {
    type Error = Infallible;

    fn basic_ref(&self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.state.account(&address).map(|a| {
            AccountInfo::new(
                a.balance,
                a.nonce,
                a.code_hash,
                Bytecode::new_raw(a.code.clone()),
            )
        }))
    }

    fn code_by_hash_ref(&self, _code_hash: B256) -> Result<Bytecode, Self::Error> {
        // Accounts are served with their code, so the EVM never looks code up by hash.
        Ok(Bytecode::default())
    }

    fn storage_ref(
        &self,
        address: Address,
        index: StorageKey,
    ) -> Result<StorageValue, Self::Error> {
        Ok(self.state.storage(&address, index))
    }

    fn block_hash_ref(&self, number: u64) -> Result<B256, Self::Error> {
        Ok(self
            .chain
            .block_by_number(number)
            .map(|b| b.hash())
            .unwrap_or_default())
    }
}

/// Runs `request` with `gas_limit` on the post-state of block `at`, in its environment.
pub(crate) fn call(
    chain: &L1Chain,
    at: &B256,
    request: &TransactionRequest,
    gas_limit: u64,
) -> Result<CallOutcome, EthError> {
    let block = chain.block_by_hash(at).ok_or(EthError::HeaderNotFound)?;
    let header = &block.header;
    let state = chain
        .state_at(header.number)
        .map_err(|_| EthError::StateUnavailable {
            number: header.number,
            hash: *at,
        })?;
    let no_fee = [
        request.gas_price,
        request.max_fee_per_gas,
        request.max_priority_fee_per_gas,
    ]
    .iter()
    .all(|f| f.unwrap_or_default() == 0);
    let mut cfg = CfgEnv::new()
        .with_chain_id(chain.chain_id())
        .with_spec_and_mainnet_gas_params(L1_SPEC_ID)
        .with_max_blobs_per_tx(L1_BLOB_PARAMS.max_blobs_per_tx);
    cfg.disable_nonce_check = true;
    let excess = header.excess_blob_gas.unwrap_or_default();
    let env = EvmEnv::new(
        cfg,
        BlockEnv {
            number: U256::from(header.number),
            beneficiary: header.beneficiary,
            timestamp: U256::from(header.timestamp),
            difficulty: U256::ZERO,
            prevrandao: Some(header.mix_hash),
            gas_limit: header.gas_limit,
            basefee: if no_fee {
                0
            } else {
                header.base_fee_per_gas.unwrap_or_default()
            },
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice {
                excess_blob_gas: excess,
                blob_gasprice: blob_base_fee(excess),
            }),
            slot_num: 0,
        },
    );
    let mut request = request.clone();
    request.gas = Some(gas_limit);
    let tx: TxEnv = request
        .try_into_tx_env(&env)
        .map_err(|e| EthError::InvalidParams(e.to_string()))?;
    let db = WrapDatabaseRef(ReadOnly { state, chain });
    let mut evm = EthEvmFactory::default().create_evm(db, env);
    match evm.transact(tx) {
        Ok(out) => Ok(outcome(out.result)),
        Err(EVMError::Transaction(e)) => Err(EthError::Execution(tx_error_message(&e))),
        Err(e) => Err(EthError::Internal(e.to_string())),
    }
}

fn outcome(result: ExecutionResult<HaltReason>) -> CallOutcome {
    let gas_used = result.tx_gas_used();
    match result {
        ExecutionResult::Success { output, .. } => CallOutcome::Success {
            gas_used,
            output: output.into_data(),
        },
        ExecutionResult::Revert { output, .. } => CallOutcome::Revert { gas_used, output },
        ExecutionResult::Halt { reason, .. } => CallOutcome::Halt {
            gas_used,
            reason: halt_message(&reason),
        },
    }
}

/// geth's `vm` error texts for the halts a user meets most (the estimator matches on
/// `out of gas`).
fn halt_message(reason: &HaltReason) -> String {
    match reason {
        HaltReason::OutOfGas(_) => "out of gas".into(),
        HaltReason::OpcodeNotFound | HaltReason::InvalidFEOpcode => "invalid opcode".into(),
        HaltReason::InvalidJump => "invalid jump destination".into(),
        HaltReason::StackUnderflow => "stack underflow".into(),
        HaltReason::StackOverflow => "stack limit reached 1024".into(),
        other => format!("{other:?}"),
    }
}

/// geth's `core` error texts for a call that cannot start.
fn tx_error_message(e: &InvalidTransaction) -> String {
    match e {
        InvalidTransaction::LackOfFundForMaxFee { fee, balance } => {
            format!("insufficient funds for gas * price + value: have {balance} want {fee}")
        }
        InvalidTransaction::CallGasCostMoreThanGasLimit {
            initial_gas,
            gas_limit,
        } => format!("intrinsic gas too low: have {gas_limit}, want {initial_gas}"),
        InvalidTransaction::GasFloorMoreThanGasLimit {
            gas_floor,
            gas_limit,
        } => {
            format!("insufficient gas for floor data gas cost: have {gas_limit}, want {gas_floor}")
        }
        InvalidTransaction::GasPriceLessThanBasefee => {
            "max fee per gas less than block base fee".into()
        }
        other => other.to_string(),
    }
}
