// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.30;

import {Leaves} from "../libraries/Leaves.sol";

/**
 * @dev Slashing with contests. A FAIL result leaf of epoch e, proven against
 * e's results root, opens a pending slash. Until epoch e + contestWindowEpochs
 * the provider may contest it with a bond (also before anyone opened it: the
 * contest then proves the leaf itself), which requests a re-check by a larger
 * committee two epochs later; the re-check report (its own header type and
 * signing tag, co-signed by the re-check committee) resolves the contest.
 * Uncontested slashes are executed after the window; contests left unresolved
 * past their deadline are overturned without penalty.
 *
 *   openSlash --> Pending --executeSlash (after e + window)--> Executed
 *                    |
 *                 contest (bond, until e + window)
 *                    v
 *                Contested --submitRecheck FAIL--> Executed (bond burned)
 *                    |------submitRecheck PASS--> Cancelled (bond refunded, accusers jailed)
 *                    |------submitRecheck INCONCLUSIVE, or expireContest after the deadline
 *                    |                          --> Cancelled (bond refunded, nobody penalized)
 */
interface ISlashing {
    /// @dev Life cycle of a slash.
    enum SlashStatus {
        None,
        Pending,
        Contested,
        Executed,
        Cancelled
    }

    /// @dev One slash.
    struct SlashRecord {
        address provider;
        /// The epoch whose report gave the FAIL verdict.
        uint64 epoch;
        /// Epoch in which the slash was recorded (by `openSlash` or a first `contest`).
        uint64 openedEpoch;
        /// Last epoch in which the provider may contest: epoch + contestWindowEpochs.
        uint64 contestDeadline;
        /// Epoch in which the re-check committee re-runs the challenges: the contest epoch + 2.
        uint64 recheckEpoch;
        /// Last epoch in which a re-check report is accepted: the contest epoch + recheckDeadlineEpochs.
        uint64 resolveDeadline;
        SlashStatus status;
        /// Proposed amount (the leaf's slashAmount); what is burned is capped by the provider's tokens.
        uint256 amount;
        uint256 bond;
        bytes32 leafHash;
    }

    /**
     * @dev The header a re-check committee signs: its verdict on `provider`
     * for the contested slash. `evidenceRoot` commits to the re-check
     * attestations kept off-chain. Signing root:
     * keccak256(abi.encode(RECHECK_TAG, domainSeparator, header)).
     */
    struct RecheckHeader {
        uint256 slashId;
        address provider;
        uint64 accusedEpoch;
        uint64 recheckEpoch;
        uint8 verdict;
        uint16 attestations;
        uint16 failures;
        bytes32 evidenceRoot;
    }

    /**
     * @dev What one checker signs about one provider in one epoch (packages/protocol `Attestation`), field for
     * field. Signing root: keccak256(abi.encode(ATTESTATION_TAG, domainSeparator, attestation)), with the
     * domain of EpochReports (the network's verifying contract) and the current chain id.
     */
    struct Attestation {
        uint64 epoch;
        address provider;
        address checker;
        uint8 kind;
        uint8 result;
        uint32 latencyP50Us;
        uint32 latencyP95Us;
        uint64 throughput;
        bytes32 transcriptHash;
    }

    /**
     * @notice `checker` signed two different attestations (signing roots `rootA`, `rootB`) for (`epoch`,
     * `provider`): it forfeits its licenses' rewards of `epoch` and is jailed; `reporter` brought the evidence.
     */
    event EquivocationSlashed(
        address indexed checker,
        uint64 indexed epoch,
        address indexed provider,
        bytes32 rootA,
        bytes32 rootB,
        address reporter
    );

    /// @notice A slash of `amount` was opened against `provider` for `epoch`; it can be contested until `contestDeadline`.
    event SlashOpened(
        uint256 indexed slashId,
        address indexed provider,
        uint64 epoch,
        uint256 amount,
        uint64 contestDeadline
    );

    /// @notice `provider` contested `slashId` with `bond`.
    event SlashContested(uint256 indexed slashId, address indexed provider, uint256 bond);

