#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! A dev chain that starts at Canyon + Delta and activates Ecotone, Fjord, Granite,
//! Holocene, Isthmus and Jovian two blocks apart, built from the shared attributes builder
//! (L1-info deposit in each fork's format, network-upgrade transactions at activation
//! blocks): every deposit succeeds, the predeploy proxies point at the spec's deployments
//! after each upgrade, the oracle's fork flags flip at their fork, headers follow each fork's
//! rules, and a second chain re-executing the payloads reaches the same hashes.

mod common;

use common::*;

use alloy_consensus::{Header, Sealed};
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Address, B256, U256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use alloy_trie::EMPTY_ROOT_HASH;
use keel_derive::{
    attributes::{EpochOrigin, prepare_payload_attributes},
    types::L2BlockRef,
};
use keel_devchain::rpc::CallOutcome;
use keel_devchain::{
    call::call,
    chain::{Chain, ChainConfig},
    genesis::{
        BEACON_ROOTS, BLOCK_HASHES, DevGenesisConfig, GAS_PRICE_ORACLE, L1_BLOCK,
        L2_TO_L1_MESSAGE_PASSER, OPERATOR_FEE_VAULT,
        artifacts::{IMPLEMENTATION_SLOT, IProxy},
        build_genesis,
        predeploys::code_namespace_address,
    },
};
use keel_protocol::{
    hardfork::{Hardfork, HardforkTimes},
    l1_info::L1InfoFormat,
    rollup_config::{BlockId, RollupConfig},
    upgrades::{self, deployed_address},
};
use op_alloy_rpc_types_engine::{OpExecutionPayload, OpExecutionPayloadSidecar};

/// Blocks after genesis at which each fork activates (two seconds per block).
const SCHEDULE: [(Hardfork, u64); 6] = [
    (Hardfork::Ecotone, 2),
    (Hardfork::Fjord, 4),
    (Hardfork::Granite, 6),
    (Hardfork::Holocene, 8),
    (Hardfork::Isthmus, 10),
    (Hardfork::Jovian, 12),
];
const LAST_BLOCK: u64 = 14;

fn walk_times() -> HardforkTimes {
    let at = |fork| {
        SCHEDULE
            .iter()
            .find(|(f, _)| *f == fork)
            .map(|(_, n)| GENESIS_TIME + 2 * n)
    };
    HardforkTimes {
        regolith_time: Some(0),
        canyon_time: Some(0),
        delta_time: Some(0),
        ecotone_time: at(Hardfork::Ecotone),
        fjord_time: at(Hardfork::Fjord),
        granite_time: at(Hardfork::Granite),
        holocene_time: at(Hardfork::Holocene),
        isthmus_time: at(Hardfork::Isthmus),
        jovian_time: at(Hardfork::Jovian),
        ..Default::default()
    }
}

fn word(a: Address) -> U256 {
    U256::from_be_bytes(a.into_word().0)
}

/// The implementation each proxy must point at after block `n`: the genesis code-namespace
/// implementation, then the contract the newest activated fork's upgrade deployed.
fn expected_implementations(n: u64) -> [(Address, Address); 3] {
    let past = |fork: Hardfork| SCHEDULE.iter().any(|(f, at)| *f == fork && n >= *at);
    let l1_block = if past(Hardfork::Jovian) {
        deployed_address(upgrades::jovian::L1_BLOCK_DEPLOYER)
    } else if past(Hardfork::Isthmus) {
        deployed_address(upgrades::isthmus::L1_BLOCK_DEPLOYER)
    } else if past(Hardfork::Ecotone) {
        deployed_address(upgrades::ecotone::L1_BLOCK_DEPLOYER)
    } else {
        code_namespace_address(L1_BLOCK)
    };
    let oracle = if past(Hardfork::Jovian) {
        deployed_address(upgrades::jovian::GAS_PRICE_ORACLE_DEPLOYER)
    } else if past(Hardfork::Isthmus) {
        deployed_address(upgrades::isthmus::GAS_PRICE_ORACLE_DEPLOYER)
    } else if past(Hardfork::Fjord) {
        deployed_address(upgrades::fjord::GAS_PRICE_ORACLE_DEPLOYER)
    } else if past(Hardfork::Ecotone) {
        deployed_address(upgrades::ecotone::GAS_PRICE_ORACLE_DEPLOYER)
    } else {
        code_namespace_address(GAS_PRICE_ORACLE)
    };
    let operator_vault = if past(Hardfork::Isthmus) {
        deployed_address(upgrades::isthmus::OPERATOR_FEE_VAULT_DEPLOYER)
    } else {
        Address::ZERO
    };
    [
        (L1_BLOCK, l1_block),
        (GAS_PRICE_ORACLE, oracle),
        (OPERATOR_FEE_VAULT, operator_vault),
    ]
}

