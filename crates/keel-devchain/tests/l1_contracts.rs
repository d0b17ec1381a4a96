#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    missing_docs
)]
//! The committed contract artifacts: the genesis installs exactly their runtime code, the
//! Rust ABI matches the compiled ABI, the genesis `SystemConfig` holds the configured values,
//! and recompiling the sources with the pinned solc reproduces the committed bytes.

mod l1_support;

use std::{path::PathBuf, process::Command};

use alloy_primitives::B256;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use keel_devchain::{
    genesis::dev_accounts,
    l1::contracts::{
        Artifact, DEPOSIT_CALLER_ARTIFACT, DEPOSIT_PORTAL, DEPOSIT_PORTAL_ARTIFACT, IDepositPortal,
        ISystemConfig, SYSTEM_CONFIG, SYSTEM_CONFIG_ARTIFACT,
    },
};
use l1_support::*;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn genesis_installs_the_committed_runtime_code() {
    let chain = chain();
    let state = chain.state_at(0).unwrap();
    for (address, json) in [
        (DEPOSIT_PORTAL, DEPOSIT_PORTAL_ARTIFACT),
        (SYSTEM_CONFIG, SYSTEM_CONFIG_ARTIFACT),
    ] {
        let artifact = Artifact::parse(json).unwrap();
        assert!(artifact.deployed_bytecode.len() > 100);
        assert_eq!(
            state.code(&address),
            artifact.deployed_bytecode,
            "{} at {address}",
            artifact.contract_name
        );
        // Created by a constructor: nonce 1 (EIP-161).
        assert_eq!(state.nonce(&address), 1);
    }
    // The Prague system contracts the executor calls.
    for address in [
        alloy_eips::eip4788::BEACON_ROOTS_ADDRESS,
        alloy_eips::eip2935::HISTORY_STORAGE_ADDRESS,
        alloy_eips::eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
        alloy_eips::eip7251::CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS,
    ] {
        assert!(!state.code(&address).is_empty(), "{address}");
    }
}

/// Every function and event of the Rust interfaces exists in the compiled ABI with the same
/// selector (so a source edit that changes the interface is caught).
#[test]
fn rust_interfaces_match_the_compiled_abi() {
    fn selectors(json: &str) -> Vec<String> {
        let artifact = Artifact::parse(json).unwrap();
        let abi: alloy_json_abi_shim::Abi = serde_json::from_value(artifact.abi).unwrap();
        abi.entries()
    }
    let portal = selectors(DEPOSIT_PORTAL_ARTIFACT);
    for sig in IDepositPortal::IDepositPortalCalls::SIGNATURES {
        assert!(portal.contains(&sig.to_string()), "portal lacks {sig}");
    }
    assert!(portal.contains(&"TransactionDeposited(address,address,uint256,bytes)".to_string()));
    let sys = selectors(SYSTEM_CONFIG_ARTIFACT);
    for sig in ISystemConfig::ISystemConfigCalls::SIGNATURES {
        assert!(sys.contains(&sig.to_string()), "system config lacks {sig}");
    }
    assert!(sys.contains(&"ConfigUpdate(uint256,uint8,bytes)".to_string()));
    let caller = selectors(DEPOSIT_CALLER_ARTIFACT);
    assert!(caller.contains(&"deposit(address,address,uint256,uint64,bytes)".to_string()));
}

/// A minimal reader of solc's ABI JSON: the canonical signature of each function and event.
#[allow(unreachable_pub)]
mod alloy_json_abi_shim {
    use serde::Deserialize;

    #[derive(Deserialize)]
    pub struct Param {
        #[serde(rename = "type")]
        ty: String,
        #[serde(default)]
        components: Vec<Param>,
    }

    impl Param {
        fn canonical(&self) -> String {
            match self.ty.strip_prefix("tuple") {
                Some(rest) => format!(
                    "({}){rest}",
                    self.components
                        .iter()
                        .map(Param::canonical)
                        .collect::<Vec<_>>()
                        .join(",")
                ),
                None => self.ty.clone(),
            }
        }
    }

    #[derive(Deserialize)]
    pub struct Entry {
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        name: String,
        #[serde(default)]
        inputs: Vec<Param>,
    }

    #[derive(Deserialize)]
    #[serde(transparent)]
    pub struct Abi(Vec<Entry>);

    impl Abi {
        pub fn entries(&self) -> Vec<String> {
            self.0
                .iter()
                .filter(|e| e.kind == "function" || e.kind == "event")
                .map(|e| {
                    let args: Vec<String> = e.inputs.iter().map(Param::canonical).collect();
                    format!("{}({})", e.name, args.join(","))
                })
                .collect()
        }
    }
}

