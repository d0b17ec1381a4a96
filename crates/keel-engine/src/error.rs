//! The crate's error and its class.
//!
//! Spec: Engine API error codes from execution-apis `src/engine/common.md#errors`
//! (-38001 unknown payload, -38002 invalid forkchoice state, -38003 invalid payload
//! attributes, -38005 unsupported fork); classes as op-node's engine controller applies them.

use alloy_primitives::B256;
pub use keel_derive::error::ErrorClass;
use keel_derive::l2::L2BlockError;

use crate::version::EngineMethod;

/// JSON-RPC code: the payload id is unknown (expired or never started).
pub const UNKNOWN_PAYLOAD: i64 = -38001;
/// JSON-RPC code: the forkchoice state is inconsistent.
pub const INVALID_FORKCHOICE_STATE: i64 = -38002;
/// JSON-RPC code: the payload attributes are invalid.
pub const INVALID_PAYLOAD_ATTRIBUTES: i64 = -38003;
/// JSON-RPC code: too many payloads requested.
pub const TOO_LARGE_REQUEST: i64 = -38004;
/// JSON-RPC code: the method version does not match the payload's fork.
pub const UNSUPPORTED_FORK: i64 = -38005;
/// JSON-RPC code: the method does not exist.
pub const METHOD_NOT_FOUND: i64 = -32601;

/// Everything that can go wrong between Keel and the execution engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The request did not get an HTTP answer (connection refused, timeout, reset).
    #[error("{method}: transport: {reason}")]
    Transport {
        /// The method called.
        method: &'static str,
        /// What the HTTP stack said.
        reason: String,
    },
    /// The engine refused the JWT (HTTP 401/403): the secret differs from the engine's.
    #[error("{method}: engine refused the JWT (HTTP {status})")]
    Unauthorized {
        /// The method called.
        method: &'static str,
        /// HTTP status.
        status: u16,
    },
    /// A non-success HTTP status other than an auth failure.
    #[error("{method}: HTTP {status}")]
    HttpStatus {
        /// The method called.
        method: &'static str,
        /// HTTP status.
        status: u16,
    },
    /// The response body exceeded the client's bound.
    #[error("{method}: response of more than {limit} bytes")]
    ResponseTooLarge {
        /// The method called.
        method: &'static str,
        /// The bound.
        limit: usize,
    },
    /// The answer is not the JSON the method promises.
    #[error("{method}: malformed response: {reason}")]
    MalformedResponse {
        /// The method called.
        method: &'static str,
        /// The decoding error.
        reason: String,
    },
    /// A JSON-RPC error object.
    #[error("{method}: JSON-RPC error {code}: {message}")]
    Rpc {
        /// The method called.
        method: &'static str,
        /// The error code.
        code: i64,
        /// The error message.
        message: String,
    },
    /// The JWT could not be signed.
    #[error("JWT: {0}")]
    Jwt(String),
    /// A payload the engine built, or a block it holds, does not yield a block reference.
    #[error("L2 block: {0}")]
    Block(#[from] L2BlockError),
    /// A payload's transactions or header do not decode into a block.
    #[error("payload {hash}: {reason}")]
    BadPayload {
        /// The payload's block hash.
        hash: B256,
        /// Why.
        reason: String,
    },
    /// The engine has no block at a height below our unsafe head: it restarted or lost data.
    #[error("engine has no block {number} to consolidate against")]
    MissingUnsafeBlock {
        /// Height.
        number: u64,
    },
    /// A forkchoice update was answered INVALID: the heads we hold are not a valid chain.
    #[error("forkchoice update to {head} rejected: {validation_error}")]
    ForkchoiceInvalid {
        /// The requested head.
        head: B256,
        /// The engine's reason.
        validation_error: String,
    },
    /// A block built from deposits only was rejected: nothing can replace it.
    #[error("deposits-only block on {parent} rejected: {reason}")]
    DepositsOnlyInvalid {
        /// The parent hash.
        parent: B256,
        /// The engine's reason.
        reason: String,
    },
    /// The engine answered with a status the method does not allow there (e.g. SYNCING to a
    /// build request, or no payload id).
    #[error("{method}: unexpected answer: {detail}")]
    Unexpected {
        /// The method.
        method: &'static str,
        /// What came.
        detail: String,
    },
    /// Derived attributes do not build on the pending-safe head: the pipeline and the
    /// engine disagree about the chain.
    #[error(
        "attributes build on {parent_number} ({parent}), pending-safe is {pending_number} ({pending})"
    )]
    AttributesParentMismatch {
        /// The attributes' parent hash.
        parent: B256,
        /// Its number.
        parent_number: u64,
        /// The pending-safe hash.
        pending: B256,
        /// Its number.
        pending_number: u64,
    },
    /// A result arrived for no action in flight: the driver's bookkeeping is wrong.
    #[error("result {0} without a matching action in flight")]
    StrayResult(&'static str),
}

