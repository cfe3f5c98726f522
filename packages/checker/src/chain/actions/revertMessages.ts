import type { ChainActionErrorCode } from "./errors.ts";

/**
 * One line for the user per custom error of the license, registry and
 * rewards contracts (packages/contracts/contracts/interfaces/*.sol), with the
 * ChainActionError code it maps to. Anything not listed stays REVERTED with
 * the error's name.
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
      `license ${String(id)}'s reward for epoch ${String(epoch)} is forfeited: its operator ${String(operator)} was jailed`,
  },
  RewardsInvalidProof: {
    code: "CHAIN_ACTION_ERROR_INVALID_PROOF",
    message: ([epoch]) => `the proof does not verify against epoch ${String(epoch)}'s on-chain rewards root`,
  },
  RewardsUnknownEpoch: {
    code: "CHAIN_ACTION_ERROR_NOTHING_TO_DO",
    message: ([epoch]) => `epoch ${String(epoch)} has no report on-chain`,
  },
};

export function describeRevert(
  name: string,
  args: readonly unknown[],
): { code: ChainActionErrorCode; message: string } | undefined {
  const m = MESSAGES[name];
  return m === undefined ? undefined : { code: m.code, message: m.message(args) };
}
