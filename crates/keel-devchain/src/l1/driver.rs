//! The L1 dev chain's clock: mines a block at every slot boundary
//! (`genesis_time + k × block_time`) of the wall clock. The only place the L1 reads time.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::beacon::SharedL1Chain;

/// Mines on `chain` at each slot boundary after its head, forever (abort the task to stop).
/// A slot whose block cannot be mined (the clock went backwards) is skipped.
pub async fn run(chain: SharedL1Chain) {
    loop {
        let (genesis, block_time, head_time) = {
            let c = chain.read();
            (
                c.genesis_time(),
                c.config().block_time,
                c.head().header.timestamp,
            )
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let next = next_slot_time(genesis, block_time, head_time.max(now));
        tokio::time::sleep(Duration::from_secs(next.saturating_sub(now))).await;
        // The error is a timestamp not after the head's: nothing to do but wait a slot.
        let _ = chain.write().build_block(next);
    }
}

/// The first slot boundary strictly after `after`.
pub fn next_slot_time(genesis: u64, block_time: u64, after: u64) -> u64 {
    let block_time = block_time.max(1);
    let since = after.saturating_sub(genesis);
    genesis + (since / block_time + 1) * block_time
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_slot_is_strictly_after() {
        assert_eq!(next_slot_time(100, 6, 100), 106);
        assert_eq!(next_slot_time(100, 6, 105), 106);
        assert_eq!(next_slot_time(100, 6, 106), 112);
        assert_eq!(next_slot_time(100, 6, 50), 106);
    }
}
