#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! Every built-in preset against the superchain-registry files it was made from
//! (`testdata/config/registry/`), and against kona's registry export.

mod common;

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256};
use keel_protocol::{
    hardfork::Hardfork,
    presets::{preset, preset_names},
    rollup_config::RollupConfig,
};

/// A reader for the registry's flat TOML subset: `[section]` / `[a.b]` headers and
/// `key = value # comment` lines. Returns `section.key -> raw value` (quotes removed).
fn read_toml(rel: &str) -> BTreeMap<String, String> {
    let text = String::from_utf8(common::read_bytes(rel)).unwrap();
    let mut out = BTreeMap::new();
    let mut section = String::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap().trim();
        if line.is_empty() {
            continue;
        }
        if let Some(s) = line.strip_prefix('[') {
            section = s.trim_end_matches(']').to_string();
            continue;
        }
        let (k, v) = line.split_once('=').unwrap();
        let key = if section.is_empty() {
            k.trim().to_string()
        } else {
            format!("{section}.{}", k.trim())
        };
        out.insert(key, v.trim().trim_matches('"').to_string());
    }
    out
}

fn u(m: &BTreeMap<String, String>, k: &str) -> u64 {
    m.get(k).unwrap_or_else(|| panic!("{k}")).parse().unwrap()
}

fn addr(m: &BTreeMap<String, String>, k: &str) -> Address {
    m.get(k).unwrap_or_else(|| panic!("{k}")).parse().unwrap()
}

const FILES: [(&str, &str, &str); 6] = [
    ("op-mainnet", "mainnet", "op"),
    ("base-mainnet", "mainnet", "base"),
    ("unichain-mainnet", "mainnet", "unichain"),
    ("op-sepolia", "sepolia", "op"),
    ("base-sepolia", "sepolia", "base"),
    ("unichain-sepolia", "sepolia", "unichain"),
];

fn fork_key(fork: Hardfork) -> String {
    format!("hardforks.{}_time", fork.name())
}

fn check_against_toml(
    cfg: &RollupConfig,
    chain: &BTreeMap<String, String>,
    sc: &BTreeMap<String, String>,
) {
    assert_eq!(cfg.l2_chain_id, u(chain, "chain_id"));
    assert_eq!(cfg.l1_chain_id, u(sc, "l1.chain_id"));
    assert_eq!(cfg.block_time, u(chain, "block_time"));
    assert_eq!(cfg.seq_window_size, u(chain, "seq_window_size"));
    assert_eq!(cfg.max_sequencer_drift, u(chain, "max_sequencer_drift"));
    assert_eq!(cfg.channel_timeout, 300);
    assert_eq!(cfg.batch_inbox_address, addr(chain, "batch_inbox_addr"));
    assert_eq!(
        cfg.deposit_contract_address,
        addr(chain, "addresses.OptimismPortalProxy")
    );
    assert_eq!(
        cfg.l1_system_config_address,
        addr(chain, "addresses.SystemConfigProxy")
    );
    let g = &cfg.genesis;
    assert_eq!(g.l2_time, u(chain, "genesis.l2_time"));
    assert_eq!(g.l1.number, u(chain, "genesis.l1.number"));
    assert_eq!(g.l1.hash, chain["genesis.l1.hash"].parse::<B256>().unwrap());
    assert_eq!(g.l2.number, u(chain, "genesis.l2.number"));
    assert_eq!(g.l2.hash, chain["genesis.l2.hash"].parse::<B256>().unwrap());
    let s = &g.system_config;
    assert_eq!(
        s.batcher_addr,
        addr(chain, "genesis.system_config.batcherAddress")
    );
    assert_eq!(
        s.overhead,
        chain["genesis.system_config.overhead"]
            .parse::<B256>()
            .unwrap()
    );
    assert_eq!(
        s.scalar,
        chain["genesis.system_config.scalar"]
            .parse::<B256>()
            .unwrap()
    );
    assert_eq!(s.gas_limit, u(chain, "genesis.system_config.gasLimit"));
    assert_eq!(
        cfg.chain_op_config.eip1559_elasticity,
        u(chain, "optimism.eip1559_elasticity")
    );
    assert_eq!(
        cfg.chain_op_config.eip1559_denominator,
        u(chain, "optimism.eip1559_denominator")
    );
    assert_eq!(
        cfg.chain_op_config.eip1559_denominator_canyon,
        u(chain, "optimism.eip1559_denominator_canyon")
    );
    // Every fork: the registry's time or, where the registry has none, unscheduled.
    // op-node sets Regolith at genesis (0) for every registry chain.
    for fork in Hardfork::ALL.into_iter().skip(1) {
        let want = match fork {
            Hardfork::Regolith => Some(0),
            _ => chain.get(&fork_key(fork)).map(|v| v.parse().unwrap()),
        };
        assert_eq!(cfg.hardforks.activation_time(fork), want, "{fork}");
    }
    assert_eq!(
        cfg.hardforks.pectra_blob_schedule_time,
        chain
            .get("hardforks.pectra_blob_schedule_time")
            .map(|v| v.parse().unwrap())
    );
    assert_eq!(
        cfg.keep_karst_upgrade_gas,
        chain
            .get("hardforks.keep_karst_upgrade_gas")
            .is_some_and(|v| v == "true")
    );
    // No registry fork key is left unread.
    for key in chain.keys().filter(|k| k.starts_with("hardforks.")) {
        let known = Hardfork::ALL.iter().any(|f| fork_key(*f) == *key)
            || key == "hardforks.pectra_blob_schedule_time"
            || key == "hardforks.keep_karst_upgrade_gas";
        assert!(known, "unhandled registry key {key}");
    }
}