/// The `GasPriceOracle` flags byte-packed in slot 0 (isEcotone, isFjord, isIsthmus,
/// isJovian, lowest byte first) after block `n`.
fn expected_oracle_flags(n: u64) -> U256 {
    let mut flags = U256::ZERO;
    for (i, fork) in [
        Hardfork::Ecotone,
        Hardfork::Fjord,
        Hardfork::Isthmus,
        Hardfork::Jovian,
    ]
    .into_iter()
    .enumerate()
    {
        if SCHEDULE.iter().any(|(f, at)| *f == fork && n >= *at) {
            flags |= U256::from(1u8) << (8 * i);
        }
    }
    flags
}

/// Header fields of a block at `ts`, as the fork rules want them.
fn check_header(cfg: &RollupConfig, h: &Header, passer_root: B256) {
    let ts = h.timestamp;
    let active = |fork| cfg.is_active(fork, ts);
    let n = h.number;
    let expected_root = if active(Hardfork::Isthmus) {
        assert_ne!(passer_root, EMPTY_ROOT_HASH, "block {n}");
        passer_root
    } else {
        EMPTY_ROOT_HASH
    };
    assert_eq!(h.withdrawals_root, Some(expected_root), "block {n}");
    assert_eq!(
        h.excess_blob_gas.is_some(),
        active(Hardfork::Ecotone),
        "{n}"
    );
    assert_eq!(h.blob_gas_used.is_some(), active(Hardfork::Ecotone), "{n}");
    assert_eq!(
        h.parent_beacon_block_root.is_some(),
        active(Hardfork::Ecotone),
        "block {n}"
    );
    assert_eq!(
        h.requests_hash,
        active(Hardfork::Isthmus).then_some(EMPTY_REQUESTS_HASH),
        "block {n}"
    );
    let extra = if active(Hardfork::Jovian) {
        17
    } else if active(Hardfork::Holocene) {
        9
    } else {
        0
    };
    assert_eq!(h.extra_data.len(), extra, "block {n}");
}

/// The L1-attributes format of block `n`: the previous fork's at an activation block.
fn expected_l1_info_format(n: u64) -> L1InfoFormat {
    let after = |fork: Hardfork| SCHEDULE.iter().any(|(f, at)| *f == fork && n > *at);
    if after(Hardfork::Jovian) {
        L1InfoFormat::Jovian
    } else if after(Hardfork::Isthmus) {
        L1InfoFormat::Isthmus
    } else if after(Hardfork::Ecotone) {
        L1InfoFormat::Ecotone
    } else {
        L1InfoFormat::Bedrock
    }
}

fn payload(chain: &Chain, hash: B256) -> (OpExecutionPayload, OpExecutionPayloadSidecar) {
    let b = chain.block_by_hash(&hash).unwrap();
    let block = alloy_consensus::Block {
        header: b.header.inner().clone(),
        body: alloy_consensus::BlockBody {
            transactions: b.transactions.clone(),
            ommers: vec![],
            withdrawals: Some(Default::default()),
        },
    };
    OpExecutionPayload::from_block_unchecked(hash, &block)
}

fn implementation_by_call(chain: &Chain, head: &B256, proxy: Address) -> Address {
    // From the zero address (no `from`): the proxy answers itself instead of delegating.
    let req = TransactionRequest::default()
        .to(proxy)
        .input(alloy_primitives::Bytes::from(IProxy::implementationCall {}.abi_encode()).into());
    match call(chain, head, &req, 1_000_000).unwrap() {
        CallOutcome::Success { output, .. } => {
            IProxy::implementationCall::abi_decode_returns(&output).unwrap()
        }
        other => panic!("{proxy}: {other:?}"),
    }
}

