//! What the node records as the driver works: safe-head records in the safe-head database
//! (op-node's `--safedb.path`) and op-node's metrics.

use std::{sync::Arc, time::Duration};

use keel_derive::types::{L1BlockRef, L2BlockRef};
use keel_rpc::Metrics;
use keel_safedb::SafeDb;

use crate::driver::{DriverHooks, control::NodeStatus};

/// The node's [`DriverHooks`]: each part is optional, as its flag is.
///
/// A failed safe-db write is logged and counted, not fatal: op-node also keeps deriving
/// when its safe-db write fails, and a missing record only makes one
/// `optimism_safeHeadAtL1Block` answer older than it could be.
#[derive(Debug, Default, Clone)]
pub struct NodeHooks {
    safe_db: Option<Arc<SafeDb>>,
    metrics: Option<Metrics>,
}

impl NodeHooks {
    /// Hooks writing to `safe_db` and `metrics`, where given.
    pub const fn new(safe_db: Option<Arc<SafeDb>>, metrics: Option<Metrics>) -> Self {
        Self { safe_db, metrics }
    }

    fn safedb_write(&self, operation: &str, result: Result<(), keel_safedb::SafeDbError>) {
        match result {
            Ok(()) => {
                if let Some(m) = &self.metrics {
                    m.record_safedb_write(operation);
                }
            }
            Err(e) => tracing::error!(operation, error = %e, "safe-head database write failed"),
        }
    }
}

impl DriverHooks for NodeHooks {
    fn safe_head(&mut self, derived_from: L1BlockRef, safe: L2BlockRef) {
        if let Some(db) = &self.safe_db {
            let l1 = keel_protocol::rollup_config::BlockId {
                hash: derived_from.hash,
                number: derived_from.number,
            };
            let result = db.record(l1, safe.id());
            self.safedb_write("record", result);
        }
    }

    fn pipeline_reset(&mut self, _origin: L1BlockRef) {
        if let Some(m) = &self.metrics {
            m.record_pipeline_reset();
        }
    }

    fn derivation_reset(&mut self, _origin: L1BlockRef, safe: L2BlockRef) {
        if let Some(db) = &self.safe_db {
            let result = db.safe_head_reset(safe.id(), safe.l1_origin.number);
            self.safedb_write("reset", result);
        }
    }

    fn sequenced(&mut self, _block: L2BlockRef, seal: Duration) {
        if let Some(m) = &self.metrics {
            m.observe_sequencer_sealing(seal);
        }
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
