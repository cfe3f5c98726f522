// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {EpochClock} from "./EpochClock.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {IRewardToken} from "./interfaces/IRewardToken.sol";
import {ISlashing} from "./interfaces/ISlashing.sol";
import {AnswerSigning} from "./libraries/AnswerSigning.sol";

/**
 * @dev Provider registration and staking. Unbonding tokens stay slashable and
 * `unbondingEpochs` must exceed the slashing contract's window to open a slash
 * (`contestWindowEpochs`), so a provider cannot withdraw ahead of a failure
 * that is already reported; while a slash is pending, withdrawal is blocked.
 *
 * Two views of "active": `isActive` is the live state (registered, stake at least `minStake`) and
 * `isActiveAt(provider, e)` the checking set of epoch e. Every stake change (stake, requestUnstake, a slash)
 * is also written to a per-provider checkpoint trace keyed by the epoch it counts from: a change in epoch c
 * that RAISES the stake (a first stake, a re-stake, a top-up) counts from c + max(activationDelayEpochs, 2),
 * like an entry; an unstake (partial or not) from c + 2, but never before the epoch after the latest raise's
 * first epoch (a cut can't cancel or trim an increase: one made blind counts at its full value at least once;
 * keyed after that raise, not after the last checkpoint, so no sequence of changes pushes it further than
 * c + max(D, 2) + 1); a slash from c + 2 whatever is pending, taken from every pending checkpoint too (capped
 * at the stake left), so after a slash in c no epoch from c + 2 counts more than `stakeOf` (review5 H2: keyed
 * like a cut, a 1-wei top-up kept a provider slashed to nothing in D sets at its old stake). A change before
 * genesis counts from epoch 1 (a cut after a raise then: 2). So the
 * set of e and its stakes (stakeAt(e): reward weight and slash amount) depend only on changes made in epochs
 * <= e - 2 and are final once the chain is in e - 1, and a provider can neither choose its own address nor
 * add stake after it could know the seed of the epoch it counts in: seed(e) is public during e - 1 and known
 * to its proposer during e - 2, a raise made in c counts from c + activationDelayEpochs, whose seed no
 * adversary can know then (docs/protocol/contracts.md; scripts/stakeTimingOdds.ts). A cut of held stake still
 * counts from c + 2: like a leave, the stake it removes returns only activationDelayEpochs after it is added
 * again. Stake, slashable tokens and slashing stay live.
 *
 * The fields a verdict is judged by (gpuModel: class and workload sizes, vramMiB, region) are frozen while the
 * provider can be checked, slashed or re-checked (`fieldsFrozen`): a re-check of epoch e judges the provider by
 * its entry as it is then, so that entry must be e's (review4 H2: a FAILed h100 updating to cpu-reference
 * before its re-check, or an entry unusable in e made usable again, would PASS it and jail its honest
 * accusers). To change them a provider leaves: it unstakes everything, withdraws after unbonding, updates and
 * stakes again, counted from the entry delay like a newcomer. The peer id stays updatable at any time.
 *
 * Answer keys (see {IProviderRegistry}) are a checkpoint trace per provider keyed by effective epoch; the
 * EIP-712 domain { "checkernet", "1", chainId, this } is the one FraudProofs verifies commitments under.
 * Two slashers: `Slashing` (committee verdicts, everything burned) and `FraudProofs` (proven frauds, a
 * bounty to the commitment's checker and the rest burned).
 */
