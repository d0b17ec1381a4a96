//! The embedded L1 dev chain (keel-devchain's `L1Chain`) as the driver's L1 source, read
//! in process: what `keel devnet` runs its sequencer and verifier on.

use alloy_consensus::{Header, ReceiptEnvelope, Sealed};
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::B256;
use keel_derive::types::{L1BlockInput, L1BlockRef};
use keel_devchain::l1::{beacon::SharedL1Chain, chain::L1Block};
use keel_protocol::blob::BLOB_SIZE;

use crate::driver::sources::{L1Heads, L1Source, SourceError};

/// [`L1Source`] over a shared [`keel_devchain::l1::chain::L1Chain`].
#[derive(Debug, Clone)]
pub struct InProcessL1(pub SharedL1Chain);

fn block_ref(b: &L1Block) -> L1BlockRef {
    L1BlockRef {
        hash: b.header.hash(),
        number: b.header.number,
        parent_hash: b.header.parent_hash,
        timestamp: b.header.timestamp,
    }
}

impl L1Source for InProcessL1 {
    async fn heads(&self) -> Result<L1Heads, SourceError> {
        let c = self.0.read();
        Ok(L1Heads {
            head: block_ref(c.head()),
            safe: block_ref(c.safe()),
            finalized: block_ref(c.finalized()),
        })
    }

    async fn block_ref_by_number(&self, number: u64) -> Result<Option<L1BlockRef>, SourceError> {
        Ok(self.0.read().block_by_number(number).map(|b| block_ref(b)))
    }

    async fn block_ref_by_hash(&self, hash: B256) -> Result<Option<L1BlockRef>, SourceError> {
        Ok(self.0.read().block_by_hash(&hash).map(|b| block_ref(b)))
    }

    async fn block_input(&self, number: u64) -> Result<Option<L1BlockInput>, SourceError> {
        let c = self.0.read();
        Ok(c.block(BlockNumberOrTag::Number(number))
            .map(|b| L1BlockInput {
                block_ref: block_ref(b),
                header: b.header.inner().clone(),
                transactions: b.transactions.iter().map(|t| t.inner().clone()).collect(),
                receipts: b.receipts.clone(),
            }))
    }

    async fn epoch(
        &self,
        hash: B256,
        receipts: bool,
    ) -> Result<(Sealed<Header>, Option<Vec<ReceiptEnvelope>>), SourceError> {
        let c = self.0.read();
        let b = c
            .block_by_hash(&hash)
            .ok_or_else(|| SourceError::temporary("L1", format!("no block {hash}")))?;
        Ok((b.header.clone(), receipts.then(|| b.receipts.clone())))
    }

    async fn blobs(
        &self,
        block: L1BlockRef,
        hashes: &[B256],
        _indices: &[u64],
    ) -> Result<Vec<Box<[u8; BLOB_SIZE]>>, SourceError> {
        let sidecars = self.0.read().blob_sidecars(block.number).ok_or_else(|| {
            SourceError::temporary(
                "L1 beacon",
                format!("blobs of L1 block {} pruned", block.number),
            )
        })?;
        let mut by_hash = std::collections::HashMap::new();
        for (_, sidecar) in &sidecars {
            for (blob, hash) in sidecar.blobs.iter().zip(sidecar.versioned_hashes()) {
                by_hash.insert(hash, blob);
            }
        }
        hashes
            .iter()
            .map(|h| {
                by_hash.get(h).map(|blob| Box::new(blob.0)).ok_or_else(|| {
                    SourceError::temporary(
                        "L1 beacon",
                        format!("blob {h} not in L1 block {}", block.number),
                    )
                })
            })
            .collect()
    }
}
