//! Read-only execution on the L1 dev chain (`eth_call`, `eth_estimateGas`) and fee
//! suggestions (`eth_gasPrice`, `eth_maxPriorityFeePerGas`, `eth_blobBaseFee`).

use alloy_evm::{EthEvmFactory, Evm, EvmFactory};
use alloy_primitives::{Address, Bytes, Log, TxKind, U256};
use alloy_rpc_types_eth::TransactionRequest;
use revm::{
    context::{BlockEnv, CfgEnv, TxEnv},
    context_interface::{block::BlobExcessGasAndPrice, result::ExecutionResult},
};

use super::{
    builder::{blob_base_fee, next_base_fee, next_excess_blob_gas},
    chain::{L1Block, L1Chain, L1ChainError},
    spec::{L1_BLOB_PARAMS, L1_SPEC_ID},
};

/// Priority fee suggested on the idle dev chain: 1 gwei, geth's gas price oracle default
/// when recent blocks give no sample.
pub const SUGGESTED_PRIORITY_FEE: u128 = 1_000_000_000;

/// What a read-only call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    /// Whether it succeeded (neither reverted nor halted).
    pub success: bool,
    /// Return data, or revert data.
    pub output: Bytes,
    /// Gas used (after refunds).
    pub gas_used: u64,
    /// Logs emitted (empty unless successful).
    pub logs: Vec<Log>,
    /// The halt reason, when it halted.
    pub halt: Option<String>,
}

impl L1Chain {
    /// Runs `request` against the post-state of block `number` with that block's
    /// environment, without committing anything (`eth_call`).
    ///
    /// As geth's `eth_call`: the sender defaults to the zero address, the gas to the block
    /// gas limit, the gas price to zero (so no balance is needed for gas, and the block's
    /// base fee is taken as zero), and the nonce is not checked.
    pub fn call(
        &self,
        request: &TransactionRequest,
        number: u64,
    ) -> Result<CallOutcome, L1ChainError> {
        let block = self
            .block_by_number(number)
            .ok_or_else(|| L1ChainError::UnknownBlock(number.to_string()))?;
        let gas = request.gas.unwrap_or(self.config().gas_limit);
        self.run(request, block, gas)
    }

    /// The gas `request` needs on the post-state of block `number` (`eth_estimateGas`): the
    /// smallest gas limit with which it succeeds, found by bisection between its gas used
    /// and the cap (`request.gas` or the block gas limit), as geth does.
    pub fn estimate_gas(
        &self,
        request: &TransactionRequest,
        number: u64,
    ) -> Result<u64, L1ChainError> {
        let block = self
            .block_by_number(number)
            .ok_or_else(|| L1ChainError::UnknownBlock(number.to_string()))?;
        let cap = request.gas.unwrap_or(self.config().gas_limit);
        let first = self.run(request, block, cap)?;
        if !first.success {
            return Err(match first.halt {
                Some(h) => L1ChainError::Halted(h),
                None => L1ChainError::Reverted(first.output),
            });
        }
        // Gas used is a lower bound (refunds aside); the limit may need more (63/64 rule).
        let mut lo = first.gas_used.saturating_sub(1);
        let mut hi = cap;
        while lo.saturating_add(1) < hi {
            let mid = lo + (hi - lo) / 2;
            match self.run(request, block, mid) {
                Ok(o) if o.success => hi = mid,
                _ => lo = mid,
            }
        }
        Ok(hi)
    }

