import type { ChainActionErrorCode } from "./errors.ts";

/**
 * One line for the user per custom error of the license, registry, reports,
 * slashing and rewards contracts (packages/contracts/contracts/interfaces/*.sol),
 * with the ChainActionError code it maps to. A REVERTED entry keeps the
 * action and the error's name in front of its line (errors.ts); anything not
 * listed stays REVERTED with the error's name.
 */
const MESSAGES: Record<
  string,
  { code: ChainActionErrorCode; message: (args: readonly unknown[]) => string }
> = {
  ERC721NonexistentToken: {
    code: "CHAIN_ACTION_ERROR_UNKNOWN_LICENSE",
    message: ([id]) => `license ${String(id)} does not exist`,
  },
  CheckerLicenseUnauthorized: {
    code: "CHAIN_ACTION_ERROR_NOT_OWNER",
    message: ([account, id]) =>
      `${String(account)} is not the owner of license ${String(id)} (nor approved for it)`,
  },
  CheckerLicenseAlreadyDelegated: {
    code: "CHAIN_ACTION_ERROR_ALREADY_DELEGATED",
    message: ([id, operator]) =>
      `license ${String(id)} is already delegated to ${String(operator)}; undelegate it first`,
  },
  CheckerLicenseNotDelegated: {
    code: "CHAIN_ACTION_ERROR_NOT_DELEGATED",
    message: ([id]) => `license ${String(id)} is not delegated`,
  },
  CheckerLicenseCoolingDown: {
    code: "CHAIN_ACTION_ERROR_COOLING_DOWN",
    message: ([id, current, redelegable]) =>
      `license ${String(id)} is cooling down: it can be delegated again from epoch ${String(redelegable)} (now ${String(current)})`,
  },
  CheckerLicenseZeroOperator: {
    code: "CHAIN_ACTION_ERROR_OPERATOR_UNAVAILABLE",
    message: () => "cannot delegate to the zero address",
  },
  CheckerRegistryAlreadyRegistered: {
    code: "CHAIN_ACTION_ERROR_ALREADY_REGISTERED",
    message: ([operator]) =>
      `${String(operator)} is already a registered operator (\`checker keys\` shows this node's key)`,
  },
  CheckerRegistryPublicKeyTaken: {
    code: "CHAIN_ACTION_ERROR_ALREADY_REGISTERED",
    message: ([owner]) => `this BLS key is already registered by ${String(owner)}`,
  },
  CheckerRegistryInvalidProofOfPossession: {
    code: "CHAIN_ACTION_ERROR_INVALID_PROOF",
    message: () =>
      "the contract refused the proof of possession: the key was proven for another account, chain or deployment",
  },
  CheckerRegistryInvalidPublicKey: {
    code: "CHAIN_ACTION_ERROR_INVALID_PROOF",
    message: () => "the contract refused the BLS public key (not a valid G1 point)",
  },
  CheckerRegistryInvalidPeerId: {
    code: "CHAIN_ACTION_ERROR_INVALID_PROOF",
    message: ([length]) => `the contract refused the peer id (${String(length)} bytes)`,
  },
  CheckerRegistryNotRegistered: {
    code: "CHAIN_ACTION_ERROR_OPERATOR_UNAVAILABLE",
    message: ([operator]) => `${String(operator)} is not a registered checker operator`,
  },
  CheckerRegistryOperatorUnavailable: {
    code: "CHAIN_ACTION_ERROR_OPERATOR_UNAVAILABLE",
    message: ([operator]) =>
      `${String(operator)} cannot take delegations: not a registered checker operator, exiting, or jailed`,
  },
  CheckerRegistryExitRequested: {
    code: "CHAIN_ACTION_ERROR_OPERATOR_UNAVAILABLE",
    message: ([operator, exitEpoch]) =>
      `operator ${String(operator)} is exiting (epoch ${String(exitEpoch)})`,
  },
  RewardsAlreadyClaimed: {
    code: "CHAIN_ACTION_ERROR_ALREADY_CLAIMED",
    message: ([epoch, , id]) => `the reward of ${String(id)} for epoch ${String(epoch)} was already claimed`,
  },
  RewardsForfeited: {
    code: "CHAIN_ACTION_ERROR_FORFEITED",
    message: ([epoch, id, operator]) =>
      `license ${String(id)}'s reward for epoch ${String(epoch)} is forfeited: its operator ${String(operator)} signed a failure of that epoch that a re-check overturned`,
  },
  RewardsLocked: {
    code: "CHAIN_ACTION_ERROR_LOCKED",
    message: ([epoch, id, unlockEpoch]) =>
      `license ${String(id)}'s reward for epoch ${String(epoch)} is locked until epoch ${String(unlockEpoch)}, when no contest of that epoch's failures can still penalize its operator`,
  },
  RewardsInvalidProof: {
    code: "CHAIN_ACTION_ERROR_INVALID_PROOF",
    message: ([epoch]) => `the proof does not verify against epoch ${String(epoch)}'s on-chain rewards root`,
  },
  RewardsUnknownEpoch: {
    code: "CHAIN_ACTION_ERROR_NOTHING_TO_DO",
    message: ([epoch]) => `epoch ${String(epoch)} has no report on-chain`,
  },
  // EpochReports: reports and seeds.
  EpochReportsTooEarly: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([epoch, timestamp, acceptedFrom]) =>
      `the report of epoch ${String(epoch)} is accepted from time ${String(acceptedFrom)} (the end of its checking phase); the chain's block time is ${String(timestamp)}`,
  },
  EpochReportsTooLate: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([epoch, current, last]) =>
      `the report of epoch ${String(epoch)} was accepted until epoch ${String(last)}; it is epoch ${String(current)}`,
  },
  EpochReportsAlreadyReported: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([epoch]) => `epoch ${String(epoch)} has a report already`,
  },
  EpochReportsEpochOutOfOrder: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([epoch, last]) =>
      `epoch ${String(epoch)} comes before the last reported epoch ${String(last)}: reports land in epoch order`,
  },
  EpochReportsSeedMismatch: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([expected, actual]) =>
      `the header's seed ${String(actual)} is not the epoch's seed ${String(expected)}`,
  },
  EpochReportsOverBudget: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([budget, total]) =>
      `the report pays ${String(total)}, more than the epoch budget ${String(budget)}`,
  },
  EpochReportsEmptyCommittee: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: () => "no seat signed",
  },
  EpochReportsInvalidBitfield: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([bitfield, seats]) =>
      `signer bitfield ${String(bitfield)} names seats beyond the ${String(seats)} of the committee or empty ones`,
  },
  EpochReportsQuorumNotReached: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([required, signers]) => `${String(signers)} seats signed; the quorum is ${String(required)}`,
  },
  EpochReportsInvalidSignature: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: () => "the aggregate signature does not verify against the signing seats' registered keys",
  },
  EpochReportsCommitteeNotReady: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([period, first, current]) =>
      `the committee of period ${String(period)} is drawn when its first epoch ${String(first)} begins; it is epoch ${String(current)}`,
  },
  EpochReportsCommitteeAlreadySealed: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([period]) => `the committee of period ${String(period)} is sealed already`,
  },
  EpochReportsRevealWindow: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([epoch, current]) =>
      `the seed of epoch ${String(epoch)} is revealed during epoch ${String(BigInt(String(epoch)) - 1n)} only; it is epoch ${String(current)}`,
  },
  EpochReportsSeedAlreadyRevealed: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([epoch]) => `the seed of epoch ${String(epoch)} is revealed already`,
  },
  EpochReportsInvalidReveal: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([epoch, proposer]) =>
      `the reveal of epoch ${String(epoch)}'s seed does not verify against the key of its seed proposer ${String(proposer)}`,
  },
  // Slashing.
  SlashingUnknownEpoch: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([epoch]) => `epoch ${String(epoch)} has no report on-chain`,
  },
  SlashingInvalidProof: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([epoch]) => `the leaf is not in epoch ${String(epoch)}'s results tree`,
  },
  SlashingNotSlashable: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([verdict, amount]) =>
      `the leaf (verdict ${String(verdict)}, slash ${String(amount)}) is not a slashable FAIL`,
  },
  SlashingAlreadyOpened: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([epoch, provider, id]) =>
      `slash ${String(id)} for ${String(provider)} in epoch ${String(epoch)} is open already`,
  },
  SlashingOpenWindowClosed: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([epoch, current, last]) =>
      `failures of epoch ${String(epoch)} could be opened until epoch ${String(last)} (the report's landing epoch + the contest window); it is epoch ${String(current)}`,
  },
  SlashingContestWindowClosed: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([epoch, current, last]) =>
      `failures of epoch ${String(epoch)} could be contested until epoch ${String(last)} (the report's landing epoch + the contest window); it is epoch ${String(current)}`,
  },
  SlashingContestWindowOpen: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([id, current, deadline]) =>
      `slash ${String(id)} can be contested until epoch ${String(deadline)}; it is epoch ${String(current)}`,
  },
  SlashingInvalidStatus: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([id, status]) =>
      `slash ${String(id)} is in status ${String(status)}, which does not allow this`,
  },
  SlashingRecheckNotStarted: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([id, current, recheck]) =>
      `the re-check of slash ${String(id)} runs in epoch ${String(recheck)}; the chain is in epoch ${String(current)}`,
  },
  SlashingRecheckDeadlinePassed: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([id, current, deadline]) =>
      `the re-check of slash ${String(id)} had to land by epoch ${String(deadline)}; it is epoch ${String(current)}`,
  },
  SlashingRecheckDeadlineNotPassed: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([id, current, deadline]) =>
      `the re-check of slash ${String(id)} may land until epoch ${String(deadline)}; it is epoch ${String(current)}`,
  },
  SlashingRecheckMismatch: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([id]) => `the re-check header does not match contested slash ${String(id)}`,
  },
  SlashingNotOverturned: {
    code: "CHAIN_ACTION_ERROR_REVERTED",
    message: ([id]) => `slash ${String(id)} was not overturned, so its accusers are not penalized`,
  },
};

export function describeRevert(
  name: string,
  args: readonly unknown[],
): { code: ChainActionErrorCode; message: string } | undefined {
  const m = MESSAGES[name];
  return m === undefined ? undefined : { code: m.code, message: m.message(args) };
}
