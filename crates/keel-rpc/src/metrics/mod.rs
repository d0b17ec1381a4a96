//! Prometheus metrics with op-node's names, and Keel's own.
//!
//! op-node registers its series under the namespace `op_node_default` (op-node/metrics
//! `NewMetrics("")`); dashboards and alerts written for op-node read the same names here:
//! `refs_number{layer,type}`, `derivation_idle`, `pipeline_resets_total`,
//! `rpc_client_request_duration_seconds{method}` (engine API calls among them),
//! `sequencer_sealing_seconds`, `up`, `info{version}`, …. Keel's own series live under
//! `keel_` so they never collide with a future op-node name.
//!
//! Each [`Metrics`] owns its registry (no process-global state), so tests and several nodes
//! in one process stay apart. The handle is cheap to clone and every method takes `&self`.
//! Recording a ref latency or an event's "last seen" gauge reads the wall clock, as op-node
//! does: this is edge code, outside the sans-IO cores.

mod http;
mod register;

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::B256;
use keel_derive::types::{L1BlockRef, L2BlockRef};
use keel_protocol::rollup_config::BlockId;
use parking_lot::Mutex;
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use std::sync::atomic::AtomicU64;

pub use http::{
    CONTENT_TYPE, HEADER_READ_TIMEOUT, MAX_METRICS_CONNECTIONS, MetricsServer, MetricsServerError,
};

/// op-node's metric namespace (`op_node` + the default process name).
pub const NAMESPACE: &str = "op_node_default";
/// Keel's own metric namespace.
pub const KEEL_NAMESPACE: &str = "keel";

