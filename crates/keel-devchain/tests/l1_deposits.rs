#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Deposits through the L1 dev chain's `DepositPortal`, decoded back with keel-protocol's
//! `decode_deposit_log` (op-node's rules) into the deposit transactions derivation would
//! build: plain ETH, calldata, contract creation, `receive()`, and a contract caller whose
//! address is aliased. Refused deposits revert with the portal's errors.

mod l1_support;

use alloy_primitives::{Address, Bytes, TxKind, U256, address, bytes};
use alloy_sol_types::{SolCall, SolError};
use keel_devchain::l1::{
    L1Chain, TxInfo,
    contracts::{
        Artifact, DEPOSIT_CALLER_ARTIFACT, DEPOSIT_PORTAL, IDepositCaller, IDepositPortal,
    },
};
use keel_protocol::deposit::{DEPOSIT_EVENT_TOPIC, decode_deposit_log};
use l1_support::*;
use op_alloy_consensus::{TxDeposit, UserDepositSource};

const L2_TARGET: Address = address!("0x00000000000000000000000000000000000b0b01");

/// Sends `call` to the portal from dev account `from` with `value` and mines it.
fn deposit(chain: &mut L1Chain, from: usize, value: U256, call: Vec<u8>) -> TxInfo {
    let nonce = chain.pending_nonce(&key(from).address());
    let raw = eip1559(
        chain,
        from,
        nonce,
        TxKind::Call(DEPOSIT_PORTAL),
        value,
        call.into(),
        500_000,
    );
    send_and_mine(chain, &raw)
}

/// The single deposit log of `info`, decoded.
fn decoded(info: &TxInfo) -> TxDeposit {
    assert!(info.receipt.status(), "deposit reverted");
    let logs = logs_of(info);
    assert_eq!(logs.len(), 1);
    let (index, log) = &logs[0];
    assert_eq!(log.address, DEPOSIT_PORTAL);
    assert_eq!(log.topics()[0], DEPOSIT_EVENT_TOPIC);
    decode_deposit_log(log, info.block_hash, *index).unwrap()
}

fn expected(info: &TxInfo, log_index: u64, tx: TxDeposit) -> TxDeposit {
    TxDeposit {
        source_hash: UserDepositSource::new(info.block_hash, log_index).source_hash(),
        ..tx
    }
}

#[test]
fn eth_deposit_with_calldata() {
    let mut chain = chain();
    let call = IDepositPortal::depositTransactionCall {
        _to: L2_TARGET,
        _value: U256::from(7u64),
        _gasLimit: 100_000,
        _isCreation: false,
        _data: bytes!("c0ffee"),
    };
    let mint = U256::from(1_000_000_000_000_000_000u128);
    let info = deposit(&mut chain, 3, mint, call.abi_encode());
    let got = decoded(&info);
    assert_eq!(
        got,
        expected(
            &info,
            0,
            TxDeposit {
                source_hash: Default::default(),
                from: key(3).address(),
                to: TxKind::Call(L2_TARGET),
                mint: 1_000_000_000_000_000_000,
                value: U256::from(7u64),
                gas_limit: 100_000,
                is_system_transaction: false,
                input: bytes!("c0ffee"),
            }
        )
    );
    // The ETH stays locked in the portal.
    assert_eq!(chain.head_state().balance(&DEPOSIT_PORTAL), mint);
}

#[test]
fn contract_creation_deposit() {
    let mut chain = chain();
    let init = bytes!("6001600c60003960016000f300");
    let call = IDepositPortal::depositTransactionCall {
        _to: Address::ZERO,
        _value: U256::ZERO,
        _gasLimit: 200_000,
        _isCreation: true,
        _data: init.clone(),
    };
    let info = deposit(&mut chain, 4, U256::ZERO, call.abi_encode());
    let got = decoded(&info);
    assert_eq!(got.to, TxKind::Create);
    assert_eq!(got.input, init);
    assert_eq!(got.mint, 0);
    assert_eq!(got.gas_limit, 200_000);
    assert_eq!(got.from, key(4).address());

    // A creation naming a target is refused with `BadTarget()`.
    let bad = IDepositPortal::depositTransactionCall {
        _to: L2_TARGET,
        _value: U256::ZERO,
        _gasLimit: 200_000,
        _isCreation: true,
        _data: init,
    };
    let req = alloy_rpc_types_eth::TransactionRequest::default()
        .from(key(4).address())
        .to(DEPOSIT_PORTAL)
        .input(Bytes::from(bad.abi_encode()).into());
    let out = chain.call(&req, chain.head().number()).unwrap();
    assert!(!out.success);
    assert_eq!(out.output.as_ref(), IDepositPortal::BadTarget::SELECTOR);
}

