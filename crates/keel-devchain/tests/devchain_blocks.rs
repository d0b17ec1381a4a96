#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Blocks built from the shared attributes builder on a Jovian-at-genesis dev chain:
//! deposits, a user transaction, L1-info effects, re-execution as a payload, a rejected
//! state root, and a reorg.

mod common;

use common::*;

use alloy_consensus::{Header, Sealed, SignableTransaction, TxEip1559, transaction::Recovered};
use alloy_primitives::{Address, B256, TxKind, U256, address};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use keel_derive::{
    attributes::{EpochOrigin, prepare_payload_attributes},
    types::L2BlockRef,
};
use keel_devchain::{
    chain::{Chain, ChainConfig, ChainError},
    executor::ExecError,
    genesis::{
        BASE_FEE_VAULT, BEACON_ROOTS, BLOCK_HASHES, DEV_PRIVATE_KEYS, L1_BLOCK, L1_FEE_VAULT,
        OPERATOR_FEE_VAULT, SEQUENCER_FEE_VAULT, dev_accounts,
    },
};
use keel_protocol::{
    rollup_config::{BlockId, RollupConfig},
    system_config::SystemConfig,
};
use op_alloy_consensus::{OpReceiptEnvelope, OpTxEnvelope};
use op_alloy_rpc_types_engine::{OpExecutionPayload, OpPayloadAttributes};

const BATCHER: Address = address!("0xba7c000000000000000000000000000000000001");
const USER_TO: Address = address!("0xE0000000000000000000000000000000000000E1");

struct Fixture {
    cfg: RollupConfig,
    chain: Chain,
    l1_a: Sealed<Header>,
    l1_b: Sealed<Header>,
    sys: SystemConfig,
}

fn fixture() -> Fixture {
    let mut sys = SystemConfig {
        batcher_addr: BATCHER,
        ..dev_system_config()
    };
    sys.set_operator_fee(1_000, 7);
    let l1_a = l1_header(100, B256::repeat_byte(0x99), GENESIS_TIME - 12);
    let l1_b = l1_header(101, l1_a.hash(), GENESIS_TIME);
    let (cfg, genesis) = dev_rollup_config(jovian_at_genesis(), sys, &l1_a);
    let chain = Chain::new(cfg.clone(), genesis, ChainConfig { max_states: 8 });
    Fixture {
        cfg,
        chain,
        l1_a,
        l1_b,
        sys,
    }
}

fn user_tx(nonce: u64, value: u128) -> Recovered<OpTxEnvelope> {
    let signer = PrivateKeySigner::from_bytes(&DEV_PRIVATE_KEYS[0]).unwrap();
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(USER_TO),
        value: U256::from(value),
        ..Default::default()
    };
    let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    Recovered::new_unchecked(OpTxEnvelope::Eip1559(tx.into_signed(sig)), signer.address())
}

fn genesis_ref(f: &Fixture) -> L2BlockRef {
    let g = f.chain.block_by_number(0).unwrap();
    L2BlockRef {
        hash: g.header.hash(),
        number: 0,
        parent_hash: B256::ZERO,
        timestamp: GENESIS_TIME,
        l1_origin: BlockId {
            hash: f.l1_a.hash(),
            number: f.l1_a.number,
        },
        sequence_number: 0,
    }
}

/// Attributes of block 1: a new epoch (L1 block B) carrying one user deposit.
fn block1_attributes(f: &Fixture) -> OpPayloadAttributes {
    let receipts = vec![deposit_receipt()];
    let prepared = prepare_payload_attributes(
        &f.cfg,
        &genesis_ref(f),
        &f.sys,
        BlockId {
            hash: f.l1_b.hash(),
            number: f.l1_b.number,
        },
        EpochOrigin {
            header: &f.l1_b,
            receipts: Some(&receipts),
            l1_blob_params: None,
        },
    )
    .unwrap();
    assert_eq!(prepared.deposit_count, 1);
    prepared.attributes
}

fn balance(chain: &Chain, a: &Address) -> U256 {
    chain.head_state().unwrap().balance(a)
}

