// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {EpochClock} from "./EpochClock.sol";
import {ICheckerRegistry} from "./interfaces/ICheckerRegistry.sol";
import {IEpochReports} from "./interfaces/IEpochReports.sol";
import {BLS12381} from "./libraries/BLS12381.sol";
import {PublicKeyStore} from "./libraries/PublicKeyStore.sol";
import {Tags} from "./libraries/Tags.sol";

/**
 * @dev Accepts one report per epoch, in any order within its acceptance window (from the end of the epoch's
 * checking phase to the end of epoch `epoch + reportLatenessEpochs`), each signed by a quorum of the report
 * committee of the epoch's committee period with one aggregate BLS signature, and keeps the epoch seeds
 * (both described in {IEpochReports}).
 *
 * Reports are not chained: no seed, committee or window reads another epoch's report, so an epoch whose
 * report was delayed (RPC down, no quorum in time) can land after a later epoch's did. A report's own
 * windows (contest, re-check, license-reward lock in {Slashing}) count from the epoch it landed in.
 *
 * A sealed committee is stored as the code of one data contract:
 * `emptySeats (32 bytes) || sum of the non-empty seats' keys (128) || key of seat 0 (128) || ... || key of seat m-1`.
 * A report reads it with one EXTCODECOPY and pays one G1 addition per seat that did NOT sign (the sum of
 * the non-signers is negated and added to the stored total), so a fully signed report costs the same
 * whatever the committee size, the number of checkers or the number of providers.
 */
