//! The whole devnet in process on tokio's paused clock: L1, sequencer, batcher and a
//! verifier that learns the chain only from L1. Minutes of chain run in well under a
//! second, and every run is the same.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

use std::time::Duration;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, TxKind, U256, address};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolCall;
use keel_batcher::DataAvailability;
use keel_devchain::{
    genesis::{DEV_PRIVATE_KEYS, L2_TO_L1_MESSAGE_PASSER, artifacts::IL2ToL1MessagePasser},
    l1::contracts::{DEPOSIT_PORTAL, IDepositPortal},
};
use keel_node::devnet::{Devnet, DevnetConfig, DevnetStatus};

const START_MS: u64 = 1_700_000_000_000;
const RECIPIENT: Address = address!("0x00000000000000000000000000000000000d3905");

/// Runs `devnet` for `secs` simulated seconds; returns the last status.
async fn run_for(devnet: Devnet, secs: u64) -> DevnetStatus {
    let (tx, rx) = tokio::sync::watch::channel(DevnetStatus::default());
    devnet
        .run(tokio::time::sleep(Duration::from_secs(secs)), tx)
        .await;
    rx.borrow().clone()
}

async fn check_same_chain(
    devnet_seq: &keel_devchain::engine_server::InProcessEngine,
    ver: &keel_devchain::engine_server::InProcessEngine,
    upto: u64,
) {
    for n in 0..=upto {
        let a = devnet_seq.with_chain(|c| c.block_by_number(n).map(|b| b.header.hash()));
        let b = ver.with_chain(|c| c.block_by_number(n).map(|b| b.header.hash()));
        assert!(a.is_some(), "sequencer has block {n}");
        assert_eq!(a, b, "block {n}");
    }
}

fn deposit_tx(chain_id: u64, value: u128) -> Vec<u8> {
    deposit_call(chain_id, 0, RECIPIENT, value, Default::default())
}