    /**
     * @notice A re-check of `provider` by a committee of `committeeSize` seats
     * must run in `recheckEpoch` and its report land by `resolveDeadline`.
     */
    event RecheckRequested(
        uint256 indexed slashId,
        address indexed provider,
        uint64 accusedEpoch,
        uint64 recheckEpoch,
        uint64 resolveDeadline,
        uint256 committeeSize
    );

    /// @notice `amount` of `provider`'s tokens was burned for `slashId`.
    event SlashExecuted(uint256 indexed slashId, address indexed provider, uint256 amount);

    /// @notice The re-check confirmed the failure; the bond `bondBurned` was burned.
    event SlashUpheld(uint256 indexed slashId, uint256 bondBurned);

    /// @notice The re-check found the provider honest: slash cancelled, bond refunded, accusers penalized.
    event SlashOverturned(uint256 indexed slashId, uint256 bondRefunded);

    /// @notice No conclusive re-check arrived (INCONCLUSIVE verdict or deadline passed): slash cancelled (the bond is forfeited, see BondForfeited).
    event ContestExpired(uint256 indexed slashId, uint256 bondRefunded);

    /// @notice A contest ended without PASS (INCONCLUSIVE, or no re-check in time): the bond was burned.
    event BondForfeited(uint256 indexed slashId, uint256 bond);

    /**
     * @notice Slash `slashId` was closed without slashing: a fraud proof already slashed `provider` for the same
     * epoch (one punishment per provider and epoch). A contest bond is refunded and no accuser is penalized.
     */
    event SlashSuperseded(uint256 indexed slashId, address indexed provider, uint64 epoch, uint256 bondRefunded);

    /**
     * @notice The checkers that signed the overturned failure forfeit their licenses' rewards of the accused epoch
     * and are jailed (no seats, no delegations) for epochs `fromEpoch`..`untilEpoch`.
     */
    event AccusersPenalized(uint256 indexed slashId, address[] accusers, uint64 fromEpoch, uint64 untilEpoch);

    /// @dev `epoch` has no accepted report.
    error SlashingUnknownEpoch(uint64 epoch);

    /// @dev The result leaf is not in `epoch`'s results tree.
    error SlashingInvalidProof(uint64 epoch);

    /// @dev The leaf's verdict is not FAIL, or its slash amount is zero.
    error SlashingNotSlashable(uint8 verdict, uint256 slashAmount);

    /// @dev A slash for (`epoch`, `provider`) exists already.
    error SlashingAlreadyOpened(uint64 epoch, address provider, uint256 slashId);

    /// @dev `provider` was already punished for `epoch` by a fraud proof (FraudProofs): no committee slash of it.
    error SlashingAlreadyPunished(uint64 epoch, address provider);

    /// @dev Slash `slashId`'s provider was not fraud-slashed for its epoch, so it cannot be superseded.
    error SlashingNotSuperseded(uint256 slashId);

    /// @dev Failures of `epoch` could be opened until `lastEpoch`.
    error SlashingOpenWindowClosed(uint64 epoch, uint64 currentEpoch, uint64 lastEpoch);

    /// @dev No slash has id `slashId`.
    error SlashingUnknownSlash(uint256 slashId);

    /// @dev `slashId` is in `status`, which does not allow this action.
    error SlashingInvalidStatus(uint256 slashId, SlashStatus status);

    /// @dev `account` is not the slashed `provider`.
    error SlashingUnauthorizedContester(address account, address provider);

    /// @dev Failures of `epoch` could be contested until `deadline`.
    error SlashingContestWindowClosed(uint64 epoch, uint64 currentEpoch, uint64 deadline);

    /// @dev The contest window of `slashId` is open until `deadline`.
    error SlashingContestWindowOpen(uint256 slashId, uint64 currentEpoch, uint64 deadline);

    /// @dev The leaf given is not the leaf the slash was opened with.
    error SlashingLeafMismatch(uint256 slashId);

    /// @dev The leaf lists `count` accusers; at most `max` are accepted.
    /// @dev The slash was not overturned, so its accusers are not penalized.
    error SlashingNotOverturned(uint256 slashId);

    /// @dev The re-check header does not match the contested slash.
    error SlashingRecheckMismatch(uint256 slashId);

    /// @dev The re-check of `slashId` runs in `recheckEpoch`, which has not started.
    error SlashingRecheckNotStarted(uint256 slashId, uint64 currentEpoch, uint64 recheckEpoch);

