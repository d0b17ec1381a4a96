//! Ecotone's upgrade transactions.
//!
//! Spec: protocol/ecotone/derivation.md#network-upgrade-automation-transactions

use std::sync::OnceLock;

use alloy_primitives::{Address, Bytes, TxKind, address};
use op_alloy_consensus::TxDeposit;

use super::{GAS_PRICE_ORACLE_PROXY, L1_BLOCK_PROXY, bytecode, proxy_update, upgrade_deposit};
use crate::l1_info::L1_INFO_DEPOSITOR;

/// Deployer of the Ecotone `L1Block`.
pub const L1_BLOCK_DEPLOYER: Address = address!("0x4210000000000000000000000000000000000000");
/// Deployer of the Ecotone `GasPriceOracle`.
pub const GAS_PRICE_ORACLE_DEPLOYER: Address =
    address!("0x4210000000000000000000000000000000000001");
/// The keyless EIP-4788 deployer.
pub const BEACON_ROOTS_DEPLOYER: Address = address!("0x0B799C86a49DEeb90402691F1041aa3AF2d3C875");

/// `setEcotone()` selector.
const SET_ECOTONE: [u8; 4] = [0x22, 0xb9, 0x0a, 0xb3];

static L1_BLOCK_CODE: OnceLock<Bytes> = OnceLock::new();
static GAS_PRICE_ORACLE_CODE: OnceLock<Bytes> = OnceLock::new();
static BEACON_ROOTS_CODE: OnceLock<Bytes> = OnceLock::new();

/// The six Ecotone upgrade transactions in spec order: L1Block and GasPriceOracle
/// deployments, their proxy updates, `setEcotone()`, and the EIP-4788 beacon roots contract.
pub fn transactions() -> Vec<TxDeposit> {
    vec![
        upgrade_deposit(
            "Ecotone: L1 Block Deployment",
            L1_BLOCK_DEPLOYER,
            TxKind::Create,
            375_000,
            bytecode(
                &L1_BLOCK_CODE,
                include_str!("bytecode/ecotone-l1-block-deployment.txt"),
            ),
        ),
        upgrade_deposit(
            "Ecotone: Gas Price Oracle Deployment",
            GAS_PRICE_ORACLE_DEPLOYER,
            TxKind::Create,
            1_000_000,
            bytecode(
                &GAS_PRICE_ORACLE_CODE,
                include_str!("bytecode/ecotone-gas-price-oracle-deployment.txt"),
            ),
        ),
        proxy_update(
            "Ecotone: L1 Block Proxy Update",
            L1_BLOCK_PROXY,
            L1_BLOCK_DEPLOYER,
        ),
        proxy_update(
            "Ecotone: Gas Price Oracle Proxy Update",
            GAS_PRICE_ORACLE_PROXY,
            GAS_PRICE_ORACLE_DEPLOYER,
        ),
        upgrade_deposit(
            "Ecotone: Gas Price Oracle Set Ecotone",
            L1_INFO_DEPOSITOR,
            TxKind::Call(GAS_PRICE_ORACLE_PROXY),
            80_000,
            Bytes::from_static(&SET_ECOTONE),
        ),
        upgrade_deposit(
            "Ecotone: beacon block roots contract deployment",
            BEACON_ROOTS_DEPLOYER,
            TxKind::Create,
            250_000,
            bytecode(
                &BEACON_ROOTS_CODE,
                include_str!("bytecode/ecotone-eip4788-deployment.txt"),
            ),
        ),
    ]
}
