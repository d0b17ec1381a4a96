//! keel-rpc's [`RollupNodeApi`] over a running driver: status and admin commands go to the
//! driver's [`NodeHandle`]; block references and output fields are read from the L2
//! execution client, as op-node reads them (its `L2Client`), so an answer never waits for
//! the driver's loop.

use std::sync::Arc;

use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{Address, B256, address};
use keel_derive::l2::block_ref_from_block;
use keel_derive::types::L2BlockRef;
use keel_engine::client::{EngineClient, HttpTransport, Transport, block_from_rpc};
use keel_protocol::{output_root::OutputRootV0, rollup_config::RollupConfig};
use keel_rpc::{NodeApiError, RollupNodeApi, SyncStatus};
use op_alloy_rpc_types_engine::OpExecutionPayloadEnvelope;
use serde_json::json;

use crate::driver::control::{DriverGone, NodeHandle, NodeStatus};

/// The `L2ToL1MessagePasser` predeploy, whose storage root is part of every output root.
///
/// Spec: protocol/predeploys.md#l2tol1messagepasser,
/// protocol/proposals.md#l2-output-commitment-construction
pub const MESSAGE_PASSER: Address = address!("0x4200000000000000000000000000000000000016");

/// The node as the RPC server sees it.
#[derive(Debug)]
pub struct NodeApi<T = HttpTransport> {
    handle: NodeHandle,
    l2: Arc<EngineClient<T>>,
    rollup: Arc<RollupConfig>,
}

impl<T> NodeApi<T> {
    /// An API over the driver behind `handle`, reading L2 blocks through `l2`.
    pub const fn new(
        handle: NodeHandle,
        l2: Arc<EngineClient<T>>,
        rollup: Arc<RollupConfig>,
    ) -> Self {
        Self { handle, l2, rollup }
    }
}

/// op-node's `SyncStatus` from the driver's snapshot. Before interop the cross-unsafe head
/// is the unsafe head and the local-safe head the safe head; `current_l1_finalized` is
/// deprecated in op-node and carries `finalized_l1`.
pub fn sync_status(s: &NodeStatus) -> SyncStatus {
    SyncStatus {
        current_l1: s.current_l1,
        current_l1_finalized: s.finalized_l1,
        head_l1: s.head_l1,
        safe_l1: s.safe_l1,
        finalized_l1: s.finalized_l1,
        unsafe_l2: s.heads.unsafe_head,
        safe_l2: s.heads.safe,
        finalized_l2: s.heads.finalized,
        pending_safe_l2: s.heads.pending_safe,
        cross_unsafe_l2: s.heads.cross_unsafe,
        local_safe_l2: s.heads.safe,
    }
}

/// A failure of the L2 execution client, for the caller.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum L2ReadError {
    /// The client failed or answered something unreadable.
    #[error("L2 execution client: {0}")]
    Client(#[from] keel_engine::error::EngineError),
    /// The block it returned is not an OP Stack block of this chain.
    #[error("L2 block {hash}: {reason}")]
    Block {
        /// The block.
        hash: B256,
        /// Why it is unusable.
        reason: String,
    },
    /// The header it returned does not hash to the block asked for.
    #[error("L2 client returned block {got} when asked for {asked}")]
    WrongBlock {
        /// Asked for.
        asked: B256,
        /// The header's hash.
        got: B256,
    },
    /// `eth_getProof` answered without a usable `storageHash`.
    #[error("eth_getProof at block {block}: {reason}")]
    Proof {
        /// The block.
        block: B256,
        /// What was wrong.
        reason: String,
    },
}

fn gone(e: DriverGone) -> NodeApiError {
    NodeApiError::failed(e)
}

