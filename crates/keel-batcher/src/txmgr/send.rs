//! One transaction's life from first publication to confirmation or abandonment, as a
//! state machine over reported events and a passed-in clock (op-service txmgr `SendState`
//! and `sendTx`).

use alloy_primitives::B256;
use keel_protocol::rollup_config::BlockId;

use super::fees::TxFees;

/// How the L1 node answered `eth_sendRawTransaction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishResult {
    /// Accepted into the pool.
    Accepted(B256),
    /// The pool already holds this exact transaction (a resend): as good as accepted.
    AlreadyKnown,
    /// The nonce is used: a transaction of ours with this nonce was mined (maybe this one,
    /// maybe an earlier version of it), or someone else used the key.
    NonceTooLow,
    /// A pooled transaction with this nonce pays as much or more: bump and retry.
    Underpriced,
    /// Any other refusal (insufficient funds, bad signature, transport failure).
    Other(String),
}

/// Sorts a node's refusal message into a [`PublishResult`] by geth's error strings
/// (`core/txpool/errors.go`, `core/error.go`), which reth and anvil reuse.
pub fn classify_send_error(message: &str) -> PublishResult {
    let m = message.to_ascii_lowercase();
    if m.contains("already known") || m.contains("already imported") {
        PublishResult::AlreadyKnown
    } else if m.contains("nonce too low") {
        PublishResult::NonceTooLow
    } else if m.contains("underpriced") || m.contains("already reserved") {
        PublishResult::Underpriced
    } else {
        PublishResult::Other(message.to_string())
    }
}

/// What to do next with a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendDecision {
    /// Sign and publish it with these fees (the first time, or a replacement).
    Publish(TxFees),
    /// Sign and publish it again with fees bumped from these (the caller fetches a quote).
    Bump(TxFees),
    /// Nothing to do until more time passes or a receipt arrives.
    Wait,
    /// Mined with enough confirmations, in this L1 block.
    Confirmed(BlockId),
    /// Give up: the frames go back to the channel manager.
    Abort(AbortReason),
}

/// Why a transaction was abandoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AbortReason {
    /// Nonce too low repeatedly with nothing of ours mined: the nonce was taken elsewhere
    /// (op-service `SafeAbortNonceTooLowCount`).
    #[error("nonce too low {0} times with nothing mined")]
    NonceTooLow(u32),
    /// The node refused the transaction outright.
    #[error("refused by the L1 node")]
    Refused,
    /// Fee bumping reached the fee limit.
    #[error("fee limit reached")]
    FeeLimit,
    /// Mined but reverted (should not happen for an inbox with no code).
    #[error("reverted on L1")]
    Reverted,
}

/// Tunables (op-service txmgr flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendConfig {
    /// Confirmations before a receipt counts (`--num-confirmations`, default 10); 1 = the
    /// inclusion block itself.
    pub num_confirmations: u64,
    /// Seconds without inclusion before a fee bump (`--resubmission-timeout`, default 48).
    pub resubmission_timeout: u64,
    /// Nonce-too-low answers, with nothing mined, before giving up
    /// (`--safe-abort-nonce-too-low-count`, default 3).
    pub safe_abort_nonce_too_low_count: u32,
}

impl Default for SendConfig {
    fn default() -> Self {
        Self {
            num_confirmations: 10,
            resubmission_timeout: 48,
            safe_abort_nonce_too_low_count: 3,
        }
    }
}

/// The state of one transaction (one nonce), all versions of it.
#[derive(Debug, Clone)]
pub struct SendState {
    config: SendConfig,
    nonce: u64,
    fees: TxFees,
    /// Hashes of every version published, newest last.
    hashes: Vec<B256>,
    published_at: Option<u64>,
    needs_bump: bool,
    nonce_too_low: u32,
    mined: Option<(B256, BlockId)>,
    aborted: Option<AbortReason>,
}

impl SendState {
    /// A transaction with `nonce`, to be published with `fees`.
    pub fn new(config: SendConfig, nonce: u64, fees: TxFees) -> Self {
        Self {
            config,
            nonce,
            fees,
            hashes: Vec::new(),
            published_at: None,
            needs_bump: false,
            nonce_too_low: 0,
            mined: None,
            aborted: None,
        }
    }

    /// The nonce.
    pub fn nonce(&self) -> u64 {
        self.nonce
    }

    /// The fees of the newest version.
    pub fn fees(&self) -> TxFees {
        self.fees
    }

    /// Hashes of every version published; any of them may be the one mined.
    pub fn hashes(&self) -> &[B256] {
        &self.hashes
    }

    /// Where a version was mined, if one was.
    pub fn mined(&self) -> Option<(B256, BlockId)> {
        self.mined
    }

