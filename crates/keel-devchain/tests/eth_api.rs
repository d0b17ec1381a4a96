#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! The public `eth_` API over real HTTP with alloy's provider (OP network types): signed
//! transactions through `eth_sendRawTransaction`, blocks sequenced through the Engine API,
//! then receipts (with op-geth's L1-fee fields checked against op-revm), balances, nonces,
//! a contract's code, storage, calls, logs and gas estimate, each pool refusal with geth's
//! message, fee history, block tags and missing historic state.

mod common;

use common::*;

use alloy_consensus::{SignableTransaction, TxEip1559, TxLegacy, TxReceipt};
use alloy_eips::{BlockId, BlockNumberOrTag, eip2718::Encodable2718};
use alloy_network::TxSignerSync;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address, b256, keccak256};
use alloy_provider::{Provider, RootProvider};
use alloy_rpc_types_engine::{ForkchoiceState, JwtSecret, PayloadStatusEnum};
use alloy_rpc_types_eth::Filter;
use alloy_signer_local::PrivateKeySigner;
use keel_derive::{
    attributes::{EpochOrigin, prepare_payload_attributes},
    types::L2BlockRef,
};
use keel_devchain::{
    chain::{Chain, ChainConfig},
    engine_server::EngineServer,
    genesis::{DEV_PRIVATE_KEYS, DevGenesisConfig, build_genesis},
    rpc::EthServer,
};
use keel_engine::{api::EngineApi, client::HttpEngineClient};
use keel_protocol::rollup_config::{BlockId as L1Id, RollupConfig};
use op_alloy_consensus::{OpTxEnvelope, TxDeposit};
use op_alloy_network::Optimism;
use op_revm::{L1BlockInfo, OpSpecId};
use serde_json::{Value, json};

