//! The block-building clock: when to start building, when to seal, how long to back off.
//!
//! All times are milliseconds since the UNIX epoch, handed in by the caller; an L2 block's
//! slot is its timestamp (seconds) × 1000.
//!
//! Timing is the sequencer's own policy; the protocol rule it serves is that each L2 block's
//! timestamp is its parent's plus the block time (Spec: protocol/derivation.md#batch-queue),
//! so catching up never skips a timestamp.
//!
//! - **Start**: as soon as the parent is sealed, but not more than one block time before
//!   the new block's slot (op-node `onForkchoiceUpdate`), so a fast chain never runs ahead
//!   of the wall clock by more than a block.
//! - **Seal**: at `slot − margin`, or at once if that moment has passed (a late start, or
//!   catching up after a stall: consecutive timestamps, none skipped, each sealed as soon
//!   as it is built). op-node uses a fixed 50 ms margin; Keel adapts it to the measured
//!   seal duration (see [`SealMargin`]).
//! - **Back-off** after engine or L1 faults: exponential from `retry_base_ms`, capped at
//!   `retry_max_ms` ([`Backoff`]); op-node waits a fixed 1 s (30 s when the engine syncs).

use std::time::Duration;

/// Tunables of the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScheduleConfig {
    /// The seal margin before any seal was measured: op-node's fixed `sealingDuration`.
    pub initial_margin_ms: u64,
    /// The smallest margin, whatever the measurements say.
    pub margin_floor_ms: u64,
    /// The largest margin. Values above half a block time are clamped to half a block time,
    /// so at least half of each slot is left for building.
    pub margin_ceiling_ms: u64,
    /// First back-off after a temporary fault.
    pub retry_base_ms: u64,
    /// Longest back-off.
    pub retry_max_ms: u64,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            initial_margin_ms: 50,
            margin_floor_ms: 10,
            margin_ceiling_ms: 1_000,
            retry_base_ms: 1_000,
            retry_max_ms: 30_000,
        }
    }
}

/// The seal margin: how long before its slot a block is sealed, learnt from the measured
/// seal durations (the time from the `Seal` action to the sealed head: `getPayload`,
/// `newPayload`, `forkchoiceUpdated`).
///
/// Formula (Jacobson's TCP retransmission timer, RFC 6298, in microseconds): for each
/// observation `d`, `var ← var + (|d − avg| − var) / 4`, then `avg ← avg + (d − avg) / 8`;
/// the margin is `clamp(avg + 4·var, floor, min(ceiling, block_time / 2))`. The average
/// follows the typical seal time, the variance term covers its jitter, so a stable engine
/// converges to a margin just above its seal time and a jittery one gets a wider margin.
/// It starts at `avg = initial_margin`, `var = 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealMargin {
    avg_us: u64,
    var_us: u64,
    floor_us: u64,
    ceiling_us: u64,
}

impl SealMargin {
    /// A margin for a chain with `block_time` seconds between blocks.
    pub fn new(cfg: &ScheduleConfig, block_time: u64) -> Self {
        let half_block_us = block_time.saturating_mul(500_000);
        let ceiling_us = cfg
            .margin_ceiling_ms
            .saturating_mul(1000)
            .min(half_block_us);
        Self {
            avg_us: cfg.initial_margin_ms.saturating_mul(1000),
            var_us: 0,
            floor_us: cfg.margin_floor_ms.saturating_mul(1000).min(ceiling_us),
            ceiling_us,
        }
    }

    /// Records one measured seal duration.
    pub fn observe(&mut self, seal: Duration) {
        let d = u64::try_from(seal.as_micros()).unwrap_or(u64::MAX);
        let err = d.abs_diff(self.avg_us);
        // Signed EWMA steps done in unsigned arithmetic: move by a fraction of the gap.
        self.var_us = if err >= self.var_us {
            self.var_us + (err - self.var_us) / 4
        } else {
            self.var_us - (self.var_us - err) / 4
        };
        self.avg_us = if d >= self.avg_us {
            self.avg_us + (d - self.avg_us) / 8
        } else {
            self.avg_us - (self.avg_us - d) / 8
        };
    }

    /// The current margin, in microseconds.
    pub fn margin_us(&self) -> u64 {
        self.avg_us
            .saturating_add(self.var_us.saturating_mul(4))
            .clamp(self.floor_us, self.ceiling_us)
    }

