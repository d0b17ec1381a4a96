// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title DepositCaller
/// @notice Test helper, not in the genesis: a contract that deposits through the portal, so
///         tests can see the portal alias a contract caller (deposits.md#address-aliasing).
contract DepositCaller {
    /// @notice Forwards a deposit request with the ETH sent along.
    function deposit(address payable _portal, address _to, uint256 _value, uint64 _gasLimit, bytes calldata _data)
        external
        payable
    {
        (bool ok, bytes memory ret) = _portal.call{ value: msg.value }(
            abi.encodeWithSignature(
                "depositTransaction(address,uint256,uint64,bool,bytes)", _to, _value, _gasLimit, false, _data
            )
        );
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
