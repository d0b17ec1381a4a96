//! The L1 dev chain's contracts: the deposit portal and the system config, compiled from
//! `contracts/src` by `scripts/build-contracts.sh` (solc-js, version pinned in
//! `tools/package.json`) into the committed `contracts/out/*.json`, which are embedded here.
//!
//! Spec: protocol/deposits.md#deposit-contract, protocol/system-config.md and the holocene /
//! isthmus / jovian `system-config.md`.

use alloy_primitives::{Address, Bytes, address};
use serde::Deserialize;

/// Address of the `DepositPortal` in the L1 dev genesis (`"KEEL"` then 1).
pub const DEPOSIT_PORTAL: Address = address!("0x4b45454c00000000000000000000000000000001");
/// Address of the `SystemConfig` in the L1 dev genesis (`"KEEL"` then 2).
pub const SYSTEM_CONFIG: Address = address!("0x4b45454c00000000000000000000000000000002");

/// `contracts/out/DepositPortal.json`.
pub const DEPOSIT_PORTAL_ARTIFACT: &str =
    include_str!("../../../../contracts/out/DepositPortal.json");
/// `contracts/out/SystemConfig.json`.
pub const SYSTEM_CONFIG_ARTIFACT: &str =
    include_str!("../../../../contracts/out/SystemConfig.json");
/// `contracts/out/DepositCaller.json` (a test helper that deposits from a contract).
pub const DEPOSIT_CALLER_ARTIFACT: &str =
    include_str!("../../../../contracts/out/DepositCaller.json");

/// A compiled contract as `scripts/build-contracts.sh` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// Contract name.
    pub contract_name: String,
    /// The ABI, as solc gives it.
    pub abi: serde_json::Value,
    /// Creation (init) code, without constructor arguments.
    pub bytecode: Bytes,
    /// Runtime code.
    pub deployed_bytecode: Bytes,
    /// Compiler name, version and settings.
    pub compiler: serde_json::Value,
}

impl Artifact {
    /// Parses an artifact's JSON.
    pub fn parse(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

alloy_sol_types::sol! {
    /// The `DepositPortal`'s interface (`contracts/src/DepositPortal.sol`).
    #[derive(Debug, PartialEq, Eq)]
    interface IDepositPortal {
        /// Spec: protocol/deposits.md#deposit-contract.
        event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);
        /// Requests an L2 deposit transaction.
        function depositTransaction(address _to, uint256 _value, uint64 _gasLimit, bool _isCreation, bytes _data) external payable;
        /// Smallest gas limit for `_byteCount` bytes of calldata.
        function minimumGasLimit(uint64 _byteCount) external pure returns (uint64);
        /// Creation with a non-zero target.
        error BadTarget();
        /// Gas limit below the minimum.
        error SmallGasLimit();
        /// Calldata over 120,000 bytes.
        error LargeCalldata();
        /// The L1 block's deposits would buy too much L2 gas.
        error OutOfResources();
    }

    /// The `SystemConfig`'s interface (`contracts/src/SystemConfig.sol`).
    #[derive(Debug, PartialEq, Eq)]
    interface ISystemConfig {
        /// The initial values (the L2 genesis system config).
        struct InitialConfig {
            address batcher;
            uint32 basefeeScalar;
            uint32 blobbasefeeScalar;
            uint64 gasLimit;
            uint32 eip1559Denominator;
            uint32 eip1559Elasticity;
            uint32 operatorFeeScalar;
            uint64 operatorFeeConstant;
            uint64 minBaseFee;
            uint16 daFootprintGasScalar;
        }
        /// Spec: protocol/system-config.md#system-config-updates.
        event ConfigUpdate(uint256 indexed version, uint8 indexed updateType, bytes data);
        /// Ownership moved.
        event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
        /// Not the owner.
        error NotOwner();
        /// Out-of-range parameter.
        error InvalidParameter();
        /// The owner.
        function owner() external view returns (address);
        /// Batcher hash (version 0: the address).
        function batcherHash() external view returns (bytes32);
        /// Ecotone scalar word.
        function scalar() external view returns (uint256);
        /// L2 gas limit.
        function gasLimit() external view returns (uint64);
        /// Unsafe block signer.
        function unsafeBlockSigner() external view returns (address);
        /// Base fee scalar.
        function basefeeScalar() external view returns (uint32);
        /// Blob base fee scalar.
        function blobbasefeeScalar() external view returns (uint32);
        /// EIP-1559 denominator.
        function eip1559Denominator() external view returns (uint32);
        /// EIP-1559 elasticity.
        function eip1559Elasticity() external view returns (uint32);
        /// Operator fee scalar.
        function operatorFeeScalar() external view returns (uint32);
        /// Operator fee constant.
        function operatorFeeConstant() external view returns (uint64);
        /// Minimum base fee.
        function minBaseFee() external view returns (uint64);
        /// DA footprint gas scalar.
        function daFootprintGasScalar() external view returns (uint16);
        /// Moves ownership.
        function transferOwnership(address _newOwner) external;
        /// Sets the batcher (`BATCHER`).
        function setBatcherHash(address _batcher) external;
        /// Sets the Ecotone fee scalars (`FEE_SCALARS`).
        function setGasConfigEcotone(uint32 _basefeeScalar, uint32 _blobbasefeeScalar) external;
        /// Sets the L2 gas limit (`GAS_LIMIT`).
        function setGasLimit(uint64 _gasLimit) external;
        /// Sets the unsafe block signer (`UNSAFE_BLOCK_SIGNER`).
        function setUnsafeBlockSigner(address _unsafeBlockSigner) external;
        /// Sets the EIP-1559 parameters (`EIP_1559_PARAMS`).
        function setEIP1559Params(uint32 _denominator, uint32 _elasticity) external;
        /// Sets the operator fee parameters (`OPERATOR_FEE_PARAMS`).
        function setOperatorFeeScalars(uint32 _operatorFeeScalar, uint64 _operatorFeeConstant) external;
        /// Sets the minimum base fee (`MIN_BASE_FEE`).
        function setMinBaseFee(uint64 _minBaseFee) external;
        /// Sets the DA footprint gas scalar (`DA_FOOTPRINT_GAS_SCALAR`).
        function setDAFootprintGasScalar(uint16 _daFootprintGasScalar) external;
    }

    /// The `DepositCaller` test helper's interface (`contracts/src/DepositCaller.sol`).
    #[derive(Debug, PartialEq, Eq)]
    interface IDepositCaller {
        /// Deposits through `_portal` from this contract.
        function deposit(address _portal, address _to, uint256 _value, uint64 _gasLimit, bytes _data) external payable;
    }
}