const SECRET: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";
const GWEI: u128 = 1_000_000_000;
/// The topic the test contract logs.
const TOPIC: B256 = b256!("0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
const STRANGER: Address = address!("0x5555555555555555555555555555555555555555");

/// A node: the engine server, the public `eth_` server over the same chain, an engine
/// client and an alloy provider.
struct Node {
    cfg: RollupConfig,
    l1_b: alloy_consensus::Sealed<alloy_consensus::Header>,
    l1_a_id: L1Id,
    engine_server: EngineServer,
    public: EthServer,
    engine: HttpEngineClient,
    provider: RootProvider<Optimism>,
    head: L2BlockRef,
}

impl Node {
    async fn start(chain_config: ChainConfig) -> Self {
        let sys = dev_system_config();
        let l1_a = l1_header(100, B256::repeat_byte(0x99), GENESIS_TIME - 12);
        let l1_b = l1_header(101, l1_a.hash(), GENESIS_TIME);
        let (cfg, _) = dev_rollup_config(jovian_at_genesis(), sys, &l1_a);
        let genesis = build_genesis(&DevGenesisConfig::from_rollup_config(&cfg)).unwrap();
        let chain = Chain::new(cfg.clone(), genesis, chain_config);
        let secret = JwtSecret::from_hex(SECRET).unwrap();
        let engine_server = EngineServer::start("127.0.0.1:0".parse().unwrap(), secret, chain)
            .await
            .unwrap();
        let public = engine_server
            .start_public_rpc("127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        let engine =
            HttpEngineClient::new(engine_server.url().parse().unwrap(), secret, cfg.hardforks)
                .unwrap();
        let provider = RootProvider::<Optimism>::new_http(public.url().parse().unwrap());
        let l1_a_id = L1Id {
            hash: l1_a.hash(),
            number: l1_a.number,
        };
        let head = L2BlockRef {
            hash: cfg.genesis.l2.hash,
            number: 0,
            parent_hash: B256::ZERO,
            timestamp: GENESIS_TIME,
            l1_origin: l1_a_id,
            sequence_number: 0,
        };
        Self {
            cfg,
            l1_b,
            l1_a_id,
            engine_server,
            public,
            engine,
            provider,
            head,
        }
    }

    /// Sequences one block through the Engine API (FCU with attributes, getPayload,
    /// newPayload, FCU), on L1 origin `l1_b` (its deposit lands in block 1).
    async fn block(&mut self) -> B256 {
        let epoch = L1Id {
            hash: self.l1_b.hash(),
            number: self.l1_b.number,
        };
        let receipts = vec![deposit_receipt()];
        let mut attrs = prepare_payload_attributes(
            &self.cfg,
            &self.head,
            &self.cfg.genesis.system_config,
            epoch,
            EpochOrigin {
                header: &self.l1_b,
                receipts: Some(&receipts),
                l1_blob_params: None,
            },
        )
        .unwrap()
        .attributes;
        // As the sequencer: the pool's transactions after the forced ones.
        attrs.no_tx_pool = Some(false);
        let genesis = self.cfg.genesis.l2.hash;
        let fcs = |head| ForkchoiceState {
            head_block_hash: head,
            safe_block_hash: genesis,
            finalized_block_hash: genesis,
        };
        let fcu = self
            .engine
            .forkchoice_updated(fcs(self.head.hash), Some(&attrs))
            .await
            .unwrap();
        let env = self
            .engine
            .get_payload(fcu.payload_id.unwrap(), attrs.payload_attributes.timestamp)
            .await
            .unwrap();
        let hash = env.execution_payload.block_hash();
        let status = self.engine.new_payload(&env).await.unwrap();
        assert_eq!(status.status, PayloadStatusEnum::Valid);
        self.engine
            .forkchoice_updated(fcs(hash), None)
            .await
            .unwrap();
        self.head = L2BlockRef {
            hash,
            number: self.head.number + 1,
            parent_hash: self.head.hash,
            timestamp: attrs.payload_attributes.timestamp,
            l1_origin: epoch,
            sequence_number: if self.head.l1_origin == epoch {
                self.head.sequence_number + 1
            } else {
                0
            },
        };
        let _ = self.l1_a_id;
        hash
    }

    async fn raw(&self, method: &'static str, params: Value) -> Result<Value, (i64, String)> {
        self.provider
            .raw_request::<_, Value>(method.into(), params)
            .await
            .map_err(|e| {
                let resp = e.as_error_resp().expect("an error response");
                (resp.code, resp.message.to_string())
            })
    }

    async fn send(&self, raw: &[u8]) -> Result<B256, (i64, String)> {
        self.provider
            .send_raw_transaction(raw)
            .await
            .map(|p| *p.tx_hash())
            .map_err(|e| {
                let resp = e.as_error_resp().expect("an error response");
                (resp.code, resp.message.to_string())
            })
    }

    async fn stop(self) {
        self.public.stop().await;
        self.engine_server.stop().await;
    }
}

fn dev(i: usize) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&DEV_PRIVATE_KEYS[i]).unwrap()
}

/// A signed EIP-1559 transaction, EIP-2718 encoded.
fn sign(signer: &PrivateKeySigner, tx: TxEip1559) -> Bytes {
    let mut tx = tx;
    let sig = signer.sign_transaction_sync(&mut tx).unwrap();
    OpTxEnvelope::Eip1559(tx.into_signed(sig))
        .encoded_2718()
        .into()
}

fn transfer(nonce: u64, to: Address, value: u128) -> TxEip1559 {
    TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 5 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to: TxKind::Call(to),
        value: U256::from(value),
        ..Default::default()
    }
}

/// The L1 data fee op-revm charges `raw` on the post-state of block `hash` (L1Block
/// storage read by `L1BlockInfo::try_fetch`).
fn op_revm_l1_fee(node: &Node, hash: B256, raw: &[u8]) -> U256 {
    node.engine_server.with_chain(|c| {
        let mut state = c.state_at(&hash).unwrap().clone();
        let number = c.block_by_hash(&hash).unwrap().header.number;
        let mut info =
            L1BlockInfo::try_fetch(&mut state, U256::from(number), OpSpecId::JOVIAN).unwrap();
        info.calculate_tx_l1_cost(raw, OpSpecId::JOVIAN)
    })
}

