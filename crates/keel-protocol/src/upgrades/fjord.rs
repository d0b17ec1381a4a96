//! Fjord's upgrade transactions.
//!
//! Spec: protocol/fjord/derivation.md#network-upgrade-automation-transactions

use std::sync::OnceLock;

use alloy_primitives::{Address, Bytes, TxKind, address};
use op_alloy_consensus::TxDeposit;

use super::{GAS_PRICE_ORACLE_PROXY, bytecode, proxy_update, upgrade_deposit};
use crate::l1_info::L1_INFO_DEPOSITOR;

/// Deployer of the Fjord `GasPriceOracle`.
pub const GAS_PRICE_ORACLE_DEPLOYER: Address =
    address!("0x4210000000000000000000000000000000000002");

/// `setFjord()` selector.
const SET_FJORD: [u8; 4] = [0x8e, 0x98, 0xb1, 0x06];

static GAS_PRICE_ORACLE_CODE: OnceLock<Bytes> = OnceLock::new();

/// The three Fjord upgrade transactions in spec order: GasPriceOracle deployment, its proxy
/// update, and `setFjord()`.
pub fn transactions() -> Vec<TxDeposit> {
    vec![
        upgrade_deposit(
            "Fjord: Gas Price Oracle Deployment",
            GAS_PRICE_ORACLE_DEPLOYER,
            TxKind::Create,
            1_450_000,
            bytecode(
                &GAS_PRICE_ORACLE_CODE,
                include_str!("bytecode/fjord-gas-price-oracle-deployment.txt"),
            ),
        ),
        proxy_update(
            "Fjord: Gas Price Oracle Proxy Update",
            GAS_PRICE_ORACLE_PROXY,
            GAS_PRICE_ORACLE_DEPLOYER,
        ),
        upgrade_deposit(
            "Fjord: Gas Price Oracle Set Fjord",
            L1_INFO_DEPOSITOR,
            TxKind::Call(GAS_PRICE_ORACLE_PROXY),
            90_000,
            Bytes::from_static(&SET_FJORD),
        ),
    ]
}
