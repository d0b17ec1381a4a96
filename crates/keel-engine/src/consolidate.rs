//! Does a block the engine already holds match the attributes derivation produced for its
//! height? If so the block becomes safe without being executed again.
//!
//! Spec: protocol/derivation.md#engine-queue ("consolidation": the unsafe block is checked
//! against the derived attributes); op-node `attributes.AttributesMatchBlock`. Holocene's
//! and Jovian's fee parameters are compared through the header's `extraData`
//! (protocol/holocene/exec-engine.md#eip-1559-parameters-in-block-header,
//! protocol/jovian/exec-engine.md#minimum-base-fee-in-block-header).

use alloy_primitives::{Address, B256, Bytes};
use keel_protocol::{
    hardfork::Hardfork,
    rollup_config::{ExtraDataError, RollupConfig},
};
use op_alloy_rpc_types_engine::{
    OpExecutionPayload, OpExecutionPayloadEnvelope, OpPayloadAttributes,
};

/// The first field in which an existing block differs from derived attributes. Not an
/// error: a mismatch means "rebuild from the attributes", which reorgs the unsafe chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mismatch {
    /// The block's parent is not the attributes' parent.
    ParentHash {
        /// Expected parent.
        expected: B256,
        /// The block's parent.
        got: B256,
    },
    /// Timestamps differ.
    Timestamp {
        /// Attributes.
        expected: u64,
        /// Block.
        got: u64,
    },
    /// `prevRandao` differs.
    PrevRandao {
        /// Attributes.
        expected: B256,
        /// Block.
        got: B256,
    },
    /// Fee recipient differs.
    FeeRecipient {
        /// Attributes.
        expected: Address,
        /// Block.
        got: Address,
    },
    /// Gas limit differs, or the attributes carry none (op-node requires it).
    GasLimit {
        /// Attributes.
        expected: Option<u64>,
        /// Block.
        got: u64,
    },
    /// Transaction counts differ.
    TransactionCount {
        /// Attributes.
        expected: usize,
        /// Block.
        got: usize,
    },
    /// The transaction at `index` differs byte for byte.
    Transaction {
        /// Position in the block.
        index: usize,
    },
    /// Withdrawals: Canyon on, both must be present and empty; before Canyon, absent.
    Withdrawals {
        /// Why.
        reason: &'static str,
    },
    /// The parent beacon block root differs (Ecotone on) or is present when it must not be.
    ParentBeaconBlockRoot {
        /// Attributes.
        expected: Option<B256>,
        /// Block.
        got: Option<B256>,
    },
    /// The header's `extraData` is not what the attributes' `eip1559Params` (and, from
    /// Jovian, `minBaseFee`) make the engine write.
    ExtraData {
        /// What the attributes imply (empty if they cannot be encoded).
        expected: Bytes,
        /// The block's.
        got: Bytes,
    },
    /// Holocene is on but the attributes have no `eip1559Params`, Jovian on but no
    /// `minBaseFee`, or they are not encodable.
    FeeParams {
        /// Why.
        reason: ExtraDataError,
    },
}

