// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {EpochClock} from "./EpochClock.sol";
import {ICheckerRegistry} from "./interfaces/ICheckerRegistry.sol";
import {BLS12381} from "./libraries/BLS12381.sol";
import {PublicKeyStore} from "./libraries/PublicKeyStore.sol";
import {Tags} from "./libraries/Tags.sol";

/**
 * @dev Checker operators and the per-epoch license snapshots that committees are drawn from.
 *
 * Snapshots. Every change of membership (a license delegated or undelegated, a jail) that lands in
 * epoch c takes effect from epoch c + `activationDelayEpochs` (A). The seat array, the seat count,
 * each operator's weight and each operator's jail record are checkpoint traces keyed by that
 * effective epoch, so the snapshot of epoch e is fixed once epoch e - A has ended and never changes
 * afterwards, whatever transactions land later. A is chosen so that no adversary learns e's seed
 * before e's snapshot is fixed (docs/protocol/threat-model.md); committees of epoch e are drawn from
 * e's snapshot whenever the transaction about e lands. Changes made before genesis (epoch 0) form the
 * launch set and take effect at epoch 1.
 *
 * Seats are drawn with replacement, one seat = one license, so an operator's chance of a seat is
 * proportional to its weight; a seat that falls on a jailed operator is redrawn (up to
 * `MAX_SEAT_DRAWS` times, then left empty), so jailed operators hold no seats.
 */
