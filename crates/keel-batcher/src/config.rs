//! The batcher's settings and the per-channel parameters they imply under the rollup
//! config's fork schedule and L1's blob schedule.

use alloy_eips::eip7840::BlobParams;
use keel_protocol::{
    blob::MAX_BLOB_DATA_SIZE,
    channel_builder::{BatchKind, ChannelConfig},
    compression::CompressionAlgo,
    frame::{FRAME_OVERHEAD, MAX_FRAME_LEN},
    hardfork::Hardfork,
    l1_blob_schedule::known_l1_blob_params,
    rollup_config::RollupConfig,
};

/// Where batcher data goes on L1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum DataAvailability {
    /// Frames in the transaction's calldata.
    #[default]
    Calldata,
    /// One frame per blob, several blobs per type-3 transaction.
    Blobs,
}

/// op-batcher's default `--max-l1-tx-size-bytes`.
pub const DEFAULT_MAX_L1_TX_SIZE: usize = 120_000;

/// Blobs per transaction by default: the most any L1 allows from Osaka on.
///
/// EIP-7594 (`MAX_BLOBS_PER_TX = 6`); op-batcher `eth.MaxBlobsPerBlobTx`.
pub const DEFAULT_BLOBS_PER_TX: usize = 6;

/// Largest frame a blob holds: the blob's payload minus the derivation version byte.
///
/// Spec: protocol/derivation.md#batcher-transaction-format (version byte, then frames),
/// protocol/ecotone/derivation.md#blob-encoding (130044 bytes per blob).
pub const MAX_BLOB_FRAME_SIZE: usize = MAX_BLOB_DATA_SIZE - 1;

/// Settings of the channel manager (op-batcher's `ChannelConfig` and `BatcherConfig`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatcherConfig {
    /// Calldata or blobs.
    pub data_availability: DataAvailability,
    /// Largest calldata transaction, version byte included (`--max-l1-tx-size-bytes`);
    /// calldata frames are one byte smaller. Unused for blobs.
    pub max_l1_tx_size: usize,
    /// Frames a channel aims at (`--target-num-frames`): with blobs, also the blobs per
    /// transaction, capped by L1's per-transaction and per-block limits.
    pub target_num_frames: usize,
    /// Close a channel this many L1 blocks after it was opened; 0 = no limit
    /// (`--max-channel-duration`).
    pub max_channel_duration: u64,
    /// L1 blocks of margin kept before the channel timeout and the sequencing window's end
    /// (`--sub-safety-margin`).
    pub sub_safety_margin: u64,
    /// Blob parameters for an L1 whose schedule Keel does not know (a devnet); known L1s
    /// use their schedule at the L1 head's time.
    pub fallback_blob_params: BlobParams,
}

impl Default for BatcherConfig {
    /// op-batcher's defaults: calldata, 120,000-byte transactions, one frame per channel,
    /// no duration limit, a 10-block safety margin.
    fn default() -> Self {
        Self {
            data_availability: DataAvailability::Calldata,
            max_l1_tx_size: DEFAULT_MAX_L1_TX_SIZE,
            target_num_frames: 1,
            max_channel_duration: 0,
            sub_safety_margin: 10,
            fallback_blob_params: BlobParams::prague(),
        }
    }
}

/// Why a [`BatcherConfig`] cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A calldata frame must hold the frame header and at least one data byte.
    #[error("max L1 tx size {size} must be in {min}..={max}")]
    TxSize {
        /// The configured size.
        size: usize,
        /// Smallest usable size.
        min: usize,
        /// Largest size a frame allows.
        max: usize,
    },
    /// At least one frame per channel.
    #[error("target number of frames must be at least 1")]
    NoFrames,
    /// More blobs per transaction than any L1 accepts.
    #[error("{frames} frames per blob transaction; at most {max}")]
    TooManyBlobs {
        /// The configured number.
        frames: usize,
        /// The limit.
        max: usize,
    },
    /// The margin leaves no time before the channel timeout (op-batcher
    /// `ErrInvalidChannelTimeout`).
    #[error("sub-safety margin {margin} is not below the channel timeout {timeout}")]
    MarginTooLarge {
        /// The margin.
        margin: u64,
        /// The smallest channel timeout of the chain.
        timeout: u64,
    },
}

