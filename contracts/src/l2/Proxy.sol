// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title Proxy
/// @notice The ERC-1967 proxy in front of each of Keel's L2 predeploys (specs:
///         protocol/predeploys.md: "Proxies are set at the first 2048 addresses in the
///         namespace"). Written for Keel; the behaviour follows what the specs' network-upgrade
///         transactions rely on.
/// @dev    Storage: only the two EIP-1967 slots, so the implementation owns every other slot
///         (the L2ToL1MessagePasser's `sentMessages` stays at slot 0 behind this proxy).
///         The admin functions run when the caller is the admin or the zero address; any
///         other caller is delegated to the implementation, selector clashes included. The
///         zero address matters: the network-upgrade transactions (specs:
///         protocol/ecotone/derivation.md#l1block-proxy-update and the same section of the
///         later forks) are deposits with `from: 0x0000…0000` calling `upgradeTo`, and only
///         deposits can have that sender (no key signs for it), as in OP's own Proxy.
contract Proxy {
    /// @notice `keccak256("eip1967.proxy.implementation") - 1` (EIP-1967).
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    /// @notice `keccak256("eip1967.proxy.admin") - 1` (EIP-1967).
    bytes32 internal constant ADMIN_SLOT = 0xb53127684a568b3173ae13b9f8a6016e243e63b6e8ee1178d6a717850b5d6103;

    /// @notice The implementation changed (EIP-1967).
    event Upgraded(address indexed implementation);

    /// @notice The admin changed (EIP-1967).
    event AdminChanged(address previousAdmin, address newAdmin);

    /// @notice A call was to be delegated but no implementation is set yet (a predeploy whose
    ///         fork has not activated, like the OperatorFeeVault before Isthmus).
    error ImplementationNotSet();

    /// @notice Deployed at runtime (tests); the L2 genesis writes both slots directly instead.
    constructor(address _admin) {
        _setAdmin(_admin);
    }

    /// @notice Admin functions for the admin and the zero address, delegation for everyone
    ///         else. The zero-address test comes first: the upgrade deposits then need no
    ///         admin-slot read, which keeps them well inside their 50,000 gas.
    modifier adminOrDelegate() {
        if (msg.sender == address(0) || msg.sender == _getAdmin()) {
            _;
        } else {
            _delegate();
        }
    }

    receive() external payable {
        _delegate();
    }

    fallback() external payable {
        _delegate();
    }

    /// @notice Points the proxy at `_implementation`.
    function upgradeTo(address _implementation) external payable adminOrDelegate {
        _setImplementation(_implementation);
    }

    /// @notice Points the proxy at `_implementation`, then delegate-calls it with `_data`
    ///         (bubbling a revert up, so a failed initialisation undoes the upgrade).
    function upgradeToAndCall(address _implementation, bytes calldata _data)
        external
        payable
        adminOrDelegate
        returns (bytes memory)
    {
        _setImplementation(_implementation);
        (bool ok, bytes memory ret) = _implementation.delegatecall(_data);
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }

    /// @notice Moves the admin role to `_admin`.
    function changeAdmin(address _admin) external payable adminOrDelegate {
        _setAdmin(_admin);
    }

    /// @notice The admin (for the admin and the zero address, i.e. `eth_call` without a sender).
    function admin() external payable adminOrDelegate returns (address) {
        return _getAdmin();
    }

    /// @notice The implementation (for the admin and the zero address).
    function implementation() external payable adminOrDelegate returns (address) {
        return _getImplementation();
    }

    function _setImplementation(address _impl) internal {
        assembly {
            sstore(IMPLEMENTATION_SLOT, _impl)
        }
        emit Upgraded(_impl);
    }

    function _setAdmin(address _new) internal {
        address previous = _getAdmin();
        assembly {
            sstore(ADMIN_SLOT, _new)
        }
        emit AdminChanged(previous, _new);
    }

    function _getAdmin() internal view returns (address a) {
        assembly {
            a := sload(ADMIN_SLOT)
        }
    }

    function _getImplementation() internal view returns (address a) {
        assembly {
            a := sload(IMPLEMENTATION_SLOT)
        }
    }

    /// @dev Never returns to Solidity: it ends the call frame with the implementation's
    ///      return data or revert data, so it may use memory from offset 0.
    function _delegate() internal {
        address impl = _getImplementation();
        if (impl == address(0)) revert ImplementationNotSet();
        assembly {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), impl, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}
