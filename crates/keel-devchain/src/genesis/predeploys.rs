//! Placing the predeploys in the genesis state: a [`Proxy`](super::artifacts::PROXY_ARTIFACT)
//! at each proxied predeploy, the implementation at its code-namespace address, the
//! system contracts of the genesis forks, and the `GasPriceOracle`'s fork flags.
//!
//! Every contract is created by running its creation code in the EVM on a scratch copy of
//! the state, then moved (code, constructor-written storage, nonce) to its genesis address:
//! the spec deployment bytecodes (`keel_protocol::upgrades`, the bytes the network-upgrade
//! transactions carry) for `L1Block`, `GasPriceOracle`, `OperatorFeeVault` and the EIP-4788
//! / EIP-2935 contracts, and Keel's own contracts for the message passer and fee vaults, so
//! immutables (the vaults' recipient and minimum) are baked into the runtime code as a real
//! deployment bakes them.

use std::collections::BTreeMap;

use alloy_consensus::Sealed;
use alloy_evm::{Evm, EvmEnv, EvmFactory};
use alloy_op_evm::OpEvmFactory;
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, address};
use alloy_sol_types::SolValue;
use keel_protocol::{
    hardfork::{Hardfork, HardforkTimes},
    l1_info::L1_INFO_DEPOSITOR,
    upgrades,
};
use op_alloy_consensus::{OpTxEnvelope, TxDeposit};
use op_revm::OpSpecId;
use revm::{
    DatabaseCommit,
    context::{BlockEnv, CfgEnv},
};

use super::{
    BASE_FEE_VAULT, BEACON_ROOTS, BLOCK_HASHES, DevGenesisConfig, GAS_PRICE_ORACLE, GenesisError,
    L1_BLOCK, L1_FEE_VAULT, L2_TO_L1_MESSAGE_PASSER, OPERATOR_FEE_VAULT, PROXY_ADMIN,
    SEQUENCER_FEE_VAULT,
    artifacts::{
        ADMIN_SLOT, FEE_VAULT_ARTIFACT, IMPLEMENTATION_SLOT, L2_TO_L1_MESSAGE_PASSER_ARTIFACT,
        PROXY_ARTIFACT,
    },
};
use crate::{
    l1::contracts::Artifact,
    state::{MemAccount, MemState},
};

/// Gas limit of the genesis-time EVM runs (deployments and fork-flag calls).
const GENESIS_EVM_GAS: u64 = 30_000_000;

/// Base of the code namespace: a predeploy's implementation lives at this address with the
/// predeploy's last two bytes (OP's `Predeploys.predeployToCodeNamespace`, which OP's L2
/// genesis uses; the specs name no implementation address).
const CODE_NAMESPACE: Address = address!("0xc0D3C0d3C0d3C0D3c0d3C0d3c0D3C0d3c0d30000");

/// The proxied predeploys of the dev genesis.
///
/// Spec: protocol/predeploys.md ("Proxy" column), protocol/isthmus/predeploys.md.
pub const PROXIED_PREDEPLOYS: [Address; 7] = [
    GAS_PRICE_ORACLE,
    SEQUENCER_FEE_VAULT,
    L1_BLOCK,
    L2_TO_L1_MESSAGE_PASSER,
    BASE_FEE_VAULT,
    L1_FEE_VAULT,
    OPERATOR_FEE_VAULT,
];

/// `setEcotone()`, `setFjord()`, `setIsthmus()`, `setJovian()` of the `GasPriceOracle`,
/// each with the fork that introduces it; called by the depositor in this order for the
/// forks active at genesis, as the activation blocks' upgrade transactions would have.
///
/// Spec: protocol/ecotone/derivation.md, protocol/fjord/derivation.md,
/// protocol/isthmus/derivation.md, protocol/jovian/derivation.md (the "Set <Fork>" deposits).
const GPO_FORK_SETTERS: [(Hardfork, &str, [u8; 4]); 4] = [
    (Hardfork::Ecotone, "setEcotone", [0x22, 0xb9, 0x0a, 0xb3]),
    (Hardfork::Fjord, "setFjord", [0x8e, 0x98, 0xb1, 0x06]),
    (Hardfork::Isthmus, "setIsthmus", [0x29, 0x1b, 0x03, 0x83]),
    (Hardfork::Jovian, "setJovian", [0xb3, 0xd7, 0x20, 0x79]),
];