/// A portal deposit from dev account 3 (its `nonce`-th L1 transaction) to `to` on L2,
/// carrying `value` and calling it with `data`.
fn deposit_call(
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: u128,
    data: alloy_primitives::Bytes,
) -> Vec<u8> {
    let signer = PrivateKeySigner::from_bytes(&DEV_PRIVATE_KEYS[3]).unwrap();
    let call = IDepositPortal::depositTransactionCall {
        _to: to,
        _value: U256::from(value),
        _gasLimit: 200_000,
        _isCreation: false,
        _data: data,
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
    let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718()
}

async fn devnet_with(da: DataAvailability) {
    let cfg = DevnetConfig {
        data_availability: da,
        ..DevnetConfig::default()
    };
    let devnet = Devnet::new(&cfg, START_MS).unwrap();
    // A deposit waiting in the L1 pool from the start: mined in L1 block 1. And a deposit
    // with calldata: it calls the L2ToL1MessagePasser on L2 to start a withdrawal of its
    // value, so a contract's state on L2 changes because of an L1 transaction.
    let withdraw = IL2ToL1MessagePasser::initiateWithdrawalCall {
        _target: RECIPIENT,
        _gasLimit: U256::from(50_000u64),
        _data: vec![0xbe, 0xef].into(),
    }
    .abi_encode();
    for tx in [
        deposit_tx(cfg.l1_chain_id, 3_000_000_000_000_000_000),
        deposit_call(
            cfg.l1_chain_id,
            1,
            L2_TO_L1_MESSAGE_PASSER,
            1_000_000_000_000_000_000,
            withdraw.into(),
        ),
    ] {
        devnet.l1.write().send_raw_transaction(&tx).unwrap();
    }
    let seq = devnet.sequencer_engine.clone();
    let ver = devnet.verifier_engine.clone();
    let status = run_for(devnet, 180).await;

    // The sequencer ran the whole time; the verifier's safe head follows it through L1.
    let unsafe_head = status.sequencer.heads.unsafe_head.number;
    assert!((85..=90).contains(&unsafe_head), "{unsafe_head}");
    let safe = status.verifier.heads.safe.number;
    assert!(
        safe + 20 >= unsafe_head,
        "verifier safe {safe} lags unsafe {unsafe_head}"
    );
    assert!(status.batcher.txs_confirmed >= 5, "{:?}", status.batcher);
    check_same_chain(&seq, &ver, safe).await;
    // The sequencer's own derivation agrees: its safe head is as far as the verifier's.
    assert!(status.sequencer.heads.safe.number + 2 >= safe);
    // The deposit reached L2 on both.
    let want = U256::from(3_000_000_000_000_000_000u128);
    assert_eq!(
        seq.with_chain(|c| c.head_state().unwrap().balance(&RECIPIENT)),
        want
    );
    let ver_hash = status.verifier.heads.safe.hash;
    assert_eq!(
        ver.with_chain(|c| c.state_at(&ver_hash).unwrap().balance(&RECIPIENT)),
        want
    );
    // The calldata deposit ran initiateWithdrawal on both: the passer holds its value and
    // counted one message (msgNonce, slot 1).
    for engine in [&seq, &ver] {
        let (balance, nonce) = engine.with_chain(|c| {
            let state = c.state_at(&ver_hash).unwrap();
            (
                state.balance(&L2_TO_L1_MESSAGE_PASSER),
                state.storage(&L2_TO_L1_MESSAGE_PASSER, U256::from(1u8)),
            )
        });
        assert_eq!(balance, U256::from(1_000_000_000_000_000_000u128));
        assert_eq!(nonce, U256::from(1u8));
    }
    // L1 finality reaches L2.
    assert!(
        status.verifier.heads.finalized.number > 0,
        "{:?}",
        status.verifier.heads
    );
}

#[tokio::test(start_paused = true)]
async fn calldata_devnet_verifier_matches_sequencer_and_sees_deposits() {
    devnet_with(DataAvailability::Calldata).await;
}

#[tokio::test(start_paused = true)]
async fn blob_devnet_verifier_matches_sequencer_and_sees_deposits() {
    devnet_with(DataAvailability::Blobs).await;
}

/// A signed L2 transfer from dev account 5, as a wallet would send it.
fn l2_transfer(chain_id: u64) -> Vec<u8> {
    let signer = PrivateKeySigner::from_bytes(&DEV_PRIVATE_KEYS[5]).unwrap();
    let tx = TxEip1559 {
        chain_id,
        nonce: 0,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000,
        to: TxKind::Call(RECIPIENT),
        value: U256::from(7u64),
        input: Default::default(),
        access_list: Default::default(),
    };
    let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::Eip1559(tx.into_signed(sig)).encoded_2718()
}

/// `keel devnet --hardforks.stagger 6`: Canyon at genesis, then Delta, Ecotone, Fjord,
/// Granite, Holocene, Isthmus and Jovian every 6 s. Each activation block carries its
/// upgrade transactions, the verifier derives the same chain across every fork (singular
/// batches before Delta, span batches after; zlib, then brotli from Fjord), a user
/// transaction before Ecotone pays a sane L1 fee, and the GasPriceOracle ends with every
/// fork flag set.
#[tokio::test(start_paused = true)]
async fn forks_activate_one_by_one_and_the_verifier_follows() {
    use keel_node::devnet::forks::fork_offsets;
    use keel_protocol::hardfork::Hardfork;

    let cfg = DevnetConfig {
        hardforks: fork_offsets(Hardfork::Jovian, 6),
        ..DevnetConfig::default()
    };
    let devnet = Devnet::new(&cfg, START_MS).unwrap();
    let rollup = devnet.rollup.clone();
    let seq = devnet.sequencer_engine.clone();
    let ver = devnet.verifier_engine.clone();
    let sent = seq
        .call(
            "eth_sendRawTransaction",
            serde_json::json!([alloy_primitives::hex::encode_prefixed(l2_transfer(
                cfg.l2_chain_id
            ))]),
        )
        .await
        .unwrap();
    let status = run_for(devnet, 150).await;

    let safe = status.verifier.heads.safe.number;
    let jovian = rollup.hardforks.jovian_time.unwrap();
    let safe_time = rollup.genesis.l2_time + safe * rollup.block_time;
    assert!(
        safe_time > jovian + 10,
        "verifier safe {safe} not past Jovian"
    );
    check_same_chain(&seq, &ver, safe).await;

    // Upgrade transactions in exactly the activation blocks (6 Ecotone, 3 Fjord, 8 Isthmus,
    // 5 Jovian; none for Delta, Granite, Holocene), after the L1-info deposit.
    for (fork, upgrades) in [
        (Hardfork::Delta, 0),
        (Hardfork::Ecotone, 6),
        (Hardfork::Fjord, 3),
        (Hardfork::Granite, 0),
        (Hardfork::Holocene, 0),
        (Hardfork::Isthmus, 8),
        (Hardfork::Jovian, 5),
    ] {
        let t = rollup.hardforks.activation_time(fork).unwrap();
        let n = (t - rollup.genesis.l2_time) / rollup.block_time;
        let deposits = ver.with_chain(|c| {
            c.block_by_number(n)
                .unwrap()
                .transactions
                .iter()
                .filter(|t| matches!(t, op_alloy_consensus::OpTxEnvelope::Deposit(_)))
                .count()
        });
        assert_eq!(deposits, 1 + upgrades, "{fork} activation block {n}");
    }

    // The transfer went into block 1 (Canyon rules) with a small L1 fee.
    let receipt = seq
        .call("eth_getTransactionReceipt", serde_json::json!([sent]))
        .await
        .unwrap();
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    assert_eq!(receipt["blockNumber"], "0x1", "{receipt}");
    let l1_fee = u128::from_str_radix(
        receipt["l1Fee"].as_str().unwrap().trim_start_matches("0x"),
        16,
    )
    .unwrap();
    assert!(
        l1_fee > 0 && l1_fee < 1_000_000_000_000_000,
        "L1 fee {l1_fee} wei"
    );

    // GasPriceOracle slot 0: isEcotone, isFjord, isIsthmus, isJovian all set by the
    // upgrade transactions.
    let gpo = alloy_primitives::address!("0x420000000000000000000000000000000000000F");
    let flags = ver.with_chain(|c| {
        c.state_at(&status.verifier.heads.safe.hash)
            .unwrap()
            .storage(&gpo, U256::ZERO)
    });
    assert_eq!(flags, U256::from(0x0101_0101u64));
}
