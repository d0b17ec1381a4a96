#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! L1 traversal and L1 retrieval: reorg detection, system-config updates, batcher
//! authentication, blobs.

mod common;

use std::sync::Arc;

use alloy_consensus::TxEnvelope;
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B256, Bytes, address};
use common::chain::*;
use keel_derive::{
    error::{DeriveError, ErrorClass},
    stages::{
        frame_queue::FrameQueue,
        retrieval::{DataItem, RetrievalError, batcher_data, blob_hashes, resolve, verify_blobs},
        traversal::{L1Traversal, TraversalError},
    },
    types::L1BlockInput,
};
use keel_protocol::{
    blob::{BLOB_SIZE, BlobError, kzg_commitment, versioned_hash},
    frame::parse_frames,
};

fn traversal(
    cfg: &Arc<keel_protocol::rollup_config::RollupConfig>,
    batcher: Address,
) -> L1Traversal {
    L1Traversal::new(Arc::clone(cfg), genesis(), sys(batcher))
}

#[test]
fn traversal_follows_parent_hashes_and_detects_reorgs() {
    let cfg = Arc::new(config(None, None, None));
    let mut t = traversal(&cfg, Address::ZERO);
    let mut chain = ChainBuilder::new();
    let b1 = chain.empty();
    t.advance(&b1).unwrap();
    assert_eq!(t.origin(), b1.block_ref);
    assert_eq!(t.next_number(), b1.block_ref.number + 1);

    // A block at the right height on another branch: a reorg, Reset class.
    let mut fork = ChainBuilder::new();
    fork.head.hash = B256::repeat_byte(0xee);
    let _ = fork.empty(); // height of b1, other parent
    let other = fork.empty();
    let err = t.advance(&other).unwrap_err();
    assert!(
        matches!(err, TraversalError::ParentHashMismatch { number, .. } if number == b1.block_ref.number + 1)
    );
    assert_eq!(err.class(), ErrorClass::Reset);
    assert_eq!(DeriveError::from(err).class(), ErrorClass::Reset);
    assert_eq!(t.origin(), b1.block_ref, "a refused block changes nothing");

    // Skipping a block or repeating one is the caller's mistake: retry.
    let b2 = chain.empty();
    let b3 = chain.empty();
    let err = t.advance(&b3).unwrap_err();
    assert_eq!(
        err,
        TraversalError::UnexpectedNumber {
            expected: b2.block_ref.number,
            got: b3.block_ref.number
        }
    );
    assert_eq!(err.class(), ErrorClass::Temporary);
    assert!(t.advance(&b1).is_err());

    // Parts that disagree are refused.
    let mut bad = b2.clone();
    bad.receipts.push(receipt(true, vec![]));
    assert!(matches!(
        t.advance(&bad),
        Err(TraversalError::Inconsistent { .. })
    ));
    let mut bad = b2.clone();
    bad.header.timestamp += 1;
    assert!(matches!(
        t.advance(&bad),
        Err(TraversalError::Inconsistent { .. })
    ));

    t.advance(&b2).unwrap();
    t.advance(&b3).unwrap();

    // Reset moves back.
    t.reset(b1.block_ref, sys(Address::repeat_byte(7)));
    assert_eq!(t.origin(), b1.block_ref);
    assert_eq!(t.system_config().batcher_addr, Address::repeat_byte(7));
    t.advance(&b2).unwrap();
}

#[test]
fn batcher_authentication() {
    let cfg = config(None, None, None);
    let batcher = key(1);
    let stranger = key(2);
    let b = addr(&batcher);
    let data = payload(&[frame(1, 0, b"x", true)]);
    let txs = vec![
        tx_1559(&batcher, L1_CHAIN_ID, INBOX, &[0, 1]), // accepted
        tx_1559(&stranger, L1_CHAIN_ID, INBOX, &[0, 2]), // wrong sender
        tx_1559(&batcher, L1_CHAIN_ID, Address::repeat_byte(3), &[0, 3]), // wrong address
        tx_1559(&batcher, L1_CHAIN_ID + 1, INBOX, &[0, 4]), // signed for another chain
        tx_legacy(&batcher, INBOX, &[0, 5]),            // legacy EIP-155: accepted
        tx_7702(&batcher, INBOX, &[0, 6]),              // type 4: not a batcher type
        tx_1559(&batcher, L1_CHAIN_ID, INBOX, &data),   // accepted, reverted receipt
    ];
    let receipts = vec![
        receipt(true, vec![]),
        receipt(true, vec![]),
        receipt(true, vec![]),
        receipt(true, vec![]),
        receipt(true, vec![]),
        receipt(true, vec![]),
        receipt(false, vec![]),
    ];
    let block = ChainBuilder::new().block_with(txs, receipts);
    let items = batcher_data(&block, &cfg, b);
    assert_eq!(
        items,
        vec![
            DataItem::Calldata(Bytes::from_static(&[0, 1])),
            DataItem::Calldata(Bytes::from_static(&[0, 5])),
            DataItem::Calldata(Bytes::from(data)),
        ]
    );
    // Under another batcher address only the stranger's tx is accepted.
    let items = batcher_data(&block, &cfg, addr(&stranger));
    assert_eq!(items, vec![DataItem::Calldata(Bytes::from_static(&[0, 2]))]);
}

