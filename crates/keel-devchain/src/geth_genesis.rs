//! The dev chain's L2 genesis in go-ethereum's `genesis.json` format, as `op-geth init`
//! and `op-reth --chain` read it — and the reverse: the genesis block an OP execution client
//! derives from such a file, so Keel can check that a file yields the hash the rollup
//! config names.
//!
//! The chain config carries the Ethereum forks (all through London at block 0; Shanghai,
//! Cancun, Prague at Canyon, Ecotone, Isthmus), the OP forks an execution client knows
//! (`bedrockBlock`, `regolithTime` … `jovianTime`; Delta and the Pectra blob schedule are
//! consensus-layer only and have no entry) and the `optimism` EIP-1559 parameters.
//!
//! Spec: protocol/superchain-upgrades.md (fork times), protocol/exec-engine.md; the header
//! rules of a genesis block follow op-geth's `Genesis.ToBlock` where the specs are silent:
//! `withdrawalsRoot` the empty root from Shanghai and the message passer's storage root from
//! Isthmus (Spec: protocol/isthmus/exec-engine.md#genesis-block), blob gas fields zero and a
//! zero parent beacon root from Cancun, the empty requests hash from Prague.

use std::collections::BTreeMap;

use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header};
use alloy_eips::eip7685::EMPTY_REQUESTS_HASH;
use alloy_primitives::{Address, B64, B256, Bytes, U256};
use alloy_trie::EMPTY_ROOT_HASH;
use keel_protocol::{
    hardfork::{Hardfork, HardforkTimes},
    rollup_config::RollupConfig,
};
use serde::{Deserialize, Serialize};

use crate::{
    genesis::{DevGenesis, L2_TO_L1_MESSAGE_PASSER},
    state::{MemAccount, MemState},
};

/// One account of the `alloc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GethAccount {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce (omitted when zero).
    #[serde(
        default,
        skip_serializing_if = "is_zero",
        with = "alloy_serde_quantity_u64"
    )]
    pub nonce: u64,
    /// Runtime code (omitted when empty).
    #[serde(default, skip_serializing_if = "no_code")]
    pub code: Bytes,
    /// Storage slots (omitted when empty).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub storage: BTreeMap<B256, B256>,
}

const fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn no_code(code: &Bytes) -> bool {
    code.is_empty()
}

/// `u64` as a `0x` quantity, as geth writes nonces and fork blocks.
mod alloy_serde_quantity_u64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{n:#x}"))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Either {
            Num(u64),
            Str(String),
        }
        match Either::deserialize(d)? {
            Either::Num(n) => Ok(n),
            Either::Str(s) => {
                let hex = s.strip_prefix("0x").unwrap_or(&s);
                u64::from_str_radix(hex, 16).map_err(serde::de::Error::custom)
            }
        }
    }
}

/// The `genesis.json` fields Keel writes and reads (geth's names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GethGenesis {
    /// The chain config.
    pub config: serde_json::Value,
    /// Header nonce.
    pub nonce: B64,
    /// Header timestamp.
    #[serde(with = "alloy_serde_quantity_u64")]
    pub timestamp: u64,
    /// Header extra data.
    pub extra_data: Bytes,
    /// Header gas limit.
    #[serde(with = "alloy_serde_quantity_u64")]
    pub gas_limit: u64,
    /// Header difficulty.
    pub difficulty: U256,
    /// Header mix hash.
    pub mix_hash: B256,
    /// Header beneficiary.
    pub coinbase: Address,
    /// Header base fee.
    pub base_fee_per_gas: U256,
    /// Header number.
    #[serde(with = "alloy_serde_quantity_u64")]
    pub number: u64,
    /// Header gas used.
    #[serde(with = "alloy_serde_quantity_u64")]
    pub gas_used: u64,
    /// Header parent hash.
    pub parent_hash: B256,
    /// Blob gas used (from Cancun).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blob_gas_used: Option<U256>,
    /// Excess blob gas (from Cancun).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excess_blob_gas: Option<U256>,
    /// The genesis state.
    pub alloc: BTreeMap<Address, GethAccount>,
}