impl EngineError {
    /// A JSON-RPC error for `method`.
    pub fn rpc(method: EngineMethod, code: i64, message: impl Into<String>) -> Self {
        Self::Rpc {
            method: method.as_str(),
            code,
            message: message.into(),
        }
    }

    /// The JSON-RPC error code, if this is one.
    pub const fn rpc_code(&self) -> Option<i64> {
        match self {
            Self::Rpc { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// What the caller should do.
    ///
    /// - Temporary: the transport failed, the engine answered garbage or with a generic
    ///   error; retry the same step.
    /// - Reset: the engine's view differs from ours (-38002 invalid forkchoice state, -38001
    ///   unknown payload, -38003 rejected attributes outside the consolidation path, a block
    ///   missing below our head, INVALID forkchoice): restart derivation from a safe point.
    /// - Critical: configuration or protocol mismatch (wrong JWT secret, unsupported fork,
    ///   missing method, a deposits-only block rejected, an engine block that is not an OP
    ///   block): stop and say why.
    pub const fn class(&self) -> ErrorClass {
        match self {
            Self::Transport { .. }
            | Self::HttpStatus { .. }
            | Self::ResponseTooLarge { .. }
            | Self::MalformedResponse { .. }
            | Self::Unexpected { .. } => ErrorClass::Temporary,
            Self::Rpc { code, .. } => match *code {
                UNKNOWN_PAYLOAD | INVALID_FORKCHOICE_STATE | INVALID_PAYLOAD_ATTRIBUTES => {
                    ErrorClass::Reset
                }
                UNSUPPORTED_FORK | METHOD_NOT_FOUND => ErrorClass::Critical,
                _ => ErrorClass::Temporary,
            },
            Self::MissingUnsafeBlock { .. }
            | Self::ForkchoiceInvalid { .. }
            | Self::AttributesParentMismatch { .. } => ErrorClass::Reset,
            Self::Unauthorized { .. }
            | Self::Jwt(_)
            | Self::Block(_)
            | Self::BadPayload { .. }
            | Self::DepositsOnlyInvalid { .. }
            | Self::StrayResult(_) => ErrorClass::Critical,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_codes_are_classed() {
        let m = EngineMethod::ForkchoiceUpdatedV3;
        assert_eq!(
            EngineError::rpc(m, UNKNOWN_PAYLOAD, "").class(),
            ErrorClass::Reset
        );
        assert_eq!(
            EngineError::rpc(m, INVALID_FORKCHOICE_STATE, "").class(),
            ErrorClass::Reset
        );
        assert_eq!(
            EngineError::rpc(m, INVALID_PAYLOAD_ATTRIBUTES, "").class(),
            ErrorClass::Reset
        );
        assert_eq!(
            EngineError::rpc(m, UNSUPPORTED_FORK, "").class(),
            ErrorClass::Critical
        );
        assert_eq!(
            EngineError::rpc(m, METHOD_NOT_FOUND, "").class(),
            ErrorClass::Critical
        );
        assert_eq!(
            EngineError::rpc(m, -32000, "busy").class(),
            ErrorClass::Temporary
        );
        assert_eq!(
            EngineError::Unauthorized {
                method: "x",
                status: 401
            }
            .class(),
            ErrorClass::Critical
        );
    }
}
