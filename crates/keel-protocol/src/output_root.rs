//! Output root version 0: the L2 state commitment proposers post to L1.
//!
//! Spec: protocol/proposals.md#l2-output-commitment-construction

use alloy_primitives::{B256, keccak256};

/// Length of a version-0 output root preimage: version, state root, message-passer storage
/// root, block hash, 32 bytes each.
///
/// Spec: protocol/proposals.md#l2-output-commitment-construction
pub const OUTPUT_ROOT_V0_LEN: usize = 128;

/// The only output root version defined.
pub const OUTPUT_VERSION_V0: B256 = B256::ZERO;

/// Why bytes are not a version-0 output root preimage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OutputRootError {
    /// The preimage must be exactly 128 bytes.
    #[error("output root preimage is {0} bytes, expected {OUTPUT_ROOT_V0_LEN}")]
    Length(usize),
    /// The first word is the version; only version 0 exists.
    #[error("unsupported output root version {0}")]
    Version(B256),
}

/// The fields committed to by a version-0 output root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct OutputRootV0 {
    /// The L2 block's state root.
    pub state_root: B256,
    /// Storage root of the `L2ToL1MessagePasser` predeploy (`0x4200…0016`) in that state.
    pub message_passer_storage_root: B256,
    /// The L2 block's hash.
    pub block_hash: B256,
}

impl OutputRootV0 {
    /// The 128-byte preimage: `version ‖ state_root ‖ message_passer_storage_root ‖
    /// block_hash`.
    ///
    /// Spec: protocol/proposals.md#l2-output-commitment-construction
    pub fn encode(&self) -> [u8; OUTPUT_ROOT_V0_LEN] {
        let mut out = [0u8; OUTPUT_ROOT_V0_LEN];
        for (chunk, word) in out.chunks_exact_mut(32).zip([
            OUTPUT_VERSION_V0,
            self.state_root,
            self.message_passer_storage_root,
            self.block_hash,
        ]) {
            chunk.copy_from_slice(word.as_slice());
        }
        out
    }

    /// Parses a 128-byte preimage (exactly; the bound is the format's fixed size).
    ///
    /// Spec: protocol/proposals.md#l2-output-commitment-construction
    pub fn decode(preimage: &[u8]) -> Result<Self, OutputRootError> {
        let words: &[u8; OUTPUT_ROOT_V0_LEN] = preimage
            .try_into()
            .map_err(|_| OutputRootError::Length(preimage.len()))?;
        let (version, rest) = words.split_at(32);
        let (state_root, rest) = rest.split_at(32);
        let (message_passer_storage_root, block_hash) = rest.split_at(32);
        let version = B256::from_slice(version);
        if version != OUTPUT_VERSION_V0 {
            return Err(OutputRootError::Version(version));
        }
        Ok(Self {
            state_root: B256::from_slice(state_root),
            message_passer_storage_root: B256::from_slice(message_passer_storage_root),
            block_hash: B256::from_slice(block_hash),
        })
    }

    /// The output root: `keccak256` of the preimage.
    pub fn hash(&self) -> B256 {
        keccak256(self.encode())
    }
}

/// The version-0 output root of an L2 block.
///
/// Spec: protocol/proposals.md#l2-output-commitment-construction
pub fn output_root_v0(
    state_root: B256,
    message_passer_storage_root: B256,
    block_hash: B256,
) -> B256 {
    OutputRootV0 {
        state_root,
        message_passer_storage_root,
        block_hash,
    }
    .hash()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_rejects_wrong_length_and_version() {
        assert_eq!(
            OutputRootV0::decode(&[0; 127]),
            Err(OutputRootError::Length(127))
        );
        let mut raw = [0u8; 128];
        raw[31] = 1;
        assert_eq!(
            OutputRootV0::decode(&raw),
            Err(OutputRootError::Version(B256::with_last_byte(1)))
        );
    }
}
