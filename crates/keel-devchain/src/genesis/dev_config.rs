//! The rollup-config parameters every Keel dev chain shares, in one place: the devnet, the
//! node's end-to-end tests and the engine's tests all build their chains from these.

use keel_protocol::{
    rollup_config::{BlockId, RollupConfig},
    system_config::{EcotoneScalars, SystemConfig, encode_ecotone_scalar},
};

use super::{DevGenesis, DevGenesisConfig, GenesisError, build_genesis};

/// A Jovian-era L2 system config: the Ecotone scalars OP chains launched Ecotone with
/// (base fee 1368, blob base fee 810949), Holocene EIP-1559 parameters 250 / 6, a minimum
/// base fee of 1000 wei and a DA footprint scalar of 400; no batcher (the caller's).
///
/// Spec: protocol/system-config.md, protocol/holocene/system-config.md,
/// protocol/jovian/system-config.md.
pub fn dev_system_config() -> SystemConfig {
    let mut sys = SystemConfig {
        scalar: encode_ecotone_scalar(EcotoneScalars {
            blob_base_fee_scalar: 810_949,
            base_fee_scalar: 1_368,
        }),
        gas_limit: 30_000_000,
        min_base_fee: 1_000,
        da_footprint_gas_scalar: 400,
        ..SystemConfig::default()
    };
    sys.set_eip1559_params(250, 6);
    sys
}

/// Completes `cfg` as a dev chain: OP Mainnet's EIP-1559 chain parameters (elasticity 6,
/// denominator 50, 250 from Canyon) and, as its L2 genesis, the dev genesis built from the
/// config — which is returned.
pub fn seal_dev_rollup_config(cfg: &mut RollupConfig) -> Result<DevGenesis, GenesisError> {
    cfg.chain_op_config.eip1559_elasticity = 6;
    cfg.chain_op_config.eip1559_denominator = 50;
    cfg.chain_op_config.eip1559_denominator_canyon = 250;
    let genesis = build_genesis(&DevGenesisConfig::from_rollup_config(cfg))?;
    cfg.genesis.l2 = BlockId {
        hash: genesis.header.hash(),
        number: 0,
    };
    Ok(genesis)
}
