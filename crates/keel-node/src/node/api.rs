//! keel-rpc's [`RollupNodeApi`] over a running driver: status and admin commands go to the
//! driver's [`NodeHandle`]; block references and output fields are read from the L2
//! execution client, as op-node reads them (its `L2Client`), so an answer never waits for
//! the driver's loop.

use std::sync::Arc;

use alloy_consensus::constants::KECCAK_EMPTY;
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{Address, B256, address, keccak256};
use alloy_rpc_types_eth::EIP1186AccountProofResponse;
use alloy_trie::{EMPTY_ROOT_HASH, Nibbles, TrieAccount, proof::verify_proof};
use keel_derive::l2::block_ref_from_block;
use keel_derive::types::L2BlockRef;
use keel_engine::client::{EngineClient, HttpTransport, Transport, block_from_rpc};
use keel_protocol::{hardfork::Hardfork, output_root::OutputRootV0, rollup_config::RollupConfig};
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
    /// `eth_getProof`'s answer is malformed, or its account proof does not prove its
    /// `storageHash` against the block's state root.
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
        let storage_root =
            proven_storage_root(&proof, block.header.state_root).map_err(|reason| {
                L2ReadError::Proof {
                    block: hash,
                    reason,
                }
            })?;
        // From Isthmus the header commits to the same root; an engine disagreeing with
        // itself is not to be published. Spec: protocol/isthmus/exec-engine.md
        if let Some(header_root) = block.header.withdrawals_root
            && self
                .rollup
                .is_active(Hardfork::Isthmus, block.header.timestamp)
            && header_root != storage_root
        {
            return Err(L2ReadError::Proof {
                block: hash,
                reason: format!(
                    "proven storage root {storage_root} is not the header's withdrawalsRoot {header_root}"
                ),
            });
        }
        Ok(Some(OutputRootV0 {
            state_root: block.header.state_root,
            message_passer_storage_root: storage_root,
            block_hash: hash,
        }))
    }
}