#[test]
fn block_from_shared_attributes_applies_deposits_user_tx_and_l1_info() {
    let mut f = fixture();
    let genesis_hash = f.chain.genesis_hash();
    let dev0 = dev_accounts().unwrap()[0];
    let mut attrs = block1_attributes(&f);
    attrs.no_tx_pool = Some(false);
    f.chain.add_to_pool(user_tx(0, ETH)).unwrap();

    let block = f.chain.build(genesis_hash, &attrs).unwrap().clone();
    assert!(f.chain.pool().is_empty(), "included tx leaves the pool");
    let hash = block.header.hash();
    f.chain
        .forkchoice_update(hash, genesis_hash, genesis_hash)
        .unwrap();
    assert_eq!(f.chain.head().unwrap().header.number, 1);

    // Transactions: L1-info deposit, user deposit, user tx; all receipts succeed.
    assert_eq!(block.transactions.len(), 3);
    assert!(block.transactions[0].is_deposit() && block.transactions[1].is_deposit());
    for r in &block.receipts {
        assert!(r.status(), "receipt failed: {r:?}");
    }
    // Deposit receipts carry the depositor's nonce and receipt version 1 (Canyon).
    match &block.receipts[1] {
        OpReceiptEnvelope::Deposit(r) => {
            assert_eq!(r.receipt.deposit_nonce, Some(0));
            assert_eq!(r.receipt.deposit_receipt_version, Some(1));
        }
        other => panic!("not a deposit receipt: {other:?}"),
    }

    // Balances: the deposit minted 5 ETH to its sender and moved 2 ETH.
    assert_eq!(balance(&f.chain, &DEPOSITOR), U256::from(3 * ETH));
    assert_eq!(balance(&f.chain, &DEPOSIT_TO), U256::from(2 * ETH));
    assert_eq!(balance(&f.chain, &USER_TO), U256::from(ETH));
    let state = f.chain.head_state().unwrap();
    assert_eq!(state.nonce(&dev0), 1);
    // Fee conservation: what the sender paid beyond the value went to the four vaults.
    let paid = U256::from(10_000 * ETH) - state.balance(&dev0) - U256::from(ETH);
    let vaults: U256 = [
        SEQUENCER_FEE_VAULT,
        BASE_FEE_VAULT,
        L1_FEE_VAULT,
        OPERATOR_FEE_VAULT,
    ]
    .iter()
    .map(|v| state.balance(v))
    .sum();
    assert_eq!(paid, vaults);
    assert!(
        state.balance(&L1_FEE_VAULT) > U256::ZERO,
        "an L1 data fee was charged"
    );
    assert!(
        state.balance(&OPERATOR_FEE_VAULT) > U256::ZERO,
        "an operator fee was charged"
    );

    // L1Block storage holds the L1-info values.
    // Layout (L1Block.sol): slot 0 = number | timestamp << 64, 1 = basefee, 2 = hash,
    // 3 = sequenceNumber | blobBaseFeeScalar << 64 | baseFeeScalar << 96, 4 = batcherHash.
    let slot = |i: u64| state.storage(&L1_BLOCK, U256::from(i));
    assert_eq!(
        slot(0),
        U256::from(f.l1_b.number) | (U256::from(f.l1_b.timestamp) << 64)
    );
    assert_eq!(slot(1), U256::from(7_000_000_000u64));
    assert_eq!(slot(2), U256::from_be_bytes(f.l1_b.hash().0));
    assert_eq!(
        slot(3),
        U256::ZERO | (U256::from(810_949u64) << 64) | (U256::from(1_368u64) << 96)
    );
    assert_eq!(slot(4), U256::from_be_bytes(BATCHER.into_word().0));

    // The EIP-2935 and EIP-4788 system calls ran before the transactions: the history
    // contract holds the parent hash at slot (number - 1) % 8191, the beacon-roots contract
    // the timestamp at ts % 8191 and the root 8191 slots later.
    assert_eq!(
        state.storage(&BLOCK_HASHES, U256::ZERO),
        U256::from_be_bytes(genesis_hash.0)
    );
    let ts_slot = U256::from((GENESIS_TIME + 2) % 8191);
    assert_eq!(
        state.storage(&BEACON_ROOTS, ts_slot),
        U256::from(GENESIS_TIME + 2)
    );
    assert_eq!(
        state.storage(&BEACON_ROOTS, ts_slot + U256::from(8191)),
        U256::from_be_bytes(f.l1_b.parent_beacon_block_root.unwrap().0)
    );

    // Header fields of a Jovian block.
    let h = block.header.inner();
    assert_eq!(h.parent_hash, genesis_hash);
    assert_eq!(h.extra_data.len(), 17);
    assert_eq!(h.extra_data[0], 1);
    assert!(h.blob_gas_used.unwrap() > 0, "DA footprint of the user tx");
    assert!(h.base_fee_per_gas.unwrap() >= 1_000);
    assert_eq!(h.mix_hash, f.l1_b.mix_hash);

    // Re-executing the block as a payload on a second chain gives the same hash and root.
    let (payload, sidecar) = f.chain_block_payload(hash);
    let mut other = fixture();
    let again = other.chain.insert_payload(&payload, &sidecar).unwrap();
    assert_eq!(again.header.hash(), hash);
    assert_eq!(again.header.state_root, h.state_root);

    // A second block in the same epoch builds on it and re-executes too.
    let b1_ref = L2BlockRef {
        hash,
        number: 1,
        parent_hash: genesis_hash,
        timestamp: GENESIS_TIME + 2,
        l1_origin: BlockId {
            hash: f.l1_b.hash(),
            number: f.l1_b.number,
        },
        sequence_number: 0,
    };
    let attrs2 = prepare_payload_attributes(
        &f.cfg,
        &b1_ref,
        &f.sys,
        b1_ref.l1_origin,
        EpochOrigin {
            header: &f.l1_b,
            receipts: None,
            l1_blob_params: None,
        },
    )
    .unwrap()
    .attributes;
    let mut attrs2 = attrs2;
    attrs2.no_tx_pool = Some(false);
    f.chain.add_to_pool(user_tx(1, ETH)).unwrap();
    let b2 = f.chain.build(hash, &attrs2).unwrap().clone();
    assert_eq!(b2.transactions.len(), 2);
    let (p2, s2) = f.chain_block_payload(b2.header.hash());
    other
        .chain
        .forkchoice_update(hash, B256::ZERO, B256::ZERO)
        .unwrap();
    let again2 = other.chain.insert_payload(&p2, &s2).unwrap();
    assert_eq!(again2.header.hash(), b2.header.hash());
}

