// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {EpochClock} from "./EpochClock.sol";
import {ICheckerRegistry} from "./interfaces/ICheckerRegistry.sol";
import {IFraudProofs} from "./interfaces/IFraudProofs.sol";
import {IEpochReports} from "./interfaces/IEpochReports.sol";
import {IProviderRegistry} from "./interfaces/IProviderRegistry.sol";
import {IRewardToken} from "./interfaces/IRewardToken.sol";
import {ISlashing} from "./interfaces/ISlashing.sol";
import {BLS12381} from "./libraries/BLS12381.sol";
import {Leaves} from "./libraries/Leaves.sol";
import {Tags} from "./libraries/Tags.sol";

/**
 * @dev Pending slashes, contests and re-checks (state machine in {ISlashing}).
 *
 * Windows count from the block where the report landed: a FAIL leaf of epoch e
 * can be opened and contested until `landedEpochOf(e) + contestWindowEpochs`.
 * An uncontested slash is executed by anyone after that. A contest posts a bond
 * and asks a re-check committee (drawn from the snapshot and seed of the re-check
 * epoch, which the provider cannot know when it contests): PASS overturns the
 * slash and refunds the bond; FAIL upholds the slash and burns the bond;
 * INCONCLUSIVE, or no re-check report by the deadline, cancels the slash and
 * burns the bond, so contesting is never free.
 *
 * Accuser penalty: when a re-check overturns a failure, every checker listed in
 * the leaf's `accusers` forfeits its licenses' rewards of the accused epoch
 * (license rewards stay locked until the contest window and re-check deadline of
 * their epoch have passed, see {Rewards}) and is jailed (no seats, no new
 * delegations) for `accuserJailEpochs` epochs from the registry's next
 * effective epoch (the first snapshot the jail can still reach). Accuser lists of up to
 * MAX_INLINE_ACCUSERS are penalized with the re-check; longer ones, which no cap
 * refuses, are penalized in pages by anyone through `penalizeAccusers`.
 *
 * One punishment per (provider, epoch): a provider that a fraud proof slashed for epoch e
 * (FraudProofs.isFraudSlashed) gets no committee slash of e. Opening or contesting one reverts
 * (SlashingAlreadyPunished); one already pending or contested is superseded (closed, no tokens taken, bond
 * refunded, no accuser penalized) by `supersede`, `executeSlash`, `submitRecheck` or `expireContest`.
 * FraudProofs refuses a proof once the committee slash of e was executed (docs/protocol/fraud-proofs.md).
 */