    /// The current margin, in whole milliseconds (rounded up).
    pub fn margin_ms(&self) -> u64 {
        self.margin_us().div_ceil(1000)
    }

    /// The smoothed seal duration, in microseconds.
    pub const fn average_us(&self) -> u64 {
        self.avg_us
    }
}

/// Exponential back-off after consecutive temporary faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    base_ms: u64,
    max_ms: u64,
    failures: u32,
}

impl Backoff {
    /// A back-off with no failure recorded.
    pub const fn new(cfg: &ScheduleConfig) -> Self {
        Self {
            base_ms: cfg.retry_base_ms,
            max_ms: cfg.retry_max_ms,
            failures: 0,
        }
    }

    /// Records a failure and returns how long to wait: `base · 2^(n−1)` for the n-th
    /// consecutive failure, at most `max`.
    pub fn fail(&mut self) -> u64 {
        self.failures = self.failures.saturating_add(1);
        let shift = self.failures.saturating_sub(1).min(20);
        self.base_ms.saturating_mul(1 << shift).min(self.max_ms)
    }

    /// Records a success: the next failure waits `base` again.
    pub fn succeed(&mut self) {
        self.failures = 0;
    }

    /// Consecutive failures so far.
    pub const fn failures(&self) -> u32 {
        self.failures
    }
}

/// A block's slot in milliseconds, or `None` on overflow.
pub const fn slot_ms(timestamp: u64) -> Option<u64> {
    timestamp.checked_mul(1000)
}

/// When to start building the block at `timestamp`: at once, but not before one block time
/// ahead of its slot (op-node `onForkchoiceUpdate`).
pub fn start_at(timestamp: u64, block_time: u64, now_ms: u64) -> u64 {
    let slot = slot_ms(timestamp).unwrap_or(u64::MAX);
    slot.saturating_sub(block_time.saturating_mul(1000))
        .max(now_ms)
}

/// When to seal the block at `timestamp`: `margin` before its slot, or at once if that
/// moment has passed.
pub fn seal_at(timestamp: u64, margin_ms: u64, now_ms: u64) -> u64 {
    let slot = slot_ms(timestamp).unwrap_or(u64::MAX);
    slot.saturating_sub(margin_ms).max(now_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margin_converges_to_a_stable_seal_time() {
        let mut m = SealMargin::new(&ScheduleConfig::default(), 2);
        assert_eq!(m.margin_ms(), 50);
        for _ in 0..200 {
            m.observe(Duration::from_millis(120));
        }
        // Variance decays to zero, average to 120 ms.
        assert!((119..=121).contains(&m.margin_ms()), "{}", m.margin_ms());
        for _ in 0..200 {
            m.observe(Duration::from_millis(5));
        }
        assert_eq!(m.margin_ms(), 10, "floor");
    }

    #[test]
    fn jitter_widens_the_margin_and_ceiling_holds() {
        let mut m = SealMargin::new(&ScheduleConfig::default(), 2);
        for i in 0..400 {
            m.observe(Duration::from_millis(if i % 2 == 0 { 40 } else { 160 }));
        }
        let avg = m.average_us() / 1000;
        assert!((90..=110).contains(&avg), "{avg}");
        assert!(m.margin_ms() > 250, "{}", m.margin_ms());
        for _ in 0..50 {
            m.observe(Duration::from_secs(10));
        }
        assert_eq!(
            m.margin_ms(),
            1000,
            "ceiling: min(1 s, half of a 2 s block)"
        );
        let mut one_sec = SealMargin::new(&ScheduleConfig::default(), 1);
        one_sec.observe(Duration::from_secs(10));
        assert_eq!(one_sec.margin_ms(), 500, "half of a 1 s block");
    }

    #[test]
    fn backoff_doubles_to_its_cap_and_resets() {
        let mut b = Backoff::new(&ScheduleConfig::default());
        let waits: Vec<u64> = (0..7).map(|_| b.fail()).collect();
        assert_eq!(waits, [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
        b.succeed();
        assert_eq!(b.fail(), 1000);
    }

    #[test]
    fn start_and_seal_times() {
        // Slot 100 s, 2 s blocks.
        assert_eq!(start_at(100, 2, 90_000), 98_000);
        assert_eq!(start_at(100, 2, 99_000), 99_000);
        assert_eq!(seal_at(100, 50, 98_000), 99_950);
        assert_eq!(seal_at(100, 50, 120_000), 120_000);
    }
}
