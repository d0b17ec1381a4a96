//! Built-in rollup configs of public OP Stack chains, by op-node `--network` name.
//!
//! The data files under `src/presets/` are op-node `rollup.json` files generated from the
//! superchain registry (`ethereum-optimism/superchain-registry`, commit
//! 8336d2aedd19b87a57b01ae36ba4afef8ea377d0, `superchain/configs/{mainnet,sepolia}/*.toml`)
//! the way op-node builds a config from the registry: `regolith_time` 0, `channel_timeout`
//! 300, the chain's `[hardforks]` times (including `karst_time` and
//! `keep_karst_upgrade_gas` where set), `OptimismPortalProxy` as deposit contract,
//! `SystemConfigProxy` as system config, `[optimism]` as `chain_op_config`, and the L1 chain
//! id from `superchain.toml`. `protocol_versions_address` is the superchain's
//! `protocol_versions_addr` from the older registry export kona vendors
//! (`kona/registry/configs.json`), since the current `superchain.toml` dropped it.
//!
//! Base Mainnet and Base Sepolia were removed from the registry in commit c00ce797; their
//! files come from its parent 5b055be4d294ce43814a44c8839d89b2436dc8aa. Both have
//! `jovian_time` there (Base Mainnet 1764691201, Base Sepolia 1763568001) and no
//! `karst_time`: Keel does not know whether Base scheduled Karst after leaving the registry.
//!
//! Spec: protocol/superchain-upgrades.md

use crate::rollup_config::{ChainOpConfig, RollupConfig};

/// `(name, L2 chain id, rollup.json)` of every preset.
const PRESETS: [(&str, u64, &str); 6] = [
    ("op-mainnet", 10, include_str!("presets/op-mainnet.json")),
    (
        "base-mainnet",
        8453,
        include_str!("presets/base-mainnet.json"),
    ),
    (
        "unichain-mainnet",
        130,
        include_str!("presets/unichain-mainnet.json"),
    ),
    (
        "op-sepolia",
        11_155_420,
        include_str!("presets/op-sepolia.json"),
    ),
    (
        "base-sepolia",
        84532,
        include_str!("presets/base-sepolia.json"),
    ),
    (
        "unichain-sepolia",
        1301,
        include_str!("presets/unichain-sepolia.json"),
    ),
];

const NAMES: [&str; 6] = [
    PRESETS[0].0,
    PRESETS[1].0,
    PRESETS[2].0,
    PRESETS[3].0,
    PRESETS[4].0,
    PRESETS[5].0,
];

/// Names accepted by [`preset`], in a stable order.
pub fn preset_names() -> &'static [&'static str] {
    &NAMES
}

/// The built-in config called `name` (e.g. `op-mainnet`), or `None` for an unknown name.
/// The embedded files are checked by the tests to parse and validate.
pub fn preset(name: &str) -> Option<RollupConfig> {
    let (_, _, json) = PRESETS.iter().find(|(n, _, _)| *n == name)?;
    RollupConfig::from_json(json.as_bytes()).ok()
}

/// The built-in config whose L2 chain id is `l2_chain_id`.
pub fn preset_by_chain_id(l2_chain_id: u64) -> Option<RollupConfig> {
    let (name, _, _) = PRESETS.iter().find(|(_, id, _)| *id == l2_chain_id)?;
    preset(name)
}

/// The `chain_op_config` of the preset with L2 chain id `l2_chain_id`, with the preset's
/// name. Used to complete old `rollup.json` files that lack the field.
pub(crate) fn preset_chain_op_config(l2_chain_id: u64) -> Option<(&'static str, ChainOpConfig)> {
    let (name, _, _) = PRESETS.iter().find(|(_, id, _)| *id == l2_chain_id)?;
    // Every preset file carries `chain_op_config`, so this never recurses into itself.
    preset(name).map(|c| (*name, c.chain_op_config))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardfork::Hardfork;

    #[test]
    fn every_preset_parses_validates_and_matches_its_id() {
        for (name, id, _) in PRESETS {
            let cfg = preset(name).unwrap_or_else(|| panic!("{name}"));
            cfg.validate().unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(cfg.l2_chain_id, id, "{name}");
            assert_eq!(preset_by_chain_id(id), Some(cfg));
        }
        assert_eq!(preset_names().len(), PRESETS.len());
        assert!(preset("op-goerli").is_none());
    }

    #[test]
    fn op_mainnet_facts() {
        let c = preset("op-mainnet").unwrap();
        assert_eq!(c.l2_chain_id, 10);
        assert_eq!(c.genesis.l2.number, 105_235_063);
        assert_eq!(c.hardforks.ecotone_time, Some(1_710_374_401));
        assert!(c.is_activation_block(Hardfork::Ecotone, 1_710_374_401));
        assert_eq!(c.hardforks.karst_time, Some(1_783_526_401));
        assert!(c.keep_karst_upgrade_gas);
    }
}
