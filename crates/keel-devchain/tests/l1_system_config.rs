#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Each `SystemConfig` setter on the L1 dev chain emits a `ConfigUpdate` that keel-protocol's
//! parser (op-node's checks) reads back as the intended update, and that applies to the
//! system config as expected. Non-owners are refused.

mod l1_support;

use alloy_primitives::{Address, B64, B256, Bytes, TxKind, U256, address, b256};
use alloy_sol_types::{SolCall, SolError};
use keel_devchain::l1::{
    L1Chain,
    contracts::{ISystemConfig, SYSTEM_CONFIG},
};
use keel_protocol::{
    config_update::{CONFIG_UPDATE_TOPIC, SystemConfigUpdate, parse_config_update},
    system_config::SystemConfig,
};
use l1_support::*;

/// Calls the system config as its owner (dev account 0), mines, and parses the one
/// `ConfigUpdate` log.
fn update(chain: &mut L1Chain, call: Vec<u8>) -> SystemConfigUpdate {
    let nonce = chain.pending_nonce(&key(0).address());
    let raw = eip1559(
        chain,
        0,
        nonce,
        TxKind::Call(SYSTEM_CONFIG),
        U256::ZERO,
        call.into(),
        200_000,
    );
    let info = send_and_mine(chain, &raw);
    assert!(info.receipt.status(), "setter reverted");
    let logs = logs_of(&info);
    assert_eq!(logs.len(), 1);
    let log = &logs[0].1;
    assert_eq!(log.address, SYSTEM_CONFIG);
    assert_eq!(log.topics()[0], CONFIG_UPDATE_TOPIC);
    parse_config_update(log.topics(), &log.data.data).unwrap()
}

#[test]
fn every_setter_parses_to_its_update() {
    let mut chain = chain();
    let batcher = address!("0xba7c0000000000000000000000000000000000ba");
    let signer = address!("0x5195e20000000000000000000000000000000001");

    let u = update(
        &mut chain,
        ISystemConfig::setBatcherHashCall { _batcher: batcher }.abi_encode(),
    );
    assert_eq!(u, SystemConfigUpdate::Batcher(batcher));

    let u = update(
        &mut chain,
        ISystemConfig::setGasConfigEcotoneCall {
            _basefeeScalar: 0x0102_0304,
            _blobbasefeeScalar: 0x0a0b_0c0d,
        }
        .abi_encode(),
    );
    // Spec: system-config.md#scalars: version byte 1, then the blob base fee scalar at
    // bytes 24..28 and the base fee scalar at 28..32.
    assert_eq!(
        u,
        SystemConfigUpdate::FeeScalars {
            overhead: B256::ZERO,
            scalar: b256!("0x0100000000000000000000000000000000000000000000000a0b0c0d01020304"),
        }
    );

    let u = update(
        &mut chain,
        ISystemConfig::setGasLimitCall {
            _gasLimit: 60_000_000,
        }
        .abi_encode(),
    );
    assert_eq!(u, SystemConfigUpdate::GasLimit(60_000_000));

    let u = update(
        &mut chain,
        ISystemConfig::setUnsafeBlockSignerCall {
            _unsafeBlockSigner: signer,
        }
        .abi_encode(),
    );
    assert_eq!(u, SystemConfigUpdate::UnsafeBlockSigner(Some(signer)));

    let u = update(
        &mut chain,
        ISystemConfig::setEIP1559ParamsCall {
            _denominator: 250,
            _elasticity: 6,
        }
        .abi_encode(),
    );
    // Holocene: denominator then elasticity, big-endian u32 each, in the low 8 bytes.
    assert_eq!(
        u,
        SystemConfigUpdate::Eip1559Params(B64::from([0, 0, 0, 250, 0, 0, 0, 6]))
    );

    let u = update(
        &mut chain,
        ISystemConfig::setOperatorFeeScalarsCall {
            _operatorFeeScalar: 1_000,
            _operatorFeeConstant: 7,
        }
        .abi_encode(),
    );
    let mut word = [0u8; 32];
    word[20..24].copy_from_slice(&1_000u32.to_be_bytes());
    word[24..32].copy_from_slice(&7u64.to_be_bytes());
    assert_eq!(u, SystemConfigUpdate::OperatorFeeParams(B256::from(word)));

    let u = update(
        &mut chain,
        ISystemConfig::setMinBaseFeeCall {
            _minBaseFee: 1_000_000,
        }
        .abi_encode(),
    );
    assert_eq!(u, SystemConfigUpdate::MinBaseFee(1_000_000));

    let u = update(
        &mut chain,
        ISystemConfig::setDAFootprintGasScalarCall {
            _daFootprintGasScalar: 400,
        }
        .abi_encode(),
    );
    assert_eq!(u, SystemConfigUpdate::DaFootprintGasScalar(400));
}

