//! Isthmus's upgrade transactions.
//!
//! Spec: protocol/isthmus/derivation.md#network-upgrade-automation-transactions

use std::sync::OnceLock;

use alloy_primitives::{Address, Bytes, TxKind, address};
use op_alloy_consensus::TxDeposit;

use super::{
    GAS_PRICE_ORACLE_PROXY, L1_BLOCK_PROXY, OPERATOR_FEE_VAULT_PROXY, bytecode, proxy_update,
    upgrade_deposit,
};
use crate::l1_info::L1_INFO_DEPOSITOR;

/// Deployer of the Isthmus `L1Block`.
pub const L1_BLOCK_DEPLOYER: Address = address!("0x4210000000000000000000000000000000000003");
/// Deployer of the Isthmus `GasPriceOracle`.
pub const GAS_PRICE_ORACLE_DEPLOYER: Address =
    address!("0x4210000000000000000000000000000000000004");
/// Deployer of the `OperatorFeeVault`.
pub const OPERATOR_FEE_VAULT_DEPLOYER: Address =
    address!("0x4210000000000000000000000000000000000005");
/// The keyless EIP-2935 deployer.
pub const BLOCK_HASHES_DEPLOYER: Address = address!("0x3462413Af4609098e1E27A490f554f260213D685");

/// `setIsthmus()` selector.
const SET_ISTHMUS: [u8; 4] = [0x29, 0x1b, 0x03, 0x83];

static L1_BLOCK_CODE: OnceLock<Bytes> = OnceLock::new();
static GAS_PRICE_ORACLE_CODE: OnceLock<Bytes> = OnceLock::new();
static OPERATOR_FEE_VAULT_CODE: OnceLock<Bytes> = OnceLock::new();
static BLOCK_HASHES_CODE: OnceLock<Bytes> = OnceLock::new();

/// The eight Isthmus upgrade transactions in spec order: L1Block, GasPriceOracle and
/// OperatorFeeVault deployments, their three proxy updates, `setIsthmus()`, and the
/// EIP-2935 block hashes contract.
pub fn transactions() -> Vec<TxDeposit> {
    vec![
        upgrade_deposit(
            "Isthmus: L1 Block Deployment",
            L1_BLOCK_DEPLOYER,
            TxKind::Create,
            425_000,
            bytecode(
                &L1_BLOCK_CODE,
                include_str!("bytecode/isthmus-l1-block-deployment.txt"),
            ),
        ),
        upgrade_deposit(
            "Isthmus: Gas Price Oracle Deployment",
            GAS_PRICE_ORACLE_DEPLOYER,
            TxKind::Create,
            1_625_000,
            bytecode(
                &GAS_PRICE_ORACLE_CODE,
                include_str!("bytecode/isthmus-gas-price-oracle-deployment.txt"),
            ),
        ),
        upgrade_deposit(
            "Isthmus: Operator Fee Vault Deployment",
            OPERATOR_FEE_VAULT_DEPLOYER,
            TxKind::Create,
            500_000,
            bytecode(
                &OPERATOR_FEE_VAULT_CODE,
                include_str!("bytecode/isthmus-operator-fee-deployment.txt"),
            ),
        ),
        proxy_update(
            "Isthmus: L1 Block Proxy Update",
            L1_BLOCK_PROXY,
            L1_BLOCK_DEPLOYER,
        ),
        proxy_update(
            "Isthmus: Gas Price Oracle Proxy Update",
            GAS_PRICE_ORACLE_PROXY,
            GAS_PRICE_ORACLE_DEPLOYER,
        ),
        proxy_update(
            "Isthmus: Operator Fee Vault Proxy Update",
            OPERATOR_FEE_VAULT_PROXY,
            OPERATOR_FEE_VAULT_DEPLOYER,
        ),
        upgrade_deposit(
            "Isthmus: Gas Price Oracle Set Isthmus",
            L1_INFO_DEPOSITOR,
            TxKind::Call(GAS_PRICE_ORACLE_PROXY),
            90_000,
            Bytes::from_static(&SET_ISTHMUS),
        ),
        upgrade_deposit(
            "Isthmus: EIP-2935 Contract Deployment",
            BLOCK_HASHES_DEPLOYER,
            TxKind::Create,
            250_000,
            bytecode(
                &BLOCK_HASHES_CODE,
                include_str!("bytecode/isthmus-eip2935-deployment.txt"),
            ),
        ),
    ]
}
