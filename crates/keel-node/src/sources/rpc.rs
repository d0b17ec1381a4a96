//! The driver's sources over RPC: L1 through keel-l1's verified JSON-RPC and beacon
//! clients, L2 through the execution client's `eth_getBlockByNumber` on the Engine API
//! port (the same authenticated connection op-node uses).

use alloy_consensus::{Header, ReceiptEnvelope, Sealed};
use alloy_eips::{BlockNumberOrTag, eip4844::IndexedBlobHash};
use alloy_primitives::B256;
use keel_derive::{
    error::ErrorClass,
    types::{L1BlockInput, L1BlockRef},
};
use keel_engine::client::{EngineClient, HttpTransport, Transport};
use keel_l1::{BeaconClient, L1Client, L1Error};
use keel_protocol::blob::BLOB_SIZE;
use op_alloy_consensus::OpBlock;

use crate::driver::sources::{L1Heads, L1Source, L2Source, SourceError};

/// L1 over JSON-RPC, with a beacon client for blobs (`None`: a chain that never posts
/// blobs; a blob request then fails as temporary with a clear message).
#[derive(Debug, Clone)]
pub struct RpcL1 {
    /// The execution-layer client.
    pub rpc: L1Client,
    /// The beacon client.
    pub beacon: Option<BeaconClient>,
}

fn l1_err(e: &L1Error) -> SourceError {
    SourceError {
        source_name: "L1",
        message: e.to_string(),
        class: e.class(),
    }
}

/// Not-found answers are "not yet" for the driver.
fn not_found_is_none<T>(r: Result<T, L1Error>) -> Result<Option<T>, SourceError> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(L1Error::BlockNotFound { .. }) => Ok(None),
        Err(e) => Err(l1_err(&e)),
    }
}

impl L1Source for RpcL1 {
    async fn heads(&self) -> Result<L1Heads, SourceError> {
        let head = self.rpc.head().await.map_err(|e| l1_err(&e))?;
        // A young chain (or a dev node) may have no safe / finalized block yet: genesis
        // stands in, as it is final by definition.
        let safe = self.rpc.safe().await.ok();
        let finalized = self.rpc.finalized().await.ok();
        let genesis = L1BlockRef::default();
        Ok(L1Heads {
            head,
            safe: safe.unwrap_or(genesis),
            finalized: finalized.unwrap_or(genesis),
        })
    }

    async fn block_ref_by_number(&self, number: u64) -> Result<Option<L1BlockRef>, SourceError> {
        not_found_is_none(self.rpc.block_by_number(number).await).map(|b| b.map(|b| b.block_ref()))
    }

    async fn block_ref_by_hash(&self, hash: B256) -> Result<Option<L1BlockRef>, SourceError> {
        not_found_is_none(self.rpc.block_by_hash(hash).await).map(|b| b.map(|b| b.block_ref()))
    }

    async fn block_input(&self, number: u64) -> Result<Option<L1BlockInput>, SourceError> {
        not_found_is_none(self.rpc.block_input_by_number(number).await)
    }

    async fn epoch(
        &self,
        hash: B256,
        receipts: bool,
    ) -> Result<(Sealed<Header>, Option<Vec<ReceiptEnvelope>>), SourceError> {
        let block = self.rpc.block_by_hash(hash).await.map_err(|e| l1_err(&e))?;
        let receipts = if receipts {
            let r = self.rpc.receipts(&block).await.map_err(|e| l1_err(&e))?;
            Some(r.as_ref().clone())
        } else {
            None
        };
        Ok((block.header.clone(), receipts))
    }

    async fn blobs(
        &self,
        block: L1BlockRef,
        hashes: &[B256],
        indices: &[u64],
    ) -> Result<Vec<Box<[u8; BLOB_SIZE]>>, SourceError> {
        let Some(beacon) = &self.beacon else {
            return Err(SourceError {
                source_name: "L1 beacon",
                message: format!(
                    "L1 block {} carries batcher blobs but no beacon endpoint is configured (--l1.beacon)",
                    block.number
                ),
                class: ErrorClass::Critical,
            });
        };
        let indexed: Vec<IndexedBlobHash> = hashes
            .iter()
            .zip(indices)
            .map(|(hash, index)| IndexedBlobHash {
                index: *index,
                hash: *hash,
            })
            .collect();
        beacon
            .blobs(block.timestamp, &indexed)
            .await
            .map_err(|e| SourceError {
                source_name: "L1 beacon",
                message: e.to_string(),
                class: e.class(),
            })
    }
}

/// The L2 execution client, read through its authenticated RPC (or in process).
#[derive(Debug)]
pub struct RpcL2<T = HttpTransport>(pub EngineClient<T>);

impl<T: Transport> L2Source for RpcL2<T> {
    async fn block(&self, tag: BlockNumberOrTag) -> Result<Option<(B256, OpBlock)>, SourceError> {
        self.0.block_by_tag(tag).await.map_err(|e| SourceError {
            source_name: "L2",
            message: e.to_string(),
            class: e.class(),
        })
    }
}