/// op-node's buckets for request and sealing durations, in seconds.
const DURATION_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// op-node's buckets for building time minus block time (may be negative), in seconds.
const BUILDING_DIFF_BUCKETS: [f64; 22] = [
    -10.0, -5.0, -2.5, -1.0, -0.5, -0.25, -0.1, -0.05, -0.025, -0.01, -0.005, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// op-node's buckets for L1 reorg depths.
const REORG_DEPTH_BUCKETS: [f64; 14] = [
    0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5, 20.5, 50.5, 100.5,
];

type FGauge = Gauge<f64, AtomicU64>;

fn duration_histogram() -> Histogram {
    Histogram::new(DURATION_BUCKETS)
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabel {
    version: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefLabels {
    layer: String,
    r#type: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TypeLabel {
    r#type: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabel {
    method: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodErrorLabels {
    method: String,
    error: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabel {
    request: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: String,
}

/// How an outgoing RPC call ended, as op-node labels it in `rpc_client_responses_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// Success (`<nil>`).
    Ok,
    /// A JSON-RPC error with this code (`rpc_<code>`).
    Rpc(i64),
    /// An HTTP error status (`http_<status>`).
    Http(u16),
    /// The result was "not found" (`<not found>`).
    NotFound,
    /// Anything else: timeout, connection refused, bad JSON (`<unknown>`).
    Other,
}

impl CallOutcome {
    fn label(self) -> String {
        match self {
            Self::Ok => "<nil>".into(),
            Self::Rpc(code) => format!("rpc_{code}"),
            Self::Http(status) => format!("http_{status}"),
            Self::NotFound => "<not found>".into(),
            Self::Other => "<unknown>".into(),
        }
    }
}

/// op-node's `metrics.Event`: a counter `<name>_total` and a gauge `last_<name>_unix`.
#[derive(Debug, Default, Clone)]
struct Event {
    total: Counter,
    last: FGauge,
}

impl Event {
    fn register(&self, reg: &mut Registry, name: &str, display: &str) {
        reg.register(
            name,
            format!("Count of {display} events"),
            self.total.clone(),
        );
        reg.register(
            format!("last_{name}_unix"),
            format!("Timestamp of last {display} event"),
            self.last.clone(),
        );
    }

    fn record(&self) {
        self.total.inc();
        self.last.set(now_unix());
    }
}

#[derive(Debug, Default, Clone)]
struct EventVec {
    total: Family<TypeLabel, Counter>,
    last: Family<TypeLabel, FGauge>,
}

fn now_unix() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    up: FGauge,
    derivation_idle: FGauge,
    pipeline_resets: Event,
    unsafe_payloads: Event,
    derivation_errors: Event,
    sequencing_errors: Event,
    sequencer_resets: Event,
    derived_batches: EventVec,
    refs_number: Family<RefLabels, FGauge>,
    refs_time: Family<RefLabels, FGauge>,
    refs_hash: Family<RefLabels, FGauge>,
    refs_seqnr: Family<TypeLabel, FGauge>,
    refs_latency: Family<RefLabels, FGauge>,
    /// Last hash per ref name, so latency is measured when a block is first seen only.
    latency_seen: Mutex<HashMap<String, B256>>,
    rpc_server_requests: Family<MethodLabel, Counter>,
    rpc_server_duration: Family<MethodLabel, Histogram, fn() -> Histogram>,
    rpc_client_requests: Family<MethodLabel, Counter>,
    rpc_client_duration: Family<MethodLabel, Histogram, fn() -> Histogram>,
    rpc_client_responses: Family<MethodErrorLabels, Counter>,
    l1_request_seconds: Family<RequestLabel, Histogram, fn() -> Histogram>,
    building_diff_seconds: Histogram,
    building_diff_total: Counter,
    sealing_seconds: Histogram,
    sealing_total: Counter,
    l1_reorg_depth: Histogram,
    transactions_sequenced: FGauge,
    unsafe_buffer_len: FGauge,
    unsafe_buffer_mem: FGauge,
    keel_pipeline_steps: Family<OutcomeLabel, Counter>,
    keel_safedb_writes: Family<OutcomeLabel, Counter>,
}

/// The node's metrics: a handle the driver, engine, sequencer and RPC server record into,
/// and that [`MetricsServer`] serves at `/metrics`.
#[derive(Debug, Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

impl Metrics {
    /// A fresh registry with every series registered and `info{version}` set to 1.
    pub fn new(version: &str) -> Self {
        let mut root = Registry::default();
        let info: Family<VersionLabel, FGauge> = Family::default();
        let inner = Inner {
            registry: Registry::default(),
            up: FGauge::default(),
            derivation_idle: FGauge::default(),
            pipeline_resets: Event::default(),
            unsafe_payloads: Event::default(),
            derivation_errors: Event::default(),
            sequencing_errors: Event::default(),
            sequencer_resets: Event::default(),
            derived_batches: EventVec::default(),
            refs_number: Family::default(),
            refs_time: Family::default(),
            refs_hash: Family::default(),
            refs_seqnr: Family::default(),
            refs_latency: Family::default(),
            latency_seen: Mutex::new(HashMap::new()),
            rpc_server_requests: Family::default(),
            rpc_server_duration: Family::new_with_constructor(duration_histogram),
            rpc_client_requests: Family::default(),
            rpc_client_duration: Family::new_with_constructor(duration_histogram),
            rpc_client_responses: Family::default(),
            l1_request_seconds: Family::new_with_constructor(duration_histogram),
            building_diff_seconds: Histogram::new(BUILDING_DIFF_BUCKETS),
            building_diff_total: Counter::default(),
            sealing_seconds: duration_histogram(),
            sealing_total: Counter::default(),
            l1_reorg_depth: Histogram::new(REORG_DEPTH_BUCKETS),
            transactions_sequenced: FGauge::default(),
            unsafe_buffer_len: FGauge::default(),
            unsafe_buffer_mem: FGauge::default(),
            keel_pipeline_steps: Family::default(),
            keel_safedb_writes: Family::default(),
        };
        {
            let op = root.sub_registry_with_prefix(NAMESPACE);
            register::op_node(op, &inner, &info);
            let keel = root.sub_registry_with_prefix(KEEL_NAMESPACE);
            keel.register(
                "pipeline_steps",
                "Derivation pipeline steps by outcome (attributes, need_l1, need_blobs, need_l2, idle, error)",
                inner.keel_pipeline_steps.clone(),
            );
            keel.register(
                "safedb_writes",
                "Safe-db writes by operation (record, truncate, reset)",
                inner.keel_safedb_writes.clone(),
            );
        }
        info.get_or_create(&VersionLabel {
            version: version.to_owned(),
        })
        .set(1.0);
        let inner = Inner {
            registry: root,
            ..inner
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The exposition text (OpenMetrics text format, which Prometheus scrapes).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail; an Err would leave a partial text.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.inner.registry);
        out
    }

    /// `up` = 1: the node finished starting.
    pub fn record_up(&self) {
        self.inner.up.set(1.0);
    }

    /// `derivation_idle`: 1 while the pipeline waits for new L1 data.
    pub fn set_derivation_idle(&self, idle: bool) {
        self.inner.derivation_idle.set(if idle { 1.0 } else { 0.0 });
    }

    /// `pipeline_resets_total` and `last_pipeline_resets_unix`.
    pub fn record_pipeline_reset(&self) {
        self.inner.pipeline_resets.record();
    }

    /// `derivation_errors_total`.
    pub fn record_derivation_error(&self) {
        self.inner.derivation_errors.record();
    }

    /// `sequencing_errors_total`.
    pub fn record_sequencing_error(&self) {
        self.inner.sequencing_errors.record();
    }

    /// `sequencer_resets_total`.
    pub fn record_sequencer_reset(&self) {
        self.inner.sequencer_resets.record();
    }

    /// `derived_batches_total{type}` (`singular`, `span`): `count` more batches read.
    pub fn record_derived_batches(&self, batch_type: &str, count: u64) {
        if count == 0 {
            return;
        }
        let l = TypeLabel {
            r#type: batch_type.to_owned(),
        };
        self.inner
            .derived_batches
            .total
            .get_or_create(&l)
            .inc_by(count);
        self.inner
            .derived_batches
            .last
            .get_or_create(&l)
            .set(now_unix());
    }

    /// `unsafe_payloads_total` and the `received_payload` ref, for a payload from gossip or
    /// `admin_postUnsafePayload`.
    pub fn record_received_unsafe_payload(&self, number: u64, timestamp: u64, hash: B256) {
        self.inner.unsafe_payloads.record();
        self.record_ref("l2", "received_payload", number, timestamp, hash);
    }

    /// op-node's `RecordRef`: `refs_number`, `refs_time` and (on a new hash) `refs_latency`
    /// for `{layer, type=name}`, and `refs_hash` (the hash's first 8 bytes, little-endian,
    /// as a float, so a divergence shows on a graph). A zero `timestamp` skips the time
    /// series, as for L1 origins.
    pub fn record_ref(&self, layer: &str, name: &str, number: u64, timestamp: u64, hash: B256) {
        let l = RefLabels {
            layer: layer.to_owned(),
            r#type: name.to_owned(),
        };
        let i = &self.inner;
        i.refs_number.get_or_create(&l).set(number as f64);
        if timestamp != 0 {
            i.refs_time.get_or_create(&l).set(timestamp as f64);
            let mut seen = i.latency_seen.lock();
            if seen.get(name) != Some(&hash) {
                seen.insert(name.to_owned(), hash);
                i.refs_latency
                    .get_or_create(&l)
                    .set(timestamp as f64 - now_unix());
            }
        }
        let first8 = hash.0.first_chunk::<8>().copied().unwrap_or_default();
        i.refs_hash
            .get_or_create(&l)
            .set(u64::from_le_bytes(first8) as f64);
    }

    /// An L1 reference under layer `l1` (names as op-node: `l1_head`, `l1_safe`,
    /// `l1_finalized`, `l1_derived`, …).
    pub fn record_l1_ref(&self, name: &str, r: &L1BlockRef) {
        self.record_ref("l1", name, r.number, r.timestamp, r.hash);
    }

    /// An L2 reference under layer `l2`, its L1 origin under `l1_origin`, and its sequence
    /// number (names as op-node: `l2_unsafe`, `l2_safe`, `l2_finalized`,
    /// `l2_pending_safe`, …).
    pub fn record_l2_ref(&self, name: &str, r: &L2BlockRef) {
        self.record_ref("l2", name, r.number, r.timestamp, r.hash);
        self.record_ref("l1_origin", name, r.l1_origin.number, 0, r.l1_origin.hash);
        self.inner
            .refs_seqnr
            .get_or_create(&TypeLabel {
                r#type: name.to_owned(),
            })
            .set(r.sequence_number as f64);
    }

    /// `rpc_server_requests_total{method}` and `rpc_server_request_duration_seconds`.
    pub fn record_rpc_server_request(&self, method: &str, took: Duration) {
        let l = MethodLabel {
            method: method.to_owned(),
        };
        self.inner.rpc_server_requests.get_or_create(&l).inc();
        self.inner
            .rpc_server_duration
            .get_or_create(&l)
            .observe(took.as_secs_f64());
    }

    /// An outgoing RPC call — Engine API calls (`engine_forkchoiceUpdatedV3`, …) and L1 / L2
    /// reads: `rpc_client_requests_total{method}`,
    /// `rpc_client_request_duration_seconds{method}` and
    /// `rpc_client_responses_total{method,error}`.
    pub fn observe_rpc_client_call(&self, method: &str, took: Duration, outcome: CallOutcome) {
        let l = MethodLabel {
            method: method.to_owned(),
        };
        self.inner.rpc_client_requests.get_or_create(&l).inc();
        self.inner
            .rpc_client_duration
            .get_or_create(&l)
            .observe(took.as_secs_f64());
        self.inner
            .rpc_client_responses
            .get_or_create(&MethodErrorLabels {
                method: method.to_owned(),
                error: outcome.label(),
            })
            .inc();
    }

    /// `l1_request_seconds{request}`: time derivation waited for an L1 fetch.
    pub fn record_l1_request_time(&self, request: &str, took: Duration) {
        self.inner
            .l1_request_seconds
            .get_or_create(&RequestLabel {
                request: request.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// `sequencer_building_diff_seconds` / `_total`: build-to-seal time minus the block time
    /// (negative when early).
    pub fn observe_sequencer_building_diff(&self, seconds: f64) {
        self.inner.building_diff_total.inc();
        self.inner.building_diff_seconds.observe(seconds);
    }

    /// `sequencer_sealing_seconds` / `sequencer_sealing_total`: time to seal a block.
    pub fn observe_sequencer_sealing(&self, took: Duration) {
        self.inner.sealing_total.inc();
        self.inner.sealing_seconds.observe(took.as_secs_f64());
    }

    /// `transactions_sequenced_total` (a gauge in op-node): add `count` sequenced txs.
    pub fn count_sequenced_txs(&self, count: u64) {
        self.inner.transactions_sequenced.inc_by(count as f64);
    }

    /// `l1_reorg_depth`: depth of an L1 reorg in blocks.
    pub fn record_l1_reorg_depth(&self, depth: u64) {
        self.inner.l1_reorg_depth.observe(depth as f64);
    }

    /// `unsafe_payloads_buffer_len`, `_mem_size`, and the `l2_buffer_unsafe` ref of the
    /// next buffered payload.
    pub fn record_unsafe_payloads_buffer(&self, len: u64, mem_size: u64, next: BlockId) {
        self.record_ref("l2", "l2_buffer_unsafe", next.number, 0, next.hash);
        self.inner.unsafe_buffer_len.set(len as f64);
        self.inner.unsafe_buffer_mem.set(mem_size as f64);
    }

    /// Keel: `keel_pipeline_steps_total{outcome}`, one per derivation `step`.
    pub fn record_pipeline_step(&self, outcome: &str) {
        self.inner
            .keel_pipeline_steps
            .get_or_create(&OutcomeLabel {
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// Keel: `keel_safedb_writes_total{outcome}` (`record`, `truncate`, `reset`).
    pub fn record_safedb_write(&self, operation: &str) {
        self.inner
            .keel_safedb_writes
            .get_or_create(&OutcomeLabel {
                outcome: operation.to_owned(),
            })
            .inc();
    }
}
