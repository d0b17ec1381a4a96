//! Properties: what the attributes builder puts into a block, the L2 conversions read back
//! (for random system configs, forks and sequence numbers); and the conversions never panic
//! on arbitrary L1-info calldata or extraData.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]

mod attributes_support;

use alloy_consensus::{Header, Sealable, Sealed};
use alloy_eips::{eip1559::BaseFeeParams, eip2718::Decodable2718};
use alloy_primitives::{Address, B256, Bytes};
use attributes_support::{config, forks_through, l1_header, l2_parent, seal};
use keel_derive::{
    attributes::{EpochOrigin, prepare_payload_attributes},
    l2::{block_ref, system_config},
};
use keel_protocol::{
    rollup_config::BlockId,
    system_config::{EcotoneScalars, SystemConfig, encode_ecotone_scalar},
};
use op_alloy_consensus::{
    OpTxEnvelope, TxDeposit, encode_holocene_extra_data, encode_jovian_extra_data,
};
use proptest::prelude::*;

const FORKS: [&str; 5] = ["ecotone", "fjord", "holocene", "isthmus", "jovian"];

fn arb_config() -> impl Strategy<Value = SystemConfig> {
    (
        any::<[u8; 20]>(),
        any::<(u32, u32)>(),
        1u64..u64::MAX / 2,
        (1u32.., any::<u32>()),
        any::<(u32, u64)>(),
        any::<u64>(),
        1u16..,
    )
        .prop_map(
            |(batcher, (blob, base), gas, (den, ela), (os, oc), min, da)| {
                let mut s = SystemConfig {
                    batcher_addr: Address::from(batcher),
                    scalar: encode_ecotone_scalar(EcotoneScalars {
                        blob_base_fee_scalar: blob,
                        base_fee_scalar: base,
                    }),
                    gas_limit: gas,
                    min_base_fee: min,
                    da_footprint_gas_scalar: da,
                    ..Default::default()
                };
                s.set_eip1559_params(den, ela);
                s.set_operator_fee(os, oc);
                s
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn builder_output_reads_back(sys in arb_config(), fork in 0usize..FORKS.len(), seq in 0u64..1000) {
        let fork = FORKS[fork];
        let cfg = config(forks_through(fork));
        let origin = seal(l1_header(500, B256::repeat_byte(1), 1000));
        let id = BlockId { hash: origin.hash(), number: 500 };
        let parent = l2_parent(40, 1100, id, seq);
        let out = prepare_payload_attributes(
            &cfg, &parent, &sys, id, EpochOrigin { header: &origin, receipts: None , l1_blob_params: None},
        ).unwrap();
        let a = &out.attributes;
        let params = BaseFeeParams::new(250, 6);
        let extra = match (a.min_base_fee, a.eip_1559_params) {
            (Some(min), Some(p)) => encode_jovian_extra_data(p, params, min).unwrap(),
            (None, Some(p)) => encode_holocene_extra_data(p, params).unwrap(),
            _ => Bytes::new(),
        };
        let header = Header {
            number: 41,
            timestamp: a.payload_attributes.timestamp,
            gas_limit: a.gas_limit.unwrap(),
            extra_data: extra,
            ..Default::default()
        }
        .seal_slow();
        let tx0 = OpTxEnvelope::decode_2718(&mut a.transactions.as_ref().unwrap()[0].as_ref()).unwrap();
        let r = block_ref(&cfg, &header, Some(&tx0)).unwrap();
        prop_assert_eq!(r.l1_origin, id);
        prop_assert_eq!(r.sequence_number, seq + 1);
        let got = system_config(&cfg, &header, Some(&tx0)).unwrap();
        let mut want = sys;
        if !matches!(fork, "holocene" | "isthmus" | "jovian") {
            want.eip1559_params = Default::default();
        }
        if !matches!(fork, "isthmus" | "jovian") {
            want.operator_fee_params = B256::ZERO;
        }
        if fork != "jovian" {
            want.min_base_fee = 0;
            want.da_footprint_gas_scalar = 0;
        }
        prop_assert_eq!(got, want);
    }

    #[test]
    fn conversions_never_panic(
        input in proptest::collection::vec(any::<u8>(), 0..300),
        extra in proptest::collection::vec(any::<u8>(), 0..40),
        fork in 0usize..FORKS.len(),
        number in 0u64..3,
    ) {
        let cfg = config(forks_through(FORKS[fork]));
        let header = Sealed::new_unchecked(
            Header { number, timestamp: 1100, extra_data: extra.into(), ..Default::default() },
            B256::repeat_byte(5),
        );
        let tx = OpTxEnvelope::Deposit(TxDeposit { input: input.into(), ..Default::default() }.seal_slow());
        let _ = block_ref(&cfg, &header, Some(&tx));
        let _ = system_config(&cfg, &header, Some(&tx));
    }
}
