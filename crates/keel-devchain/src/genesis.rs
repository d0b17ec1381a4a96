//! The L2 genesis of a Keel dev chain: funded dev accounts and the predeploys derivation
//! needs, with every fork up to Jovian active from genesis.
//!
//! Predeploy runtime code is not copied from another client: the OP specs' deployment
//! bytecodes (`keel_protocol::upgrades`, the same bytes the network-upgrade transactions
//! carry) are run in the EVM at genesis, and the code they return is placed at the
//! predeploy address. Keel's dev genesis holds these implementations *directly* at the
//! predeploy addresses, without the ERC-1967 proxies real chains use: a dev chain starts at
//! its latest fork and is never upgraded in place, so a proxy would only add a delegate call
//! and an admin slot to every L1-info transaction. Contracts read only their own storage
//! (and immutables baked into the runtime code), so the behaviour is the same.
//!
//! Predeploys without a spec deployment bytecode (the `L2ToL1MessagePasser` and the
//! `SequencerFeeVault` / `BaseFeeVault` / `L1FeeVault`) are plain accounts: the execution
//! layer only credits fees to the vaults' balances (Spec: protocol/exec-engine.md#fee-vaults)
//! and only reads the message passer's storage root (Spec:
//! protocol/isthmus/exec-engine.md#l2tol1messagepasser-storage-root-in-header). An empty
//! plain account does not exist in the state trie, so they are absent from the genesis
//! alloc and come into existence when they first receive value. Withdrawals (which need the
//! message passer's code) are therefore not possible on the dev chain yet.

use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header, Sealed};
use alloy_eips::{eip1559::BaseFeeParams, eip7685::EMPTY_REQUESTS_HASH};
use alloy_evm::{Evm, EvmEnv, EvmFactory};
use alloy_op_evm::OpEvmFactory;
use alloy_primitives::{Address, B64, B256, Bytes, TxKind, U256, address, b256};
use alloy_trie::EMPTY_ROOT_HASH;
use keel_protocol::{l1_info::L1_INFO_DEPOSITOR, rollup_config::RollupConfig, upgrades};
use op_alloy_consensus::{OpTxEnvelope, TxDeposit, encode_jovian_extra_data};
use op_revm::OpSpecId;
use revm::{
    DatabaseCommit,
    context::{BlockEnv, CfgEnv},
};

use crate::state::{MemAccount, MemState};

/// The `L1Block` predeploy. Spec: protocol/predeploys.md#l1block
pub const L1_BLOCK: Address = address!("0x4200000000000000000000000000000000000015");
/// The `GasPriceOracle` predeploy. Spec: protocol/predeploys.md#gaspriceoracle
pub const GAS_PRICE_ORACLE: Address = address!("0x420000000000000000000000000000000000000F");
/// The `L2ToL1MessagePasser` predeploy. Spec: protocol/predeploys.md#l2tol1messagepasser
pub const L2_TO_L1_MESSAGE_PASSER: Address = address!("0x4200000000000000000000000000000000000016");
/// The `SequencerFeeVault` predeploy. Spec: protocol/predeploys.md#sequencerfeevault
pub const SEQUENCER_FEE_VAULT: Address = address!("0x4200000000000000000000000000000000000011");
/// The `BaseFeeVault` predeploy. Spec: protocol/predeploys.md#basefeevault
pub const BASE_FEE_VAULT: Address = address!("0x4200000000000000000000000000000000000019");
/// The `L1FeeVault` predeploy. Spec: protocol/predeploys.md#l1feevault
pub const L1_FEE_VAULT: Address = address!("0x420000000000000000000000000000000000001A");
/// The `OperatorFeeVault` predeploy. Spec: protocol/isthmus/predeploys.md
pub const OPERATOR_FEE_VAULT: Address = address!("0x420000000000000000000000000000000000001B");
/// The EIP-4788 beacon block roots contract. Spec: protocol/ecotone/derivation.md
pub const BEACON_ROOTS: Address = address!("0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02");
/// The EIP-2935 block hashes history contract. Spec: protocol/isthmus/derivation.md
pub const BLOCK_HASHES: Address = address!("0x0000F90827F1C53a10cb7A02335B175320002935");

/// Balance of each dev account: 10,000 ETH.
pub const DEV_BALANCE: U256 = U256::from_limbs([0x19e0_c9ba_b240_0000, 0x21e, 0, 0]);