    fn run(
        &self,
        request: &TransactionRequest,
        block: &L1Block,
        gas: u64,
    ) -> Result<CallOutcome, L1ChainError> {
        let header = &block.header;
        // A copy, because revm's `Database` reads through `&mut`; a dev chain's state is small.
        let mut state = self.state_at(header.number)?.clone();
        let excess = header.excess_blob_gas.unwrap_or(0);
        let mut cfg = CfgEnv::new()
            .with_chain_id(self.chain_id())
            .with_spec_and_mainnet_gas_params(L1_SPEC_ID)
            .with_max_blobs_per_tx(L1_BLOB_PARAMS.max_blobs_per_tx);
        cfg.disable_nonce_check = true;
        // As geth's eth_call / eth_estimateGas: a call may come "from" a contract (a wallet
        // simulating a Safe, say); EIP-3607 only binds signed transactions.
        cfg.disable_eip3607 = true;
        // geth's `eth_call` skips the base-fee check when no fee is given; revm's switch for
        // that is behind a feature, so the call's block gets a zero base fee instead.
        let priced = request.gas_price.is_some() || request.max_fee_per_gas.is_some();
        let block_env = BlockEnv {
            number: U256::from(header.number),
            beneficiary: header.beneficiary,
            timestamp: U256::from(header.timestamp),
            difficulty: U256::ZERO,
            prevrandao: Some(header.mix_hash),
            gas_limit: header.gas_limit,
            basefee: if priced {
                header.base_fee_per_gas.unwrap_or(0)
            } else {
                0
            },
            blob_excess_gas_and_price: Some(BlobExcessGasAndPrice {
                excess_blob_gas: excess,
                blob_gasprice: blob_base_fee(excess),
            }),
            slot_num: 0,
        };
        let caller = request.from.unwrap_or(Address::ZERO);
        let mut tx = TxEnv {
            caller,
            kind: request.to.unwrap_or(TxKind::Create),
            data: request.input.input().cloned().unwrap_or_default(),
            value: request.value.unwrap_or_default(),
            gas_limit: gas,
            nonce: state.nonce(&caller),
            chain_id: Some(self.chain_id()),
            access_list: request.access_list.clone().unwrap_or_default(),
            ..Default::default()
        };
        if let Some(hashes) = &request.blob_versioned_hashes {
            tx.tx_type = 3;
            tx.blob_hashes = hashes.clone();
            tx.max_fee_per_blob_gas = request.max_fee_per_blob_gas.unwrap_or(0);
        }
        if let Some(max_fee) = request.max_fee_per_gas {
            tx.tx_type = tx.tx_type.max(2);
            tx.gas_price = max_fee;
            tx.gas_priority_fee = Some(request.max_priority_fee_per_gas.unwrap_or(0));
        } else if let Some(price) = request.gas_price {
            tx.tx_type = if request.access_list.is_some() { 1 } else { 0 };
            tx.gas_price = price;
        } else if tx.tx_type == 0 && request.access_list.is_some() {
            tx.tx_type = 1;
        }
        let mut evm =
            EthEvmFactory::default().create_evm(&mut state, alloy_evm::EvmEnv::new(cfg, block_env));
        let out = evm
            .transact_raw(tx)
            .map_err(|e| L1ChainError::Call(e.to_string()))?;
        Ok(match out.result {
            ExecutionResult::Success {
                gas, logs, output, ..
            } => CallOutcome {
                success: true,
                output: output.into_data(),
                gas_used: gas.tx_gas_used(),
                logs,
                halt: None,
            },
            ExecutionResult::Revert { gas, output, .. } => CallOutcome {
                success: false,
                output,
                gas_used: gas.tx_gas_used(),
                logs: Vec::new(),
                halt: None,
            },
            ExecutionResult::Halt { reason, gas, .. } => CallOutcome {
                success: false,
                output: Bytes::new(),
                gas_used: gas.tx_gas_used(),
                logs: Vec::new(),
                halt: Some(format!("{reason:?}")),
            },
        })
    }

    /// Base fee of the next block (what `eth_gasPrice` builds on).
    pub fn next_base_fee(&self) -> u64 {
        next_base_fee(&self.head().header)
    }

    /// Blob base fee of the next block (`eth_blobBaseFee`).
    pub fn next_blob_base_fee(&self) -> u128 {
        blob_base_fee(next_excess_blob_gas(&self.head().header))
    }

    /// Suggested priority fee (`eth_maxPriorityFeePerGas`).
    pub fn suggested_priority_fee(&self) -> u128 {
        SUGGESTED_PRIORITY_FEE
    }

    /// Suggested legacy gas price (`eth_gasPrice`): next base fee plus the suggested tip.
    pub fn gas_price(&self) -> u128 {
        u128::from(self.next_base_fee()) + SUGGESTED_PRIORITY_FEE
    }
}