#[test]
fn receive_deposits_to_the_sender() {
    let mut chain = chain();
    let value = U256::from(5_000u64);
    let info = deposit(&mut chain, 5, value, Vec::new());
    let got = decoded(&info);
    assert_eq!(got.from, key(5).address());
    assert_eq!(got.to, TxKind::Call(key(5).address()));
    assert_eq!(got.mint, 5_000);
    assert_eq!(got.value, value);
    assert_eq!(got.gas_limit, 100_000);
    assert!(got.input.is_empty());
}

#[test]
fn contract_caller_is_aliased() {
    let mut chain = chain();
    let caller_code = Artifact::parse(DEPOSIT_CALLER_ARTIFACT).unwrap().bytecode;
    let caller = deploy(&mut chain, 6, caller_code);
    let call = IDepositCaller::depositCall {
        _portal: DEPOSIT_PORTAL,
        _to: L2_TARGET,
        _value: U256::from(1u64),
        _gasLimit: 50_000,
        _data: bytes!("01020304"),
    };
    let nonce = chain.pending_nonce(&key(6).address());
    let raw = eip1559(
        &chain,
        6,
        nonce,
        TxKind::Call(caller),
        U256::from(99u64),
        call.abi_encode().into(),
        500_000,
    );
    let info = send_and_mine(&mut chain, &raw);
    let got = decoded(&info);
    // Spec: deposits.md#address-aliasing: + 0x1111000000000000000000000000000000001111,
    // wrapping on uint160.
    let offset =
        U256::from_be_slice(address!("0x1111000000000000000000000000000000001111").as_slice());
    let aliased: U256 =
        (U256::from_be_slice(caller.as_slice()) + offset) % (U256::from(1u8) << 160);
    let aliased = Address::from_slice(&aliased.to_be_bytes::<32>()[12..]);
    assert_eq!(got.from, aliased);
    assert_ne!(got.from, caller);
    assert_eq!(got.mint, 99);
    assert_eq!(got.value, U256::from(1u64));
    assert_eq!(got.gas_limit, 50_000);
    assert_eq!(got.input, bytes!("01020304"));
    assert_eq!(got.to, TxKind::Call(L2_TARGET));
}

#[test]
fn too_small_gas_limit_is_refused() {
    let chain = chain();
    // 4 bytes of calldata need 21000 + 64.
    let call = IDepositPortal::depositTransactionCall {
        _to: L2_TARGET,
        _value: U256::ZERO,
        _gasLimit: 21_063,
        _isCreation: false,
        _data: bytes!("01020304"),
    };
    let req = alloy_rpc_types_eth::TransactionRequest::default()
        .from(key(1).address())
        .to(DEPOSIT_PORTAL)
        .input(Bytes::from(call.abi_encode()).into());
    let out = chain.call(&req, 0).unwrap();
    assert!(!out.success);
    assert_eq!(out.output.as_ref(), IDepositPortal::SmallGasLimit::SELECTOR);
}

#[test]
fn deposits_of_one_block_cannot_buy_more_than_the_resource_limit() {
    let mut chain = chain();
    // Two 15M-gas deposits in one block: the second exceeds the 20M per-block limit.
    let call = IDepositPortal::depositTransactionCall {
        _to: L2_TARGET,
        _value: U256::ZERO,
        _gasLimit: 15_000_000,
        _isCreation: false,
        _data: Bytes::new(),
    }
    .abi_encode();
    let a = eip1559(
        &chain,
        7,
        0,
        TxKind::Call(DEPOSIT_PORTAL),
        U256::ZERO,
        call.clone().into(),
        200_000,
    );
    let b = eip1559(
        &chain,
        8,
        0,
        TxKind::Call(DEPOSIT_PORTAL),
        U256::ZERO,
        call.clone().into(),
        200_000,
    );
    let ha = chain.send_raw_transaction(&a).unwrap();
    let hb = chain.send_raw_transaction(&b).unwrap();
    mine(&mut chain);
    let statuses: Vec<bool> = [ha, hb]
        .iter()
        .map(|h| chain.transaction(h).unwrap().receipt.status())
        .collect();
    assert_eq!(statuses.iter().filter(|s| **s).count(), 1, "{statuses:?}");
    // The next block has a fresh budget.
    let c = eip1559(
        &chain,
        9,
        0,
        TxKind::Call(DEPOSIT_PORTAL),
        U256::ZERO,
        call.into(),
        200_000,
    );
    assert!(send_and_mine(&mut chain, &c).receipt.status());
}
