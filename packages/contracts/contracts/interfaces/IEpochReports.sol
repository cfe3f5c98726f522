// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

/**
 * @dev Per-epoch reports: one header per epoch, co-signed by the epoch's report
 * committee with one aggregate BLS signature and verified with the EIP-2537
 * precompiles. Gas does not depend on the number of providers (the header is
 * fixed-size; results and rewards are Merkle roots) nor on the number of
 * checkers (the committee has a fixed number of seats).
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

    /// @notice The randomness of `epoch` is now `seed` (set by a report landing in epoch `epoch - 1`, or frozen at first use).
    event EpochSeeded(uint64 indexed epoch, bytes32 seed);

    /// @dev `epoch` already has a report.
    error EpochReportsAlreadyReported(uint64 epoch);

    /// @dev `epoch` is not after the last reported epoch.
    error EpochReportsEpochOutOfOrder(uint64 epoch, uint64 lastReportedEpoch);

    /// @dev `epoch` is 0 or has not started yet.
    error EpochReportsEpochNotStarted(uint64 epoch, uint64 currentEpoch);

    /// @dev The header's seed is not the epoch's seed.
    error EpochReportsSeedMismatch(bytes32 expected, bytes32 actual);

    /// @dev The header pays out more than the per-epoch budget.
    error EpochReportsOverBudget(uint256 budget, uint256 totalRewards);

    /// @dev No license is active, so there is no committee.
    error EpochReportsEmptyCommittee();

    /// @dev The bitfield has a bit set at or above `seats`.
    error EpochReportsInvalidBitfield(uint256 bitfield, uint256 seats);

    /// @dev Only `signers` seats signed; `required` are needed.
    error EpochReportsQuorumNotReached(uint256 required, uint256 signers);

    /// @dev The aggregate signature does not verify for the signing seats' keys.
    error EpochReportsInvalidSignature();

    /// @dev A constructor parameter is out of range.
    error EpochReportsInvalidParameter(string name);

    /**
     * @notice Accepts the report of `header.epoch`. Requires: the epoch has
     * started, is after the last reported epoch and has no report; `header.seed`
     * is {seedOf}(epoch); `totalRewards` is within the per-epoch budget; the seats
     * set in `signerBitfield` reach the quorum of the epoch's report committee;
     * and `aggregateSignature` (256-byte EIP-2537 G2) is the sum of their BLS
     * signatures over {reportSigningRoot}(header). Then stores the roots and
     * seeds the next epoch.
     */
    function submitReport(ReportHeader calldata header, uint256 signerBitfield, bytes calldata aggregateSignature)
        external;

    /**
     * @notice Reverts unless the seats set in `bitfield` of the committee (`tag`,
     * `seed`, `nonce`, `seats`) reach quorum and `aggregateSignature` is their
     * aggregate signature over `signingRoot`; returns the number of signing seats.
     * Used by the slashing contract for re-check reports.
     */
    function verifyCommitteeSignature(
        bytes32 tag,
        bytes32 seed,
        uint256 nonce,
        uint256 seats,
        bytes32 signingRoot,
        uint256 bitfield,
        bytes calldata aggregateSignature
    ) external view returns (uint256 signers);

    /// @notice The accepted report of `epoch` (all zero if none).
    function reportOf(uint64 epoch) external view returns (Report memory);

    /// @notice The results root of `epoch` (zero if none).
    function resultsRootOf(uint64 epoch) external view returns (bytes32);

    /// @notice The rewards root and total of `epoch` (zero if none).
    function rewardsOf(uint64 epoch) external view returns (bytes32 root, uint256 totalRewards);

    /// @notice The last epoch with an accepted report (0 before the first).
    function lastReportedEpoch() external view returns (uint64);

    /**
     * @notice The randomness of `epoch`. Stored seeds are returned as stored; an
     * epoch without a stored seed gets keccak256(abi.encode(EPOCH_SEED_TAG,
     * s, epoch)) where s is the seed stored for the closest earlier epoch. The
     * seed of an epoch never changes once the epoch has started.
     */
    function seedOf(uint64 epoch) external view returns (bytes32);

    /// @notice The operators holding the seats of `epoch`'s report committee (an operator may hold several).
    function reportCommittee(uint64 epoch) external view returns (address[] memory operators);

    /// @notice keccak256(abi.encode(REPORT_TAG, domainSeparator, header)): the message the committee signs.
    function reportSigningRoot(ReportHeader calldata header) external view returns (bytes32);

    /// @notice Seats needed out of `seats` for `reportQuorumBps`: ceil(seats * bps / 10000).
    function quorumFor(uint256 seats) external view returns (uint256);

    /// @notice Seats of each report committee.
    function reportCommitteeSize() external view returns (uint256);

    /// @notice Fraction of seats (basis points) that must co-sign.
    function reportQuorumBps() external view returns (uint256);

    /// @notice The most a report may pay out per epoch.
    function epochRewardBudget() external view returns (uint256);

    /// @notice keccak256(abi.encode(NETWORK_TAG, chainId, address(this))).
    function domainSeparator() external view returns (bytes32);
}
