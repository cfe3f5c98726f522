// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @dev Per-epoch reports and epoch randomness.
 *
 * Reports: one header per epoch, co-signed by the report committee with one aggregate BLS signature
 * verified with the EIP-2537 precompiles. The committee is drawn once per committee period from the
 * snapshot and seed of the period's first epoch and sealed: its keys are written once as contract
 * code, so a report reads them all with one EXTCODECOPY. Gas depends neither on the number of
 * providers (results and rewards are Merkle roots) nor on the number of checkers.
 *
 * Seeds: the seed of epoch e + 1 is the hash of the unique BLS signature of epoch e's seed proposer
 * over (domain, e + 1, seedOf(e)), revealed during epoch e; without a reveal it is the fallback
 * keccak256(abi.encode(EPOCH_SEED_TAG, last revealed seed, e + 1)). No report, signer subset or header
 * field enters a seed, so a submitter cannot grind it; the only choice is the proposer's reveal or
 * withhold (one bit, docs/protocol/threat-model.md).
 */
interface IEpochReports {
    /// @dev The report header, equal to `ReportHeader` of packages/protocol/src/encoding/report.ts.
    struct ReportHeader {
        uint64 epoch;
        bytes32 seed;
        bytes32 resultsRoot;
        bytes32 rewardsRoot;
        uint256 totalRewards;
        uint32 providerCount;
        uint32 attestationCount;
    }

    /// @dev What is kept of an accepted report.
    struct Report {
        bytes32 resultsRoot;
        bytes32 rewardsRoot;
        uint128 totalRewards;
        /// Timestamp of the block the report landed in; windows that follow a report count from its epoch.
        uint64 submittedAt;
    }

    /// @notice The report of `epoch` was accepted, signed by the seats in `signerBitfield`.
    event ReportSubmitted(
        uint64 indexed epoch,
        bytes32 resultsRoot,
        bytes32 rewardsRoot,
        uint256 totalRewards,
        uint32 providerCount,
        uint32 attestationCount,
        uint256 signerBitfield
    );

    /// @notice The seed of `epoch` was revealed by its predecessor's seed proposer (or is the genesis seed).
    event EpochSeeded(uint64 indexed epoch, bytes32 seed);

    /// @notice The report committee of committee period `period` was sealed at `keys` (contract code).
    event CommitteeSealed(uint64 indexed period, uint64 firstEpoch, address keys, uint256 emptySeats);

    error EpochReportsAlreadyReported(uint64 epoch);
    /// @dev A report of `epoch` is accepted from `acceptedFrom` (the end of its checking phase), not at `timestamp`.
    error EpochReportsTooEarly(uint64 epoch, uint256 timestamp, uint256 acceptedFrom);
    /// @dev A report of `epoch` is accepted up to epoch `lastEpoch`; it is `currentEpoch`.
    error EpochReportsTooLate(uint64 epoch, uint64 currentEpoch, uint64 lastEpoch);
    error EpochReportsSeedMismatch(bytes32 expected, bytes32 actual);
    error EpochReportsOverBudget(uint256 budget, uint256 totalRewards);
    error EpochReportsEmptyCommittee();
    error EpochReportsInvalidBitfield(uint256 bitfield, uint256 seats);
    error EpochReportsQuorumNotReached(uint256 required, uint256 signers);
    error EpochReportsInvalidSignature();
    error EpochReportsInvalidParameter(string name);
    /// @dev The committee of a period can be sealed once its first epoch has begun; `epoch` is before it.
    error EpochReportsCommitteeNotReady(uint64 period, uint64 firstEpoch, uint64 currentEpoch);
    error EpochReportsCommitteeAlreadySealed(uint64 period);
    /// @dev A seed can be revealed only during the epoch before it (`epoch` - 1), and once.
    error EpochReportsRevealWindow(uint64 epoch, uint64 currentEpoch);
    error EpochReportsSeedAlreadyRevealed(uint64 epoch);
    /// @dev The reveal does not verify against the seed proposer's key (or the epoch has no proposer).
    error EpochReportsInvalidReveal(uint64 epoch, address proposer);

