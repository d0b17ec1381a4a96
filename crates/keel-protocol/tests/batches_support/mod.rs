//! Transaction and batch generators shared by the batch property and fuzz tests.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use alloy_consensus::{Signed, TxEip1559, TxEip2930, TxEip7702, TxEnvelope, TxLegacy};
use alloy_eips::eip2718::Encodable2718;
use alloy_eips::eip2930::{AccessList, AccessListItem};
use alloy_eips::eip7702::{Authorization, SignedAuthorization};
use alloy_primitives::{Address, B256, Bytes, Signature, TxKind, U256};
use keel_protocol::batch::SingleBatch;
use proptest::prelude::*;

pub const CHAIN_ID: u64 = 901;
pub const GENESIS: u64 = 1_700_000_000;
pub const BLOCK_TIME: u64 = 2;

fn u256() -> impl Strategy<Value = U256> {
    prop_oneof![
        any::<u64>().prop_map(U256::from),
        any::<[u8; 32]>().prop_map(U256::from_be_bytes)
    ]
}

fn access_list() -> impl Strategy<Value = AccessList> {
    prop::collection::vec(
        (
            any::<[u8; 20]>(),
            prop::collection::vec(any::<[u8; 32]>(), 0..3),
        )
            .prop_map(|(a, keys)| AccessListItem {
                address: Address::from(a),
                storage_keys: keys.into_iter().map(B256::from).collect(),
            }),
        0..3,
    )
    .prop_map(AccessList)
}

fn auth_list() -> impl Strategy<Value = Vec<SignedAuthorization>> {
    prop::collection::vec(
        (
            u256(),
            any::<[u8; 20]>(),
            any::<u64>(),
            any::<u8>(),
            u256(),
            u256(),
        )
            .prop_map(|(c, a, n, y, r, s)| {
                SignedAuthorization::new_unchecked(
                    Authorization {
                        chain_id: c,
                        address: Address::from(a),
                        nonce: n,
                    },
                    y,
                    r,
                    s,
                )
            }),
        0..3,
    )
}

/// Fields every transaction type shares.
#[derive(Debug, Clone)]
struct Common {
    nonce: u64,
    gas: u64,
    to: Option<Address>,
    value: U256,
    data: Bytes,
    sig: Signature,
    fee_a: u128,
    fee_b: u128,
}

fn common() -> impl Strategy<Value = Common> {
    (
        any::<u64>(),
        any::<u64>(),
        prop::option::of(any::<[u8; 20]>()),
        u256(),
        prop::collection::vec(any::<u8>(), 0..80),
        (u256(), u256(), any::<bool>()),
        any::<u128>(),
        any::<u128>(),
    )
        .prop_map(
            |(nonce, gas, to, value, data, (r, s, y), fee_a, fee_b)| Common {
                nonce,
                gas,
                to: to.map(Address::from),
                value,
                data: data.into(),
                sig: Signature::new(r, s, y),
                fee_a,
                fee_b,
            },
        )
}

/// A signed transaction of any span-batch type (legacy with and without EIP-155, 2930, 1559,
/// 7702) for `CHAIN_ID`, EIP-2718 encoded. Signatures are random: they encode, not recover.
pub fn any_tx() -> impl Strategy<Value = Bytes> {
    (
        0u8..5,
        common(),
        access_list(),
        auth_list(),
        any::<[u8; 20]>(),
    )
        .prop_map(|(kind, c, al, auths, to7702)| {
            let to = c.to.map_or(TxKind::Create, TxKind::Call);
            let env = match kind {
                0 | 1 => TxEnvelope::Legacy(Signed::new_unhashed(
                    TxLegacy {
                        chain_id: (kind == 1).then_some(CHAIN_ID),
                        nonce: c.nonce,
                        gas_price: c.fee_a,
                        gas_limit: c.gas,
                        to,
                        value: c.value,
                        input: c.data,
                    },
                    c.sig,
                )),
                2 => TxEnvelope::Eip2930(Signed::new_unhashed(
                    TxEip2930 {
                        chain_id: CHAIN_ID,
                        nonce: c.nonce,
                        gas_price: c.fee_a,
                        gas_limit: c.gas,
                        to,
                        value: c.value,
                        input: c.data,
                        access_list: al,
                    },
                    c.sig,
                )),
                3 => TxEnvelope::Eip1559(Signed::new_unhashed(
                    TxEip1559 {
                        chain_id: CHAIN_ID,
                        nonce: c.nonce,
                        gas_limit: c.gas,
                        max_fee_per_gas: c.fee_a,
                        max_priority_fee_per_gas: c.fee_b,
                        to,
                        value: c.value,
                        access_list: al,
                        input: c.data,
                    },
                    c.sig,
                )),
                _ => TxEnvelope::Eip7702(Signed::new_unhashed(
                    TxEip7702 {
                        chain_id: CHAIN_ID,
                        nonce: c.nonce,
                        gas_limit: c.gas,
                        max_fee_per_gas: c.fee_a,
                        max_priority_fee_per_gas: c.fee_b,
                        to: Address::from(to7702),
                        value: c.value,
                        access_list: al,
                        authorization_list: auths,
                        input: c.data,
                    },
                    c.sig,
                )),
            };
            env.encoded_2718().into()
        })
}