#[test]
fn garbage_in_the_inbox_drops_only_that_transaction() {
    let cfg = Arc::new(config(None, None, None));
    let batcher = key(1);
    let good = payload(&[frame(1, 0, b"abc", true)]);
    let block = ChainBuilder::new().block(vec![
        tx_1559(&batcher, L1_CHAIN_ID, INBOX, b"hello, inbox"),
        tx_1559(&batcher, L1_CHAIN_ID, INBOX, &[]),
        tx_1559(&batcher, L1_CHAIN_ID, INBOX, &[0, 1, 2, 3]),
        tx_1559(&batcher, L1_CHAIN_ID, INBOX, &good),
    ]);
    let resolved = resolve(batcher_data(&block, &cfg, addr(&batcher)), &[]).unwrap();
    assert_eq!(resolved.data.len(), 4);
    let mut fq = FrameQueue::new(Arc::clone(&cfg));
    let results: Vec<_> = resolved
        .data
        .iter()
        .map(|d| fq.push(d, block.block_ref))
        .collect();
    assert!(results[0].is_err() && results[1].is_err() && results[2].is_err());
    assert_eq!(results[3], Ok(1));
    let (f, l1) = fq.next_frame().unwrap();
    assert_eq!((f.data.as_ref(), l1), (b"abc".as_ref(), block.block_ref));
    assert!(fq.is_empty());
}

#[test]
fn config_update_applies_to_its_own_block() {
    // op-node's AdvanceL1Block applies block N's ConfigUpdate logs before L1Retrieval opens
    // block N with SystemConfig().BatcherAddr: the new batcher counts from block N itself,
    // whatever the position of the update in the block.
    let cfg = config(None, None, None);
    let old = key(1);
    let new = key(2);
    let mut side = L1Side::new(cfg, genesis(), sys(addr(&old)));
    let mut chain = ChainBuilder::new();

    let ch = |id: u8| payload(&[frame(id, 0, &[id; 4], true)]);
    // Block 1: old batcher posts channel 1.
    let b1 = chain.block(vec![tx_1559(&old, L1_CHAIN_ID, INBOX, &ch(1))]);
    let got = side.feed(&b1, &[]).unwrap();
    assert_eq!(got.iter().map(|c| c.id).collect::<Vec<_>>(), vec![cid(1)]);

    // Block 2: old batcher posts channel 2 *before* the update tx, new batcher channel 3 after.
    let b2 = chain.block_with(
        vec![
            tx_1559(&old, L1_CHAIN_ID, INBOX, &ch(2)),
            tx_1559(&key(9), L1_CHAIN_ID, SYS_CFG, &[]),
            tx_1559(&new, L1_CHAIN_ID, INBOX, &ch(3)),
        ],
        vec![
            receipt(true, vec![]),
            receipt(true, vec![batcher_update_log(addr(&new))]),
            receipt(true, vec![]),
        ],
    );
    let got = side.feed(&b2, &[]).unwrap();
    assert_eq!(side.traversal.system_config().batcher_addr, addr(&new));
    assert_eq!(got.iter().map(|c| c.id).collect::<Vec<_>>(), vec![cid(3)]);

    // Block 3: the old batcher is rejected, the new one accepted.
    let b3 = chain.block(vec![
        tx_1559(&old, L1_CHAIN_ID, INBOX, &ch(4)),
        tx_1559(&new, L1_CHAIN_ID, INBOX, &ch(5)),
    ]);
    let got = side.feed(&b3, &[]).unwrap();
    assert_eq!(got.iter().map(|c| c.id).collect::<Vec<_>>(), vec![cid(5)]);

    // An update in a reverted receipt is not applied.
    let b4 = chain.block_with(
        vec![tx_1559(&key(9), L1_CHAIN_ID, SYS_CFG, &[])],
        vec![receipt(false, vec![batcher_update_log(addr(&old))])],
    );
    side.feed(&b4, &[]).unwrap();
    assert_eq!(side.traversal.system_config().batcher_addr, addr(&new));
}

