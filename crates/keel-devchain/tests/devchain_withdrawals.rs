#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Withdrawals on a Jovian-at-genesis (so Isthmus) dev chain: `initiateWithdrawal` and a
//! plain transfer to the `L2ToL1MessagePasser` proxy emit `MessagePassed` with the right
//! hash and versioned nonce, set `sentMessages[hash]` at its mapping slot, and move the
//! header's `withdrawalsRoot` (the passer's storage root) and the output root; the fee
//! vaults collect fees and `withdraw()` refuses below the minimum and withdraws the whole
//! balance through the passer above it; `burn()` removes the passer's ETH.

mod common;

use common::*;

use alloy_consensus::{Header, SignableTransaction, TxEip1559, transaction::Recovered};
use alloy_primitives::{Address, B256, Bytes, Log, TxKind, U256, address, keccak256};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolEvent, SolValue};
use keel_derive::{
    attributes::{EpochOrigin, prepare_payload_attributes},
    types::L2BlockRef,
};
use keel_devchain::{
    call::call,
    chain::{Chain, ChainConfig, StoredBlock},
    genesis::{
        BASE_FEE_VAULT, DEFAULT_FEE_VAULT_RECIPIENT, DEV_PRIVATE_KEYS, DevGenesisConfig,
        L1_FEE_VAULT, L2_TO_L1_MESSAGE_PASSER, SEQUENCER_FEE_VAULT,
        artifacts::{IFeeVault, IL2ToL1MessagePasser},
        build_genesis,
    },
    rpc::CallOutcome,
};
use keel_protocol::{
    output_root::output_root_v0,
    rollup_config::{BlockId, RollupConfig},
    system_config::SystemConfig,
};
use op_alloy_consensus::OpTxEnvelope;

const TARGET: Address = address!("0x7a76e70000000000000000000000000000000001");
/// The fee vaults' minimum in this test: above one block of fees, below two.
const MIN_WITHDRAWAL: u64 = 200_000_000_000_000;
/// The versioned-nonce base: `MESSAGE_VERSION` (1) in the top two bytes.
const NONCE_V1: U256 = U256::from_limbs([0, 0, 0, 1 << 48]);

struct Fixture {
    cfg: RollupConfig,
    chain: Chain,
    sys: SystemConfig,
    l1_b: alloy_consensus::Sealed<Header>,
    parent: L2BlockRef,
    nonces: [u64; 10],
}

fn fixture() -> Fixture {
    let l1_a = l1_header(100, B256::repeat_byte(0x99), GENESIS_TIME - 12);
    let l1_b = l1_header(101, l1_a.hash(), GENESIS_TIME);
    let sys = dev_system_config();
    let (mut cfg, _) = dev_rollup_config(jovian_at_genesis(), sys, &l1_a);
    let genesis = build_genesis(&DevGenesisConfig {
        fee_vault_min_withdrawal: U256::from(MIN_WITHDRAWAL),
        ..DevGenesisConfig::from_rollup_config(&cfg)
    })
    .unwrap();
    cfg.genesis.l2 = BlockId {
        hash: genesis.header.hash(),
        number: 0,
    };
    let parent = L2BlockRef {
        hash: genesis.header.hash(),
        number: 0,
        parent_hash: B256::ZERO,
        timestamp: GENESIS_TIME,
        l1_origin: BlockId {
            hash: l1_a.hash(),
            number: l1_a.number,
        },
        sequence_number: 0,
    };
    let chain = Chain::new(cfg.clone(), genesis, ChainConfig::default());
    Fixture {
        cfg,
        chain,
        sys,
        l1_b,
        parent,
        nonces: [0; 10],
    }
}