/// The message passer's `storageHash` from an `eth_getProof` answer (EIP-1186), accepted
/// only if its account proof proves that account (nonce, balance, storage root, code hash)
/// under `state_root` — as op-node checks before it publishes an output root, so a faulty
/// or lying execution client cannot make the node sign off on a wrong withdrawals root.
///
/// Spec: protocol/proposals.md#l2-output-commitment-construction
fn proven_storage_root(proof: &serde_json::Value, state_root: B256) -> Result<B256, String> {
    let proof: EIP1186AccountProofResponse =
        serde_json::from_value(proof.clone()).map_err(|e| format!("malformed answer: {e}"))?;
    if proof.address != MESSAGE_PASSER {
        return Err(format!(
            "proof is for {}, not the message passer",
            proof.address
        ));
    }
    let account = TrieAccount {
        nonce: proof.nonce,
        balance: proof.balance,
        storage_root: proof.storage_hash,
        code_hash: proof.code_hash,
    };
    // An account that does not exist is proven absent; its storage root is the empty trie's.
    let absent = proof.nonce == 0
        && proof.balance.is_zero()
        && proof.storage_hash == EMPTY_ROOT_HASH
        && (proof.code_hash == KECCAK_EMPTY || proof.code_hash == B256::ZERO);
    let expected = (!absent).then(|| alloy_rlp::encode(account));
    verify_proof(
        state_root,
        Nibbles::unpack(keccak256(MESSAGE_PASSER)),
        expected,
        &proof.account_proof,
    )
    .map_err(|e| format!("account proof does not verify against state root {state_root}: {e}"))?;
    Ok(proof.storage_hash)
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

    use alloy_primitives::keccak256;
    use keel_devchain::{
        chain::{Chain, ChainConfig},
        engine_server::InProcessEngine,
        genesis::{DevGenesis, dev_system_config, seal_dev_rollup_config},
    };
    use keel_engine::error::EngineError;
    use keel_protocol::hardfork::HardforkTimes;
    use serde_json::Value;
    use tokio::sync::{mpsc, watch};

    use super::*;

    /// The devchain engine; `eth_getProof` answers are passed through, or edited by the
    /// test to play a faulty execution client, and their parameters recorded.
    struct ProofFake {
        engine: InProcessEngine,
        edit_proof: fn(&mut Value),
        proof_params: Mutex<Vec<Value>>,
    }

    impl Transport for ProofFake {
        async fn call_raw(
            &self,
            method: &'static str,
            params: Value,
        ) -> Result<Value, EngineError> {
            if method == "eth_getProof" {
                self.proof_params.lock().unwrap().push(params.clone());
            }
            let mut out = self
                .engine
                .call(method, params)
                .await
                .map_err(|e| EngineError::Rpc {
                    method,
                    code: e.code,
                    message: e.message,
                })?;
            if method == "eth_getProof" {
                (self.edit_proof)(&mut out);
            }
            Ok(out)
        }
    }

    fn rollup() -> (RollupConfig, DevGenesis) {
        let mut cfg = RollupConfig {
            block_time: 2,
            l2_chain_id: 901,
            l1_chain_id: 900,
            hardforks: HardforkTimes::all_through(Hardfork::Jovian),
            ..RollupConfig::default()
        };
        cfg.genesis.l2_time = 1_700_000_000;
        cfg.genesis.system_config = dev_system_config();
        let genesis = seal_dev_rollup_config(&mut cfg).unwrap();
        (cfg, genesis)
    }

    fn api_with(edit_proof: fn(&mut Value)) -> (NodeApi<ProofFake>, Arc<EngineClient<ProofFake>>) {
        let (cfg, genesis) = rollup();
        let engine =
            InProcessEngine::new(Chain::new(cfg.clone(), genesis, ChainConfig::default())).unwrap();
        let client = Arc::new(EngineClient::with_transport(
            ProofFake {
                engine,
                edit_proof,
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
        )
    }

    #[tokio::test]
    async fn output_fields_come_from_the_checked_header_and_a_verified_proof() {
        let (api, client) = api_with(|_| {});
        let genesis_hash = api.rollup.genesis.l2.hash;
        let header = client
            .transport()
            .engine
            .with_chain(|c| c.block_by_number(0).unwrap().header.clone());
        let out = api.output_v0_at_block(genesis_hash).await.unwrap();
        assert_eq!(out.state_root, header.state_root);
        assert_ne!(out.state_root, B256::ZERO);
        assert_eq!(
            Some(out.message_passer_storage_root),
            header.withdrawals_root,
            "Isthmus: the header commits to the message passer's storage root"
        );
        assert_eq!(out.block_hash, genesis_hash);
        // The output root as op-node computes it.
        let mut pre = [0u8; 128];
        pre[32..64].copy_from_slice(out.state_root.as_slice());
        pre[64..96].copy_from_slice(out.message_passer_storage_root.as_slice());
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
    async fn a_proof_that_does_not_verify_is_refused() {
        // A storage root the state does not hold: the account proof no longer proves it.
        let (api, _) = api_with(|p| {
            p["storageHash"] = json!(B256::repeat_byte(0x12));
        });
        let genesis_hash = api.rollup.genesis.l2.hash;
        let err = api.output_v0_at_block(genesis_hash).await.unwrap_err();
        assert!(err.to_string().contains("does not verify"), "{err}");

        // A proof with its nodes cut off proves nothing.
        let (api, _) = api_with(|p| {
            p["accountProof"] = json!([]);
        });
        let err = api.output_v0_at_block(genesis_hash).await.unwrap_err();
        assert!(err.to_string().contains("does not verify"), "{err}");

        // Not a proof at all.
        let (api, _) = api_with(|p| *p = json!({ "storageHash": "0x1234" }));
        let err = api.output_v0_at_block(genesis_hash).await.unwrap_err();
        assert!(err.to_string().contains("malformed"), "{err}");

        // An unknown block is not found, before any proof is asked for.
        let (api, client) = api_with(|_| {});
        let missing = api.output_v0_at_block(B256::repeat_byte(7)).await;
        assert!(
            matches!(missing, Err(NodeApiError::NotFound)),
            "{missing:?}"
        );
        assert!(client.transport().proof_params.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn block_ref_with_status_reads_the_l2_block() {
        let (api, _) = api_with(|_| {});
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
