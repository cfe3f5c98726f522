// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @dev Checker operators: a BLS12-381 public key (registered with a proof of
 * possession checked on-chain), a libp2p peer id and a weight equal to the
 * licenses delegated to them. The registry also keeps the per-epoch snapshots
 * of the active (delegated) licenses from which report and re-check committees
 * are drawn: a change landing in epoch c counts from epoch c + activationDelayEpochs.
 */
interface ICheckerRegistry {
    /// @dev What the registry knows about one operator.
    struct OperatorInfo {
        bool registered;
        uint64 registeredEpoch;
        /// First epoch in which `completeExit` succeeds; 0 while no exit was requested.
        uint64 exitEpoch;
        /// Licenses delegated to the operator.
        uint32 weight;
        /// The 128-byte EIP-2537 G1 public key.
        bytes publicKey;
        /// The binary multihash of the libp2p peer id.
        bytes peerId;
    }

    /// @notice `operator` registered `publicKey` (EIP-2537 G1) and `peerId`.
    event OperatorRegistered(address indexed operator, bytes publicKey, bytes peerId);

    /// @notice `operator` now announces `peerId`.
    event OperatorPeerIdUpdated(address indexed operator, bytes peerId);

    /// @notice `operator` asked to exit; `completeExit` succeeds from `exitEpoch` on.
    event OperatorExitRequested(address indexed operator, uint64 exitEpoch);

    /// @notice `operator`'s registration was deleted.
    event OperatorExited(address indexed operator);

    /// @notice `operator` is jailed for epochs `fromEpoch` through `untilEpoch` (inclusive): it holds no seats then.
    event OperatorJailed(address indexed operator, uint64 fromEpoch, uint64 untilEpoch);

    /// @notice License `licenseId` joins the active set from `effectiveEpoch`, counting for `operator`.
    event LicenseActivated(
        uint256 indexed licenseId,
        address indexed operator,
        uint256 activeLicenseCount,
        uint64 effectiveEpoch
    );

    /// @notice License `licenseId` leaves the active set from `effectiveEpoch`.
    event LicenseDeactivated(
        uint256 indexed licenseId,
        address indexed operator,
        uint256 activeLicenseCount,
        uint64 effectiveEpoch
    );

    /// @dev `account` may not call this function.
    error CheckerRegistryUnauthorized(address account);

    /// @dev `operator` is already registered.
    error CheckerRegistryAlreadyRegistered(address operator);

    /// @dev `operator` is not registered.
    error CheckerRegistryNotRegistered(address operator);

    /// @dev The public key is not 128 bytes or is the point at infinity.
    error CheckerRegistryInvalidPublicKey();

    /// @dev The public key is already registered by `owner`.
    error CheckerRegistryPublicKeyTaken(address owner);

    /// @dev The proof of possession does not verify for this operator, key and deployment.
    error CheckerRegistryInvalidProofOfPossession();

    /// @dev The peer id is empty or longer than the limit.
    error CheckerRegistryInvalidPeerId(uint256 length);

    /// @dev `operator` still has `weight` licenses delegated; they must be undelegated before exiting.
    error CheckerRegistryHasDelegations(address operator, uint256 weight);

    /// @dev `operator` already asked to exit.
    error CheckerRegistryExitRequested(address operator, uint64 exitEpoch);

    /// @dev `operator` did not ask to exit.
    error CheckerRegistryExitNotRequested(address operator);

    /// @dev The exit delay of `operator` has not elapsed.
    error CheckerRegistryExitDelayNotElapsed(address operator, uint64 currentEpoch, uint64 exitEpoch);

    /// @dev `operator` cannot receive a delegation: unregistered, exiting or jailed.
    error CheckerRegistryOperatorUnavailable(address operator);

    /// @dev A committee of `seats` seats was asked for; at most 256 are supported.
    error CheckerRegistryInvalidCommitteeSize(uint256 seats);

    /// @dev A snapshot has `count` licenses; index `index` was asked for.
    error CheckerRegistryIndexOutOfRange(uint256 index, uint256 count);

    /// @dev A constructor parameter is out of range.
    error CheckerRegistryInvalidParameter(string name);

    /**
     * @notice Registers the caller as a checker operator. `publicKey` is the
     * 128-byte EIP-2537 form of its BLS G1 key; `proofOfPossession` is the
     * 256-byte EIP-2537 form of its BLS signature over
     * {proofOfPossessionMessage}(caller, publicKey), which proves it holds the
     * secret key (and so stops rogue-key attacks on aggregate signatures).
     */
    function register(bytes calldata publicKey, bytes calldata proofOfPossession, bytes calldata peerId) external;

    /// @notice Replaces the caller's libp2p peer id.
    function updatePeerId(bytes calldata peerId) external;

    /**
     * @notice Starts the caller's exit. It must have no delegated licenses; from
     * now on it cannot receive any, and `completeExit` succeeds after
     * `exitDelayEpochs` epochs (during which it can still be jailed).
     */
    function requestExit() external;

