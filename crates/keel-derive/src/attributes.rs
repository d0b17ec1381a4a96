//! The payload-attributes builder shared by the sequencer and derivation (op-node's
//! `PreparePayloadAttributes`).
//!
//! Spec: protocol/derivation.md#deriving-payload-attributes,
//! protocol/derivation.md#building-individual-payload-attributes, and each fork's
//! derivation and exec-engine pages.
//!
//! The builder is a pure function: the caller hands in the L2 parent, the parent's system
//! config, the epoch to build on and that L1 block's header (and receipts when the epoch
//! changes). It returns attributes holding only the forced transactions (L1-info deposit,
//! user deposits, network-upgrade transactions) with `no_tx_pool` set; the verifier then
//! appends the batch's transactions and the sequencer clears `no_tx_pool`.

use alloy_consensus::{Header, ReceiptEnvelope, Sealed};
use alloy_eips::{eip2718::Encodable2718, eip7840::BlobParams};
use alloy_primitives::{Address, B256, Bytes, address};
use alloy_rpc_types_engine::PayloadAttributes;
use keel_protocol::{
    config_update::{ReceiptsUpdateError, apply_receipts_config_updates},
    deposit::{UserDepositsError, user_deposits},
    hardfork::Hardfork,
    l1_info::{L1BlobFee, L1InfoError, L1Origin, l1_info_deposit},
    rollup_config::{BlockId, RollupConfig},
    system_config::SystemConfig,
    upgrades::upgrade_transactions_for_block,
};
use op_alloy_rpc_types_engine::OpPayloadAttributes;

use crate::{error::ErrorClass, types::L2BlockRef};

/// The `SequencerFeeVault` predeploy: every derived block's `suggestedFeeRecipient`.
///
/// Spec: protocol/predeploys.md#sequencerfeevault,
/// protocol/derivation.md#building-individual-payload-attributes
pub const SEQUENCER_FEE_VAULT: Address = address!("0x4200000000000000000000000000000000000011");

/// The epoch's L1 block as handed to the builder.
#[derive(Debug, Clone, Copy)]
pub struct EpochOrigin<'a> {
    /// The L1 origin's header, sealed with its hash. The builder trusts the seal: the caller
    /// fetched the header by that hash, or sealed it with `alloy_consensus::Sealable::seal_slow`.
    pub header: &'a Sealed<Header>,
    /// The L1 origin's receipts, all of them in block order. Required when the epoch changes
    /// (the first L2 block of an epoch carries its user deposits and config updates); ignored
    /// otherwise, so the sequencer need not fetch them for later blocks of the epoch.
    pub receipts: Option<&'a [ReceiptEnvelope]>,
    /// L1's blob parameters at this block (Cancun, Prague, Osaka, the BPO forks), as op-node
    /// reads them from the L1 chain config. `None` takes them from Keel's schedule of the
    /// rollup's L1 chain (`keel_protocol::l1_blob_schedule`: Ethereum mainnet, Sepolia,
    /// Holesky, Hoodi); for another L1 it infers Cancun or Prague from the header
    /// ([`L1Origin::from_header`]), which is wrong after a BPO fork — pass them for such L1s.
    pub l1_blob_params: Option<BlobParams>,
}

/// The builder's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedAttributes {
    /// The payload attributes: forced transactions only, `no_tx_pool: Some(true)`.
    pub attributes: OpPayloadAttributes,
    /// The system config in force for the new block: the parent's, with the epoch's
    /// `ConfigUpdate` logs applied on an epoch change.
    pub system_config: SystemConfig,
    /// The new block's sequence number within its epoch.
    pub sequence_number: u64,
    /// Number of user deposits in `attributes.transactions` (right after the L1-info deposit).
    pub deposit_count: usize,
    /// Malformed `ConfigUpdate` logs of the epoch's L1 block that were skipped, for the caller
    /// to log. Current op-node ignores them in the attributes builder (optimism PRs #18292
    /// and #19503): the spec says such an update "is not applied and is instead skipped".
    pub skipped_config_updates: Option<ReceiptsUpdateError>,
}

