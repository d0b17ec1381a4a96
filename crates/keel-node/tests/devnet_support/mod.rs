//! Helpers for devnet tests on tokio's paused clock: waiting on the devnet's status,
//! comparing the two engines' chains, transactions for L1 and L2, and reading back what the
//! batcher posted on L1.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    dead_code,
    missing_docs,
    unreachable_pub
)]

use std::time::Duration;

use alloy_consensus::{SignableTransaction, Transaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B128, B256, TxKind, U256, address};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use keel_derive::types::L2BlockRef;
use keel_devchain::{
    engine_server::InProcessEngine,
    genesis::DEV_PRIVATE_KEYS,
    l1::{
        beacon::SharedL1Chain,
        contracts::{DEPOSIT_PORTAL, IDepositPortal},
    },
};
use keel_node::devnet::{BATCH_INBOX, DevnetStatus, RunningDevnet};
use keel_protocol::{
    batch::{Batch, read_channel_batches},
    channel::Channel,
    compression::decompress,
    frame::parse_frames,
    rollup_config::RollupConfig,
};
use op_alloy_consensus::{OpBlock, OpTxEnvelope};

pub const START_MS: u64 = 1_700_000_000_000;
/// Receives the L1 deposits of the tests.
pub const RECIPIENT: Address = address!("0x00000000000000000000000000000000000d3905");

/// Logs to the test's output, filtered by `RUST_LOG` (nothing by default).
pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

/// Sleeps `secs` simulated seconds while the devnet runs.
pub async fn run_for(secs: u64) {
    tokio::time::sleep(Duration::from_secs(secs)).await;
}

