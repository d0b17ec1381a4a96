#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! The L1 dev chain's `eth_` API over HTTP, read by the clients that use it in a devnet:
//! keel-l1's `L1Client` (head / safe / finalized, blocks checked against their transactions
//! root, receipts from `eth_getBlockReceipts` checked against the receipts root) and alloy's
//! `Provider` with a wallet (nonce, chain id, fees and gas filled from the server), sending a
//! portal deposit, a blob transaction with its sidecar and an EIP-7702 transaction. Blocks
//! are mined by calling `build_block` on the shared chain, as the devnet's driver does.

mod l1_support;

use std::sync::Arc;

use alloy_consensus::{SignableTransaction, TxEip7702, TxEnvelope};
use alloy_eips::{
    BlockNumberOrTag, eip2718::Encodable2718, eip4844::BlobTransactionSidecar,
    eip7594::BlobTransactionSidecarVariant, eip7702::Authorization,
};
use alloy_network::{EthereumWallet, TransactionBuilder, TransactionBuilder4844};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use alloy_signer::SignerSync;
use alloy_sol_types::SolCall;
use keel_devchain::{
    l1::{
        L1Chain,
        beacon::SharedL1Chain,
        builder::blob_base_fee,
        contracts::{DEPOSIT_PORTAL, IDepositPortal},
    },
    l1_rpc,
    rpc::EthServer,
};
use keel_l1::L1Client;
use keel_protocol::deposit::decode_deposit_log;
use l1_support::*;
use parking_lot::RwLock;

const L2_TARGET: Address = address!("0x00000000000000000000000000000000000b0b01");
const BLOB_GAS_PER_BLOB: u64 = 131_072;