/// Why the attributes of the block after `parent` cannot be built on `epoch`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttributesError {
    /// The header handed in is not the epoch's block.
    #[error(
        "L1 origin data is block {got:?}, but the epoch is {epoch:?} (L2 parent {parent_number})"
    )]
    OriginDataMismatch {
        /// L2 parent number.
        parent_number: u64,
        /// The epoch asked for.
        epoch: BlockId,
        /// The block whose header was handed in.
        got: BlockId,
    },
    /// A new epoch needs the L1 origin's receipts and none were handed in.
    #[error("epoch {epoch:?} starts after L2 parent {parent_number}, but no receipts were given")]
    MissingReceipts {
        /// L2 parent number.
        parent_number: u64,
        /// The new epoch.
        epoch: BlockId,
    },
    /// The new epoch's L1 block does not extend the parent's L1 origin.
    #[error(
        "L1 origin {epoch:?} has parent {origin_parent}, not the L2 parent {parent_number}'s \
         L1 origin {parent_origin_hash}"
    )]
    EpochParentMismatch {
        /// L2 parent number.
        parent_number: u64,
        /// The new epoch.
        epoch: BlockId,
        /// The epoch block's parent hash.
        origin_parent: B256,
        /// The hash of the L2 parent's L1 origin (kept to a hash so the error stays small).
        parent_origin_hash: B256,
    },
    /// Same epoch number as the parent, but a different L1 block.
    #[error(
        "L1 origin {epoch:?} conflicts with L2 parent {parent_number}'s L1 origin {parent_origin:?}"
    )]
    EpochHashMismatch {
        /// L2 parent number.
        parent_number: u64,
        /// The epoch asked for.
        epoch: BlockId,
        /// The L2 parent's L1 origin.
        parent_origin: BlockId,
    },
    /// The epoch goes backwards from the parent's L1 origin.
    #[error(
        "L1 origin {epoch:?} is older than L2 parent {parent_number}'s L1 origin {parent_origin:?}"
    )]
    EpochBehindParent {
        /// L2 parent number.
        parent_number: u64,
        /// The epoch asked for.
        epoch: BlockId,
        /// The L2 parent's L1 origin.
        parent_origin: BlockId,
    },
    /// The L1 origin is newer than the block to build.
    #[error(
        "L2 block at time {l2_time} after parent {parent_number} is before its L1 origin {epoch:?} at time {origin_time}"
    )]
    OriginInFuture {
        /// L2 parent number.
        parent_number: u64,
        /// The epoch.
        epoch: BlockId,
        /// The new block's timestamp.
        l2_time: u64,
        /// The L1 origin's timestamp.
        origin_time: u64,
    },
    /// The epoch's deposit logs do not all decode; deposits may never be skipped.
    #[error("deposits of L1 origin {epoch:?} (L2 parent {parent_number}): {source}")]
    Deposits {
        /// L2 parent number.
        parent_number: u64,
        /// The epoch.
        epoch: BlockId,
        /// The malformed logs.
        source: UserDepositsError,
    },
    /// The L1-info deposit cannot be built from the system config.
    #[error("L1-info deposit after L2 parent {parent_number} on {epoch:?}: {source}")]
    L1Info {
        /// L2 parent number.
        parent_number: u64,
        /// The epoch.
        epoch: BlockId,
        /// Why.
        source: L1InfoError,
    },
    /// A counter (timestamp, sequence number) would overflow.
    #[error("{what} overflows after L2 parent {parent_number}")]
    Overflow {
        /// L2 parent number.
        parent_number: u64,
        /// Which counter.
        what: &'static str,
    },
    /// The block falls under a fork whose attributes rules Keel does not implement yet.
    #[error(
        "{fork:?} rules at L2 time {l2_time} (after parent {parent_number}) are not implemented"
    )]
    UnsupportedFork {
        /// L2 parent number.
        parent_number: u64,
        /// The fork.
        fork: Hardfork,
        /// The new block's timestamp.
        l2_time: u64,
    },
}