/// Private keys of the first ten accounts of the well-known test mnemonic
/// `test test test test test test test test test test test junk` (BIP-44 path
/// `m/44'/60'/0'/0/i`), as Hardhat, Anvil and op-geth's devnets fund them. Source: the
/// Hardhat / Foundry (Anvil) documentation of their default accounts. Public test keys:
/// never use them for anything of value.
pub const DEV_PRIVATE_KEYS: [B256; 10] = [
    b256!("0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"),
    b256!("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"),
    b256!("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"),
    b256!("0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"),
    b256!("0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"),
    b256!("0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba"),
    b256!("0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e"),
    b256!("0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356"),
    b256!("0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97"),
    b256!("0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6"),
];

/// Gas limit of the genesis-time EVM runs (deployments and fork-flag calls).
const GENESIS_EVM_GAS: u64 = 30_000_000;

/// `setEcotone()`, `setFjord()`, `setIsthmus()`, `setJovian()` of the `GasPriceOracle`,
/// called by the depositor in that order, as the upgrade transactions do.
///
/// Spec: protocol/ecotone/derivation.md, protocol/fjord/derivation.md,
/// protocol/isthmus/derivation.md, protocol/jovian/derivation.md (the "Set <Fork>" deposits).
const GPO_FORK_SETTERS: [(&str, [u8; 4]); 4] = [
    ("setEcotone", [0x22, 0xb9, 0x0a, 0xb3]),
    ("setFjord", [0x8e, 0x98, 0xb1, 0x06]),
    ("setIsthmus", [0x29, 0x1b, 0x03, 0x83]),
    ("setJovian", [0xb3, 0xd7, 0x20, 0x79]),
];

/// Why the genesis could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GenesisError {
    /// A deployment bytecode did not create a contract.
    #[error("deployment of {what} failed: {reason}")]
    Deployment {
        /// Which contract.
        what: &'static str,
        /// The EVM outcome.
        reason: String,
    },
    /// A fork-flag call on the `GasPriceOracle` failed.
    #[error("GasPriceOracle.{call}() failed: {reason}")]
    ForkSetter {
        /// The call.
        call: &'static str,
        /// The EVM outcome.
        reason: String,
    },
    /// A dev private key is not a valid secp256k1 scalar.
    #[error("dev key {index} is invalid")]
    DevKey {
        /// Index in [`DEV_PRIVATE_KEYS`].
        index: usize,
    },
    /// The EIP-1559 parameters do not fit the header encoding.
    #[error("EIP-1559 parameters do not fit extraData: {0}")]
    ExtraData(op_alloy_consensus::EIP1559ParamError),
}

/// What the dev genesis is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevGenesisConfig {
    /// L2 chain id.
    pub chain_id: u64,
    /// Genesis timestamp (every fork through Jovian active at it).
    pub timestamp: u64,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Genesis base fee (op-geth's default is the EIP-1559 initial base fee, 1 gwei).
    pub base_fee: u64,
    /// EIP-1559 denominator encoded in the genesis `extraData` (Holocene).
    pub eip1559_denominator: u32,
    /// EIP-1559 elasticity encoded in the genesis `extraData` (Holocene).
    pub eip1559_elasticity: u32,
    /// Minimum base fee encoded in the genesis `extraData` (Jovian).
    pub min_base_fee: u64,
    /// Balance of every dev account.
    pub dev_balance: U256,
}

impl DevGenesisConfig {
    /// A dev genesis matching `cfg`: its L2 chain id, genesis time, genesis system config
    /// gas limit / EIP-1559 parameters / minimum base fee.
    pub fn from_rollup_config(cfg: &RollupConfig) -> Self {
        let sys = &cfg.genesis.system_config;
        let params = cfg.eip1559_params(sys, cfg.genesis.l2_time);
        Self {
            chain_id: cfg.l2_chain_id,
            timestamp: cfg.genesis.l2_time,
            gas_limit: sys.gas_limit,
            base_fee: alloy_eips::eip1559::INITIAL_BASE_FEE,
            eip1559_denominator: u32::try_from(params.max_change_denominator).unwrap_or(u32::MAX),
            eip1559_elasticity: u32::try_from(params.elasticity_multiplier).unwrap_or(u32::MAX),
            min_base_fee: sys.min_base_fee,
            dev_balance: DEV_BALANCE,
        }
    }
}

/// A built genesis: its state and sealed header.
#[derive(Debug, Clone)]
pub struct DevGenesis {
    /// The genesis state.
    pub state: MemState,
    /// The genesis header, sealed with its hash.
    pub header: Sealed<Header>,
}

/// The dev accounts' addresses, derived from [`DEV_PRIVATE_KEYS`].
pub fn dev_accounts() -> Result<Vec<Address>, GenesisError> {
    DEV_PRIVATE_KEYS
        .iter()
        .enumerate()
        .map(|(index, key)| {
            alloy_signer_local::PrivateKeySigner::from_bytes(key)
                .map(|s| s.address())
                .map_err(|_| GenesisError::DevKey { index })
        })
        .collect()
}