    /**
     * @notice Accepts the report of `header.epoch`: from the end of that epoch's checking phase until the
     * end of epoch `header.epoch + reportLatenessEpochs`, once per epoch and in any epoch order (an older
     * epoch's late report may land after a newer epoch's), signed by a quorum of the period's report
     * committee (sealed here first if nobody has sealed it yet).
     */
    function submitReport(ReportHeader calldata header, uint256 signerBitfield, bytes calldata aggregateSignature)
        external;

    /// @notice Seals the report committee of the committee period holding `epoch` (anyone; once per period).
    function sealCommittee(uint64 epoch) external returns (address keys);

    /**
     * @notice Reveals the seed of `epoch`: `signature` is the BLS signature (EIP-2537 G2) of the seed proposer
     * of `epoch - 1` over `seedRevealMessage(epoch)`. Anyone may send it, during epoch `epoch - 1` only.
     */
    function revealSeed(uint64 epoch, bytes calldata signature) external;

    /**
     * @notice Verifies that a quorum of the committee of `seats` seats drawn from `epoch`'s snapshot with `tag`,
     * `seed` and `nonce` signed `signingRoot` (used for re-check committees). Returns the signing seats.
     */
    function verifyCommitteeSignature(
        uint64 epoch,
        bytes32 tag,
        bytes32 seed,
        uint256 nonce,
        uint256 seats,
        bytes32 signingRoot,
        uint256 bitfield,
        bytes calldata aggregateSignature
    ) external view returns (uint256 signers);

    function reportOf(uint64 epoch) external view returns (Report memory);
    function resultsRootOf(uint64 epoch) external view returns (bytes32);
    function rewardsOf(uint64 epoch) external view returns (bytes32 root, uint256 totalRewards);
    /// @notice The epoch in which the report of `epoch` landed; 0 if it has not.
    function landedEpochOf(uint64 epoch) external view returns (uint64);
    /**
     * @notice The highest epoch with a report. Reports may land out of order, so epochs below it may still be
     * unreported (and still accepted while within their lateness window): read `reportOf` for one epoch.
     */
    function lastReportedEpoch() external view returns (uint64);

    /// @notice The seed of `epoch` (final once `epoch` has begun); O(1) for epochs after the last reveal.
    function seedOf(uint64 epoch) external view returns (bytes32);
    /// @notice Whether the seed of `epoch` was revealed (false: genesis or fallback).
    function isSeedRevealed(uint64 epoch) external view returns (bool);
    /// @notice The operator who may reveal the seed of `epoch + 1`, and its key (zero / empty if none).
    function seedProposer(uint64 epoch) external view returns (address operator, bytes memory publicKey);
    /// @notice keccak256(abi.encode(SEED_REVEAL_TAG, domainSeparator(), epoch, seedOf(epoch - 1))).
    function seedRevealMessage(uint64 epoch) external view returns (bytes32);

    /// @notice The operator of each seat of the report committee that signs `epoch`'s report (zero: empty seat).
    function reportCommittee(uint64 epoch) external view returns (address[] memory operators);
    /// @notice The committee period of `epoch` and its first epoch.
    function committeePeriodOf(uint64 epoch) external view returns (uint64 period, uint64 firstEpoch);
    /// @notice Where the sealed committee of `period` is stored; zero while unsealed.
    function sealedCommitteeOf(uint64 period) external view returns (address keys);
    function reportSigningRoot(ReportHeader calldata header) external view returns (bytes32);
    function quorumFor(uint256 seats) external view returns (uint256);
    function reportCommitteeSize() external view returns (uint256);
    function reportQuorumBps() external view returns (uint256);
    function committeePeriodEpochs() external view returns (uint64);
    function reportDelaySeconds() external view returns (uint64);
    function reportLatenessEpochs() external view returns (uint64);
    function epochRewardBudget() external view returns (uint256);
    /// @notice The network domain separator, computed from the chain id at call time.
    function domainSeparator() external view returns (bytes32);
}
