// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title L2ToL1MessagePasser
/// @notice Where L2 withdrawals are initiated and committed to (specs: protocol/withdrawals.md
///         #the-l2tol1messagepasser-contract, protocol/predeploys.md#l2tol1messagepasser).
///         Written for Keel from the spec's interface.
/// @dev    The storage layout is consensus: L1 proves a withdrawal by a storage proof of
///         `sentMessages[hash]` against this contract's storage root (the output root's
///         message-passer root; from Isthmus also the header's `withdrawalsRoot`, specs:
///         protocol/proposals.md#l2-output-commitment-construction,
///         protocol/isthmus/exec-engine.md). So `sentMessages` is slot 0 and the nonce slot 1,
///         as in OP's contract. The withdrawal hash and the versioned nonce are not spelled out
///         in the specs: they follow OP's `Hashing.hashWithdrawal` and
///         `Encoding.encodeVersionedNonce`, which the L1 portal checks against.
contract L2ToL1MessagePasser {
    /// @notice L1 gas limit of a withdrawal made by sending ETH here without calldata.
    uint256 internal constant RECEIVE_DEFAULT_GAS_LIMIT = 100_000;

    /// @notice Version carried in the top two bytes of `messageNonce()`.
    uint16 public constant MESSAGE_VERSION = 1;

    /// @notice Withdrawal hashes initiated here (slot 0).
    mapping(bytes32 => bool) public sentMessages;

    /// @notice Number of withdrawals initiated so far (slot 1, the low 240 bits).
    uint240 internal msgNonce;

    /// @notice A withdrawal was initiated; carries every hashed field and the hash.
    event MessagePassed(
        uint256 indexed nonce,
        address indexed sender,
        address indexed target,
        uint256 value,
        uint256 gasLimit,
        bytes data,
        bytes32 withdrawalHash
    );

    /// @notice `amount` wei withdrawn to L1 was removed from the L2 supply.
    event WithdrawerBalanceBurnt(uint256 indexed amount);

    /// @notice Sending ETH without calldata withdraws it to the sender on L1.
    receive() external payable {
        initiateWithdrawal(msg.sender, RECEIVE_DEFAULT_GAS_LIMIT, bytes(""));
    }

    /// @notice Removes the ETH held here (withdrawn to L1, so no longer L2 supply) from the
    ///         state. Anyone may call it.
    function burn() external {
        uint256 amount = address(this).balance;
        // A contract whose init code is ADDRESS SELFDESTRUCT (0x30ff): it receives the balance
        // and destroys itself as its own beneficiary in the creating transaction, which burns
        // the ETH before and after EIP-6780.
        assembly {
            mstore(0, 0x30ff)
            if iszero(create(amount, 30, 2)) { revert(0, 0) }
        }
        emit WithdrawerBalanceBurnt(amount);
    }

    /// @notice Initiates a withdrawal of `msg.value` to `_target` on L1, to be called there
    ///         with `_data` and at least `_gasLimit` gas.
    function initiateWithdrawal(address _target, uint256 _gasLimit, bytes memory _data) public payable {
        uint256 nonce = messageNonce();
        bytes32 withdrawalHash = keccak256(abi.encode(nonce, msg.sender, _target, msg.value, _gasLimit, _data));
        sentMessages[withdrawalHash] = true;
        emit MessagePassed(nonce, msg.sender, _target, msg.value, _gasLimit, _data, withdrawalHash);
        unchecked {
            // 2^240 withdrawals cannot happen; wrapping would only reuse nonces.
            ++msgNonce;
        }
    }

    /// @notice The next withdrawal's nonce: `MESSAGE_VERSION` in the top two bytes, the count
    ///         below.
    function messageNonce() public view returns (uint256) {
        return (uint256(MESSAGE_VERSION) << 240) | uint256(msgNonce);
    }
}
