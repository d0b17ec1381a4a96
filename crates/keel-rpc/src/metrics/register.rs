//! Registration of op-node's series under their op-node names and help texts.

use prometheus_client::{metrics::family::Family, registry::Registry};

use super::{FGauge, Inner, VersionLabel};

/// op-node's names and help texts (op-node/metrics/metrics.go, op-service/metrics).
pub(super) fn op_node(r: &mut Registry, i: &Inner, info: &Family<VersionLabel, FGauge>) {
    r.register(
        "info",
        "Pseudo-metric tracking version and config info",
        info.clone(),
    );
    r.register(
        "up",
        "1 if the op node has finished starting up",
        i.up.clone(),
    );
    r.register(
        "derivation_idle",
        "1 if the derivation pipeline is idle",
        i.derivation_idle.clone(),
    );
    i.pipeline_resets
        .register(r, "pipeline_resets", "derivation pipeline resets");
    i.unsafe_payloads
        .register(r, "unsafe_payloads", "unsafe payloads");
    i.derivation_errors
        .register(r, "derivation_errors", "derivation errors");
    i.sequencing_errors
        .register(r, "sequencing_errors", "sequencing errors");
    i.sequencer_resets
        .register(r, "sequencer_resets", "sequencer resets");
    r.register(
        "derived_batches",
        "Count of derived batches events",
        i.derived_batches.total.clone(),
    );
    r.register(
        "last_derived_batches_unix",
        "Timestamp of last derived batches event",
        i.derived_batches.last.clone(),
    );
    r.register(
        "refs_number",
        "Gauge representing the different L1/L2 reference block numbers",
        i.refs_number.clone(),
    );
    r.register(
        "refs_time",
        "Gauge representing the different L1/L2 reference block timestamps",
        i.refs_time.clone(),
    );
    r.register(
        "refs_hash",
        "Gauge representing the different L1/L2 reference block hashes truncated to float values",
        i.refs_hash.clone(),
    );
    r.register(
        "refs_seqnr",
        "Gauge representing the different L2 reference sequence numbers",
        i.refs_seqnr.clone(),
    );
    r.register(
        "refs_latency",
        "Gauge representing the different L1/L2 reference block timestamps minus current time, in seconds",
        i.refs_latency.clone(),
    );
    r.register(
        "rpc_server_requests",
        "Total requests to the RPC server",
        i.rpc_server_requests.clone(),
    );
    r.register(
        "rpc_server_request_duration_seconds",
        "Histogram of RPC server request durations",
        i.rpc_server_duration.clone(),
    );
    r.register(
        "rpc_client_requests",
        "Total RPC requests initiated by the opnode's RPC client",
        i.rpc_client_requests.clone(),
    );
    r.register(
        "rpc_client_request_duration_seconds",
        "Histogram of RPC client request durations",
        i.rpc_client_duration.clone(),
    );
    r.register(
        "rpc_client_responses",
        "Total RPC request responses received by the opnode's RPC client",
        i.rpc_client_responses.clone(),
    );
    r.register(
        "l1_request_seconds",
        "Histogram of L1 request time",
        i.l1_request_seconds.clone(),
    );
    r.register(
        "sequencer_building_diff_seconds",
        "Histogram of Sequencer building time, minus block time",
        i.building_diff_seconds.clone(),
    );
    r.register(
        "sequencer_building_diff",
        "Number of sequencer block building jobs",
        i.building_diff_total.clone(),
    );
    r.register(
        "sequencer_sealing_seconds",
        "Histogram of Sequencer block sealing time",
        i.sealing_seconds.clone(),
    );
    r.register(
        "sequencer_sealing",
        "Number of sequencer block sealing jobs",
        i.sealing_total.clone(),
    );
    r.register(
        "l1_reorg_depth",
        "Histogram of L1 Reorg Depths",
        i.l1_reorg_depth.clone(),
    );
    r.register(
        "transactions_sequenced_total",
        "Count of total transactions sequenced",
        i.transactions_sequenced.clone(),
    );
    r.register(
        "unsafe_payloads_buffer_len",
        "Number of buffered L2 unsafe payloads",
        i.unsafe_buffer_len.clone(),
    );
    r.register(
        "unsafe_payloads_buffer_mem_size",
        "Total estimated memory size of buffered L2 unsafe payloads",
        i.unsafe_buffer_mem.clone(),
    );
}