/// Why a `genesis.json` does not give a genesis block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GethGenesisError {
    /// The file is not a genesis in geth's format.
    #[error("genesis.json: {0}")]
    Malformed(String),
    /// A field does not fit the header (e.g. a base fee over 64 bits).
    #[error("genesis.json: {field} out of range")]
    OutOfRange {
        /// The field.
        field: &'static str,
    },
}

/// The chain config of `rollup`'s L2 in op-geth's format.
pub fn chain_config(rollup: &RollupConfig) -> serde_json::Value {
    let forks = &rollup.hardforks;
    let mut cfg = serde_json::Map::new();
    cfg.insert("chainId".into(), rollup.l2_chain_id.into());
    for block_fork in [
        "homesteadBlock",
        "eip150Block",
        "eip155Block",
        "eip158Block",
        "byzantiumBlock",
        "constantinopleBlock",
        "petersburgBlock",
        "istanbulBlock",
        "muirGlacierBlock",
        "berlinBlock",
        "londonBlock",
        "arrowGlacierBlock",
        "grayGlacierBlock",
        "mergeNetsplitBlock",
        "bedrockBlock",
    ] {
        cfg.insert(block_fork.into(), rollup.genesis.l2.number.into());
    }
    let mut time = |key: &str, t: Option<u64>| {
        if let Some(t) = t {
            cfg.insert(key.into(), t.into());
        }
    };
    time("regolithTime", forks.regolith_time);
    time("canyonTime", forks.canyon_time);
    time("shanghaiTime", forks.canyon_time);
    time("ecotoneTime", forks.ecotone_time);
    time("cancunTime", forks.ecotone_time);
    time("fjordTime", forks.fjord_time);
    time("graniteTime", forks.granite_time);
    time("holoceneTime", forks.holocene_time);
    time("isthmusTime", forks.isthmus_time);
    time("pragueTime", forks.isthmus_time);
    time("jovianTime", forks.jovian_time);
    time("interopTime", forks.interop_time);
    cfg.insert("terminalTotalDifficulty".into(), 0.into());
    cfg.insert("terminalTotalDifficultyPassed".into(), true.into());
    let op = &rollup.chain_op_config;
    cfg.insert(
        "optimism".into(),
        serde_json::json!({
            "eip1559Elasticity": op.eip1559_elasticity,
            "eip1559Denominator": op.eip1559_denominator,
            "eip1559DenominatorCanyon": op.eip1559_denominator_canyon,
        }),
    );
    serde_json::Value::Object(cfg)
}

/// `genesis` (built for `rollup`) as a geth `genesis.json`.
pub fn to_geth_genesis(rollup: &RollupConfig, genesis: &DevGenesis) -> GethGenesis {
    let h = genesis.header.inner();
    let alloc = genesis
        .state
        .accounts()
        .map(|(address, account)| {
            let storage = account
                .storage
                .iter()
                .filter(|(_, v)| !v.is_zero())
                .map(|(k, v)| (B256::from(*k), B256::from(*v)))
                .collect();
            (
                *address,
                GethAccount {
                    balance: account.balance,
                    nonce: account.nonce,
                    code: account.code.clone(),
                    storage,
                },
            )
        })
        .collect();
    GethGenesis {
        config: chain_config(rollup),
        nonce: h.nonce,
        timestamp: h.timestamp,
        extra_data: h.extra_data.clone(),
        gas_limit: h.gas_limit,
        difficulty: h.difficulty,
        mix_hash: h.mix_hash,
        coinbase: h.beneficiary,
        base_fee_per_gas: U256::from(h.base_fee_per_gas.unwrap_or_default()),
        number: h.number,
        gas_used: h.gas_used,
        parent_hash: h.parent_hash,
        blob_gas_used: h.blob_gas_used.map(U256::from),
        excess_blob_gas: h.excess_blob_gas.map(U256::from),
        alloc,
    }
}

/// The genesis state of a `genesis.json`.
pub fn state_from_alloc(alloc: &BTreeMap<Address, GethAccount>) -> MemState {
    let mut state = MemState::new();
    for (address, a) in alloc {
        let storage = a
            .storage
            .iter()
            .map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0)))
            .collect();
        let mut account = MemAccount::with_code(a.code.clone(), storage);
        account.balance = a.balance;
        account.nonce = a.nonce;
        state.insert_account(*address, account);
    }
    state
}