async fn start() -> (SharedL1Chain, EthServer) {
    let shared: SharedL1Chain = Arc::new(RwLock::new(chain()));
    let server = l1_rpc::serve(Arc::clone(&shared), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (shared, server)
}

fn mine_shared(shared: &SharedL1Chain) -> u64 {
    let mut c = shared.write();
    let built = mine(&mut c);
    assert!(built.rejected.is_empty(), "rejected: {:?}", built.rejected);
    built.block.number()
}

fn sidecar(data: &[u8]) -> BlobTransactionSidecar {
    BlobTransactionSidecar::try_from_blobs_with_settings(
        vec![blob(data)],
        alloy_eips::eip4844::env_settings::EnvKzgSettings::Default.get(),
    )
    .unwrap()
}

#[tokio::test]
async fn l1_client_reads_labels_blocks_and_receipts() {
    let (shared, server) = start().await;
    // Some traffic so the blocks have transactions and receipts to check.
    for i in 0..10u64 {
        {
            let mut c = shared.write();
            let raw = eip1559(
                &c,
                1,
                i,
                TxKind::Call(L2_TARGET),
                U256::from(1_000 + i),
                Bytes::new(),
                21_000,
            );
            c.send_raw_transaction(&raw).unwrap();
        }
        mine_shared(&shared);
    }
    let client = L1Client::new_http(&server.url(), keel_l1::L1Config::default()).unwrap();
    let (head, safe, finalized) = {
        let c = shared.read();
        (c.head().hash(), c.safe().clone(), c.finalized().clone())
    };
    assert_eq!(client.head().await.unwrap().hash, head);
    assert_eq!(client.head().await.unwrap().number, 10);
    let s = client.safe().await.unwrap();
    assert_eq!((s.number, s.hash), (6, safe.hash()));
    let f = client.finalized().await.unwrap();
    assert_eq!((f.number, f.hash), (2, finalized.hash()));

    for n in [1u64, 5, 10] {
        // Checks the header hash, the transactions root and the receipts root.
        let input = client.block_input_by_number(n).await.unwrap();
        let c = shared.read();
        let block = c.block_by_number(n).unwrap();
        assert_eq!(input.block_ref.hash, block.hash());
        let txs: Vec<TxEnvelope> = block
            .transactions
            .iter()
            .map(|t| t.inner().clone())
            .collect();
        assert_eq!(input.transactions, txs);
        assert_eq!(input.receipts.len(), 1);
        assert_eq!(input.receipts, block.receipts);
    }
    // An unknown block is `null` for eth_getBlockReceipts, as geth answers.
    let provider = ProviderBuilder::new().connect_http(server.url().parse().unwrap());
    let none = provider
        .get_block_receipts(BlockNumberOrTag::Number(99).into())
        .await
        .unwrap();
    assert!(none.is_none());
    server.stop().await;
}

#[tokio::test]
async fn provider_sends_deposit_blob_and_7702_transactions() {
    let (shared, server) = start().await;
    mine_shared(&shared);
    let url: reqwest::Url = server.url().parse().unwrap();
    let wallet = EthereumWallet::from(key(3));
    let provider = ProviderBuilder::new().wallet(wallet).connect_http(url);
    assert_eq!(provider.get_chain_id().await.unwrap(), 900);
    let sender = key(3).address();
    let before = provider.get_balance(sender).await.unwrap();
    let portal_before = provider.get_balance(DEPOSIT_PORTAL).await.unwrap();

    // A portal deposit: nonce, gas (eth_estimateGas) and fees filled by the provider.
    let mint = U256::from(3_000_000_000_000_000_000u128);
    let call = IDepositPortal::depositTransactionCall {
        _to: L2_TARGET,
        _value: U256::from(5u64),
        _gasLimit: 100_000,
        _isCreation: false,
        _data: Bytes::from_static(&[0xc0, 0xff, 0xee]),
    };
    let request = TransactionRequest::default()
        .with_to(DEPOSIT_PORTAL)
        .with_value(mint)
        .with_input(call.abi_encode());
    let deposit_hash = *provider.send_transaction(request).await.unwrap().tx_hash();

    // A blob transaction with its sidecar, sent in network form.
    let sc = sidecar(b"keel blob over the eth_ api");
    let hashes: Vec<B256> = sc.versioned_hashes().collect();
    let blob_request = TransactionRequest::default()
        .with_to(L2_TARGET)
        .with_blob_sidecar(BlobTransactionSidecarVariant::Eip4844(sc))
        .with_max_fee_per_blob_gas(1_000 * GWEI);
    let blob_hash = *provider
        .send_transaction(blob_request)
        .await
        .unwrap()
        .tx_hash();
    // Both pending: the pending nonce counts them, and the pool answers by hash.
    assert_eq!(
        provider
            .get_transaction_count(sender)
            .pending()
            .await
            .unwrap(),
        2
    );
    let pending = provider
        .get_transaction_by_hash(blob_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pending.block_number, None);

    let number = mine_shared(&shared);

    // The deposit: receipt, decoded log, balances.
    let receipt = provider
        .get_transaction_receipt(deposit_hash)
        .await
        .unwrap()
        .unwrap();
    assert!(receipt.status());
    assert_eq!(receipt.block_number, Some(number));
    assert_eq!(receipt.blob_gas_used, None);
    let log = &receipt.inner.logs()[0];
    let deposit = decode_deposit_log(&log.inner, receipt.block_hash.unwrap(), 0).unwrap();
    assert_eq!(deposit.mint, mint.to::<u128>());
    assert_eq!(deposit.to, TxKind::Call(L2_TARGET));
    assert_eq!(deposit.value, U256::from(5u64));
    assert_eq!(deposit.from, sender);
    assert_eq!(
        provider.get_balance(DEPOSIT_PORTAL).await.unwrap(),
        portal_before + mint
    );

    // The blob transaction: blob gas at the block's blob fee, hashes in the RPC transaction.
    let blob_receipt = provider
        .get_transaction_receipt(blob_hash)
        .await
        .unwrap()
        .unwrap();
    assert!(blob_receipt.status());
    assert_eq!(blob_receipt.blob_gas_used, Some(BLOB_GAS_PER_BLOB));
    let header_excess = shared
        .read()
        .block_by_number(number)
        .unwrap()
        .header
        .excess_blob_gas
        .unwrap();
    let blob_price = blob_base_fee(header_excess);
    assert_eq!(blob_receipt.blob_gas_price, Some(blob_price));
    let mined = provider
        .get_transaction_by_hash(blob_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mined.block_number, Some(number));
    assert_eq!(
        alloy_consensus::Transaction::blob_versioned_hashes(mined.inner.inner()).unwrap(),
        hashes.as_slice()
    );
    assert_eq!(shared.read().blob_sidecars(number).unwrap().len(), 1);

    // The sender paid value, gas at the effective price, and blob gas at the blob fee.
    let spent = mint
        + U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price)
        + U256::from(blob_receipt.gas_used) * U256::from(blob_receipt.effective_gas_price)
        + U256::from(BLOB_GAS_PER_BLOB) * U256::from(blob_price);
    assert_eq!(provider.get_balance(sender).await.unwrap(), before - spent);

    // eth_getLogs finds the deposit event by address, with its block-wide position.
    let logs = provider
        .get_logs(&Filter::new().address(DEPOSIT_PORTAL).from_block(0))
        .await
        .unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].transaction_hash, Some(deposit_hash));
    assert_eq!(logs[0].block_number, Some(number));
    assert_eq!(logs[0].inner, log.inner);

    // eth_getBlockReceipts and the block's blob fields in eth_feeHistory.
    let all = provider
        .get_block_receipts(BlockNumberOrTag::Number(number).into())
        .await
        .unwrap()
        .unwrap();
    let order: Vec<B256> = all.iter().map(|r| r.transaction_hash).collect();
    let stored: Vec<B256> = shared
        .read()
        .block_by_number(number)
        .unwrap()
        .transactions
        .iter()
        .map(|t| *t.inner().tx_hash())
        .collect();
    assert_eq!(order, stored);
    let history = provider
        .get_fee_history(1, BlockNumberOrTag::Number(number), &[])
        .await
        .unwrap();
    assert_eq!(history.blob_gas_used_ratio, vec![1.0 / 9.0]);
    assert_eq!(history.base_fee_per_blob_gas[0], blob_price);
    let next_blob_fee = shared.read().next_blob_base_fee();
    assert_eq!(history.base_fee_per_blob_gas[1], next_blob_fee);
    assert_eq!(provider.get_blob_base_fee().await.unwrap(), next_blob_fee);

    // EIP-7702: dev account 4 delegates its code to the portal; account 5 sends it.
    let raw = {
        let c = shared.read();
        delegation(&c, 5, 4, DEPOSIT_PORTAL)
    };
    let hash = *provider.send_raw_transaction(&raw).await.unwrap().tx_hash();
    mine_shared(&shared);
    let r = provider
        .get_transaction_receipt(hash)
        .await
        .unwrap()
        .unwrap();
    assert!(r.status());
    let mut designator = vec![0xef, 0x01, 0x00];
    designator.extend_from_slice(DEPOSIT_PORTAL.as_slice());
    assert_eq!(
        provider.get_code_at(key(4).address()).await.unwrap(),
        Bytes::from(designator)
    );
    // A refused transaction answers geth's message.
    let err = provider.send_raw_transaction(&raw).await.unwrap_err();
    assert!(err.to_string().contains("nonce too low"), "{err}");
    server.stop().await;
}

/// A type-4 transaction from dev account `from` carrying `authority`'s signed delegation to
/// `to`.
fn delegation(chain: &L1Chain, from: usize, authority: usize, to: Address) -> Vec<u8> {
    let auth = Authorization {
        chain_id: U256::from(chain.chain_id()),
        address: to,
        nonce: chain.head_state().nonce(&key(authority).address()),
    };
    let sig = key(authority)
        .sign_hash_sync(&auth.signature_hash())
        .unwrap();
    let tx = TxEip7702 {
        chain_id: chain.chain_id(),
        nonce: chain.pending_nonce(&key(from).address()),
        gas_limit: 100_000,
        max_fee_per_gas: 20 * GWEI,
        max_priority_fee_per_gas: GWEI,
        to: L2_TARGET,
        value: U256::ZERO,
        access_list: Default::default(),
        authorization_list: vec![auth.into_signed(sig)],
        input: Bytes::new(),
    };
    let sig = key(from).sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718()
}
