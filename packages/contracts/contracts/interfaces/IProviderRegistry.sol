// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @dev GPU providers: a libp2p peer id, a claimed GPU class and region, and a
 * stake in the reward token. Unstaking goes through an unbonding period during
 * which the tokens stay slashable; withdrawal is blocked while a slash is pending.
 *
 * Each provider also registers a secp256k1 answer key (an address) that signs its challenge answers, so a
 * wrong signed answer is a self-contained fraud proof (docs/protocol/fraud-proofs.md). A key set or rotated
 * in epoch c signs for epochs from c + `activationDelayEpochs` (from epoch 1 when set before genesis), and
 * the registry keeps every key's epochs, so `answerKeyAt(provider, e)` is fixed before epoch e begins and
 * never changes: a rotation cannot disown answers already signed.
 */
interface IProviderRegistry {
    /// @dev What the registry knows about one provider.
    struct ProviderInfo {
        bool registered;
        uint64 registeredEpoch;
        /// Claimed GPU memory in MiB.
        uint32 vramMiB;
        /// First epoch in which the unbonding amount can be withdrawn.
        uint64 unbondingEndEpoch;
        uint256 stake;
        uint256 unbonding;
        bytes peerId;
        /// Claimed GPU model, e.g. "H100-SXM".
        string gpuModel;
        /// Claimed region, e.g. "eu-west".
        string region;
    }

    /// @notice `provider` registered (or updated) its peer id and claimed GPU class.
    event ProviderRegistered(address indexed provider, bytes peerId, string gpuModel, uint32 vramMiB, string region);

    /// @notice `provider` replaced its peer id and claimed GPU class.
    event ProviderUpdated(address indexed provider, bytes peerId, string gpuModel, uint32 vramMiB, string region);

    /// @notice `provider` staked `amount`; its stake is now `stake`.
    event Staked(address indexed provider, uint256 amount, uint256 stake);

    /// @notice `provider` moved `amount` to unbonding; `unbonding` in total is withdrawable from `unbondingEndEpoch`.
    event UnstakeRequested(address indexed provider, uint256 amount, uint256 unbonding, uint64 unbondingEndEpoch);

    /// @notice `provider` withdrew `amount`.
    event Withdrawn(address indexed provider, uint256 amount);

    /// @notice `amount` of `provider`'s stake and unbonding tokens was slashed (burned, less any fraud bounty); `stake` and `unbonding` remain.
    event ProviderSlashed(address indexed provider, uint256 amount, uint256 stake, uint256 unbonding);

    /// @notice `bounty` of a fraud slash of `provider` was paid to `recipient` (the rest of it was burned).
    event FraudBountyPaid(address indexed provider, address indexed recipient, uint256 bounty);

    /// @notice `provider`'s answers are signed by `answerKey` from `effectiveEpoch` on.
    event AnswerKeySet(address indexed provider, address indexed answerKey, uint64 effectiveEpoch);

    /// @dev `account` may not call this function.
    error ProviderRegistryUnauthorized(address account);

    /// @dev `provider` is already registered.
    error ProviderRegistryAlreadyRegistered(address provider);

    /// @dev `provider` is not registered.
    error ProviderRegistryNotRegistered(address provider);

    /// @dev A registration field is empty or too long.
    error ProviderRegistryInvalidField(string field, uint256 length);

    /// @dev An amount of zero.
    error ProviderRegistryZeroAmount();

    /// @dev `requested` exceeds the stake `stake`.
    error ProviderRegistryInsufficientStake(uint256 stake, uint256 requested);

    /// @dev Nothing is unbonding.
    error ProviderRegistryNothingUnbonding();

    /// @dev The unbonding period ends at `unbondingEndEpoch`.
    error ProviderRegistryUnbonding(uint64 currentEpoch, uint64 unbondingEndEpoch);

    /// @dev `provider` has `count` pending slashes; it cannot withdraw until they are executed or cancelled.
    error ProviderRegistrySlashPending(address provider, uint256 count);

    /**
     * @dev `update` would change `field` (gpuModel, vramMiB or region) while it is frozen (`fieldsFrozen`): to
     * change it, unstake everything, withdraw once unbonding ends and no slash is pending, then update.
     */
    error ProviderRegistryFieldsFrozen(string field);

    /// @dev A constructor parameter is out of range.
    error ProviderRegistryInvalidParameter(string name);

    /// @dev The proof of possession is not `answerKey`'s signature over AnswerKey(provider, answerKey) (`signer`: what it recovers, zero if malformed).
    error ProviderRegistryInvalidAnswerKeyProof(address answerKey, address signer);

    /// @notice Registers the caller as a provider with its libp2p peer id and claimed GPU class.
    function register(bytes calldata peerId, string calldata gpuModel, uint32 vramMiB, string calldata region)
        external;

    /**
     * @notice Replaces the caller's peer id and claimed GPU class, VRAM and region. The peer id can change at any
     * time; the class, VRAM and region only while `fieldsFrozen(caller)` is false (else
     * ProviderRegistryFieldsFrozen), so a re-check of an epoch judges the provider by that epoch's entry.
     */
    function update(bytes calldata peerId, string calldata gpuModel, uint32 vramMiB, string calldata region) external;

