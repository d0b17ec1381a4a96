#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! The batcher against a real, independent L1 node: anvil (npm `@foundry-rs/anvil`, pinned
//! in `tools/package.json`, installed by `scripts/test.sh`).
//!
//! Eight real OP L2 blocks (an Ecotone L1-info deposit, then signed EIP-1559 L2
//! transactions; three epochs) are posted by [`BatcherService`] to the batch inbox, once as
//! calldata and once as blobs, through anvil. The L1 is then read back as a verifier would:
//! `keel-l1`'s [`L1Client`] and [`BeaconClient`], `keel-derive`'s L1 retrieval stage, and
//! `keel-protocol`'s frame, channel and span-batch decoders; the decoded blocks must equal the
//! originals (transactions, timestamps, epochs).
//!
//! As in `keel-l1`'s anvil test, anvil does not mine on its own: a task mines a block every
//! 200 ms at `genesis + 1000 s × n`, so the beacon API's slot n is block n.
//!
//! Without anvil the test fails under CI (`CI=true`) and is skipped, with a message,
//! elsewhere.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use alloy_consensus::{Header, SignableTransaction, TxEip1559};
use alloy_eips::eip4844::IndexedBlobHash;
use alloy_network::{Ethereum, TxSignerSync};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address};
use alloy_provider::{Provider, RootProvider};
use alloy_signer_local::PrivateKeySigner;
use keel_batcher::{
    BatchBlock, BatcherConfig, BatcherService, ChannelManager, DataAvailability, L2Source,
    SafeHeadSource, TxData, TxId,
    service::{L1Submitter, PreparedTx, ServiceError},
    txmgr::{FeeConfig, PublishResult, SendConfig},
};
use keel_derive::stages::retrieval::{self, DataItem};
use keel_l1::{BeaconClient, BeaconConfig, L1Client, L1Config};
use keel_protocol::{
    batch::{Batch, SingleBatch, read_channel_batches},
    channel::assemble_channels,
    compression::decompress,
    frame::{Frame, parse_frames},
    hardfork::HardforkTimes,
    l1_info::{L1BlockInfo, L1BlockInfoEcotone, build::l1_info_deposit_from_info},
    rollup_config::{BlockId, ChainGenesis, RollupConfig},
};
use op_alloy_consensus::{OpBlock, OpTxEnvelope};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

/// Anvil's first dev account (public, from anvil's default mnemonic).
const BATCHER_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const INBOX: Address = address!("ff00000000000000000000000000000000000901");
const SLOT_SECONDS: u64 = 1000;
const L2_CHAIN_ID: u64 = 901;
const L2_GENESIS_TIME: u64 = 1_700_000_000;

fn anvil_path() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("KEEL_ANVIL") {
        return Some(PathBuf::from(p));
    }
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/node_modules");
    [
        "@foundry-rs/anvil-linux-amd64/bin/anvil",
        "@foundry-rs/anvil-linux-arm64/bin/anvil",
        "@foundry-rs/anvil-darwin-arm64/bin/anvil",
        "@foundry-rs/anvil-darwin-amd64/bin/anvil",
        ".bin/anvil",
    ]
    .iter()
    .map(|c| modules.join(c))
    .find(|p| p.exists())
}

struct Anvil {
    _child: Child,
    url: String,
}

async fn start_anvil(bin: &Path, hardfork: &str) -> Anvil {
    let mut child = Command::new(bin)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--hardfork",
            hardfork,
            "--no-mining",
            "--slots-in-an-epoch",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(addr) = line.trim().strip_prefix("Listening on ") {
                return addr.to_string();
            }
        }
        panic!("anvil exited before listening");
    })
    .await
    .expect("anvil did not start listening within 60 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Anvil {
        _child: child,
        url: format!("http://{addr}"),
    }
}

fn rollup(l1_chain_id: u64, genesis_hash: B256) -> RollupConfig {
    RollupConfig {
        genesis: ChainGenesis {
            l2: BlockId {
                hash: genesis_hash,
                number: 0,
            },
            l2_time: L2_GENESIS_TIME,
            ..Default::default()
        },
        block_time: 2,
        seq_window_size: 3600,
        channel_timeout: 300,
        l1_chain_id,
        l2_chain_id: L2_CHAIN_ID,
        batch_inbox_address: INBOX,
        hardforks: HardforkTimes {
            regolith_time: Some(0),
            canyon_time: Some(0),
            delta_time: Some(0),
            ecotone_time: Some(0),
            fjord_time: Some(0),
            ..HardforkTimes::default()
        },
        ..RollupConfig::default()
    }
}

