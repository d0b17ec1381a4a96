//! L1-origin selection: keep the L2 parent's L1 origin, or move to the next L1 block (op-node's
//! `L1OriginSelector.FindL1Origin`).
//!
//! Spec: protocol/derivation.md#sequencing--batch-submission-overview (the timestamp and
//! drift constraints every L2 block must satisfy), protocol/derivation.md#batch-queue (the
//! rules derivation checks them with), protocol/fjord/derivation.md#constant-maximum-sequencer-drift.
//!
//! The selector is a pure function of what the caller knows: the parent, the parent's L1
//! origin block, the next L1 block if fetched, the L1 head and the confirmation depth. When
//! it needs an L1 block it does not have, it says which one; when it must wait, it says why.

use alloy_primitives::B256;
use keel_derive::{
    error::ErrorClass,
    types::{L1BlockRef, L2BlockRef},
};
use keel_protocol::rollup_config::{BlockId, RollupConfig};

/// What the caller knows about the L1 block after the parent's L1 origin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum NextL1 {
    /// Not looked up yet.
    #[default]
    NotFetched,
    /// Looked up and not obtained: L1 has no such block yet, or L1 is unreachable.
    Unavailable,
    /// The canonical L1 block at that height (fetched by number).
    Known(L1BlockRef),
}

/// The inputs of one selection.
#[derive(Debug, Clone, Copy)]
pub struct OriginInputs<'a> {
    /// The L2 block the next block is built on.
    pub parent: &'a L2BlockRef,
    /// The parent's L1 origin block (fetched by the hash the parent names), if the caller
    /// has it.
    pub current: Option<&'a L1BlockRef>,
    /// The L1 block after `current`.
    pub next: NextL1,
    /// The number of the latest L1 block the caller has seen.
    pub l1_head: u64,
    /// The sequencer's confirmation depth (`--sequencer.l1-confs`): an L1 block is adopted
    /// only once `number + confs <= l1_head` (op-node's `confDepth`, where 0 means no depth).
    pub confs: u64,
}

/// The selector's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginDecision {
    /// Build on the parent's L1 origin again.
    Keep(L1BlockRef),
    /// Build the first block of the next epoch on this L1 block.
    Advance(L1BlockRef),
    /// Fetch the canonical L1 block at this height and select again.
    NeedL1Block(u64),
    /// Fetch the L1 block with this hash (the parent's L1 origin) and select again.
    NeedL1BlockByHash(B256),
    /// No valid origin yet: the next block must move to the next L1 block, which is not
    /// usable yet.
    WaitForL1 {
        /// Why.
        reason: WaitReason,
    },
}

impl OriginDecision {
    /// The chosen origin, if the decision is one.
    pub const fn origin(&self) -> Option<L1BlockRef> {
        match self {
            Self::Keep(o) | Self::Advance(o) => Some(*o),
            _ => None,
        }
    }
}

/// Why the sequencer must wait for L1 before building the next block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// Past the drift the next origin is mandatory, and L1 has not produced it yet (or L1
    /// is unreachable).
    NextOriginUnavailable {
        /// The L1 block needed.
        number: u64,
        /// The next L2 block's timestamp.
        l2_time: u64,
        /// The time until which the current origin could be kept.
        drift_limit: u64,
    },
    /// Past the drift the next origin is mandatory, and it is within the confirmation depth.
    NextOriginUnconfirmed {
        /// The L1 block needed.
        number: u64,
        /// The L1 head.
        l1_head: u64,
        /// The confirmation depth.
        confs: u64,
    },
}

/// Why no origin can be selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OriginError {
    /// The L1 block handed in as the parent's origin is not the block the parent names: L1
    /// reorganised the parent's origin away (the caller fetched the canonical block at that
    /// height), or the caller mixed up blocks.
    #[error("L2 parent {parent_number} has L1 origin {expected:?}, but L1 has {got:?} there")]
    ParentOriginMismatch {
        /// The L2 parent's number.
        parent_number: u64,
        /// The origin the parent names.
        expected: BlockId,
        /// The block handed in.
        got: BlockId,
    },
    /// The canonical next L1 block does not extend the parent's L1 origin: the origin was
    /// reorganised out of L1, so every L2 block on it will be dropped by derivation.
    #[error(
        "L1 origin {origin:?} of L2 parent {parent_number} is no longer canonical: L1 block {next_number} has parent {next_parent}"
    )]
    OriginReorged {
        /// The L2 parent's number.
        parent_number: u64,
        /// The parent's L1 origin.
        origin: BlockId,
        /// The canonical next L1 block's number.
        next_number: u64,
        /// Its parent hash.
        next_parent: B256,
    },
    /// The block handed in as the next L1 block has the wrong height.
    #[error("expected L1 block {expected} after the L1 origin, got {got}")]
    NextNumberMismatch {
        /// The height expected.
        expected: u64,
        /// The height handed in.
        got: u64,
    },
    /// The next L2 timestamp overflows.
    #[error("L2 timestamp overflows after block {parent_number}")]
    Overflow {
        /// The L2 parent's number.
        parent_number: u64,
    },
}

