use super::{
    artifacts::{
        ADMIN_SLOT, IMPLEMENTATION_SLOT, L2_TO_L1_MESSAGE_PASSER_ARTIFACT, PROXY_ARTIFACT,
    },
    predeploys::{PROXIED_PREDEPLOYS, code_namespace_address},
    *,
};
use crate::l1::contracts::Artifact;

fn times(upto: Hardfork) -> HardforkTimes {
    let mut t = HardforkTimes::default();
    for fork in Hardfork::ALL {
        if fork > upto {
            break;
        }
        let slot = match fork {
            Hardfork::Regolith => &mut t.regolith_time,
            Hardfork::Canyon => &mut t.canyon_time,
            Hardfork::Delta => &mut t.delta_time,
            Hardfork::Ecotone => &mut t.ecotone_time,
            Hardfork::Fjord => &mut t.fjord_time,
            Hardfork::Granite => &mut t.granite_time,
            Hardfork::Holocene => &mut t.holocene_time,
            Hardfork::Isthmus => &mut t.isthmus_time,
            Hardfork::Jovian => &mut t.jovian_time,
            Hardfork::Karst => &mut t.karst_time,
            Hardfork::Interop => &mut t.interop_time,
            Hardfork::Bedrock => continue,
        };
        *slot = Some(0);
    }
    t
}

fn config(upto: Hardfork) -> DevGenesisConfig {
    DevGenesisConfig {
        chain_id: 901,
        timestamp: 1_700_000_000,
        hardforks: times(upto),
        gas_limit: 30_000_000,
        base_fee: 1_000_000_000,
        eip1559_denominator: 250,
        eip1559_elasticity: 6,
        min_base_fee: 0,
        dev_balance: DEV_BALANCE,
        fee_vault_recipient: DEFAULT_FEE_VAULT_RECIPIENT,
        fee_vault_min_withdrawal: DEFAULT_FEE_VAULT_MIN_WITHDRAWAL,
    }
}

fn word(a: Address) -> U256 {
    U256::from_be_bytes(a.into_word().0)
}

/// `GasPriceOracle` slot 0 packs isEcotone, isFjord, isIsthmus, isJovian (one byte each,
/// lowest first), read at the proxy since the flags live in the proxy's storage.
fn oracle_flags(g: &DevGenesis) -> U256 {
    g.state.storage(&GAS_PRICE_ORACLE, U256::ZERO)
}

#[test]
fn dev_balance_is_ten_thousand_eth() {
    assert_eq!(
        DEV_BALANCE,
        U256::from(10_000u64) * U256::from(1_000_000_000_000_000_000u64)
    );
    assert_eq!(
        DEFAULT_FEE_VAULT_MIN_WITHDRAWAL,
        U256::from(1_000_000_000_000_000_000u64)
    );
}

#[test]
fn dev_accounts_are_the_well_known_ones() {
    let accounts = dev_accounts().unwrap();
    assert_eq!(
        accounts[0],
        address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    );
    assert_eq!(accounts[0], DEFAULT_FEE_VAULT_RECIPIENT);
    assert_eq!(
        accounts[1],
        address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
    );
    assert_eq!(
        accounts[9],
        address!("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720")
    );
}

#[test]
fn code_namespace_keeps_the_last_two_bytes() {
    assert_eq!(
        code_namespace_address(L1_BLOCK),
        address!("0xc0d3c0d3c0d3c0d3c0d3c0d3c0d3c0d3c0d30015")
    );
    assert_eq!(
        code_namespace_address(OPERATOR_FEE_VAULT),
        address!("0xc0d3c0d3c0d3c0d3c0d3c0d3c0d3c0d3c0d3001b")
    );
}