impl Fixture {
    /// Pools a transaction from dev account `from`.
    fn send(&mut self, from: usize, to: Address, value: U256, input: Vec<u8>) {
        let signer = PrivateKeySigner::from_bytes(&DEV_PRIVATE_KEYS[from]).unwrap();
        let tx = TxEip1559 {
            chain_id: CHAIN_ID,
            nonce: self.nonces[from],
            gas_limit: 300_000,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to: TxKind::Call(to),
            value,
            input: input.into(),
            ..Default::default()
        };
        self.nonces[from] += 1;
        let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        let tx = OpTxEnvelope::Eip1559(tx.into_signed(sig));
        self.chain
            .add_to_pool(Recovered::new_unchecked(tx, signer.address()))
            .unwrap();
    }

    /// Builds the next block with the pool, makes it the head, returns it.
    fn block(&mut self) -> StoredBlock {
        let receipts = vec![];
        let epoch = BlockId {
            hash: self.l1_b.hash(),
            number: self.l1_b.number,
        };
        let prepared = prepare_payload_attributes(
            &self.cfg,
            &self.parent,
            &self.sys,
            epoch,
            EpochOrigin {
                header: &self.l1_b,
                receipts: Some(&receipts),
                l1_blob_params: None,
            },
        )
        .unwrap();
        let mut attrs = prepared.attributes;
        attrs.no_tx_pool = Some(false);
        let pooled = self.chain.pool().len();
        let block = self.chain.build(self.parent.hash, &attrs).unwrap().clone();
        assert_eq!(
            block.transactions.len(),
            1 + pooled,
            "a pool tx was skipped"
        );
        let hash = block.header.hash();
        self.chain
            .forkchoice_update(hash, B256::ZERO, B256::ZERO)
            .unwrap();
        self.parent = L2BlockRef {
            hash,
            number: block.header.number,
            parent_hash: self.parent.hash,
            timestamp: block.header.timestamp,
            l1_origin: epoch,
            sequence_number: prepared.sequence_number,
        };
        block
    }

    fn view(&self, to: Address, data: Vec<u8>) -> Bytes {
        let req = TransactionRequest::default()
            .to(to)
            .input(Bytes::from(data).into());
        match call(&self.chain, &self.parent.hash, &req, 1_000_000).unwrap() {
            CallOutcome::Success { output, .. } => output,
            other => panic!("call to {to} failed: {other:?}"),
        }
    }

    fn balance(&self, a: Address) -> U256 {
        self.chain.head_state().unwrap().balance(&a)
    }
}

fn logs(block: &StoredBlock, tx: usize) -> Vec<Log> {
    block.receipts[tx].logs().to_vec()
}

fn status(block: &StoredBlock, tx: usize) -> bool {
    block.receipts[tx].status()
}

fn messages_passed(logs: &[Log]) -> Vec<IL2ToL1MessagePasser::MessagePassed> {
    logs.iter()
        .filter(|l| l.address == L2_TO_L1_MESSAGE_PASSER)
        .filter_map(|l| IL2ToL1MessagePasser::MessagePassed::decode_log(l).ok())
        .map(|l| l.data)
        .collect()
}

/// The withdrawal hash as the spec's portal recomputes it on L1:
/// `keccak256(abi.encode(nonce, sender, target, value, gasLimit, data))`.
fn withdrawal_hash(m: &IL2ToL1MessagePasser::MessagePassed) -> B256 {
    keccak256(
        (
            m.nonce,
            m.sender,
            m.target,
            m.value,
            m.gasLimit,
            m.data.clone(),
        )
            .abi_encode_params(),
    )
}

/// Slot of `sentMessages[hash]`: the mapping is at slot 0.
fn sent_slot(hash: B256) -> U256 {
    U256::from_be_bytes(keccak256([hash.0, [0u8; 32]].concat()).0)
}