/// Builds the dev genesis.
///
/// Header rules for a Jovian-at-genesis chain: `baseFeePerGas` set (London),
/// `withdrawalsRoot` the `L2ToL1MessagePasser` storage root (Spec:
/// protocol/isthmus/exec-engine.md#genesis-block), `blobGasUsed` / `excessBlobGas` zero and
/// `parentBeaconBlockRoot` zero (Ecotone/Cancun), `requestsHash` the empty-requests hash
/// (Isthmus/Prague, Spec: protocol/isthmus/exec-engine.md), and `extraData` in the Jovian
/// format carrying the initial EIP-1559 parameters and minimum base fee (Spec:
/// protocol/holocene/exec-engine.md#eip-1559-parameters-in-block-header: "if the chain had
/// Holocene genesis, the genesis block must have an above-formatted extraData";
/// protocol/jovian/exec-engine.md#minimum-base-fee-in-block-header).
pub fn build_genesis(config: &DevGenesisConfig) -> Result<DevGenesis, GenesisError> {
    let mut state = MemState::new();
    for address in dev_accounts()? {
        state.insert_account(address, MemAccount::with_balance(config.dev_balance));
    }
    deploy_predeploys(&mut state, config.chain_id)?;
    set_gas_price_oracle_forks(&mut state, config.chain_id)?;

    let extra_data = encode_jovian_extra_data(
        eip1559_params_b64(config.eip1559_denominator, config.eip1559_elasticity),
        BaseFeeParams::new(0, 0),
        config.min_base_fee,
    )
    .map_err(GenesisError::ExtraData)?;
    let withdrawals_root = state.storage_root(&L2_TO_L1_MESSAGE_PASSER);
    let header = Header {
        parent_hash: B256::ZERO,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: Address::ZERO,
        state_root: state.state_root(),
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        logs_bloom: Default::default(),
        difficulty: U256::ZERO,
        number: 0,
        gas_limit: config.gas_limit,
        gas_used: 0,
        timestamp: config.timestamp,
        extra_data,
        mix_hash: B256::ZERO,
        nonce: B64::ZERO,
        base_fee_per_gas: Some(config.base_fee),
        withdrawals_root: Some(withdrawals_root),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::ZERO),
        requests_hash: Some(EMPTY_REQUESTS_HASH),
        block_access_list_hash: None,
        slot_number: None,
    };
    let header = Sealed::new(header);
    state.push_block_hash(0, header.hash());
    Ok(DevGenesis { state, header })
}

/// The Holocene `eip1559Params` encoding: denominator then elasticity, big-endian u32 each.
///
/// Spec: protocol/holocene/exec-engine.md#eip1559params-encoding
pub fn eip1559_params_b64(denominator: u32, elasticity: u32) -> B64 {
    let mut out = [0u8; 8];
    let (d, e) = out.split_at_mut(4);
    d.copy_from_slice(&denominator.to_be_bytes());
    e.copy_from_slice(&elasticity.to_be_bytes());
    B64::from(out)
}

