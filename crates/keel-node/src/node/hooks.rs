//! What the node records as the driver works: safe-head records in the safe-head database
//! (op-node's `--safedb.path`) and op-node's metrics.
//!
//! Safe-db writes are fsynced, so they run on a writer thread of their own, in the order the
//! driver made them: the driver's loop never waits on the disk unless the writer falls
//! [`SAFEDB_QUEUE`] records behind.

use std::{
    sync::{Arc, mpsc},
    thread::JoinHandle,
    time::Duration,
};

use keel_derive::types::{L1BlockRef, L2BlockRef};
use keel_protocol::rollup_config::BlockId;
use keel_rpc::Metrics;
use keel_safedb::SafeDb;

use crate::driver::{DriverHooks, control::NodeStatus};

/// Safe-db writes queued before the driver waits for the writer thread: a bound on memory
/// if the disk stalls, far above what a healthy disk ever lets build up.
pub const SAFEDB_QUEUE: usize = 4096;

/// One safe-db write, in driver order.
#[derive(Debug, Clone, Copy)]
enum SafeDbWrite {
    Record { l1: BlockId, safe: BlockId },
    Reset { safe: BlockId, origin: u64 },
}

/// The writer thread of a node's safe-db: [`Self::finish`] waits for every queued write.
#[derive(Debug)]
pub struct SafeDbWriter {
    thread: JoinHandle<()>,
}

impl SafeDbWriter {
    /// Waits until every write queued before the hooks were dropped is on disk. Call after
    /// the driver (which owns the hooks) has stopped.
    pub fn finish(self) {
        if self.thread.join().is_err() {
            tracing::error!("safe-head database writer thread panicked");
        }
    }
}

/// The node's [`DriverHooks`]: each part is optional, as its flag is.
///
/// A failed safe-db write is logged and counted, not fatal: op-node also keeps deriving
/// when its safe-db write fails, and a missing record only makes one
/// `optimism_safeHeadAtL1Block` answer older than it could be.
#[derive(Debug, Default)]
pub struct NodeHooks {
    safe_db: Option<mpsc::SyncSender<SafeDbWrite>>,
    metrics: Option<Metrics>,
}

impl NodeHooks {
    /// Hooks writing to `safe_db` (through a writer thread, returned with them) and
    /// `metrics`, where given.
    pub fn new(
        safe_db: Option<Arc<SafeDb>>,
        metrics: Option<Metrics>,
    ) -> std::io::Result<(Self, Option<SafeDbWriter>)> {
        let Some(db) = safe_db else {
            return Ok((
                Self {
                    safe_db: None,
                    metrics,
                },
                None,
            ));
        };
        let (tx, rx) = mpsc::sync_channel(SAFEDB_QUEUE);
        let thread_metrics = metrics.clone();
        let thread = std::thread::Builder::new()
            .name("keel-safedb".into())
            .spawn(move || write_loop(&db, &rx, thread_metrics.as_ref()))?;
        Ok((
            Self {
                safe_db: Some(tx),
                metrics,
            },
            Some(SafeDbWriter { thread }),
        ))
    }

    fn queue(&self, write: SafeDbWrite) {
        if let Some(tx) = &self.safe_db
            && tx.send(write).is_err()
        {
            tracing::error!(?write, "safe-head database writer is gone; record lost");
        }
    }
}

/// Applies writes in order until every sender is gone.
fn write_loop(db: &SafeDb, rx: &mpsc::Receiver<SafeDbWrite>, metrics: Option<&Metrics>) {
    while let Ok(write) = rx.recv() {
        let (operation, result) = match write {
            SafeDbWrite::Record { l1, safe } => ("record", db.record(l1, safe)),
            SafeDbWrite::Reset { safe, origin } => ("reset", db.safe_head_reset(safe, origin)),
        };
        match result {
            Ok(()) => {
                if let Some(m) = metrics {
                    m.record_safedb_write(operation);
                }
            }
            Err(e) => tracing::error!(operation, error = %e, "safe-head database write failed"),
        }
    }
}

impl DriverHooks for NodeHooks {
    fn safe_head(&mut self, derived_from: L1BlockRef, safe: L2BlockRef) {
        self.queue(SafeDbWrite::Record {
            l1: BlockId {
                hash: derived_from.hash,
                number: derived_from.number,
            },
            safe: safe.id(),
        });
    }

    fn pipeline_reset(&mut self, _origin: L1BlockRef) {
        if let Some(m) = &self.metrics {
            m.record_pipeline_reset();
        }
    }

    fn derivation_reset(&mut self, _origin: L1BlockRef, safe: L2BlockRef) {
        self.queue(SafeDbWrite::Reset {
            safe: safe.id(),
            origin: safe.l1_origin.number,
        });
    }

    fn sequenced(&mut self, _block: L2BlockRef, seal: Duration, txs: usize) {
        if let Some(m) = &self.metrics {
            m.observe_sequencer_sealing(seal);
            m.count_sequenced_txs(txs as u64);
        }
    }

    fn sequencer_building_diff(&mut self, seconds: f64) {
        if let Some(m) = &self.metrics {
            m.observe_sequencer_building_diff(seconds);
        }
    }

    fn sequencing_error(&mut self) {
        if let Some(m) = &self.metrics {
            m.record_sequencing_error();
        }
    }

    fn derivation_step(&mut self, outcome: &'static str) {
        if let Some(m) = &self.metrics {
            m.record_pipeline_step(outcome);
            m.set_derivation_idle(outcome == "idle");
        }
    }