#[test]
fn malformed_config_update_is_reported_not_fatal() {
    let cfg = Arc::new(config(None, None, None));
    let mut t = traversal(&cfg, Address::ZERO);
    let mut log = batcher_update_log(Address::repeat_byte(4));
    log.data = alloy_primitives::LogData::new_unchecked(
        log.data.topics().to_vec(),
        Bytes::from_static(&[1, 2, 3]),
    );
    let good = batcher_update_log(Address::repeat_byte(5));
    let block = ChainBuilder::new().block_with(
        vec![tx_1559(&key(9), L1_CHAIN_ID, SYS_CFG, &[])],
        vec![receipt(true, vec![log, good])],
    );
    let adv = t.advance(&block).unwrap();
    assert_eq!(adv.config_errors.unwrap().errors.len(), 1);
    assert_eq!(t.system_config().batcher_addr, Address::repeat_byte(5));
}

#[test]
fn blob_transactions_before_and_after_ecotone() {
    let batcher = key(1);
    let (blob_a, hash_a) = blob(&payload(&[frame(1, 0, b"from a blob", true)]));
    let (_, hash_other) = blob(b"someone else's blob");
    let other_blob_tx = tx_blob(&key(3), Address::repeat_byte(3), vec![hash_other], &[]);
    let batcher_blob_tx = tx_blob(
        &batcher,
        INBOX,
        vec![hash_a],
        &payload(&[frame(2, 0, b"calldata", true)]),
    );

    // Genesis L1 time 1000, first block at 1012. Ecotone at 1012: the block is Ecotone.
    let post = config(Some(1_012), None, None);
    let block = ChainBuilder::new().block(vec![other_blob_tx.clone(), batcher_blob_tx.clone()]);
    let items = batcher_data(&block, &post, addr(&batcher));
    // The calldata of the blob tx is ignored; the sidecar index counts the other tx's blob.
    assert_eq!(
        items,
        vec![DataItem::Blob {
            index: 1,
            hash: hash_a
        }]
    );
    assert_eq!(blob_hashes(&items), vec![hash_a]);
    verify_blobs(&items, std::slice::from_ref(&blob_a)).unwrap();
    let resolved = resolve(items, std::slice::from_ref(&blob_a)).unwrap();
    assert_eq!(
        parse_frames(&resolved.data[0]).unwrap()[0].data.as_ref(),
        b"from a blob"
    );

    // Before Ecotone no blob is fetched; like op-node's calldata source, the blob tx is a
    // batcher tx like any other and its calldata is read.
    let pre = config(Some(1_013), None, None);
    let items = batcher_data(&block, &pre, addr(&batcher));
    assert_eq!(items.len(), 1);
    assert!(
        matches!(&items[0], DataItem::Calldata(d) if parse_frames(d).unwrap()[0].data.as_ref() == b"calldata")
    );
    assert!(blob_hashes(&items).is_empty());
}

#[test]
fn undecodable_blob_is_skipped_and_wrong_blobs_are_refused() {
    let batcher = key(1);
    let (good, good_hash) = blob(&payload(&[frame(1, 0, b"ok", true)]));
    // A valid field-element blob that is not an OP encoding: version byte 1.
    let mut bad = good.clone();
    bad[1] = 1;
    let bad_hash = versioned_hash(&kzg_commitment(&bad).unwrap().0);
    let cfg = config(Some(0), None, None);
    let block = ChainBuilder::new().block(vec![
        tx_blob(&batcher, INBOX, vec![bad_hash, good_hash], &[]),
        tx_1559(&batcher, L1_CHAIN_ID, INBOX, &[0xde, 0xad]),
    ]);
    let items = batcher_data(&block, &cfg, addr(&batcher));
    let blobs: Vec<Box<[u8; BLOB_SIZE]>> = vec![bad.clone(), good.clone()];
    verify_blobs(&items, &blobs).unwrap();
    let resolved = resolve(items.clone(), &blobs).unwrap();
    assert_eq!(resolved.data.len(), 2, "good blob and calldata, in order");
    assert_eq!(resolved.data[1].as_ref(), &[0xde, 0xad]);
    assert_eq!(resolved.skipped.len(), 1);
    assert_eq!(
        (resolved.skipped[0].index, resolved.skipped[0].hash),
        (0, bad_hash)
    );
    assert!(matches!(
        resolved.skipped[0].error,
        BlobError::UnknownVersion { version: 1 }
    ));

    // Swapped blobs fail verification; a missing blob fails both steps. Both Temporary.
    let swapped = vec![good.clone(), bad.clone()];
    let err = verify_blobs(&items, &swapped).unwrap_err();
    assert!(matches!(err, RetrievalError::BlobMismatch { index: 0, .. }));
    assert_eq!(err.class(), ErrorClass::Temporary);
    let err = resolve(items.clone(), &blobs[..1]).unwrap_err();
    assert!(matches!(
        err,
        RetrievalError::BlobCount {
            expected: 2,
            got: 1
        }
    ));
    assert!(verify_blobs(&items, &blobs[..1]).is_err());
}

