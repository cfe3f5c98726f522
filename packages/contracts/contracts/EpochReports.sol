// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {EpochClock} from "./EpochClock.sol";
import {ICheckerRegistry} from "./interfaces/ICheckerRegistry.sol";
import {IEpochReports} from "./interfaces/IEpochReports.sol";
import {BLS12381} from "./libraries/BLS12381.sol";
import {Tags} from "./libraries/Tags.sol";

/**
 * @dev Accepts one report per epoch, in increasing epoch order, each signed by
 * a quorum of that epoch's report committee with one aggregate BLS signature.
 *
 * Epoch randomness: a report landing in epoch c sets the seed of epoch c + 1 to
 * keccak256(abi.encode(EPOCH_SEED_TAG, seedOf(c), keccak256(aggregateSignature), block.prevrandao))
 * and freezes seedOf(c) if it was still derived. An epoch whose predecessor saw
 * no report landing gets the fallback keccak256(abi.encode(EPOCH_SEED_TAG, s, epoch))
 * from the closest earlier stored seed s. Only seeds of epochs that have not
 * started are ever written, so every node reads the same seed for the current
 * epoch from its first block on.
 */
contract EpochReports is EpochClock, IEpochReports {
    uint256 private constant _BPS = 10_000;
    uint256 private constant _MAX_SEATS = 256;
    uint256 private constant _G2_LENGTH = 256;

    ICheckerRegistry private immutable _registry;
    uint256 private immutable _committeeSize;
    uint256 private immutable _quorumBps;
    uint256 private immutable _rewardBudget;
    bytes32 private immutable _domainSeparator;

    mapping(uint64 epoch => Report) private _reports;
    mapping(uint64 epoch => bytes32) private _seeds;
    uint64 private _lastReportedEpoch;
    uint64 private _lastSeededEpoch;

    /**
     * @param committeeSize_ seats of every report committee (1..256; default 16).
     * @param quorumBps_ fraction of seats that must sign, in basis points (1..10000; default 6667).
     * @param rewardBudget_ the most one report may pay out (`totalRewards`).
     * @param genesisSeed_ seed of epoch 0, from which every seed descends; zero derives one from prevrandao.
     */
    constructor(
        uint64 genesisTime_,
        uint64 epochSeconds_,
        address registry_,
        uint256 committeeSize_,
        uint256 quorumBps_,
        uint256 rewardBudget_,
        bytes32 genesisSeed_
    ) EpochClock(genesisTime_, epochSeconds_) {
        if (committeeSize_ == 0 || committeeSize_ > _MAX_SEATS) revert EpochReportsInvalidParameter("committeeSize");
        if (quorumBps_ == 0 || quorumBps_ > _BPS) revert EpochReportsInvalidParameter("quorumBps");
        if (rewardBudget_ > type(uint128).max) revert EpochReportsInvalidParameter("rewardBudget");
        _registry = ICheckerRegistry(registry_);
        _committeeSize = committeeSize_;
        _quorumBps = quorumBps_;
        _rewardBudget = rewardBudget_;
        _domainSeparator = Tags.domainSeparator(block.chainid, address(this));
        bytes32 genesisSeed = genesisSeed_ != 0
            ? genesisSeed_
            : keccak256(abi.encode(Tags.EPOCH_SEED, block.chainid, address(this), block.prevrandao));
        _seeds[0] = genesisSeed;
        emit EpochSeeded(0, genesisSeed);
    }

    /// @inheritdoc IEpochReports
    function submitReport(ReportHeader calldata header, uint256 signerBitfield, bytes calldata aggregateSignature)
        external
    {
        uint64 epoch = header.epoch;
        uint64 nowEpoch = currentEpoch();
        if (epoch == 0 || epoch > nowEpoch) revert EpochReportsEpochNotStarted(epoch, nowEpoch);
        if (_reports[epoch].submittedAt != 0) revert EpochReportsAlreadyReported(epoch);
        if (epoch <= _lastReportedEpoch) revert EpochReportsEpochOutOfOrder(epoch, _lastReportedEpoch);
        bytes32 seed = seedOf(epoch);
        if (header.seed != seed) revert EpochReportsSeedMismatch(seed, header.seed);
        if (header.totalRewards > _rewardBudget) revert EpochReportsOverBudget(_rewardBudget, header.totalRewards);

        _verifyCommittee(
            Tags.REPORT_COMMITTEE,
            seed,
            epoch,
            _committeeSize,
            _reportSigningRoot(header),
            signerBitfield,
            aggregateSignature
        );

        _reports[epoch] = Report({
            resultsRoot: header.resultsRoot,
            rewardsRoot: header.rewardsRoot,
            // Bounded by the budget, which the constructor keeps within uint128.
            totalRewards: uint128(header.totalRewards),
            submittedAt: uint64(block.timestamp)
        });
        _lastReportedEpoch = epoch;
        emit ReportSubmitted(
            epoch,
            header.resultsRoot,
            header.rewardsRoot,
            header.totalRewards,
            header.providerCount,
            header.attestationCount,
            signerBitfield
        );
        _seedNextEpoch(nowEpoch, keccak256(aggregateSignature));
    }

    /// @inheritdoc IEpochReports
    function verifyCommitteeSignature(
        bytes32 tag,
        bytes32 seed,
        uint256 nonce,
        uint256 seats,
        bytes32 signingRoot,
        uint256 bitfield,
        bytes calldata aggregateSignature
    ) external view returns (uint256 signers) {
        if (seats == 0 || seats > _MAX_SEATS) revert EpochReportsInvalidParameter("seats");
        return _verifyCommittee(tag, seed, nonce, seats, signingRoot, bitfield, aggregateSignature);
    }

    /// @inheritdoc IEpochReports
    function reportOf(uint64 epoch) external view returns (Report memory) {
        return _reports[epoch];
    }

    /// @inheritdoc IEpochReports
    function resultsRootOf(uint64 epoch) external view returns (bytes32) {
        return _reports[epoch].resultsRoot;
    }

    /// @inheritdoc IEpochReports
    function rewardsOf(uint64 epoch) external view returns (bytes32 root, uint256 totalRewards) {
        Report storage report = _reports[epoch];
        return (report.rewardsRoot, report.totalRewards);
    }

    /// @inheritdoc IEpochReports
    function lastReportedEpoch() external view returns (uint64) {
        return _lastReportedEpoch;
    }

    /// @inheritdoc IEpochReports
    function seedOf(uint64 epoch) public view returns (bytes32) {
        bytes32 stored = _seeds[epoch];
        if (stored != 0) return stored;
        // Closest earlier stored seed: the last one when asking past it (the usual case),
        // otherwise walk back through a gap left by epochs that saw no report landing.
        uint64 anchor = _lastSeededEpoch;
        if (anchor >= epoch) {
            anchor = epoch - 1;
            while (_seeds[anchor] == 0) --anchor;
        }
        return keccak256(abi.encode(Tags.EPOCH_SEED, _seeds[anchor], epoch));
    }

    /// @inheritdoc IEpochReports
    function reportCommittee(uint64 epoch) external view returns (address[] memory operators) {
        (operators, ) = _registry.committee(Tags.REPORT_COMMITTEE, seedOf(epoch), epoch, _committeeSize);
    }

    /// @inheritdoc IEpochReports
    function reportSigningRoot(ReportHeader calldata header) external view returns (bytes32) {
        return _reportSigningRoot(header);
    }

    /// @inheritdoc IEpochReports
    function quorumFor(uint256 seats) public view returns (uint256) {
        return (seats * _quorumBps + _BPS - 1) / _BPS;
    }

    /// @inheritdoc IEpochReports
    function reportCommitteeSize() external view returns (uint256) {
        return _committeeSize;
    }

    /// @inheritdoc IEpochReports
    function reportQuorumBps() external view returns (uint256) {
        return _quorumBps;
    }

    /// @inheritdoc IEpochReports
    function epochRewardBudget() external view returns (uint256) {
        return _rewardBudget;
    }

    /// @inheritdoc IEpochReports
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparator;
    }

    /**
     * @dev The committee check shared by reports and re-checks: the bitfield
     * only names existing seats, enough seats signed, and the aggregate
     * signature verifies against the sum of their keys.
     */
    function _verifyCommittee(
        bytes32 tag,
        bytes32 seed,
        uint256 nonce,
        uint256 seats,
        bytes32 signingRoot,
        uint256 bitfield,
        bytes calldata aggregateSignature
    ) private view returns (uint256 signers) {
        if (seats < _MAX_SEATS && bitfield >> seats != 0) revert EpochReportsInvalidBitfield(bitfield, seats);
        uint256 set = _popCount(bitfield);
        uint256 required = quorumFor(seats);
        if (set < required) revert EpochReportsQuorumNotReached(required, set);
        bytes memory aggregateKey;
        (aggregateKey, signers) = _registry.aggregateCommitteeKey(tag, seed, nonce, seats, bitfield);
        if (signers == 0) revert EpochReportsEmptyCommittee();
        if (aggregateSignature.length != _G2_LENGTH) revert EpochReportsInvalidSignature();
        // Keys that cancel out would sum to infinity, which verify() refuses.
        if (!BLS12381.verify(aggregateKey, signingRoot, aggregateSignature)) revert EpochReportsInvalidSignature();
    }

    function _reportSigningRoot(ReportHeader calldata header) private view returns (bytes32) {
        return keccak256(abi.encode(Tags.REPORT, _domainSeparator, header));
    }

    /// @dev Freezes the seed of the running epoch and derives the next one from this report.
    function _seedNextEpoch(uint64 nowEpoch, bytes32 signatureHash) private {
        bytes32 current = _seeds[nowEpoch];
        if (current == 0) {
            current = seedOf(nowEpoch);
            _seeds[nowEpoch] = current;
            emit EpochSeeded(nowEpoch, current);
        }
        bytes32 next = keccak256(abi.encode(Tags.EPOCH_SEED, current, signatureHash, block.prevrandao));
        _seeds[nowEpoch + 1] = next;
        _lastSeededEpoch = nowEpoch + 1;
        emit EpochSeeded(nowEpoch + 1, next);
    }

    /// @dev Number of set bits; one iteration per set bit (x & (x - 1) clears the lowest).
    function _popCount(uint256 x) private pure returns (uint256 count) {
        // x != 0 inside the loop, so x - 1 cannot underflow; count is at most 256.
        unchecked {
            while (x != 0) {
                x &= x - 1;
                ++count;
            }
        }
    }
}