contract CheckerRegistry is EpochClock, ICheckerRegistry {
    using Checkpoints for Checkpoints.Trace208;

    /// @dev Binary multihash peer ids are 38 bytes for Ed25519 keys; 128 leaves room for any key type.
    uint256 public constant MAX_PEER_ID_LENGTH = 128;
    /// @dev Draws per seat before a seat that keeps landing on jailed operators is left empty.
    uint256 public constant MAX_SEAT_DRAWS = 4;
    /// @dev Committee bitfields are one uint256.
    uint256 private constant _MAX_SEATS = 256;
    /// @dev A seat's checkpoint value: keyPointer << 48 | licenseId (licenses are numbered from 1, < 2^48).
    uint256 private constant _LICENSE_BITS = 48;

    struct Operator {
        address keyPointer;
        uint64 registeredEpoch;
        uint64 exitEpoch;
        bytes peerId;
    }

    address private immutable _license;
    address private immutable _slashing;
    address private immutable _reports;
    uint64 private immutable _exitDelayEpochs;
    uint64 private immutable _activationDelayEpochs;

    mapping(address operator => Operator) private _operators;
    mapping(bytes32 keyHash => address operator) private _keyOwners;
    /// @dev Key pointers are never reused, so a snapshot's seat names its operator forever.
    mapping(address keyPointer => address operator) private _pointerOwners;
    /// @dev Seat slot i over time (effective epoch => keyPointer << 48 | licenseId).
    mapping(uint256 slot => Checkpoints.Trace208) private _slots;
    /// @dev Number of seats over time.
    Checkpoints.Trace208 private _seatCount;
    /// @dev Each operator's weight (delegated licenses) over time.
    mapping(address operator => Checkpoints.Trace208) private _weights;
    /// @dev Jail record: effective epoch => last jailed epoch of the jail running from there.
    mapping(address operator => Checkpoints.Trace208) private _jails;
    /// @dev Latest slot of each active license, plus one.
    mapping(uint256 licenseId => uint256 slotPlusOne) private _slotOfLicense;

    /**
     * @param reports_ the epoch reports contract: the verifying contract of the network domain.
     * @param exitDelayEpochs_ epochs between `requestExit` and `completeExit` (at least the activation delay).
     * @param activationDelayEpochs_ A: membership changes landing in epoch c count from epoch c + A (at least 2).
     */
    constructor(
        uint64 genesisTime_,
        uint64 epochSeconds_,
        address license_,
        address slashing_,
        address reports_,
        uint64 exitDelayEpochs_,
        uint64 activationDelayEpochs_
    ) EpochClock(genesisTime_, epochSeconds_) {
        // With A < 2 the seed proposer of epoch e - 1, who learns e's seed during e - 1, could still move e's snapshot.
        if (activationDelayEpochs_ < 2) revert CheckerRegistryInvalidParameter("activationDelayEpochs");
        if (exitDelayEpochs_ < activationDelayEpochs_) revert CheckerRegistryInvalidParameter("exitDelayEpochs");
        _license = license_;
        _slashing = slashing_;
        _reports = reports_;
        _exitDelayEpochs = exitDelayEpochs_;
        _activationDelayEpochs = activationDelayEpochs_;
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
        address pointer = PublicKeyStore.write(publicKey);
        operator.keyPointer = pointer;
        operator.registeredEpoch = currentEpoch();
        operator.peerId = peerId;
        _keyOwners[keyHash] = msg.sender;
        _pointerOwners[pointer] = msg.sender;
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
        uint256 weight = _weights[msg.sender].latest();
        if (weight != 0) revert CheckerRegistryHasDelegations(msg.sender, weight);
        // The exit delay is at least A, so the last snapshot holding this operator's seats has passed by then.
        uint64 exitEpoch = currentEpoch() + _exitDelayEpochs;
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
        // The key stays in _keyOwners (nobody can register it again) and in _pointerOwners (past snapshots
        // still name this operator). The jail record stays too.
        delete _operators[msg.sender];
        emit OperatorExited(msg.sender);
    }

    /// @inheritdoc ICheckerRegistry
    function onLicenseDelegated(uint256 licenseId, address operator) external returns (uint64 effectiveEpoch) {
        if (msg.sender != _license) revert CheckerRegistryUnauthorized(msg.sender);
        if (!canReceiveDelegation(operator)) revert CheckerRegistryOperatorUnavailable(operator);
        effectiveEpoch = effectiveEpochOfChange();
        Operator storage record = _operators[operator];
        uint256 count = _seatCount.latest();
        _slots[count].push(uint48(effectiveEpoch), _seatValue(record.keyPointer, licenseId));
        _seatCount.push(uint48(effectiveEpoch), uint208(count + 1));
        _slotOfLicense[licenseId] = count + 1;
        // The latest checkpoint is the operator's weight once every pending change has taken effect.
        Checkpoints.Trace208 storage weights = _weights[operator];
        weights.push(uint48(effectiveEpoch), weights.latest() + 1);
        emit LicenseActivated(licenseId, operator, count + 1, effectiveEpoch);
    }

    /// @inheritdoc ICheckerRegistry
    function onLicenseUndelegated(uint256 licenseId, address operator) external returns (uint64 effectiveEpoch) {
        if (msg.sender != _license) revert CheckerRegistryUnauthorized(msg.sender);
        effectiveEpoch = effectiveEpochOfChange();
        // The license contract only reports licenses it activated here.
        uint256 slot = _slotOfLicense[licenseId] - 1;
        uint256 last = _seatCount.latest() - 1;
        if (slot != last) {
            // The last seat moves into the freed slot, from the same effective epoch: earlier snapshots keep both.
            uint208 moved = _slots[last].latest();
            _slots[slot].push(uint48(effectiveEpoch), moved);
            _slotOfLicense[uint256(moved) & ((1 << _LICENSE_BITS) - 1)] = slot + 1;
        }
        _seatCount.push(uint48(effectiveEpoch), uint208(last));
        delete _slotOfLicense[licenseId];
        Checkpoints.Trace208 storage weights = _weights[operator];
        weights.push(uint48(effectiveEpoch), weights.latest() - 1);
        emit LicenseDeactivated(licenseId, operator, last, effectiveEpoch);
    }

    /// @inheritdoc ICheckerRegistry
    function jail(address[] calldata operators, uint64 durationEpochs)
        external
        returns (uint64 fromEpoch, uint64 untilEpoch)
    {
        if (msg.sender != _slashing) revert CheckerRegistryUnauthorized(msg.sender);
        // Counted from the first snapshot the jail can still reach, so it always lasts durationEpochs epochs.
        fromEpoch = effectiveEpochOfChange();
        if (durationEpochs == 0) return (fromEpoch, fromEpoch - 1);
        untilEpoch = fromEpoch + durationEpochs - 1;
        for (uint256 i = 0; i < operators.length; ++i) {
            Checkpoints.Trace208 storage record = _jails[operators[i]];
            // Keys only grow, so a jail merges only with one still running at its start; separate jails stay
            // separate (a jail of epochs 2-10 and one of 100-110 leave epoch 50 free).
            uint64 until = untilEpoch;
            (bool exists, , uint208 running) = record.latestCheckpoint();
            if (exists && running >= fromEpoch && running > until) until = uint64(running);
            record.push(uint48(fromEpoch), until);
            emit OperatorJailed(operators[i], fromEpoch, until);
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
            weight: uint32(_weights[operator].latest()),
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
        return _weights[operator].latest();
    }

    /// @inheritdoc ICheckerRegistry
    function weightAt(address operator, uint64 epoch) external view returns (uint256) {
        return _weights[operator].upperLookupRecent(uint48(epoch));
    }

    /// @inheritdoc ICheckerRegistry
    function isJailed(address operator, uint64 epoch) public view returns (bool) {
        return epoch <= _jails[operator].upperLookupRecent(uint48(epoch)) && _jails[operator].length() != 0;
    }

    /// @inheritdoc ICheckerRegistry
    function jailOf(address operator) external view returns (uint64 fromEpoch, uint64 untilEpoch) {
        (bool exists, uint48 from, uint208 until) = _jails[operator].latestCheckpoint();
        if (exists) return (from, uint64(until));
    }

    /// @inheritdoc ICheckerRegistry
    function canReceiveDelegation(address operator) public view returns (bool) {
        Operator storage record = _operators[operator];
        return record.keyPointer != address(0) && record.exitEpoch == 0 && !isJailed(operator, currentEpoch());
    }

    /// @inheritdoc ICheckerRegistry
    function effectiveEpochOfChange() public view returns (uint64) {
        uint64 epoch = currentEpoch();
        return epoch == 0 ? 1 : epoch + _activationDelayEpochs;
    }

    /// @inheritdoc ICheckerRegistry
    function activeLicenseCount() external view returns (uint256) {
        return _seatCount.upperLookupRecent(uint48(currentEpoch()));
    }

    /// @inheritdoc ICheckerRegistry
    function activeLicenseAt(uint256 index) external view returns (uint256 licenseId, address operator) {
        return licenseAt(currentEpoch(), index);
    }

    /// @inheritdoc ICheckerRegistry
    function licenseCountAt(uint64 epoch) public view returns (uint256) {
        return _seatCount.upperLookupRecent(uint48(epoch));
    }

    /// @inheritdoc ICheckerRegistry
    function licenseAt(uint64 epoch, uint256 index) public view returns (uint256 licenseId, address operator) {
        uint256 count = licenseCountAt(epoch);
        if (index >= count) revert CheckerRegistryIndexOutOfRange(index, count);
        uint208 value = _slots[index].upperLookupRecent(uint48(epoch));
        licenseId = uint256(value) & ((1 << _LICENSE_BITS) - 1);
        operator = _pointerOwners[address(uint160(uint256(value) >> _LICENSE_BITS))];
    }

    /// @inheritdoc ICheckerRegistry
    function licensesAt(uint64 epoch, uint256 start, uint256 limit)
        external
        view
        returns (uint256[] memory licenseIds, address[] memory operators)
    {
        uint256 count = licenseCountAt(epoch);
        uint256 end = start < count && limit < count - start ? start + limit : count;
        uint256 n = start < end ? end - start : 0;
        licenseIds = new uint256[](n);
        operators = new address[](n);
        for (uint256 i = 0; i < n; ++i) {
            (licenseIds[i], operators[i]) = licenseAt(epoch, start + i);
        }
    }

    /// @inheritdoc ICheckerRegistry
    function committeeAt(uint64 epoch, bytes32 tag, bytes32 seed, uint256 nonce, uint256 seats)
        external
        view
        returns (address[] memory operators)
    {
        if (seats > _MAX_SEATS) revert CheckerRegistryInvalidCommitteeSize(seats);
        operators = new address[](seats);
        uint256 count = licenseCountAt(epoch);
        if (count == 0) return operators;
        for (uint256 j = 0; j < seats; ++j) {
            (, operators[j]) = _drawSeat(epoch, count, tag, seed, nonce, j);
        }
    }

    /// @inheritdoc ICheckerRegistry
    function committeeKeysAt(uint64 epoch, bytes32 tag, bytes32 seed, uint256 nonce, uint256 seats)
        external
        view
        returns (bytes memory keys, uint256 emptySeats)
    {
        if (seats == 0 || seats > _MAX_SEATS) revert CheckerRegistryInvalidCommitteeSize(seats);
        uint256 count = licenseCountAt(epoch);
        keys = new bytes(seats * BLS12381.G1_POINT_LENGTH);
        uint256 base;
        assembly ("memory-safe") {
            base := add(keys, 0x20)
        }
        for (uint256 j = 0; j < seats; ++j) {
            address pointer;
            if (count != 0) (pointer, ) = _drawSeat(epoch, count, tag, seed, nonce, j);
            // An empty seat keeps the all-zero key (the point at infinity) and its bit in emptySeats.
            if (pointer == address(0)) emptySeats |= 1 << j;
            else PublicKeyStore.copyTo(pointer, base + j * BLS12381.G1_POINT_LENGTH);
        }
    }

    /// @inheritdoc ICheckerRegistry
    function seatAt(uint64 epoch, bytes32 tag, bytes32 seed, uint256 nonce, uint256 seat)
        external
        view
        returns (address operator, bytes memory publicKey)
    {
        uint256 count = licenseCountAt(epoch);
        if (count == 0) return (address(0), "");
        address pointer;
        (pointer, operator) = _drawSeat(epoch, count, tag, seed, nonce, seat);
        if (pointer != address(0)) publicKey = PublicKeyStore.read(pointer);
    }

    /// @inheritdoc ICheckerRegistry
    function proofOfPossessionMessage(address operator, bytes calldata publicKey) public view returns (bytes32) {
        return keccak256(abi.encode(Tags.PROOF_OF_POSSESSION, domainSeparator(), operator, publicKey));
    }

    /// @inheritdoc ICheckerRegistry
    function domainSeparator() public view returns (bytes32) {
        return Tags.domainSeparator(block.chainid, _reports);
    }

    /// @inheritdoc ICheckerRegistry
    function exitDelayEpochs() external view returns (uint64) {
        return _exitDelayEpochs;
    }

    /// @inheritdoc ICheckerRegistry
    function activationDelayEpochs() external view returns (uint64) {
        return _activationDelayEpochs;
    }

    function _requireRegistered(address account) private view returns (Operator storage operator) {
        operator = _operators[account];
        if (operator.keyPointer == address(0)) revert CheckerRegistryNotRegistered(account);
    }

    function _checkPeerId(bytes calldata peerId) private pure {
        if (peerId.length == 0 || peerId.length > MAX_PEER_ID_LENGTH) revert CheckerRegistryInvalidPeerId(peerId.length);
    }

    function _seatValue(address keyPointer, uint256 licenseId) private pure returns (uint208) {
        return uint208((uint256(uint160(keyPointer)) << _LICENSE_BITS) | SafeCast.toUint48(licenseId));
    }

    /**
     * @dev Seat j of a committee of `epoch`: candidate slot
     * uint256(keccak256(abi.encode(tag, seed, nonce, j, draw))) % count for draw = 0, 1, ...; the first
     * candidate whose operator is not jailed in `epoch` takes the seat, and after MAX_SEAT_DRAWS jailed
     * candidates the seat stays empty (zero pointer).
     */
    function _drawSeat(uint64 epoch, uint256 count, bytes32 tag, bytes32 seed, uint256 nonce, uint256 j)
        private
        view
        returns (address pointer, address operator)
    {
        for (uint256 draw = 0; draw < MAX_SEAT_DRAWS; ++draw) {
            uint256 slot = uint256(keccak256(abi.encode(tag, seed, nonce, j, draw))) % count;
            address candidate = address(uint160(uint256(_slots[slot].upperLookupRecent(uint48(epoch))) >> _LICENSE_BITS));
            address owner = _pointerOwners[candidate];
            if (!isJailed(owner, epoch)) return (candidate, owner);
        }
        return (address(0), address(0));
    }
}
