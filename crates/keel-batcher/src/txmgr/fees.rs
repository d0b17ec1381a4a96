//! Fee caps for new and replacement transactions, and their gas limit.
//!
//! The L1 node's view of the market comes in as a [`FeeQuote`]; the rules here are op-node's
//! `txmgr` (op-service) and geth's transaction-pool replacement rules.

/// Percentage a replacement must raise both the tip and the fee cap of a non-blob
/// transaction (geth `txpool.Config.PriceBump` default; op-service `priceBump`).
pub const PRICE_BUMP_PERCENT: u128 = 10;

/// Percentage a replacement must raise a blob transaction's tip, fee cap and blob fee cap
/// (geth blobpool `blobpool.Config.PriceBump`; op-service `blobPriceBump`).
pub const BLOB_PRICE_BUMP_PERCENT: u128 = 100;

/// Gas of a transaction before its data (EIP-2028 / Yellow Paper `G_transaction`).
pub const TX_BASE_GAS: u64 = 21_000;

/// The L1 market as the node reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeQuote {
    /// Suggested priority fee (`eth_maxPriorityFeePerGas`).
    pub tip: u128,
    /// Base fee of the head block.
    pub base_fee: u128,
    /// Blob base fee (`eth_blobBaseFee`); `None` before Cancun.
    pub blob_base_fee: Option<u128>,
}

/// A transaction's fee caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxFees {
    /// `max_priority_fee_per_gas`
    pub tip_cap: u128,
    /// `max_fee_per_gas`
    pub fee_cap: u128,
    /// `max_fee_per_blob_gas`, for blob transactions.
    pub blob_fee_cap: Option<u128>,
}

/// Limits on what the batcher pays (op-service txmgr flags).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeConfig {
    /// Lowest tip used, whatever the node suggests (`--txmgr.min-tip-cap`, in wei).
    pub min_tip: u128,
    /// Lowest base fee assumed (`--txmgr.min-basefee`, in wei).
    pub min_base_fee: u128,
    /// Lowest blob fee cap (op-service `MinBlobTxFee`, 1 gwei).
    pub min_blob_fee: u128,
    /// A bump may not take the caps above this multiple of the fresh suggestion
    /// (`--fee-limit-multiplier`, default 5).
    pub fee_limit_multiplier: u128,
}

impl Default for FeeConfig {
    fn default() -> Self {
        Self {
            min_tip: 0,
            min_base_fee: 0,
            min_blob_fee: 1_000_000_000,
            fee_limit_multiplier: 5,
        }
    }
}

/// Why fees could not be set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeeError {
    /// A blob transaction without a blob base fee (L1 before Cancun).
    #[error("L1 reports no blob base fee; blob transactions need Cancun")]
    NoBlobBaseFee,
    /// The bump would pay more than the multiplier allows over the current suggestion.
    #[error("bumped {what} {bumped} is over {multiplier}x the suggested {limit}")]
    OverLimit {
        /// Which cap.
        what: &'static str,
        /// The bumped value.
        bumped: u128,
        /// The largest value allowed.
        limit: u128,
        /// The multiplier.
        multiplier: u128,
    },
}

impl FeeConfig {
    fn floor(&self, q: FeeQuote) -> FeeQuote {
        FeeQuote {
            tip: q.tip.max(self.min_tip),
            base_fee: q.base_fee.max(self.min_base_fee),
            blob_base_fee: q.blob_base_fee,
        }
    }

    /// Twice the blob base fee, at least [`FeeConfig::min_blob_fee`] (op-service
    /// `calcBlobFeeCap`).
    pub fn blob_fee_cap(&self, blob_base_fee: u128) -> u128 {
        blob_base_fee.saturating_mul(2).max(self.min_blob_fee)
    }

    /// Caps for a new transaction: the suggested tip, a fee cap of tip + 2 × base fee (room
    /// for the base fee to rise for a few blocks), and for a blob transaction a blob fee cap
    /// of twice the blob base fee (op-service `craftTx`, `calcGasFeeCap`).
    pub fn initial(&self, quote: FeeQuote, blob: bool) -> Result<TxFees, FeeError> {
        let q = self.floor(quote);
        Ok(TxFees {
            tip_cap: q.tip,
            fee_cap: fee_cap(q.base_fee, q.tip),
            blob_fee_cap: match blob {
                true => Some(self.blob_fee_cap(q.blob_base_fee.ok_or(FeeError::NoBlobBaseFee)?)),
                false => None,
            },
        })
    }

