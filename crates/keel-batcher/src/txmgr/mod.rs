//! The transaction manager's decisions, sans-IO: fee caps for new and replacement
//! transactions ([`fees`]), and each transaction's publish / wait / bump / confirm / abort
//! state machine with nonce tracking ([`send`]). The service does the signing and the RPC.

pub mod fees;
pub mod send;

pub use fees::{FeeConfig, FeeError, FeeQuote, TxFees};
pub use send::{
    AbortReason, NonceTracker, PublishResult, SendConfig, SendDecision, SendState,
    classify_send_error,
};
