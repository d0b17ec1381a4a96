//! The Engine API over HTTP JSON-RPC with a fresh HS256 JWT per request.
//!
//! Why plain `reqwest` + `serde_json` and not `alloy-rpc-client`: alloy's reqwest transport
//! takes no per-request headers, and its JWT layer is built on hyper directly, a second
//! HTTP stack beside the reqwest one keel-l1 uses. The Engine API needs one POST per call
//! and a token whose `iat` is fresh; a JSON-RPC envelope is a few lines.
//!
//! Spec: protocol/exec-engine.md#engine-api-usage; execution-apis `src/engine/*.md`.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::B256;
use alloy_rpc_types_engine::{
    ExecutionPayloadEnvelopeV2, ExecutionPayloadFieldV2, ForkchoiceState, ForkchoiceUpdated,
    JwtSecret, PayloadId, PayloadStatus,
};
use keel_protocol::hardfork::HardforkTimes;
use op_alloy_consensus::{OpBlock, OpTxEnvelope};
use op_alloy_rpc_types_engine::{
    OpExecutionPayload, OpExecutionPayloadEnvelope, OpExecutionPayloadEnvelopeV3,
    OpExecutionPayloadEnvelopeV4, OpPayloadAttributes,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::{
    api::EngineApi,
    error::EngineError,
    jwt,
    version::{EngineMethod, forkchoice_updated_version, get_payload_version, new_payload_version},
};

/// Largest response body read. A payload is bounded by the L2 gas limit: at 16 gas per
/// calldata byte even a 200M-gas block stays near 12.5 MB of transactions, 25 MB as hex.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// Default per-request timeout (op-node gives each engine call a few seconds; builds of
/// large blocks need more).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Reads the wall clock in seconds: the one place this crate looks at time.
pub fn system_clock() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// How the client's JSON-RPC requests reach the engine: HTTP with a JWT
/// ([`HttpTransport`]) in production; an in-process engine's method table for simulations
/// (so the very same version choice and decoding run there).
pub trait Transport: Send + Sync {
    /// Sends `method(params)` and returns its `result`, or the JSON-RPC error as
    /// [`EngineError::Rpc`].
    fn call_raw(
        &self,
        method: &'static str,
        params: Value,
    ) -> impl std::future::Future<Output = Result<Value, EngineError>> + Send;
}

/// JSON-RPC over HTTP with a fresh HS256 JWT per request.
#[derive(Debug)]
pub struct HttpTransport {
    http: reqwest::Client,
    url: reqwest::Url,
    secret: JwtSecret,
    clock: fn() -> u64,
    next_id: AtomicU64,
}

/// The Engine API client, over any [`Transport`].
#[derive(Debug)]
pub struct EngineClient<T = HttpTransport> {
    transport: T,
    forks: HardforkTimes,
}

/// The Engine API over HTTP with JWT.
pub type HttpEngineClient = EngineClient<HttpTransport>;

impl HttpEngineClient {
    /// A client for the engine at `url`, choosing method versions by `forks`.
    pub fn new(
        url: reqwest::Url,
        secret: JwtSecret,
        forks: HardforkTimes,
    ) -> Result<Self, EngineError> {
        let http = reqwest::Client::builder()
            .timeout(DEFAULT_TIMEOUT)
            .build()
            .map_err(|e| EngineError::Transport {
                method: "client",
                reason: e.to_string(),
            })?;
        Ok(Self {
            transport: HttpTransport {
                http,
                url,
                secret,
                clock: system_clock,
                next_id: AtomicU64::new(1),
            },
            forks,
        })
    }

    /// Replaces the clock that stamps each token's `iat` (tests make stale tokens with it).
    pub fn with_clock(mut self, clock: fn() -> u64) -> Self {
        self.transport.clock = clock;
        self
    }
}

impl<T: Transport> EngineClient<T> {
    /// A client sending its requests through `transport`, choosing method versions by
    /// `forks`.
    pub const fn with_transport(transport: T, forks: HardforkTimes) -> Self {
        Self { transport, forks }
    }

    /// The transport.
    pub const fn transport(&self) -> &T {
        &self.transport
    }

    /// The same client over `f(transport)`: how a caller wraps the transport (timing,
    /// tracing) without rebuilding the client.
    pub fn map_transport<U: Transport>(self, f: impl FnOnce(T) -> U) -> EngineClient<U> {
        EngineClient {
            transport: f(self.transport),
            forks: self.forks,
        }
    }

    /// One call, `result` decoded as `D`.
    async fn call<D: DeserializeOwned>(
        &self,
        method: &'static str,
        params: Value,
    ) -> Result<D, EngineError> {
        let result = self.transport.call_raw(method, params).await?;
        serde_json::from_value(result).map_err(|e| EngineError::MalformedResponse {
            method,
            reason: e.to_string(),
        })
    }

    async fn call_raw(&self, method: &'static str, params: Value) -> Result<Value, EngineError> {
        self.transport.call_raw(method, params).await
    }
}

impl Transport for HttpTransport {
    async fn call_raw(&self, method: &'static str, params: Value) -> Result<Value, EngineError> {
        self.post(method, params).await
    }
}

impl HttpTransport {
    /// One JSON-RPC call: POST, bounded body, the `result` or the error object turned
    /// into [`EngineError::Rpc`].
    async fn post(&self, method: &'static str, params: Value) -> Result<Value, EngineError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        let token = jwt::token(&self.secret, (self.clock)())
            .map_err(|e| EngineError::Jwt(e.to_string()))?;
        let transport = |e: reqwest::Error| EngineError::Transport {
            method,
            reason: e.to_string(),
        };
        let mut resp = self
            .http
            .post(self.url.clone())
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .map_err(transport)?;
        let status = resp.status().as_u16();
        if status == 401 || status == 403 {
            return Err(EngineError::Unauthorized { method, status });
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(EngineError::ResponseTooLarge {
                    method,
                    limit: MAX_RESPONSE_BYTES,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        let mut reply: serde_json::Map<String, Value> = match serde_json::from_slice(&bytes) {
            Ok(r) => r,
            // A JSON-RPC server answers errors with a JSON body whatever the status; a bare
            // HTTP error is reported as such.
            Err(_) if !(200..300).contains(&status) => {
                return Err(EngineError::HttpStatus { method, status });
            }
            Err(e) => {
                return Err(EngineError::MalformedResponse {
                    method,
                    reason: e.to_string(),
                });
            }
        };
        // `"result": null` is a valid answer (e.g. no such block), so presence is what counts.
        match (reply.remove("result"), reply.remove("error")) {
            (_, Some(err)) if !err.is_null() => {
                let err: RpcErrorObject =
                    serde_json::from_value(err).map_err(|e| EngineError::MalformedResponse {
                        method,
                        reason: format!("error object: {e}"),
                    })?;
                Err(EngineError::Rpc {
                    method,
                    code: err.code,
                    message: err.message,
                })
            }
            (Some(result), _) => Ok(result),
            (None, _) => Err(EngineError::MalformedResponse {
                method,
                reason: "neither result nor error".into(),
            }),
        }
    }
}

#[derive(serde::Deserialize)]
struct RpcErrorObject {
    code: i64,
    #[serde(default)]
    message: String,
}

/// Decodes a `PayloadStatusV1`, reading the pre-Shanghai `INVALID_BLOCK_HASH` (which op-geth
/// may still send and alloy's enum lacks) as INVALID.
pub fn decode_payload_status(mut value: Value) -> Result<PayloadStatus, serde_json::Error> {
    if let Some(obj) = value.as_object_mut()
        && obj.get("status").and_then(Value::as_str) == Some("INVALID_BLOCK_HASH")
    {
        let reason = obj
            .get("validationError")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        obj.insert("status".into(), Value::from("INVALID"));
        obj.insert(
            "validationError".into(),
            Value::from(format!("INVALID_BLOCK_HASH: {reason}")),
        );
    }
    serde_json::from_value(value)
}

/// The `engine_newPayload` parameters for `envelope` under `method`: V2 the payload alone;
/// V3 adds the (empty: L2 has no blobs) versioned hashes and the parent beacon block root;
/// V4 adds the execution requests, which must be empty on L2.
///
/// Spec: protocol/ecotone/exec-engine.md, protocol/isthmus/exec-engine.md#engine_newpayloadv4-api
pub fn new_payload_params(
    method: EngineMethod,
    envelope: &OpExecutionPayloadEnvelope,
) -> Result<Value, EngineError> {
    let hash = envelope.execution_payload.block_hash();
    let mismatch = || EngineError::BadPayload {
        hash,
        reason: format!("payload shape does not fit {method}"),
    };
    let root = || envelope.parent_beacon_block_root.ok_or_else(mismatch);
    let p = &envelope.execution_payload;
    let params = match (method, p) {
        (EngineMethod::NewPayloadV2, OpExecutionPayload::V1(_) | OpExecutionPayload::V2(_)) => {
            json!([p])
        }
        (EngineMethod::NewPayloadV3, OpExecutionPayload::V3(_)) => {
            json!([p, Vec::<B256>::new(), root()?])
        }
        (EngineMethod::NewPayloadV4, OpExecutionPayload::V4(_)) => {
            json!([p, Vec::<B256>::new(), root()?, Vec::<String>::new()])
        }
        _ => return Err(mismatch()),
    };
    Ok(params)
}

/// The payload of a `getPayload` answer, with the parent beacon block root where the
/// version carries one.
pub fn envelope_from_get_payload(
    method: EngineMethod,
    result: Value,
) -> Result<OpExecutionPayloadEnvelope, EngineError> {
    let bad = |e: serde_json::Error| EngineError::MalformedResponse {
        method: method.as_str(),
        reason: e.to_string(),
    };
    Ok(match method {
        EngineMethod::GetPayloadV4 => {
            let e: OpExecutionPayloadEnvelopeV4 = serde_json::from_value(result).map_err(bad)?;
            OpExecutionPayloadEnvelope {
                parent_beacon_block_root: Some(e.parent_beacon_block_root),
                execution_payload: OpExecutionPayload::V4(e.execution_payload),
            }
        }
        EngineMethod::GetPayloadV3 => {
            let e: OpExecutionPayloadEnvelopeV3 = serde_json::from_value(result).map_err(bad)?;
            OpExecutionPayloadEnvelope {
                parent_beacon_block_root: Some(e.parent_beacon_block_root),
                execution_payload: OpExecutionPayload::V3(e.execution_payload),
            }
        }
        _ => {
            let e: ExecutionPayloadEnvelopeV2 = serde_json::from_value(result).map_err(bad)?;
            OpExecutionPayloadEnvelope {
                parent_beacon_block_root: None,
                execution_payload: match e.execution_payload {
                    ExecutionPayloadFieldV2::V1(p) => OpExecutionPayload::V1(p),
                    ExecutionPayloadFieldV2::V2(p) => OpExecutionPayload::V2(p),
                },
            }
        }
    })
}

/// An `eth_getBlockByNumber` answer (full transactions) as a payload envelope; `None` for
/// `null`.
pub fn envelope_from_rpc_block(
    result: Value,
) -> Result<Option<OpExecutionPayloadEnvelope>, EngineError> {
    const METHOD: &str = "eth_getBlockByNumber";
    if result.is_null() {
        return Ok(None);
    }
    // Each transaction object is read as the bare envelope: the RPC extras (block hash,
    // index, `from` of signed transactions) are ignored, and a deposit keeps its own `from`.
    let block: alloy_rpc_types_eth::Block<OpTxEnvelope> =
        serde_json::from_value(result).map_err(|e| EngineError::MalformedResponse {
            method: METHOD,
            reason: e.to_string(),
        })?;
    let hash = block.header.hash;
    let consensus = block.into_consensus();
    let parent_beacon_block_root = consensus.header.parent_beacon_block_root;
    let (execution_payload, _) = OpExecutionPayload::from_block_unchecked(hash, &consensus);
    Ok(Some(OpExecutionPayloadEnvelope {
        parent_beacon_block_root,
        execution_payload,
    }))
}

/// An `eth_getBlockByNumber` answer (full transactions) as the block's hash and consensus
/// block; `None` for `null`. The hash is the one the execution client reported (callers
/// that must not trust it compare it with `header.hash_slow()`).
pub fn block_from_rpc(result: Value) -> Result<Option<(B256, OpBlock)>, EngineError> {
    if result.is_null() {
        return Ok(None);
    }
    let block: alloy_rpc_types_eth::Block<OpTxEnvelope> =
        serde_json::from_value(result).map_err(|e| EngineError::MalformedResponse {
            method: "eth_getBlockByNumber",
            reason: e.to_string(),
        })?;
    let hash = block.header.hash;
    Ok(Some((hash, block.into_consensus())))
}

impl<T: Transport> EngineClient<T> {
    /// The execution client's block at `tag` (`latest`, `safe`, `finalized` or a number),
    /// with full transactions: how the node reads its heads at start-up and the L2 blocks
    /// derivation asks for.
    pub async fn block_by_tag(
        &self,
        tag: alloy_eips::BlockNumberOrTag,
    ) -> Result<Option<(B256, OpBlock)>, EngineError> {
        let raw: Value = self
            .call("eth_getBlockByNumber", json!([tag, true]))
            .await?;
        block_from_rpc(raw)
    }
}

impl<T: Transport> EngineApi for EngineClient<T> {
    async fn forkchoice_updated(
        &self,
        state: ForkchoiceState,
        attributes: Option<&OpPayloadAttributes>,
    ) -> Result<ForkchoiceUpdated, EngineError> {
        let method = forkchoice_updated_version(
            &self.forks,
            attributes.map(|a| a.payload_attributes.timestamp),
        );
        let raw = self
            .call_raw(method.as_str(), json!([state, attributes]))
            .await?;
        let bad = |reason: String| EngineError::MalformedResponse {
            method: method.as_str(),
            reason,
        };
        let mut obj = match raw {
            Value::Object(o) => o,
            other => return Err(bad(format!("expected an object, got {other}"))),
        };
        let status = decode_payload_status(obj.remove("payloadStatus").unwrap_or(Value::Null))
            .map_err(|e| bad(e.to_string()))?;
        let payload_id: Option<PayloadId> =
            serde_json::from_value(obj.remove("payloadId").unwrap_or(Value::Null))
                .map_err(|e| bad(e.to_string()))?;
        Ok(ForkchoiceUpdated {
            payload_status: status,
            payload_id,
        })
    }

    async fn new_payload(
        &self,
        envelope: &OpExecutionPayloadEnvelope,
    ) -> Result<PayloadStatus, EngineError> {
        let method = new_payload_version(&self.forks, envelope.execution_payload.timestamp());
        let params = new_payload_params(method, envelope)?;
        let raw = self.call_raw(method.as_str(), params).await?;
        decode_payload_status(raw).map_err(|e| EngineError::MalformedResponse {
            method: method.as_str(),
            reason: e.to_string(),
        })
    }

    async fn get_payload(
        &self,
        id: PayloadId,
        timestamp: u64,
    ) -> Result<OpExecutionPayloadEnvelope, EngineError> {
        let method = get_payload_version(&self.forks, timestamp);
        let raw = self.call_raw(method.as_str(), json!([id])).await?;
        envelope_from_get_payload(method, raw)
    }

    async fn payload_by_number(
        &self,
        number: u64,
    ) -> Result<Option<OpExecutionPayloadEnvelope>, EngineError> {
        let raw: Value = self
            .call(
                "eth_getBlockByNumber",
                json!([format!("{number:#x}"), true]),
            )
            .await?;
        envelope_from_rpc_block(raw)
    }
}
