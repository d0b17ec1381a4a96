// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title DepositPortal
/// @notice The deposit contract of Keel's L1 dev chain: the deposit half of the OP Stack's
///         OptimismPortal, nothing else (no withdrawals, no fee burning, no pausing).
///         Spec: specs/protocol/deposits.md#deposit-contract.
/// @dev    Written for Keel from the spec; the checks mirror the real portal's where they are
///         cheap: creation needs a zero target, a minimum gas limit that pays for the
///         calldata, a calldata cap, and a per-L1-block cap on the L2 gas bought (the
///         guaranteed gas market's limit, without its EIP-1559 fee).
contract DepositPortal {
    /// @notice Version of the opaque data layout. Spec: deposits.md#deposit-contract.
    uint256 internal constant DEPOSIT_VERSION = 0;

    /// @notice L2 gas limit of a deposit made by sending ETH to the portal.
    uint64 internal constant RECEIVE_DEFAULT_GAS_LIMIT = 100_000;

    /// @notice Largest calldata a deposit may carry (the real portal's 120 kB bound, so a
    ///         deposit fits the 128 kB p2p limit of an L2 block).
    uint256 internal constant MAX_CALLDATA = 120_000;

    /// @notice L2 gas that deposits of one L1 block may buy in total (the real portal's
    ///         default `maxResourceLimit`). Spec: guaranteed-gas-market.md.
    uint64 public constant MAX_RESOURCE_LIMIT = 20_000_000;

    /// @notice Offset added to a contract caller's address (L1 to L2 alias).
    ///         Spec: deposits.md#address-aliasing.
    uint160 internal constant ALIAS_OFFSET = uint160(0x1111000000000000000000000000000000001111);

    /// @notice The L1 block whose deposits `prevBoughtGas` counts.
    uint64 public prevBlockNum;

    /// @notice L2 gas bought by the deposits of block `prevBlockNum`.
    uint64 public prevBoughtGas;

    /// @notice Emitted for each deposit; the rollup node turns it into a deposit transaction.
    ///         Spec: deposits.md#deposit-contract.
    event TransactionDeposited(address indexed from, address indexed to, uint256 indexed version, bytes opaqueData);

    /// @notice A creation deposit named a target.
    error BadTarget();
    /// @notice The gas limit does not cover the deposit's intrinsic cost.
    error SmallGasLimit();
    /// @notice The calldata is larger than `MAX_CALLDATA`.
    error LargeCalldata();
    /// @notice The deposits of this L1 block would buy more than `MAX_RESOURCE_LIMIT` gas.
    error OutOfResources();

    /// @notice Sending ETH deposits it to the sender's own address on L2.
    receive() external payable {
        depositTransaction(msg.sender, msg.value, RECEIVE_DEFAULT_GAS_LIMIT, false, bytes(""));
    }

    /// @notice The smallest gas limit a deposit with `_byteCount` bytes of calldata may ask
    ///         for: 21000 plus 16 per byte, as the real portal.
    function minimumGasLimit(uint64 _byteCount) public pure returns (uint64) {
        return _byteCount * 16 + 21_000;
    }

    /// @notice Requests an L2 transaction. `msg.value` is minted on L2 to the sender,
    ///         `_value` is sent from it to `_to`.
    /// @param _to         L2 target (must be zero for a creation).
    /// @param _value      Wei sent on L2.
    /// @param _gasLimit   L2 gas limit.
    /// @param _isCreation Whether the L2 transaction creates a contract.
    /// @param _data       L2 calldata, or init code for a creation.
    function depositTransaction(
        address _to,
        uint256 _value,
        uint64 _gasLimit,
        bool _isCreation,
        bytes memory _data
    )
        public
        payable
    {
        if (_isCreation && _to != address(0)) revert BadTarget();
        if (_data.length > MAX_CALLDATA) revert LargeCalldata();
        if (_gasLimit < minimumGasLimit(uint64(_data.length))) revert SmallGasLimit();
        _meter(_gasLimit);

        // A contract caller is aliased so it cannot pose as an L2 contract at the same
        // address; an EOA is the same account on both layers.
        address from = msg.sender;
        if (msg.sender != tx.origin) {
            unchecked {
                from = address(uint160(msg.sender) + ALIAS_OFFSET);
            }
        }

        // Spec: deposits.md#deposit-contract, opaque data version 0.
        bytes memory opaqueData = abi.encodePacked(msg.value, _value, _gasLimit, _isCreation, _data);
        emit TransactionDeposited(from, _to, DEPOSIT_VERSION, opaqueData);
    }

    /// @notice Counts `_gasLimit` against this L1 block's budget.
    function _meter(uint64 _gasLimit) internal {
        uint256 bought = _gasLimit;
        if (prevBlockNum == uint64(block.number)) {
            bought += prevBoughtGas;
        } else {
            prevBlockNum = uint64(block.number);
        }
        if (bought > MAX_RESOURCE_LIMIT) revert OutOfResources();
        prevBoughtGas = uint64(bought);
    }
}