    /// Caps for a replacement of a transaction with caps `old`: each cap is at least the old
    /// one raised by the pool's bump percentage (10 %, 100 % for blob transactions), and at
    /// least what a new transaction would get now; refused if that passes the fee limit
    /// (op-service `increaseGasPrice`, `updateFees`).
    ///
    /// geth: a replacement with the same nonce must raise both the tip and the fee cap by
    /// `PriceBump` percent (`core/txpool/legacypool`, `blobpool`), else it is
    /// `replacement transaction underpriced`.
    pub fn bump(&self, old: TxFees, quote: FeeQuote) -> Result<TxFees, FeeError> {
        let q = self.floor(quote);
        let blob = old.blob_fee_cap.is_some();
        let min_tip = bumped(old.tip_cap, blob);
        let min_fee_cap = bumped(old.fee_cap, blob);
        let new_fee_cap = fee_cap(q.base_fee, q.tip);
        // Four cases of op-service `updateFees`: whichever of the fresh value and the
        // threshold is higher, with the fee cap recomputed when the tip had to be raised.
        let (tip_cap, fee_cap_) = match (q.tip >= min_tip, new_fee_cap >= min_fee_cap) {
            (true, true) => (q.tip, new_fee_cap),
            (true, false) => (q.tip, min_fee_cap),
            (false, true) => (min_tip, fee_cap(q.base_fee, min_tip)),
            (false, false) => (min_tip, min_fee_cap),
        };
        let m = self.fee_limit_multiplier;
        let max_tip = q.tip.saturating_mul(m);
        let max_fee = fee_cap(q.base_fee.saturating_mul(m), max_tip);
        check("tip cap", tip_cap, max_tip, m)?;
        check("fee cap", fee_cap_, max_fee, m)?;
        let blob_fee_cap = match old.blob_fee_cap {
            None => None,
            Some(old_blob) => {
                let base = q.blob_base_fee.ok_or(FeeError::NoBlobBaseFee)?;
                let v = bumped(old_blob, true).max(base);
                check(
                    "blob fee cap",
                    v,
                    self.blob_fee_cap(base).saturating_mul(m),
                    m,
                )?;
                Some(v)
            }
        };
        Ok(TxFees {
            tip_cap,
            fee_cap: fee_cap_,
            blob_fee_cap,
        })
    }
}

fn check(what: &'static str, bumped: u128, limit: u128, multiplier: u128) -> Result<(), FeeError> {
    if bumped > limit {
        return Err(FeeError::OverLimit {
            what,
            bumped,
            limit,
            multiplier,
        });
    }
    Ok(())
}

/// tip + 2 × base fee (op-service `calcGasFeeCap`).
pub fn fee_cap(base_fee: u128, tip: u128) -> u128 {
    tip.saturating_add(base_fee.saturating_mul(2))
}

/// `ceil(x × (100 + bump) / 100)`, and at least `x + 1` (op-service `calcThresholdValue`).
pub fn bumped(x: u128, blob: bool) -> u128 {
    let pct = 100
        + if blob {
            BLOB_PRICE_BUMP_PERCENT
        } else {
            PRICE_BUMP_PERCENT
        };
    x.saturating_mul(pct).saturating_add(99) / 100
}