#[tokio::test]
async fn transfer_receipt_balances_and_nonces() {
    let mut node = Node::start(ChainConfig::default()).await;
    let p = &node.provider;
    assert_eq!(p.get_chain_id().await.unwrap(), CHAIN_ID);
    assert_eq!(p.get_block_number().await.unwrap(), 0);
    assert_eq!(
        node.raw("net_version", json!([])).await.unwrap(),
        json!("901")
    );
    assert_eq!(
        node.raw("eth_syncing", json!([])).await.unwrap(),
        json!(false)
    );
    assert_eq!(
        node.raw("eth_accounts", json!([])).await.unwrap(),
        json!([])
    );
    let version = node.raw("web3_clientVersion", json!([])).await.unwrap();
    assert!(version.as_str().unwrap().starts_with("keel-devchain/v"));

    let alice = dev(0);
    let sender = alice.address();
    let to = Address::repeat_byte(0x77);
    let before = p.get_balance(sender).await.unwrap();
    assert!(before > U256::ZERO);
    assert_eq!(p.get_balance(to).await.unwrap(), U256::ZERO);
    assert_eq!(p.get_transaction_count(sender).await.unwrap(), 0);

    let raw = sign(&alice, transfer(0, to, 3 * ETH));
    let hash = node.send(&raw).await.unwrap();
    assert_eq!(hash, keccak256(&raw));
    // Pending: in the pool, no block fields; the pending nonce counts it.
    let pending = p.get_transaction_by_hash(hash).await.unwrap().unwrap();
    assert_eq!(pending.inner.inner.signer(), sender);
    assert_eq!(pending.inner.block_hash, None);
    assert!(p.get_transaction_receipt(hash).await.unwrap().is_none());
    assert_eq!(p.get_transaction_count(sender).pending().await.unwrap(), 1);
    assert_eq!(p.get_transaction_count(sender).latest().await.unwrap(), 0);

    let block_hash = node.block().await;
    let p = &node.provider;
    assert_eq!(p.get_block_number().await.unwrap(), 1);
    let receipt = p.get_transaction_receipt(hash).await.unwrap().unwrap();
    assert!(receipt.inner.inner.status());
    assert_eq!(receipt.inner.gas_used, 21_000);
    assert_eq!(receipt.inner.block_hash, Some(block_hash));
    assert_eq!(receipt.inner.block_number, Some(1));
    assert_eq!(receipt.inner.from, sender);
    assert_eq!(receipt.inner.to, Some(to));
    assert_eq!(receipt.inner.contract_address, None);
    // The L1 data fee: positive and what op-revm computes from L1Block storage.
    let l1_fee = receipt.l1_block_info.l1_fee.unwrap();
    assert!(l1_fee > 0);
    assert_eq!(U256::from(l1_fee), op_revm_l1_fee(&node, block_hash, &raw));
    let info = receipt.l1_block_info;
    assert_eq!(info.l1_gas_price, Some(7 * GWEI)); // the L1 origin's base fee
    assert_eq!(info.l1_base_fee_scalar, Some(1_368));
    assert_eq!(info.l1_blob_base_fee_scalar, Some(810_949));
    assert_eq!(info.l1_blob_base_fee, Some(1));
    assert_eq!(info.da_footprint_gas_scalar, Some(400));
    // l1GasUsed: Fjord's estimated compressed size × 16; Jovian's DA footprint as
    // blobGasUsed: the scalar × that size.
    let scaled = op_revm::estimate_tx_compressed_size(&raw);
    let size = scaled / 1_000_000;
    assert_eq!(info.l1_gas_used, Some(u128::from(scaled) * 16 / 1_000_000));
    let tx_receipt = node
        .raw("eth_getTransactionReceipt", json!([hash]))
        .await
        .unwrap();
    assert_eq!(
        tx_receipt["blobGasUsed"],
        json!(format!("{:#x}", 400 * size))
    );
    assert_eq!(tx_receipt["type"], json!("0x2"));
    assert_eq!(tx_receipt["logs"], json!([]));

    // Block and effective price: base fee plus the full tip (the cap leaves room).
    let block = p
        .get_block_by_number(BlockNumberOrTag::Number(1))
        .full()
        .await
        .unwrap()
        .unwrap();
    assert_eq!(block.header.hash, block_hash);
    let base_fee = u128::from(block.header.base_fee_per_gas.unwrap());
    let price = base_fee + GWEI;
    assert_eq!(receipt.inner.effective_gas_price, price);
    let txs = block.transactions.as_transactions().unwrap();
    let index = receipt.inner.transaction_index.unwrap() as usize;
    assert_eq!(txs[index].inner.inner.tx_hash(), hash);
    assert_eq!(txs[index].inner.transaction_index, Some(index as u64));
    assert_eq!(txs[index].inner.effective_gas_price, Some(price));
    // The L1-info deposit first, then the user deposit; their receipts carry the deposit
    // nonce and version (Canyon), and no L1-fee fields.
    assert!(txs[0].inner.inner.is_deposit());
    assert!(txs[1].inner.inner.is_deposit());
    assert_eq!(index, 2);
    let deposit_hash = txs[1].inner.inner.tx_hash();
    let deposit_receipt = p
        .get_transaction_receipt(deposit_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(deposit_receipt.inner.from, DEPOSITOR);
    assert_eq!(deposit_receipt.l1_block_info.l1_fee, None);
    let raw_receipt = node
        .raw("eth_getTransactionReceipt", json!([deposit_hash]))
        .await
        .unwrap();
    assert_eq!(raw_receipt["type"], json!("0x7e"));
    assert_eq!(raw_receipt["depositNonce"], json!("0x0"));
    assert_eq!(raw_receipt["depositReceiptVersion"], json!("0x1"));
    assert_eq!(txs[1].deposit_receipt_version, Some(1));
    let by_hash = node
        .raw("eth_getBlockByHash", json!([block_hash, false]))
        .await
        .unwrap();
    assert_eq!(by_hash["transactions"][2], json!(hash));

    // Balances: the sender paid value + gas × price + L1 fee (no operator fee configured).
    let p = &node.provider;
    assert_eq!(p.get_balance(to).await.unwrap(), U256::from(3 * ETH));
    let spent = U256::from(3 * ETH) + U256::from(21_000 * price) + U256::from(l1_fee);
    assert_eq!(p.get_balance(sender).await.unwrap(), before - spent);
    // Historic state: block 0's balances are still served.
    assert_eq!(
        p.get_balance(sender).number(0).await.unwrap(),
        before,
        "state at genesis"
    );
    assert_eq!(p.get_transaction_count(sender).await.unwrap(), 1);
    assert_eq!(p.get_transaction_count(sender).pending().await.unwrap(), 1);
    let included = p.get_transaction_by_hash(hash).await.unwrap().unwrap();
    assert_eq!(included.inner.block_hash, Some(block_hash));
    assert_eq!(included.inner.block_number, Some(1));
    assert_eq!(included.inner.transaction_index, Some(2));
    assert_eq!(included.inner.inner.signer(), sender);

    // The same methods answer on the authenticated engine port.
    let number = node.engine.payload_by_number(1).await.unwrap().unwrap();
    assert_eq!(number.execution_payload.block_hash(), block_hash);
    node.stop().await;
}

/// Runtime: stores calldata word 0 in slot 0, logs it under [`TOPIC`], returns it.
fn runtime() -> Vec<u8> {
    let mut code = vec![
        0x60, 0x00, 0x35, // CALLDATALOAD(0)
        0x80, 0x60, 0x00, 0x55, // DUP1 SSTORE(0, v)
        0x60, 0x00, 0x52, // MSTORE(0, v)
        0x7f, // PUSH32 topic
    ];
    code.extend_from_slice(TOPIC.as_slice());
    code.extend_from_slice(&[0x60, 0x20, 0x60, 0x00, 0xa1]); // LOG1(0, 32, topic)
    code.extend_from_slice(&[0x60, 0x20, 0x60, 0x00, 0xf3]); // RETURN(0, 32)
    code
}

/// Init code: stores 0x2a in slot 1, then returns the runtime.
fn init_code() -> Vec<u8> {
    let rt = runtime();
    let len = rt.len() as u8;
    let mut code = vec![
        0x60, 0x2a, 0x60, 0x01, 0x55, // SSTORE(1, 0x2a)
        0x60, len, 0x60, 17, 0x60, 0x00, 0x39, // CODECOPY(0, 17, len)
        0x60, len, 0x60, 0x00, 0xf3, // RETURN(0, len)
    ];
    assert_eq!(code.len(), 17);
    code.extend_from_slice(&rt);
    code
}

#[tokio::test]
async fn contract_code_storage_calls_logs_and_estimate() {
    let mut node = Node::start(ChainConfig::default()).await;
    let bob = dev(1);
    let deploy = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: 0,
        gas_limit: 200_000,
        max_fee_per_gas: 5 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to: TxKind::Create,
        input: init_code().into(),
        ..Default::default()
    };
    let deploy_hash = node.send(&sign(&bob, deploy)).await.unwrap();
    node.block().await;
    let p = &node.provider;
    let receipt = p
        .get_transaction_receipt(deploy_hash)
        .await
        .unwrap()
        .unwrap();
    assert!(receipt.inner.inner.status());
    let contract = bob.address().create(0);
    assert_eq!(receipt.inner.contract_address, Some(contract));
    assert_eq!(
        p.get_code_at(contract).await.unwrap(),
        Bytes::from(runtime())
    );
    assert_eq!(
        p.get_storage_at(contract, U256::from(1)).await.unwrap(),
        U256::from(0x2a)
    );
    assert_eq!(
        p.get_storage_at(contract, U256::ZERO).await.unwrap(),
        U256::ZERO
    );

    // eth_call returns the word and changes nothing.
    let word = B256::from(U256::from(7));
    let call = json!({"from": bob.address(), "to": contract, "input": word});
    let out = node.raw("eth_call", json!([call, "latest"])).await.unwrap();
    assert_eq!(out, json!(word));
    assert_eq!(
        p.get_storage_at(contract, U256::ZERO).await.unwrap(),
        U256::ZERO
    );
    // A call at genesis sees no contract: empty output.
    let out = node.raw("eth_call", json!([call, "0x0"])).await.unwrap();
    assert_eq!(out, json!("0x"));

    // The estimate is the least gas that works: one less runs out of gas.
    let estimate = node.raw("eth_estimateGas", json!([call])).await.unwrap();
    let estimate =
        u64::from_str_radix(estimate.as_str().unwrap().trim_start_matches("0x"), 16).unwrap();
    let short = json!({"from": bob.address(), "to": contract, "input": word, "gas": format!("{:#x}", estimate - 1)});
    let err = node
        .raw("eth_call", json!([short, "latest"]))
        .await
        .unwrap_err();
    assert_eq!(err, (-32000, "out of gas".to_string()));
    let exact = json!({"from": bob.address(), "to": contract, "input": word, "gas": format!("{estimate:#x}")});
    assert_eq!(
        node.raw("eth_call", json!([exact, "latest"]))
            .await
            .unwrap(),
        json!(word)
    );
    // A plain transfer is estimated at 21,000.
    let plain = json!({"from": bob.address(), "to": STRANGER, "value": "0x1"});
    assert_eq!(
        node.raw("eth_estimateGas", json!([plain])).await.unwrap(),
        json!("0x5208")
    );

    // The transaction sent with exactly the estimate succeeds.
    let store = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: 1,
        gas_limit: estimate,
        max_fee_per_gas: 5 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to: TxKind::Call(contract),
        input: word.into(),
        ..Default::default()
    };
    let store_hash = node.send(&sign(&bob, store)).await.unwrap();
    let block_hash = node.block().await;
    let p = &node.provider;
    let receipt = p
        .get_transaction_receipt(store_hash)
        .await
        .unwrap()
        .unwrap();
    assert!(receipt.inner.inner.status(), "the estimate is enough");
    assert!(receipt.inner.gas_used <= estimate);
    assert_eq!(
        p.get_storage_at(contract, U256::ZERO).await.unwrap(),
        U256::from(7)
    );
    let logs = receipt.inner.inner.logs();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].address(), contract);
    assert_eq!(logs[0].topics(), &[TOPIC]);
    assert_eq!(logs[0].data().data, Bytes::from(word.to_vec()));
    assert_eq!(logs[0].block_hash, Some(block_hash));
    assert_eq!(logs[0].transaction_hash, Some(store_hash));
    // Only the L1-info deposit precedes it in block 2, and it logs nothing.
    assert_eq!(logs[0].log_index, Some(0));
    assert_eq!(logs[0].transaction_index, Some(1));

    // eth_getLogs: address and topic filters, a block-hash filter, and filters that miss.
    let all = Filter::new()
        .from_block(0)
        .to_block(BlockNumberOrTag::Latest);
    let by_address = p.get_logs(&all.clone().address(contract)).await.unwrap();
    assert_eq!(by_address.len(), 1);
    assert_eq!(by_address[0], logs[0]);
    let by_topic = p
        .get_logs(&all.clone().event_signature(TOPIC))
        .await
        .unwrap();
    assert_eq!(by_topic, by_address);
    let by_hash = p
        .get_logs(&Filter::new().at_block_hash(block_hash).address(contract))
        .await
        .unwrap();
    assert_eq!(by_hash, by_address);
    let other_topic = all
        .clone()
        .address(contract)
        .event_signature(B256::repeat_byte(0xbb));
    assert!(p.get_logs(&other_topic).await.unwrap().is_empty());
    assert!(
        p.get_logs(&all.clone().address(STRANGER))
            .await
            .unwrap()
            .is_empty()
    );
    let first_block_only = Filter::new().from_block(1).to_block(1).address(contract);
    assert!(p.get_logs(&first_block_only).await.unwrap().is_empty());
    // Bounded ranges, with clear errors.
    let err = node
        .raw(
            "eth_getLogs",
            json!([{"fromBlock": "0x0", "toBlock": "0x4e20"}]),
        )
        .await
        .unwrap_err();
    assert_eq!(
        err,
        (-32005, "query exceeds max block range 10000".to_string())
    );
    let err = node
        .raw(
            "eth_getLogs",
            json!([{"fromBlock": "0x2", "toBlock": "0x1"}]),
        )
        .await
        .unwrap_err();
    assert_eq!(err, (-32000, "invalid block range params".to_string()));

    // A reverting call (init code `REVERT(0, 32)` of zeroes) answers code 3 with the data;
    // so does its estimate.
    let reverting = json!({"from": bob.address(), "input": "0x60206000fd"});
    for method in ["eth_call", "eth_estimateGas"] {
        let err = node
            .provider
            .raw_request::<_, Value>(method.into(), json!([reverting, "latest"]))
            .await
            .unwrap_err();
        let resp = err.as_error_resp().unwrap();
        assert_eq!(resp.code, 3, "{method}");
        assert_eq!(resp.message, "execution reverted");
        let data: Bytes = serde_json::from_str(resp.data.as_ref().unwrap().get()).unwrap();
        assert_eq!(data, Bytes::from(vec![0u8; 32]));
    }
    node.stop().await;
}

