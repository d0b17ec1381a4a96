//! Finding where to restart after a reorg or a restart (op-node's `FindL2Heads`, then the
//! pipeline's `initialReset` walk to the L1 base), as a step machine the driver feeds.
//!
//! Spec: protocol/derivation.md#resetting-the-pipeline,
//! protocol/derivation.md#finding-the-sync-starting-point.
//!
//! The driver loops: `step()` answers [`SyncStep::NeedL1BlockByNumber`] (reply with
//! [`SyncStartFinder::provide_l1`], `None` when L1 has no block at that height yet),
//! [`SyncStep::NeedL2Block`] (reply with [`SyncStartFinder::provide_l2`], the canonical L2
//! block at that height) or [`SyncStep::Done`]. The walk is op-node's: only the L1 and L2
//! blocks it needs, in the same order, with the same checks.

use keel_protocol::{hardfork::Hardfork, rollup_config::RollupConfig};

use crate::{
    error::ErrorClass,
    types::{L1BlockRef, L2BlockRef},
};

/// A walk back further than this many sync look-backs (sequence windows) of L1 origins below
/// the previous unsafe head's is refused as a too-deep reorg (op-node `MaxReorgSeqWindows`).
pub const MAX_REORG_SEQ_WINDOWS: u64 = 5;

/// With finalized and safe heads still at genesis, an unsafe head whose L1 origin is more
/// than this many sequence windows past the L1 genesis means the execution client synced
/// without a forkchoice state: all three heads are taken as the unsafe head (op-node
/// `RecoverMinSeqWindows`).
pub const RECOVER_MIN_SEQ_WINDOWS: u64 = 14;

/// The execution client's forkchoice state when the search starts.
///
/// Spec: protocol/derivation.md#finding-the-sync-starting-point, step 1: no finalized block
/// means the L2 genesis, no safe block means the finalized one ([`Self::with_defaults`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentHeads {
    /// The unsafe (latest) head.
    pub unsafe_head: L2BlockRef,
    /// The safe head.
    pub safe_head: L2BlockRef,
    /// The finalized head.
    pub finalized_head: L2BlockRef,
}

impl CurrentHeads {
    /// Applies step 1's defaults: finalized falls back to `genesis`, safe to finalized.
    pub fn with_defaults(
        unsafe_head: L2BlockRef,
        safe_head: Option<L2BlockRef>,
        finalized_head: Option<L2BlockRef>,
        genesis: L2BlockRef,
    ) -> Self {
        let finalized_head = finalized_head.unwrap_or(genesis);
        Self {
            unsafe_head,
            safe_head: safe_head.unwrap_or(finalized_head),
            finalized_head,
        }
    }
}

/// Where to restart: the new forkchoice state and the pipeline's starting point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncStart {
    /// The highest L2 block whose L1 origin is canonical or ahead of the L1 head.
    pub unsafe_head: L2BlockRef,
    /// The new safe head. Without interop it is also the cross-safe head.
    pub safe_head: L2BlockRef,
    /// The finalized head (unchanged unless a recovery case applied).
    pub finalized_head: L2BlockRef,
    /// The L2 block the pipeline restarts from (`l2base`): the safe head walked back a
    /// channel timeout of L1 origins. The pipeline's system config is this block's (read it
    /// with [`crate::l2::L2ChainView::system_config_by_number`]).
    pub pipeline_l2: L2BlockRef,
    /// `pipeline_l2`'s L1 origin, where L1 traversal restarts (`base`).
    pub pipeline_origin: L1BlockRef,
}

/// What the finder needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncStep {
    /// The canonical L2 block at this height (reply with [`SyncStartFinder::provide_l2`]).
    NeedL2Block(u64),
    /// The canonical L1 block at this height (reply with [`SyncStartFinder::provide_l1`]).
    NeedL1BlockByNumber(u64),
    /// The search is over (boxed: the result is large next to the requests).
    Done(Box<SyncStart>),
}