    fn derivation_error(&mut self) {
        if let Some(m) = &self.metrics {
            m.record_derivation_error();
        }
    }

    fn derived_batches(&mut self, singular: u64, span: u64) {
        let Some(m) = &self.metrics else { return };
        m.record_derived_batches("singular", singular);
        m.record_derived_batches("span", span);
    }

    /// op-node's ref names: `l1_head`, `l1_safe`, `l1_finalized` (status tracker),
    /// `l1_derived` (pipeline origin), `l2_unsafe`, `l2_cross_unsafe`, `l2_pending_safe`,
    /// `l2_local_safe`, `l2_safe`, `l2_finalized` (engine controller).
    fn status(&mut self, s: &NodeStatus) {
        let Some(m) = &self.metrics else { return };
        m.record_l1_ref("l1_head", &s.head_l1);
        m.record_l1_ref("l1_safe", &s.safe_l1);
        m.record_l1_ref("l1_finalized", &s.finalized_l1);
        m.record_l1_ref("l1_derived", &s.current_l1);
        m.record_l2_ref("l2_unsafe", &s.heads.unsafe_head);
        m.record_l2_ref("l2_cross_unsafe", &s.heads.cross_unsafe);
        m.record_l2_ref("l2_pending_safe", &s.heads.pending_safe);
        m.record_l2_ref("l2_local_safe", &s.heads.safe);
        m.record_l2_ref("l2_safe", &s.heads.safe);
        m.record_l2_ref("l2_finalized", &s.heads.finalized);
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;
    use keel_protocol::rollup_config::BlockId;

    use super::*;

    fn l1(n: u64) -> L1BlockRef {
        L1BlockRef {
            number: n,
            hash: B256::repeat_byte(n as u8),
            ..L1BlockRef::default()
        }
    }

    fn l2(n: u64, origin: u64) -> L2BlockRef {
        L2BlockRef {
            number: n,
            hash: B256::repeat_byte(0x80 | n as u8),
            timestamp: 1_000 + n,
            l1_origin: BlockId {
                number: origin,
                hash: B256::repeat_byte(origin as u8),
            },
            ..L2BlockRef::default()
        }
    }

    #[test]
    fn safe_heads_are_recorded_and_a_reset_drops_the_voided_ones() {
        let dir = tempfile::tempdir().unwrap();
        let db = Arc::new(SafeDb::open(dir.path().join("safe.db")).unwrap());
        let metrics = Metrics::new("test");
        let (mut hooks, writer) =
            NodeHooks::new(Some(Arc::clone(&db)), Some(metrics.clone())).unwrap();
        hooks.safe_head(l1(10), l2(4, 8));
        hooks.safe_head(l1(11), l2(6, 9));
        hooks.safe_head(l1(12), l2(8, 10));
        // Reset to safe head 5 (origin 9): records from L1 11 on named safe heads at or
        // past it; L1 11 is re-recorded with the reset's safe head, L1 12 goes.
        hooks.pipeline_reset(l1(9));
        hooks.derivation_reset(l1(9), l2(5, 9));
        // The writes land in order once the writer has drained the queue.
        drop(hooks);
        writer.unwrap().finish();
        let at10 = db.safe_head_at_l1(10).unwrap().unwrap();
        assert_eq!(at10.safe_head, l2(4, 8).id());
        assert_eq!(at10.l1.hash, l1(10).hash);
        assert_eq!(
            db.safe_head_at_l1(12).unwrap().unwrap().safe_head,
            l2(5, 9).id()
        );
        assert_eq!(
            db.safe_head_at_l1(10).unwrap().unwrap().safe_head,
            l2(4, 8).id()
        );
        let text = metrics.encode();
        assert!(
            text.contains("keel_safedb_writes_total{outcome=\"record\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("keel_safedb_writes_total{outcome=\"reset\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("op_node_default_pipeline_resets_total 1"),
            "{text}"
        );
    }

    #[test]
    fn status_is_recorded_under_op_node_ref_names() {
        let metrics = Metrics::new("test");
        let (mut hooks, writer) = NodeHooks::new(None, Some(metrics.clone())).unwrap();
        assert!(writer.is_none());
        let mut s = NodeStatus {
            head_l1: l1(20),
            ..NodeStatus::default()
        };
        s.heads.unsafe_head = l2(42, 19);
        s.heads.safe = l2(30, 15);
        hooks.status(&s);
        hooks.sequenced(l2(42, 19), Duration::from_millis(30), 3);
        hooks.sequencer_building_diff(-0.5);
        hooks.derivation_step("idle");
        hooks.derived_batches(0, 2);
        hooks.derivation_error();
        let text = metrics.encode();
        for line in [
            "op_node_default_refs_number{layer=\"l1\",type=\"l1_head\"} 20",
            "op_node_default_refs_number{layer=\"l2\",type=\"l2_unsafe\"} 42",
            "op_node_default_refs_number{layer=\"l1_origin\",type=\"l2_unsafe\"} 19",
            "op_node_default_refs_number{layer=\"l2\",type=\"l2_safe\"} 30",
            "op_node_default_sequencer_sealing_seconds_count 1",
            "op_node_default_sequencer_building_diff_total 1",
            "op_node_default_derivation_idle 1",
            "op_node_default_derived_batches_total{type=\"span\"} 2",
            "keel_pipeline_steps_total{outcome=\"idle\"} 1",
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
    }
}
