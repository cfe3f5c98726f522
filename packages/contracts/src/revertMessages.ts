/**
 * One line for the user per custom error of the license, registry, reports,
 * slashing and rewards contracts (contracts/interfaces/*.sol), from the
 * error's decoded arguments. Each caller keeps its own error codes; an error
 * not listed here has no line of its own (callers show its name).
 */
const MESSAGES: Record<string, (args: readonly unknown[]) => string> = {
  ERC721NonexistentToken: ([id]) => `license ${String(id)} does not exist`,
  CheckerLicenseUnauthorized: ([account, id]) =>
    `${String(account)} is not the owner of license ${String(id)} (nor approved for it)`,
  CheckerLicenseAlreadyDelegated: ([id, operator]) =>
    `license ${String(id)} is already delegated to ${String(operator)}; undelegate it first`,
  CheckerLicenseNotDelegated: ([id]) => `license ${String(id)} is not delegated`,
  CheckerLicenseCoolingDown: ([id, current, redelegable]) =>
    `license ${String(id)} is cooling down: it can be delegated again from epoch ${String(redelegable)} (now ${String(current)})`,
  CheckerLicenseZeroOperator: () => "cannot delegate to the zero address",
  CheckerRegistryAlreadyRegistered: ([operator]) =>
    `${String(operator)} is already a registered operator (\`checker keys\` shows this node's key)`,
  CheckerRegistryPublicKeyTaken: ([owner]) => `this BLS key is already registered by ${String(owner)}`,
  CheckerRegistryInvalidProofOfPossession: () =>
    "the contract refused the proof of possession: the key was proven for another account, chain or deployment",
  CheckerRegistryInvalidPublicKey: () => "the contract refused the BLS public key (not a valid G1 point)",
  CheckerRegistryInvalidPeerId: ([length]) => `the contract refused the peer id (${String(length)} bytes)`,
  CheckerRegistryNotRegistered: ([operator]) => `${String(operator)} is not a registered checker operator`,
  CheckerRegistryOperatorUnavailable: ([operator]) =>
    `${String(operator)} cannot take delegations: not a registered checker operator, exiting, or jailed`,
  CheckerRegistryExitRequested: ([operator, exitEpoch]) =>
    `operator ${String(operator)} is exiting (epoch ${String(exitEpoch)})`,
  RewardsAlreadyClaimed: ([epoch, , id]) =>
    `the reward of ${String(id)} for epoch ${String(epoch)} was already claimed`,
  RewardsForfeited: ([epoch, id, operator]) =>
    `license ${String(id)}'s reward for epoch ${String(epoch)} is forfeited: its operator ${String(operator)} signed a failure of that epoch that a re-check overturned`,
  RewardsLocked: ([epoch, id, unlockEpoch]) =>
    `license ${String(id)}'s reward for epoch ${String(epoch)} is locked until epoch ${String(unlockEpoch)}, when no contest of that epoch's failures can still penalize its operator`,
  RewardsInvalidProof: ([epoch]) =>
    `the proof does not verify against epoch ${String(epoch)}'s on-chain rewards root`,
  RewardsUnknownEpoch: ([epoch]) => `epoch ${String(epoch)} has no report on-chain`,
  // EpochReports: reports and seeds.
  EpochReportsTooEarly: ([epoch, timestamp, acceptedFrom]) =>
    `the report of epoch ${String(epoch)} is accepted from time ${String(acceptedFrom)} (the end of its checking phase); the chain's block time is ${String(timestamp)}`,
  EpochReportsTooLate: ([epoch, current, last]) =>
    `the report of epoch ${String(epoch)} was accepted until epoch ${String(last)}; it is epoch ${String(current)}`,
  EpochReportsAlreadyReported: ([epoch]) => `epoch ${String(epoch)} has a report already`,
  EpochReportsSeedMismatch: ([expected, actual]) =>
    `the header's seed ${String(actual)} is not the epoch's seed ${String(expected)}`,
  EpochReportsOverBudget: ([budget, total]) =>
    `the report pays ${String(total)}, more than the epoch budget ${String(budget)}`,
  EpochReportsEmptyCommittee: () => "no seat signed",
  EpochReportsInvalidBitfield: ([bitfield, seats]) =>
    `signer bitfield ${String(bitfield)} names seats beyond the ${String(seats)} of the committee or empty ones`,
  EpochReportsQuorumNotReached: ([required, signers]) =>
    `${String(signers)} seats signed; the quorum is ${String(required)}`,
  EpochReportsInvalidSignature: () =>
    "the aggregate signature does not verify against the signing seats' registered keys",
  EpochReportsCommitteeNotReady: ([period, first, current]) =>
    `the committee of period ${String(period)} is drawn when its first epoch ${String(first)} begins; it is epoch ${String(current)}`,
  EpochReportsCommitteeAlreadySealed: ([period]) =>
    `the committee of period ${String(period)} is sealed already`,
  EpochReportsRevealWindow: ([epoch, current]) =>
    `the seed of epoch ${String(epoch)} is revealed during epoch ${String(BigInt(String(epoch)) - 1n)} only; it is epoch ${String(current)}`,
  EpochReportsSeedAlreadyRevealed: ([epoch]) => `the seed of epoch ${String(epoch)} is revealed already`,
  EpochReportsInvalidReveal: ([epoch, proposer]) =>
    `the reveal of epoch ${String(epoch)}'s seed does not verify against the key of its seed proposer ${String(proposer)}`,
  // Slashing.
  SlashingUnknownEpoch: ([epoch]) => `epoch ${String(epoch)} has no report on-chain`,
  SlashingInvalidProof: ([epoch]) => `the leaf is not in epoch ${String(epoch)}'s results tree`,
  SlashingNotSlashable: ([verdict, amount]) =>
    `the leaf (verdict ${String(verdict)}, slash ${String(amount)}) is not a slashable FAIL`,
  SlashingAlreadyOpened: ([epoch, provider, id]) =>
    `slash ${String(id)} for ${String(provider)} in epoch ${String(epoch)} is open already`,
  SlashingOpenWindowClosed: ([epoch, current, last]) =>
    `failures of epoch ${String(epoch)} could be opened until epoch ${String(last)} (the report's landing epoch + the contest window); it is epoch ${String(current)}`,
  SlashingContestWindowClosed: ([epoch, current, last]) =>
    `failures of epoch ${String(epoch)} could be contested until epoch ${String(last)} (the report's landing epoch + the contest window); it is epoch ${String(current)}`,
  SlashingContestWindowOpen: ([id, current, deadline]) =>
    `slash ${String(id)} can be contested until epoch ${String(deadline)}; it is epoch ${String(current)}`,
  SlashingInvalidStatus: ([id, status]) =>
    `slash ${String(id)} is in status ${String(status)}, which does not allow this`,
  SlashingRecheckNotStarted: ([id, current, recheck]) =>
    `the re-check of slash ${String(id)} runs in epoch ${String(recheck)}; the chain is in epoch ${String(current)}`,
  SlashingRecheckDeadlinePassed: ([id, current, deadline]) =>
    `the re-check of slash ${String(id)} had to land by epoch ${String(deadline)}; it is epoch ${String(current)}`,
  SlashingRecheckDeadlineNotPassed: ([id, current, deadline]) =>
    `the re-check of slash ${String(id)} may land until epoch ${String(deadline)}; it is epoch ${String(current)}`,
  SlashingRecheckMismatch: ([id]) => `the re-check header does not match contested slash ${String(id)}`,
  SlashingNotOverturned: ([id]) =>
    `slash ${String(id)} was not overturned, so its accusers are not penalized`,
  SlashingAlreadyPunished: ([epoch, provider]) =>
    `${String(provider)} was already slashed for epoch ${String(epoch)} by a fraud proof (one punishment per provider and epoch)`,
  SlashingNotSuperseded: ([id]) =>
    `slash ${String(id)}'s provider has no fraud slash of its epoch, so the slash is not superseded`,
  FraudProofsAlreadyPunished: ([provider, epoch, id]) =>
    `${String(provider)} was already slashed for epoch ${String(epoch)} by the committee's slash ${String(id)} (one punishment per provider and epoch)`,
  SlashingEquivocationNotSameSlot: () =>
    "the two attestations differ in epoch, provider or checker: they are no equivocation",
  SlashingEquivocationSameRoot: ([root]) =>
    `both attestations are the same message (signing root ${String(root)}): no equivocation`,
  SlashingEquivocationOutsideWindow: ([epoch, current, last]) =>
    `an equivocation of epoch ${String(epoch)} is slashable from that epoch until epoch ${String(last)}; it is epoch ${String(current)}`,
  SlashingEquivocationUnknownChecker: ([checker]) =>
    `${String(checker)} has no BLS key in the checker registry (never registered, or exited)`,
  SlashingEquivocationAlreadySlashed: ([checker, epoch]) =>
    `${String(checker)} was already slashed for equivocating in epoch ${String(epoch)}`,
  SlashingEquivocationInvalidSignature: ([index, root]) =>
    `the ${index === 0n ? "first" : "second"} attestation's signature (root ${String(root)}) does not verify under the checker's registered key`,
};

/** The user's line for custom error `name` with decoded `args`, if the contract set documents it. */
export function describeRevert(name: string, args: readonly unknown[]): string | undefined {
  return MESSAGES[name]?.(args);
}
