//! Round-trip property tests: L1-attributes build → encode → decode for each format,
//! deposit log encode → decode, output root preimage encode → decode.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod deposits_support;

use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use deposits_support::*;
use keel_protocol::{
    deposit::{decode_deposit_log, encode_deposit_log},
    l1_info::{
        L1BlobFee, L1BlockInfo, L1BlockInfoBedrock, L1BlockInfoEcotone, L1BlockInfoIsthmus,
        L1BlockInfoJovian, L1InfoFormat, L1Origin, l1_block_info,
    },
    output_root::OutputRootV0,
};
use op_alloy_consensus::{TxDeposit, UserDepositSource};
use proptest::prelude::*;

fn u256() -> impl Strategy<Value = U256> {
    prop_oneof![
        any::<u64>().prop_map(U256::from),
        any::<[u8; 32]>().prop_map(U256::from_be_bytes),
    ]
}

fn b256() -> impl Strategy<Value = B256> {
    any::<[u8; 32]>().prop_map(B256::from)
}

fn address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>().prop_map(Address::from)
}

prop_compose! {
    fn ecotone()(
        number in any::<u64>(), timestamp in any::<u64>(), base_fee in u256(), block_hash in b256(),
        sequence_number in any::<u64>(), batcher_address in address(), blob_base_fee in u256(),
        base_fee_scalar in any::<u32>(), blob_base_fee_scalar in any::<u32>(),
    ) -> L1BlockInfoEcotone {
        L1BlockInfoEcotone {
            number, timestamp, base_fee, block_hash, sequence_number, batcher_address,
            blob_base_fee, base_fee_scalar, blob_base_fee_scalar,
        }
    }
}

fn any_info() -> impl Strategy<Value = L1BlockInfo> {
    prop_oneof![
        (ecotone(), u256(), u256()).prop_map(|(e, l1_fee_overhead, l1_fee_scalar)| {
            L1BlockInfo::Bedrock(L1BlockInfoBedrock {
                number: e.number,
                timestamp: e.timestamp,
                base_fee: e.base_fee,
                block_hash: e.block_hash,
                sequence_number: e.sequence_number,
                batcher_address: e.batcher_address,
                l1_fee_overhead,
                l1_fee_scalar,
            })
        }),
        ecotone().prop_map(L1BlockInfo::Ecotone),
        (ecotone(), any::<u32>(), any::<u64>())
            .prop_map(|(e, s, c)| L1BlockInfo::Isthmus(L1BlockInfoIsthmus::from_parts(e, s, c))),
        (ecotone(), any::<u32>(), any::<u64>(), any::<u16>()).prop_map(|(e, s, c, d)| {
            L1BlockInfo::Jovian(L1BlockInfoJovian::from_parts(
                L1BlockInfoIsthmus::from_parts(e, s, c),
                d,
            ))
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn l1_info_encode_decode(info in any_info()) {
        let calldata = info.encode();
        prop_assert_eq!(calldata.len(), info.format().calldata_len());
        prop_assert_eq!(L1BlockInfo::decode(&calldata).unwrap(), info);
    }

    /// The builder's output decodes to exactly the inputs it was given, in every format.
    #[test]
    fn l1_info_build_then_parse(
        e in ecotone(), op_scalar in any::<u32>(), op_constant in any::<u64>(),
        da in 1u16.., overhead in u256(), format in 0usize..4,
    ) {
        let (fork, expected_format) = [
            ("regolith", L1InfoFormat::Bedrock),
            ("ecotone", L1InfoFormat::Ecotone),
            ("isthmus", L1InfoFormat::Isthmus),
            ("jovian", L1InfoFormat::Jovian),
        ][format];
        let cfg = rollup_config(forks_through(fork));
        let scalar = ecotone_scalar(e.base_fee_scalar, e.blob_base_fee_scalar);
        let sys = system_config_for(e.batcher_address, overhead, scalar, (op_scalar, op_constant), da);
        let origin = L1Origin {
            number: e.number,
            timestamp: e.timestamp,
            hash: e.block_hash,
            base_fee: e.base_fee,
            blob_fee: L1BlobFee::Known(e.blob_base_fee),
        };
        let built = l1_block_info(&cfg, &sys, &origin, e.sequence_number, 1_000).unwrap();
        prop_assert_eq!(built.format(), expected_format);
        let parsed = L1BlockInfo::decode(&built.encode()).unwrap();
        prop_assert_eq!(parsed, built);
        prop_assert_eq!(parsed.number(), e.number);
        prop_assert_eq!(parsed.timestamp(), e.timestamp);
        prop_assert_eq!(parsed.base_fee(), e.base_fee);
        prop_assert_eq!(parsed.block_hash(), e.block_hash);
        prop_assert_eq!(parsed.sequence_number(), e.sequence_number);
        prop_assert_eq!(parsed.batcher_address(), e.batcher_address);
        match parsed {
            L1BlockInfo::Bedrock(b) => {
                prop_assert_eq!(b.l1_fee_overhead, overhead);
                prop_assert_eq!(b.l1_fee_scalar, U256::from_be_bytes(scalar.0));
            }
            L1BlockInfo::Ecotone(x) => prop_assert_eq!(x, e),
            L1BlockInfo::Isthmus(x) => {
                prop_assert_eq!(x, L1BlockInfoIsthmus::from_parts(e, op_scalar, op_constant));
            }
            L1BlockInfo::Jovian(x) => {
                prop_assert_eq!(x.isthmus(), L1BlockInfoIsthmus::from_parts(e, op_scalar, op_constant));
                prop_assert_eq!(x.da_footprint_gas_scalar, da);
            }
        }
    }

    #[test]
    fn deposit_log_encode_decode(
        from in address(), to in proptest::option::of(address()), mint in any::<u128>(),
        value in u256(), gas in any::<u64>(), data in proptest::collection::vec(any::<u8>(), 0..200),
        block_hash in b256(), log_index in any::<u64>(), portal in address(),
    ) {
        let tx = TxDeposit {
            source_hash: UserDepositSource::new(block_hash, log_index).source_hash(),
            from,
            to: to.map_or(TxKind::Create, TxKind::Call),
            mint,
            value,
            gas_limit: gas,
            is_system_transaction: false,
            input: Bytes::from(data),
        };
        let log = encode_deposit_log(portal, &tx);
        prop_assert_eq!(log.address, portal);
        prop_assert_eq!(log.data.data.len() % 32, 0);
        prop_assert_eq!(decode_deposit_log(&log, block_hash, log_index).unwrap(), tx);
    }

    #[test]
    fn output_root_preimage(state_root in b256(), mp in b256(), block_hash in b256()) {
        let root = OutputRootV0 { state_root, message_passer_storage_root: mp, block_hash };
        prop_assert_eq!(OutputRootV0::decode(&root.encode()).unwrap(), root);
    }
}
