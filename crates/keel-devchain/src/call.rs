//! Read-only execution for `eth_call` / `eth_estimateGas` on the L2 chain: one transaction
//! request run by op-revm (through alloy-op-evm's EVM factory, as the block executor does)
//! on a block's post-state, in that block's environment, nothing committed.
//!
//! As op-geth for RPC calls: no nonce check; a request without any fee runs with a zero
//! base fee (geth's `NoBaseFee` rule, so calls from unfunded accounts work); and no L1 data
//! fee or operator fee is charged (op-geth charges them only to included transactions: the
//! call carries no rollup cost data, which op-revm reads as an empty enveloped transaction).

use std::convert::Infallible;

use alloy_evm::{Evm, EvmEnv, EvmFactory, rpc::TryIntoTxEnv};
use alloy_op_evm::{OpEvmFactory, OpTx, spec_by_timestamp_after_bedrock};
use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_rpc_types_eth::TransactionRequest;
use keel_protocol::hardfork::Hardfork;
use op_revm::{OpHaltReason, OpTransaction, OpTransactionError};
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
    chain::Chain,
    forks::ForkSchedule,
    rpc::{CallOutcome, EthError},
    state::MemState,
};

/// A read-only view of a post-state, with the canonical chain for `BLOCKHASH`.
#[derive(Debug)]
struct ReadOnly<'a> {
    state: &'a MemState,
    chain: &'a Chain,
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
            .map(|b| b.header.hash())
            .unwrap_or_default())
    }
}

/// Runs `request` with `gas_limit` on the post-state of block `at`, in block `at`'s
/// environment.
pub fn call(
    chain: &Chain,
    at: &B256,
    request: &TransactionRequest,
    gas_limit: u64,
) -> Result<CallOutcome, EthError> {
    let block = chain.block_by_hash(at).ok_or(EthError::HeaderNotFound)?;
    let header = &block.header;
    let state = chain.state_at(at).ok_or(EthError::StateUnavailable {
        number: header.number,
        hash: *at,
    })?;
    let cfg = chain.rollup_config();
    let ts = header.timestamp;
    let forks = ForkSchedule::new(cfg);
    let no_fee = [
        request.gas_price,
        request.max_fee_per_gas,
        request.max_priority_fee_per_gas,
    ]
    .iter()
    .all(|f| f.unwrap_or_default() == 0);
    let mut cfg_env = CfgEnv::new()
        .with_chain_id(cfg.l2_chain_id)
        .with_spec_and_mainnet_gas_params(spec_by_timestamp_after_bedrock(forks, ts));
    cfg_env.disable_nonce_check = true;
    // As geth's eth_call / eth_estimateGas: a call may come "from" a contract (a wallet
    // simulating a Safe, say); EIP-3607 only binds signed transactions.
    cfg_env.disable_eip3607 = true;
    let env = EvmEnv::new(
        cfg_env,
        BlockEnv {
            number: U256::from(header.number),
            beneficiary: header.beneficiary,
            timestamp: U256::from(ts),
            difficulty: U256::ZERO,
            prevrandao: Some(header.mix_hash),
            gas_limit: header.gas_limit,
            basefee: if no_fee {
                0
            } else {
                header.base_fee_per_gas.unwrap_or_default()
            },
            // As the block executor: no blobs on OP chains, the minimum blob fee.
            blob_excess_gas_and_price: cfg.is_active(Hardfork::Ecotone, ts).then_some(
                BlobExcessGasAndPrice {
                    excess_blob_gas: 0,
                    blob_gasprice: 1,
                },
            ),
            slot_num: 0,
        },
    );
    let mut request = request.clone();
    request.gas = Some(gas_limit);
    let base: TxEnv = request
        .try_into_tx_env(&env)
        .map_err(|e| EthError::InvalidParams(e.to_string()))?;
    let tx = OpTx(OpTransaction {
        base,
        // Empty: no L1 data fee and no operator fee for a call (see the module docs).
        enveloped_tx: Some(Bytes::new()),
        deposit: Default::default(),
    });
    let db = WrapDatabaseRef(ReadOnly { state, chain });
    let mut evm = OpEvmFactory::<OpTx>::default().create_evm(db, env);
    match evm.transact(tx) {
        Ok(out) => Ok(outcome(out.result)),
        Err(EVMError::Transaction(e)) => Err(EthError::Execution(tx_error_message(&e.0))),
        Err(e) => Err(EthError::Internal(e.to_string())),
    }
}

fn outcome(result: ExecutionResult<OpHaltReason>) -> CallOutcome {
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

/// geth's `vm` error texts for the halts a user meets most.
fn halt_message(reason: &OpHaltReason) -> String {
    match reason {
        OpHaltReason::Base(HaltReason::OutOfGas(_)) => "out of gas".into(),
        OpHaltReason::Base(HaltReason::OpcodeNotFound | HaltReason::InvalidFEOpcode) => {
            "invalid opcode".into()
        }
        OpHaltReason::Base(HaltReason::InvalidJump) => "invalid jump destination".into(),
        OpHaltReason::Base(HaltReason::StackUnderflow) => "stack underflow".into(),
        OpHaltReason::Base(HaltReason::StackOverflow) => "stack limit reached 1024".into(),
        other => format!("{other:?}"),
    }
}

/// geth's `core` error texts for a call that cannot start.
fn tx_error_message(e: &OpTransactionError) -> String {
    match e {
        OpTransactionError::Base(InvalidTransaction::LackOfFundForMaxFee { fee, balance }) => {
            format!("insufficient funds for gas * price + value: have {balance} want {fee}")
        }
        OpTransactionError::Base(InvalidTransaction::CallGasCostMoreThanGasLimit {
            initial_gas,
            gas_limit,
        }) => format!("intrinsic gas too low: have {gas_limit}, want {initial_gas}"),
        OpTransactionError::Base(InvalidTransaction::GasFloorMoreThanGasLimit {
            gas_floor,
            gas_limit,
        }) => {
            format!("insufficient gas for floor data gas cost: have {gas_limit}, want {gas_floor}")
        }
        OpTransactionError::Base(InvalidTransaction::GasPriceLessThanBasefee) => {
            "max fee per gas less than block base fee".into()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use alloy_rpc_types_eth::TransactionRequest;
    use keel_protocol::{
        hardfork::{Hardfork, HardforkTimes},
        rollup_config::RollupConfig,
    };

    use super::*;
    use crate::{
        chain::{Chain, ChainConfig},
        genesis::{DevGenesisConfig, L1_BLOCK, build_genesis, dev_accounts},
    };

    #[test]
    fn a_call_may_come_from_a_contract_address() {
        let mut cfg = RollupConfig {
            l2_chain_id: 901,
            hardforks: HardforkTimes::all_through(Hardfork::Jovian),
            ..RollupConfig::default()
        };
        cfg.genesis.l2_time = 1_700_000_000;
        cfg.genesis.system_config.gas_limit = 30_000_000;
        cfg.genesis.system_config.set_eip1559_params(250, 6);
        let genesis = build_genesis(&DevGenesisConfig::from_rollup_config(&cfg)).unwrap();
        let head = genesis.header.hash();
        let chain = Chain::new(cfg, genesis, ChainConfig::default());
        assert!(!chain.state_at(&head).unwrap().code(&L1_BLOCK).is_empty());
        let request = TransactionRequest::default()
            .from(L1_BLOCK)
            .to(dev_accounts().unwrap()[0]);
        let out = call(&chain, &head, &request, 100_000).unwrap();
        assert!(
            matches!(out, CallOutcome::Success { .. }),
            "call from a contract: {out:?}"
        );
    }
}
