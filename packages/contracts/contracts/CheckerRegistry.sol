// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {EpochClock} from "./EpochClock.sol";
import {ICheckerRegistry} from "./interfaces/ICheckerRegistry.sol";
import {BLS12381} from "./libraries/BLS12381.sol";
import {PublicKeyStore} from "./libraries/PublicKeyStore.sol";
import {Tags} from "./libraries/Tags.sol";

/**
 * @dev Checker operators and the active license set. Committees are drawn
 * from the active set (one seat = one license), so an operator's chance of a
 * seat is proportional to its weight, and drawing a committee costs the same
 * whatever the number of operators or licenses.
 */
contract CheckerRegistry is EpochClock, ICheckerRegistry {
    /// @dev Binary multihash peer ids are 38 bytes for Ed25519 keys; 128 leaves room for any key type.
    uint256 public constant MAX_PEER_ID_LENGTH = 128;
    /// @dev Committee bitfields are one uint256.
    uint256 private constant _MAX_SEATS = 256;

    struct Operator {
        address keyPointer;
        uint64 registeredEpoch;
        uint64 exitEpoch;
        uint32 weight;
        bytes peerId;
    }

    /// @dev One active license; the key pointer is copied here so a seat costs one storage read.
    struct Seat {
        address keyPointer;
        uint96 licenseId;
    }

    struct Jail {
        uint64 fromEpoch;
        uint64 untilEpoch;
    }

    address private immutable _license;
    address private immutable _slashing;
    uint64 private immutable _exitDelayEpochs;
    bytes32 private immutable _domainSeparator;

    mapping(address operator => Operator) private _operators;
    mapping(bytes32 keyHash => address operator) private _keyOwners;
    mapping(address operator => Jail) private _jails;
    Seat[] private _seats;
    mapping(uint256 licenseId => uint256 indexPlusOne) private _seatIndex;
    mapping(uint256 licenseId => address operator) private _licenseOperators;

    /**
     * @param reports_ the epoch reports contract: the verifying contract of the network domain.
     * @param exitDelayEpochs_ epochs between `requestExit` and `completeExit`.
     */
    constructor(
        uint64 genesisTime_,
        uint64 epochSeconds_,
        address license_,
        address slashing_,
        address reports_,
        uint64 exitDelayEpochs_
    ) EpochClock(genesisTime_, epochSeconds_) {
        _license = license_;
        _slashing = slashing_;
        _exitDelayEpochs = exitDelayEpochs_;
        _domainSeparator = Tags.domainSeparator(block.chainid, reports_);
    }

    /// @inheritdoc ICheckerRegistry
    function register(bytes calldata publicKey, bytes calldata proofOfPossession, bytes calldata peerId) external {
        if (_operators[msg.sender].keyPointer != address(0)) revert CheckerRegistryAlreadyRegistered(msg.sender);
        _checkPeerId(peerId);
        if (publicKey.length != BLS12381.G1_POINT_LENGTH || BLS12381.isInfinity(publicKey)) {
            revert CheckerRegistryInvalidPublicKey();
        }
        // The precompiles refuse non-canonical field elements, so each point has one accepted encoding.
        bytes32 keyHash = keccak256(publicKey);
        address keyOwner = _keyOwners[keyHash];
        if (keyOwner != address(0)) revert CheckerRegistryPublicKeyTaken(keyOwner);
        if (!BLS12381.verify(publicKey, proofOfPossessionMessage(msg.sender, publicKey), proofOfPossession)) {
            revert CheckerRegistryInvalidProofOfPossession();
        }

        Operator storage operator = _operators[msg.sender];
        operator.keyPointer = PublicKeyStore.write(publicKey);
        operator.registeredEpoch = currentEpoch();
        operator.peerId = peerId;
        _keyOwners[keyHash] = msg.sender;
        emit OperatorRegistered(msg.sender, publicKey, peerId);
    }

    /// @inheritdoc ICheckerRegistry
    function updatePeerId(bytes calldata peerId) external {
        Operator storage operator = _requireRegistered(msg.sender);
        _checkPeerId(peerId);
        operator.peerId = peerId;
        emit OperatorPeerIdUpdated(msg.sender, peerId);
    }

    /// @inheritdoc ICheckerRegistry
    function requestExit() external {
        Operator storage operator = _requireRegistered(msg.sender);
        if (operator.exitEpoch != 0) revert CheckerRegistryExitRequested(msg.sender, operator.exitEpoch);
        if (operator.weight != 0) revert CheckerRegistryHasDelegations(msg.sender, operator.weight);
        uint64 exitEpoch = currentEpoch() + _exitDelayEpochs;
        // 0 means "no exit requested", so an exit never completes before epoch 1.
        if (exitEpoch == 0) exitEpoch = 1;
        operator.exitEpoch = exitEpoch;
        emit OperatorExitRequested(msg.sender, exitEpoch);
    }

    /// @inheritdoc ICheckerRegistry
    function completeExit() external {
        Operator storage operator = _requireRegistered(msg.sender);
        uint64 exitEpoch = operator.exitEpoch;
        if (exitEpoch == 0) revert CheckerRegistryExitNotRequested(msg.sender);
        uint64 epoch = currentEpoch();
        if (epoch < exitEpoch) revert CheckerRegistryExitDelayNotElapsed(msg.sender, epoch, exitEpoch);
        // The key stays in _keyOwners: nobody can register it again. The jail record stays too.
        delete _operators[msg.sender];
        emit OperatorExited(msg.sender);
    }

    /// @inheritdoc ICheckerRegistry
    function onLicenseDelegated(uint256 licenseId, address operator) external {
        if (msg.sender != _license) revert CheckerRegistryUnauthorized(msg.sender);
        if (!canReceiveDelegation(operator)) revert CheckerRegistryOperatorUnavailable(operator);
        Operator storage record = _operators[operator];
        record.weight += 1;
        _seats.push(Seat({keyPointer: record.keyPointer, licenseId: SafeCast.toUint96(licenseId)}));
        _seatIndex[licenseId] = _seats.length;
        _licenseOperators[licenseId] = operator;
        emit LicenseActivated(licenseId, operator, _seats.length);
    }

    /// @inheritdoc ICheckerRegistry
    function onLicenseUndelegated(uint256 licenseId, address operator) external {
        if (msg.sender != _license) revert CheckerRegistryUnauthorized(msg.sender);
        uint256 indexPlusOne = _seatIndex[licenseId];
        // The license contract only reports licenses it activated here.
        uint256 last = _seats.length - 1;
        if (indexPlusOne - 1 != last) {
            Seat memory moved = _seats[last];
            _seats[indexPlusOne - 1] = moved;
            _seatIndex[moved.licenseId] = indexPlusOne;
        }
        _seats.pop();
        delete _seatIndex[licenseId];
        delete _licenseOperators[licenseId];
        _operators[operator].weight -= 1;
        emit LicenseDeactivated(licenseId, operator, _seats.length);
    }

    /// @inheritdoc ICheckerRegistry
    function jail(address[] calldata operators, uint64 fromEpoch, uint64 untilEpoch) external {
        if (msg.sender != _slashing) revert CheckerRegistryUnauthorized(msg.sender);
        for (uint256 i = 0; i < operators.length; ++i) {
            Jail storage record = _jails[operators[i]];
            // Intervals merge: a second offence extends the jail instead of replacing it.
            if (record.untilEpoch == 0) {
                record.fromEpoch = fromEpoch;
                record.untilEpoch = untilEpoch;
            } else {
                if (fromEpoch < record.fromEpoch) record.fromEpoch = fromEpoch;
                if (untilEpoch > record.untilEpoch) record.untilEpoch = untilEpoch;
            }
            emit OperatorJailed(operators[i], record.fromEpoch, record.untilEpoch);
        }
    }

    /// @inheritdoc ICheckerRegistry
    function operatorInfo(address operator) external view returns (OperatorInfo memory info) {
        Operator storage record = _operators[operator];
        if (record.keyPointer == address(0)) return info;
        info = OperatorInfo({
            registered: true,
            registeredEpoch: record.registeredEpoch,
            exitEpoch: record.exitEpoch,
            weight: record.weight,
            publicKey: PublicKeyStore.read(record.keyPointer),
            peerId: record.peerId
        });
    }

    /// @inheritdoc ICheckerRegistry
    function publicKeyOf(address operator) external view returns (bytes memory) {
        address pointer = _operators[operator].keyPointer;
        if (pointer == address(0)) return "";
        return PublicKeyStore.read(pointer);
    }

    /// @inheritdoc ICheckerRegistry
    function weightOf(address operator) external view returns (uint256) {
        return _operators[operator].weight;
    }

    /// @inheritdoc ICheckerRegistry
    function isJailed(address operator, uint64 epoch) public view returns (bool) {
        Jail storage record = _jails[operator];
        return record.untilEpoch != 0 && record.fromEpoch <= epoch && epoch <= record.untilEpoch;
    }

    /// @inheritdoc ICheckerRegistry
    function jailOf(address operator) external view returns (uint64 fromEpoch, uint64 untilEpoch) {
        Jail storage record = _jails[operator];
        return (record.fromEpoch, record.untilEpoch);
    }

    /// @inheritdoc ICheckerRegistry
    function canReceiveDelegation(address operator) public view returns (bool) {
        Operator storage record = _operators[operator];
        return record.keyPointer != address(0) && record.exitEpoch == 0 && !isJailed(operator, currentEpoch());
    }

    /// @inheritdoc ICheckerRegistry
    function activeLicenseCount() external view returns (uint256) {
        return _seats.length;
    }

    /// @inheritdoc ICheckerRegistry
    function activeLicenseAt(uint256 index) external view returns (uint256 licenseId, address operator) {
        licenseId = _seats[index].licenseId;
        operator = _licenseOperators[licenseId];
    }

    /// @inheritdoc ICheckerRegistry
    function committee(bytes32 tag, bytes32 seed, uint256 nonce, uint256 seats)
        external
        view
        returns (address[] memory operators, uint256[] memory licenseIds)
    {
        if (seats > _MAX_SEATS) revert CheckerRegistryInvalidCommitteeSize(seats);
        uint256 active = _seats.length;
        if (active == 0) return (operators, licenseIds);
        operators = new address[](seats);
        licenseIds = new uint256[](seats);
        for (uint256 j = 0; j < seats; ++j) {
            uint256 licenseId = _seats[_seatIndexOf(tag, seed, nonce, j, active)].licenseId;
            licenseIds[j] = licenseId;
            operators[j] = _licenseOperators[licenseId];
        }
    }

    /// @inheritdoc ICheckerRegistry
    function aggregateCommitteeKey(bytes32 tag, bytes32 seed, uint256 nonce, uint256 seats, uint256 bitfield)
        external
        view
        returns (bytes memory aggregateKey, uint256 signers)
    {
        if (seats > _MAX_SEATS) revert CheckerRegistryInvalidCommitteeSize(seats);
        uint256 active = _seats.length;
        // buffer = accumulator (128 bytes) | next key (128 bytes): G1ADD reads both and overwrites the accumulator.
        bytes memory buffer = new bytes(2 * BLS12381.G1_POINT_LENGTH);
        uint256 accumulator;
        assembly ("memory-safe") {
            accumulator := add(buffer, 0x20)
        }
        if (active != 0) {
            for (uint256 j = 0; j < seats; ++j) {
                if ((bitfield >> j) & 1 == 0) continue;
                address pointer = _seats[_seatIndexOf(tag, seed, nonce, j, active)].keyPointer;
                if (signers == 0) {
                    PublicKeyStore.copyTo(pointer, accumulator);
                } else {
                    PublicKeyStore.copyTo(pointer, accumulator + BLS12381.G1_POINT_LENGTH);
                    bool ok;
                    assembly ("memory-safe") {
                        ok := staticcall(gas(), 0x0b, accumulator, 256, accumulator, 128)
                    }
                    // Registered keys passed the pairing check, so the addition cannot fail.
                    if (!ok) revert BLS12381.BLS12381PrecompileFailed(address(0x0b));
                }
                ++signers;
            }
        }
        assembly ("memory-safe") {
            mstore(buffer, 128)
        }
        aggregateKey = buffer;
    }

    /// @inheritdoc ICheckerRegistry
    function proofOfPossessionMessage(address operator, bytes calldata publicKey) public view returns (bytes32) {
        return keccak256(abi.encode(Tags.PROOF_OF_POSSESSION, _domainSeparator, operator, publicKey));
    }

    /// @inheritdoc ICheckerRegistry
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparator;
    }

    /// @inheritdoc ICheckerRegistry
    function exitDelayEpochs() external view returns (uint64) {
        return _exitDelayEpochs;
    }

    function _requireRegistered(address account) private view returns (Operator storage operator) {
        operator = _operators[account];
        if (operator.keyPointer == address(0)) revert CheckerRegistryNotRegistered(account);
    }

    function _checkPeerId(bytes calldata peerId) private pure {
        if (peerId.length == 0 || peerId.length > MAX_PEER_ID_LENGTH) revert CheckerRegistryInvalidPeerId(peerId.length);
    }

    /// @dev uint256(keccak256(abi.encode(tag, seed, nonce, j))) % active, hashed in scratch memory.
    function _seatIndexOf(bytes32 tag, bytes32 seed, uint256 nonce, uint256 j, uint256 active)
        private
        pure
        returns (uint256 index)
    {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, tag)
            mstore(add(ptr, 0x20), seed)
            mstore(add(ptr, 0x40), nonce)
            mstore(add(ptr, 0x60), j)
            index := mod(keccak256(ptr, 0x80), active)
        }
    }
}