impl AttributesError {
    /// What the caller should do, as op-node classes each failure.
    pub const fn class(&self) -> ErrorClass {
        match self {
            Self::EpochParentMismatch { .. }
            | Self::EpochHashMismatch { .. }
            | Self::EpochBehindParent { .. }
            | Self::OriginInFuture { .. } => ErrorClass::Reset,
            Self::OriginDataMismatch { .. }
            | Self::MissingReceipts { .. }
            | Self::Deposits { .. }
            | Self::L1Info { .. }
            | Self::Overflow { .. }
            | Self::UnsupportedFork { .. } => ErrorClass::Critical,
        }
    }
}

/// Builds the payload attributes of the L2 block after `parent`, with L1 origin `epoch`.
///
/// Rules, in op-node's order:
/// - a new epoch (`epoch.number != parent.l1_origin.number`) must be the child of the
///   parent's L1 origin (else [`ErrorClass::Reset`]); its user deposits are derived from the
///   receipts (a malformed deposit log is [`ErrorClass::Critical`]: deposits may never be
///   skipped), its `ConfigUpdate` logs update the system config (malformed ones skipped, as
///   current op-node), and the sequence number is 0;
/// - otherwise the epoch must be the parent's L1 origin (Reset) and the sequence number is
///   the parent's plus one;
/// - the L1 origin's timestamp must not exceed the new block's (Reset);
/// - transactions: the L1-info deposit, the user deposits, then the upgrade transactions
///   of every fork activating at this block, oldest fork first;
/// - `prev_randao` is the L1 origin's mix hash, the fee recipient the `SequencerFeeVault`,
///   the gas limit the system config's; withdrawals are `Some(vec![])` from Canyon; the
///   parent beacon block root (from Ecotone) is the L1 origin's, or zero when it has none;
///   `eip_1559_params` (Holocene) and `min_base_fee` (Jovian) come from the system config.
///
/// Spec: protocol/derivation.md#building-individual-payload-attributes,
/// protocol/derivation.md#deriving-the-transaction-list, protocol/canyon/exec-engine.md,
/// protocol/ecotone/derivation.md, protocol/holocene/exec-engine.md#eip-1559-parameters-in-payloadattributesv3,
/// protocol/jovian/exec-engine.md#minimum-base-fee-in-payloadattributesv3.
pub fn prepare_payload_attributes(
    cfg: &RollupConfig,
    parent: &L2BlockRef,
    parent_system_config: &SystemConfig,
    epoch: BlockId,
    origin: EpochOrigin<'_>,
) -> Result<PreparedAttributes, AttributesError> {
    let parent_number = parent.number;
    let header = origin.header;
    let origin_id = BlockId {
        hash: header.hash(),
        number: header.number,
    };
    if origin_id != epoch {
        return Err(AttributesError::OriginDataMismatch {
            parent_number,
            epoch,
            got: origin_id,
        });
    }
    let parent_origin = parent.l1_origin;
    let mut system_config = *parent_system_config;
    let mut deposits = Vec::new();
    let mut skipped_config_updates = None;
    let sequence_number;
    if epoch.number != parent_origin.number {
        if epoch.number < parent_origin.number {
            return Err(AttributesError::EpochBehindParent {
                parent_number,
                epoch,
                parent_origin,
            });
        }
        let receipts = origin.receipts.ok_or(AttributesError::MissingReceipts {
            parent_number,
            epoch,
        })?;
        if header.parent_hash != parent_origin.hash {
            return Err(AttributesError::EpochParentMismatch {
                parent_number,
                epoch,
                origin_parent: header.parent_hash,
                parent_origin_hash: parent_origin.hash,
            });
        }
        deposits = user_deposits(receipts, cfg.deposit_contract_address, epoch.hash).map_err(
            |source| AttributesError::Deposits {
                parent_number,
                epoch,
                source,
            },
        )?;
        // op-node decides the scalar format of a config update by the L1 origin's time.
        let ecotone = cfg.is_active(Hardfork::Ecotone, header.timestamp);
        skipped_config_updates = apply_receipts_config_updates(
            &mut system_config,
            cfg.l1_system_config_address,
            receipts,
            ecotone,
        )
        .err();
        sequence_number = 0;
    } else {
        if epoch.hash != parent_origin.hash {
            return Err(AttributesError::EpochHashMismatch {
                parent_number,
                epoch,
                parent_origin,
            });
        }
        sequence_number =
            parent
                .sequence_number
                .checked_add(1)
                .ok_or(AttributesError::Overflow {
                    parent_number,
                    what: "sequence number",
                })?;
    }

    let l2_time =
        parent
            .timestamp
            .checked_add(cfg.block_time)
            .ok_or(AttributesError::Overflow {
                parent_number,
                what: "timestamp",
            })?;
    if l2_time < header.timestamp {
        return Err(AttributesError::OriginInFuture {
            parent_number,
            epoch,
            l2_time,
            origin_time: header.timestamp,
        });
    }
    check_supported(cfg, parent_number, l2_time)?;

    let mut l1_origin = L1Origin::from_l1_header(header, cfg.l1_chain_id);
    if let (Some(l1_params), Some(excess_blob_gas)) =
        (origin.l1_blob_params, header.excess_blob_gas)
    {
        l1_origin.blob_fee = L1BlobFee::Excess {
            excess_blob_gas,
            l1_params,
        };
    }
    let l1_info = l1_info_deposit(cfg, &system_config, &l1_origin, sequence_number, l2_time)
        .map_err(|source| AttributesError::L1Info {
            parent_number,
            epoch,
            source,
        })?;

    let upgrades = upgrade_transactions_for_block(cfg, l2_time);
    let deposit_count = deposits.len();
    let mut transactions = Vec::with_capacity(1 + deposit_count + upgrades.len());
    transactions.push(Bytes::from(l1_info.encoded_2718()));
    transactions.extend(deposits.iter().map(|d| Bytes::from(d.encoded_2718())));
    transactions.extend(upgrades);

    let attributes = OpPayloadAttributes {
        payload_attributes: PayloadAttributes {
            timestamp: l2_time,
            prev_randao: header.mix_hash,
            suggested_fee_recipient: SEQUENCER_FEE_VAULT,
            withdrawals: cfg.is_active(Hardfork::Canyon, l2_time).then(Vec::new),
            parent_beacon_block_root: cfg
                .is_active(Hardfork::Ecotone, l2_time)
                .then(|| header.parent_beacon_block_root.unwrap_or_default()),
            ..Default::default()
        },
        transactions: Some(transactions),
        no_tx_pool: Some(true),
        gas_limit: Some(system_config.gas_limit),
        eip_1559_params: cfg
            .is_active(Hardfork::Holocene, l2_time)
            .then_some(system_config.eip1559_params),
        min_base_fee: cfg
            .is_active(Hardfork::Jovian, l2_time)
            .then_some(system_config.min_base_fee),
    };
    Ok(PreparedAttributes {
        attributes,
        system_config,
        sequence_number,
        deposit_count,
        skipped_config_updates,
    })
}

/// Refuses blocks whose rules this builder does not know, rather than building attributes
/// that would diverge from op-node: Karst's activation block (its network-upgrade bundle and
/// one-time upgrade gas are not implemented in `keel-protocol`), and Interop (its
/// `DepositsComplete` transaction).
fn check_supported(
    cfg: &RollupConfig,
    parent_number: u64,
    l2_time: u64,
) -> Result<(), AttributesError> {
    let unsupported = if cfg.is_active(Hardfork::Interop, l2_time) {
        Some(Hardfork::Interop)
    } else if cfg.is_activation_block(Hardfork::Karst, l2_time) {
        Some(Hardfork::Karst)
    } else {
        None
    };
    match unsupported {
        Some(fork) => Err(AttributesError::UnsupportedFork {
            parent_number,
            fork,
            l2_time,
        }),
        None => Ok(()),
    }
}
