//! The L1 dev genesis: funded dev accounts, the `DepositPortal` and `SystemConfig` at fixed
//! addresses, and the system contracts Prague's block processing calls.

use std::collections::BTreeMap;

use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header, Sealed};
use alloy_eips::{
    eip2935::{HISTORY_STORAGE_ADDRESS, HISTORY_STORAGE_CODE},
    eip4788::{BEACON_ROOTS_ADDRESS, BEACON_ROOTS_CODE},
    eip7002::{WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS, WITHDRAWAL_REQUEST_PREDEPLOY_CODE},
    eip7251::{CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS, CONSOLIDATION_REQUEST_PREDEPLOY_CODE},
    eip7685::EMPTY_REQUESTS_HASH,
};
use alloy_evm::{EthEvmFactory, Evm, EvmEnv, EvmFactory};
use alloy_primitives::{Address, B64, B256, Bytes, TxKind, U256};
use alloy_sol_types::SolValue;
use alloy_trie::EMPTY_ROOT_HASH;
use keel_protocol::system_config::SystemConfig as L2SystemConfig;
use revm::{
    DatabaseCommit,
    context::{BlockEnv, CfgEnv, TxEnv},
};

use super::{
    contracts::{
        Artifact, DEPOSIT_PORTAL, DEPOSIT_PORTAL_ARTIFACT, ISystemConfig, SYSTEM_CONFIG,
        SYSTEM_CONFIG_ARTIFACT,
    },
    spec::{L1_SPEC_ID, L1Config},
};
use crate::{
    genesis::{DEV_BALANCE, dev_accounts},
    state::{MemAccount, MemState},
};

/// Gas of the genesis-time constructor runs.
const GENESIS_EVM_GAS: u64 = 30_000_000;

/// Deployer of the genesis contracts (its nonce and the scratch contract never reach the
/// genesis state).
const GENESIS_DEPLOYER: Address = Address::repeat_byte(0xde);

/// Why the L1 genesis could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum L1GenesisError {
    /// A committed contract artifact does not parse.
    #[error("contract artifact {name} is malformed: {reason}")]
    Artifact {
        /// Which artifact.
        name: &'static str,
        /// The parser's message.
        reason: String,
    },
    /// A contract constructor failed.
    #[error("deploying {name} failed: {reason}")]
    Deployment {
        /// Which contract.
        name: &'static str,
        /// The EVM outcome.
        reason: String,
    },
    /// The dev accounts could not be derived.
    #[error(transparent)]
    DevAccounts(#[from] crate::genesis::GenesisError),
    /// The L2 system config's fee scalar is not a valid Ecotone scalar.
    #[error("system config scalar: {0}")]
    Scalar(#[from] keel_protocol::system_config::SystemConfigError),
}

/// What the L1 genesis is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1GenesisConfig {
    /// Genesis timestamp (also the beacon API's genesis time).
    pub timestamp: u64,
    /// Genesis base fee (default 1 gwei, the EIP-1559 initial base fee).
    pub base_fee: u64,
    /// Balance of every dev account.
    pub dev_balance: U256,
    /// Owner of the `SystemConfig`.
    pub system_config_owner: Address,
    /// Initial unsafe block signer.
    pub unsafe_block_signer: Address,
    /// The L2 genesis system config the `SystemConfig` starts from (batcher, Ecotone
    /// scalars, gas limit, EIP-1559 / operator-fee parameters, minimum base fee, DA
    /// footprint scalar).
    pub system_config: L2SystemConfig,
}

impl L1GenesisConfig {
    /// A dev genesis at `timestamp`: dev account 0 owns the `SystemConfig`, dev account 1 is
    /// the batcher, dev account 2 the unsafe block signer; scalars 1368 / 810949 (the values
    /// OP chains launched Ecotone with), L2 gas limit 30M, other parameters zero (chain
    /// defaults).
    pub fn dev(timestamp: u64) -> Result<Self, L1GenesisError> {
        Self::dev_for_l2(timestamp, true)
    }

    /// As [`Self::dev`], for an L2 that starts before Ecotone when `ecotone_at_l2_genesis`
    /// is false: its fee scalar is then a plain (version 0) Bedrock scalar with an overhead —
    /// OP Mainnet's Bedrock values, 0.684 and 188 — because before Ecotone the L1 fee is
    /// (calldata gas + overhead) × scalar / 10⁶ and an Ecotone-format scalar would read as
    /// an enormous number. From Ecotone on a version-0 scalar is the base-fee scalar.
    ///
    /// Spec: protocol/system-config.md#fee-scalars, protocol/ecotone/l1-attributes.md.
    pub fn dev_for_l2(timestamp: u64, ecotone_at_l2_genesis: bool) -> Result<Self, L1GenesisError> {
        let accounts = dev_accounts()?;
        let account = |i: usize| accounts.get(i).copied().unwrap_or_default();
        let (scalar, overhead) = if ecotone_at_l2_genesis {
            let scalar = keel_protocol::system_config::encode_ecotone_scalar(
                keel_protocol::system_config::EcotoneScalars {
                    blob_base_fee_scalar: 810_949,
                    base_fee_scalar: 1_368,
                },
            );
            (scalar, B256::ZERO)
        } else {
            (
                B256::from(U256::from(684_000u64)),
                B256::from(U256::from(188u64)),
            )
        };
        Ok(Self {
            timestamp,
            base_fee: alloy_eips::eip1559::INITIAL_BASE_FEE,
            dev_balance: DEV_BALANCE,
            system_config_owner: account(0),
            unsafe_block_signer: account(2),
            system_config: L2SystemConfig {
                batcher_addr: account(1),
                scalar,
                overhead,
                gas_limit: 30_000_000,
                ..L2SystemConfig::default()
            },
        })
    }
}

