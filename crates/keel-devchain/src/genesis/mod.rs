//! The L2 genesis of a Keel dev chain: funded dev accounts and the predeploys derivation
//! needs, shaped by the forks active at the genesis timestamp.
//!
//! # Design
//!
//! Like a real OP chain, each predeploy Keel places holds an ERC-1967 [`Proxy`]
//! (`contracts/src/l2/Proxy.sol`) whose admin is the `ProxyAdmin` predeploy and whose
//! implementation lives at the predeploy's code-namespace address
//! ([`predeploys::code_namespace_address`]). The proxy is what lets the specs'
//! network-upgrade transactions (deposits from the zero address calling `upgradeTo`, Spec:
//! protocol/ecotone/derivation.md#l1block-proxy-update and the later forks' derivation
//! pages) upgrade `L1Block`, `GasPriceOracle` and `OperatorFeeVault` when a fork activates
//! after genesis. The `ProxyAdmin` itself has no code on the dev chain, so in practice only
//! those deposits can upgrade a proxy.
//!
//! Implementation code is not copied from another client. `L1Block`, `GasPriceOracle`,
//! `OperatorFeeVault` and the EIP-4788 / EIP-2935 contracts come from the specs' deployment
//! bytecodes (`keel_protocol::upgrades`, the same bytes the upgrade transactions carry), run
//! in the EVM at genesis; the `L2ToL1MessagePasser` and the `SequencerFeeVault` /
//! `BaseFeeVault` / `L1FeeVault` implementation are Keel's own Solidity
//! (`contracts/src/l2`, [`artifacts`]), since the specs give them no bytecode. So
//! withdrawals work: the message passer's storage root is what output roots and (from
//! Isthmus) the header's `withdrawalsRoot` commit to.
//!
//! # Which forks
//!
//! What genesis holds follows the forks active at its timestamp
//! ([`DevGenesisConfig::hardforks`]), as if every earlier activation block had run:
//! - `L1Block` / `GasPriceOracle` implementation: the newest spec code of a fork active at
//!   genesis (Jovian, Isthmus, Fjord for the oracle, else Ecotone). A genesis before Ecotone
//!   also gets Ecotone's code: it still has Bedrock's `setL1BlockValues`, which the
//!   L1-attributes deposit calls until the block after Ecotone activates (Spec:
//!   protocol/ecotone/l1-attributes.md#ecotone-l1block-upgrade), and with no fork flag set
//!   the oracle uses the Bedrock fee formula. Ecotone's activation block then upgrades to the
//!   same code at a new address.
//! - `GasPriceOracle` fork flags: `setEcotone` … `setJovian` only for active forks.
//! - EIP-4788 beacon roots contract from Ecotone, EIP-2935 block hashes contract and the
//!   `OperatorFeeVault` implementation from Isthmus (its proxy is always there, with no
//!   implementation before Isthmus, as the Isthmus upgrade transaction expects).
//! - The header, as `executor.rs` seals later blocks: `withdrawalsRoot` the empty root from
//!   Canyon and the message passer's storage root from Isthmus; blob gas fields and
//!   `parentBeaconBlockRoot` from Ecotone; `requestsHash` from Isthmus; `extraData` empty
//!   before Holocene, then the Holocene or Jovian format.
//!
//! The earliest genesis fork is Canyon ([`EARLIEST_GENESIS_FORK`]); an earlier one is
//! refused with [`GenesisError::UnsupportedGenesisFork`] rather than built wrong. Before
//! Canyon the EVM lacks Shanghai's `PUSH0`, which Keel's contracts (compiled for Shanghai)
//! use; pre-Regolith deposits have different gas and failure rules, and Keel's executor is
//! not tested on pre-Canyon blocks. Interop at genesis is refused too (Keel has no Interop
//! predeploys). Not in genesis: the other predeploys and preinstalls (cross-domain
//! messenger, bridges, `create2Deployer`, …), which the dev chain does not use.
//!
//! # Layout
//!
//! - this module: the config, the dev accounts, the header.
//! - [`predeploys`]: proxies, implementations, system contracts, oracle fork flags.
//! - [`artifacts`]: Keel's compiled L2 contracts and their Rust interfaces.
//! - [`dev_system_config`], [`seal_dev_rollup_config`]: the parameters all dev chains share.
//!
//! [`Proxy`]: artifacts::IProxy

pub mod artifacts;
mod dev_config;
pub mod predeploys;

pub use dev_config::{dev_system_config, seal_dev_rollup_config};

use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header, Sealed};
use alloy_eips::{eip1559::BaseFeeParams, eip7685::EMPTY_REQUESTS_HASH};
use alloy_primitives::{Address, B64, B256, Bytes, U256, address, b256};
use alloy_trie::EMPTY_ROOT_HASH;
use keel_protocol::{
    hardfork::{Hardfork, HardforkTimes},
    rollup_config::RollupConfig,
};
use op_alloy_consensus::{encode_holocene_extra_data, encode_jovian_extra_data};

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
/// The `ProxyAdmin` predeploy, admin of every predeploy proxy. Spec:
/// protocol/predeploys.md#proxyadmin
pub const PROXY_ADMIN: Address = address!("0x4200000000000000000000000000000000000018");
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

/// The earliest fork a dev genesis can start at (see the module doc).
pub const EARLIEST_GENESIS_FORK: Hardfork = Hardfork::Canyon;

/// Default L1 recipient of the fee vaults: the first dev account
/// (`0xf39F…2266`, [`DEV_PRIVATE_KEYS`]`[0]`), which the L1 dev chain funds too.
pub const DEFAULT_FEE_VAULT_RECIPIENT: Address =
    address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");