#[test]
fn updates_apply_to_the_system_config_as_op_node_does() {
    let mut chain = chain();
    let mut cfg = SystemConfig::default();
    for call in [
        ISystemConfig::setGasConfigEcotoneCall {
            _basefeeScalar: 1_368,
            _blobbasefeeScalar: 810_949,
        }
        .abi_encode(),
        ISystemConfig::setEIP1559ParamsCall {
            _denominator: 50,
            _elasticity: 2,
        }
        .abi_encode(),
        ISystemConfig::setOperatorFeeScalarsCall {
            _operatorFeeScalar: 9,
            _operatorFeeConstant: 11,
        }
        .abi_encode(),
    ] {
        update(&mut chain, call).apply(&mut cfg, true);
    }
    let scalars = cfg.ecotone_scalars().unwrap();
    assert_eq!(scalars.base_fee_scalar, 1_368);
    assert_eq!(scalars.blob_base_fee_scalar, 810_949);
    assert_eq!(cfg.eip1559_denominator(), 50);
    assert_eq!(cfg.eip1559_elasticity(), 2);
    assert_eq!(cfg.operator_fee_scalar(), 9);
    assert_eq!(cfg.operator_fee_constant(), 11);
}

#[test]
fn non_owner_and_bad_values_are_refused() {
    let mut chain = chain();
    let call = |from: Address, data: Vec<u8>| {
        alloy_rpc_types_eth::TransactionRequest::default()
            .from(from)
            .to(SYSTEM_CONFIG)
            .input(Bytes::from(data).into())
    };
    let set_gas = ISystemConfig::setGasLimitCall {
        _gasLimit: 40_000_000,
    }
    .abi_encode();
    let out = chain
        .call(&call(key(1).address(), set_gas.clone()), 0)
        .unwrap();
    assert!(!out.success);
    assert_eq!(out.output.as_ref(), ISystemConfig::NotOwner::SELECTOR);
    // Below the 21M floor.
    let low = ISystemConfig::setGasLimitCall { _gasLimit: 1_000 }.abi_encode();
    let out = chain.call(&call(key(0).address(), low), 0).unwrap();
    assert_eq!(
        out.output.as_ref(),
        ISystemConfig::InvalidParameter::SELECTOR
    );
    // A zero EIP-1559 denominator.
    let zero = ISystemConfig::setEIP1559ParamsCall {
        _denominator: 0,
        _elasticity: 6,
    }
    .abi_encode();
    let out = chain.call(&call(key(0).address(), zero), 0).unwrap();
    assert_eq!(
        out.output.as_ref(),
        ISystemConfig::InvalidParameter::SELECTOR
    );

    // A non-owner's transaction is mined but reverts, with no log.
    let raw = eip1559(
        &chain,
        1,
        0,
        TxKind::Call(SYSTEM_CONFIG),
        U256::ZERO,
        set_gas.into(),
        200_000,
    );
    let info = send_and_mine(&mut chain, &raw);
    assert!(!info.receipt.status());
    assert!(info.receipt.logs().is_empty());
}