/// A built L1 genesis.
#[derive(Debug, Clone)]
pub struct L1Genesis {
    /// The genesis state.
    pub state: MemState,
    /// The sealed genesis header.
    pub header: Sealed<Header>,
}

/// Builds the L1 genesis for `chain`.
///
/// The header is a Prague header (EIP-1559 base fee, EIP-4895 withdrawals root of the empty
/// list, EIP-4844 blob gas used and excess zero, EIP-4788 parent beacon root zero, EIP-7685
/// requests hash of no requests), as geth writes a Prague-at-genesis chain's block 0.
pub fn build_l1_genesis(
    chain: &L1Config,
    config: &L1GenesisConfig,
) -> Result<L1Genesis, L1GenesisError> {
    let mut state = MemState::new();
    for address in dev_accounts()? {
        state.insert_account(address, MemAccount::with_balance(config.dev_balance));
    }
    // The system contracts' EIPs deploy them with a nonce-0 transaction from a keyless
    // account, which leaves each at nonce 1.
    for (address, code) in [
        (BEACON_ROOTS_ADDRESS, &BEACON_ROOTS_CODE),
        (HISTORY_STORAGE_ADDRESS, &HISTORY_STORAGE_CODE),
        (
            WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
            &WITHDRAWAL_REQUEST_PREDEPLOY_CODE,
        ),
        (
            CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS,
            &CONSOLIDATION_REQUEST_PREDEPLOY_CODE,
        ),
    ] {
        let mut account = MemAccount::with_code(code.clone(), BTreeMap::new());
        account.nonce = 1;
        state.insert_account(address, account);
    }

    let portal = artifact("DepositPortal", DEPOSIT_PORTAL_ARTIFACT)?;
    deploy(
        &mut state,
        chain.chain_id,
        "DepositPortal",
        portal.bytecode,
        DEPOSIT_PORTAL,
    )?;

    let sys = &config.system_config;
    let scalars = sys.ecotone_scalars()?;
    let initial = ISystemConfig::InitialConfig {
        batcher: sys.batcher_addr,
        basefeeScalar: scalars.base_fee_scalar,
        blobbasefeeScalar: scalars.blob_base_fee_scalar,
        gasLimit: sys.gas_limit,
        eip1559Denominator: sys.eip1559_denominator(),
        eip1559Elasticity: sys.eip1559_elasticity(),
        operatorFeeScalar: sys.operator_fee_scalar(),
        operatorFeeConstant: sys.operator_fee_constant(),
        minBaseFee: sys.min_base_fee,
        daFootprintGasScalar: sys.da_footprint_gas_scalar,
    };
    let args = (
        config.system_config_owner,
        config.unsafe_block_signer,
        initial,
    )
        .abi_encode_params();
    let system_config = artifact("SystemConfig", SYSTEM_CONFIG_ARTIFACT)?;
    let mut init = system_config.bytecode.to_vec();
    init.extend_from_slice(&args);
    deploy(
        &mut state,
        chain.chain_id,
        "SystemConfig",
        init.into(),
        SYSTEM_CONFIG,
    )?;

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
        gas_limit: chain.gas_limit,
        gas_used: 0,
        timestamp: config.timestamp,
        extra_data: Bytes::new(),
        mix_hash: B256::ZERO,
        nonce: B64::ZERO,
        base_fee_per_gas: Some(config.base_fee),
        withdrawals_root: Some(EMPTY_ROOT_HASH),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(B256::ZERO),
        requests_hash: Some(EMPTY_REQUESTS_HASH),
        block_access_list_hash: None,
        slot_number: None,
    };
    let header = Sealed::new(header);
    state.push_block_hash(0, header.hash());
    Ok(L1Genesis { state, header })
}

fn artifact(name: &'static str, json: &str) -> Result<Artifact, L1GenesisError> {
    Artifact::parse(json).map_err(|e| L1GenesisError::Artifact {
        name,
        reason: e.to_string(),
    })
}

/// Runs `init` as a creation on a scratch copy of `state` and places the created code and
/// the storage its constructor wrote at `target`.
fn deploy(
    state: &mut MemState,
    chain_id: u64,
    name: &'static str,
    init: Bytes,
    target: Address,
) -> Result<(), L1GenesisError> {
    let fail = |reason: String| L1GenesisError::Deployment { name, reason };
    let mut scratch = state.clone();
    let env = EvmEnv::new(
        CfgEnv::new()
            .with_chain_id(chain_id)
            .with_spec_and_mainnet_gas_params(L1_SPEC_ID),
        BlockEnv {
            gas_limit: GENESIS_EVM_GAS,
            ..Default::default()
        },
    );
    let mut evm = EthEvmFactory::default().create_evm(&mut scratch, env);
    let tx = TxEnv {
        caller: GENESIS_DEPLOYER,
        kind: TxKind::Create,
        data: init,
        gas_limit: GENESIS_EVM_GAS,
        chain_id: Some(chain_id),
        ..Default::default()
    };
    let out = evm.transact_raw(tx).map_err(|e| fail(e.to_string()))?;
    if !out.result.is_success() {
        return Err(fail(format!("{:?}", out.result)));
    }
    let created = out
        .result
        .created_address()
        .ok_or_else(|| fail("no contract created".into()))?;
    drop(evm);
    scratch.commit(out.state);
    let account = scratch
        .account(&created)
        .cloned()
        .ok_or_else(|| fail(format!("created account {created} missing")))?;
    let mut placed = MemAccount::with_code(account.code, account.storage);
    placed.nonce = account.nonce;
    state.insert_account(target, placed);
    Ok(())
}
