// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IEpochReports} from "../interfaces/IEpochReports.sol";
import {Tags} from "../libraries/Tags.sol";

/**
 * @dev The n-ECDSA baseline of the gas benchmark (bench/gas.ts), not part of the protocol: the report of
 * EpochReports (same header, same signing root, kept in the same 3-slot `Report`, same event) accepted when
 * every signing seat of a committee of the same seat count sends its own ECDSA signature over the signing
 * root. Seat j's operator address is one storage slot read per signing seat (cold, as a committee of distinct
 * operators is), and each signature is recovered with OpenZeppelin's ECDSA (65-byte signatures, low s).
 *
 * It checks what the signatures need (bitfield within the seats, quorum, each signer is its seat's operator)
 * plus replay (one report per epoch, in any order, as EpochReports takes late reports) and a bound on
 * `totalRewards`, but not the clock, lateness window and seed checks of EpochReports
 * (a few cold reads), so it is, if anything, slightly cheaper than a complete n-ECDSA design. `setCommittee` is open to anyone: benchmark only.
 */
contract EcdsaReports {
    uint256 private constant _BPS = 10_000;
    uint256 private constant _SIGNATURE_LENGTH = 65;

    bytes32 private immutable _domainSeparator;
    uint256 private immutable _seats;
    uint256 private immutable _quorumBps;
    uint64 private immutable _periodEpochs;

    mapping(uint64 period => mapping(uint256 seat => address operator)) private _committees;
    mapping(uint64 epoch => IEpochReports.Report) private _reports;

    /// @notice Same event as {IEpochReports-ReportSubmitted}.
    event ReportSubmitted(
        uint64 indexed epoch,
        bytes32 resultsRoot,
        bytes32 rewardsRoot,
        uint256 totalRewards,
        uint32 providerCount,
        uint32 attestationCount,
        uint256 signerBitfield
    );

    error EcdsaReportsInvalidParameter(string name);
    error EcdsaReportsAlreadyReported(uint64 epoch);
    error EcdsaReportsOverBudget(uint256 totalRewards);
    error EcdsaReportsInvalidBitfield(uint256 bitfield, uint256 seats);
    error EcdsaReportsQuorumNotReached(uint256 required, uint256 signers);
    error EcdsaReportsSignatureCount(uint256 expected, uint256 length);
    error EcdsaReportsWrongSigner(uint256 seat, address signer);

    /**
     * @param verifyingContract the EpochReports of the network: signatures are over its signing root.
     * @param seats seats of every committee (1..255).
     * @param quorumBps fraction of seats that must sign (quorum = ceil(seats * bps / 10000)).
     * @param periodEpochs epochs per committee period (epochs 1..periodEpochs are period 0).
     */
    constructor(address verifyingContract, uint256 seats, uint256 quorumBps, uint64 periodEpochs) {
        if (seats == 0 || seats > 255) revert EcdsaReportsInvalidParameter("seats");
        if (quorumBps == 0 || quorumBps > _BPS) revert EcdsaReportsInvalidParameter("quorumBps");
        if (periodEpochs == 0) revert EcdsaReportsInvalidParameter("periodEpochs");
        _domainSeparator = Tags.domainSeparator(block.chainid, verifyingContract);
        _seats = seats;
        _quorumBps = quorumBps;
        _periodEpochs = periodEpochs;
    }

    /// @notice Stores the operator of each seat of `period`'s committee (benchmark setup: anyone may call it).
    function setCommittee(uint64 period, address[] calldata operators) external {
        if (operators.length != _seats) revert EcdsaReportsInvalidParameter("operators");
        mapping(uint256 => address) storage committee = _committees[period];
        for (uint256 j = 0; j < operators.length; ++j) {
            committee[j] = operators[j];
        }
    }

    /**
     * @notice Accepts the report of `header.epoch` signed by the seats in `signerBitfield`: `signatures` is
     * one 65-byte ECDSA signature (r, s, v) over `reportSigningRoot(header)` per set bit, in seat order.
     */
    function submitReport(
        IEpochReports.ReportHeader calldata header,
        uint256 signerBitfield,
        bytes calldata signatures
    ) external {
        uint64 epoch = header.epoch;
        if (epoch == 0 || _reports[epoch].submittedAt != 0) revert EcdsaReportsAlreadyReported(epoch);
        if (header.totalRewards > type(uint128).max) revert EcdsaReportsOverBudget(header.totalRewards);

        uint256 seats = _seats;
        if (signerBitfield >> seats != 0) revert EcdsaReportsInvalidBitfield(signerBitfield, seats);
        uint256 signers = _popCount(signerBitfield);
        uint256 required = (seats * _quorumBps + _BPS - 1) / _BPS;
        if (signers < required) revert EcdsaReportsQuorumNotReached(required, signers);
        if (signatures.length != signers * _SIGNATURE_LENGTH) {
            revert EcdsaReportsSignatureCount(signers * _SIGNATURE_LENGTH, signatures.length);
        }

        bytes32 root = reportSigningRoot(header);
        mapping(uint256 => address) storage committee = _committees[(epoch - 1) / _periodEpochs];
        uint256 offset = 0;
        for (uint256 j = 0; j < seats; ++j) {
            if ((signerBitfield >> j) & 1 == 0) continue;
            address signer = ECDSA.recoverCalldata(root, signatures[offset:offset + _SIGNATURE_LENGTH]);
            // recover never returns the zero address, so an empty seat (zero operator) cannot sign.
            if (signer != committee[j]) revert EcdsaReportsWrongSigner(j, signer);
            offset += _SIGNATURE_LENGTH;
        }

        _reports[epoch] = IEpochReports.Report({
            resultsRoot: header.resultsRoot,
            rewardsRoot: header.rewardsRoot,
            totalRewards: uint128(header.totalRewards),
            submittedAt: uint64(block.timestamp)
        });
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

    /// @notice keccak256(abi.encode(REPORT_TAG, domainSeparator, header)): EpochReports' signing root.
    function reportSigningRoot(IEpochReports.ReportHeader calldata header) public view returns (bytes32) {
        return keccak256(abi.encode(Tags.REPORT, _domainSeparator, header));
    }

    function reportOf(uint64 epoch) external view returns (IEpochReports.Report memory) {
        return _reports[epoch];
    }

    function committeeOf(uint64 period, uint256 seat) external view returns (address) {
        return _committees[period][seat];
    }

    function _popCount(uint256 x) private pure returns (uint256 count) {
        unchecked {
            while (x != 0) {
                x &= x - 1;
                ++count;
            }
        }
    }
}