/// Runs until `cond` holds of the devnet's status, at most `max_secs` simulated seconds;
/// returns that status. Fails the test with `what` and the last status on timeout.
pub async fn wait_until(
    dn: &RunningDevnet,
    max_secs: u64,
    what: &str,
    cond: impl Fn(&DevnetStatus) -> bool,
) -> DevnetStatus {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(max_secs);
    loop {
        let s = dn.status();
        if cond(&s) {
            return s;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {max_secs}s waiting for {what}: {s:#?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Asserts both engines hold the same canonical block at every height up to `upto`.
pub fn assert_same_chain(seq: &InProcessEngine, ver: &InProcessEngine, upto: u64) {
    for n in 0..=upto {
        let a = seq.with_chain(|c| c.canonical_hash(n));
        let b = ver.with_chain(|c| c.canonical_hash(n));
        assert!(a.is_some(), "sequencer has block {n}");
        assert_eq!(a, b, "block {n} differs");
    }
}

/// The canonical L2 block `n` of `engine` as a block reference (with its L1 origin).
pub fn l2_ref(rollup: &RollupConfig, engine: &InProcessEngine, n: u64) -> L2BlockRef {
    engine.with_chain(|c| {
        let b = c.block_by_number(n).expect("block");
        let block = OpBlock {
            header: b.header.inner().clone(),
            body: alloy_consensus::BlockBody {
                transactions: b.transactions.clone(),
                ommers: Vec::new(),
                withdrawals: None,
            },
        };
        keel_derive::l2::block_ref_from_block(rollup, b.header.hash(), &block).unwrap()
    })
}

/// Hashes of the transactions of canonical L2 block `n` of `engine`.
pub fn l2_tx_hashes(engine: &InProcessEngine, n: u64) -> Vec<B256> {
    engine.with_chain(|c| {
        c.block_by_number(n)
            .map(|b| b.transactions.iter().map(|t| t.tx_hash()).collect())
            .unwrap_or_default()
    })
}

/// Signed EIP-1559 transaction of dev account `key`.
fn signed(key: usize, tx: TxEip1559) -> alloy_consensus::Signed<TxEip1559> {
    let signer = PrivateKeySigner::from_bytes(&DEV_PRIVATE_KEYS[key]).unwrap();
    let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    tx.into_signed(sig)
}

/// An L1 transaction of dev account 3 depositing `value` wei to [`RECIPIENT`] on L2.
pub fn deposit_tx(chain_id: u64, nonce: u64, value: u128) -> Vec<u8> {
    let call = IDepositPortal::depositTransactionCall {
        _to: RECIPIENT,
        _value: U256::from(value),
        _gasLimit: 100_000,
        _isCreation: false,
        _data: Default::default(),
    };
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 300_000,
        max_fee_per_gas: 100_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(DEPOSIT_PORTAL),
        value: U256::from(value),
        input: call.abi_encode().into(),
        access_list: Default::default(),
    };
    TxEnvelope::Eip1559(signed(3, tx)).encoded_2718()
}

/// Puts an L2 transfer of dev account `key` into `engine`'s pool; returns its hash.
pub fn send_l2_transfer(engine: &InProcessEngine, chain_id: u64, key: usize, to: Address) -> B256 {
    let tx = TxEip1559 {
        chain_id,
        nonce: 0,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: TxKind::Call(to),
        value: U256::from(12_345u64),
        input: Default::default(),
        access_list: Default::default(),
    };
    let signed = signed(key, tx);
    let hash = *signed.hash();
    let from = PrivateKeySigner::from_bytes(&DEV_PRIVATE_KEYS[key])
        .unwrap()
        .address();
    let envelope = OpTxEnvelope::Eip1559(signed);
    engine
        .with_chain_mut(|c| {
            c.add_to_pool(alloy_consensus::transaction::Recovered::new_unchecked(
                envelope, from,
            ))
        })
        .unwrap();
    hash
}

/// A channel the batcher posted on the canonical L1 chain.
#[derive(Debug, Clone)]
pub struct PostedChannel {
    pub id: B128,
    /// L1 block of its first frame.
    pub first_l1: u64,
    /// Whether every frame landed (derivation can read it).
    pub complete: bool,
    /// Frames landed.
    pub frames: usize,
    /// L2 block numbers of its batches (complete channels only).
    pub l2_blocks: Vec<u64>,
}

/// Every channel in batcher transactions (calldata or blobs) of canonical L1 blocks, in
/// order of first frame.
pub fn posted_channels(l1: &SharedL1Chain, rollup: &RollupConfig) -> Vec<PostedChannel> {
    let c = l1.read();
    let mut channels: Vec<(Channel, u64)> = Vec::new();
    for n in 0..=c.head().number() {
        let block = c.block_by_number(n).unwrap();
        let sidecars = c.blob_sidecars(n).unwrap_or_default();
        for tx in &block.transactions {
            if tx.inner().to() != Some(BATCH_INBOX) {
                continue;
            }
            // Calldata frames, or one frame set per blob of the transaction's sidecar.
            let payloads: Vec<Vec<u8>> = if tx.inner().is_eip4844() {
                let hash = *tx.inner().tx_hash();
                let (_, sidecar) = sidecars
                    .iter()
                    .find(|(h, _)| *h == hash)
                    .expect("sidecar kept");
                sidecar
                    .blobs
                    .iter()
                    .map(|b| keel_protocol::blob::decode_blob(b.as_slice()).unwrap())
                    .collect()
            } else {
                vec![tx.inner().input().to_vec()]
            };
            for frame in payloads.iter().flat_map(|p| parse_frames(p).unwrap()) {
                let i = match channels
                    .iter()
                    .position(|(ch, _)| ch.id() == frame.channel_id)
                {
                    Some(i) => i,
                    None => {
                        channels.push((Channel::new(frame.channel_id, n), n));
                        channels.len() - 1
                    }
                };
                channels[i].0.add_frame(frame, n).unwrap();
            }
        }
    }
    channels
        .into_iter()
        .map(|(ch, first_l1)| {
            let l2_blocks = ch
                .data()
                .map(|d| l2_numbers(rollup, &d))
                .unwrap_or_default();
            PostedChannel {
                id: ch.id(),
                first_l1,
                complete: ch.is_ready(),
                frames: ch.frame_count(),
                l2_blocks,
            }
        })
        .collect()
}

/// The L2 block numbers of the batches in a channel's compressed data.
fn l2_numbers(rollup: &RollupConfig, data: &[u8]) -> Vec<u64> {
    let (_, raw) = decompress(data, 100_000_000, true).unwrap();
    let (batches, err) = read_channel_batches(&raw, 100_000_000);
    assert!(err.is_none(), "{err:?}");
    let number = |ts: u64| (ts - rollup.genesis.l2_time) / rollup.block_time;
    batches
        .iter()
        .flat_map(|b| match b {
            Batch::Single(s) => vec![number(s.timestamp)],
            Batch::Span(s) => {
                let first = number(rollup.genesis.l2_time + s.rel_timestamp());
                (first..first + s.block_count()).collect()
            }
        })
        .collect()
}

/// Asserts the complete channels on L1 carry every L2 block from 1 to `upto`: nothing
/// skipped, and unless `repeats`, none posted twice.
pub fn assert_posted(channels: &[PostedChannel], upto: u64, repeats: bool) {
    let mut seen: Vec<u64> = channels
        .iter()
        .filter(|c| c.complete)
        .flat_map(|c| c.l2_blocks.iter().copied())
        .filter(|n| *n <= upto)
        .collect();
    seen.sort_unstable();
    if repeats {
        seen.dedup();
    }
    let want: Vec<u64> = (1..=upto).collect();
    assert_eq!(seen, want, "L2 blocks carried by complete channels on L1");
}