#[test]
fn withdrawals_commit_to_the_message_passer_root_and_fee_vaults_withdraw() {
    let mut f = fixture();
    let genesis_root = f.chain.head().unwrap().header.withdrawals_root.unwrap();
    let eth = U256::from(ETH);
    let dev = keel_devchain::genesis::dev_accounts().unwrap();

    // Block 1: a vault withdrawal below the minimum (reverts, still included), then a
    // withdrawal of 1 ETH with calldata.
    let withdraw = IFeeVault::withdrawCall {}.abi_encode();
    f.send(1, BASE_FEE_VAULT, U256::ZERO, withdraw.clone());
    let data = Bytes::from_static(&[0xab, 0xcd]);
    let initiate = IL2ToL1MessagePasser::initiateWithdrawalCall {
        _target: TARGET,
        _gasLimit: U256::from(200_000),
        _data: data.clone(),
    }
    .abi_encode();
    f.send(0, L2_TO_L1_MESSAGE_PASSER, eth, initiate);
    let b1 = f.block();
    assert!(!status(&b1, 1), "withdraw() below the minimum must revert");
    assert!(status(&b1, 2));
    let passed = messages_passed(&logs(&b1, 2));
    assert_eq!(passed.len(), 1);
    let m = &passed[0];
    assert_eq!(m.nonce, NONCE_V1);
    assert_eq!((m.sender, m.target), (dev[0], TARGET));
    assert_eq!((m.value, m.gasLimit), (eth, U256::from(200_000)));
    assert_eq!(m.data, data);
    let hash = withdrawal_hash(m);
    assert_eq!(m.withdrawalHash, hash);

    let state = f.chain.head_state().unwrap().clone();
    // The proxy's storage holds the mapping entry and the nonce (slot 1), as L1 reads them.
    assert_eq!(
        state.storage(&L2_TO_L1_MESSAGE_PASSER, sent_slot(hash)),
        U256::from(1)
    );
    assert_eq!(
        state.storage(&L2_TO_L1_MESSAGE_PASSER, U256::from(1)),
        U256::from(1)
    );
    let sent = f.view(
        L2_TO_L1_MESSAGE_PASSER,
        IL2ToL1MessagePasser::sentMessagesCall(hash).abi_encode(),
    );
    assert!(IL2ToL1MessagePasser::sentMessagesCall::abi_decode_returns(&sent).unwrap());
    let nonce = f.view(
        L2_TO_L1_MESSAGE_PASSER,
        IL2ToL1MessagePasser::messageNonceCall {}.abi_encode(),
    );
    assert_eq!(
        IL2ToL1MessagePasser::messageNonceCall::abi_decode_returns(&nonce).unwrap(),
        NONCE_V1 + U256::from(1)
    );
    // Isthmus: the header commits to the passer's storage root, which the withdrawal moved.
    let root1 = state.clone().storage_root(&L2_TO_L1_MESSAGE_PASSER);
    let h1 = b1.header.inner();
    assert_eq!(h1.withdrawals_root, Some(root1));
    assert_ne!(root1, genesis_root);
    // The output root proposers post: keccak(version 0 ‖ state root ‖ passer root ‖ hash).
    let preimage = [[0u8; 32], h1.state_root.0, root1.0, b1.header.hash().0].concat();
    assert_eq!(
        output_root_v0(h1.state_root, root1, b1.header.hash()),
        keccak256(preimage)
    );
    assert_eq!(f.balance(L2_TO_L1_MESSAGE_PASSER), eth);
    // Fees reached the vaults as balance credits (base fee, priority fee, L1 fee).
    for vault in [BASE_FEE_VAULT, SEQUENCER_FEE_VAULT, L1_FEE_VAULT] {
        assert!(f.balance(vault) > U256::ZERO, "{vault} got no fees");
    }
    let after_block1 = f.balance(BASE_FEE_VAULT);
    assert!(after_block1 < U256::from(MIN_WITHDRAWAL), "{after_block1}");

    // Block 2: transfers to fill the base-fee vault, a plain send to the passer (receive()),
    // then the vault's withdraw() over the minimum.
    for _ in 0..10 {
        f.send(2, TARGET, U256::from(1), vec![]);
    }
    f.send(3, L2_TO_L1_MESSAGE_PASSER, eth / U256::from(2), vec![]);
    f.send(1, BASE_FEE_VAULT, U256::ZERO, withdraw);
    let b2 = f.block();
    for i in 0..b2.receipts.len() {
        assert!(status(&b2, i), "block 2 tx {i} failed");
    }
    let plain = messages_passed(&logs(&b2, 11));
    assert_eq!(plain.len(), 1);
    assert_eq!(plain[0].nonce, NONCE_V1 + U256::from(1));
    assert_eq!((plain[0].sender, plain[0].target), (dev[3], dev[3]));
    assert_eq!(plain[0].gasLimit, U256::from(100_000));
    assert!(plain[0].data.is_empty());
    assert_eq!(plain[0].withdrawalHash, withdrawal_hash(&plain[0]));

    let vault_logs = logs(&b2, 12);
    let withdrawal = vault_logs
        .iter()
        .find_map(|l| IFeeVault::Withdrawal::decode_log(l).ok())
        .expect("Withdrawal event")
        .data;
    assert!(withdrawal.value >= U256::from(MIN_WITHDRAWAL));
    assert_eq!(withdrawal.to, DEFAULT_FEE_VAULT_RECIPIENT);
    assert_eq!(withdrawal.from, dev[1]);
    let vault_msg = messages_passed(&vault_logs);
    assert_eq!(vault_msg.len(), 1);
    assert_eq!(vault_msg[0].nonce, NONCE_V1 + U256::from(2));
    assert_eq!(
        (vault_msg[0].sender, vault_msg[0].target),
        (BASE_FEE_VAULT, DEFAULT_FEE_VAULT_RECIPIENT)
    );
    assert_eq!(vault_msg[0].value, withdrawal.value);
    assert_eq!(vault_msg[0].gasLimit, U256::from(400_000));
    let processed = f.view(
        BASE_FEE_VAULT,
        IFeeVault::totalProcessedCall {}.abi_encode(),
    );
    assert_eq!(
        IFeeVault::totalProcessedCall::abi_decode_returns(&processed).unwrap(),
        withdrawal.value
    );
    let min = f.view(
        BASE_FEE_VAULT,
        IFeeVault::minWithdrawalAmountCall {}.abi_encode(),
    );
    assert_eq!(
        IFeeVault::minWithdrawalAmountCall::abi_decode_returns(&min).unwrap(),
        U256::from(MIN_WITHDRAWAL)
    );
    // Only the withdraw transaction's own base fee came in after the vault emptied itself.
    assert!(f.balance(BASE_FEE_VAULT) < U256::from(MIN_WITHDRAWAL));
    let held = eth + eth / U256::from(2) + withdrawal.value;
    assert_eq!(f.balance(L2_TO_L1_MESSAGE_PASSER), held);
    let root2 = b2.header.withdrawals_root.unwrap();
    assert_ne!(root2, root1);
    assert_eq!(
        root2,
        f.chain
            .head_state()
            .unwrap()
            .clone()
            .storage_root(&L2_TO_L1_MESSAGE_PASSER)
    );

    // Block 3: burn() removes the withdrawn ETH from L2 and leaves the commitments alone.
    f.send(4, L2_TO_L1_MESSAGE_PASSER, U256::ZERO, {
        IL2ToL1MessagePasser::burnCall {}.abi_encode()
    });
    let b3 = f.block();
    assert!(status(&b3, 1));
    let burnt = logs(&b3, 1)
        .iter()
        .find_map(|l| IL2ToL1MessagePasser::WithdrawerBalanceBurnt::decode_log(l).ok())
        .expect("WithdrawerBalanceBurnt")
        .data;
    assert_eq!(burnt.amount, held);
    assert_eq!(f.balance(L2_TO_L1_MESSAGE_PASSER), U256::ZERO);
    assert_eq!(b3.header.withdrawals_root, Some(root2));
}