    /// A version with `fees` and hash `hash` was handed to the node at `now` (seconds), with
    /// answer `result`.
    pub fn on_published(&mut self, fees: TxFees, hash: B256, result: PublishResult, now: u64) {
        match result {
            PublishResult::Accepted(_) | PublishResult::AlreadyKnown => {
                self.fees = fees;
                if !self.hashes.contains(&hash) {
                    self.hashes.push(hash);
                }
                self.published_at = Some(now);
                self.needs_bump = false;
            }
            PublishResult::NonceTooLow => {
                // Likely an earlier version was mined; the receipt decides. Only when nothing
                // of ours shows up does the count lead to an abort.
                self.nonce_too_low += 1;
                self.published_at.get_or_insert(now);
            }
            PublishResult::Underpriced => {
                self.fees = fees;
                self.needs_bump = true;
            }
            PublishResult::Other(_) => {
                if self.hashes.is_empty() {
                    self.aborted = Some(AbortReason::Refused);
                }
            }
        }
    }

    /// Fee bumping is impossible (limit reached): abort unless a version is already pooled,
    /// which may still be mined (op-service keeps waiting on it).
    pub fn on_bump_failed(&mut self) {
        if self.hashes.is_empty() {
            self.aborted = Some(AbortReason::FeeLimit);
        }
    }

    /// A receipt for `hash` in L1 block `at`; `success` is its status.
    pub fn on_receipt(&mut self, hash: B256, at: BlockId, success: bool) {
        if !success {
            self.aborted = Some(AbortReason::Reverted);
        }
        self.mined = Some((hash, at));
    }

    /// The mined version's receipt is gone (an L1 reorg): back to waiting, and bumping when
    /// the resubmission timeout passes.
    pub fn on_receipt_lost(&mut self) {
        self.mined = None;
    }

    /// The next step at time `now` (seconds) with the L1 head at `l1_head`.
    ///
    /// op-service txmgr: a receipt counts once `num_confirmations` blocks including its own
    /// are on top (`waitMined`); without one, the transaction is re-published with bumped fees
    /// every `resubmission_timeout`; repeated `nonce too low` with nothing mined aborts.
    pub fn next(&self, now: u64, l1_head: u64) -> SendDecision {
        if let Some(reason) = self.aborted {
            return SendDecision::Abort(reason);
        }
        if let Some((_, at)) = self.mined {
            let confirmations = l1_head.saturating_add(1).saturating_sub(at.number);
            return match confirmations >= self.config.num_confirmations.max(1) {
                true => SendDecision::Confirmed(at),
                false => SendDecision::Wait,
            };
        }
        if self.nonce_too_low >= self.config.safe_abort_nonce_too_low_count.max(1) {
            return SendDecision::Abort(AbortReason::NonceTooLow(self.nonce_too_low));
        }
        match self.published_at {
            None if !self.needs_bump => SendDecision::Publish(self.fees),
            _ if self.needs_bump => SendDecision::Bump(self.fees),
            Some(t) if now.saturating_sub(t) >= self.config.resubmission_timeout => {
                SendDecision::Bump(self.fees)
            }
            _ => SendDecision::Wait,
        }
    }
}

/// The sender's next nonce: read from the node's pending count once, then counted locally;
/// re-read after an abort, when the local count may be wrong (op-service
/// `signWithNextNonce`, `resetNonce`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NonceTracker {
    next: Option<u64>,
}

impl NonceTracker {
    /// Whether the node's pending nonce must be read first.
    pub fn needs_sync(&self) -> bool {
        self.next.is_none()
    }

    /// The node's pending transaction count for the sender.
    pub fn sync(&mut self, pending: u64) {
        self.next = Some(pending);
    }

    /// The nonce for a new transaction, if known.
    pub fn take(&mut self) -> Option<u64> {
        let n = self.next?;
        self.next = Some(n.saturating_add(1));
        Some(n)
    }