#[test]
fn presets_match_the_registry_toml() {
    assert_eq!(preset_names().len(), FILES.len());
    for (name, net, file) in FILES {
        assert!(preset_names().contains(&name));
        let cfg = preset(name).unwrap();
        cfg.validate().unwrap();
        let chain = read_toml(&format!("config/registry/{net}/{file}.toml"));
        let sc = read_toml(&format!("config/registry/{net}/superchain.toml"));
        check_against_toml(&cfg, &chain, &sc);
    }
}

#[test]
fn presets_match_kona_registry_export() {
    let v = common::read_json("config/registry/kona-configs.json");
    for superchain in v["superchains"].as_array().unwrap() {
        let net = superchain["name"].as_str().unwrap();
        for chain in superchain["chains"].as_array().unwrap() {
            let id = chain["l2_chain_id"].as_u64().unwrap();
            let Some(cfg) = keel_protocol::presets::preset_by_chain_id(id) else {
                continue;
            };
            assert!(FILES.iter().any(|(_, n, _)| *n == net), "{net}");
            let pv: Address = superchain["config"]["protocol_versions_addr"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(cfg.protocol_versions_address, Some(pv));
            let g = &chain["genesis"];
            let sys: keel_protocol::system_config::SystemConfig =
                serde_json::from_value(g["system_config"].clone()).unwrap();
            assert_eq!(cfg.genesis.system_config, sys, "{id}");
            assert_eq!(cfg.genesis.l2.number, g["l2"]["number"].as_u64().unwrap());
            assert_eq!(
                cfg.genesis.l1.hash,
                g["l1"]["hash"].as_str().unwrap().parse::<B256>().unwrap()
            );
            let a = &chain["Addresses"];
            assert_eq!(
                cfg.deposit_contract_address,
                a["OptimismPortalProxy"]
                    .as_str()
                    .unwrap()
                    .parse::<Address>()
                    .unwrap()
            );
            assert_eq!(
                cfg.l1_system_config_address,
                a["SystemConfigProxy"]
                    .as_str()
                    .unwrap()
                    .parse::<Address>()
                    .unwrap()
            );
            // kona's export predates Karst; every time it does carry agrees.
            for (k, t) in chain["hardfork_configuration"].as_object().unwrap() {
                let fork = Hardfork::ALL
                    .iter()
                    .find(|f| format!("{}_time", f.name()) == *k);
                let ours = match fork {
                    Some(f) => cfg.hardforks.activation_time(*f),
                    None => {
                        assert_eq!(k, "pectra_blob_schedule_time");
                        cfg.hardforks.pectra_blob_schedule_time
                    }
                };
                assert_eq!(ours, t.as_u64(), "{id} {k}");
            }
        }
    }
}

#[test]
fn known_facts() {
    let op = preset("op-mainnet").unwrap();
    assert_eq!(op.l2_chain_id, 10);
    assert_eq!(op.genesis.l2.number, 105_235_063);
    assert_eq!(op.hardforks.ecotone_time, Some(1_710_374_401));
    assert_eq!(op.hardforks.jovian_time, Some(1_764_691_201));
    let base = preset("base-mainnet").unwrap();
    assert_eq!((base.l2_chain_id, base.genesis.l2.number), (8453, 0));
    assert_eq!(base.hardforks.jovian_time, Some(1_764_691_201));
    assert_eq!(base.hardforks.karst_time, None);
    let base_sep = preset("base-sepolia").unwrap();
    assert_eq!(base_sep.chain_op_config.eip1559_elasticity, 10);
    assert_eq!(base_sep.hardforks.jovian_time, Some(1_763_568_001));
    let uni = preset("unichain-mainnet").unwrap();
    assert_eq!((uni.l2_chain_id, uni.block_time), (130, 1));
    // Unichain starts with Ecotone-format scalars and every fork through Granite at genesis.
    let s = uni.genesis.system_config.ecotone_scalars().unwrap();
    assert_eq!((s.blob_base_fee_scalar, s.base_fee_scalar), (900_000, 2000));
    assert_eq!(uni.max_sequencer_drift(uni.genesis.l2_time), 1800);
    assert_eq!(uni.channel_timeout(uni.genesis.l2_time), 50);
    let op_sep = preset("op-sepolia").unwrap();
    assert_eq!(
        op_sep.hardforks.pectra_blob_schedule_time,
        Some(1_742_486_400)
    );
    assert!(op_sep.pectra_blob_schedule_forces_cancun(1_742_486_399));
}