impl<T: Transport + 'static> NodeApi<T> {
    async fn block_ref(&self, number: u64) -> Result<Option<L2BlockRef>, L2ReadError> {
        let Some((hash, block)) = self
            .l2
            .block_by_tag(BlockNumberOrTag::Number(number))
            .await?
        else {
            return Ok(None);
        };
        block_ref_from_block(&self.rollup, hash, &block)
            .map(Some)
            .map_err(|e| L2ReadError::Block {
                hash,
                reason: e.to_string(),
            })
    }

    /// Block `hash`'s state root (from a header checked to hash to `hash`) and the message
    /// passer's storage root in that state.
    async fn output_fields(&self, hash: B256) -> Result<Option<OutputRootV0>, L2ReadError> {
        let raw = self
            .l2
            .transport()
            .call_raw("eth_getBlockByHash", json!([hash, true]))
            .await?;
        let Some((_, block)) = block_from_rpc(raw)? else {
            return Ok(None);
        };
        let got = block.header.hash_slow();
        if got != hash {
            return Err(L2ReadError::WrongBlock { asked: hash, got });
        }
        // op-node names the block by hash (EIP-1898), so a reorg between the two reads
        // cannot mix two blocks' state.
        let proof = self
            .l2
            .transport()
            .call_raw(
                "eth_getProof",
                json!([MESSAGE_PASSER, Vec::<B256>::new(), hash]),
            )
            .await?;
        let storage_root = storage_hash(&proof).map_err(|reason| L2ReadError::Proof {
            block: hash,
            reason,
        })?;
        Ok(Some(OutputRootV0 {
            state_root: block.header.state_root,
            message_passer_storage_root: storage_root,
            block_hash: hash,
        }))
    }
}

/// The `storageHash` of an `eth_getProof` answer (EIP-1186).
fn storage_hash(proof: &serde_json::Value) -> Result<B256, String> {
    let field = proof
        .get("storageHash")
        .ok_or_else(|| "answer has no storageHash".to_owned())?;
    serde_json::from_value(field.clone()).map_err(|e| format!("storageHash: {e}"))
}

