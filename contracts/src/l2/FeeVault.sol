// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import { L2ToL1MessagePasser } from "./L2ToL1MessagePasser.sol";

/// @title FeeVault
/// @notice The implementation behind the SequencerFeeVault, BaseFeeVault and L1FeeVault
///         predeploys (specs: protocol/exec-engine.md#fee-vaults, protocol/predeploys.md
///         #sequencerfeevault, #basefeevault, #l1feevault): the execution layer credits fees to
///         the vault's balance, and `withdraw()` sends the whole balance to an immutable
///         recipient on L1 once it reaches a minimum. Written for Keel.
/// @dev    The withdrawal is initiated directly on the L2ToL1MessagePasser, to be proven and
///         finalized on L1 like any withdrawal. OP's older vaults went through the
///         L2StandardBridge instead; Keel's dev chain has no bridge (and no L1 portal that
///         finalizes withdrawals yet), so the message passer is the whole path. There is no
///         L2-recipient mode. Recipient and minimum are immutables of the implementation, so
///         they live in its code and work behind the proxy; changing them means upgrading the
///         proxy, as the specs say for the real vaults.
contract FeeVault {
    /// @notice The L2ToL1MessagePasser predeploy. Spec: protocol/predeploys.md.
    address payable internal constant MESSAGE_PASSER = payable(0x4200000000000000000000000000000000000016);

    /// @notice L1 gas limit of the withdrawal (OP's vaults use the same floor).
    uint256 internal constant WITHDRAWAL_MIN_GAS = 400_000;

    /// @notice The L1 account the fees are withdrawn to.
    address public immutable RECIPIENT;

    /// @notice Smallest balance `withdraw()` accepts.
    uint256 public immutable MIN_WITHDRAWAL_AMOUNT;

    /// @notice Total wei withdrawn so far (slot 0 of the proxy's storage).
    uint256 public totalProcessed;

    /// @notice `value` wei were withdrawn to `to` on L1, triggered by `from`.
    event Withdrawal(uint256 value, address to, address from);

    /// @notice The balance is below the minimum withdrawal amount.
    error BelowMinimum(uint256 balance, uint256 minimum);

    constructor(address _recipient, uint256 _minWithdrawalAmount) {
        RECIPIENT = _recipient;
        MIN_WITHDRAWAL_AMOUNT = _minWithdrawalAmount;
    }

    /// @notice Accepts ETH (fees arrive as balance credits, but anyone may top the vault up).
    receive() external payable { }

    /// @notice The L1 recipient.
    function recipient() external view returns (address) {
        return RECIPIENT;
    }

    /// @notice The minimum withdrawal amount.
    function minWithdrawalAmount() external view returns (uint256) {
        return MIN_WITHDRAWAL_AMOUNT;
    }

    /// @notice Withdraws the whole balance to the recipient on L1. Anyone may call it.
    function withdraw() external {
        uint256 value = address(this).balance;
        if (value < MIN_WITHDRAWAL_AMOUNT) revert BelowMinimum(value, MIN_WITHDRAWAL_AMOUNT);
        totalProcessed += value;
        emit Withdrawal(value, RECIPIENT, msg.sender);
        L2ToL1MessagePasser(MESSAGE_PASSER).initiateWithdrawal{ value: value }(RECIPIENT, WITHDRAWAL_MIN_GAS, bytes(""));
    }
}