fn call(chain: &keel_devchain::l1::L1Chain, data: Vec<u8>) -> alloy_primitives::Bytes {
    let req = TransactionRequest::default()
        .to(SYSTEM_CONFIG)
        .input(alloy_primitives::Bytes::from(data).into());
    let out = chain.call(&req, chain.head().number()).unwrap();
    assert!(out.success, "{out:?}");
    out.output
}

#[test]
fn genesis_system_config_holds_the_configured_values() {
    let chain = chain();
    let accounts = dev_accounts().unwrap();
    let owner = call(&chain, ISystemConfig::ownerCall {}.abi_encode());
    assert_eq!(
        ISystemConfig::ownerCall::abi_decode_returns(&owner).unwrap(),
        accounts[0]
    );
    let batcher = call(&chain, ISystemConfig::batcherHashCall {}.abi_encode());
    assert_eq!(
        ISystemConfig::batcherHashCall::abi_decode_returns(&batcher).unwrap(),
        accounts[1].into_word()
    );
    let gas = call(&chain, ISystemConfig::gasLimitCall {}.abi_encode());
    assert_eq!(
        ISystemConfig::gasLimitCall::abi_decode_returns(&gas).unwrap(),
        30_000_000
    );
    // The scalar word as the L2 genesis system config packs it (Ecotone, version 1).
    let scalar = call(&chain, ISystemConfig::scalarCall {}.abi_encode());
    let expected = keel_devchain::l1::L1GenesisConfig::dev(GENESIS_TIME)
        .unwrap()
        .system_config
        .scalar;
    assert_eq!(
        B256::from(ISystemConfig::scalarCall::abi_decode_returns(&scalar).unwrap()),
        expected
    );
    assert_eq!(expected[0], 1);
    let signer = call(&chain, ISystemConfig::unsafeBlockSignerCall {}.abi_encode());
    assert_eq!(
        ISystemConfig::unsafeBlockSignerCall::abi_decode_returns(&signer).unwrap(),
        accounts[2]
    );
    // The portal's minimum gas limit: 21000 + 16 per calldata byte.
    let req = TransactionRequest::default().to(DEPOSIT_PORTAL).input(
        alloy_primitives::Bytes::from(
            IDepositPortal::minimumGasLimitCall { _byteCount: 10 }.abi_encode(),
        )
        .into(),
    );
    let out = chain.call(&req, 0).unwrap();
    assert_eq!(
        IDepositPortal::minimumGasLimitCall::abi_decode_returns(&out.output).unwrap(),
        21_160
    );
}

/// Recompiles `contracts/src` with the pinned solc-js into a temporary directory and
/// compares with `contracts/out`. Needs node and `tools/node_modules/solc`
/// (`npm ci --prefix tools`); skipped with a message without them, except under `CI=true`.
#[test]
fn recompiling_reproduces_the_committed_artifacts() {
    let root = repo_root();
    let have_solc = root.join("tools/node_modules/solc/soljson.js").exists();
    let have_node = Command::new("node").arg("--version").output().is_ok();
    if !(have_solc && have_node) {
        let msg = "node or tools/node_modules/solc missing (run `npm ci --prefix tools`)";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{msg}");
        }
        eprintln!("skipping recompilation check: {msg}");
        return;
    }
    let out = std::env::temp_dir().join(format!("keel-contracts-{}", std::process::id()));
    let status = Command::new("node")
        .arg(root.join("contracts/compile.cjs"))
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "solc failed");
    for name in [
        "DepositPortal",
        "SystemConfig",
        "DepositCaller",
        "Proxy",
        "L2ToL1MessagePasser",
        "FeeVault",
    ] {
        let fresh = std::fs::read_to_string(out.join(format!("{name}.json"))).unwrap();
        let committed =
            std::fs::read_to_string(root.join(format!("contracts/out/{name}.json"))).unwrap();
        let fresh = Artifact::parse(&fresh).unwrap();
        let committed = Artifact::parse(&committed).unwrap();
        assert_eq!(
            fresh.bytecode, committed.bytecode,
            "{name}: creation code differs; run scripts/build-contracts.sh"
        );
        assert_eq!(
            fresh.deployed_bytecode, committed.deployed_bytecode,
            "{name}"
        );
        assert_eq!(fresh.abi, committed.abi, "{name}");
        assert_eq!(fresh.compiler, committed.compiler, "{name}");
    }
    let _ = std::fs::remove_dir_all(&out);
}