contract Slashing is EpochClock, ISlashing {
    using SafeERC20 for IRewardToken;

    /// @dev Accuser lists up to this length are stored at the contest and penalized with the re-check.
    uint256 public constant MAX_INLINE_ACCUSERS = 64;

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
    uint64 private immutable _recheckWindowEpochs;
    uint64 private immutable _equivocationJailEpochs;
    uint64 private immutable _equivocationWindowEpochs;

    uint256 private _slashCount;
    mapping(uint256 slashId => SlashRecord) private _slashes;
    mapping(uint256 slashId => address[]) private _accusers;
    /// @dev keccak256(abi.encode(accusers)) of a contested leaf; the accusers of a long list are checked against it.
    mapping(uint256 slashId => bytes32) private _accusersHashes;
    /// @dev Set when a re-check overturned the slash: its accusers are to be penalized.
    mapping(uint256 slashId => bool) private _overturned;
    /// @dev Operators that forfeit their licenses' rewards of an epoch (a failure they signed was overturned).
    mapping(address operator => mapping(uint64 epoch => bool)) private _penalized;
    mapping(bytes32 epochAndProvider => uint256 slashId) private _slashIds;
    mapping(address provider => uint256) private _pendingCounts;
    /// @dev Checkers slashed for equivocating in an epoch (once per checker and epoch).
    mapping(address checker => mapping(uint64 epoch => bool)) private _equivocations;

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
        /**
         * Epochs over which the re-check committee tests the provider: each member runs its challenge in one
         * of them, chosen by its own unique BLS signature (packages/protocol `recheckRunEpoch`), so the provider
         * cannot tell when it is tested and must serve honestly for the whole window.
         */
        uint64 recheckWindowEpochs;
        /**
         * Epochs an equivocating checker is jailed (no seats, no new delegations), counted like the accusers' jail
         * from the registry's next effective epoch. Default in packages/contracts/src/deploy.ts: one day.
         */
        uint64 equivocationJailEpochs;
        /**
         * Epochs after its own during which an equivocation of an epoch can be slashed. At least 1 and at most
         * contestWindowEpochs + recheckDeadlineEpochs, so the forfeit lands before the epoch's rewards unlock.
         */
        uint64 equivocationWindowEpochs;
    }

    constructor(uint64 genesisTime_, uint64 epochSeconds_, Dependencies memory deps, Config memory config)
        EpochClock(genesisTime_, epochSeconds_)
    {
        if (config.contestWindowEpochs == 0) revert SlashingInvalidParameter("contestWindowEpochs");
        if (config.recheckWindowEpochs == 0) revert SlashingInvalidParameter("recheckWindowEpochs");
        // The re-check window opens RECHECK_DELAY_EPOCHS after the contest; its report lands in its last epoch
        // at the earliest, so the deadline must reach that epoch.
        if (config.recheckDeadlineEpochs < RECHECK_DELAY_EPOCHS + config.recheckWindowEpochs - 1) {
            revert SlashingInvalidParameter("recheckDeadlineEpochs");
        }
        if (
            config.equivocationWindowEpochs == 0 ||
            config.equivocationWindowEpochs > config.contestWindowEpochs + config.recheckDeadlineEpochs
        ) revert SlashingInvalidParameter("equivocationWindowEpochs");
        if (config.recheckCommitteeSize == 0 || config.recheckCommitteeSize > 190) {
            revert SlashingInvalidParameter("recheckCommitteeSize");
        }
        // Stake must stay slashable until every failure reported before the unstake request can be opened:
        // a report lands up to reportLatenessEpochs late and its slash can be opened for the contest window.
        uint256 lastOpenable = uint256(IEpochReports(deps.reports).reportLatenessEpochs()) +
            config.contestWindowEpochs +
            config.recheckDeadlineEpochs;
        if (IProviderRegistry(deps.providers).unbondingEpochs() <= lastOpenable) {
            revert SlashingInvalidParameter("unbondingEpochs");
        }
        _reports = IEpochReports(deps.reports);
        _providers = IProviderRegistry(deps.providers);
        _registry = ICheckerRegistry(deps.registry);
        _token = IRewardToken(deps.token);
        _contestWindowEpochs = config.contestWindowEpochs;
        _contestBond = config.contestBond;
        _recheckDeadlineEpochs = config.recheckDeadlineEpochs;
        _recheckWindowEpochs = config.recheckWindowEpochs;
        _recheckCommitteeSize = config.recheckCommitteeSize;
        _accuserJailEpochs = config.accuserJailEpochs;
        _equivocationJailEpochs = config.equivocationJailEpochs;
        _equivocationWindowEpochs = config.equivocationWindowEpochs;
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

        uint64 recheckEpoch = nowEpoch + RECHECK_DELAY_EPOCHS;
        uint64 resolveDeadline = nowEpoch + _recheckDeadlineEpochs;
        slash.status = SlashStatus.Contested;
        slash.bond = _contestBond;
        slash.recheckEpoch = recheckEpoch;
        slash.resolveDeadline = resolveDeadline;
        // No cap: a long list is only hashed here and penalized in pages if the slash is overturned.
        _accusersHashes[slashId] = keccak256(abi.encode(leaf.accusers));
        if (leaf.accusers.length <= MAX_INLINE_ACCUSERS) _accusers[slashId] = leaf.accusers;
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
        if (_fraudSlashed(slash.provider, slash.epoch)) return _supersede(slashId, slash);
        if (
            header.provider != slash.provider ||
            header.accusedEpoch != slash.epoch ||
            header.recheckEpoch != slash.recheckEpoch
        ) revert SlashingRecheckMismatch(slashId);
        if (header.verdict > Leaves.VERDICT_INCONCLUSIVE) revert SlashingInvalidVerdict(header.verdict);
        uint64 nowEpoch = currentEpoch();
        // Accepted once the window's last epoch has begun: every member's private run epoch has come.
        uint64 acceptedFrom = slash.recheckEpoch + _recheckWindowEpochs - 1;
        if (nowEpoch < acceptedFrom) revert SlashingRecheckNotStarted(slashId, nowEpoch, acceptedFrom);
        if (nowEpoch > slash.resolveDeadline) {
            revert SlashingRecheckDeadlinePassed(slashId, nowEpoch, slash.resolveDeadline);
        }

        _reports.verifyCommitteeSignature(
            slash.recheckEpoch,
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
            _overturn(slashId, slash);
        } else {
            _cancelForfeitingBond(slashId, slash);
        }
    }

    /// @inheritdoc ISlashing
    function penalizeAccusers(uint256 slashId, address[] calldata accusers, uint256 from, uint256 to) external {
        if (!_overturned[slashId]) revert SlashingNotOverturned(slashId);
        if (keccak256(abi.encode(accusers)) != _accusersHashes[slashId]) revert SlashingLeafMismatch(slashId);
        if (from > to || to > accusers.length) revert SlashingInvalidParameter("range");
        _penalize(slashId, accusers[from:to]);
    }

    /// @inheritdoc ISlashing
    function slashEquivocation(
        Attestation calldata first,
        bytes calldata firstSignature,
        Attestation calldata second,
        bytes calldata secondSignature
    ) external {
        // The same rules, in the same order, as packages/protocol `verifyEquivocation`.
        address checker = first.checker;
        uint64 epoch = first.epoch;
        if (epoch != second.epoch || first.provider != second.provider || checker != second.checker) {
            revert SlashingEquivocationNotSameSlot();
        }
        uint64 nowEpoch = currentEpoch();
        uint64 lastEpoch = epoch + _equivocationWindowEpochs;
        // A future epoch is refused too: no honest attestation of it exists yet.
        if (nowEpoch < epoch || nowEpoch > lastEpoch) {
            revert SlashingEquivocationOutsideWindow(epoch, nowEpoch, lastEpoch);
        }
        if (_equivocations[checker][epoch]) revert SlashingEquivocationAlreadySlashed(checker, epoch);
        bytes32 domain = _reports.domainSeparator();
        bytes32 rootA = keccak256(abi.encode(Tags.ATTESTATION, domain, first));
        bytes32 rootB = keccak256(abi.encode(Tags.ATTESTATION, domain, second));
        if (rootA == rootB) revert SlashingEquivocationSameRoot(rootA);
        bytes memory publicKey = _registry.publicKeyOf(checker);
        if (publicKey.length == 0) revert SlashingEquivocationUnknownChecker(checker);
        if (!BLS12381.verify(publicKey, rootA, firstSignature)) revert SlashingEquivocationInvalidSignature(0, rootA);
        if (!BLS12381.verify(publicKey, rootB, secondSignature)) {
            revert SlashingEquivocationInvalidSignature(1, rootB);
        }

        _equivocations[checker][epoch] = true;
        _penalized[checker][epoch] = true;
        address[] memory operators = new address[](1);
        operators[0] = checker;
        _registry.jail(operators, _equivocationJailEpochs);
        emit EquivocationSlashed(checker, epoch, first.provider, rootA, rootB, msg.sender);
    }

    /// @inheritdoc ISlashing
    function executeSlash(uint256 slashId) external returns (uint256 slashed) {
        SlashRecord storage slash = _requireStatus(slashId, SlashStatus.Pending);
        if (_fraudSlashed(slash.provider, slash.epoch)) {
            _supersede(slashId, slash);
            return 0;
        }
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
        if (_fraudSlashed(slash.provider, slash.epoch)) return _supersede(slashId, slash);
        uint64 nowEpoch = currentEpoch();
        if (nowEpoch <= slash.resolveDeadline) {
            revert SlashingRecheckDeadlineNotPassed(slashId, nowEpoch, slash.resolveDeadline);
        }
        _cancelForfeitingBond(slashId, slash);
    }

    /// @inheritdoc ISlashing
    function supersede(uint256 slashId) external {
        SlashRecord storage slash = _slashes[slashId];
        SlashStatus status = slash.status;
        if (status == SlashStatus.None) revert SlashingUnknownSlash(slashId);
        if (status != SlashStatus.Pending && status != SlashStatus.Contested) {
            revert SlashingInvalidStatus(slashId, status);
        }
        if (!_fraudSlashed(slash.provider, slash.epoch)) revert SlashingNotSuperseded(slashId);
        _supersede(slashId, slash);
    }

    /// @inheritdoc ISlashing
    function executedSlashIdOf(uint64 epoch, address provider) external view returns (uint256) {
        uint256 slashId = _slashIds[keccak256(abi.encode(epoch, provider))];
        return _slashes[slashId].status == SlashStatus.Executed ? slashId : 0;
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
        return
            _registry.committeeAt(
                slash.recheckEpoch,
                Tags.RECHECK_COMMITTEE,
                _reports.seedOf(slash.recheckEpoch),
                slashId,
                _recheckCommitteeSize
            );
    }

    /// @inheritdoc ISlashing
    function isPenalized(address operator, uint64 epoch) external view returns (bool) {
        return _penalized[operator][epoch];
    }

    /// @inheritdoc ISlashing
    function isEquivocationSlashed(address checker, uint64 epoch) external view returns (bool) {
        return _equivocations[checker][epoch];
    }

    /// @inheritdoc ISlashing
    function attestationSigningRoot(Attestation calldata attestation) external view returns (bytes32) {
        return keccak256(abi.encode(Tags.ATTESTATION, _reports.domainSeparator(), attestation));
    }

    /// @inheritdoc ISlashing
    function equivocationWindowEpochs() external view returns (uint64) {
        return _equivocationWindowEpochs;
    }

    /// @inheritdoc ISlashing
    function equivocationJailEpochs() external view returns (uint64) {
        return _equivocationJailEpochs;
    }

    /// @inheritdoc ISlashing
    function accusersHashOf(uint256 slashId) external view returns (bytes32) {
        return _accusersHashes[slashId];
    }

    /// @inheritdoc ISlashing
    function isOverturned(uint256 slashId) external view returns (bool) {
        return _overturned[slashId];
    }

    /// @inheritdoc ISlashing
    function penaltiesFinalEpoch(uint64 epoch) external view returns (uint64) {
        uint64 landed = _reports.landedEpochOf(epoch);
        if (landed == 0) return type(uint64).max;
        // A contest opened at the last epoch of the window resolves by its re-check deadline.
        return landed + _contestWindowEpochs + _recheckDeadlineEpochs;
    }

    /// @inheritdoc ISlashing
    function recheckSigningRoot(RecheckHeader calldata header) public view returns (bytes32) {
        // Names this contract, so a re-check signature cannot be replayed on another Slashing of the same network.
        return keccak256(abi.encode(Tags.RECHECK, _reports.domainSeparator(), address(this), header));
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

    /// @inheritdoc ISlashing
    function recheckWindowEpochs() external view returns (uint64) {
        return _recheckWindowEpochs;
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
        // Counted from the report's landing, so a late report still leaves the whole window.
        uint64 contestDeadline = _reports.landedEpochOf(epoch) + _contestWindowEpochs;
        if (nowEpoch > contestDeadline) {
            if (contesting) revert SlashingContestWindowClosed(epoch, nowEpoch, contestDeadline);
            revert SlashingOpenWindowClosed(epoch, nowEpoch, contestDeadline);
        }
        if (leaf.verdict != Leaves.VERDICT_FAIL || leaf.slashAmount == 0) {
            revert SlashingNotSlashable(leaf.verdict, leaf.slashAmount);
        }
        // One punishment per (provider, epoch): a fraud proof of this epoch has slashed the provider already.
        if (_fraudSlashed(leaf.provider, epoch)) revert SlashingAlreadyPunished(epoch, leaf.provider);
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

    /// @dev Whether FraudProofs (ProviderRegistry's second slasher) slashed `provider` for a fraud of `epoch`.
    function _fraudSlashed(address provider, uint64 epoch) private view returns (bool) {
        return IFraudProofs(_providers.fraudProofs()).isFraudSlashed(provider, epoch);
    }

    /// @dev Closes a pending or contested slash that a fraud slash of its (provider, epoch) replaces.
    function _supersede(uint256 slashId, SlashRecord storage slash) private {
        slash.status = SlashStatus.Cancelled;
        --_pendingCounts[slash.provider];
        uint256 bond = slash.bond;
        emit SlashSuperseded(slashId, slash.provider, slash.epoch, bond);
        if (bond != 0) _token.safeTransfer(slash.provider, bond);
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

    function _overturn(uint256 slashId, SlashRecord storage slash) private {
        slash.status = SlashStatus.Cancelled;
        --_pendingCounts[slash.provider];
        _overturned[slashId] = true;
        emit SlashOverturned(slashId, slash.bond);
        // Short lists were stored at the contest; long ones wait for penalizeAccusers.
        address[] storage accusers = _accusers[slashId];
        if (accusers.length != 0) _penalize(slashId, accusers);
        if (slash.bond != 0) _token.safeTransfer(slash.provider, slash.bond);
    }

    function _penalize(uint256 slashId, address[] memory accusers) private {
        uint64 accusedEpoch = _slashes[slashId].epoch;
        for (uint256 i = 0; i < accusers.length; ++i) {
            _penalized[accusers[i]][accusedEpoch] = true;
        }
        (uint64 fromEpoch, uint64 untilEpoch) = _registry.jail(accusers, _accuserJailEpochs);
        emit AccusersPenalized(slashId, accusers, fromEpoch, untilEpoch);
    }

    /// @dev INCONCLUSIVE or no re-check in time: the slash is dropped and the bond is forfeited (burned).
    function _cancelForfeitingBond(uint256 slashId, SlashRecord storage slash) private {
        slash.status = SlashStatus.Cancelled;
        --_pendingCounts[slash.provider];
        uint256 bond = slash.bond;
        emit ContestExpired(slashId, 0);
        emit BondForfeited(slashId, bond);
        if (bond != 0) _token.burn(bond);
    }
}
