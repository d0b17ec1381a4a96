//! The test driver: answers the pipeline's steps from a simulated [`World`] and compares the
//! derived chain with the sequenced one.

use alloy_consensus::ReceiptEnvelope;
use keel_derive::{
    error::DeriveError,
    pipeline::{Pipeline, Step},
    stages::attributes_queue::DerivedAttributes,
    types::{L1BlockRef, L2BlockInput, L2BlockRef},
};
use keel_protocol::channel_builder::BatchKind;

use super::sim::{GENESIS_NUMBER, World, execute, genesis_system_config};

/// The driver's view of the derived safe chain.
#[derive(Debug, Clone)]
pub struct Derived {
    /// Derived blocks' attributes, in order.
    pub attrs: Vec<DerivedAttributes>,
    /// The safe head.
    pub safe: L2BlockRef,
    /// Derived safe blocks by number (genesis included).
    pub blocks: Vec<L2BlockInput>,
    /// `NeedL2Block` requests answered.
    pub l2_requests: usize,
}

impl Derived {
    /// Starting at genesis.
    pub fn new(w: &World) -> Self {
        Self {
            attrs: Vec::new(),
            safe: w.genesis,
            blocks: vec![L2BlockInput {
                block_ref: w.genesis,
                transactions: Vec::new(),
                system_config: genesis_system_config(),
            }],
            l2_requests: 0,
        }
    }
}

/// Runs the pipeline against `w` until it asks for an L1 block past the end (or the first
/// `stop_at_l1` block number). Returns the error if a step fails.
pub fn drive(
    w: &World,
    p: &mut Pipeline,
    d: &mut Derived,
    stop_at_l1: Option<u64>,
) -> Result<(), DeriveError> {
    let mut guard = 0u64;
    loop {
        guard += 1;
        assert!(guard < 5_000_000, "driver loop does not terminate");
        match p.step(d.safe)? {
            Step::Attributes(a) => {
                assert_eq!(a.parent, d.safe, "attributes on the wrong parent");
                let new = execute(&d.safe, &a.attributes);
                let sys =
                    w.l2.get(new.number as usize - 1)
                        .map_or_else(genesis_system_config, |b| b.system_config);
                d.blocks.truncate(new.number as usize);
                d.blocks.push(L2BlockInput {
                    block_ref: new,
                    transactions: a.attributes.transactions.clone().unwrap(),
                    system_config: sys,
                });
                d.safe = new;
                d.attrs.truncate(new.number as usize - 1);
                d.attrs.push(*a);
            }
            Step::NeedL1Block(n) => {
                if stop_at_l1.is_some_and(|s| n >= s) {
                    return Ok(());
                }
                let Some(b) = w.l1.get((n - GENESIS_NUMBER) as usize) else {
                    return Ok(());
                };
                p.provide_l1_block(b.clone())?;
            }
            Step::NeedBlobs { block, hashes } => {
                let blobs = hashes.iter().map(|h| w.blobs[h].clone()).collect();
                p.provide_blobs(block.hash, blobs)?;
            }
            Step::NeedL2Block(n) => {
                d.l2_requests += 1;
                p.provide_l2_block(d.blocks[n as usize].clone())?;
            }
        }
    }
}

/// Asserts the derived chain equals the sequenced one, block by block.
pub fn assert_same_chain(w: &World, d: &Derived, kind: BatchKind, label: &str) {
    assert_eq!(
        d.attrs.len(),
        w.l2.len(),
        "{label}: derived {} blocks, sequenced {}",
        d.attrs.len(),
        w.l2.len()
    );
    for (i, (a, s)) in d.attrs.iter().zip(&w.l2).enumerate() {
        assert_eq!(
            a.attributes,
            s.attributes,
            "{label}: attributes of block {}",
            i + 1
        );
        assert_eq!(
            d.blocks[i + 1].block_ref,
            s.block_ref,
            "{label}: block {}",
            i + 1
        );
        if kind == BatchKind::Span {
            assert_eq!(
                a.is_last_in_span,
                s.last_in_channel,
                "{label}: span end at {}",
                i + 1
            );
        } else {
            assert!(
                a.is_last_in_span,
                "{label}: singular batch {} not last",
                i + 1
            );
        }
    }
}

/// L1 reference at `number` in `w`.
pub fn l1_ref(w: &World, number: u64) -> L1BlockRef {
    w.l1[(number - GENESIS_NUMBER) as usize].block_ref
}

/// Receipts of an L1 block (for empty-batch expectations).
pub fn l1_receipts(w: &World, number: u64) -> &[ReceiptEnvelope] {
    &w.l1[(number - GENESIS_NUMBER) as usize].receipts
}