/// Eight OP blocks on top of a genesis hash: 3 blocks per epoch, each with its L1-info
/// deposit and `n % 3 + 1` signed transfers.
fn l2_chain(cfg: &RollupConfig, batcher: Address) -> Vec<(B256, OpBlock)> {
    let user: PrivateKeySigner = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x11)).unwrap();
    let mut parent = cfg.genesis.l2.hash;
    let mut nonce = 0;
    let mut out = Vec::new();
    for n in 1..=8u64 {
        let epoch = n / 3;
        let timestamp = L2_GENESIS_TIME + 2 * n;
        let info = L1BlockInfo::Ecotone(L1BlockInfoEcotone {
            number: epoch,
            timestamp: L2_GENESIS_TIME - 24 + 12 * epoch,
            base_fee: U256::from(7),
            block_hash: B256::repeat_byte(0x40 + epoch as u8),
            sequence_number: n % 3,
            batcher_address: batcher,
            blob_base_fee: U256::from(1),
            base_fee_scalar: 1368,
            blob_base_fee_scalar: 810_949,
        });
        let mut txs = vec![OpTxEnvelope::Deposit(alloy_primitives::Sealed::new(
            l1_info_deposit_from_info(cfg, &info, timestamp),
        ))];
        for i in 0..(n % 3 + 1) {
            let mut tx = TxEip1559 {
                chain_id: L2_CHAIN_ID,
                nonce,
                gas_limit: 21_000,
                max_fee_per_gas: 2_000_000_000,
                max_priority_fee_per_gas: 1_000,
                to: TxKind::Call(Address::repeat_byte(0x50 + i as u8)),
                value: U256::from(n * 1000 + i),
                access_list: Default::default(),
                input: Bytes::from(vec![i as u8; (n * 10) as usize]),
            };
            nonce += 1;
            let sig = user.sign_transaction_sync(&mut tx).unwrap();
            txs.push(OpTxEnvelope::Eip1559(tx.into_signed(sig)));
        }
        let header = Header {
            parent_hash: parent,
            number: n,
            timestamp,
            gas_limit: 30_000_000,
            base_fee_per_gas: Some(1_000),
            ..Default::default()
        };
        let block = OpBlock {
            header,
            body: alloy_consensus::BlockBody {
                transactions: txs,
                ommers: vec![],
                withdrawals: Some(vec![].into()),
            },
        };
        let hash = block.header.hash_slow();
        parent = hash;
        out.push((hash, block));
    }
    out
}

#[derive(Clone)]
struct MemL2(Vec<(B256, OpBlock)>);

impl L2Source for MemL2 {
    async fn head_number(&self) -> Result<u64, ServiceError> {
        Ok(self.0.len() as u64)
    }
    async fn block(&self, number: u64) -> Result<Option<(B256, OpBlock)>, ServiceError> {
        Ok(number
            .checked_sub(1)
            .and_then(|i| self.0.get(i as usize))
            .cloned())
    }
}

struct FixedSafe(BlockId);

impl SafeHeadSource for FixedSafe {
    async fn safe_head(&self) -> Result<BlockId, ServiceError> {
        Ok(self.0)
    }
}

async fn mine_at(provider: &RootProvider<Ethereum>, timestamp: u64) {
    let _: serde_json::Value = provider
        .raw_request("evm_setNextBlockTimestamp".into(), (timestamp,))
        .await
        .unwrap();
    let _: serde_json::Value = provider
        .raw_request("evm_mine".into(), Vec::<u64>::new())
        .await
        .unwrap();
}

#[tokio::test]
async fn batches_posted_to_anvil_decode_to_the_l2_blocks() {
    let Some(bin) = anvil_or_skip("batches_posted_to_anvil_decode_to_the_l2_blocks") else {
        return;
    };
    tokio::time::timeout(
        Duration::from_secs(300),
        run(
            &bin,
            "prague",
            &[DataAvailability::Calldata, DataAvailability::Blobs],
        ),
    )
    .await
    .expect("anvil test timed out");
}