contract EpochReports is EpochClock, IEpochReports {
    using Checkpoints for Checkpoints.Trace208;

    uint256 private constant _BPS = 10_000;
    uint256 private constant _G1 = 128;
    uint256 private constant _G2 = 256;
    /// @dev Largest committee whose sealed keys fit one contract's code (EIP-170: 24,576 bytes).
    uint256 private constant _MAX_SEATS = 190;
    /// @dev Bytes before the seat keys in a sealed committee: the empty-seat bitfield and the keys' sum.
    uint256 private constant _SEALED_HEADER = 32 + 128;
    /// @dev The base-field modulus p = P_HI * 2^256 + P_LO, for negating a G1 point (y -> p - y).
    uint256 private constant _P_HI = 0x1a0111ea397fe69a4b1ba7b6434bacd7;
    uint256 private constant _P_LO = 0x64774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab;

    /// @dev Rules of the reports; defaults in packages/protocol/src/params.ts.
    struct Config {
        /// Seats of every report and re-check committee (1..190).
        uint256 committeeSize;
        /// Fraction of seats that must sign, in basis points (quorum = ceil(seats * bps / 10000)).
        uint256 quorumBps;
        /// Epochs per committee period: the report committee is drawn and sealed once per period.
        uint64 committeePeriodEpochs;
        /// Seconds from an epoch's start before its report is accepted: the end of its checking phase.
        uint64 reportDelaySeconds;
        /// Epochs after its own during which a report is still accepted.
        uint64 reportLatenessEpochs;
        /// The most one report may pay out (`totalRewards`).
        uint256 rewardBudget;
        /// Seed of epoch 0, from which every seed descends; zero derives one from prevrandao at deployment.
        bytes32 genesisSeed;
    }

    ICheckerRegistry private immutable _registry;
    uint256 private immutable _committeeSize;
    uint256 private immutable _quorumBps;
    uint64 private immutable _periodEpochs;
    uint64 private immutable _reportDelaySeconds;
    uint64 private immutable _latenessEpochs;
    uint256 private immutable _rewardBudget;

    mapping(uint64 epoch => Report) private _reports;
    /// @dev Epoch 0's seed and every revealed seed.
    mapping(uint64 epoch => bytes32) private _seeds;
    /**
     * @dev Gaps between reveals, written only when a reveal follows unrevealed epochs: key = the gap's first
     * epoch, value = the reveal before it (the fallback anchor of every epoch in the gap). Consecutive reveals,
     * the normal case, write nothing here.
     */
    Checkpoints.Trace208 private _gaps;
    uint64 private _lastRevealedEpoch;
    uint64 private _lastReportedEpoch;
    mapping(uint64 period => address keys) private _sealed;

    constructor(uint64 genesisTime_, uint64 epochSeconds_, address registry_, Config memory config)
        EpochClock(genesisTime_, epochSeconds_)
    {
        if (config.committeeSize == 0 || config.committeeSize > _MAX_SEATS) {
            revert EpochReportsInvalidParameter("committeeSize");
        }
        if (config.quorumBps == 0 || config.quorumBps > _BPS) revert EpochReportsInvalidParameter("quorumBps");
        if (config.committeePeriodEpochs == 0) revert EpochReportsInvalidParameter("committeePeriodEpochs");
        if (config.reportDelaySeconds > epochSeconds_) revert EpochReportsInvalidParameter("reportDelaySeconds");
        if (config.rewardBudget > type(uint128).max) revert EpochReportsInvalidParameter("rewardBudget");
        _registry = ICheckerRegistry(registry_);
        _committeeSize = config.committeeSize;
        _quorumBps = config.quorumBps;
        _periodEpochs = config.committeePeriodEpochs;
        _reportDelaySeconds = config.reportDelaySeconds;
        _latenessEpochs = config.reportLatenessEpochs;
        _rewardBudget = config.rewardBudget;
        bytes32 genesisSeed = config.genesisSeed != 0
            ? config.genesisSeed
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
        uint256 acceptedFrom = epochStartTime(epoch) + _reportDelaySeconds;
        if (epoch == 0 || epoch > nowEpoch || block.timestamp < acceptedFrom) {
            revert EpochReportsTooEarly(epoch, block.timestamp, acceptedFrom);
        }
        if (nowEpoch > epoch + _latenessEpochs) revert EpochReportsTooLate(epoch, nowEpoch, epoch + _latenessEpochs);
        // One report per epoch, whatever the order: an older epoch may land after a newer one (late reports).
        if (_reports[epoch].submittedAt != 0) revert EpochReportsAlreadyReported(epoch);
        bytes32 seed = seedOf(epoch);
        if (header.seed != seed) revert EpochReportsSeedMismatch(seed, header.seed);
        if (header.totalRewards > _rewardBudget) revert EpochReportsOverBudget(_rewardBudget, header.totalRewards);

        (uint64 period, uint64 firstEpoch) = committeePeriodOf(epoch);
        address pointer = _sealed[period];
        if (pointer == address(0)) pointer = _seal(period, firstEpoch);
        _verifySealed(pointer, _reportSigningRoot(header), signerBitfield, aggregateSignature);

        _reports[epoch] = Report({
            resultsRoot: header.resultsRoot,
            rewardsRoot: header.rewardsRoot,
            // Bounded by the budget, which the constructor keeps within uint128.
            totalRewards: uint128(header.totalRewards),
            submittedAt: uint64(block.timestamp)
        });
        if (epoch > _lastReportedEpoch) _lastReportedEpoch = epoch;
        emit ReportSubmitted(
            epoch,
            header.resultsRoot,
            header.rewardsRoot,
            header.totalRewards,
            header.providerCount,
            header.attestationCount,
            signerBitfield
        );
    }

    /// @inheritdoc IEpochReports
    function sealCommittee(uint64 epoch) external returns (address keys) {
        (uint64 period, uint64 firstEpoch) = committeePeriodOf(epoch);
        uint64 nowEpoch = currentEpoch();
        // The seed of the first epoch is final only once that epoch has begun.
        if (nowEpoch < firstEpoch) revert EpochReportsCommitteeNotReady(period, firstEpoch, nowEpoch);
        if (_sealed[period] != address(0)) revert EpochReportsCommitteeAlreadySealed(period);
        return _seal(period, firstEpoch);
    }

    /// @inheritdoc IEpochReports
    function revealSeed(uint64 epoch, bytes calldata signature) external {
        uint64 nowEpoch = currentEpoch();
        // Revealed during the epoch before: after that epoch's own seed (hence its proposer) is final,
        // before anyone reads the revealed seed.
        if (epoch == 0 || nowEpoch + 1 != epoch) revert EpochReportsRevealWindow(epoch, nowEpoch);
        if (_seeds[epoch] != 0) revert EpochReportsSeedAlreadyRevealed(epoch);
        (address proposer, bytes memory key) = seedProposer(epoch - 1);
        if (key.length == 0 || !BLS12381.verify(key, seedRevealMessage(epoch), signature)) {
            revert EpochReportsInvalidReveal(epoch, proposer);
        }
        // BLS signatures are unique and the precompiles accept one encoding per point: the proposer's only
        // choice is to reveal this value or withhold it.
        bytes32 seed = keccak256(abi.encode(Tags.EPOCH_SEED, epoch, keccak256(signature)));
        _seeds[epoch] = seed;
        uint64 previous = _lastRevealedEpoch;
        if (previous + 1 != epoch) _gaps.push(uint48(previous + 1), previous);
        _lastRevealedEpoch = epoch;
        emit EpochSeeded(epoch, seed);
    }

    /// @inheritdoc IEpochReports
    function verifyCommitteeSignature(
        uint64 epoch,
        bytes32 tag,
        bytes32 seed,
        uint256 nonce,
        uint256 seats,
        bytes32 signingRoot,
        uint256 bitfield,
        bytes calldata aggregateSignature
    ) external view returns (uint256 signers) {
        if (seats == 0 || seats > _MAX_SEATS) revert EpochReportsInvalidParameter("seats");
        (bytes memory keys, uint256 emptySeats) = _registry.committeeKeysAt(epoch, tag, seed, nonce, seats);
        signers = _checkBitfield(bitfield, emptySeats, seats);
        uint256 base;
        assembly ("memory-safe") {
            base := add(keys, 0x20)
        }
        _verify(_sumSeats(base, seats, bitfield), signingRoot, aggregateSignature);
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
    function landedEpochOf(uint64 epoch) external view returns (uint64) {
        uint64 submittedAt = _reports[epoch].submittedAt;
        return submittedAt == 0 ? 0 : epochAt(submittedAt);
    }

    /// @inheritdoc IEpochReports
    function lastReportedEpoch() external view returns (uint64) {
        return _lastReportedEpoch;
    }

    /// @inheritdoc IEpochReports
    function seedOf(uint64 epoch) public view returns (bytes32) {
        bytes32 stored = _seeds[epoch];
        if (stored != 0 || epoch == 0) return stored;
        // The closest earlier reveal: the last one in the usual case (one read, however many epochs went
        // unrevealed); an unrevealed epoch behind it lies in a closed gap, found by a search of the gaps.
        uint64 anchor = epoch > _lastRevealedEpoch
            ? _lastRevealedEpoch
            : uint64(_gaps.upperLookupRecent(uint48(epoch)));
        return keccak256(abi.encode(Tags.EPOCH_SEED, _seeds[anchor], epoch));
    }

    /// @inheritdoc IEpochReports
    function isSeedRevealed(uint64 epoch) external view returns (bool) {
        return epoch != 0 && _seeds[epoch] != 0;
    }

    /// @inheritdoc IEpochReports
    function seedProposer(uint64 epoch) public view returns (address operator, bytes memory publicKey) {
        return _registry.seatAt(epoch, Tags.SEED_PROPOSER, seedOf(epoch), epoch, 0);
    }

    /// @inheritdoc IEpochReports
    function seedRevealMessage(uint64 epoch) public view returns (bytes32) {
        return keccak256(abi.encode(Tags.SEED_REVEAL, domainSeparator(), epoch, seedOf(epoch - 1)));
    }

    /// @inheritdoc IEpochReports
    function reportCommittee(uint64 epoch) external view returns (address[] memory operators) {
        (, uint64 firstEpoch) = committeePeriodOf(epoch);
        return _registry.committeeAt(firstEpoch, Tags.REPORT_COMMITTEE, seedOf(firstEpoch), firstEpoch, _committeeSize);
    }

    /// @inheritdoc IEpochReports
    function committeePeriodOf(uint64 epoch) public view returns (uint64 period, uint64 firstEpoch) {
        if (epoch == 0) return (0, 0);
        period = (epoch - 1) / _periodEpochs;
        firstEpoch = period * _periodEpochs + 1;
    }

    /// @inheritdoc IEpochReports
    function sealedCommitteeOf(uint64 period) external view returns (address) {
        return _sealed[period];
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
    function committeePeriodEpochs() external view returns (uint64) {
        return _periodEpochs;
    }

    /// @inheritdoc IEpochReports
    function reportDelaySeconds() external view returns (uint64) {
        return _reportDelaySeconds;
    }

    /// @inheritdoc IEpochReports
    function reportLatenessEpochs() external view returns (uint64) {
        return _latenessEpochs;
    }

    /// @inheritdoc IEpochReports
    function epochRewardBudget() external view returns (uint256) {
        return _rewardBudget;
    }

    /// @inheritdoc IEpochReports
    function domainSeparator() public view returns (bytes32) {
        return Tags.domainSeparator(block.chainid, address(this));
    }

    /// @dev Draws the period's committee from its first epoch's snapshot and seed and stores its keys as code.
    function _seal(uint64 period, uint64 firstEpoch) private returns (address pointer) {
        (bytes memory keys, uint256 emptySeats) = _registry.committeeKeysAt(
            firstEpoch,
            Tags.REPORT_COMMITTEE,
            seedOf(firstEpoch),
            firstEpoch,
            _committeeSize
        );
        uint256 base;
        assembly ("memory-safe") {
            base := add(keys, 0x20)
        }
        bytes memory total = _sumSeats(base, _committeeSize, ~emptySeats);
        pointer = PublicKeyStore.write(abi.encodePacked(emptySeats, total, keys));
        _sealed[period] = pointer;
        emit CommitteeSealed(period, firstEpoch, pointer, emptySeats);
    }

    /**
     * @dev Checks a report's signature against a sealed committee: the signers' key is the stored total
     * minus the non-signers' keys (or the signers' own sum when fewer seats signed than did not).
     */
    function _verifySealed(address pointer, bytes32 signingRoot, uint256 bitfield, bytes calldata signature)
        private
        view
    {
        uint256 seats = _committeeSize;
        bytes memory sealedKeys = PublicKeyStore.readAll(pointer, _SEALED_HEADER + seats * _G1);
        uint256 emptySeats;
        uint256 base;
        assembly ("memory-safe") {
            emptySeats := mload(add(sealedKeys, 0x20))
            base := add(sealedKeys, 0x20)
        }
        uint256 signers = _checkBitfield(bitfield, emptySeats, seats);
        uint256 nonSigners = ~(bitfield | emptySeats) & _seatMask(seats);
        bytes memory key;
        if (_popCount(nonSigners) < signers) {
            key = _sumSeats(base + _SEALED_HEADER, seats, nonSigners);
            _negate(key);
            key = BLS12381.g1Add(key, _slice128(base + 32));
        } else {
            key = _sumSeats(base + _SEALED_HEADER, seats, bitfield);
        }
        _verify(key, signingRoot, signature);
    }

    /// @dev The bitfield names only existing, non-empty seats, and a quorum of them. Returns the signers.
    function _checkBitfield(uint256 bitfield, uint256 emptySeats, uint256 seats)
        private
        view
        returns (uint256 signers)
    {
        if (bitfield & ~_seatMask(seats) != 0 || bitfield & emptySeats != 0) {
            revert EpochReportsInvalidBitfield(bitfield, seats);
        }
        signers = _popCount(bitfield);
        if (signers == 0) revert EpochReportsEmptyCommittee();
        uint256 required = quorumFor(seats);
        if (signers < required) revert EpochReportsQuorumNotReached(required, signers);
    }

    function _verify(bytes memory key, bytes32 signingRoot, bytes calldata signature) private view {
        if (signature.length != _G2) revert EpochReportsInvalidSignature();
        // Keys that cancel out would sum to infinity, which verify() refuses.
        if (!BLS12381.verify(key, signingRoot, signature)) revert EpochReportsInvalidSignature();
    }

    /// @dev The sum of the 128-byte keys at `base + j * 128` for every bit j of `mask` below `seats`.
    function _sumSeats(uint256 base, uint256 seats, uint256 mask) private view returns (bytes memory sum) {
        // buffer = accumulator (128 bytes) | next key (128 bytes): G1ADD reads both and overwrites the accumulator,
        // which starts at the point at infinity (all zeros).
        bytes memory buffer = new bytes(2 * _G1);
        bool ok = true;
        assembly ("memory-safe") {
            let acc := add(buffer, 0x20)
            for { let j := 0 } lt(j, seats) { j := add(j, 1) } {
                if and(shr(j, mask), 1) {
                    mcopy(add(acc, 128), add(base, mul(j, 128)), 128)
                    ok := and(ok, staticcall(gas(), 0x0b, acc, 256, acc, 128))
                }
            }
            mstore(buffer, 128)
        }
        // Registered keys passed the pairing check, so the addition cannot fail.
        if (!ok) revert BLS12381.BLS12381PrecompileFailed(address(0x0b));
        sum = buffer;
    }

    /// @dev -P for a G1 point in EIP-2537 form, in place: y -> p - y (infinity stays infinity).
    function _negate(bytes memory point) private pure {
        assembly ("memory-safe") {
            let yHi := mload(add(point, 0x60))
            let yLo := mload(add(point, 0x80))
            if or(yHi, yLo) {
                mstore(add(point, 0x80), sub(_P_LO, yLo))
                mstore(add(point, 0x60), sub(sub(_P_HI, yHi), lt(_P_LO, yLo)))
            }
        }
    }

    function _slice128(uint256 from) private pure returns (bytes memory out) {
        out = new bytes(_G1);
        assembly ("memory-safe") {
            mcopy(add(out, 0x20), from, 128)
        }
    }

    function _seatMask(uint256 seats) private pure returns (uint256) {
        return seats == 256 ? type(uint256).max : (1 << seats) - 1;
    }

    function _reportSigningRoot(ReportHeader calldata header) private view returns (bytes32) {
        return keccak256(abi.encode(Tags.REPORT, domainSeparator(), header));
    }

    /// @dev Number of set bits, in constant time (SWAR: pairs, nibbles, bytes, then one multiply sums the bytes).
    function _popCount(uint256 x) private pure returns (uint256 count) {
        if (x == type(uint256).max) return 256; // the byte sum below would wrap at 256
        unchecked {
            x -= (x >> 1) & 0x5555555555555555555555555555555555555555555555555555555555555555;
            x = (x & 0x3333333333333333333333333333333333333333333333333333333333333333) +
                ((x >> 2) & 0x3333333333333333333333333333333333333333333333333333333333333333);
            x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f;
            count = (x * 0x0101010101010101010101010101010101010101010101010101010101010101) >> 248;
        }
    }
}
