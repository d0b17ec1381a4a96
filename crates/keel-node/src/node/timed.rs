//! Engine API and L1 calls timed into the node's metrics: the driver's clients are wrapped,
//! so every call the driver makes is measured where it is made, and the sans-IO cores know
//! nothing of it.

use std::{future::Future, time::Instant};

use alloy_consensus::{Header, ReceiptEnvelope, Sealed};
use alloy_primitives::B256;
use keel_derive::types::{L1BlockInput, L1BlockRef};
use keel_engine::{client::Transport, error::EngineError};
use keel_protocol::blob::BLOB_SIZE;
use keel_rpc::{CallOutcome, Metrics};
use serde_json::Value;

use crate::driver::sources::{L1Heads, L1Source, SourceError};

/// An Engine API transport whose calls are recorded as op-node's `rpc_client_*` metrics
/// (requests, duration, responses by outcome), labelled by method. Without metrics it only
/// passes calls on.
#[derive(Debug)]
pub struct TimedTransport<T> {
    inner: T,
    metrics: Option<Metrics>,
}

impl<T> TimedTransport<T> {
    /// `inner`, timed into `metrics` when given.
    pub const fn new(inner: T, metrics: Option<Metrics>) -> Self {
        Self { inner, metrics }
    }
}

impl<T: Transport> Transport for TimedTransport<T> {
    async fn call_raw(&self, method: &'static str, params: Value) -> Result<Value, EngineError> {
        let Some(metrics) = &self.metrics else {
            return self.inner.call_raw(method, params).await;
        };
        let started = Instant::now();
        let out = self.inner.call_raw(method, params).await;
        let outcome = match &out {
            Ok(Value::Null) => CallOutcome::NotFound,
            Ok(_) => CallOutcome::Ok,
            Err(EngineError::Rpc { code, .. }) => CallOutcome::Rpc(*code),
            Err(
                EngineError::HttpStatus { status, .. } | EngineError::Unauthorized { status, .. },
            ) => CallOutcome::Http(*status),
            Err(_) => CallOutcome::Other,
        };
        metrics.observe_rpc_client_call(method, started.elapsed(), outcome);
        out
    }
}

/// An L1 source whose requests are recorded as `l1_request_seconds{request}` (Keel's: the
/// driver asks for blocks, receipts and blobs, not for JSON-RPC methods). Without metrics
/// it only passes requests on.
#[derive(Debug)]
pub struct TimedL1<S> {
    inner: S,
    metrics: Option<Metrics>,
}

impl<S> TimedL1<S> {
    /// `inner`, timed into `metrics` when given.
    pub const fn new(inner: S, metrics: Option<Metrics>) -> Self {
        Self { inner, metrics }
    }

    async fn timed<R>(&self, request: &str, call: impl Future<Output = R>) -> R {
        let started = Instant::now();
        let out = call.await;
        if let Some(m) = &self.metrics {
            m.record_l1_request_time(request, started.elapsed());
        }
        out
    }
}

impl<S: L1Source> L1Source for TimedL1<S> {
    async fn heads(&self) -> Result<L1Heads, SourceError> {
        self.timed("heads", self.inner.heads()).await
    }

    async fn block_ref_by_number(&self, number: u64) -> Result<Option<L1BlockRef>, SourceError> {
        self.timed(
            "block_ref_by_number",
            self.inner.block_ref_by_number(number),
        )
        .await
    }

    async fn block_ref_by_hash(&self, hash: B256) -> Result<Option<L1BlockRef>, SourceError> {
        self.timed("block_ref_by_hash", self.inner.block_ref_by_hash(hash))
            .await
    }

    async fn block_input(&self, number: u64) -> Result<Option<L1BlockInput>, SourceError> {
        self.timed("block_input", self.inner.block_input(number))
            .await
    }

    async fn epoch(
        &self,
        hash: B256,
        receipts: bool,
    ) -> Result<(Sealed<Header>, Option<Vec<ReceiptEnvelope>>), SourceError> {
        self.timed("epoch", self.inner.epoch(hash, receipts)).await
    }

    async fn blobs(
        &self,
        block: L1BlockRef,
        hashes: &[B256],
        indices: &[u64],
    ) -> Result<Vec<Box<[u8; BLOB_SIZE]>>, SourceError> {
        self.timed("blobs", self.inner.blobs(block, hashes, indices))
            .await
    }
}
