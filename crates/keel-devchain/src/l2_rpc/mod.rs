//! The L2 chain as an `eth_` backend: OP transaction and receipt envelopes, op-revm calls,
//! the OP base-fee rule, deposits refused by the pool, and op-geth's receipt fields.

mod l1_fee;

use alloy_consensus::{
    Header,
    transaction::{Recovered, SignerRecoverable, TransactionInfo},
};
use alloy_eips::eip2718::Decodable2718;
use alloy_op_evm::spec_by_timestamp_after_bedrock;
use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::{Log, TransactionRequest};
use keel_protocol::hardfork::Hardfork;
use op_alloy_consensus::{
    OpReceiptEnvelope, OpTxEnvelope,
    transaction::{OpDepositInfo, OpTransactionInfo},
};
use revm::primitives::hardfork::SpecId;

pub use l1_fee::{OpReceiptExtra, block_l1_info};

use crate::{
    chain::{Chain, ChainError, Forkchoice},
    executor::{next_base_fee, recover},
    forks::ForkSchedule,
    rpc::{BlockRef, CallOutcome, EthBackend, EthError},
    state::MemState,
};

impl EthBackend for Chain {
    type Tx = OpTxEnvelope;
    type Stored = OpTxEnvelope;
    type Receipt = OpReceiptEnvelope;
    type RpcTx = op_alloy_rpc_types::Transaction;
    type RpcReceiptInner = OpReceiptEnvelope<Log>;
    type ReceiptExtra = OpReceiptExtra;

    fn chain_id(&self) -> u64 {
        self.rollup_config().l2_chain_id
    }

    fn forkchoice(&self) -> Forkchoice {
        Chain::forkchoice(self)
    }

    fn canonical_hash(&self, number: u64) -> Option<B256> {
        Chain::canonical_hash(self, number)
    }

    fn block(&self, hash: &B256) -> Option<BlockRef<'_, OpTxEnvelope, OpReceiptEnvelope>> {
        self.block_by_hash(hash).map(|b| BlockRef {
            header: &b.header,
            transactions: &b.transactions,
            receipts: &b.receipts,
        })
    }

    fn transaction_location(&self, hash: &B256) -> Option<(B256, usize)> {
        Chain::transaction_location(self, hash)
    }

    fn state(&self, hash: &B256) -> Option<&MemState> {
        self.state_at(hash)
    }

    fn sender(&self, tx: &OpTxEnvelope) -> Option<Address> {
        recover(tx)
    }

    fn pool(&self) -> &[Recovered<OpTxEnvelope>] {
        Chain::pool(self)
    }

    fn decode_raw(&self, raw: &[u8]) -> Result<Recovered<OpTxEnvelope>, EthError> {
        let tx =
            OpTxEnvelope::decode_2718_exact(raw).map_err(|e| EthError::Decode(e.to_string()))?;
        // op-geth's pool: deposits only enter through the L1-derived payload attributes.
        if tx.is_deposit() {
            return Err(EthError::TxTypeNotSupported);
        }
        let signer = tx
            .recover_signer()
            .map_err(|e| EthError::InvalidSender(e.to_string()))?;
        Ok(Recovered::new_unchecked(tx, signer))
    }

    fn extra_cost(&self, tx: &Recovered<OpTxEnvelope>) -> U256 {
        let Some(head) = self.head() else {
            return U256::ZERO;
        };
        let Some(mut info) = block_l1_info(&head.header, &head.transactions) else {
            return U256::ZERO;
        };
        let spec = spec_by_timestamp_after_bedrock(
            ForkSchedule::new(self.rollup_config()),
            head.header.timestamp,
        );
        let raw = alloy_eips::eip2718::Encodable2718::encoded_2718(tx.inner());
        info.tx_cost(
            &raw,
            U256::from(alloy_consensus::Transaction::gas_limit(tx.inner())),
            spec,
        )
    }

    fn submit(
        &mut self,
        tx: Recovered<OpTxEnvelope>,
        replaces: Option<B256>,
    ) -> Result<(), EthError> {
        let result = match replaces {
            Some(old) => self.replace_in_pool(&old, tx),
            None => self.add_to_pool(tx),
        };
        result.map_err(|e| match e {
            ChainError::PoolFull(_) => EthError::PoolFull,
            other => EthError::Internal(other.to_string()),
        })
    }

    fn spec(&self, timestamp: u64) -> SpecId {
        spec_by_timestamp_after_bedrock(ForkSchedule::new(self.rollup_config()), timestamp)
            .into_eth_spec()
    }

    fn next_base_fee(&self, parent: &Header) -> u64 {
        let cfg = self.rollup_config();
        let timestamp = parent.timestamp.saturating_add(cfg.block_time);
        // A parent whose extraData does not decode cannot have a child: report its own fee.
        next_base_fee(cfg, parent, timestamp)
            .unwrap_or_else(|_| parent.base_fee_per_gas.unwrap_or_default())
    }

    fn blob_base_fee(&self, header: &Header) -> u128 {
        // OP blocks carry no blobs: from Ecotone the excess is 0, so the fee is the minimum
        // (Spec: protocol/ecotone/exec-engine.md), as the executor's block environment has.
        if self
            .rollup_config()
            .is_active(Hardfork::Ecotone, header.timestamp)
        {
            1
        } else {
            0
        }
    }

    fn call(
        &self,
        at: &B256,
        request: &TransactionRequest,
        gas_limit: u64,
    ) -> Result<CallOutcome, EthError> {
        crate::call::call(self, at, request, gas_limit)
    }

    fn rpc_transaction(
        &self,
        tx: Recovered<OpTxEnvelope>,
        info: TransactionInfo,
        receipt: Option<&OpReceiptEnvelope>,
    ) -> op_alloy_rpc_types::Transaction {
        let deposit = OpDepositInfo {
            deposit_nonce: receipt.and_then(OpReceiptEnvelope::deposit_nonce),
            deposit_receipt_version: receipt.and_then(OpReceiptEnvelope::deposit_receipt_version),
        };
        op_alloy_rpc_types::Transaction::from_transaction(tx, OpTransactionInfo::new(info, deposit))
    }

    fn rpc_receipt_inner(
        &self,
        receipt: &OpReceiptEnvelope,
        logs: Vec<Log>,
    ) -> OpReceiptEnvelope<Log> {
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
        block: BlockRef<'_, OpTxEnvelope, OpReceiptEnvelope>,
        index: usize,
    ) -> OpReceiptExtra {
        l1_fee::receipt_extra(self, block, index)
    }

    fn contract_address(
        &self,
        tx: &OpTxEnvelope,
        from: Address,
        receipt: &OpReceiptEnvelope,
    ) -> Option<Address> {
        use alloy_consensus::Transaction;
        if !tx.kind().is_create() {
            return None;
        }
        // A deposit's nonce is not in the transaction: the receipt records it (Regolith).
        let nonce = if tx.is_deposit() {
            receipt.deposit_nonce()?
        } else {
            tx.nonce()
        };
        Some(from.create(nonce))
    }
}