/// Gas of a call with `data` to an address without code: the batch inbox is an EOA-like
/// address, so execution costs nothing beyond intrinsic gas, which Prague's calldata floor
/// may raise.
///
/// Spec: EIP-2028 (4 gas per zero byte, 16 per non-zero byte), EIP-7623 (floor of
/// 21,000 + 10 per token, tokens = zero bytes + 4 × non-zero bytes, from Prague).
pub fn intrinsic_gas(data: &[u8], prague: bool) -> u64 {
    let zeros = data.iter().filter(|b| **b == 0).count() as u64;
    let nonzeros = data.len() as u64 - zeros;
    let standard = TX_BASE_GAS + 4 * zeros + 16 * nonzeros;
    if !prague {
        return standard;
    }
    let floor = TX_BASE_GAS + 10 * (zeros + 4 * nonzeros);
    standard.max(floor)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GWEI: u128 = 1_000_000_000;

    fn quote(tip: u128, base: u128, blob: Option<u128>) -> FeeQuote {
        FeeQuote {
            tip,
            base_fee: base,
            blob_base_fee: blob,
        }
    }

    #[test]
    fn initial_fees_are_tip_plus_twice_base_fee() {
        let cfg = FeeConfig::default();
        let f = cfg
            .initial(quote(2 * GWEI, 30 * GWEI, Some(3)), false)
            .unwrap();
        assert_eq!(
            f,
            TxFees {
                tip_cap: 2 * GWEI,
                fee_cap: 62 * GWEI,
                blob_fee_cap: None
            }
        );
        // Blob: twice the blob base fee, floored at 1 gwei.
        let f = cfg.initial(quote(GWEI, 10, Some(3)), true).unwrap();
        assert_eq!(f.blob_fee_cap, Some(GWEI));
        let f = cfg.initial(quote(GWEI, 10, Some(7 * GWEI)), true).unwrap();
        assert_eq!(f.blob_fee_cap, Some(14 * GWEI));
        assert_eq!(
            cfg.initial(quote(GWEI, 10, None), true),
            Err(FeeError::NoBlobBaseFee)
        );
        // Minimums apply.
        let cfg = FeeConfig {
            min_tip: 3 * GWEI,
            min_base_fee: 5 * GWEI,
            ..cfg
        };
        let f = cfg.initial(quote(GWEI, GWEI, None), false).unwrap();
        assert_eq!((f.tip_cap, f.fee_cap), (3 * GWEI, 13 * GWEI));
    }

    #[test]
    fn threshold_rounds_up_and_always_rises() {
        assert_eq!(bumped(100, false), 110);
        assert_eq!(bumped(101, false), 112); // 111.1 rounds up
        assert_eq!(bumped(1, false), 2);
        assert_eq!(bumped(0, false), 0);
        assert_eq!(bumped(100, true), 200);
        assert_eq!(bumped(7, true), 14);
    }

    #[test]
    fn bump_with_flat_market_uses_thresholds() {
        let cfg = FeeConfig::default();
        let old = cfg.initial(quote(GWEI, 10 * GWEI, None), false).unwrap();
        let new = cfg.bump(old, quote(GWEI, 10 * GWEI, None)).unwrap();
        assert_eq!(new.tip_cap, 1_100_000_000);
        assert_eq!(new.fee_cap, 23_100_000_000);
        // geth's rule holds on both caps.
        assert!(new.tip_cap * 100 >= old.tip_cap * 110);
        assert!(new.fee_cap * 100 >= old.fee_cap * 110);
    }

    #[test]
    fn bump_follows_a_rising_market() {
        let cfg = FeeConfig::default();
        let old = cfg.initial(quote(GWEI, 10 * GWEI, None), false).unwrap();
        // Base fee doubled, tip flat: threshold tip, fee cap recomputed from it.
        let new = cfg.bump(old, quote(GWEI, 20 * GWEI, None)).unwrap();
        assert_eq!(new.tip_cap, 1_100_000_000);
        assert_eq!(new.fee_cap, 41_100_000_000);
        // Tip tripled, base flat: the new tip; its fresh fee cap (23 gwei) is under the
        // threshold (21 × 1.1), so the threshold.
        let new = cfg.bump(old, quote(3 * GWEI, 10 * GWEI, None)).unwrap();
        assert_eq!(new.tip_cap, 3 * GWEI);
        assert_eq!(new.fee_cap, 23_100_000_000);
        // Both up: the fresh values.
        let new = cfg.bump(old, quote(3 * GWEI, 20 * GWEI, None)).unwrap();
        assert_eq!((new.tip_cap, new.fee_cap), (3 * GWEI, 43 * GWEI));
    }

    #[test]
    fn blob_bump_doubles_every_cap() {
        let cfg = FeeConfig::default();
        let old = cfg
            .initial(quote(GWEI, 10 * GWEI, Some(2 * GWEI)), true)
            .unwrap();
        assert_eq!(old.blob_fee_cap, Some(4 * GWEI));
        let new = cfg
            .bump(old, quote(GWEI, 10 * GWEI, Some(2 * GWEI)))
            .unwrap();
        assert_eq!(new.tip_cap, 2 * GWEI);
        assert_eq!(new.fee_cap, 42 * GWEI);
        assert_eq!(new.blob_fee_cap, Some(8 * GWEI));
    }

    #[test]
    fn bump_stops_at_the_fee_limit() {
        let cfg = FeeConfig::default();
        let mut f = cfg.initial(quote(GWEI, 10 * GWEI, None), false).unwrap();
        let q = quote(GWEI, 10 * GWEI, None);
        let mut bumps = 0;
        let err = loop {
            match cfg.bump(f, q) {
                Ok(n) => {
                    f = n;
                    bumps += 1;
                }
                Err(e) => break e,
            }
        };
        // 1 gwei × 1.1^n passes 5 gwei after 17 bumps (1.1^17 = 5.05).
        assert_eq!(bumps, 16);
        assert!(
            matches!(err, FeeError::OverLimit { what: "tip cap", limit, .. } if limit == 5 * GWEI)
        );
    }

    #[test]
    fn intrinsic_gas_with_and_without_floor() {
        let data = [0u8, 0, 1, 2];
        assert_eq!(intrinsic_gas(&data, false), 21_000 + 8 + 32);
        // Floor: 21000 + 10 × (2 + 8) = 21100 > 21040.
        assert_eq!(intrinsic_gas(&data, true), 21_100);
        assert_eq!(intrinsic_gas(&[], true), 21_000);
    }
}