    /**
     * @notice Sets the caller's answer key from `effectiveEpochOfChange()` on (a rotation when it had one).
     * `signature` is the proof of possession: `answerKey`'s EIP-712 signature (65 bytes, r ‖ s ‖ v) over
     * AnswerKey(provider = caller, answerKey), see `answerKeyDigest`. Returns the effective epoch.
     */
    function setAnswerKey(address answerKey, bytes calldata signature) external returns (uint64 effectiveEpoch);

    /// @notice Stakes `amount` of the reward token (approved beforehand) for the caller.
    function stake(uint256 amount) external;

    /**
     * @notice Moves `amount` of the caller's stake to unbonding; all unbonding
     * tokens become withdrawable `unbondingEpochs` epochs from now (the timer
     * restarts with each request) and stay slashable until then.
     */
    function requestUnstake(uint256 amount) external;

    /// @notice Withdraws the caller's unbonding tokens after the unbonding period, unless a slash is pending.
    function withdraw() external;

    /**
     * @notice Burns up to `amount` from `provider`'s stake, then from its
     * unbonding tokens, and returns what was burned (never more than it holds).
     * Only the slashing contract.
     */
    function slash(address provider, uint256 amount) external returns (uint256 slashed);

    /**
     * @notice Takes up to `amount` from `provider`'s stake, then from its unbonding tokens, pays `bountyBps`
     * of what was taken to `recipient` (nothing when it is the zero address) and burns the rest. Only the
     * fraud-proof contract.
     */
    function slashWithBounty(address provider, uint256 amount, address recipient, uint256 bountyBps)
        external
        returns (uint256 slashed, uint256 bounty);

    /// @notice The answer key that signs `provider`'s answers of `epoch` (zero when it had none).
    function answerKeyAt(address provider, uint64 epoch) external view returns (address);

    /// @notice `provider`'s most recently set answer key and the epoch it signs from (it may still be pending).
    function latestAnswerKey(address provider) external view returns (address answerKey, uint64 fromEpoch);

    /// @notice The EIP-712 digest `answerKey` signs to prove possession for `provider`.
    function answerKeyDigest(address provider, address answerKey) external view returns (bytes32);

    /// @notice Epoch from which an answer key set now signs: 1 before genesis, else the current epoch + `activationDelayEpochs`.
    function effectiveEpochOfChange() external view returns (uint64);

    /// @notice Epochs between setting an answer key and the first epoch it signs for.
    function activationDelayEpochs() external view returns (uint64);

    /// @notice The contract that may slash with a bounty (FraudProofs).
    function fraudProofs() external view returns (address);

    /// @notice Everything known about `provider`.
    function providerInfo(address provider) external view returns (ProviderInfo memory);

    /**
     * @notice Whether `provider`'s gpuModel, vramMiB and region are frozen: while it has stake (in a set or an entry
     * pending) or unbonding tokens, while a slash of it is pending or contested, and, with nothing left staked,
     * until `unbondingEpochs` - 1 epochs after its last set (from then on no slash of an epoch it was checked in
     * can be opened or contested).
     */
    function fieldsFrozen(address provider) external view returns (bool);

    /// @notice Active stake of `provider`.
    function stakeOf(address provider) external view returns (uint256);

    /// @notice Stake plus unbonding tokens: the most a slash can take.
    function slashableOf(address provider) external view returns (uint256);

    /// @notice Registered with at least `minStake` staked, now (live; the checking set of an epoch is `isActiveAt`).
    function isActive(address provider) external view returns (bool);

    /// @notice Whether `provider` is in the checking set of `epoch`: `stakeAt(provider, epoch) >= minStake` and
    /// registered in an epoch c with c + max(activationDelayEpochs, 2) <= `epoch`. A stake entering the set
    /// (reaching `minStake` from below) in epoch c counts from c + max(activationDelayEpochs, 2), one leaving
    /// it (falling below) from c + 2, so the set of e is final once the chain is in e - 1 and no stake made
    /// after seed(e) is known enters it (changes before genesis count from epoch 1).
    function isActiveAt(address provider, uint64 epoch) external view returns (bool);

    /// @notice `provider`'s stake as the checking set of `epoch` counts it (see `isActiveAt` for when a change
    /// counts; one that neither enters nor leaves counts from the next epoch); for an epoch whose set is not
    /// final yet, the stake it will count unless it changes again.
    function stakeAt(address provider, uint64 epoch) external view returns (uint256);

    /// @notice Number of providers ever registered.
    function providerCount() external view returns (uint256);

    /// @notice The `index`-th registered provider.
    function providerAt(uint256 index) external view returns (address);

    /// @notice Stake a provider needs to be active.
    function minStake() external view returns (uint256);

    /// @notice Epochs between `requestUnstake` and `withdraw`.
    function unbondingEpochs() external view returns (uint64);
}