impl<T: Transport + 'static> RollupNodeApi for NodeApi<T> {
    async fn sync_status(&self) -> Result<SyncStatus, NodeApiError> {
        Ok(sync_status(&self.handle.status()))
    }

    async fn block_ref_with_status(
        &self,
        number: u64,
    ) -> Result<(L2BlockRef, SyncStatus), NodeApiError> {
        // Status first, as op-node: the block may be newer than the status, never older.
        let status = sync_status(&self.handle.status());
        let block = self
            .block_ref(number)
            .await
            .map_err(NodeApiError::failed)?
            .ok_or(NodeApiError::NotFound)?;
        Ok((block, status))
    }

    async fn output_v0_at_block(&self, block_hash: B256) -> Result<OutputRootV0, NodeApiError> {
        self.output_fields(block_hash)
            .await
            .map_err(NodeApiError::failed)?
            .ok_or(NodeApiError::NotFound)
    }

    async fn start_sequencer(&self, unsafe_head: B256) -> Result<(), NodeApiError> {
        self.handle
            .start_sequencer(unsafe_head)
            .await
            .map_err(gone)?
            .map_err(NodeApiError::Refused)
    }

    async fn stop_sequencer(&self) -> Result<B256, NodeApiError> {
        self.handle
            .stop_sequencer()
            .await
            .map_err(gone)?
            .map_err(NodeApiError::Refused)
    }

    async fn sequencer_active(&self) -> Result<bool, NodeApiError> {
        self.handle.sequencer_active().await.map_err(gone)
    }

    async fn reset_derivation_pipeline(&self) -> Result<(), NodeApiError> {
        self.handle
            .reset_derivation()
            .await
            .map_err(gone)?
            .map_err(NodeApiError::Refused)
    }

    async fn post_unsafe_payload(
        &self,
        envelope: OpExecutionPayloadEnvelope,
    ) -> Result<(), NodeApiError> {
        self.handle
            .post_unsafe_payload(envelope)
            .await
            .map_err(gone)?
            .map_err(NodeApiError::Refused)
    }

    async fn set_recover_mode(&self, mode: bool) -> Result<(), NodeApiError> {
        self.handle
            .set_recover_mode(mode)
            .await
            .map_err(gone)?
            .map_err(NodeApiError::Refused)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use alloy_primitives::{b256, keccak256};
    use keel_devchain::{
        chain::{Chain, ChainConfig},
        engine_server::InProcessEngine,
        genesis::{DevGenesisConfig, build_genesis},
    };
    use keel_engine::error::EngineError;
    use keel_protocol::{
        hardfork::HardforkTimes, rollup_config::BlockId, system_config::SystemConfig,
    };
    use serde_json::Value;
    use tokio::sync::{mpsc, watch};

    use super::*;

    /// The devchain engine, with `eth_getProof` answered by the test (the devchain has no
    /// state proofs) and its parameters recorded.
    struct ProofFake {
        engine: InProcessEngine,
        storage_hash: Value,
        proof_params: Mutex<Vec<Value>>,
    }

    impl Transport for ProofFake {
        async fn call_raw(
            &self,
            method: &'static str,
            params: Value,
        ) -> Result<Value, EngineError> {
            if method == "eth_getProof" {
                self.proof_params.lock().unwrap().push(params);
                return Ok(json!({ "storageHash": self.storage_hash }));
            }
            self.engine
                .call(method, params)
                .await
                .map_err(|e| EngineError::Rpc {
                    method,
                    code: e.code,
                    message: e.message,
                })
        }
    }

    fn rollup() -> RollupConfig {
        let mut sys = SystemConfig {
            gas_limit: 30_000_000,
            min_base_fee: 1_000,
            ..SystemConfig::default()
        };
        sys.set_eip1559_params(250, 6);
        let mut cfg = RollupConfig {
            block_time: 2,
            l2_chain_id: 901,
            l1_chain_id: 900,
            hardforks: HardforkTimes {
                regolith_time: Some(0),
                canyon_time: Some(0),
                delta_time: Some(0),
                ecotone_time: Some(0),
                fjord_time: Some(0),
                granite_time: Some(0),
                holocene_time: Some(0),
                isthmus_time: Some(0),
                jovian_time: Some(0),
                ..HardforkTimes::default()
            },
            ..RollupConfig::default()
        };
        cfg.chain_op_config.eip1559_elasticity = 6;
        cfg.chain_op_config.eip1559_denominator = 50;
        cfg.chain_op_config.eip1559_denominator_canyon = 250;
        cfg.genesis.l2_time = 1_700_000_000;
        cfg.genesis.system_config = sys;
        let genesis = build_genesis(&DevGenesisConfig::from_rollup_config(&cfg)).unwrap();
        cfg.genesis.l2 = BlockId {
            hash: genesis.header.hash(),
            number: 0,
        };
        cfg
    }

    fn api(storage_hash: Value) -> (NodeApi<ProofFake>, Arc<EngineClient<ProofFake>>, B256) {
        let cfg = rollup();
        let genesis = build_genesis(&DevGenesisConfig::from_rollup_config(&cfg)).unwrap();
        let state_root = genesis.header.state_root;
        let engine =
            InProcessEngine::new(Chain::new(cfg.clone(), genesis, ChainConfig::default())).unwrap();
        let client = Arc::new(EngineClient::with_transport(
            ProofFake {
                engine,
                storage_hash,
                proof_params: Mutex::new(Vec::new()),
            },
            cfg.hardforks,
        ));
        // A handle whose driver is gone: the output methods never ask the driver.
        let (commands, _) = mpsc::channel(1);
        let (_, status) = watch::channel(NodeStatus::default());
        let handle = NodeHandle { commands, status };
        (
            NodeApi::new(handle, Arc::clone(&client), Arc::new(cfg)),
            client,
            state_root,
        )
    }

    #[tokio::test]
    async fn output_fields_come_from_the_checked_header_and_eth_get_proof() {
        let root = b256!("0x8ed4baae3a927be3dea54996b4d5899f8c01e7594bf50b17dc1e741388ce3d12");
        let (api, client, state_root) = api(json!(root));
        let genesis_hash = api.rollup.genesis.l2.hash;
        let out = api.output_v0_at_block(genesis_hash).await.unwrap();
        assert_eq!(out.state_root, state_root);
        assert_ne!(state_root, B256::ZERO);
        assert_eq!(out.message_passer_storage_root, root);
        assert_eq!(out.block_hash, genesis_hash);
        // The output root as op-node computes it.
        let mut pre = [0u8; 128];
        pre[32..64].copy_from_slice(state_root.as_slice());
        pre[64..96].copy_from_slice(root.as_slice());
        pre[96..].copy_from_slice(genesis_hash.as_slice());
        assert_eq!(out.hash(), keccak256(pre));
        // The proof was asked for the message passer, no slots, at that block by hash.
        let params = client.transport().proof_params.lock().unwrap().clone();
        assert_eq!(
            params,
            vec![json!([
                "0x4200000000000000000000000000000000000016",
                [],
                genesis_hash
            ])]
        );
    }

    #[tokio::test]
    async fn unknown_block_is_not_found_and_a_bad_proof_is_an_error() {
        let (api, _, _) = api(json!("0x1234"));
        let missing = api.output_v0_at_block(B256::repeat_byte(7)).await;
        assert!(
            matches!(missing, Err(NodeApiError::NotFound)),
            "{missing:?}"
        );
        let genesis_hash = api.rollup.genesis.l2.hash;
        let err = api.output_v0_at_block(genesis_hash).await.unwrap_err();
        assert!(err.to_string().contains("storageHash"), "{err}");
    }

    #[tokio::test]
    async fn block_ref_with_status_reads_the_l2_block() {
        let (api, _, _) = api(json!(B256::ZERO));
        let (r, status) = api.block_ref_with_status(0).await.unwrap();
        assert_eq!(r.hash, api.rollup.genesis.l2.hash);
        assert_eq!(r.number, 0);
        assert_eq!(r.timestamp, 1_700_000_000);
        assert_eq!(status, SyncStatus::default());
        let missing = api.block_ref_with_status(5).await;
        assert!(
            matches!(missing, Err(NodeApiError::NotFound)),
            "{missing:?}"
        );
    }

    #[test]
    fn sync_status_maps_every_head() {
        let l2 = |n: u64| L2BlockRef {
            number: n,
            hash: B256::repeat_byte(n as u8),
            ..L2BlockRef::default()
        };
        let l1 = |n: u64| keel_derive::types::L1BlockRef {
            number: n,
            hash: B256::repeat_byte(0x80 | n as u8),
            ..Default::default()
        };
        let s = NodeStatus {
            current_l1: l1(1),
            head_l1: l1(2),
            safe_l1: l1(3),
            finalized_l1: l1(4),
            heads: keel_engine::controller::Heads {
                unsafe_head: l2(10),
                cross_unsafe: l2(9),
                pending_safe: l2(8),
                safe: l2(7),
                finalized: l2(6),
            },
            ..NodeStatus::default()
        };
        let out = sync_status(&s);
        assert_eq!(out.current_l1, l1(1));
        assert_eq!(out.head_l1, l1(2));
        assert_eq!(out.safe_l1, l1(3));
        assert_eq!(out.finalized_l1, l1(4));
        assert_eq!(out.current_l1_finalized, l1(4));
        assert_eq!(out.unsafe_l2, l2(10));
        assert_eq!(out.cross_unsafe_l2, l2(9));
        assert_eq!(out.pending_safe_l2, l2(8));
        assert_eq!(out.safe_l2, l2(7));
        assert_eq!(out.local_safe_l2, l2(7));
        assert_eq!(out.finalized_l2, l2(6));
    }
}