/// From Osaka, L1 pools take blob transactions with EIP-7594 cell proofs (geth refuses the
/// old sidecar; anvil 1.7 still accepts both, so only the new form is checked here): the
/// batcher, told when L1 activated Osaka, posts them with cell proofs, an Osaka node takes
/// them, and they read back as before.
#[tokio::test]
async fn blobs_with_cell_proofs_on_an_osaka_l1() {
    let Some(bin) = anvil_or_skip("blobs_with_cell_proofs_on_an_osaka_l1") else {
        return;
    };
    tokio::time::timeout(Duration::from_secs(300), async {
        let anvil = start_anvil(&bin, "osaka").await;
        let signer: PrivateKeySigner = BATCHER_KEY.parse().unwrap();
        let l1 = L1Submitter::connect(anvil.url.parse().unwrap(), signer.clone())
            .await
            .unwrap();
        let data = TxData {
            id: TxId(1),
            channel_id: alloy_primitives::FixedBytes([7; 16]),
            frames: vec![Frame {
                channel_id: alloy_primitives::FixedBytes([7; 16]),
                number: 0,
                data: Bytes::from(vec![0xab; 1000]),
                is_last: true,
            }],
            data_availability: DataAvailability::Blobs,
        };
        let (_, base_fee) = l1.head().await.unwrap();
        let quote = l1.quote(base_fee, true).await.unwrap();
        let fees = FeeConfig::default().initial(quote, true).unwrap();
        let nonce = l1.pending_nonce().await.unwrap();
        let sign = |cell_proofs: bool| {
            let tx = PreparedTx::with_sidecar(&data, INBOX, nonce, cell_proofs).unwrap();
            assert_eq!(tx.has_cell_proofs(), cell_proofs);
            tx.sign(l1.signer(), l1.chain_id(), fees).unwrap().1
        };
        // Same blobs, same versioned hashes: only the proofs differ.
        assert_eq!(
            PreparedTx::with_sidecar(&data, INBOX, nonce, false)
                .unwrap()
                .blob_hashes(),
            PreparedTx::with_sidecar(&data, INBOX, nonce, true)
                .unwrap()
                .blob_hashes()
        );
        let accepted = l1.publish(&sign(true)).await;
        assert!(
            matches!(accepted, PublishResult::Accepted(_)),
            "cell proofs on Osaka: {accepted:?}"
        );
        drop(anvil);
        run(&bin, "osaka", &[DataAvailability::Blobs]).await;
    })
    .await
    .expect("anvil test timed out");
}

fn anvil_or_skip(test: &str) -> Option<PathBuf> {
    let bin = anvil_path();
    if bin.is_none() {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(
            !ci,
            "anvil not found: run `npm ci --prefix tools` (scripts/test.sh does) or set KEEL_ANVIL"
        );
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: anvil not found (run `npm ci --prefix tools` or set KEEL_ANVIL)"
        );
    }
    bin
}

async fn run(bin: &Path, hardfork: &str, das: &[DataAvailability]) {
    let anvil = start_anvil(bin, hardfork).await;
    let osaka = hardfork == "osaka";
    let provider = RootProvider::<Ethereum>::new_http(anvil.url.parse().unwrap());
    let l1_chain_id = provider.get_chain_id().await.unwrap();
    let genesis_time = provider
        .get_block_by_number(0.into())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    let miner = {
        let provider = provider.clone();
        tokio::spawn(async move {
            for n in 1.. {
                tokio::time::sleep(Duration::from_millis(200)).await;
                mine_at(&provider, genesis_time + SLOT_SECONDS * n).await;
            }
        })
    };

    let signer: PrivateKeySigner = BATCHER_KEY.parse().unwrap();
    let genesis_hash = B256::repeat_byte(0x99);
    let cfg = rollup(l1_chain_id, genesis_hash);
    let blocks = l2_chain(&cfg, signer.address());
    let expected: Vec<SingleBatch> = blocks
        .iter()
        .map(|(h, b)| BatchBlock::from_op_block(&cfg, *h, b).unwrap().batch)
        .collect();
    // n % 3 + 1 transfers in block n = 1..=8; deposits are not batched.
    assert_eq!(
        expected.iter().map(|b| b.transactions.len()).sum::<usize>(),
        17
    );

    for &da in das {
        let l1 = L1Submitter::connect(anvil.url.parse().unwrap(), signer.clone())
            .await
            .unwrap();
        let config = BatcherConfig {
            data_availability: da,
            // Small frames: the channel spans several transactions.
            max_l1_tx_size: 400,
            target_num_frames: 2,
            ..BatcherConfig::default()
        };
        let manager = ChannelManager::new(cfg.clone(), config, [da as u8; 32]);
        let service = BatcherService::new(
            cfg.clone(),
            manager,
            MemL2(blocks.clone()),
            FixedSafe(cfg.genesis.l2),
            l1,
            FeeConfig::default(),
            SendConfig {
                num_confirmations: 2,
                resubmission_timeout: 3600,
                safe_abort_nonce_too_low_count: 3,
            },
        );
        // Anvil's chain id is not a public L1's: tell the service when Osaka began.
        let mut service = service.with_l1_osaka_time(osaka.then_some(0));
        let first_l1 = provider.get_block_number().await.unwrap() + 1;
        let mut confirmed = Vec::new();
        for round in 0.. {
            assert!(round < 400, "{da:?}: not done after {round} rounds");
            let report = service.step(0, true).await.unwrap();
            if let Some(c) = report.confirmed {
                confirmed.push(c);
            }
            if service.manager().is_idle() && !service.has_inflight() && !confirmed.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let stats = service.manager().stats();
        assert!(stats.channels_closed >= 1, "{da:?}");
        assert_eq!(confirmed.len() as u64, stats.txs_built, "{da:?}");
        match da {
            // 400-byte transactions: several frames, one per transaction.
            DataAvailability::Calldata => assert!(stats.txs_built >= 2, "{stats:?}"),
            // One blob per frame, at most two per transaction.
            DataAvailability::Blobs => assert!(stats.txs_built >= 1, "{stats:?}"),
        }
        let last_l1 = confirmed.iter().map(|c| c.1).max().unwrap();

        let hashes: Vec<B256> = blocks.iter().map(|(h, _)| *h).collect();
        let got = read_back(
            &anvil.url,
            &cfg,
            signer.address(),
            first_l1,
            last_l1,
            da,
            &hashes,
        )
        .await;
        assert_eq!(got.len(), 8, "{da:?}");
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g.timestamp, e.timestamp, "{da:?}");
            assert_eq!(g.epoch_num, e.epoch_num, "{da:?}");
            assert_eq!(g.epoch_hash, e.epoch_hash, "{da:?}");
            assert_eq!(g.transactions, e.transactions, "{da:?}");
        }
        assert_eq!(got[0].parent_hash, genesis_hash);
    }
    miner.abort();
}