/// The implementation address of predeploy `predeploy`: the code namespace with its last
/// two bytes.
pub fn code_namespace_address(predeploy: Address) -> Address {
    let [.., hi, lo] = predeploy.into_array();
    let mut out = CODE_NAMESPACE.into_array();
    let [.., out_hi, out_lo] = &mut out;
    *out_hi = hi;
    *out_lo = lo;
    Address::from(out)
}

/// Places every predeploy of a genesis at `config.timestamp` under `config.hardforks`.
pub(super) fn place_predeploys(
    state: &mut MemState,
    config: &DevGenesisConfig,
) -> Result<(), GenesisError> {
    let forks = &config.hardforks;
    let at = |fork| forks.is_active(fork, config.timestamp);
    let chain_id = config.chain_id;

    // Implementations: the newest spec code of a fork active at genesis. Before Ecotone the
    // Ecotone code stands in (it keeps Bedrock's `setL1BlockValues` and, with no fork flag
    // set, the `GasPriceOracle`'s Bedrock fee formula).
    let l1_block = l1_block_code(forks, config.timestamp);
    let oracle = gas_price_oracle_code(forks, config.timestamp);
    let mut implementations: Vec<(&'static str, Address, Bytes)> = vec![
        (l1_block.0, L1_BLOCK, l1_block.1),
        (oracle.0, GAS_PRICE_ORACLE, oracle.1),
        (
            "L2ToL1MessagePasser",
            L2_TO_L1_MESSAGE_PASSER,
            artifact("L2ToL1MessagePasser", L2_TO_L1_MESSAGE_PASSER_ARTIFACT)?.bytecode,
        ),
    ];
    let vault_init = fee_vault_init_code(config)?;
    for vault in [SEQUENCER_FEE_VAULT, BASE_FEE_VAULT, L1_FEE_VAULT] {
        implementations.push(("FeeVault", vault, vault_init.clone()));
    }
    if at(Hardfork::Isthmus) {
        implementations.push((
            "OperatorFeeVault (Isthmus)",
            OPERATOR_FEE_VAULT,
            spec_code(
                upgrades::isthmus::transactions(),
                upgrades::isthmus::OPERATOR_FEE_VAULT_DEPLOYER,
            ),
        ));
    }

    let proxy_code = artifact("Proxy", PROXY_ARTIFACT)?.deployed_bytecode;
    for predeploy in PROXIED_PREDEPLOYS {
        let mut storage = BTreeMap::new();
        storage.insert(ADMIN_SLOT, address_word(PROXY_ADMIN));
        let implemented = implementations.iter().any(|(_, p, _)| *p == predeploy);
        // A predeploy whose fork is not active yet (the OperatorFeeVault before Isthmus)
        // keeps its proxy with no implementation; its upgrade transaction sets one.
        if implemented {
            storage.insert(
                IMPLEMENTATION_SLOT,
                address_word(code_namespace_address(predeploy)),
            );
        }
        let mut proxy = MemAccount::with_code(proxy_code.clone(), storage);
        // As if created by a constructor (EIP-161), like every other genesis contract.
        proxy.nonce = 1;
        state.insert_account(predeploy, proxy);
    }
    for (what, predeploy, init) in implementations {
        let account = create(state, chain_id, what, L1_INFO_DEPOSITOR, init)?;
        state.insert_account(code_namespace_address(predeploy), account);
    }

    // System contracts at their own addresses (no proxy), from their keyless deployers.
    if at(Hardfork::Ecotone) {
        let deployer = upgrades::ecotone::BEACON_ROOTS_DEPLOYER;
        let code = spec_code(upgrades::ecotone::transactions(), deployer);
        let account = create(state, chain_id, "EIP-4788 beacon roots", deployer, code)?;
        state.insert_account(BEACON_ROOTS, account);
    }
    if at(Hardfork::Isthmus) {
        let deployer = upgrades::isthmus::BLOCK_HASHES_DEPLOYER;
        let code = spec_code(upgrades::isthmus::transactions(), deployer);
        let account = create(state, chain_id, "EIP-2935 block hashes", deployer, code)?;
        state.insert_account(BLOCK_HASHES, account);
    }
    set_gas_price_oracle_forks(state, config)
}

