// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title SystemConfig
/// @notice The system-config contract of Keel's L1 dev chain: the L2 system parameters the
///         rollup node derives from L1, each changed by an owner-only setter that emits the
///         spec's `ConfigUpdate` event. Spec: specs/protocol/system-config.md,
///         holocene/system-config.md, isthmus/system-config.md, jovian/system-config.md.
/// @dev    Written for Keel from the spec. No proxy, no resource config, no L1 contract
///         addresses: only what derivation reads. The constructor sets the initial values
///         without events (the rollup config carries the genesis system config).
contract SystemConfig {
    /// @notice The update types of `ConfigUpdate`, numbered as in the spec.
    enum UpdateType {
        BATCHER,
        FEE_SCALARS,
        GAS_LIMIT,
        UNSAFE_BLOCK_SIGNER,
        EIP_1559_PARAMS,
        OPERATOR_FEE_PARAMS,
        MIN_BASE_FEE,
        DA_FOOTPRINT_GAS_SCALAR
    }

    /// @notice The only `ConfigUpdate` version.
    uint256 public constant VERSION = 0;

    /// @notice Smallest L2 gas limit accepted (the real contract's floor for its default
    ///         resource config: 20M resource limit plus 1M system-transaction gas).
    uint64 public constant MINIMUM_GAS_LIMIT = 21_000_000;

    /// @notice Largest L2 gas limit accepted. Spec: configurability.md#gas-limit.
    uint64 public constant MAXIMUM_GAS_LIMIT = 500_000_000;

    // Storage: one slot per value (no packing), so slots are easy to read from outside.

    /// @notice The account allowed to call the setters.
    address public owner;
    /// @notice The batcher as a versioned hash: version 0 is the address, zero-padded.
    bytes32 public batcherHash;
    /// @notice The Ecotone fee scalar word (version byte 1, blob base fee scalar, base fee scalar).
    uint256 public scalar;
    /// @notice L1 base fee scalar (Ecotone).
    uint256 internal basefeeScalar_;
    /// @notice L1 blob base fee scalar (Ecotone).
    uint256 internal blobbasefeeScalar_;
    /// @notice L2 block gas limit.
    uint256 internal gasLimit_;
    /// @notice Signer of unsafe L2 blocks on the p2p network.
    address public unsafeBlockSigner;
    /// @notice EIP-1559 denominator (Holocene).
    uint256 internal eip1559Denominator_;
    /// @notice EIP-1559 elasticity (Holocene).
    uint256 internal eip1559Elasticity_;
    /// @notice Operator fee scalar (Isthmus).
    uint256 internal operatorFeeScalar_;
    /// @notice Operator fee constant (Isthmus).
    uint256 internal operatorFeeConstant_;
    /// @notice Minimum L2 base fee in wei (Jovian).
    uint256 internal minBaseFee_;
    /// @notice DA footprint gas scalar (Jovian).
    uint256 internal daFootprintGasScalar_;

    /// @notice A system parameter changed. Spec: system-config.md#system-config-updates.
    event ConfigUpdate(uint256 indexed version, UpdateType indexed updateType, bytes data);

    /// @notice Ownership moved.
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// @notice The caller is not the owner.
    error NotOwner();
    /// @notice A parameter is out of its range.
    error InvalidParameter();

    modifier onlyOwner() {
        if (msg.sender != owner) revert NotOwner();
        _;
    }

    /// @notice The initial values (the L2 genesis system config).
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

    /// @notice Sets the initial values; emits no `ConfigUpdate` (the rollup config carries
    ///         the genesis system config).
    constructor(address _owner, address _unsafeBlockSigner, InitialConfig memory _cfg) {
        if (_cfg.gasLimit < MINIMUM_GAS_LIMIT || _cfg.gasLimit > MAXIMUM_GAS_LIMIT) revert InvalidParameter();
        owner = _owner;
        unsafeBlockSigner = _unsafeBlockSigner;
        batcherHash = bytes32(uint256(uint160(_cfg.batcher)));
        basefeeScalar_ = _cfg.basefeeScalar;
        blobbasefeeScalar_ = _cfg.blobbasefeeScalar;
        scalar = _ecotoneScalar(_cfg.basefeeScalar, _cfg.blobbasefeeScalar);
        gasLimit_ = _cfg.gasLimit;
        eip1559Denominator_ = _cfg.eip1559Denominator;
        eip1559Elasticity_ = _cfg.eip1559Elasticity;
        operatorFeeScalar_ = _cfg.operatorFeeScalar;
        operatorFeeConstant_ = _cfg.operatorFeeConstant;
        minBaseFee_ = _cfg.minBaseFee;
        daFootprintGasScalar_ = _cfg.daFootprintGasScalar;
    }

    /// @notice Moves ownership to `_newOwner`.
    function transferOwnership(address _newOwner) external onlyOwner {
        if (_newOwner == address(0)) revert InvalidParameter();
        emit OwnershipTransferred(owner, _newOwner);
        owner = _newOwner;
    }

    /// @notice L2 block gas limit.
    function gasLimit() external view returns (uint64) {
        return uint64(gasLimit_);
    }

    /// @notice L1 base fee scalar (Ecotone).
    function basefeeScalar() external view returns (uint32) {
        return uint32(basefeeScalar_);
    }

    /// @notice L1 blob base fee scalar (Ecotone).
    function blobbasefeeScalar() external view returns (uint32) {
        return uint32(blobbasefeeScalar_);
    }

    /// @notice Pre-Ecotone overhead; always zero here (Ecotone is active from genesis).
    function overhead() external pure returns (uint256) {
        return 0;
    }

    /// @notice EIP-1559 denominator (Holocene); zero means the chain default.
    function eip1559Denominator() external view returns (uint32) {
        return uint32(eip1559Denominator_);
    }

    /// @notice EIP-1559 elasticity (Holocene); zero means the chain default.
    function eip1559Elasticity() external view returns (uint32) {
        return uint32(eip1559Elasticity_);
    }

    /// @notice Operator fee scalar (Isthmus).
    function operatorFeeScalar() external view returns (uint32) {
        return uint32(operatorFeeScalar_);
    }

    /// @notice Operator fee constant (Isthmus).
    function operatorFeeConstant() external view returns (uint64) {
        return uint64(operatorFeeConstant_);
    }

    /// @notice Minimum L2 base fee in wei (Jovian).
    function minBaseFee() external view returns (uint64) {
        return uint64(minBaseFee_);
    }

    /// @notice DA footprint gas scalar (Jovian).
    function daFootprintGasScalar() external view returns (uint16) {
        return uint16(daFootprintGasScalar_);
    }

    /// @notice Sets the batcher address. Data: `abi.encode(bytes32)`, the address zero-padded
    ///         (batcher hash version 0). Spec: system-config.md#batcher-hash.
    function setBatcherHash(address _batcher) external onlyOwner {
        _setBatcherHash(bytes32(uint256(uint160(_batcher))));
    }

    /// @notice Sets the batcher hash. Data: `abi.encode(bytes32)`.
    function setBatcherHash(bytes32 _batcherHash) external onlyOwner {
        _setBatcherHash(_batcherHash);
    }

    function _setBatcherHash(bytes32 _batcherHash) internal {
        batcherHash = _batcherHash;
        emit ConfigUpdate(VERSION, UpdateType.BATCHER, abi.encode(_batcherHash));
    }

    /// @notice Sets the Ecotone L1 fee scalars. Data: `abi.encode(overhead, scalar)` with
    ///         overhead 0 and scalar `(1 << 248) | (blobbasefeeScalar << 32) | basefeeScalar`.
    ///         Spec: system-config.md#scalars, ecotone/l1-attributes.md.
    function setGasConfigEcotone(uint32 _basefeeScalar, uint32 _blobbasefeeScalar) external onlyOwner {
        basefeeScalar_ = _basefeeScalar;
        blobbasefeeScalar_ = _blobbasefeeScalar;
        uint256 s = _ecotoneScalar(_basefeeScalar, _blobbasefeeScalar);
        scalar = s;
        emit ConfigUpdate(VERSION, UpdateType.FEE_SCALARS, abi.encode(uint256(0), s));
    }

    /// @notice Sets the L2 gas limit. Data: `abi.encode(uint64)`. Spec: system-config.md#l2-gas-limit.
    function setGasLimit(uint64 _gasLimit) external onlyOwner {
        if (_gasLimit < MINIMUM_GAS_LIMIT || _gasLimit > MAXIMUM_GAS_LIMIT) revert InvalidParameter();
        gasLimit_ = _gasLimit;
        emit ConfigUpdate(VERSION, UpdateType.GAS_LIMIT, abi.encode(_gasLimit));
    }

    /// @notice Sets the unsafe block signer. Data: `abi.encode(address)`.
    function setUnsafeBlockSigner(address _unsafeBlockSigner) external onlyOwner {
        unsafeBlockSigner = _unsafeBlockSigner;
        emit ConfigUpdate(VERSION, UpdateType.UNSAFE_BLOCK_SIGNER, abi.encode(_unsafeBlockSigner));
    }

    /// @notice Sets the EIP-1559 parameters (both at least 1). Data:
    ///         `abi.encode(uint256(denominator) << 32 | elasticity)`.
    ///         Spec: holocene/system-config.md.
    function setEIP1559Params(uint32 _denominator, uint32 _elasticity) external onlyOwner {
        if (_denominator < 1 || _elasticity < 1) revert InvalidParameter();
        eip1559Denominator_ = _denominator;
        eip1559Elasticity_ = _elasticity;
        emit ConfigUpdate(VERSION, UpdateType.EIP_1559_PARAMS, abi.encode((uint256(_denominator) << 32) | _elasticity));
    }

    /// @notice Sets the operator fee parameters. Data:
    ///         `abi.encode(uint256(scalar) << 64 | constant)`. Spec: isthmus/system-config.md.
    function setOperatorFeeScalars(uint32 _operatorFeeScalar, uint64 _operatorFeeConstant) external onlyOwner {
        operatorFeeScalar_ = _operatorFeeScalar;
        operatorFeeConstant_ = _operatorFeeConstant;
        emit ConfigUpdate(
            VERSION,
            UpdateType.OPERATOR_FEE_PARAMS,
            abi.encode((uint256(_operatorFeeScalar) << 64) | _operatorFeeConstant)
        );
    }

    /// @notice Sets the minimum L2 base fee. Data: `abi.encode(uint64)`. Spec: jovian/system-config.md.
    function setMinBaseFee(uint64 _minBaseFee) external onlyOwner {
        minBaseFee_ = _minBaseFee;
        emit ConfigUpdate(VERSION, UpdateType.MIN_BASE_FEE, abi.encode(_minBaseFee));
    }

    /// @notice Sets the DA footprint gas scalar. Data: `abi.encode(uint16)`. Spec: jovian/system-config.md.
    function setDAFootprintGasScalar(uint16 _daFootprintGasScalar) external onlyOwner {
        daFootprintGasScalar_ = _daFootprintGasScalar;
        emit ConfigUpdate(VERSION, UpdateType.DA_FOOTPRINT_GAS_SCALAR, abi.encode(_daFootprintGasScalar));
    }

    function _ecotoneScalar(uint32 _basefeeScalar, uint32 _blobbasefeeScalar) internal pure returns (uint256) {
        return (uint256(0x01) << 248) | (uint256(_blobbasefeeScalar) << 32) | _basefeeScalar;
    }
}