impl BatcherConfig {
    /// Checks the settings against the chain (op-batcher `ChannelConfig.Check`).
    pub fn validate(&self, rollup: &RollupConfig) -> Result<(), ConfigError> {
        let (min, max) = (FRAME_OVERHEAD + 2, MAX_FRAME_LEN + FRAME_OVERHEAD + 1);
        if self.data_availability == DataAvailability::Calldata
            && !(min..=max).contains(&self.max_l1_tx_size)
        {
            return Err(ConfigError::TxSize {
                size: self.max_l1_tx_size,
                min,
                max,
            });
        }
        if self.target_num_frames == 0 {
            return Err(ConfigError::NoFrames);
        }
        // op-batcher: "too many frames for blob transactions"; the per-L1 cap applies later.
        if self.data_availability == DataAvailability::Blobs
            && self.target_num_frames > MAX_BLOBS_PER_TX_ANY_L1
        {
            return Err(ConfigError::TooManyBlobs {
                frames: self.target_num_frames,
                max: MAX_BLOBS_PER_TX_ANY_L1,
            });
        }
        let timeout = rollup
            .channel_timeout
            .min(rollup.granite_channel_timeout)
            .max(1);
        if self.sub_safety_margin >= timeout {
            return Err(ConfigError::MarginTooLarge {
                margin: self.sub_safety_margin,
                timeout,
            });
        }
        Ok(())
    }

    /// Largest frame, header included: a calldata transaction's size minus the version
    /// byte, or a blob's payload minus the version byte (op-batcher `MaxFrameSize`).
    pub fn max_frame_size(&self) -> usize {
        match self.data_availability {
            DataAvailability::Calldata => self.max_l1_tx_size.saturating_sub(1),
            DataAvailability::Blobs => MAX_BLOB_FRAME_SIZE,
        }
    }

    /// L1's blob parameters at L1 time `l1_time`.
    pub fn blob_params(&self, l1_chain_id: u64, l1_time: u64) -> BlobParams {
        known_l1_blob_params(l1_chain_id, l1_time).unwrap_or(self.fallback_blob_params)
    }

    /// Frames per transaction: one for calldata (op-batcher `MaxFramesPerTx`); for blobs the
    /// target, capped by L1's per-transaction and per-block blob limits at `l1_time`.
    ///
    /// Spec: protocol/derivation.md#batcher-transaction-format; EIP-4844, EIP-7691 (Prague
    /// blob counts), EIP-7594 (`MAX_BLOBS_PER_TX`), EIP-7892 (BPO forks).
    pub fn frames_per_tx(&self, l1_chain_id: u64, l1_time: u64) -> usize {
        match self.data_availability {
            DataAvailability::Calldata => 1,
            DataAvailability::Blobs => {
                let p = self.blob_params(l1_chain_id, l1_time);
                let l1_cap = p.max_blobs_per_tx.min(p.max_blob_count);
                let cap = usize::try_from(l1_cap).unwrap_or(usize::MAX).max(1);
                self.target_num_frames.clamp(1, cap)
            }
        }
    }

    /// The channel builder's settings for a channel opened while the L1 head is at
    /// `l1_time` whose first block has L1 origin time `first_origin_time`.
    ///
    /// Derivation reads a channel under the rules of the L1 block that includes it, which is
    /// no earlier than the current head; so a fork active at the head is active where the
    /// channel lands.
    /// - Span batches from Delta (spec: protocol/delta/span-batches.md#activation — also
    ///   the first block's L1 origin must be past Delta, op-node `checkSpanBatchPrefix`).
    /// - Brotli from Fjord (spec: protocol/fjord/derivation.md#brotli-channel-compression).
    /// - `MAX_RLP_BYTES_PER_CHANNEL` by Fjord (spec: protocol/fjord/derivation.md).
    /// - The target size: `target_num_frames` full frames (op-batcher `MaxDataSize`).
    pub fn channel_config(
        &self,
        rollup: &RollupConfig,
        l1_time: u64,
        first_origin_time: u64,
    ) -> ChannelConfig {
        let delta = rollup.is_active(Hardfork::Delta, l1_time)
            && rollup.is_active(Hardfork::Delta, first_origin_time);
        let fjord = rollup.is_active(Hardfork::Fjord, l1_time);
        let max_frame_size = self.max_frame_size();
        ChannelConfig {
            algo: if fjord {
                CompressionAlgo::Brotli
            } else {
                CompressionAlgo::Zlib
            },
            kind: if delta {
                BatchKind::Span
            } else {
                BatchKind::Singular
            },
            max_frame_size,
            target_compressed_size: self
                .target_num_frames
                .saturating_mul(max_frame_size.saturating_sub(FRAME_OVERHEAD)),
            max_rlp_bytes: rollup.max_rlp_bytes_per_channel(l1_time),
            chain_id: rollup.l2_chain_id,
            genesis_timestamp: rollup.genesis.l2_time,
            block_time: rollup.block_time,
        }
    }
}