    /// @dev The re-check report deadline of `slashId` was `deadline`.
    error SlashingRecheckDeadlinePassed(uint256 slashId, uint64 currentEpoch, uint64 deadline);

    /// @dev The re-check report deadline of `slashId` is `deadline`; the contest cannot expire yet.
    error SlashingRecheckDeadlineNotPassed(uint256 slashId, uint64 currentEpoch, uint64 deadline);

    /// @dev A verdict outside PASS, FAIL, INCONCLUSIVE.
    error SlashingInvalidVerdict(uint8 verdict);

    /// @dev The two attestations differ in epoch, provider or checker: they are no equivocation.
    error SlashingEquivocationNotSameSlot();
    /// @dev Both attestations have signing root `root`: one message twice is no equivocation.
    error SlashingEquivocationSameRoot(bytes32 root);
    /// @dev Evidence of `epoch` is accepted from that epoch through `lastEpoch` (`equivocationWindowEpochs`).
    error SlashingEquivocationOutsideWindow(uint64 epoch, uint64 currentEpoch, uint64 lastEpoch);
    /// @dev `checker` has no BLS key in the CheckerRegistry (never registered, or exited).
    error SlashingEquivocationUnknownChecker(address checker);
    /// @dev `checker` was already slashed for equivocating in `epoch`.
    error SlashingEquivocationAlreadySlashed(address checker, uint64 epoch);
    /// @dev The signature of attestation `index` (0: the first argument, 1: the second) does not verify.
    error SlashingEquivocationInvalidSignature(uint256 index, bytes32 root);
    /// @dev A constructor parameter is out of range.
    error SlashingInvalidParameter(string name);

    /**
     * @notice Opens a pending slash from a FAIL result leaf of `epoch`, proven
     * by `proof` against the epoch's results root. Anyone may call it, until
     * epoch `epoch + contestWindowEpochs`. The provider's withdrawals are
     * blocked until the slash is executed or cancelled.
     */
    function openSlash(uint64 epoch, Leaves.ResultLeaf calldata leaf, bytes32[] calldata proof)
        external
        returns (uint256 slashId);

    /**
     * @notice The provider of a FAIL leaf of `epoch` contests it by posting
     * `contestBond` (approved beforehand) with the leaf and its proof, until
     * epoch `epoch + contestWindowEpochs`. If nobody opened the slash yet, this
     * opens it. The leaf's accusers are recorded, and a re-check is requested
     * for epoch current + 2 (whose seed nobody knows yet), to land by the
     * current epoch + `recheckDeadlineEpochs`.
     */
    function contest(uint64 epoch, Leaves.ResultLeaf calldata leaf, bytes32[] calldata proof)
        external
        returns (uint256 slashId);

    /**
     * @notice Resolves a contested slash with a re-check report co-signed by the
     * slash's re-check committee ({recheckCommittee}, quorum as for reports).
     * FAIL upholds the slash (tokens and bond burned); PASS overturns it (bond
     * refunded, accusers jailed for `accuserJailEpochs`); INCONCLUSIVE cancels
     * it without penalty. Accepted from `recheckEpoch` through `resolveDeadline`.
     */
    function submitRecheck(RecheckHeader calldata header, uint256 signerBitfield, bytes calldata aggregateSignature)
        external;

    /**
     * @notice Executes an uncontested slash once its contest window has passed. Anyone may call it. When a fraud
     * proof has slashed the provider for the same epoch meanwhile, the slash is superseded instead (returns 0).
     */
    function executeSlash(uint256 slashId) external returns (uint256 slashed);

    /**
     * @notice Closes a pending or contested slash whose provider a fraud proof has slashed for the same epoch
     * (FraudProofs.isFraudSlashed): no tokens are taken, a contest bond is refunded, no accuser is penalized.
     * Anyone may call it, at any time; executeSlash, submitRecheck and expireContest do the same on their own.
     */
    function supersede(uint256 slashId) external;

    /// @notice The slash of (`epoch`, `provider`) when it was executed (tokens taken), 0 otherwise.
    function executedSlashIdOf(uint64 epoch, address provider) external view returns (uint256);