/// The genesis header an OP execution client derives from `g` with the fork schedule
/// `forks` (read from the rollup config, which the file's chain config mirrors).
pub fn genesis_header(g: &GethGenesis, forks: &HardforkTimes) -> Result<Header, GethGenesisError> {
    let active = |f: Hardfork| forks.activation_time(f).is_some_and(|t| t <= g.timestamp);
    let mut state = state_from_alloc(&g.alloc);
    let withdrawals_root = if active(Hardfork::Isthmus) {
        Some(state.storage_root(&L2_TO_L1_MESSAGE_PASSER))
    } else if active(Hardfork::Canyon) {
        Some(EMPTY_ROOT_HASH)
    } else {
        None
    };
    let ecotone = active(Hardfork::Ecotone);
    let u64_of = |v: U256, field: &'static str| {
        u64::try_from(v).map_err(|_| GethGenesisError::OutOfRange { field })
    };
    let blob_field = |v: Option<U256>, field: &'static str| -> Result<Option<u64>, _> {
        if ecotone {
            u64_of(v.unwrap_or_default(), field).map(Some)
        } else {
            Ok(None)
        }
    };
    Ok(Header {
        parent_hash: g.parent_hash,
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: g.coinbase,
        state_root: state.state_root(),
        transactions_root: EMPTY_ROOT_HASH,
        receipts_root: EMPTY_ROOT_HASH,
        logs_bloom: Default::default(),
        difficulty: g.difficulty,
        number: g.number,
        gas_limit: g.gas_limit,
        gas_used: g.gas_used,
        timestamp: g.timestamp,
        extra_data: g.extra_data.clone(),
        mix_hash: g.mix_hash,
        nonce: g.nonce,
        base_fee_per_gas: Some(u64_of(g.base_fee_per_gas, "baseFeePerGas")?),
        withdrawals_root,
        blob_gas_used: blob_field(g.blob_gas_used, "blobGasUsed")?,
        excess_blob_gas: blob_field(g.excess_blob_gas, "excessBlobGas")?,
        parent_beacon_block_root: ecotone.then_some(B256::ZERO),
        requests_hash: active(Hardfork::Isthmus).then_some(EMPTY_REQUESTS_HASH),
        block_access_list_hash: None,
        slot_number: None,
    })
}