/// Compares derived `attributes` on parent `parent_hash` with the block `envelope` the
/// engine holds at that height. Fork rules are taken at the block's timestamp (after the
/// timestamps were found equal).
pub fn attributes_match_block(
    cfg: &RollupConfig,
    attributes: &OpPayloadAttributes,
    parent_hash: B256,
    envelope: &OpExecutionPayloadEnvelope,
) -> Result<(), Mismatch> {
    let p = &envelope.execution_payload;
    let a = &attributes.payload_attributes;
    if p.parent_hash() != parent_hash {
        return Err(Mismatch::ParentHash {
            expected: parent_hash,
            got: p.parent_hash(),
        });
    }
    if p.timestamp() != a.timestamp {
        return Err(Mismatch::Timestamp {
            expected: a.timestamp,
            got: p.timestamp(),
        });
    }
    let ts = p.timestamp();
    if p.prev_randao() != a.prev_randao {
        return Err(Mismatch::PrevRandao {
            expected: a.prev_randao,
            got: p.prev_randao(),
        });
    }
    check_transactions(attributes.transactions.as_deref().unwrap_or_default(), p)?;
    if attributes.gas_limit != Some(p.gas_limit()) {
        return Err(Mismatch::GasLimit {
            expected: attributes.gas_limit,
            got: p.gas_limit(),
        });
    }
    check_withdrawals(cfg, attributes, p)?;
    if a.parent_beacon_block_root != envelope.parent_beacon_block_root {
        return Err(Mismatch::ParentBeaconBlockRoot {
            expected: a.parent_beacon_block_root,
            got: envelope.parent_beacon_block_root,
        });
    }
    if p.fee_recipient() != a.suggested_fee_recipient {
        return Err(Mismatch::FeeRecipient {
            expected: a.suggested_fee_recipient,
            got: p.fee_recipient(),
        });
    }
    check_fee_params(cfg, attributes, ts, &p.as_v1().extra_data)
}

fn check_transactions(expected: &[Bytes], p: &OpExecutionPayload) -> Result<(), Mismatch> {
    let got = p.transactions();
    if expected.len() != got.len() {
        return Err(Mismatch::TransactionCount {
            expected: expected.len(),
            got: got.len(),
        });
    }
    match expected.iter().zip(got).position(|(a, b)| a != b) {
        Some(index) => Err(Mismatch::Transaction { index }),
        None => Ok(()),
    }
}

/// Spec: protocol/canyon/exec-engine.md (withdrawals list empty, not absent) and
/// protocol/isthmus/exec-engine.md (`withdrawalsRoot` in the payload).
fn check_withdrawals(
    cfg: &RollupConfig,
    attributes: &OpPayloadAttributes,
    p: &OpExecutionPayload,
) -> Result<(), Mismatch> {
    let ts = p.timestamp();
    let attr = attributes.payload_attributes.withdrawals.as_ref();
    let block = p.as_v2().map(|v2| &v2.withdrawals);
    if cfg.is_active(Hardfork::Canyon, ts) {
        if attr.is_none_or(|w| !w.is_empty()) {
            return Err(Mismatch::Withdrawals {
                reason: "attributes must carry an empty withdrawals list from Canyon",
            });
        }
        if block.is_none_or(|w| !w.is_empty()) {
            return Err(Mismatch::Withdrawals {
                reason: "block must carry an empty withdrawals list from Canyon",
            });
        }
        if cfg.is_active(Hardfork::Isthmus, ts) && p.as_v4().is_none() {
            return Err(Mismatch::Withdrawals {
                reason: "block lacks withdrawalsRoot after Isthmus",
            });
        }
    } else if attr.is_some() || block.is_some_and(|w| !w.is_empty()) {
        return Err(Mismatch::Withdrawals {
            reason: "withdrawals present before Canyon",
        });
    }
    Ok(())
}

/// From Holocene the engine writes the attributes' `eip1559Params` (and from Jovian
/// `minBaseFee`) into `extraData`; the block must carry exactly what the protocol's rule
/// ([`RollupConfig::header_extra_data`]) gives for these attributes.
fn check_fee_params(
    cfg: &RollupConfig,
    attributes: &OpPayloadAttributes,
    ts: u64,
    extra_data: &Bytes,
) -> Result<(), Mismatch> {
    // Before Holocene op-node does not compare extraData (engines were free to fill it).
    if !cfg.is_active(Hardfork::Holocene, ts) {
        return Ok(());
    }
    let expected = cfg
        .header_extra_data(attributes.eip_1559_params, attributes.min_base_fee, ts)
        .map_err(|reason| Mismatch::FeeParams { reason })?;
    if &expected != extra_data {
        return Err(Mismatch::ExtraData {
            expected,
            got: extra_data.clone(),
        });
    }
    Ok(())
}