#[tokio::test]
async fn send_raw_transaction_refusals() {
    let mut node = Node::start(ChainConfig::default()).await;
    let carol = dev(2);
    let server_error = |m: &str| (-32000i64, m.to_string());

    // nonce 0 goes through and is included; then nonce 0 is too low.
    node.send(&sign(&carol, transfer(0, STRANGER, 1)))
        .await
        .unwrap();
    node.block().await;
    assert_eq!(
        node.send(&sign(&carol, transfer(0, STRANGER, 2)))
            .await
            .unwrap_err(),
        server_error("nonce too low: next nonce 1, tx nonce 0")
    );
    // A deposit cannot be sent.
    let deposit = OpTxEnvelope::Deposit(alloy_consensus::Sealed::new(TxDeposit {
        from: carol.address(),
        to: TxKind::Call(STRANGER),
        gas_limit: 21_000,
        ..Default::default()
    }));
    assert_eq!(
        node.send(&deposit.encoded_2718()).await.unwrap_err(),
        server_error("transaction type not supported")
    );
    // Signed for another chain.
    let mut other_chain = transfer(1, STRANGER, 1);
    other_chain.chain_id = 902;
    assert_eq!(
        node.send(&sign(&carol, other_chain)).await.unwrap_err(),
        server_error("invalid sender: invalid chain id for signer: have 902 want 901")
    );
    // Without EIP-155 replay protection.
    let mut legacy = TxLegacy {
        chain_id: None,
        nonce: 1,
        gas_price: 5 * GWEI,
        gas_limit: 21_000,
        to: TxKind::Call(STRANGER),
        value: U256::from(1),
        input: Bytes::new(),
    };
    let sig = carol.sign_transaction_sync(&mut legacy).unwrap();
    let legacy = OpTxEnvelope::Legacy(legacy.into_signed(sig)).encoded_2718();
    assert_eq!(
        node.send(&legacy).await.unwrap_err(),
        server_error("only replay-protected (EIP-155) transactions allowed over RPC")
    );
    // Gas limit above the block's (30M).
    let mut huge = transfer(1, STRANGER, 1);
    huge.gas_limit = 30_000_001;
    assert_eq!(
        node.send(&sign(&carol, huge)).await.unwrap_err(),
        server_error("exceeds block gas limit")
    );
    // Below intrinsic gas.
    let mut thin = transfer(1, STRANGER, 1);
    thin.gas_limit = 20_999;
    assert_eq!(
        node.send(&sign(&carol, thin)).await.unwrap_err(),
        server_error("intrinsic gas too low: gas 20999, minimum needed 21000")
    );
    // Tip above the fee cap.
    let mut tippy = transfer(1, STRANGER, 1);
    tippy.max_priority_fee_per_gas = 6 * GWEI;
    assert_eq!(
        node.send(&sign(&carol, tippy)).await.unwrap_err(),
        server_error("max priority fee per gas higher than max fee per gas")
    );
    // An unfunded sender: the cost counts gas × max fee, the value and the L1 fee.
    let poor = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x42)).unwrap();
    let raw = sign(&poor, transfer(0, STRANGER, 5));
    let head = node.engine_server.with_chain(|c| c.forkchoice().head);
    let l1_fee = op_revm_l1_fee(&node, head, &raw);
    let cost = U256::from(21_000 * 5 * GWEI + 5) + l1_fee;
    assert!(l1_fee > U256::ZERO);
    assert_eq!(
        node.send(&raw).await.unwrap_err(),
        server_error(&format!(
            "insufficient funds for gas * price + value: balance 0, tx cost {cost}, overshot {cost}"
        ))
    );
    // Replacement: the same nonce needs 10% more on both fees; the same bytes are known.
    let first = sign(&carol, transfer(1, STRANGER, 1));
    let first_hash = node.send(&first).await.unwrap();
    assert_eq!(
        node.send(&first).await.unwrap_err(),
        server_error("already known")
    );
    let mut cheap = transfer(1, STRANGER, 1);
    cheap.max_fee_per_gas = 5 * GWEI + GWEI / 2 - 1;
    cheap.max_priority_fee_per_gas = 2 * GWEI;
    assert_eq!(
        node.send(&sign(&carol, cheap)).await.unwrap_err(),
        server_error("replacement transaction underpriced")
    );
    let mut bumped = transfer(1, STRANGER, 1);
    bumped.max_fee_per_gas = 5 * GWEI + GWEI / 2;
    bumped.max_priority_fee_per_gas = GWEI + GWEI / 10;
    let bumped_hash = node.send(&sign(&carol, bumped)).await.unwrap();
    let p = &node.provider;
    assert!(
        p.get_transaction_by_hash(first_hash)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        p.get_transaction_by_hash(bumped_hash)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        p.get_transaction_count(carol.address())
            .pending()
            .await
            .unwrap(),
        2
    );
    // Not hex / not a transaction.
    let err = node
        .raw("eth_sendRawTransaction", json!(["0x02"]))
        .await
        .unwrap_err();
    assert_eq!(err.0, -32000);
    node.block().await;
    let receipt = node
        .provider
        .get_transaction_receipt(bumped_hash)
        .await
        .unwrap()
        .unwrap();
    assert!(receipt.inner.inner.status());
    assert_eq!(receipt.inner.effective_gas_price, {
        let block = node
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .unwrap()
            .unwrap();
        u128::from(block.header.base_fee_per_gas.unwrap()) + GWEI + GWEI / 10
    });
    node.stop().await;
}