/// The `L1Block` creation code for a genesis at `timestamp`: Jovian's, Isthmus', or
/// Ecotone's (Fjord, Granite and Holocene did not change `L1Block`).
fn l1_block_code(forks: &HardforkTimes, timestamp: u64) -> (&'static str, Bytes) {
    if forks.is_active(Hardfork::Jovian, timestamp) {
        let d = upgrades::jovian::L1_BLOCK_DEPLOYER;
        (
            "L1Block (Jovian)",
            spec_code(upgrades::jovian::transactions(), d),
        )
    } else if forks.is_active(Hardfork::Isthmus, timestamp) {
        let d = upgrades::isthmus::L1_BLOCK_DEPLOYER;
        (
            "L1Block (Isthmus)",
            spec_code(upgrades::isthmus::transactions(), d),
        )
    } else {
        let d = upgrades::ecotone::L1_BLOCK_DEPLOYER;
        (
            "L1Block (Ecotone)",
            spec_code(upgrades::ecotone::transactions(), d),
        )
    }
}

/// The `GasPriceOracle` creation code for a genesis at `timestamp`: Jovian's, Isthmus',
/// Fjord's or Ecotone's (Granite and Holocene did not change it).
fn gas_price_oracle_code(forks: &HardforkTimes, timestamp: u64) -> (&'static str, Bytes) {
    if forks.is_active(Hardfork::Jovian, timestamp) {
        let d = upgrades::jovian::GAS_PRICE_ORACLE_DEPLOYER;
        (
            "GasPriceOracle (Jovian)",
            spec_code(upgrades::jovian::transactions(), d),
        )
    } else if forks.is_active(Hardfork::Isthmus, timestamp) {
        let d = upgrades::isthmus::GAS_PRICE_ORACLE_DEPLOYER;
        (
            "GasPriceOracle (Isthmus)",
            spec_code(upgrades::isthmus::transactions(), d),
        )
    } else if forks.is_active(Hardfork::Fjord, timestamp) {
        let d = upgrades::fjord::GAS_PRICE_ORACLE_DEPLOYER;
        (
            "GasPriceOracle (Fjord)",
            spec_code(upgrades::fjord::transactions(), d),
        )
    } else {
        let d = upgrades::ecotone::GAS_PRICE_ORACLE_DEPLOYER;
        (
            "GasPriceOracle (Ecotone)",
            spec_code(upgrades::ecotone::transactions(), d),
        )
    }
}

/// The creation code the fork's upgrade transactions deploy from `deployer`.
fn spec_code(txs: Vec<TxDeposit>, deployer: Address) -> Bytes {
    txs.into_iter()
        .find(|tx| tx.from == deployer && tx.to == TxKind::Create)
        .map(|tx| tx.input)
        .unwrap_or_default()
}

/// The `FeeVault` creation code with its constructor arguments (recipient, minimum).
fn fee_vault_init_code(config: &DevGenesisConfig) -> Result<Bytes, GenesisError> {
    let mut init = artifact("FeeVault", FEE_VAULT_ARTIFACT)?.bytecode.to_vec();
    init.extend_from_slice(
        &(config.fee_vault_recipient, config.fee_vault_min_withdrawal).abi_encode_params(),
    );
    Ok(init.into())
}

fn artifact(name: &'static str, json: &str) -> Result<Artifact, GenesisError> {
    Artifact::parse(json).map_err(|e| GenesisError::Artifact {
        name,
        reason: e.to_string(),
    })
}

fn address_word(a: Address) -> U256 {
    U256::from_be_bytes(a.into_word().0)
}