#[test]
fn real_op_mainnet_batcher_calldata_tx() {
    // kona testdata: a real OP Mainnet batcher tx; its signature must recover the batcher.
    let raw = common::read_bytes("../../keel-protocol/testdata/framing/kona/raw_batcher_tx.bin");
    let tx = TxEnvelope::decode_2718(&mut raw.as_slice()).unwrap();
    let mut cfg = config(None, None, None);
    cfg.l1_chain_id = 1;
    cfg.batch_inbox_address = address!("0xFF00000000000000000000000000000000000010");
    let batcher = address!("0x6887246668a3b87F54DeB3b94Ba47a6f63F32985");
    let block = L1BlockInput::new(
        alloy_consensus::Header {
            number: 1,
            ..Default::default()
        },
        vec![tx],
        vec![receipt(true, vec![])],
    );
    let items = batcher_data(&block, &cfg, batcher);
    let [DataItem::Calldata(data)] = items.as_slice() else {
        panic!("one calldata item: {items:?}")
    };
    assert_eq!(data.len(), 119_823);
    let frames = parse_frames(data).unwrap();
    assert_eq!(
        frames[0].channel_id.to_string(),
        "0xac329933f5efdcc35ccd284232a376d3"
    );
    assert!(batcher_data(&block, &cfg, Address::repeat_byte(1)).is_empty());
    cfg.l1_chain_id = 10;
    assert!(
        batcher_data(&block, &cfg, batcher).is_empty(),
        "signed for chain 1"
    );
}

#[test]
fn real_unichain_blobs_form_a_channel() {
    // derivexex testdata: three real Unichain Mainnet batcher blobs, in tx order.
    let fixture = common::read_json(
        "../../keel-protocol/testdata/framing/unichain-blobs/unichain_blobs_fixture.json",
    );
    let hashes: Vec<B256> = fixture["blob_versioned_hashes_in_tx_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap().parse().unwrap())
        .collect();
    let blobs: Vec<Box<[u8; BLOB_SIZE]>> = hashes
        .iter()
        .map(|h| {
            let file = fixture["blob_files"][h.to_string()].as_str().unwrap();
            let bytes = common::read_bytes(&format!(
                "../../keel-protocol/testdata/framing/unichain-blobs/{file}"
            ));
            Box::new(<[u8; BLOB_SIZE]>::try_from(bytes.as_slice()).unwrap())
        })
        .collect();
    let batcher = key(1);
    // Our own signed blob tx referencing the real hashes (the original tx is not in the data).
    let cfg = config(Some(0), Some(0), None);
    let mut side = L1Side::new(cfg.clone(), genesis(), sys(addr(&batcher)));
    let block = ChainBuilder::new().block(vec![tx_blob(&batcher, INBOX, hashes.clone(), &[])]);
    let items = batcher_data(&block, &cfg, addr(&batcher));
    assert_eq!(blob_hashes(&items), hashes);
    verify_blobs(&items, &blobs).unwrap();
    let channels = side.feed(&block, &blobs).unwrap();
    assert!(!channels.is_empty(), "at least one complete channel");
    for ch in &channels {
        assert_eq!(ch.l1, block.block_ref);
        // Fjord is active: brotli channels (version byte 1) or zlib.
        assert!(
            ch.data
                .first()
                .is_some_and(|b| *b == 1 || b & 0x0f == 8 || b & 0x0f == 15)
        );
    }
}