impl Fixture {
    fn chain_block_payload(
        &self,
        hash: B256,
    ) -> (
        OpExecutionPayload,
        op_alloy_rpc_types_engine::OpExecutionPayloadSidecar,
    ) {
        let b = self.chain.block_by_hash(&hash).unwrap();
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
}

#[test]
fn payload_with_wrong_state_root_is_rejected() {
    let mut f = fixture();
    let genesis_hash = f.chain.genesis_hash();
    let attrs = block1_attributes(&f);
    let built = f.chain.build(genesis_hash, &attrs).unwrap().clone();
    let mut header = built.header.inner().clone();
    header.state_root = B256::repeat_byte(0x55);
    let block = alloy_consensus::Block {
        header,
        body: alloy_consensus::BlockBody {
            transactions: built.transactions.clone(),
            ommers: vec![],
            withdrawals: Some(Default::default()),
        },
    };
    // The block hash is recomputed so that only the state root is wrong.
    let (payload, sidecar) = OpExecutionPayload::from_block_slow(&block);
    let mut other = fixture();
    let err = other.chain.insert_payload(&payload, &sidecar).unwrap_err();
    assert!(
        matches!(
            err,
            ChainError::Exec(ExecError::Mismatch {
                field: "stateRoot",
                ..
            })
        ),
        "{err:?}"
    );
    // A Jovian block whose extraData is in the Holocene format is refused.
    let mut header = built.header.inner().clone();
    header.extra_data = header.extra_data.slice(..9);
    let block = alloy_consensus::Block {
        header,
        body: alloy_consensus::BlockBody {
            transactions: built.transactions.clone(),
            ommers: vec![],
            withdrawals: Some(Default::default()),
        },
    };
    let (payload, sidecar) = OpExecutionPayload::from_block_slow(&block);
    let err = other.chain.insert_payload(&payload, &sidecar).unwrap_err();
    assert!(
        matches!(
            err,
            ChainError::Exec(ExecError::Mismatch {
                field: "extraData",
                ..
            })
        ),
        "{err:?}"
    );
    // And a payload whose block hash does not match its fields is refused before execution.
    let (mut payload, sidecar) = f.chain_block_payload(built.header.hash());
    payload.as_v1_mut().block_hash = B256::repeat_byte(1);
    let err = other.chain.insert_payload(&payload, &sidecar).unwrap_err();
    assert!(
        matches!(
            err,
            ChainError::Exec(ExecError::Mismatch {
                field: "blockHash",
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn reorg_to_sibling_switches_state() {
    let mut f = fixture();
    let genesis_hash = f.chain.genesis_hash();
    let mut attrs = block1_attributes(&f);
    attrs.no_tx_pool = Some(false);
    f.chain.add_to_pool(user_tx(0, ETH)).unwrap();
    let a = f.chain.build(genesis_hash, &attrs).unwrap().header.hash();
    // The sibling: same attributes, but without the pool (no user transaction).
    attrs.no_tx_pool = Some(true);
    let b = f.chain.build(genesis_hash, &attrs).unwrap().header.hash();
    assert_ne!(a, b);

    f.chain
        .forkchoice_update(a, B256::ZERO, B256::ZERO)
        .unwrap();
    assert_eq!(balance(&f.chain, &USER_TO), U256::from(ETH));
    assert_eq!(f.chain.block_by_number(1).unwrap().header.hash(), a);

    f.chain
        .forkchoice_update(b, genesis_hash, genesis_hash)
        .unwrap();
    assert_eq!(balance(&f.chain, &USER_TO), U256::ZERO);
    assert_eq!(f.chain.block_by_number(1).unwrap().header.hash(), b);
    assert_eq!(f.chain.forkchoice().safe, genesis_hash);

    // Safe must be an ancestor of the head.
    let err = f
        .chain
        .forkchoice_update(genesis_hash, b, B256::ZERO)
        .unwrap_err();
    assert!(matches!(
        err,
        ChainError::InvalidForkchoice { label: "safe", .. }
    ));
    // Unknown head.
    let err = f
        .chain
        .forkchoice_update(B256::repeat_byte(9), B256::ZERO, B256::ZERO)
        .unwrap_err();
    assert!(matches!(err, ChainError::UnknownBlock(_)));
}

#[test]
fn old_states_are_pruned_but_head_kept() {
    let mut f = fixture();
    let mut parent = f.chain.genesis_hash();
    let mut parent_ref = genesis_ref(&f);
    let mut hashes = Vec::new();
    for i in 0..10u64 {
        let (epoch, receipts) = if i == 0 {
            (&f.l1_b, Some(vec![deposit_receipt()]))
        } else {
            (&f.l1_b, None)
        };
        let attrs = prepare_payload_attributes(
            &f.cfg,
            &parent_ref,
            &f.sys,
            BlockId {
                hash: epoch.hash(),
                number: epoch.number,
            },
            EpochOrigin {
                header: epoch,
                receipts: receipts.as_deref(),
                l1_blob_params: None,
            },
        )
        .unwrap();
        let built = f.chain.build(parent, &attrs.attributes).unwrap();
        let hash = built.header.hash();
        let number = built.header.number;
        f.chain
            .forkchoice_update(hash, B256::ZERO, B256::ZERO)
            .unwrap();
        parent_ref = L2BlockRef {
            hash,
            number,
            parent_hash: parent,
            timestamp: built_timestamp(&f, hash),
            l1_origin: BlockId {
                hash: epoch.hash(),
                number: epoch.number,
            },
            sequence_number: if i == 0 {
                0
            } else {
                parent_ref.sequence_number + 1
            },
        };
        parent = hash;
        hashes.push(hash);
    }
    // max_states = 8: the two oldest built blocks lost their state; genesis and head kept.
    assert!(f.chain.state_at(&hashes[0]).is_none());
    assert!(f.chain.state_at(&hashes[1]).is_none());
    assert!(f.chain.state_at(&hashes[9]).is_some());
    assert!(f.chain.state_at(&f.chain.genesis_hash()).is_some());
    let attrs = block1_attributes(&f);
    let err = f.chain.build(hashes[0], &attrs).unwrap_err();
    assert!(matches!(err, ChainError::StatePruned(_)));
}

fn built_timestamp(f: &Fixture, hash: B256) -> u64 {
    f.chain.block_by_hash(&hash).unwrap().header.timestamp
}

#[test]
fn pool_is_bounded() {
    let mut f = fixture();
    let tx = user_tx(0, ETH);
    for _ in 0..keel_devchain::chain::MAX_POOL_TXS {
        f.chain.add_to_pool(tx.clone()).unwrap();
    }
    assert_eq!(
        f.chain.add_to_pool(tx),
        Err(ChainError::PoolFull(keel_devchain::chain::MAX_POOL_TXS))
    );
    assert_eq!(f.chain.pool().len(), keel_devchain::chain::MAX_POOL_TXS);
}