/// Runs `init` as a creation from `deployer` on a scratch copy of `state` (so the deployer's
/// nonce and the temporary address never reach the genesis) and returns the created account.
fn create(
    state: &MemState,
    chain_id: u64,
    what: &'static str,
    deployer: Address,
    init: Bytes,
) -> Result<MemAccount, GenesisError> {
    if init.is_empty() {
        // `spec_code` found no such deployment: creating from empty code would "succeed"
        // with an empty account.
        return Err(GenesisError::Deployment {
            what,
            reason: "no creation code".into(),
        });
    }
    let mut scratch = state.clone();
    let created = run(
        &mut scratch,
        chain_id,
        deposit(deployer, TxKind::Create, init),
    )
    .map_err(|reason| GenesisError::Deployment { what, reason })?
    .ok_or_else(|| GenesisError::Deployment {
        what,
        reason: "no contract created".into(),
    })?;
    let account = scratch
        .account(&created)
        .ok_or_else(|| GenesisError::Deployment {
            what,
            reason: format!("created account {created} missing"),
        })?;
    // The nonce stays as the creation left it (1 under EIP-161).
    let mut placed = MemAccount::with_code(account.code.clone(), account.storage.clone());
    placed.nonce = account.nonce;
    Ok(placed)
}

/// Sets the `GasPriceOracle` flags of the forks active at genesis by running the setters
/// through the proxy as the depositor, keeping only the proxy's resulting storage.
fn set_gas_price_oracle_forks(
    state: &mut MemState,
    config: &DevGenesisConfig,
) -> Result<(), GenesisError> {
    let mut scratch = state.clone();
    for (fork, call, selector) in GPO_FORK_SETTERS {
        if !config.hardforks.is_active(fork, config.timestamp) {
            continue;
        }
        let tx = deposit(
            L1_INFO_DEPOSITOR,
            TxKind::Call(GAS_PRICE_ORACLE),
            Bytes::copy_from_slice(&selector),
        );
        run(&mut scratch, config.chain_id, tx)
            .map_err(|reason| GenesisError::ForkSetter { call, reason })?;
    }
    let storage = scratch
        .account(&GAS_PRICE_ORACLE)
        .map(|a| a.storage.clone())
        .unwrap_or_default();
    if let Some(mut oracle) = state.account(&GAS_PRICE_ORACLE).cloned() {
        oracle.storage = storage;
        state.insert_account(GAS_PRICE_ORACLE, oracle);
    }
    Ok(())
}

fn deposit(from: Address, to: TxKind, input: Bytes) -> TxDeposit {
    TxDeposit {
        source_hash: B256::ZERO,
        from,
        to,
        mint: 0,
        value: U256::ZERO,
        gas_limit: GENESIS_EVM_GAS,
        is_system_transaction: false,
        input,
    }
}

/// Runs one deposit on `state` and commits it. Returns the created address for a creation,
/// or the failure as text.
///
/// The EVM runs Jovian's rules whatever the genesis fork: it only creates contracts and
/// sets storage here, and the code it leaves does not depend on the rules (the L2 contracts
/// are compiled for Shanghai, the spec bytecodes for older EVMs).
fn run(state: &mut MemState, chain_id: u64, tx: TxDeposit) -> Result<Option<Address>, String> {
    let from = tx.from;
    let env = EvmEnv::new(
        CfgEnv::new()
            .with_chain_id(chain_id)
            .with_spec_and_mainnet_gas_params(OpSpecId::JOVIAN),
        BlockEnv {
            gas_limit: GENESIS_EVM_GAS,
            ..Default::default()
        },
    );
    let mut evm = OpEvmFactory::<alloy_op_evm::OpTx>::default().create_evm(&mut *state, env);
    let envelope = OpTxEnvelope::Deposit(Sealed::new(tx));
    let out = evm
        .transact(alloy_consensus::transaction::Recovered::new_unchecked(
            envelope, from,
        ))
        .map_err(|e| e.to_string())?;
    if !out.result.is_success() {
        return Err(format!("{:?}", out.result));
    }
    let created = out.result.created_address();
    state.commit(out.state);
    Ok(created)
}