/// Why the search failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SyncStartError {
    /// The L2 chain reaches the genesis height at another block, or its L1 origin there is
    /// not the configured L1 genesis: wrong chain or wrong L1.
    #[error("wrong chain: genesis is {expected:?} on {layer}, found {got:?}")]
    WrongChain {
        /// `"L1"` or `"L2"`.
        layer: &'static str,
        /// Configured genesis.
        expected: keel_protocol::rollup_config::BlockId,
        /// Found.
        got: keel_protocol::rollup_config::BlockId,
    },
    /// The walk met a different block at the finalized height.
    #[error("cannot reorg finalized block {finalized:?}: found {got:?}")]
    ReorgFinalized {
        /// The finalized head.
        finalized: keel_protocol::rollup_config::BlockId,
        /// The block found at its height.
        got: keel_protocol::rollup_config::BlockId,
    },
    /// The finalized block's L1 origin is neither canonical nor ahead of L1.
    #[error("L1 origin {origin:?} of finalized L2 block {finalized} is not canonical")]
    FinalizedOriginNotCanonical {
        /// The finalized block number.
        finalized: u64,
        /// Its L1 origin.
        origin: keel_protocol::rollup_config::BlockId,
    },
    /// The new unsafe head is too far behind the previous one.
    #[error(
        "reorg too deep: new unsafe L2 block {new_unsafe} has L1 origin {new_origin}, previous unsafe head's was {prev_origin}"
    )]
    TooDeepReorg {
        /// The candidate unsafe head number.
        new_unsafe: u64,
        /// Its L1 origin number.
        new_origin: u64,
        /// The previous unsafe head's L1 origin number.
        prev_origin: u64,
    },
    /// Two consecutive L2 blocks break the epoch rules (origin number step, sequence
    /// numbers, origin parent hash).
    #[error("inconsistent L2 chain at block {number}: {what}")]
    InconsistentL2 {
        /// The child block's number.
        number: u64,
        /// Which rule.
        what: &'static str,
    },
    /// An L2 block the walk needs is missing, or is not the parent of the block above it
    /// (the execution client's chain moved during the search).
    #[error("L2 block {number} is missing or not the parent of the block above it")]
    L2Changed {
        /// The height asked for.
        number: u64,
    },
    /// An L1 block the base walk needs is missing or is not the expected origin (L1 moved
    /// during the search).
    #[error("L1 block {number} is missing or not the expected L1 origin")]
    L1Changed {
        /// The height asked for.
        number: u64,
    },
    /// `provide_l1`/`provide_l2` was called without a matching request.
    #[error("unexpected {what}: the finder did not ask for it")]
    UnexpectedInput {
        /// What was handed in.
        what: &'static str,
    },
}

