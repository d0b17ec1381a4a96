//! The `eth_` API's errors, with geth's messages and codes (tools match on the text).

use alloy_primitives::{B256, Bytes, U256};
use jsonrpsee::types::ErrorObjectOwned;

/// geth's code for state, pool and execution errors.
pub const SERVER_ERROR: i32 = -32000;
/// geth's code for a reverted call (with the revert data).
pub const EXECUTION_REVERTED: i32 = 3;
/// Invalid method parameters.
pub const INVALID_PARAMS: i32 = -32602;
/// Internal error.
pub const INTERNAL: i32 = -32603;
/// A query that would return too much (reth's / Infura's code for limits).
pub const LIMIT_EXCEEDED: i32 = -32005;

/// Why an `eth_` request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EthError {
    /// A parameter does not parse or is out of range.
    #[error("{0}")]
    InvalidParams(String),
    /// No block for the given number, tag or hash.
    #[error("header not found")]
    HeaderNotFound,
    /// An EIP-1898 `requireCanonical` block that is not canonical.
    #[error("hash {0} is not currently canonical")]
    NotCanonical(B256),
    /// The block is known but its post-state is not kept (op-geth: `missing trie node`).
    #[error("missing trie node: state of block {number} ({hash}) is not available")]
    StateUnavailable {
        /// Block number.
        number: u64,
        /// Block hash.
        hash: B256,
    },
    /// A raw transaction that does not decode.
    #[error("{0}")]
    Decode(String),
    /// A transaction type the pool does not take (deposits).
    #[error("transaction type not supported")]
    TxTypeNotSupported,
    /// A legacy transaction without EIP-155 replay protection.
    #[error("only replay-protected (EIP-155) transactions allowed over RPC")]
    Unprotected,
    /// The signature does not recover.
    #[error("invalid sender: {0}")]
    InvalidSender(String),
    /// The transaction is signed for another chain.
    #[error("invalid sender: invalid chain id for signer: have {have} want {want}")]
    WrongChainId {
        /// The transaction's chain id.
        have: u64,
        /// The chain's.
        want: u64,
    },
    /// Larger than the pool takes.
    #[error("oversized data: transaction size {size}, limit {limit}")]
    Oversized {
        /// Encoded size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Gas limit above the block's.
    #[error("exceeds block gas limit")]
    GasLimit,
    /// `maxPriorityFeePerGas > maxFeePerGas`.
    #[error("max priority fee per gas higher than max fee per gas")]
    TipAboveFeeCap,
    /// Gas limit below the intrinsic gas.
    #[error("intrinsic gas too low: gas {gas}, minimum needed {needed}")]
    IntrinsicGas {
        /// The transaction's gas limit.
        gas: u64,
        /// Its intrinsic gas.
        needed: u64,
    },
    /// Gas limit below the EIP-7623 calldata floor.
    #[error("insufficient gas for floor data gas cost: gas {gas}, minimum needed {needed}")]
    FloorDataGas {
        /// The transaction's gas limit.
        gas: u64,
        /// The floor.
        needed: u64,
    },
    /// Nonce below the sender's account nonce.
    #[error("nonce too low: next nonce {next}, tx nonce {nonce}")]
    NonceTooLow {
        /// The account's nonce.
        next: u64,
        /// The transaction's.
        nonce: u64,
    },
    /// Balance below `gas × maxFee + value` (+ the L1 fee on OP).
    #[error(
        "insufficient funds for gas * price + value: balance {balance}, tx cost {cost}, overshot {overshot}"
    )]
    InsufficientFunds {
        /// Sender balance.
        balance: U256,
        /// The most the transaction can cost.
        cost: U256,
        /// `cost - balance`.
        overshot: U256,
    },
    /// The same transaction is pooled already.
    #[error("already known")]
    AlreadyKnown,
    /// A same-nonce replacement without the required fee bump.
    #[error("replacement transaction underpriced")]
    ReplaceUnderpriced,
    /// The pool is full.
    #[error("txpool is full")]
    PoolFull,
    /// A call reverted (code 3, the revert data as `data`).
    #[error("execution reverted")]
    Reverted(Bytes),
    /// A call could not run or halted (geth's core errors: `out of gas`, `insufficient
    /// funds for transfer`, ...).
    #[error("{0}")]
    Execution(String),
    /// `eth_estimateGas` found no gas limit that works.
    #[error("gas required exceeds allowance ({0})")]
    GasAllowance(u64),
    /// A log query over too many blocks.
    #[error("query exceeds max block range {0}")]
    BlockRange(u64),
    /// A log query whose `fromBlock` is after its `toBlock`.
    #[error("invalid block range params")]
    InvalidBlockRange,
    /// A log query returning more logs than the limit.
    #[error("query returned more than {0} results")]
    TooManyLogs(usize),
    /// A bug or an inconsistent chain.
    #[error("internal error: {0}")]
    Internal(String),
}

impl EthError {
    /// The JSON-RPC error code geth answers with.
    pub const fn code(&self) -> i32 {
        match self {
            Self::InvalidParams(_) => INVALID_PARAMS,
            Self::Reverted(_) => EXECUTION_REVERTED,
            Self::BlockRange(_) | Self::TooManyLogs(_) => LIMIT_EXCEEDED,
            Self::Internal(_) => INTERNAL,
            _ => SERVER_ERROR,
        }
    }
}

impl From<EthError> for ErrorObjectOwned {
    fn from(e: EthError) -> Self {
        match &e {
            EthError::Reverted(data) => {
                ErrorObjectOwned::owned(e.code(), revert_message(data), Some(data.clone()))
            }
            _ => ErrorObjectOwned::owned(e.code(), e.to_string(), None::<()>),
        }
    }
}

/// geth's message for a revert: `execution reverted`, with the `Error(string)` reason
/// appended when the data carries one.
fn revert_message(data: &Bytes) -> String {
    use alloy_sol_types::{Revert, SolError};
    match Revert::abi_decode(data) {
        Ok(r) => format!("execution reverted: {}", r.reason),
        Err(_) => "execution reverted".into(),
    }
}
