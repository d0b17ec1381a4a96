#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! L1 reorgs of the dev chain (`L1Chain::rewind_to`): the dropped blocks vanish from every
//! look-up (by number, by hash, transactions, sidecars), the state goes back to the new
//! head's, the dropped transactions are returned rather than re-pooled so the new branch
//! differs, and finalized blocks cannot be dropped.

mod l1_support;

use alloy_primitives::{Address, Bytes, TxKind, U256, address};
use keel_devchain::l1::{L1ChainError, L1Config};
use l1_support::*;

const SINK: Address = address!("0x00000000000000000000000000000000005e1e02");
const INBOX: Address = address!("0xff00000000000000000000000000000000000902");

fn transfer(chain: &keel_devchain::l1::L1Chain, from: usize, nonce: u64) -> Vec<u8> {
    eip1559(
        chain,
        from,
        nonce,
        TxKind::Call(SINK),
        U256::from(1_000 + nonce),
        Bytes::new(),
        21_000,
    )
}

#[test]
fn rewind_drops_blocks_and_new_branch_differs() {
    let mut chain = chain();
    mine(&mut chain);
    let sender = key(1).address();
    // Blocks 2..=4 each hold one transfer of account 1; block 3 also a blob transaction.
    let mut old = Vec::new();
    let mut hashes = Vec::new();
    for nonce in 0..3u64 {
        let raw = transfer(&chain, 1, nonce);
        hashes.push(chain.send_raw_transaction(&raw).unwrap());
        if nonce == 1 {
            let (raw, _) = blob_tx(&chain, 2, 0, INBOX, vec![blob(b"frames")]);
            chain.send_raw_transaction(&raw).unwrap();
        }
        old.push(mine(&mut chain).block);
    }
    assert!(chain.blob_sidecars(3).is_some_and(|s| s.len() == 1));
    // A transaction of account 1 still pending (nonce 3) and one of another account.
    let gapped = chain.send_raw_transaction(&transfer(&chain, 1, 3)).unwrap();
    let other = chain.send_raw_transaction(&transfer(&chain, 4, 0)).unwrap();
    let head_before = chain.head().number();
    assert_eq!(head_before, 4);
    let nonce_at_1 = chain.state_at(1).unwrap().nonce(&sender);

    let rewound = chain.rewind_to(1).unwrap();
    assert_eq!(chain.head().number(), 1);
    assert_eq!(rewound.mined.len(), 4, "three transfers and the blob tx");
    assert_eq!(rewound.evicted.len(), 1);
    assert_eq!(rewound.evicted[0].hash(), gapped);
    assert!(chain.pending_transaction(&other).is_some());
    assert!(chain.pending_transaction(&gapped).is_none());
    for (block, hash) in old.iter().zip(&hashes) {
        assert!(chain.block_by_hash(&block.hash()).is_none());
        assert!(chain.block_by_number(block.number()).is_none());
        assert!(chain.transaction(hash).is_none());
        assert!(chain.transaction_location(hash).is_none());
    }
    assert!(chain.blob_sidecars(3).is_none());
    assert_eq!(chain.head_state().nonce(&sender), nonce_at_1);
    assert_eq!(chain.pending_nonce(&sender), nonce_at_1);
    assert!(matches!(
        chain.state_at(2),
        Err(L1ChainError::UnknownBlock(_))
    ));

    // The new branch at the same slots: only the other account's transfer, so every block
    // differs from the dropped one at its height.
    for block in &old {
        let built = chain.build_block(block.header.timestamp).unwrap();
        assert_eq!(built.block.number(), block.number());
        assert_ne!(built.block.hash(), block.hash());
    }
    assert_eq!(chain.head().number(), head_before);
    assert!(chain.transaction(&other).is_some());
    assert_eq!(chain.block_by_number(2).unwrap().transactions.len(), 1);
    // Account 1 can send again from its rewound nonce.
    let raw = transfer(&chain, 1, nonce_at_1);
    let info = send_and_mine(&mut chain, &raw);
    assert_eq!(info.block_number, 5);
}

#[test]
fn rewind_never_drops_finalized_blocks() {
    let cfg = L1Config::default();
    let mut chain = chain_with(cfg.clone());
    for _ in 0..cfg.finalized_lag + 3 {
        mine(&mut chain);
    }
    let finalized = chain.finalized().number();
    assert_eq!(
        chain.rewind_to(finalized - 1).unwrap_err(),
        L1ChainError::RewindPastFinalized {
            to: finalized - 1,
            finalized
        }
    );
    let head = chain.head().hash();
    assert!(
        chain
            .rewind_to(chain.head().number())
            .unwrap()
            .mined
            .is_empty()
    );
    assert_eq!(chain.head().hash(), head);
    chain.rewind_to(finalized).unwrap();
    assert_eq!(chain.head().number(), finalized);
}

#[test]
fn rewind_needs_the_kept_state() {
    let mut chain = chain_with(L1Config {
        max_states: 2,
        ..L1Config::default()
    });
    for _ in 0..6 {
        mine(&mut chain);
    }
    // Two states kept: genesis and block 5 (the head's apart); block 4's was pruned.
    assert_eq!(
        chain.rewind_to(4).unwrap_err(),
        L1ChainError::StatePruned(4)
    );
    chain.rewind_to(5).unwrap();
    assert_eq!(chain.head().number(), 5);
}