    /// Forget the local count (after an abort: the nonce may have gone unused).
    pub fn reset(&mut self) {
        self.next = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEES: TxFees = TxFees {
        tip_cap: 1,
        fee_cap: 3,
        blob_fee_cap: None,
    };

    fn cfg() -> SendConfig {
        SendConfig {
            num_confirmations: 3,
            resubmission_timeout: 48,
            safe_abort_nonce_too_low_count: 3,
        }
    }

    fn at(n: u64) -> BlockId {
        BlockId {
            hash: B256::repeat_byte(n as u8),
            number: n,
        }
    }

    #[test]
    fn publish_wait_bump_on_timeout() {
        let mut s = SendState::new(cfg(), 7, FEES);
        assert_eq!(s.next(1000, 10), SendDecision::Publish(FEES));
        let h1 = B256::repeat_byte(1);
        s.on_published(FEES, h1, PublishResult::Accepted(h1), 1000);
        assert_eq!(s.next(1047, 14), SendDecision::Wait);
        assert_eq!(s.next(1048, 14), SendDecision::Bump(FEES));
        let bumped = TxFees {
            tip_cap: 2,
            fee_cap: 4,
            blob_fee_cap: None,
        };
        let h2 = B256::repeat_byte(2);
        s.on_published(bumped, h2, PublishResult::Accepted(h2), 1048);
        assert_eq!(s.hashes(), &[h1, h2]);
        assert_eq!(s.fees(), bumped);
        assert_eq!(s.next(1095, 18), SendDecision::Wait);
        assert_eq!(s.next(1096, 18), SendDecision::Bump(bumped));
    }

    #[test]
    fn confirmation_depth_counts_the_inclusion_block() {
        let mut s = SendState::new(cfg(), 0, FEES);
        let h = B256::repeat_byte(1);
        s.on_published(FEES, h, PublishResult::Accepted(h), 0);
        s.on_receipt(h, at(20), true);
        assert_eq!(s.next(1, 20), SendDecision::Wait);
        assert_eq!(s.next(1, 21), SendDecision::Wait);
        assert_eq!(s.next(1, 22), SendDecision::Confirmed(at(20)));
        // Even far past the resubmission timeout, a mined transaction is not bumped.
        assert_eq!(s.next(10_000, 21), SendDecision::Wait);
        // An L1 reorg removes the receipt: waiting again, then bumping.
        s.on_receipt_lost();
        assert_eq!(s.next(10, 21), SendDecision::Wait);
        assert_eq!(s.next(48, 21), SendDecision::Bump(FEES));
    }

    #[test]
    fn underpriced_bumps_at_once_and_already_known_counts_as_sent() {
        let mut s = SendState::new(cfg(), 0, FEES);
        let h = B256::repeat_byte(1);
        s.on_published(FEES, h, PublishResult::Underpriced, 5);
        assert_eq!(s.next(5, 0), SendDecision::Bump(FEES));
        s.on_published(FEES, h, PublishResult::AlreadyKnown, 6);
        assert_eq!(s.next(7, 0), SendDecision::Wait);
        assert_eq!(s.hashes(), &[h]);
    }

    #[test]
    fn nonce_too_low_aborts_only_when_nothing_is_mined() {
        let mut s = SendState::new(cfg(), 0, FEES);
        let h = B256::repeat_byte(1);
        for i in 0..3 {
            assert_ne!(
                s.next(i, 0),
                SendDecision::Abort(AbortReason::NonceTooLow(3))
            );
            s.on_published(FEES, h, PublishResult::NonceTooLow, i);
        }
        assert_eq!(
            s.next(3, 0),
            SendDecision::Abort(AbortReason::NonceTooLow(3))
        );
        // The same answers, but an earlier version turned out mined: it confirms instead.
        let mut s = SendState::new(cfg(), 0, FEES);
        s.on_published(FEES, h, PublishResult::Accepted(h), 0);
        for i in 0..3 {
            s.on_published(FEES, h, PublishResult::NonceTooLow, i);
        }
        s.on_receipt(h, at(5), true);
        assert_eq!(s.next(100, 7), SendDecision::Confirmed(at(5)));
    }

    #[test]
    fn refusal_aborts_a_never_pooled_tx_and_revert_aborts() {
        let mut s = SendState::new(cfg(), 0, FEES);
        s.on_published(
            FEES,
            B256::ZERO,
            PublishResult::Other("insufficient funds".into()),
            0,
        );
        assert_eq!(s.next(0, 0), SendDecision::Abort(AbortReason::Refused));
        let mut s = SendState::new(cfg(), 0, FEES);
        s.on_bump_failed();
        assert_eq!(s.next(0, 0), SendDecision::Abort(AbortReason::FeeLimit));
        let mut s = SendState::new(cfg(), 0, FEES);
        s.on_receipt(B256::ZERO, at(1), false);
        assert_eq!(s.next(0, 9), SendDecision::Abort(AbortReason::Reverted));
    }

    #[test]
    fn classify_geth_messages() {
        assert_eq!(
            classify_send_error("nonce too low: next nonce 5, tx nonce 4"),
            PublishResult::NonceTooLow
        );
        assert_eq!(
            classify_send_error("already known"),
            PublishResult::AlreadyKnown
        );
        assert_eq!(
            classify_send_error("replacement transaction underpriced"),
            PublishResult::Underpriced
        );
        assert_eq!(
            classify_send_error("address already reserved"),
            PublishResult::Underpriced
        );
        assert_eq!(
            classify_send_error("insufficient funds for gas * price + value"),
            PublishResult::Other("insufficient funds for gas * price + value".into())
        );
    }

    #[test]
    fn nonces_count_up_from_the_node_and_resync_after_reset() {
        let mut n = NonceTracker::default();
        assert!(n.needs_sync());
        assert_eq!(n.take(), None);
        n.sync(5);
        assert_eq!((n.take(), n.take()), (Some(5), Some(6)));
        n.reset();
        assert!(n.needs_sync());
        n.sync(6);
        assert_eq!(n.take(), Some(6));
    }
}