/// Parses a `genesis.json`.
pub fn parse(json: &[u8]) -> Result<GethGenesis, GethGenesisError> {
    serde_json::from_slice(json).map_err(|e| GethGenesisError::Malformed(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::{DevGenesisConfig, build_genesis};

    fn rollup() -> RollupConfig {
        let mut cfg = RollupConfig {
            l2_chain_id: 901,
            hardforks: HardforkTimes::all_through(Hardfork::Jovian),
            ..RollupConfig::default()
        };
        cfg.genesis.l2_time = 1_700_000_000;
        cfg.genesis.system_config = crate::genesis::dev_system_config();
        crate::genesis::seal_dev_rollup_config(&mut cfg).unwrap();
        cfg
    }

    #[test]
    fn written_genesis_reads_back_to_the_same_block_hash() {
        let cfg = rollup();
        let genesis = build_genesis(&DevGenesisConfig::from_rollup_config(&cfg)).unwrap();
        let json = serde_json::to_vec_pretty(&to_geth_genesis(&cfg, &genesis)).unwrap();
        let back = parse(&json).unwrap();
        let header = genesis_header(&back, &cfg.hardforks).unwrap();
        assert_eq!(header, *genesis.header.inner());
        assert_eq!(header.hash_slow(), genesis.header.hash());
        assert_eq!(back.alloc.len(), genesis.state.account_count());

        // alloy-genesis, an independent reader of geth's format, reads the same file: the
        // fork times, the alloc (code, storage, balances) and the header fields.
        let other: alloy_genesis::Genesis = serde_json::from_slice(&json).unwrap();
        assert_eq!(other.config.chain_id, 901);
        assert_eq!(other.config.shanghai_time, Some(0));
        assert_eq!(other.config.cancun_time, Some(0));
        assert_eq!(other.config.prague_time, Some(0));
        assert_eq!(other.timestamp, cfg.genesis.l2_time);
        assert_eq!(other.gas_limit, 30_000_000);
        assert_eq!(other.extra_data, header.extra_data);
        assert_eq!(other.alloc.len(), back.alloc.len());
        for (address, account) in &other.alloc {
            let ours = genesis.state.account(address).unwrap();
            assert_eq!(account.balance, ours.balance, "{address}");
            assert_eq!(account.nonce.unwrap_or_default(), ours.nonce, "{address}");
            assert_eq!(
                account.code.clone().unwrap_or_default(),
                ours.code,
                "{address}"
            );
            let slots = account.storage.clone().unwrap_or_default();
            let non_zero = ours.storage.values().filter(|v| !v.is_zero()).count();
            assert_eq!(slots.len(), non_zero, "{address}");
        }
    }

    #[test]
    fn a_canyon_genesis_with_later_forks_reads_back_too() {
        // Pre-Ecotone genesis: no blob fields, no beacon root, the empty withdrawals root,
        // empty extraData; the later forks are only times in the chain config.
        let mut cfg = rollup();
        let t = cfg.genesis.l2_time;
        cfg.hardforks.ecotone_time = Some(t + 10);
        cfg.hardforks.fjord_time = Some(t + 20);
        cfg.hardforks.granite_time = Some(t + 30);
        cfg.hardforks.holocene_time = Some(t + 40);
        cfg.hardforks.isthmus_time = Some(t + 50);
        cfg.hardforks.jovian_time = Some(t + 60);
        let genesis = build_genesis(&DevGenesisConfig::from_rollup_config(&cfg)).unwrap();
        let g = to_geth_genesis(&cfg, &genesis);
        assert!(g.blob_gas_used.is_none());
        let json = serde_json::to_vec(&g).unwrap();
        let header = genesis_header(&parse(&json).unwrap(), &cfg.hardforks).unwrap();
        assert_eq!(header.withdrawals_root, Some(EMPTY_ROOT_HASH));
        assert_eq!(header.parent_beacon_block_root, None);
        assert!(header.extra_data.is_empty());
        assert_eq!(header.hash_slow(), genesis.header.hash());
        assert_eq!(g.config["ecotoneTime"], t + 10);
    }

    #[test]
    fn chain_config_names_the_forks_as_op_geth_does() {
        let mut cfg = rollup();
        cfg.hardforks.jovian_time = Some(1_700_000_100);
        let c = chain_config(&cfg);
        assert_eq!(c["chainId"], 901);
        assert_eq!(c["bedrockBlock"], 0);
        assert_eq!(c["londonBlock"], 0);
        assert_eq!(c["shanghaiTime"], c["canyonTime"]);
        assert_eq!(c["cancunTime"], c["ecotoneTime"]);
        assert_eq!(c["pragueTime"], c["isthmusTime"]);
        assert_eq!(c["jovianTime"], 1_700_000_100u64);
        assert!(
            c.get("deltaTime").is_none(),
            "Delta is consensus-layer only"
        );
        assert_eq!(c["optimism"]["eip1559DenominatorCanyon"], 250);
        assert_eq!(c["terminalTotalDifficultyPassed"], true);
    }

    #[test]
    fn a_changed_alloc_or_header_field_changes_the_hash() {
        let cfg = rollup();
        let genesis = build_genesis(&DevGenesisConfig::from_rollup_config(&cfg)).unwrap();
        let g = to_geth_genesis(&cfg, &genesis);
        let mut richer = g.clone();
        if let Some(a) = richer.alloc.values_mut().next() {
            a.balance += U256::from(1u8);
        }
        let h = genesis_header(&richer, &cfg.hardforks).unwrap();
        assert_ne!(h.hash_slow(), genesis.header.hash());
        let mut later = g;
        later.timestamp += 1;
        let h = genesis_header(&later, &cfg.hardforks).unwrap();
        assert_ne!(h.hash_slow(), genesis.header.hash());
        assert!(matches!(
            parse(b"{\"config\":{}}"),
            Err(GethGenesisError::Malformed(_))
        ));
    }
}