    /**
     * @notice Penalizes accusers `from` .. `to - 1` of an overturned slash whose accuser list was too long to be
     * penalized with the re-check; `accusers` is the contested leaf's whole list. Anyone; idempotent.
     */
    function penalizeAccusers(uint256 slashId, address[] calldata accusers, uint256 from, uint256 to) external;

    /**
     * @notice Slashes a checker that signed two different attestations for one (epoch, provider). Anyone may
     * call it with both attestations and their BLS signatures (G2, 256-byte EIP-2537 encoding), from the
     * attestations' epoch through epoch + `equivocationWindowEpochs`. Both signing roots are recomputed for this
     * network's domain and both signatures are verified against the checker's registered key; then the checker
     * forfeits its licenses' rewards of that epoch ({isPenalized}) and is jailed for `equivocationJailEpochs`.
     * Once per (checker, epoch).
     */
    function slashEquivocation(
        Attestation calldata first,
        bytes calldata firstSignature,
        Attestation calldata second,
        bytes calldata secondSignature
    ) external;

    /// @notice Whether `checker` was slashed for equivocating in `epoch`.
    function isEquivocationSlashed(address checker, uint64 epoch) external view returns (bool);

    /// @notice keccak256(abi.encode(ATTESTATION_TAG, domainSeparator, attestation)): what the checker signs.
    function attestationSigningRoot(Attestation calldata attestation) external view returns (bytes32);

    /// @notice Epochs after its own during which an equivocation can be slashed.
    function equivocationWindowEpochs() external view returns (uint64);

    /// @notice Epochs an equivocating checker is jailed.
    function equivocationJailEpochs() external view returns (uint64);

    /// @notice Whether `operator` forfeits its licenses' rewards of `epoch` (an overturned failure it signed, or an equivocation).
    function isPenalized(address operator, uint64 epoch) external view returns (bool);

    /// @notice keccak256(abi.encode(accusers)) of the contested leaf.
    function accusersHashOf(uint256 slashId) external view returns (bytes32);

    /// @notice Whether a re-check overturned the slash.
    function isOverturned(uint256 slashId) external view returns (bool);

    /// @notice The last epoch in which a penalty for a failure reported in `epoch` can still be decided.
    function penaltiesFinalEpoch(uint64 epoch) external view returns (uint64);

    /// @notice Applies the default rule to a contest with no re-check by its deadline: overturned without penalty.
    function expireContest(uint256 slashId) external;

    /// @notice The slash `slashId`.
    function slashOf(uint256 slashId) external view returns (SlashRecord memory);

    /// @notice The accusers recorded when `slashId` was contested.
    function accusersOf(uint256 slashId) external view returns (address[] memory);

    /// @notice The slash opened for (`epoch`, `provider`), 0 if none.
    function slashIdOf(uint64 epoch, address provider) external view returns (uint256);

    /// @notice Slashes of `provider` that are pending or contested.
    function pendingSlashCount(address provider) external view returns (uint256);

    /// @notice Number of slashes opened; ids run from 1 to this.
    function slashCount() external view returns (uint256);

    /// @notice The operators holding the seats of `slashId`'s re-check committee (empty before the contest).
    function recheckCommittee(uint256 slashId) external view returns (address[] memory operators);

    /// @notice keccak256(abi.encode(RECHECK_TAG, domainSeparator, header)).
    function recheckSigningRoot(RecheckHeader calldata header) external view returns (bytes32);

    /// @notice Epochs after a report during which its failures can be opened and contested.
    function contestWindowEpochs() external view returns (uint64);

    /// @notice Bond posted by a contesting provider.
    function contestBond() external view returns (uint256);

    /// @notice Epochs after a contest within which its re-check report must land (at least 2).
    function recheckDeadlineEpochs() external view returns (uint64);

    /// @notice Seats of a re-check committee.
    function recheckCommitteeSize() external view returns (uint256);

    /// @notice Epochs an accuser stays jailed after the resolution epoch.
    function accuserJailEpochs() external view returns (uint64);

    /**
     * @notice Epochs from `recheckEpoch` over which the re-check committee tests the provider, each member in an
     * epoch of its own choosing by its unique BLS signature; `submitRecheck` is accepted from the last of them.
     */
    function recheckWindowEpochs() external view returns (uint64);
}