#[tokio::test]
async fn fee_history_tags_and_missing_state() {
    let mut node = Node::start(ChainConfig { max_states: 2 }).await;
    let dave = dev(3);
    node.block().await; // 1: deposits only
    node.send(&sign(&dave, transfer(0, STRANGER, 1)))
        .await
        .unwrap();
    node.block().await; // 2: a transfer tipping 1 gwei
    node.block().await; // 3: L1-info only
    let p = &node.provider;
    let history = p
        .get_fee_history(3, BlockNumberOrTag::Latest, &[0.0, 100.0])
        .await
        .unwrap();
    assert_eq!(history.oldest_block, 1);
    let mut headers = Vec::new();
    for n in 1..=3 {
        let b = p
            .get_block_by_number(BlockNumberOrTag::Number(n))
            .await
            .unwrap()
            .unwrap();
        headers.push(b.header);
    }
    let base_fees: Vec<u128> = headers
        .iter()
        .map(|h| u128::from(h.base_fee_per_gas.unwrap()))
        .collect();
    assert_eq!(history.base_fee_per_gas[..3], base_fees[..]);
    let ratios: Vec<f64> = headers
        .iter()
        .map(|h| h.gas_used as f64 / h.gas_limit as f64)
        .collect();
    assert_eq!(history.gas_used_ratio, ratios);
    assert_eq!(
        history.reward.as_deref().unwrap(),
        &[vec![0, 0], vec![0, GWEI], vec![0, 0]][..]
    );
    assert_eq!(history.base_fee_per_blob_gas, vec![1; 4]);
    // The last base fee is the next block's.
    node.block().await;
    let p = &node.provider;
    let four = p
        .get_block_by_number(BlockNumberOrTag::Number(4))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        history.base_fee_per_gas[3],
        u128::from(four.header.base_fee_per_gas.unwrap())
    );
    // Fee suggestions: blocks have room, so the minimum tip.
    assert_eq!(p.get_max_priority_fee_per_gas().await.unwrap(), 1_000_000);
    assert_eq!(
        p.get_gas_price().await.unwrap(),
        u128::from(four.header.base_fee_per_gas.unwrap()) + 1_000_000
    );
    let bad = node
        .raw("eth_feeHistory", json!(["0x2", "latest", [50.0, 10.0]]))
        .await
        .unwrap_err();
    assert_eq!(bad.0, -32602);

    // Tags: safe and finalized are genesis (the test's forkchoice keeps them there);
    // EIP-1898 by hash; earliest.
    let safe = p
        .get_block_by_number(BlockNumberOrTag::Safe)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(safe.header.number, 0);
    let fin = p
        .get_block_by_number(BlockNumberOrTag::Finalized)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(fin.header.hash, safe.header.hash);
    let balance_at_four = p
        .get_balance(STRANGER)
        .block_id(BlockId::hash(four.header.hash))
        .await
        .unwrap();
    assert_eq!(balance_at_four, U256::from(1));
    assert_eq!(
        p.get_balance(STRANGER)
            .block_id(BlockId::earliest())
            .await
            .unwrap(),
        U256::ZERO
    );
    assert!(
        p.get_block_by_number(BlockNumberOrTag::Number(99))
            .await
            .unwrap()
            .is_none()
    );
    // Unknown block: header not found; a pruned state: missing trie node.
    let err = node
        .raw("eth_getBalance", json!([STRANGER, "0x63"]))
        .await
        .unwrap_err();
    assert_eq!(err, (-32000, "header not found".to_string()));
    let two = node
        .engine_server
        .with_chain(|c| c.block_by_number(2).unwrap().header.hash());
    let err = node
        .raw("eth_getBalance", json!([STRANGER, "0x2"]))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        (
            -32000,
            format!("missing trie node: state of block 2 ({two}) is not available")
        )
    );
    let err = node
        .raw("eth_call", json!([{"to": STRANGER}, {"blockHash": two}]))
        .await
        .unwrap_err();
    assert_eq!(err.0, -32000);
    node.stop().await;
}