impl SyncStartError {
    /// The class. op-node retries every failure of the search; Keel classes the ones no
    /// retry can fix (wrong chain, finalized reorg, too deep a reorg, a corrupt L2 chain, a
    /// driver bug) as critical, and chains that moved during the search as temporary.
    pub const fn class(&self) -> ErrorClass {
        match self {
            Self::L2Changed { .. } | Self::L1Changed { .. } => ErrorClass::Temporary,
            Self::WrongChain { .. }
            | Self::ReorgFinalized { .. }
            | Self::FinalizedOriginNotCanonical { .. }
            | Self::TooDeepReorg { .. }
            | Self::InconsistentL2 { .. }
            | Self::UnexpectedInput { .. } => ErrorClass::Critical,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    None,
    L1(u64),
    L2(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// `FindL2Heads`: checking block `n`.
    Walk,
    /// `FindL2Heads` done; walking from the safe head back a channel timeout.
    Base,
    /// Finished: `done` holds the result.
    Done,
}

/// The sync-start search (op-node `FindL2Heads` and `initialReset`) as a step machine.
#[derive(Debug, Clone)]
pub struct SyncStartFinder {
    genesis_l1: keel_protocol::rollup_config::BlockId,
    genesis_l2: keel_protocol::rollup_config::BlockId,
    seq_window: u64,
    sync_lookback: u64,
    channel_timeout: u64,
    granite_time: Option<u64>,

    unsafe_head: Option<L2BlockRef>,
    safe_head: L2BlockRef,
    finalized_head: L2BlockRef,
    prev_unsafe: L2BlockRef,

    n: L2BlockRef,
    l1_block: Option<L1BlockRef>,
    /// The L1 height last reported missing (so `n`'s origin is ahead of L1).
    ahead_at: Option<u64>,
    /// The L2 block number whose L1 lookup is done.
    l1_checked: Option<u64>,
    highest: Option<L2BlockRef>,
    ready: bool,

    phase: Phase,
    base_l2: L2BlockRef,
    base_origin: Option<L1BlockRef>,
    done: Option<SyncStart>,
    pending: Pending,
    got_l1: Option<Option<L1BlockRef>>,
    got_l2: Option<Option<L2BlockRef>>,
}

impl SyncStartFinder {
    /// Starts a search from the execution client's forkchoice state. The recovery cases of
    /// op-node apply first: finalized and safe at genesis with an unsafe head far past it,
    /// or an unsafe head below the safe or finalized one, make all three heads the unsafe
    /// head.
    pub fn new(cfg: &RollupConfig, heads: CurrentHeads) -> Self {
        let genesis_l2 = cfg.genesis.l2;
        let seq_window = cfg.seq_window_size;
        // op-node `SyncLookback`: alt-DA chains look back over the challenge and resolve
        // windows when those are longer.
        let sync_lookback = cfg.alt_da.as_ref().map_or(seq_window, |da| {
            seq_window.max(da.da_challenge_window.saturating_add(da.da_resolve_window))
        });
        let CurrentHeads {
            unsafe_head,
            safe_head,
            finalized_head,
        } = heads;
        let synced_without_finality = finalized_head.hash == genesis_l2.hash
            && safe_head.hash == genesis_l2.hash
            && unsafe_head.number > genesis_l2.number
            && unsafe_head.l1_origin.number
                > cfg
                    .genesis
                    .l1
                    .number
                    .saturating_add(RECOVER_MIN_SEQ_WINDOWS.saturating_mul(seq_window));
        let rewound =
            unsafe_head.number < finalized_head.number || unsafe_head.number < safe_head.number;
        let recovered = synced_without_finality || rewound;
        let mut finder = Self {
            genesis_l1: cfg.genesis.l1,
            genesis_l2,
            seq_window,
            sync_lookback,
            channel_timeout: cfg.channel_timeout,
            granite_time: cfg.hardforks.activation_time(Hardfork::Granite),
            unsafe_head: Some(unsafe_head),
            safe_head: if recovered { unsafe_head } else { safe_head },
            finalized_head: if recovered {
                unsafe_head
            } else {
                finalized_head
            },
            prev_unsafe: unsafe_head,
            n: unsafe_head,
            l1_block: None,
            ahead_at: None,
            l1_checked: None,
            highest: None,
            ready: false,
            phase: Phase::Walk,
            base_l2: unsafe_head,
            base_origin: None,
            done: None,
            pending: Pending::None,
            got_l1: None,
            got_l2: None,
        };
        if recovered {
            finder.phase = Phase::Base;
        }
        finder
    }

    /// Hands in the canonical L1 block at the height last asked for (`None`: L1 has no
    /// block there yet).
    pub fn provide_l1(&mut self, block: Option<L1BlockRef>) -> Result<(), SyncStartError> {
        match (self.pending, block) {
            (Pending::L1(want), Some(b)) if b.number != want => {
                Err(SyncStartError::L1Changed { number: want })
            }
            (Pending::L1(_), _) => {
                self.pending = Pending::None;
                self.got_l1 = Some(block);
                Ok(())
            }
            _ => Err(SyncStartError::UnexpectedInput { what: "L1 block" }),
        }
    }

    /// Hands in the canonical L2 block at the height last asked for (`None`: missing).
    pub fn provide_l2(&mut self, block: Option<L2BlockRef>) -> Result<(), SyncStartError> {
        match self.pending {
            Pending::L2(_) => {
                self.pending = Pending::None;
                self.got_l2 = Some(block);
                Ok(())
            }
            _ => Err(SyncStartError::UnexpectedInput { what: "L2 block" }),
        }
    }

    /// Advances the search as far as the data handed in allows.
    pub fn step(&mut self) -> Result<SyncStep, SyncStartError> {
        loop {
            match self.pending {
                Pending::L1(n) => return Ok(SyncStep::NeedL1BlockByNumber(n)),
                Pending::L2(n) => return Ok(SyncStep::NeedL2Block(n)),
                Pending::None => {}
            }
            match (self.phase, self.done) {
                (Phase::Done, Some(start)) => return Ok(SyncStep::Done(Box::new(start))),
                (Phase::Walk, _) => self.walk()?,
                (Phase::Base | Phase::Done, _) => self.base()?,
            }
        }
    }

    /// One move of `FindL2Heads`: either a request, or the checks of block `n` and a move
    /// to its parent (or to the base phase).
    fn walk(&mut self) -> Result<(), SyncStartError> {
        let n = self.n;
        // L1 data for n's origin: op-node fetches the L1 block at the origin's height
        // unless it already holds the origin (by number here; its by-hash shortcut for the
        // parent of a canonical block returns the same canonical block).
        if let Some(got) = self.got_l1.take() {
            self.l1_block = got;
            self.ahead_at = got.is_none().then_some(n.l1_origin.number);
            self.l1_checked = Some(n.number);
        }
        if self.l1_checked != Some(n.number) {
            let origin = n.l1_origin;
            let known = match self.l1_block {
                Some(b) => b.hash == origin.hash || b.number == origin.number,
                None => self.ahead_at == Some(origin.number),
            };
            if !known {
                self.pending = Pending::L1(origin.number);
                return Ok(());
            }
            self.l1_checked = Some(n.number);
        }
        let ahead = self.l1_block.is_none();

        // The parent, when it was asked for: check it and move down.
        if let Some(got) = self.got_l2.take() {
            return self.descend(n, got);
        }

        if n.number == self.genesis_l2.number {
            if n.hash != self.genesis_l2.hash {
                return Err(SyncStartError::WrongChain {
                    layer: "L2",
                    expected: self.genesis_l2,
                    got: n.id(),
                });
            }
            if let Some(b) = self.l1_block
                && b.hash != self.genesis_l1.hash
            {
                return Err(SyncStartError::WrongChain {
                    layer: "L1",
                    expected: self.genesis_l1,
                    got: b.id(),
                });
            }
        }
        if n.number == self.finalized_head.number && n.hash != self.finalized_head.hash {
            return Err(SyncStartError::ReorgFinalized {
                finalized: self.finalized_head.id(),
                got: n.id(),
            });
        }
        if self.unsafe_head.is_none() {
            self.unsafe_head = Some(n);
            let reach = n
                .l1_origin
                .number
                .saturating_add(MAX_REORG_SEQ_WINDOWS.saturating_mul(self.sync_lookback));
            if reach < self.prev_unsafe.l1_origin.number {
                return Err(SyncStartError::TooDeepReorg {
                    new_unsafe: n.number,
                    new_origin: n.l1_origin.number,
                    prev_origin: self.prev_unsafe.l1_origin.number,
                });
            }
        }
        if ahead {
            // Cannot tell yet whether the origin is canonical: keep the unsafe head.
            self.highest = None;
        } else if self.l1_block.map(|b| b.hash) == Some(n.l1_origin.hash) {
            if self.highest.is_none() {
                self.highest = Some(n);
            }
        } else {
            self.unsafe_head = None;
            self.highest = None;
        }
        if let Some(highest) = self.highest
            && n.number <= self.safe_head.number
            && n.sequence_number == 0
            && n.l1_origin.number.saturating_add(self.sync_lookback) < highest.l1_origin.number
        {
            self.ready = true;
        }
        if n.number == self.finalized_head.number {
            let unsafe_head =
                self.unsafe_head
                    .ok_or(SyncStartError::FinalizedOriginNotCanonical {
                        finalized: n.number,
                        origin: n.l1_origin,
                    })?;
            self.unsafe_head = Some(unsafe_head);
            self.safe_head = n;
            self.enter_base(n);
            return Ok(());
        }
        let parent = n
            .number
            .checked_sub(1)
            .ok_or(SyncStartError::L2Changed { number: 0 })?;
        self.pending = Pending::L2(parent);
        Ok(())
    }

    /// Checks the parent handed in against `n` and moves the walk to it.
    fn descend(&mut self, n: L2BlockRef, got: Option<L2BlockRef>) -> Result<(), SyncStartError> {
        let want = n.number.saturating_sub(1);
        let parent = match got {
            Some(p) if p.hash == n.parent_hash && p.number == want => p,
            _ => return Err(SyncStartError::L2Changed { number: want }),
        };
        let inconsistent = |what| SyncStartError::InconsistentL2 {
            number: n.number,
            what,
        };
        if parent.l1_origin != n.l1_origin {
            if parent.l1_origin.number.checked_add(1) != Some(n.l1_origin.number) {
                return Err(inconsistent("L1 origin number does not step by one"));
            }
            if n.sequence_number != 0 {
                return Err(inconsistent("new epoch with a non-zero sequence number"));
            }
            if let Some(b) = self.l1_block
                && b.hash == n.l1_origin.hash
                && b.parent_hash != parent.l1_origin.hash
            {
                return Err(inconsistent("parent's L1 origin is not the L1 parent"));
            }
        } else if parent.sequence_number.checked_add(1) != Some(n.sequence_number) {
            return Err(inconsistent("sequence number does not step by one"));
        }
        self.n = parent;
        if self.ready {
            self.safe_head = parent;
            self.enter_base(parent);
        }
        Ok(())
    }

    fn enter_base(&mut self, safe: L2BlockRef) {
        // The walk's last L1 block is the safe head's origin when it is canonical; reuse it.
        let origin = self.l1_block.filter(|b| b.hash == safe.l1_origin.hash);
        self.phase = Phase::Base;
        self.base_l2 = safe;
        self.base_origin = origin;
    }

    /// One move of the base walk: from the safe head back while its L1 origin is within a
    /// channel timeout of the safe head's and both geneses are behind.
    ///
    /// Spec: protocol/derivation.md#finding-the-sync-starting-point, step 5; op-node
    /// `DerivationPipeline.initialReset` (the timeout is the one in force at the walked
    /// block's L1 origin time, Granite's 50 after Granite).
    fn base(&mut self) -> Result<(), SyncStartError> {
        let mut pipeline_l2 = self.base_l2;
        let mut origin = self.base_origin;
        if let Some(got) = self.got_l2.take() {
            let want = pipeline_l2.number.saturating_sub(1);
            pipeline_l2 = match got {
                Some(p) if p.hash == pipeline_l2.parent_hash && p.number == want => p,
                _ => return Err(SyncStartError::L2Changed { number: want }),
            };
            origin = origin.filter(|o| o.hash == pipeline_l2.l1_origin.hash);
        }
        if let Some(got) = self.got_l1.take() {
            let want = pipeline_l2.l1_origin;
            origin = match got {
                Some(b) if b.hash == want.hash => Some(b),
                _ => {
                    return Err(SyncStartError::L1Changed {
                        number: want.number,
                    });
                }
            };
        }
        self.base_l2 = pipeline_l2;
        self.base_origin = origin;
        let Some(pipeline_origin) = origin else {
            self.pending = Pending::L1(pipeline_l2.l1_origin.number);
            return Ok(());
        };
        let start_origin = self.safe_head.l1_origin.number;
        let timeout = match self.granite_time {
            Some(t) if pipeline_origin.timestamp >= t => {
                keel_protocol::rollup_config::GRANITE_CHANNEL_TIMEOUT
            }
            _ => self.channel_timeout,
        };
        let keep_walking = pipeline_l2.number > self.genesis_l2.number
            && pipeline_l2.l1_origin.number > self.genesis_l1.number
            && pipeline_l2.l1_origin.number.saturating_add(timeout) > start_origin;
        if keep_walking {
            self.pending = Pending::L2(pipeline_l2.number.saturating_sub(1));
            return Ok(());
        }
        let unsafe_head = self.unsafe_head.unwrap_or(self.prev_unsafe);
        self.phase = Phase::Done;
        self.done = Some(SyncStart {
            unsafe_head,
            safe_head: self.safe_head,
            finalized_head: self.finalized_head,
            pipeline_l2,
            pipeline_origin,
        });
        Ok(())
    }

    /// The sequence window the finder was configured with (for diagnostics).
    pub const fn seq_window(&self) -> u64 {
        self.seq_window
    }
}