/// Runs each spec deployment bytecode from its deployer and moves the created contract
/// (code and any storage its constructor wrote) to the predeploy address.
fn deploy_predeploys(state: &mut MemState, chain_id: u64) -> Result<(), GenesisError> {
    let find = |txs: Vec<TxDeposit>, deployer: Address| {
        txs.into_iter()
            .find(|tx| tx.from == deployer && tx.to == TxKind::Create)
            .map(|tx| tx.input)
            .unwrap_or_default()
    };
    let deployments: [(&'static str, Address, Address, Bytes); 5] = [
        (
            "L1Block (Jovian)",
            upgrades::jovian::L1_BLOCK_DEPLOYER,
            L1_BLOCK,
            find(
                upgrades::jovian::transactions(),
                upgrades::jovian::L1_BLOCK_DEPLOYER,
            ),
        ),
        (
            "GasPriceOracle (Jovian)",
            upgrades::jovian::GAS_PRICE_ORACLE_DEPLOYER,
            GAS_PRICE_ORACLE,
            find(
                upgrades::jovian::transactions(),
                upgrades::jovian::GAS_PRICE_ORACLE_DEPLOYER,
            ),
        ),
        (
            "OperatorFeeVault (Isthmus)",
            upgrades::isthmus::OPERATOR_FEE_VAULT_DEPLOYER,
            OPERATOR_FEE_VAULT,
            find(
                upgrades::isthmus::transactions(),
                upgrades::isthmus::OPERATOR_FEE_VAULT_DEPLOYER,
            ),
        ),
        (
            "EIP-4788 beacon roots",
            upgrades::ecotone::BEACON_ROOTS_DEPLOYER,
            BEACON_ROOTS,
            find(
                upgrades::ecotone::transactions(),
                upgrades::ecotone::BEACON_ROOTS_DEPLOYER,
            ),
        ),
        (
            "EIP-2935 block hashes",
            upgrades::isthmus::BLOCK_HASHES_DEPLOYER,
            BLOCK_HASHES,
            find(
                upgrades::isthmus::transactions(),
                upgrades::isthmus::BLOCK_HASHES_DEPLOYER,
            ),
        ),
    ];
    for (what, deployer, target, code) in deployments {
        // Each deployment runs on a scratch copy so deployer nonces and the temporary
        // contract never reach the genesis state.
        let mut scratch = state.clone();
        let tx = deposit(deployer, TxKind::Create, code);
        let outcome = run(&mut scratch, chain_id, tx);
        let created = match &outcome {
            Ok(Some(addr)) => *addr,
            Ok(None) => {
                return Err(GenesisError::Deployment {
                    what,
                    reason: "no contract created".into(),
                });
            }
            Err(reason) => {
                return Err(GenesisError::Deployment {
                    what,
                    reason: reason.clone(),
                });
            }
        };
        let Some(account) = scratch.account(&created).cloned() else {
            return Err(GenesisError::Deployment {
                what,
                reason: format!("created account {created} missing"),
            });
        };
        // The nonce stays as the creation left it (1 under EIP-161), as for any deployed contract.
        let mut placed = MemAccount::with_code(account.code, account.storage);
        placed.nonce = account.nonce;
        state.insert_account(target, placed);
    }
    Ok(())
}

/// Sets the `GasPriceOracle` fork flags by running the setter calls as the depositor, keeping
/// only the oracle's resulting storage.
fn set_gas_price_oracle_forks(state: &mut MemState, chain_id: u64) -> Result<(), GenesisError> {
    let mut scratch = state.clone();
    for (call, selector) in GPO_FORK_SETTERS {
        let tx = deposit(
            L1_INFO_DEPOSITOR,
            TxKind::Call(GAS_PRICE_ORACLE),
            Bytes::copy_from_slice(&selector),
        );
        run(&mut scratch, chain_id, tx)
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

/// Runs one deposit on `state` with the Jovian rules and commits it. Returns the created
/// address for a creation, or the failure as text.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_balance_is_ten_thousand_eth() {
        assert_eq!(
            DEV_BALANCE,
            U256::from(10_000u64) * U256::from(1_000_000_000_000_000_000u64)
        );
    }

    fn config() -> DevGenesisConfig {
        DevGenesisConfig {
            chain_id: 901,
            timestamp: 1_700_000_000,
            gas_limit: 30_000_000,
            base_fee: 1_000_000_000,
            eip1559_denominator: 250,
            eip1559_elasticity: 6,
            min_base_fee: 0,
            dev_balance: DEV_BALANCE,
        }
    }

    #[test]
    fn dev_accounts_are_the_well_known_ones() {
        let accounts = dev_accounts().unwrap();
        assert_eq!(
            accounts[0],
            address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        );
        assert_eq!(
            accounts[1],
            address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
        );
        assert_eq!(
            accounts[9],
            address!("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720")
        );
    }

    #[test]
    fn genesis_has_predeploy_code_and_is_stable() {
        let g = build_genesis(&config()).unwrap();
        for a in [
            L1_BLOCK,
            GAS_PRICE_ORACLE,
            OPERATOR_FEE_VAULT,
            BEACON_ROOTS,
            BLOCK_HASHES,
        ] {
            assert!(!g.state.code(&a).is_empty(), "{a} has no code");
        }
        // GasPriceOracle slot 0 packs isEcotone, isFjord, isIsthmus, isJovian (one byte
        // each, lowest first): all four set by the genesis setter calls.
        assert_eq!(
            g.state.storage(&GAS_PRICE_ORACLE, U256::ZERO),
            U256::from(0x0101_0101u64)
        );
        let h = g.header.inner();
        assert_eq!(h.withdrawals_root, Some(EMPTY_ROOT_HASH));
        assert_eq!(h.requests_hash, Some(EMPTY_REQUESTS_HASH));
        assert_eq!(h.blob_gas_used, Some(0));
        assert_eq!(h.extra_data.len(), 17);
        assert_eq!(h.state_root, g.state.clone().state_root());
        let again = build_genesis(&config()).unwrap();
        assert_eq!(g.header.hash(), again.header.hash());
        eprintln!(
            "genesis hash {} state root {}",
            g.header.hash(),
            g.header.state_root
        );
        for (a, acc) in g.state.accounts() {
            eprintln!(
                "{a} nonce {} code {} slots {:?}",
                acc.nonce,
                acc.code.len(),
                acc.storage
            );
        }
    }
}