#[test]
fn forks_activate_one_by_one_after_a_canyon_genesis() {
    let l1_a = l1_header(100, B256::repeat_byte(0x99), GENESIS_TIME - 12);
    let l1_b: Sealed<Header> = l1_header(101, l1_a.hash(), GENESIS_TIME);
    let sys = dev_system_config();
    let (cfg, genesis) = dev_rollup_config(walk_times(), sys, &l1_a);
    assert_eq!(genesis.header.extra_data.len(), 0);
    let mut chain = Chain::new(cfg.clone(), genesis, ChainConfig::default());
    let epoch = BlockId {
        hash: l1_b.hash(),
        number: l1_b.number,
    };
    let mut parent = L2BlockRef {
        hash: chain.genesis_hash(),
        number: 0,
        parent_hash: B256::ZERO,
        timestamp: GENESIS_TIME,
        l1_origin: BlockId {
            hash: l1_a.hash(),
            number: l1_a.number,
        },
        sequence_number: 0,
    };
    let receipts = vec![deposit_receipt()];
    let mut hashes = Vec::new();
    let mut upgrade_blocks = Vec::new();
    for n in 1..=LAST_BLOCK {
        let prepared = prepare_payload_attributes(
            &cfg,
            &parent,
            &sys,
            epoch,
            EpochOrigin {
                header: &l1_b,
                receipts: Some(&receipts),
                l1_blob_params: None,
            },
        )
        .unwrap();
        let ts = prepared.attributes.payload_attributes.timestamp;
        assert_eq!(ts, GENESIS_TIME + 2 * n);
        let upgrades_here = upgrades::upgrade_transactions_for_block(&cfg, ts);
        let txs = prepared.attributes.transactions.clone().unwrap();
        assert_eq!(
            txs.len(),
            1 + prepared.deposit_count + upgrades_here.len(),
            "block {n}"
        );
        assert!(txs.ends_with(&upgrades_here), "block {n}");
        if !upgrades_here.is_empty() {
            upgrade_blocks.push((n, upgrades_here.len()));
        }

        let block = chain
            .build(parent.hash, &prepared.attributes)
            .unwrap()
            .clone();
        let hash = block.header.hash();
        chain
            .forkchoice_update(hash, B256::ZERO, B256::ZERO)
            .unwrap();
        // Every transaction is a deposit here, and every one of them must succeed: a failed
        // upgrade deposit would still be included, so the receipt is the only witness.
        assert_eq!(block.transactions.len(), txs.len());
        for (i, r) in block.receipts.iter().enumerate() {
            assert!(r.status(), "block {n} tx {i} failed: {r:?}");
        }
        let l1_info = match &block.transactions[0] {
            op_alloy_consensus::OpTxEnvelope::Deposit(d) => d.input.clone(),
            other => panic!("block {n}: first tx is not a deposit: {other:?}"),
        };
        assert_eq!(
            l1_info[..4],
            expected_l1_info_format(n).selector(),
            "block {n}"
        );

        let state = chain.head_state().unwrap();
        for (proxy, implementation) in expected_implementations(n) {
            assert_eq!(
                state.storage(&proxy, IMPLEMENTATION_SLOT),
                word(implementation),
                "block {n}: proxy {proxy}"
            );
            if implementation != Address::ZERO {
                assert!(!state.code(&implementation).is_empty(), "block {n}");
                assert_eq!(implementation_by_call(&chain, &hash, proxy), implementation);
            }
        }
        assert_eq!(
            state.storage(&GAS_PRICE_ORACLE, U256::ZERO),
            expected_oracle_flags(n),
            "block {n}"
        );
        let ecotone_at = SCHEDULE[0].1;
        assert_eq!(
            !state.code(&BEACON_ROOTS).is_empty(),
            n >= ecotone_at,
            "{n}"
        );
        let isthmus_at = SCHEDULE[4].1;
        assert_eq!(
            !state.code(&BLOCK_HASHES).is_empty(),
            n >= isthmus_at,
            "{n}"
        );
        let passer_root = state.clone().storage_root(&L2_TO_L1_MESSAGE_PASSER);
        check_header(&cfg, block.header.inner(), passer_root);

        hashes.push(hash);
        parent = L2BlockRef {
            hash,
            number: n,
            parent_hash: parent.hash,
            timestamp: ts,
            l1_origin: epoch,
            sequence_number: prepared.sequence_number,
        };
    }
    // Ecotone 6, Fjord 3, Isthmus 8, Jovian 5 upgrade transactions, at their blocks only.
    assert_eq!(upgrade_blocks, vec![(2, 6), (4, 3), (10, 8), (12, 5)]);

    // The L1Block proxy's storage took the L1-info values through every upgrade: the last
    // block's epoch number sits in slot 0's low 64 bits.
    let state = chain.head_state().unwrap();
    assert_eq!(
        state.storage(&L1_BLOCK, U256::ZERO) & U256::from(u64::MAX),
        U256::from(l1_b.number)
    );

    // A second chain from the same genesis, fed the payloads, reaches the same hashes.
    let genesis = build_genesis(&DevGenesisConfig::from_rollup_config(&cfg)).unwrap();
    let mut other = Chain::new(cfg.clone(), genesis, ChainConfig::default());
    assert_eq!(other.genesis_hash(), chain.genesis_hash());
    for hash in &hashes {
        let (p, s) = payload(&chain, *hash);
        let again = other.insert_payload(&p, &s).unwrap().header.hash();
        assert_eq!(again, *hash);
        other
            .forkchoice_update(again, B256::ZERO, B256::ZERO)
            .unwrap();
    }
    assert_eq!(
        other.head_state().unwrap().clone().state_root(),
        chain.head_state().unwrap().clone().state_root()
    );
}

/// A genesis before Canyon is refused, not built wrong.
#[test]
fn regolith_genesis_is_refused() {
    let times = HardforkTimes {
        regolith_time: Some(0),
        canyon_time: Some(GENESIS_TIME + 2),
        ..Default::default()
    };
    let mut cfg = RollupConfig {
        l2_chain_id: CHAIN_ID,
        hardforks: times,
        ..Default::default()
    };
    cfg.genesis.l2_time = GENESIS_TIME;
    cfg.genesis.system_config = dev_system_config();
    let err = build_genesis(&DevGenesisConfig::from_rollup_config(&cfg)).unwrap_err();
    assert_eq!(
        err,
        keel_devchain::genesis::GenesisError::UnsupportedGenesisFork {
            fork: Hardfork::Regolith
        }
    );
}
