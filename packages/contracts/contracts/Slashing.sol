// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {EpochClock} from "./EpochClock.sol";
import {ICheckerRegistry} from "./interfaces/ICheckerRegistry.sol";
import {IEpochReports} from "./interfaces/IEpochReports.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {IRewardToken} from "./interfaces/IRewardToken.sol";
import {ISlashing} from "./interfaces/ISlashing.sol";
import {Leaves} from "./libraries/Leaves.sol";
import {Tags} from "./libraries/Tags.sol";

/**
 * @dev Pending slashes, contests and re-checks (state machine in {ISlashing}).
 *
 * Default rules: an uncontested slash is executed by anyone once the contest
 * window has passed; a contest whose re-check report does not land by its
 * deadline is overturned without penalty (the burden of proof is on the
 * accusers, and the provider cannot make a re-check committee stall).
 *
 * Accuser penalty: when a re-check overturns a failure, every checker listed
 * in the leaf's `accusers` is jailed from the accused epoch through
 * `accuserJailEpochs` epochs after the resolution. A jailed operator receives
 * no new delegations and the licenses delegated to it in those epochs forfeit
 * their unclaimed rewards for them (enforced by the rewards contract).
 */
contract Slashing is EpochClock, ISlashing {
    using SafeERC20 for IRewardToken;

    /// @dev Accusers are the failing members of one provider's committee (default size 8); 64 bounds the contest's gas.
    uint256 public constant MAX_ACCUSERS = 64;

    /**
     * @dev The re-check committee is drawn from the seed of the contest epoch + 2. That seed comes from a
     * report landing in the epoch after the contest, so the provider cannot know its re-check committee
     * when it chooses to contest (the seed of the next epoch may already be public by then).
     */
    uint64 public constant RECHECK_DELAY_EPOCHS = 2;

    IEpochReports private immutable _reports;
    IProviderRegistry private immutable _providers;
    ICheckerRegistry private immutable _registry;
    IRewardToken private immutable _token;
    uint64 private immutable _contestWindowEpochs;
    uint256 private immutable _contestBond;
    uint64 private immutable _recheckDeadlineEpochs;
    uint256 private immutable _recheckCommitteeSize;
    uint64 private immutable _accuserJailEpochs;

    uint256 private _slashCount;
    mapping(uint256 slashId => SlashRecord) private _slashes;
    mapping(uint256 slashId => address[]) private _accusers;
    mapping(bytes32 epochAndProvider => uint256 slashId) private _slashIds;
    mapping(address provider => uint256) private _pendingCounts;

    /// @dev The contracts this one reads and acts on.
    struct Dependencies {
        address reports;
        address providers;
        address registry;
        address token;
    }

    /// @dev Rules of the game; defaults in packages/protocol/src/params.ts.
    struct Config {
        uint64 contestWindowEpochs;
        uint256 contestBond;
        uint64 recheckDeadlineEpochs;
        uint256 recheckCommitteeSize;
        uint64 accuserJailEpochs;
    }

    constructor(uint64 genesisTime_, uint64 epochSeconds_, Dependencies memory deps, Config memory config)
        EpochClock(genesisTime_, epochSeconds_)
    {
        if (config.contestWindowEpochs == 0) revert SlashingInvalidParameter("contestWindowEpochs");
        // The re-check runs RECHECK_DELAY_EPOCHS after the contest; its report needs that epoch at least.
        if (config.recheckDeadlineEpochs < RECHECK_DELAY_EPOCHS) {
            revert SlashingInvalidParameter("recheckDeadlineEpochs");
        }
        if (config.recheckCommitteeSize == 0 || config.recheckCommitteeSize > 256) {
            revert SlashingInvalidParameter("recheckCommitteeSize");
        }
        _reports = IEpochReports(deps.reports);
        _providers = IProviderRegistry(deps.providers);
        _registry = ICheckerRegistry(deps.registry);
        _token = IRewardToken(deps.token);
        _contestWindowEpochs = config.contestWindowEpochs;
        _contestBond = config.contestBond;
        _recheckDeadlineEpochs = config.recheckDeadlineEpochs;
        _recheckCommitteeSize = config.recheckCommitteeSize;
        _accuserJailEpochs = config.accuserJailEpochs;
    }

    /// @inheritdoc ISlashing
    function openSlash(uint64 epoch, Leaves.ResultLeaf calldata leaf, bytes32[] calldata proof)
        external
        returns (uint256 slashId)
    {
        (slashId, ) = _openOrFind(epoch, leaf, proof, false);
    }

    /// @inheritdoc ISlashing
    function contest(uint64 epoch, Leaves.ResultLeaf calldata leaf, bytes32[] calldata proof)
        external
        returns (uint256 slashId)
    {
        if (msg.sender != leaf.provider) revert SlashingUnauthorizedContester(msg.sender, leaf.provider);
        uint64 nowEpoch;
        (slashId, nowEpoch) = _openOrFind(epoch, leaf, proof, true);
        SlashRecord storage slash = _requireStatus(slashId, SlashStatus.Pending);
        if (leaf.accusers.length > MAX_ACCUSERS) revert SlashingTooManyAccusers(leaf.accusers.length, MAX_ACCUSERS);

        uint64 recheckEpoch = nowEpoch + RECHECK_DELAY_EPOCHS;
        uint64 resolveDeadline = nowEpoch + _recheckDeadlineEpochs;
        slash.status = SlashStatus.Contested;
        slash.bond = _contestBond;
        slash.recheckEpoch = recheckEpoch;
        slash.resolveDeadline = resolveDeadline;
        _accusers[slashId] = leaf.accusers;
        emit SlashContested(slashId, msg.sender, _contestBond);
        emit RecheckRequested(slashId, msg.sender, epoch, recheckEpoch, resolveDeadline, _recheckCommitteeSize);

        if (_contestBond != 0) _token.safeTransferFrom(msg.sender, address(this), _contestBond);
    }

    /// @inheritdoc ISlashing
    function submitRecheck(RecheckHeader calldata header, uint256 signerBitfield, bytes calldata aggregateSignature)
        external
    {
        uint256 slashId = header.slashId;
        SlashRecord storage slash = _requireStatus(slashId, SlashStatus.Contested);
        if (
            header.provider != slash.provider ||
            header.accusedEpoch != slash.epoch ||
            header.recheckEpoch != slash.recheckEpoch
        ) revert SlashingRecheckMismatch(slashId);
        if (header.verdict > Leaves.VERDICT_INCONCLUSIVE) revert SlashingInvalidVerdict(header.verdict);
        uint64 nowEpoch = currentEpoch();
        if (nowEpoch < slash.recheckEpoch) revert SlashingRecheckNotStarted(slashId, nowEpoch, slash.recheckEpoch);
        if (nowEpoch > slash.resolveDeadline) {
            revert SlashingRecheckDeadlinePassed(slashId, nowEpoch, slash.resolveDeadline);
        }

        _reports.verifyCommitteeSignature(
            Tags.RECHECK_COMMITTEE,
            _reports.seedOf(slash.recheckEpoch),
            slashId,
            _recheckCommitteeSize,
            recheckSigningRoot(header),
            signerBitfield,
            aggregateSignature
        );

        if (header.verdict == Leaves.VERDICT_FAIL) {
            _uphold(slashId, slash);
        } else if (header.verdict == Leaves.VERDICT_PASS) {
            _overturn(slashId, slash, nowEpoch);
        } else {
            _cancelWithoutPenalty(slashId, slash);
        }
    }

    /// @inheritdoc ISlashing
    function executeSlash(uint256 slashId) external returns (uint256 slashed) {
        SlashRecord storage slash = _requireStatus(slashId, SlashStatus.Pending);
        uint64 nowEpoch = currentEpoch();
        if (nowEpoch <= slash.contestDeadline) {
            revert SlashingContestWindowOpen(slashId, nowEpoch, slash.contestDeadline);
        }
        slash.status = SlashStatus.Executed;
        --_pendingCounts[slash.provider];
        slashed = _providers.slash(slash.provider, slash.amount);
        emit SlashExecuted(slashId, slash.provider, slashed);
    }

    /// @inheritdoc ISlashing
    function expireContest(uint256 slashId) external {
        SlashRecord storage slash = _requireStatus(slashId, SlashStatus.Contested);
        uint64 nowEpoch = currentEpoch();
        if (nowEpoch <= slash.resolveDeadline) {
            revert SlashingRecheckDeadlineNotPassed(slashId, nowEpoch, slash.resolveDeadline);
        }
        _cancelWithoutPenalty(slashId, slash);
    }

    /// @inheritdoc ISlashing
    function slashOf(uint256 slashId) external view returns (SlashRecord memory) {
        return _slashes[slashId];
    }

    /// @inheritdoc ISlashing
    function accusersOf(uint256 slashId) external view returns (address[] memory) {
        return _accusers[slashId];
    }

    /// @inheritdoc ISlashing
    function slashIdOf(uint64 epoch, address provider) external view returns (uint256) {
        return _slashIds[keccak256(abi.encode(epoch, provider))];
    }

    /// @inheritdoc ISlashing
    function pendingSlashCount(address provider) external view returns (uint256) {
        return _pendingCounts[provider];
    }

    /// @inheritdoc ISlashing
    function slashCount() external view returns (uint256) {
        return _slashCount;
    }

    /// @inheritdoc ISlashing
    function recheckCommittee(uint256 slashId) external view returns (address[] memory operators) {
        SlashRecord storage slash = _slashes[slashId];
        if (slash.recheckEpoch == 0) return operators;
        (operators, ) = _registry.committee(
            Tags.RECHECK_COMMITTEE,
            _reports.seedOf(slash.recheckEpoch),
            slashId,
            _recheckCommitteeSize
        );
    }

    /// @inheritdoc ISlashing
    function recheckSigningRoot(RecheckHeader calldata header) public view returns (bytes32) {
        return keccak256(abi.encode(Tags.RECHECK, _reports.domainSeparator(), header));
    }

    /// @inheritdoc ISlashing
    function contestWindowEpochs() external view returns (uint64) {
        return _contestWindowEpochs;
    }

    /// @inheritdoc ISlashing
    function contestBond() external view returns (uint256) {
        return _contestBond;
    }

    /// @inheritdoc ISlashing
    function recheckDeadlineEpochs() external view returns (uint64) {
        return _recheckDeadlineEpochs;
    }

    /// @inheritdoc ISlashing
    function recheckCommitteeSize() external view returns (uint256) {
        return _recheckCommitteeSize;
    }

    /// @inheritdoc ISlashing
    function accuserJailEpochs() external view returns (uint64) {
        return _accuserJailEpochs;
    }

    /**
     * @dev Checks the window, then returns the slash recorded for (epoch, leaf.provider) when the
     * leaf is the one it was opened with, or proves the leaf and records a new pending slash.
     */
    function _openOrFind(
        uint64 epoch,
        Leaves.ResultLeaf calldata leaf,
        bytes32[] calldata proof,
        bool contesting
    )
        private
        returns (uint256 slashId, uint64 nowEpoch)
    {
        bytes32 root = _reports.resultsRootOf(epoch);
        if (root == 0) revert SlashingUnknownEpoch(epoch);
        nowEpoch = currentEpoch();
        uint64 contestDeadline = epoch + _contestWindowEpochs;
        if (nowEpoch > contestDeadline) {
            if (contesting) revert SlashingContestWindowClosed(epoch, nowEpoch, contestDeadline);
            revert SlashingOpenWindowClosed(epoch, nowEpoch, contestDeadline);
        }
        if (leaf.verdict != Leaves.VERDICT_FAIL || leaf.slashAmount == 0) {
            revert SlashingNotSlashable(leaf.verdict, leaf.slashAmount);
        }
        bytes32 leafHash = Leaves.hash(leaf);
        bytes32 key = keccak256(abi.encode(epoch, leaf.provider));
        slashId = _slashIds[key];
        if (slashId != 0) {
            // One slash per (epoch, provider): a second opening is refused, a contest must bring the same leaf.
            if (!contesting) revert SlashingAlreadyOpened(epoch, leaf.provider, slashId);
            if (_slashes[slashId].leafHash != leafHash) revert SlashingLeafMismatch(slashId);
            return (slashId, nowEpoch);
        }
        if (!MerkleProof.verifyCalldata(proof, root, leafHash)) revert SlashingInvalidProof(epoch);

        slashId = ++_slashCount;
        _slashes[slashId] = SlashRecord({
            provider: leaf.provider,
            epoch: epoch,
            openedEpoch: nowEpoch,
            contestDeadline: contestDeadline,
            recheckEpoch: 0,
            resolveDeadline: 0,
            status: SlashStatus.Pending,
            amount: leaf.slashAmount,
            bond: 0,
            leafHash: leafHash
        });
        _slashIds[key] = slashId;
        ++_pendingCounts[leaf.provider];
        emit SlashOpened(slashId, leaf.provider, epoch, leaf.slashAmount, contestDeadline);
    }

    function _requireStatus(uint256 slashId, SlashStatus expected) private view returns (SlashRecord storage slash) {
        slash = _slashes[slashId];
        if (slash.status == SlashStatus.None) revert SlashingUnknownSlash(slashId);
        if (slash.status != expected) revert SlashingInvalidStatus(slashId, slash.status);
    }

    function _uphold(uint256 slashId, SlashRecord storage slash) private {
        slash.status = SlashStatus.Executed;
        --_pendingCounts[slash.provider];
        uint256 bond = slash.bond;
        emit SlashUpheld(slashId, bond);
        uint256 slashed = _providers.slash(slash.provider, slash.amount);
        emit SlashExecuted(slashId, slash.provider, slashed);
        if (bond != 0) _token.burn(bond);
    }

    function _overturn(uint256 slashId, SlashRecord storage slash, uint64 nowEpoch) private {
        slash.status = SlashStatus.Cancelled;
        --_pendingCounts[slash.provider];
        uint64 untilEpoch = nowEpoch + _accuserJailEpochs;
        address[] memory accusers = _accusers[slashId];
        emit SlashOverturned(slashId, slash.bond);
        emit AccusersPenalized(slashId, accusers, slash.epoch, untilEpoch);
        _registry.jail(accusers, slash.epoch, untilEpoch);
        if (slash.bond != 0) _token.safeTransfer(slash.provider, slash.bond);
    }

    function _cancelWithoutPenalty(uint256 slashId, SlashRecord storage slash) private {
        slash.status = SlashStatus.Cancelled;
        --_pendingCounts[slash.provider];
        emit ContestExpired(slashId, slash.bond);
        if (slash.bond != 0) _token.safeTransfer(slash.provider, slash.bond);
    }
}
