//! Shared fixtures of the batch-validation tests.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;

use alloy_primitives::{B256, Bytes, FixedBytes};
use keel_derive::{
    stages::batch_validation::{BatchValidity, NeedL2Block, check_single_batch, check_span_batch},
    types::{L1BlockRef, L2BlockInput, L2BlockRef},
};
use keel_protocol::{
    batch::{SingleBatch, SpanBatch, SpanBatchElement},
    hardfork::HardforkTimes,
    rollup_config::{BlockId, RollupConfig},
    system_config::SystemConfig,
};

pub use BatchValidity::{Accept, Drop, Future, Past, Undecided};

pub const SAFE_NUM: u64 = 50;
pub const SAFE_TIME: u64 = 1010;
pub const NEXT: u64 = SAFE_TIME + 2;

pub fn forks(delta: Option<u64>, fjord: Option<u64>, holocene: Option<u64>) -> HardforkTimes {
    HardforkTimes {
        regolith_time: Some(0),
        canyon_time: Some(0),
        delta_time: delta,
        ecotone_time: fjord,
        fjord_time: fjord,
        holocene_time: holocene,
        ..Default::default()
    }
}

pub fn cfg_with(h: HardforkTimes) -> RollupConfig {
    RollupConfig {
        block_time: 2,
        max_sequencer_drift: 600,
        seq_window_size: 100,
        hardforks: h,
        ..Default::default()
    }
}

/// Pre-Fjord, pre-Holocene, Delta active.
pub fn cfg() -> RollupConfig {
    cfg_with(forks(Some(0), None, None))
}

pub fn holo() -> RollupConfig {
    cfg_with(forks(Some(0), None, Some(0)))
}

pub fn l1(n: u64) -> L1BlockRef {
    l1t(n, 1000 + (n - 10) * 12)
}

pub fn l1t(n: u64, t: u64) -> L1BlockRef {
    L1BlockRef {
        hash: B256::repeat_byte(n as u8),
        number: n,
        parent_hash: B256::repeat_byte(n as u8 - 1),
        timestamp: t,
    }
}

pub fn l2hash(n: u64) -> B256 {
    B256::left_padding_from(&[0x77, n as u8])
}

pub fn l2(n: u64, origin: u64) -> L2BlockRef {
    L2BlockRef {
        hash: l2hash(n),
        number: n,
        parent_hash: l2hash(n - 1),
        timestamp: SAFE_TIME - (SAFE_NUM - n) * 2,
        l1_origin: BlockId {
            hash: B256::repeat_byte(origin as u8),
            number: origin,
        },
        sequence_number: 0,
    }
}

pub fn safe() -> L2BlockRef {
    l2(SAFE_NUM, 10)
}

pub fn tx(b: u8) -> Bytes {
    Bytes::from(vec![0x02, b, b])
}

pub fn single(ts: u64, epoch: u64, txs: Vec<Bytes>) -> SingleBatch {
    SingleBatch {
        parent_hash: safe().hash,
        epoch_num: epoch,
        epoch_hash: B256::repeat_byte(epoch as u8),
        timestamp: ts,
        transactions: txs,
    }
}

pub fn check(
    c: &RollupConfig,
    l1s: &[L1BlockRef],
    b: &SingleBatch,
    incl: &L1BlockRef,
) -> BatchValidity {
    check_single_batch(c, l1s, &safe(), b, incl)
}

// ---- singular batches ----

/// Safe head far past its origin (time 1000): max drift 600 pre-Fjord.
pub fn drift_safe(ts: u64) -> L2BlockRef {
    let mut s = safe();
    s.timestamp = ts - 2;
    s
}

pub fn prefix(h: &B256) -> FixedBytes<20> {
    FixedBytes::from_slice(&h[..20])
}

/// A span from L2 block `first` (by number) with the given epochs, parent check from
/// `l2hash(first - 1)`.
pub fn span(first: u64, epochs: &[u64], txs: impl Fn(u64) -> Vec<Bytes>) -> SpanBatch {
    let blocks: Vec<SpanBatchElement> = epochs
        .iter()
        .enumerate()
        .map(|(i, &e)| {
            let n = first + i as u64;
            SpanBatchElement {
                epoch_num: e,
                timestamp: (SAFE_TIME as i64 - (SAFE_NUM as i64 - n as i64) * 2) as u64,
                transactions: txs(n),
            }
        })
        .collect();
    SpanBatch {
        parent_check: prefix(&l2hash(first - 1)),
        l1_origin_check: prefix(&B256::repeat_byte(*epochs.last().unwrap() as u8)),
        first_origin_bit: false,
        blocks,
    }
}

pub fn user_txs(n: u64) -> Vec<Bytes> {
    vec![tx(n as u8), tx(n as u8 + 100)]
}

/// The safe chain 45..=50 (origin 10), each block a deposit then `user_txs`.
pub fn safe_chain() -> BTreeMap<u64, L2BlockInput> {
    (45..=SAFE_NUM)
        .map(|n| {
            let mut txs = vec![Bytes::from(vec![0x7e, 0])];
            txs.extend(user_txs(n));
            (
                n,
                L2BlockInput {
                    block_ref: l2(n, 10),
                    transactions: txs,
                    system_config: SystemConfig::default(),
                },
            )
        })
        .collect()
}

pub fn check_span(
    c: &RollupConfig,
    l1s: &[L1BlockRef],
    s: &SpanBatch,
    l2: &BTreeMap<u64, L2BlockInput>,
) -> Result<BatchValidity, NeedL2Block> {
    check_span_batch(c, l1s, &safe(), s, &l1(12), l2)
}

pub fn ok(v: BatchValidity) -> Result<BatchValidity, NeedL2Block> {
    Ok(v)
}
