//! The L2 predeploy contracts Keel writes itself (`contracts/src/l2`), compiled by
//! `scripts/build-contracts.sh` into the committed `contracts/out/*.json` and embedded here,
//! with their Rust interfaces.
//!
//! Spec: protocol/predeploys.md, protocol/withdrawals.md#the-l2tol1messagepasser-contract,
//! protocol/exec-engine.md#fee-vaults.

use alloy_primitives::{U256, b256};

/// `contracts/out/Proxy.json`: the ERC-1967 proxy at every proxied predeploy.
pub const PROXY_ARTIFACT: &str = include_str!("../../../../contracts/out/Proxy.json");
/// `contracts/out/L2ToL1MessagePasser.json`.
pub const L2_TO_L1_MESSAGE_PASSER_ARTIFACT: &str =
    include_str!("../../../../contracts/out/L2ToL1MessagePasser.json");
/// `contracts/out/FeeVault.json`: the implementation of the three fee vaults.
pub const FEE_VAULT_ARTIFACT: &str = include_str!("../../../../contracts/out/FeeVault.json");

/// EIP-1967 implementation slot, `keccak256("eip1967.proxy.implementation") - 1`.
pub const IMPLEMENTATION_SLOT: U256 = U256::from_be_bytes(
    b256!("0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc").0,
);
/// EIP-1967 admin slot, `keccak256("eip1967.proxy.admin") - 1`.
pub const ADMIN_SLOT: U256 = U256::from_be_bytes(
    b256!("0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103").0,
);

alloy_sol_types::sol! {
    /// The proxy's interface (`contracts/src/l2/Proxy.sol`).
    #[derive(Debug, PartialEq, Eq)]
    interface IProxy {
        /// EIP-1967.
        event Upgraded(address indexed implementation);
        /// EIP-1967.
        event AdminChanged(address previousAdmin, address newAdmin);
        /// No implementation to delegate to.
        error ImplementationNotSet();
        /// Admin only (or the zero address).
        function upgradeTo(address _implementation) external payable;
        /// Admin only (or the zero address).
        function upgradeToAndCall(address _implementation, bytes _data) external payable returns (bytes);
        /// Admin only (or the zero address).
        function changeAdmin(address _admin) external payable;
        /// Admin only (or the zero address).
        function admin() external payable returns (address);
        /// Admin only (or the zero address).
        function implementation() external payable returns (address);
    }

    /// The message passer's interface (`contracts/src/l2/L2ToL1MessagePasser.sol`).
    /// Spec: protocol/withdrawals.md#the-l2tol1messagepasser-contract.
    #[derive(Debug, PartialEq, Eq)]
    interface IL2ToL1MessagePasser {
        /// A withdrawal was initiated.
        event MessagePassed(
            uint256 indexed nonce,
            address indexed sender,
            address indexed target,
            uint256 value,
            uint256 gasLimit,
            bytes data,
            bytes32 withdrawalHash
        );
        /// The passer's balance was burnt.
        event WithdrawerBalanceBurnt(uint256 indexed amount);
        /// Version in the nonce's top two bytes.
        function MESSAGE_VERSION() external view returns (uint16);
        /// Whether a withdrawal hash was initiated.
        function sentMessages(bytes32) external view returns (bool);
        /// The next versioned nonce.
        function messageNonce() external view returns (uint256);
        /// Initiates a withdrawal.
        function initiateWithdrawal(address _target, uint256 _gasLimit, bytes _data) external payable;
        /// Burns the passer's balance.
        function burn() external;
    }

    /// The fee vaults' interface (`contracts/src/l2/FeeVault.sol`).
    /// Spec: protocol/exec-engine.md#fee-vaults.
    #[derive(Debug, PartialEq, Eq)]
    interface IFeeVault {
        /// A withdrawal to the L1 recipient.
        event Withdrawal(uint256 value, address to, address from);
        /// Balance under the minimum.
        error BelowMinimum(uint256 balance, uint256 minimum);
        /// The L1 recipient.
        function RECIPIENT() external view returns (address);
        /// The minimum withdrawal amount.
        function MIN_WITHDRAWAL_AMOUNT() external view returns (uint256);
        /// The L1 recipient.
        function recipient() external view returns (address);
        /// The minimum withdrawal amount.
        function minWithdrawalAmount() external view returns (uint256);
        /// Total withdrawn.
        function totalProcessed() external view returns (uint256);
        /// Withdraws the whole balance to the recipient on L1.
        function withdraw() external;
    }
}