/// Default minimum fee-vault withdrawal: 1 ETH (a dev-chain choice; OP's deploy configs use
/// 10 ETH).
pub const DEFAULT_FEE_VAULT_MIN_WITHDRAWAL: U256 =
    U256::from_limbs([0x0de0_b6b3_a764_0000, 0, 0, 0]);

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
    /// An embedded contract artifact does not parse.
    #[error("contract artifact {name} is invalid: {reason}")]
    Artifact {
        /// Contract name.
        name: &'static str,
        /// Parser message.
        reason: String,
    },
    /// The forks active at the genesis timestamp are not ones Keel can build a genesis for.
    #[error(
        "cannot build a genesis at {fork}: the earliest supported genesis fork is \
         {EARLIEST_GENESIS_FORK}, and Interop is not supported"
    )]
    UnsupportedGenesisFork {
        /// The newest fork active at genesis (or Interop).
        fork: Hardfork,
    },
}

/// What the dev genesis is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevGenesisConfig {
    /// L2 chain id.
    pub chain_id: u64,
    /// Genesis timestamp.
    pub timestamp: u64,
    /// The fork schedule: what is active at `timestamp` shapes the genesis.
    pub hardforks: HardforkTimes,
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
    /// L1 recipient of the three fee vaults (an immutable of their implementation).
    pub fee_vault_recipient: Address,
    /// Smallest balance a fee vault's `withdraw()` accepts.
    pub fee_vault_min_withdrawal: U256,
}

impl DevGenesisConfig {
    /// A dev genesis matching `cfg`: its L2 chain id, genesis time, fork schedule, genesis
    /// system config gas limit / EIP-1559 parameters / minimum base fee; default fee vaults.
    pub fn from_rollup_config(cfg: &RollupConfig) -> Self {
        let sys = &cfg.genesis.system_config;
        let params = cfg.eip1559_params(sys, cfg.genesis.l2_time);
        Self {
            chain_id: cfg.l2_chain_id,
            timestamp: cfg.genesis.l2_time,
            hardforks: cfg.hardforks,
            gas_limit: sys.gas_limit,
            base_fee: alloy_eips::eip1559::INITIAL_BASE_FEE,
            eip1559_denominator: u32::try_from(params.max_change_denominator).unwrap_or(u32::MAX),
            eip1559_elasticity: u32::try_from(params.elasticity_multiplier).unwrap_or(u32::MAX),
            min_base_fee: sys.min_base_fee,
            dev_balance: DEV_BALANCE,
            fee_vault_recipient: DEFAULT_FEE_VAULT_RECIPIENT,
            fee_vault_min_withdrawal: DEFAULT_FEE_VAULT_MIN_WITHDRAWAL,
        }
    }

    fn is_active(&self, fork: Hardfork) -> bool {
        self.hardforks.is_active(fork, self.timestamp)
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

/// Builds the dev genesis for the forks active at `config.timestamp`.
///
/// Header fields by fork, the same rules `executor.rs` applies to later blocks:
/// `baseFeePerGas` always (London); `withdrawalsRoot` the empty root from Canyon (Shanghai,
/// Spec: protocol/canyon/overview.md) and the `L2ToL1MessagePasser` storage root from Isthmus
/// (Spec: protocol/isthmus/exec-engine.md#genesis-block); `blobGasUsed` / `excessBlobGas` /
/// `parentBeaconBlockRoot` zero from Ecotone (Cancun, Spec: protocol/ecotone/overview.md);
/// `requestsHash` the empty-requests hash from Isthmus (Prague); `extraData` empty before
/// Holocene, then the Holocene format carrying the EIP-1559 parameters (Spec:
/// protocol/holocene/exec-engine.md#eip-1559-parameters-in-block-header: "if the chain had
/// Holocene genesis, the genesis block must have an above-formatted extraData"), and the
/// Jovian format adding the minimum base fee (Spec:
/// protocol/jovian/exec-engine.md#minimum-base-fee-in-block-header).
pub fn build_genesis(config: &DevGenesisConfig) -> Result<DevGenesis, GenesisError> {
    let newest = config.hardforks.active_fork(config.timestamp);
    if !config.is_active(EARLIEST_GENESIS_FORK) || config.is_active(Hardfork::Interop) {
        return Err(GenesisError::UnsupportedGenesisFork { fork: newest });
    }
    let mut state = MemState::new();
    for address in dev_accounts()? {
        state.insert_account(address, MemAccount::with_balance(config.dev_balance));
    }
    predeploys::place_predeploys(&mut state, config)?;

    let params = eip1559_params_b64(config.eip1559_denominator, config.eip1559_elasticity);
    let extra_data = if config.is_active(Hardfork::Jovian) {
        encode_jovian_extra_data(params, BaseFeeParams::new(0, 0), config.min_base_fee)
            .map_err(GenesisError::ExtraData)?
    } else if config.is_active(Hardfork::Holocene) {
        encode_holocene_extra_data(params, BaseFeeParams::new(0, 0))
            .map_err(GenesisError::ExtraData)?
    } else {
        Bytes::new()
    };
    let ecotone = config.is_active(Hardfork::Ecotone);
    let isthmus = config.is_active(Hardfork::Isthmus);
    // Canyon is active (checked above): Shanghai's withdrawals root is always present.
    let withdrawals_root = if isthmus {
        state.storage_root(&L2_TO_L1_MESSAGE_PASSER)
    } else {
        EMPTY_ROOT_HASH
    };
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
        blob_gas_used: ecotone.then_some(0),
        excess_blob_gas: ecotone.then_some(0),
        parent_beacon_block_root: ecotone.then_some(B256::ZERO),
        requests_hash: isthmus.then_some(EMPTY_REQUESTS_HASH),
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

#[cfg(test)]
mod tests;
