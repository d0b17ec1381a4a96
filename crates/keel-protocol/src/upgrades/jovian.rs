//! Jovian's upgrade transactions.
//!
//! Spec: protocol/jovian/derivation.md#network-upgrade-transactions

use std::sync::OnceLock;

use alloy_primitives::{Address, Bytes, TxKind, address};
use op_alloy_consensus::TxDeposit;

use super::{GAS_PRICE_ORACLE_PROXY, L1_BLOCK_PROXY, bytecode, proxy_update, upgrade_deposit};
use crate::l1_info::L1_INFO_DEPOSITOR;

/// Deployer of the Jovian `L1Block`.
pub const L1_BLOCK_DEPLOYER: Address = address!("0x4210000000000000000000000000000000000006");
/// Deployer of the Jovian `GasPriceOracle`.
pub const GAS_PRICE_ORACLE_DEPLOYER: Address =
    address!("0x4210000000000000000000000000000000000007");

/// `setJovian()` selector.
const SET_JOVIAN: [u8; 4] = [0xb3, 0xd7, 0x20, 0x79];

static L1_BLOCK_CODE: OnceLock<Bytes> = OnceLock::new();
static GAS_PRICE_ORACLE_CODE: OnceLock<Bytes> = OnceLock::new();

/// The five Jovian upgrade transactions in spec order: L1Block deployment and proxy update,
/// GasPriceOracle deployment and proxy update, `setJovian()`.
pub fn transactions() -> Vec<TxDeposit> {
    vec![
        upgrade_deposit(
            "Jovian: L1Block Deployment",
            L1_BLOCK_DEPLOYER,
            TxKind::Create,
            447_315,
            bytecode(
                &L1_BLOCK_CODE,
                include_str!("bytecode/jovian-l1-block-deployment.txt"),
            ),
        ),
        proxy_update(
            "Jovian: L1Block Proxy Update",
            L1_BLOCK_PROXY,
            L1_BLOCK_DEPLOYER,
        ),
        upgrade_deposit(
            "Jovian: GasPriceOracle Deployment",
            GAS_PRICE_ORACLE_DEPLOYER,
            TxKind::Create,
            1_750_714,
            bytecode(
                &GAS_PRICE_ORACLE_CODE,
                include_str!("bytecode/jovian-gas-price-oracle-deployment.txt"),
            ),
        ),
        proxy_update(
            "Jovian: GasPriceOracle Proxy Update",
            GAS_PRICE_ORACLE_PROXY,
            GAS_PRICE_ORACLE_DEPLOYER,
        ),
        upgrade_deposit(
            "Jovian: Gas Price Oracle Set Jovian",
            L1_INFO_DEPOSITOR,
            TxKind::Call(GAS_PRICE_ORACLE_PROXY),
            90_000,
            Bytes::from_static(&SET_JOVIAN),
        ),
    ]
}