/// Consecutive singular batches a span batch can express: timestamps `BLOCK_TIME` apart from
/// genesis onwards, epochs that stay or advance by one, 0..4 txs each.
pub fn singular_run(max_blocks: usize) -> impl Strategy<Value = Vec<SingleBatch>> {
    (
        0u64..1_000_000,
        1u64..1_000_000,
        any::<[u8; 32]>(),
        prop::collection::vec(
            (any::<bool>(), prop::collection::vec(any_tx(), 0..4)),
            1..=max_blocks,
        ),
    )
        .prop_map(|(rel_blocks, first_epoch, parent, blocks)| {
            let mut epoch = first_epoch;
            blocks
                .into_iter()
                .enumerate()
                .map(|(i, (advance, transactions))| {
                    if i > 0 && advance {
                        epoch += 1;
                    }
                    SingleBatch {
                        parent_hash: if i == 0 {
                            B256::from(parent)
                        } else {
                            B256::ZERO
                        },
                        epoch_num: epoch,
                        epoch_hash: epoch_hash(epoch),
                        timestamp: GENESIS + (rel_blocks + i as u64) * BLOCK_TIME,
                        transactions,
                    }
                })
                .collect()
        })
}

/// The made-up L1 hash of an epoch, so conversions back to singular batches can look it up.
pub fn epoch_hash(epoch: u64) -> B256 {
    let mut h = [0x11u8; 32];
    h[24..].copy_from_slice(&epoch.to_be_bytes());
    B256::from(h)
}

/// A realistic span batch input, deterministic: `blocks` blocks of `txs_per_block` EIP-1559
/// transfers with 68-byte calldata, a new epoch every 6 blocks.
pub fn realistic_blocks(blocks: u64, txs_per_block: u64) -> Vec<SingleBatch> {
    let mut seed = 0x6b65_656cu64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        seed
    };
    (0..blocks)
        .map(|i| {
            let transactions = (0..txs_per_block)
                .map(|j| {
                    let mut input = vec![0xa9, 0x05, 0x9c, 0xbb];
                    input.extend((0..64).map(|_| next() as u8));
                    let tx = TxEip1559 {
                        chain_id: CHAIN_ID,
                        nonce: i * txs_per_block + j,
                        gas_limit: 21_000 + (next() % 100_000),
                        max_fee_per_gas: 1_000_000_000 + u128::from(next() % 1_000_000),
                        max_priority_fee_per_gas: 1_000_000,
                        to: TxKind::Call(Address::from_word(B256::from(U256::from(next())))),
                        value: U256::from(next()),
                        access_list: AccessList::default(),
                        input: input.into(),
                    };
                    let sig = Signature::new(
                        U256::from(next()) << 128 | U256::from(next()),
                        U256::from(next()),
                        next() & 1 == 1,
                    );
                    TxEnvelope::Eip1559(Signed::new_unhashed(tx, sig))
                        .encoded_2718()
                        .into()
                })
                .collect();
            SingleBatch {
                parent_hash: if i == 0 {
                    B256::repeat_byte(0xab)
                } else {
                    B256::ZERO
                },
                epoch_num: 100 + i / 6,
                epoch_hash: epoch_hash(100 + i / 6),
                timestamp: GENESIS + i * BLOCK_TIME,
                transactions,
            }
        })
        .collect()
}