/// Reads L1 blocks `from..=to` as a verifier: retrieval, blobs from the beacon API, frames,
/// channels, span batches (each checked against the parent hash and epoch it must extend);
/// returns the blocks as singular batches.
async fn read_back(
    url: &str,
    cfg: &RollupConfig,
    batcher: Address,
    from: u64,
    to: u64,
    da: DataAvailability,
    hashes: &[B256],
) -> Vec<SingleBatch> {
    let l1 = L1Client::new_http(url, L1Config::default()).unwrap();
    let beacon = BeaconClient::new(BeaconConfig {
        seconds_per_slot: Some(SLOT_SECONDS),
        ..BeaconConfig::new(vec![url.to_string()])
    })
    .unwrap();
    let mut frames = Vec::new();
    for n in from..=to {
        let input = l1.block_input_by_number(n).await.unwrap();
        let items = retrieval::batcher_data(&input, cfg, batcher);
        let hashes: Vec<IndexedBlobHash> = items
            .iter()
            .filter_map(|i| match i {
                DataItem::Blob { index, hash } => Some(IndexedBlobHash {
                    index: *index,
                    hash: *hash,
                }),
                DataItem::Calldata(_) => None,
            })
            .collect();
        if da == DataAvailability::Calldata {
            assert!(hashes.is_empty());
        }
        let blobs = match hashes.is_empty() {
            true => vec![],
            false => beacon
                .blobs(input.block_ref.timestamp, &hashes)
                .await
                .unwrap(),
        };
        let resolved = retrieval::resolve(items, &blobs).unwrap();
        for data in resolved.data {
            frames.extend(parse_frames(&data).unwrap());
        }
    }
    let mut out = Vec::new();
    let mut parent = cfg.genesis.l2.hash;
    for channel in assemble_channels(&frames) {
        let data = channel.data().expect("channel complete");
        let (_, raw) = decompress(&data, 100_000_000, true).unwrap();
        let (batches, err) = read_channel_batches(&raw, 100_000_000);
        assert!(err.is_none(), "{err:?}");
        let [Batch::Span(raw)] = batches.as_slice() else {
            panic!("one span batch per channel expected: {batches:?}");
        };
        // The span batch's checks bind it to the chain: its parent, its last epoch.
        assert_eq!(raw.parent_check().as_slice(), &parent[..20]);
        let span = raw
            .to_span_batch(cfg.genesis.l2_time, cfg.block_time, cfg.l2_chain_id)
            .unwrap();
        let last_epoch = span.blocks.last().unwrap().epoch_num;
        assert_eq!(
            raw.l1_origin_check().as_slice(),
            &B256::repeat_byte(0x40 + last_epoch as u8)[..20]
        );
        let singles = span
            .to_singular_batches(|e| Some(B256::repeat_byte(0x40 + e as u8)), parent)
            .unwrap();
        let last = out.len() + singles.len();
        parent = hashes[last - 1];
        out.extend(singles);
    }
    out
}