impl OriginError {
    /// Reorgs reset the engine controller to a consistent head; a wrongly numbered block
    /// is re-fetched; an overflowing timestamp is fatal.
    pub const fn class(&self) -> ErrorClass {
        match self {
            Self::ParentOriginMismatch { .. } | Self::OriginReorged { .. } => ErrorClass::Reset,
            Self::NextNumberMismatch { .. } => ErrorClass::Temporary,
            Self::Overflow { .. } => ErrorClass::Critical,
        }
    }
}

/// Selects the L1 origin of the block after `inputs.parent`.
///
/// Rules (op-node `FindL1Origin`, with the confirmation depth applied to the next block as
/// op-node's `confDepth` wrapper does):
/// 1. without the parent's origin block, ask for it by hash; a block that is not the one
///    the parent names is a reorg ([`ErrorClass::Reset`]);
/// 2. a confirmed next block that does not extend the origin is a reorg (Reset);
/// 3. a confirmed next block with `timestamp <= next L2 time` is adopted (op-node always
///    moves to the newest usable origin; derivation would accept staying, but moving early
///    keeps deposits timely and the drift far away);
/// 4. a next block that exists per the L1 head but was not fetched is asked for, so the
///    choice never depends on what happened to be cached;
/// 5. otherwise the current origin is kept while `next L2 time <= origin time + max drift`;
///    past the drift the next origin is mandatory: kept only if it is known and still in
///    the future (the spec's empty-batch exception), else wait for L1, saying why.
///
/// Spec: protocol/derivation.md#batch-queue (`batch.epoch_num == epoch.number+1`, drift rule
/// and its empty-batch exception), protocol/fjord/derivation.md#constant-maximum-sequencer-drift.
pub fn select_origin(
    cfg: &RollupConfig,
    inputs: OriginInputs<'_>,
) -> Result<OriginDecision, OriginError> {
    let parent = inputs.parent;
    let Some(current) = inputs.current else {
        return Ok(OriginDecision::NeedL1BlockByHash(parent.l1_origin.hash));
    };
    if current.id() != parent.l1_origin {
        return Err(OriginError::ParentOriginMismatch {
            parent_number: parent.number,
            expected: parent.l1_origin,
            got: current.id(),
        });
    }
    let l2_time = parent
        .timestamp
        .checked_add(cfg.block_time)
        .ok_or(OriginError::Overflow {
            parent_number: parent.number,
        })?;
    let next_number = current.number.saturating_add(1);
    let confirmed = |n: u64| inputs.confs == 0 || n.saturating_add(inputs.confs) <= inputs.l1_head;

    // The next block, if it is known and usable; `None` if it is not (yet).
    let next = match inputs.next {
        NextL1::Known(next) => {
            if next.number != next_number {
                return Err(OriginError::NextNumberMismatch {
                    expected: next_number,
                    got: next.number,
                });
            }
            if confirmed(next.number) {
                if next.parent_hash != current.hash {
                    return Err(OriginError::OriginReorged {
                        parent_number: parent.number,
                        origin: current.id(),
                        next_number: next.number,
                        next_parent: next.parent_hash,
                    });
                }
                Some(next)
            } else {
                None
            }
        }
        NextL1::NotFetched if confirmed(next_number) && next_number <= inputs.l1_head => {
            return Ok(OriginDecision::NeedL1Block(next_number));
        }
        NextL1::NotFetched | NextL1::Unavailable => None,
    };
    if let Some(next) = next
        && next.timestamp <= l2_time
    {
        return Ok(OriginDecision::Advance(next));
    }

    let drift_limit = current
        .timestamp
        .saturating_add(cfg.max_sequencer_drift(current.timestamp));
    if l2_time <= drift_limit || next.is_some() {
        // Within the drift, or past it with the next origin still in the future: the
        // current origin is the only valid one (the block will carry no pool transactions).
        return Ok(OriginDecision::Keep(*current));
    }
    let exists_unconfirmed = next_number <= inputs.l1_head && !confirmed(next_number);
    let reason = if !exists_unconfirmed {
        WaitReason::NextOriginUnavailable {
            number: next_number,
            l2_time,
            drift_limit,
        }
    } else {
        WaitReason::NextOriginUnconfirmed {
            number: next_number,
            l1_head: inputs.l1_head,
            confs: inputs.confs,
        }
    };
    Ok(OriginDecision::WaitForL1 { reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l1(number: u64, timestamp: u64) -> L1BlockRef {
        L1BlockRef {
            hash: B256::with_last_byte(number as u8),
            number,
            parent_hash: B256::with_last_byte(number.wrapping_sub(1) as u8),
            timestamp,
        }
    }

    fn cfg() -> RollupConfig {
        RollupConfig {
            block_time: 2,
            max_sequencer_drift: 600,
            ..Default::default()
        }
    }

    fn parent_on(origin: &L1BlockRef, timestamp: u64) -> L2BlockRef {
        L2BlockRef {
            number: 7,
            timestamp,
            l1_origin: origin.id(),
            ..Default::default()
        }
    }

    fn select(
        parent: &L2BlockRef,
        cur: &L1BlockRef,
        next: NextL1,
        head: u64,
        confs: u64,
    ) -> OriginDecision {
        select_origin(
            &cfg(),
            OriginInputs {
                parent,
                current: Some(cur),
                next,
                l1_head: head,
                confs,
            },
        )
        .unwrap()
    }

    #[test]
    fn asks_for_the_parents_origin_by_hash() {
        let cur = l1(10, 100);
        let p = parent_on(&cur, 110);
        let out = select_origin(
            &cfg(),
            OriginInputs {
                parent: &p,
                current: None,
                next: NextL1::NotFetched,
                l1_head: 10,
                confs: 0,
            },
        )
        .unwrap();
        assert_eq!(out, OriginDecision::NeedL1BlockByHash(cur.hash));
    }

    #[test]
    fn adopts_next_once_its_time_is_reached() {
        let cur = l1(10, 100);
        let next = l1(11, 112);
        assert_eq!(
            select(&parent_on(&cur, 108), &cur, NextL1::Known(next), 11, 0),
            OriginDecision::Keep(cur)
        );
        assert_eq!(
            select(&parent_on(&cur, 110), &cur, NextL1::Known(next), 11, 0),
            OriginDecision::Advance(next)
        );
    }

    #[test]
    fn confirmation_depth_hides_recent_blocks() {
        let cur = l1(10, 100);
        let next = l1(11, 112);
        let p = parent_on(&cur, 120);
        assert_eq!(
            select(&p, &cur, NextL1::Known(next), 13, 3),
            OriginDecision::Keep(cur)
        );
        assert_eq!(
            select(&p, &cur, NextL1::Known(next), 14, 3),
            OriginDecision::Advance(next)
        );
        // Not fetched: asked for only once confirmed.
        assert_eq!(
            select(&p, &cur, NextL1::NotFetched, 13, 3),
            OriginDecision::Keep(cur)
        );
        assert_eq!(
            select(&p, &cur, NextL1::NotFetched, 14, 3),
            OriginDecision::NeedL1Block(11)
        );
    }

    #[test]
    fn past_drift_the_next_origin_is_mandatory() {
        let cur = l1(10, 100);
        // 700 > 100 + 600.
        let p = parent_on(&cur, 698);
        let out = select(&p, &cur, NextL1::Unavailable, 10, 0);
        assert_eq!(out, OriginDecision::Keep(cur));
        let p = parent_on(&cur, 700);
        let out = select(&p, &cur, NextL1::Unavailable, 10, 0);
        assert_eq!(
            out,
            OriginDecision::WaitForL1 {
                reason: WaitReason::NextOriginUnavailable {
                    number: 11,
                    l2_time: 702,
                    drift_limit: 700
                }
            }
        );
        // Known but in the future: keep (the empty-batch exception).
        let out = select(&p, &cur, NextL1::Known(l1(11, 800)), 11, 0);
        assert_eq!(out, OriginDecision::Keep(cur));
        // Unconfirmed: wait and say so.
        let out = select(&p, &cur, NextL1::Known(l1(11, 300)), 11, 2);
        assert_eq!(
            out,
            OriginDecision::WaitForL1 {
                reason: WaitReason::NextOriginUnconfirmed {
                    number: 11,
                    l1_head: 11,
                    confs: 2
                }
            }
        );
    }

    #[test]
    fn past_drift_a_block_l1_does_not_have_yet_is_unavailable_not_unconfirmed() {
        let cur = l1(10, 100);
        let p = parent_on(&cur, 700);
        assert_eq!(
            select(&p, &cur, NextL1::NotFetched, 10, 3),
            OriginDecision::WaitForL1 {
                reason: WaitReason::NextOriginUnavailable {
                    number: 11,
                    l2_time: 702,
                    drift_limit: 700
                }
            }
        );
    }

    #[test]
    fn reorged_origin_is_a_reset() {
        let cur = l1(10, 100);
        let mut next = l1(11, 112);
        next.parent_hash = B256::repeat_byte(0xee);
        let p = parent_on(&cur, 110);
        let err = select_origin(
            &cfg(),
            OriginInputs {
                parent: &p,
                current: Some(&cur),
                next: NextL1::Known(next),
                l1_head: 11,
                confs: 0,
            },
        )
        .unwrap_err();
        assert!(matches!(
            err,
            OriginError::OriginReorged {
                next_number: 11,
                ..
            }
        ));
        assert_eq!(err.class(), ErrorClass::Reset);
        let other = L1BlockRef {
            hash: B256::repeat_byte(0xdd),
            ..cur
        };
        let err = select_origin(
            &cfg(),
            OriginInputs {
                parent: &p,
                current: Some(&other),
                next: NextL1::NotFetched,
                l1_head: 11,
                confs: 0,
            },
        )
        .unwrap_err();
        assert_eq!(err.class(), ErrorClass::Reset);
    }
}
