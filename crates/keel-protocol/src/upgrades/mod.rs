//! Network-upgrade transactions: the deposits a fork's activation block carries to deploy
//! and switch to the fork's predeploy code.
//!
//! Spec: protocol/ecotone/derivation.md#network-upgrade-automation-transactions,
//! protocol/fjord/derivation.md, protocol/isthmus/derivation.md,
//! protocol/jovian/derivation.md.
//!
//! Each fork module lists its transactions in the spec's order; the contract creation code
//! is the spec's (`bytecode/`, see its README), embedded at compile time and decoded once.
//! Interop's upgrade transactions are not provided: Interop is not scheduled on any chain
//! and its spec is still moving.
//!
//! - [`ecotone`], [`fjord`], [`isthmus`], [`jovian`]: each fork's transactions.

pub mod ecotone;
pub mod fjord;
pub mod isthmus;
pub mod jovian;

use std::sync::OnceLock;

use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, U256, address, hex};
use op_alloy_consensus::{TxDeposit, UpgradeDepositSource};

use crate::{hardfork::Hardfork, rollup_config::RollupConfig};

/// The `L1Block` predeploy proxy.
///
/// Spec: protocol/predeploys.md#l1block
pub const L1_BLOCK_PROXY: Address = address!("0x4200000000000000000000000000000000000015");

/// The `GasPriceOracle` predeploy proxy.
///
/// Spec: protocol/predeploys.md#gaspriceoracle
pub const GAS_PRICE_ORACLE_PROXY: Address = address!("0x420000000000000000000000000000000000000F");

/// The `OperatorFeeVault` predeploy proxy (Isthmus).
///
/// Spec: protocol/isthmus/predeploys.md
pub const OPERATOR_FEE_VAULT_PROXY: Address =
    address!("0x420000000000000000000000000000000000001B");

/// Gas of every ERC-1967 proxy `upgradeTo` transaction.
///
/// Spec: protocol/ecotone/derivation.md#l1block-proxy-update (and the same in later forks)
pub const PROXY_UPDATE_GAS: u64 = 50_000;

/// `upgradeTo(address)` selector.
const UPGRADE_TO_SELECTOR: [u8; 4] = [0x36, 0x59, 0xcf, 0xe6];

/// The network-upgrade transactions of `fork`'s activation block, in the spec's order.
/// Forks without upgrade transactions (and Interop, not provided) give an empty list.
pub fn upgrade_transactions(fork: Hardfork) -> Vec<TxDeposit> {
    match fork {
        Hardfork::Ecotone => ecotone::transactions(),
        Hardfork::Fjord => fjord::transactions(),
        Hardfork::Isthmus => isthmus::transactions(),
        Hardfork::Jovian => jovian::transactions(),
        _ => Vec::new(),
    }
}

/// The EIP-2718 encoded upgrade transactions of the L2 block at `l2_timestamp`: those of
/// every fork whose activation block it is, oldest fork first (op-node appends them in that
/// order when several forks activate together). They follow the L1-attributes deposit and
/// the user deposits in the block.
///
/// Spec: protocol/ecotone/derivation.md#network-upgrade-automation-transactions and the
/// later forks' "Activation Block Rules".
pub fn upgrade_transactions_for_block(cfg: &RollupConfig, l2_timestamp: u64) -> Vec<Bytes> {
    [
        Hardfork::Ecotone,
        Hardfork::Fjord,
        Hardfork::Isthmus,
        Hardfork::Jovian,
    ]
    .into_iter()
    .filter(|fork| cfg.is_activation_block(*fork, l2_timestamp))
    .flat_map(upgrade_transactions)
    .map(|tx| Bytes::from(tx.encoded_2718()))
    .collect()
}

/// The address a deployer's first contract creation (nonce 0) lands at; every upgrade
/// deployment comes from a fresh account, so this is where the new implementation lives.
pub fn deployed_address(deployer: Address) -> Address {
    deployer.create(0)
}

/// An upgrade deposit: no mint, no value, not a system transaction, source hash from the
/// intent string.
///
/// Spec: protocol/deposits.md#source-hash-computation (upgrade-deposited domain)
fn upgrade_deposit(
    intent: &str,
    from: Address,
    to: TxKind,
    gas_limit: u64,
    input: Bytes,
) -> TxDeposit {
    TxDeposit {
        source_hash: UpgradeDepositSource::new(intent.into()).source_hash(),
        from,
        to,
        mint: 0,
        value: U256::ZERO,
        gas_limit,
        is_system_transaction: false,
        input,
    }
}

/// A proxy `upgradeTo` call pointing `proxy` at the contract `deployer` created.
fn proxy_update(intent: &str, proxy: Address, deployer: Address) -> TxDeposit {
    let mut data = Vec::with_capacity(36);
    data.extend_from_slice(&UPGRADE_TO_SELECTOR);
    data.extend_from_slice(deployed_address(deployer).into_word().as_slice());
    upgrade_deposit(
        intent,
        Address::ZERO,
        TxKind::Call(proxy),
        PROXY_UPDATE_GAS,
        data.into(),
    )
}

/// Decodes embedded hex bytecode once. The files are checked by the tests (exact match with
/// the spec's transactions), so the empty fallback is never used in practice.
fn bytecode(cell: &'static OnceLock<Bytes>, text: &'static str) -> Bytes {
    cell.get_or_init(|| {
        let t = text.trim();
        hex::decode(t.strip_prefix("0x").unwrap_or(t))
            .map(Bytes::from)
            .unwrap_or_default()
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_bytecode_decodes() {
        for fork in [
            Hardfork::Ecotone,
            Hardfork::Fjord,
            Hardfork::Isthmus,
            Hardfork::Jovian,
        ] {
            for tx in upgrade_transactions(fork) {
                assert!(!tx.input.is_empty(), "{fork}: empty input");
            }
        }
        assert!(upgrade_transactions(Hardfork::Interop).is_empty());
    }
}