/// The most blobs any L1 fork so far accepts in one transaction: Prague's per-block
/// maximum, before Osaka capped transactions at 6 (EIP-7691, EIP-7594).
pub const MAX_BLOBS_PER_TX_ANY_L1: usize = 9;

#[cfg(test)]
mod tests {
    use super::*;
    use keel_protocol::hardfork::HardforkTimes;

    fn rollup() -> RollupConfig {
        RollupConfig {
            l2_chain_id: 901,
            block_time: 2,
            channel_timeout: 300,
            l1_chain_id: 900,
            hardforks: HardforkTimes {
                delta_time: Some(1000),
                fjord_time: Some(2000),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn forks_pick_batch_kind_and_compression() {
        let cfg = BatcherConfig::default();
        let r = rollup();
        let c = cfg.channel_config(&r, 999, 999);
        assert_eq!(
            (c.kind, c.algo),
            (BatchKind::Singular, CompressionAlgo::Zlib)
        );
        assert_eq!(c.max_rlp_bytes, 10_000_000);
        // Delta at the head but the first block's origin is older: still singular.
        let c = cfg.channel_config(&r, 1000, 998);
        assert_eq!(c.kind, BatchKind::Singular);
        let c = cfg.channel_config(&r, 1000, 1000);
        assert_eq!((c.kind, c.algo), (BatchKind::Span, CompressionAlgo::Zlib));
        let c = cfg.channel_config(&r, 2000, 1500);
        assert_eq!((c.kind, c.algo), (BatchKind::Span, CompressionAlgo::Brotli));
        assert_eq!(c.max_rlp_bytes, 100_000_000);
        assert_eq!(c.max_frame_size, 119_999);
        assert_eq!(c.target_compressed_size, 119_999 - 23);
    }

    #[test]
    fn blob_frames_and_per_tx_caps() {
        let cfg = BatcherConfig {
            data_availability: DataAvailability::Blobs,
            target_num_frames: 9,
            ..Default::default()
        };
        assert_eq!(cfg.max_frame_size(), 130_043);
        // Unknown L1: Prague fallback, 9 per block and per tx.
        assert_eq!(cfg.frames_per_tx(900, 0), 9);
        // Mainnet under Osaka: 6 per transaction.
        let osaka = alloy_hardforks::ethereum::mainnet::MAINNET_OSAKA_TIMESTAMP;
        assert_eq!(cfg.frames_per_tx(1, osaka), 6);
        // Mainnet under Cancun: 6 per block.
        let cancun = alloy_hardforks::ethereum::mainnet::MAINNET_CANCUN_TIMESTAMP;
        assert_eq!(cfg.frames_per_tx(1, cancun), 6);
        let calldata = BatcherConfig::default();
        assert_eq!(calldata.frames_per_tx(1, osaka), 1);
    }

    #[test]
    fn validation() {
        let r = rollup();
        assert_eq!(BatcherConfig::default().validate(&r), Ok(()));
        let bad = BatcherConfig {
            max_l1_tx_size: 24,
            ..Default::default()
        };
        assert!(matches!(
            bad.validate(&r),
            Err(ConfigError::TxSize { size: 24, .. })
        ));
        let bad = BatcherConfig {
            data_availability: DataAvailability::Blobs,
            target_num_frames: 10,
            ..Default::default()
        };
        assert!(matches!(
            bad.validate(&r),
            Err(ConfigError::TooManyBlobs { .. })
        ));
        let bad = BatcherConfig {
            sub_safety_margin: 50,
            ..Default::default()
        };
        assert_eq!(
            bad.validate(&r),
            Err(ConfigError::MarginTooLarge {
                margin: 50,
                timeout: 50
            })
        );
        let bad = BatcherConfig {
            target_num_frames: 0,
            ..Default::default()
        };
        assert_eq!(bad.validate(&r), Err(ConfigError::NoFrames));
    }
}
