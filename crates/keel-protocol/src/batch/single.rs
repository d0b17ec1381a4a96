//! The singular batch: one L2 block's inputs.

use alloy_primitives::{B256, Bytes};
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};

use super::BatchError;

/// One L2 block's inputs, encoded as the RLP list
/// `[parent_hash, epoch_num, epoch_hash, timestamp, transaction_list]`.
///
/// Spec: protocol/derivation.md#batch-format.
#[derive(Debug, Clone, PartialEq, Eq, Default, RlpEncodable, RlpDecodable)]
pub struct SingleBatch {
    /// Hash of the L2 parent block.
    pub parent_hash: B256,
    /// Number of the L1 origin (epoch).
    pub epoch_num: u64,
    /// Hash of the L1 origin.
    pub epoch_hash: B256,
    /// L2 block timestamp.
    pub timestamp: u64,
    /// The block's non-deposit transactions, EIP-2718 encoded.
    pub transactions: Vec<Bytes>,
}

impl SingleBatch {
    /// Decodes the RLP list (content without the type byte). Bytes after the list are ignored,
    /// as op-node's `rlp.Decode` from a reader ignores them.
    pub fn decode(content: &[u8]) -> Result<Self, BatchError> {
        let mut buf = content;
        <Self as Decodable>::decode(&mut buf).map_err(BatchError::SingleRlp)
    }

    /// Encodes the RLP list (without the type byte).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.length());
        Encodable::encode(self, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_rejects_truncation() {
        let b = SingleBatch {
            parent_hash: B256::repeat_byte(1),
            epoch_num: 7,
            epoch_hash: B256::repeat_byte(2),
            timestamp: 99,
            transactions: vec![Bytes::from_static(&[2, 0xc0]), Bytes::new()],
        };
        let enc = b.encode();
        assert_eq!(SingleBatch::decode(&enc).unwrap(), b);
        assert!(SingleBatch::decode(&enc[..enc.len() - 1]).is_err());
    }
}