contract ProviderRegistry is EpochClock, EIP712, IProviderRegistry {
    using SafeERC20 for IRewardToken;
    using Checkpoints for Checkpoints.Trace208;

    uint256 public constant MAX_PEER_ID_LENGTH = 128;
    uint256 public constant MAX_LABEL_LENGTH = 64;

    struct Provider {
        bool registered;
        uint64 registeredEpoch;
        uint32 vramMiB;
        uint64 unbondingEndEpoch;
        /// @dev The first epoch the latest raise of the stake counts in (its own key, c + max(D, 2)); a voluntary
        /// decrease is keyed after it. In the slot of the fields above, which every stake change reads anyway.
        uint64 raiseKey;
        uint256 stake;
        uint256 unbonding;
        bytes peerId;
        string gpuModel;
        string region;
    }

    /// @dev How a stake change applies to the checkpoints at or past its key.
    enum StakeChange {
        Raise,
        Cut,
        Slash
    }

    IRewardToken private immutable _token;
    ISlashing private immutable _slashing;
    address private immutable _fraudProofs;
    uint256 private immutable _minStake;
    uint64 private immutable _unbondingEpochs;
    uint64 private immutable _activationDelayEpochs;

    mapping(address provider => Provider) private _providers;
    address[] private _providerList;
    /// @dev Answer keys over time: effective epoch => key (as uint160).
    mapping(address provider => Checkpoints.Trace208) private _answerKeys;
    /// @dev Stake as the checking set counts it: the epoch a stake counts from => the stake.
    mapping(address provider => Checkpoints.Trace208) private _epochStakes;

    /**
     * @param fraudProofs_ the FraudProofs contract, the second slasher (with a bounty).
     * @param activationDelayEpochs_ an answer key set in epoch c signs from epoch c + this (at least 1, so the
     * key of an epoch is fixed before it begins); the deployment passes CheckerRegistry's activation delay.
     */
    constructor(
        uint64 genesisTime_,
        uint64 epochSeconds_,
        address token_,
        address slashing_,
        address fraudProofs_,
        uint256 minStake_,
        uint64 unbondingEpochs_,
        uint64 activationDelayEpochs_
    ) EpochClock(genesisTime_, epochSeconds_) EIP712(AnswerSigning.NAME, AnswerSigning.VERSION) {
        if (activationDelayEpochs_ == 0) revert ProviderRegistryInvalidParameter("activationDelayEpochs");
        _token = IRewardToken(token_);
        _slashing = ISlashing(slashing_);
        _fraudProofs = fraudProofs_;
        _minStake = minStake_;
        _unbondingEpochs = unbondingEpochs_;
        _activationDelayEpochs = activationDelayEpochs_;
    }

    /// @inheritdoc IProviderRegistry
    function register(bytes calldata peerId, string calldata gpuModel, uint32 vramMiB, string calldata region)
        external
    {
        Provider storage provider = _providers[msg.sender];
        if (provider.registered) revert ProviderRegistryAlreadyRegistered(msg.sender);
        _checkFields(peerId, gpuModel, region);
        provider.registered = true;
        provider.registeredEpoch = currentEpoch();
        _setInfo(provider, peerId, gpuModel, vramMiB, region);
        _providerList.push(msg.sender);
        emit ProviderRegistered(msg.sender, peerId, gpuModel, vramMiB, region);
    }

    /// @inheritdoc IProviderRegistry
    function update(bytes calldata peerId, string calldata gpuModel, uint32 vramMiB, string calldata region)
        external
    {
        Provider storage provider = _requireRegistered(msg.sender);
        _checkFields(peerId, gpuModel, region);
        // The fields a verdict is judged by stay those of every epoch the provider can still be re-checked for
        // (review4 H2); the peer id is only where to dial, so a key rotation stays possible.
        string memory changed = _changedVerdictField(provider, gpuModel, vramMiB, region);
        if (bytes(changed).length != 0 && fieldsFrozen(msg.sender)) revert ProviderRegistryFieldsFrozen(changed);
        _setInfo(provider, peerId, gpuModel, vramMiB, region);
        emit ProviderUpdated(msg.sender, peerId, gpuModel, vramMiB, region);
    }

    /// @inheritdoc IProviderRegistry
    function setAnswerKey(address answerKey, bytes calldata signature) external returns (uint64 effectiveEpoch) {
        _requireRegistered(msg.sender);
        (address signer, ECDSA.RecoverError error, ) = ECDSA.tryRecoverCalldata(
            answerKeyDigest(msg.sender, answerKey),
            signature
        );
        if (error != ECDSA.RecoverError.NoError || signer != answerKey) {
            revert ProviderRegistryInvalidAnswerKeyProof(answerKey, signer);
        }
        effectiveEpoch = effectiveEpochOfChange();
        // Effective epochs never decrease; a second change in the same epoch replaces the first.
        _answerKeys[msg.sender].push(uint48(effectiveEpoch), uint208(uint160(answerKey)));
        emit AnswerKeySet(msg.sender, answerKey, effectiveEpoch);
    }

    /// @inheritdoc IProviderRegistry
    function stake(uint256 amount) external {
        Provider storage provider = _requireRegistered(msg.sender);
        if (amount == 0) revert ProviderRegistryZeroAmount();
        provider.stake += amount;
        uint64 key = _entryEpoch(currentEpoch());
        provider.raiseKey = key;
        _checkpointStake(msg.sender, key, StakeChange.Raise, amount, provider.stake);
        emit Staked(msg.sender, amount, provider.stake);
        _token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @inheritdoc IProviderRegistry
    function requestUnstake(uint256 amount) external {
        Provider storage provider = _requireRegistered(msg.sender);
        if (amount == 0) revert ProviderRegistryZeroAmount();
        if (amount > provider.stake) revert ProviderRegistryInsufficientStake(provider.stake, amount);
        // Checked above: amount <= stake.
        unchecked {
            provider.stake -= amount;
        }
        // From c + 2, but never before the epoch after the latest raise's own first epoch (<= c + max(D, 2)): a
        // cut can't take back stake added blind, and its key is at most c + max(D, 2) + 1 however many changes
        // came before (27bc793 keyed it after the last checkpoint, so (stake, unstake) pairs pushed it, and a
        // slash riding with it, one epoch further each: review5 H2).
        uint64 epoch = currentEpoch();
        uint64 key = epoch == 0 ? 1 : epoch + 2;
        if (provider.raiseKey >= key) key = provider.raiseKey + 1;
        _checkpointStake(msg.sender, key, StakeChange.Cut, amount, provider.stake);
        provider.unbonding += amount;
        // The tokens leave the checking set from `key` (counted in sets up to key - 1): unbonding runs U
        // epochs past the later of now and that last set, as for a plain leave (c + 2 - 2 + U), so a
        // decrease keyed after a pending entry or top-up (c + max(D, 2) + 1) can't withdraw before the last
        // epoch it is checked in and be checked and paid with nothing slashable (review3 P2-0).
        uint64 endEpoch = currentEpoch() + _unbondingEpochs;
        if (key >= 2 && key - 2 + _unbondingEpochs > endEpoch) endEpoch = key - 2 + _unbondingEpochs;
        provider.unbondingEndEpoch = endEpoch;
        emit UnstakeRequested(msg.sender, amount, provider.unbonding, endEpoch);
    }

    /// @inheritdoc IProviderRegistry
    function withdraw() external {
        Provider storage provider = _requireRegistered(msg.sender);
        uint256 amount = provider.unbonding;
        if (amount == 0) revert ProviderRegistryNothingUnbonding();
        uint64 epoch = currentEpoch();
        if (epoch < provider.unbondingEndEpoch) revert ProviderRegistryUnbonding(epoch, provider.unbondingEndEpoch);
        uint256 pending = _slashing.pendingSlashCount(msg.sender);
        if (pending != 0) revert ProviderRegistrySlashPending(msg.sender, pending);
        provider.unbonding = 0;
        emit Withdrawn(msg.sender, amount);
        _token.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IProviderRegistry
    function slash(address providerAddress, uint256 amount) external returns (uint256 slashed) {
        if (msg.sender != address(_slashing)) revert ProviderRegistryUnauthorized(msg.sender);
        slashed = _take(providerAddress, amount);
        if (slashed != 0) _token.burn(slashed);
    }

    /// @inheritdoc IProviderRegistry
    function slashWithBounty(address providerAddress, uint256 amount, address recipient, uint256 bountyBps)
        external
        returns (uint256 slashed, uint256 bounty)
    {
        if (msg.sender != _fraudProofs) revert ProviderRegistryUnauthorized(msg.sender);
        slashed = _take(providerAddress, amount);
        if (recipient != address(0)) bounty = (slashed * bountyBps) / 10_000;
        if (bounty > slashed) bounty = slashed;
        if (bounty != 0) {
            emit FraudBountyPaid(providerAddress, recipient, bounty);
            _token.safeTransfer(recipient, bounty);
        }
        if (slashed != bounty) _token.burn(slashed - bounty);
    }

    /// @inheritdoc IProviderRegistry
    function answerKeyAt(address providerAddress, uint64 epoch) external view returns (address) {
        Checkpoints.Trace208 storage keys = _answerKeys[providerAddress];
        uint208 value = epoch >= type(uint48).max ? keys.latest() : keys.upperLookupRecent(uint48(epoch));
        return address(uint160(value));
    }

    /// @inheritdoc IProviderRegistry
    function latestAnswerKey(address providerAddress) external view returns (address answerKey, uint64 fromEpoch) {
        (, uint48 from, uint208 value) = _answerKeys[providerAddress].latestCheckpoint();
        return (address(uint160(value)), from);
    }

    /// @inheritdoc IProviderRegistry
    function answerKeyDigest(address providerAddress, address answerKey) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(AnswerSigning.ANSWER_KEY_TYPEHASH, providerAddress, answerKey)));
    }

    /// @inheritdoc IProviderRegistry
    function effectiveEpochOfChange() public view returns (uint64) {
        uint64 epoch = currentEpoch();
        return epoch == 0 ? 1 : epoch + _activationDelayEpochs;
    }

    /// @inheritdoc IProviderRegistry
    function activationDelayEpochs() external view returns (uint64) {
        return _activationDelayEpochs;
    }

    /// @inheritdoc IProviderRegistry
    function fraudProofs() external view returns (address) {
        return _fraudProofs;
    }

    /// @inheritdoc IProviderRegistry
    function providerInfo(address providerAddress) external view returns (ProviderInfo memory) {
        Provider storage provider = _providers[providerAddress];
        return
            ProviderInfo({
                registered: provider.registered,
                registeredEpoch: provider.registeredEpoch,
                vramMiB: provider.vramMiB,
                unbondingEndEpoch: provider.unbondingEndEpoch,
                stake: provider.stake,
                unbonding: provider.unbonding,
                peerId: provider.peerId,
                gpuModel: provider.gpuModel,
                region: provider.region
            });
    }

    /// @inheritdoc IProviderRegistry
    function fieldsFrozen(address providerAddress) public view returns (bool) {
        Provider storage provider = _providers[providerAddress];
        // Staked (in a set, or an entry pending) or unbonding (in a set until its leave's key, and slashable).
        if (provider.stake != 0 || provider.unbonding != 0) return true;
        // With no stake left, the last set it can be in is the last checkpoint's key - 1 (the latest value is the
        // live stake, 0). A FAIL of that epoch lands by key - 1 + reportLatenessEpochs and is opened or contested
        // by then + contestWindowEpochs; Slashing's constructor requires unbondingEpochs to exceed lateness +
        // contest window + re-check deadline, so from key - 2 + unbondingEpochs (when a plain leave could
        // withdraw) no slash of an epoch it was checked in can be opened any more. Until then a slash that took
        // all its tokens, or a withdraw at an earlier unstake's end, leaves it frozen.
        (bool exists, uint48 lastKey, ) = _epochStakes[providerAddress].latestCheckpoint();
        if (exists && uint256(currentEpoch()) + 2 < uint256(lastKey) + _unbondingEpochs) return true;
        // Opened (or contested) and not yet executed or cancelled: a re-check can still judge it.
        return _slashing.pendingSlashCount(providerAddress) != 0;
    }

    /// @inheritdoc IProviderRegistry
    function stakeOf(address providerAddress) external view returns (uint256) {
        return _providers[providerAddress].stake;
    }

    /// @inheritdoc IProviderRegistry
    function slashableOf(address providerAddress) external view returns (uint256) {
        Provider storage provider = _providers[providerAddress];
        return provider.stake + provider.unbonding;
    }

    /// @inheritdoc IProviderRegistry
    function isActive(address providerAddress) external view returns (bool) {
        Provider storage provider = _providers[providerAddress];
        return provider.registered && provider.stake >= _minStake;
    }

    /// @inheritdoc IProviderRegistry
    function isActiveAt(address providerAddress, uint64 epoch) external view returns (bool) {
        Provider storage provider = _providers[providerAddress];
        // Registered in epoch c: in no set before an entry made then would count (before genesis: from 1).
        if (!provider.registered || _entryEpoch(provider.registeredEpoch) > epoch) return false;
        return stakeAt(providerAddress, epoch) >= _minStake;
    }

    /// @inheritdoc IProviderRegistry
    function stakeAt(address providerAddress, uint64 epoch) public view returns (uint256) {
        Checkpoints.Trace208 storage stakes = _epochStakes[providerAddress];
        return epoch >= type(uint48).max ? stakes.latest() : stakes.upperLookupRecent(uint48(epoch));
    }

    /// @inheritdoc IProviderRegistry
    function providerCount() external view returns (uint256) {
        return _providerList.length;
    }

    /// @inheritdoc IProviderRegistry
    function providerAt(uint256 index) external view returns (address) {
        return _providerList[index];
    }

    /// @inheritdoc IProviderRegistry
    function minStake() external view returns (uint256) {
        return _minStake;
    }

    /// @inheritdoc IProviderRegistry
    function unbondingEpochs() external view returns (uint64) {
        return _unbondingEpochs;
    }

    /// @dev Takes up to `amount` from the stake, then from the unbonding tokens; returns what was taken.
    function _take(address providerAddress, uint256 amount) private returns (uint256 taken) {
        Provider storage provider = _providers[providerAddress];
        uint256 fromStake = amount < provider.stake ? amount : provider.stake;
        uint256 rest = amount - fromStake;
        uint256 fromUnbonding = rest < provider.unbonding ? rest : provider.unbonding;
        // Both parts are capped by the balances they come from.
        unchecked {
            provider.stake -= fromStake;
            provider.unbonding -= fromUnbonding;
        }
        taken = fromStake + fromUnbonding;
        // Not a voluntary cut: it counts from c + 2 whatever is pending, and every pending checkpoint loses it
        // (review5 H2: keyed after a pending raise, a 1-wei top-up kept a provider slashed to 0 in D sets at its
        // old stake). At most max(D, 2) checkpoints are pending (keys c + 2 .. c + max(D, 2) + 1).
        if (fromStake != 0) {
            uint64 epoch = currentEpoch();
            uint64 key = epoch == 0 ? 1 : epoch + 2;
            _checkpointStake(providerAddress, key, StakeChange.Slash, fromStake, provider.stake);
        }
        emit ProviderSlashed(providerAddress, taken, provider.stake, provider.unbonding);
    }

    /// @dev Records a change of `amount` counted from `key` in the trace the checking set reads (see the
    /// contract's comment): the checkpoint at `key` (added, from the value counted before it, if none is there)
    /// and every later one change by it. A raise adds `amount`; a cut and a slash take it (floor 0) and cap the
    /// value at the live stake `live`, so after a slash in c no epoch from c + 2 counts more than what is left.
    /// The callers' keys never pass c + max(D, 2) + 1 (a raise: c + max(D, 2); a cut: at most one after the
    /// latest raise; a slash: c + 2), so a cut is always the last checkpoint, a raise passes at most one (a cut
    /// of the same epoch) and a slash rewrites at most max(D, 2): the pending ones (`_take` stays bounded; gas
    /// in docs/protocol/contracts.md). The last checkpoint always holds the live stake.
    function _checkpointStake(address providerAddress, uint64 key, StakeChange change, uint256 amount, uint256 live)
        private
    {
        Checkpoints.Checkpoint208[] storage points = _epochStakes[providerAddress]._checkpoints;
        uint256 length = points.length;
        uint256 at = length;
        while (at != 0 && points[at - 1]._key > key) at--;
        if (at != 0 && points[at - 1]._key == key) {
            // A checkpoint at the key: it and every later one take the change.
            for (uint256 i = at - 1; i < length; i++) {
                points[i]._value = _changed(points[i]._value, change, amount, live);
            }
            return;
        }
        uint208 counted = at == 0 ? 0 : points[at - 1]._value;
        uint48 key48 = SafeCast.toUint48(key);
        if (at == length) {
            points.push(Checkpoints.Checkpoint208(key48, _changed(counted, change, amount, live)));
            return;
        }
        // A new checkpoint before later ones: they move up a slot, each taking the change.
        Checkpoints.Checkpoint208 storage last = points[length - 1];
        points.push(Checkpoints.Checkpoint208(last._key, _changed(last._value, change, amount, live)));
        for (uint256 i = length - 1; i > at; i--) {
            Checkpoints.Checkpoint208 storage moved = points[i - 1];
            points[i] = Checkpoints.Checkpoint208(moved._key, _changed(moved._value, change, amount, live));
        }
        points[at] = Checkpoints.Checkpoint208(key48, _changed(counted, change, amount, live));
    }

    function _changed(uint208 value, StakeChange change, uint256 amount, uint256 live) private pure returns (uint208) {
        if (change == StakeChange.Raise) return SafeCast.toUint208(value + amount);
        uint256 left = value > amount ? value - amount : 0;
        return SafeCast.toUint208(left < live ? left : live);
    }

    /// @dev The first epoch whose checking set counts an entry (a registration, any raise of the stake) made in
    /// `epoch`: activationDelayEpochs later, and never sooner than a leave (2), so that an entry or a top-up made
    /// blind can't be chosen against a seed its maker knows. Before genesis, epoch 1: the launch
    /// set is checked from the first epoch (at the production delay it would otherwise be D epochs without
    /// any check); seed(1) is public at deploy, so the launch set's addresses can be ground against epoch 1
    /// (docs/protocol/sortition-and-aggregation.md).
    function _entryEpoch(uint64 epoch) private view returns (uint64) {
        if (epoch == 0) return 1;
        return epoch + (_activationDelayEpochs > 2 ? _activationDelayEpochs : 2);
    }

    function _requireRegistered(address account) private view returns (Provider storage provider) {
        provider = _providers[account];
        if (!provider.registered) revert ProviderRegistryNotRegistered(account);
    }

    function _checkFields(bytes calldata peerId, string calldata gpuModel, string calldata region) private pure {
        if (peerId.length == 0 || peerId.length > MAX_PEER_ID_LENGTH) {
            revert ProviderRegistryInvalidField("peerId", peerId.length);
        }
        uint256 modelLength = bytes(gpuModel).length;
        if (modelLength == 0 || modelLength > MAX_LABEL_LENGTH) {
            revert ProviderRegistryInvalidField("gpuModel", modelLength);
        }
        uint256 regionLength = bytes(region).length;
        if (regionLength == 0 || regionLength > MAX_LABEL_LENGTH) {
            revert ProviderRegistryInvalidField("region", regionLength);
        }
    }

    /// @dev The first of the fields a verdict is judged by (class, VRAM, region) that `update` would change, or "".
    function _changedVerdictField(
        Provider storage provider,
        string calldata gpuModel,
        uint32 vramMiB,
        string calldata region
    ) private view returns (string memory) {
        if (keccak256(bytes(gpuModel)) != keccak256(bytes(provider.gpuModel))) return "gpuModel";
        if (vramMiB != provider.vramMiB) return "vramMiB";
        if (keccak256(bytes(region)) != keccak256(bytes(provider.region))) return "region";
        return "";
    }

    function _setInfo(
        Provider storage provider,
        bytes calldata peerId,
        string calldata gpuModel,
        uint32 vramMiB,
        string calldata region
    ) private {
        provider.peerId = peerId;
        provider.gpuModel = gpuModel;
        provider.vramMiB = vramMiB;
        provider.region = region;
    }
}