    /// @notice Deletes the caller's registration once its exit delay has elapsed. Its key stays reserved.
    function completeExit() external;

    /// @notice Adds `licenseId` to the active set for `operator`. Only the license contract.
    function onLicenseDelegated(uint256 licenseId, address operator) external returns (uint64 effectiveEpoch);

    /// @notice Removes `licenseId` from the active set. Only the license contract.
    function onLicenseUndelegated(uint256 licenseId, address operator) external returns (uint64 effectiveEpoch);

    /**
     * @notice Jails `operators` for `durationEpochs` epochs from the next effective epoch
     * (`effectiveEpochOfChange`): no seats and no new delegations then. Only the slashing contract.
     */
    function jail(address[] calldata operators, uint64 durationEpochs)
        external
        returns (uint64 fromEpoch, uint64 untilEpoch);

    /// @notice Everything known about `operator`.
    function operatorInfo(address operator) external view returns (OperatorInfo memory);

    /// @notice The 128-byte EIP-2537 public key of `operator` (empty if unregistered).
    function publicKeyOf(address operator) external view returns (bytes memory);

    /// @notice Licenses delegated to `operator`.
    function weightOf(address operator) external view returns (uint256);

    /// @notice Whether `operator` is jailed in `epoch`.
    function isJailed(address operator, uint64 epoch) external view returns (bool);

    /// @notice The latest jail of `operator` (merged with one still running when it began), inclusive; (0, 0) if never jailed.
    function jailOf(address operator) external view returns (uint64 fromEpoch, uint64 untilEpoch);

    /// @notice Whether `operator` may receive a delegation now.
    function canReceiveDelegation(address operator) external view returns (bool);

    /// @notice The first epoch in which a membership change landing now takes effect (1 before genesis).
    function effectiveEpochOfChange() external view returns (uint64);

    /// @notice `operator`'s weight in the snapshot of `epoch`.
    function weightAt(address operator, uint64 epoch) external view returns (uint256);

    /// @notice Number of active licenses in the current epoch's snapshot.
    function activeLicenseCount() external view returns (uint256);

    /// @notice Active license `index` of the current epoch's snapshot and the operator it counts for.
    function activeLicenseAt(uint256 index) external view returns (uint256 licenseId, address operator);

    /// @notice Number of active licenses in the snapshot of `epoch`.
    function licenseCountAt(uint64 epoch) external view returns (uint256);

    /// @notice Active license `index` of the snapshot of `epoch` and the operator it counts for.
    function licenseAt(uint64 epoch, uint256 index) external view returns (uint256 licenseId, address operator);

    /**
     * @notice Licenses `start` .. `start + limit - 1` of the snapshot of `epoch` (fewer at its end; none from
     * its end on), each with the operator it counts for: `licenseAt` for a page at a time, so that a node
     * reads a snapshot of n licenses in n / limit calls rather than n. Pages of a few hundred stay far
     * below any RPC's eth_call gas cap (~8,000 gas a license).
     */
    function licensesAt(uint64 epoch, uint256 start, uint256 limit)
        external
        view
        returns (uint256[] memory licenseIds, address[] memory operators);

    /**
     * @notice The operators of a committee of `seats` seats of `epoch`, drawn from that epoch's snapshot:
     * seat j is the first of uint256(keccak256(abi.encode(tag, seed, nonce, j, draw))) % licenseCountAt(epoch),
     * draw = 0 .. MAX_SEAT_DRAWS - 1, whose operator is not jailed in `epoch`; zero for a seat left empty.
     */
    function committeeAt(uint64 epoch, bytes32 tag, bytes32 seed, uint256 nonce, uint256 seats)
        external
        view
        returns (address[] memory operators);

    /**
     * @notice The 128-byte EIP-2537 public keys of the same committee, seat after seat (all zero for an
     * empty seat), and a bitfield of the empty seats.
     */
    function committeeKeysAt(uint64 epoch, bytes32 tag, bytes32 seed, uint256 nonce, uint256 seats)
        external
        view
        returns (bytes memory keys, uint256 emptySeats);

    /// @notice One seat of the same committee: its operator and key (zero and empty when the seat is empty).
    function seatAt(uint64 epoch, bytes32 tag, bytes32 seed, uint256 nonce, uint256 seat)
        external
        view
        returns (address operator, bytes memory publicKey);

    /// @notice keccak256(abi.encode(PROOF_OF_POSSESSION_TAG, domainSeparator(), operator, publicKey)).
    function proofOfPossessionMessage(address operator, bytes calldata publicKey) external view returns (bytes32);

    /// @notice The network domain separator, from the chain id at call time.
    function domainSeparator() external view returns (bytes32);

    /// @notice Epochs between `requestExit` and `completeExit`.
    function exitDelayEpochs() external view returns (uint64);

    /// @notice A: epochs between a membership change landing and the first snapshot it is in.
    function activationDelayEpochs() external view returns (uint64);
}