#[test]
fn jovian_genesis_puts_every_predeploy_behind_a_proxy() {
    let g = build_genesis(&config(Hardfork::Jovian)).unwrap();
    let proxy = Artifact::parse(PROXY_ARTIFACT).unwrap().deployed_bytecode;
    for p in PROXIED_PREDEPLOYS {
        assert_eq!(g.state.code(&p), proxy, "{p} is not the proxy");
        assert_eq!(g.state.storage(&p, ADMIN_SLOT), word(PROXY_ADMIN), "{p}");
        let implementation = code_namespace_address(p);
        assert_eq!(
            g.state.storage(&p, IMPLEMENTATION_SLOT),
            word(implementation),
            "{p}"
        );
        assert!(!g.state.code(&implementation).is_empty(), "{p}: no code");
    }
    // No immutables: the message passer's runtime code is the artifact's.
    assert_eq!(
        g.state
            .code(&code_namespace_address(L2_TO_L1_MESSAGE_PASSER)),
        Artifact::parse(L2_TO_L1_MESSAGE_PASSER_ARTIFACT)
            .unwrap()
            .deployed_bytecode
    );
    for a in [BEACON_ROOTS, BLOCK_HASHES] {
        assert!(!g.state.code(&a).is_empty(), "{a} has no code");
    }
    assert_eq!(oracle_flags(&g), U256::from(0x0101_0101u64));
    let h = g.header.inner();
    // Isthmus genesis: the passer's storage root, never empty behind a proxy (Spec:
    // protocol/isthmus/exec-engine.md, "from genesis it stores an implementation address
    // and owner address").
    let passer_root = g.state.clone().storage_root(&L2_TO_L1_MESSAGE_PASSER);
    assert_eq!(h.withdrawals_root, Some(passer_root));
    assert_ne!(passer_root, EMPTY_ROOT_HASH);
    assert_eq!(h.requests_hash, Some(EMPTY_REQUESTS_HASH));
    assert_eq!(h.blob_gas_used, Some(0));
    assert_eq!(h.parent_beacon_block_root, Some(B256::ZERO));
    assert_eq!(h.extra_data.len(), 17);
    assert_eq!(h.state_root, g.state.clone().state_root());
    let again = build_genesis(&config(Hardfork::Jovian)).unwrap();
    assert_eq!(g.header.hash(), again.header.hash());
}

#[test]
fn canyon_genesis_has_ecotone_code_without_fork_flags() {
    let g = build_genesis(&config(Hardfork::Delta)).unwrap();
    // Ecotone's L1Block keeps Bedrock's `setL1BlockValues` (0x015d8eb9), which the
    // L1-attributes deposits call until Ecotone.
    let l1_block = g.state.code(&code_namespace_address(L1_BLOCK));
    assert!(l1_block.windows(4).any(|w| w == [0x01, 0x5d, 0x8e, 0xb9]));
    assert_eq!(oracle_flags(&g), U256::ZERO);
    // The OperatorFeeVault proxy waits for Isthmus' upgrade transaction.
    assert_eq!(
        g.state.storage(&OPERATOR_FEE_VAULT, IMPLEMENTATION_SLOT),
        U256::ZERO
    );
    assert!(
        g.state
            .code(&code_namespace_address(OPERATOR_FEE_VAULT))
            .is_empty()
    );
    for a in [BEACON_ROOTS, BLOCK_HASHES] {
        assert!(g.state.code(&a).is_empty(), "{a} before its fork");
    }
    let h = g.header.inner();
    assert_eq!(h.withdrawals_root, Some(EMPTY_ROOT_HASH));
    assert_eq!(h.blob_gas_used, None);
    assert_eq!(h.excess_blob_gas, None);
    assert_eq!(h.parent_beacon_block_root, None);
    assert_eq!(h.requests_hash, None);
    assert!(h.extra_data.is_empty());
}

#[test]
fn holocene_genesis_has_fjord_flags_and_holocene_extra_data() {
    let g = build_genesis(&config(Hardfork::Holocene)).unwrap();
    assert_eq!(oracle_flags(&g), U256::from(0x0101u64));
    assert!(!g.state.code(&BEACON_ROOTS).is_empty());
    assert!(g.state.code(&BLOCK_HASHES).is_empty());
    let h = g.header.inner();
    assert_eq!(h.extra_data.len(), 9);
    assert_eq!(h.withdrawals_root, Some(EMPTY_ROOT_HASH));
    assert_eq!(h.blob_gas_used, Some(0));
    assert_eq!(h.requests_hash, None);
}

#[test]
fn genesis_before_canyon_or_at_interop_is_refused() {
    for (upto, fork) in [
        (Hardfork::Bedrock, Hardfork::Bedrock),
        (Hardfork::Regolith, Hardfork::Regolith),
        (Hardfork::Interop, Hardfork::Interop),
    ] {
        assert_eq!(
            build_genesis(&config(upto)).unwrap_err(),
            GenesisError::UnsupportedGenesisFork { fork },
            "{upto}"
        );
    }
}
