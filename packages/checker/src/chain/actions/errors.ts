import { contractRevertOf } from "@checkernet/contracts";
import { CheckerError } from "../../errors.ts";

/** Why a chain action failed. String values go into logs, status and metric labels. */
export const ChainActionErrorCode = {
  /** The RPC could not be reached or answered with a transport error: retry later. */
  RPC: "CHAIN_ACTION_ERROR_RPC",
  /** The contract reverted; `details.revert` names the custom error. */
  REVERTED: "CHAIN_ACTION_ERROR_REVERTED",
  /** The transaction was mined but failed. */
  FAILED: "CHAIN_ACTION_ERROR_FAILED",
  /**
   * The transaction was sent but not mined within the wait (chain/actions/receipt.ts): retry later, reading
   * the chain first and reusing the nonce (it may still be mined).
   */
  RECEIPT_TIMEOUT: "CHAIN_ACTION_ERROR_RECEIPT_TIMEOUT",
  /** Nothing to do (nothing to claim, no leaf for the license). */
  NOTHING_TO_DO: "CHAIN_ACTION_ERROR_NOTHING_TO_DO",
  /** The account is not allowed to act (not the license owner). */
  NOT_OWNER: "CHAIN_ACTION_ERROR_NOT_OWNER",
  /** No such license token. */
  UNKNOWN_LICENSE: "CHAIN_ACTION_ERROR_UNKNOWN_LICENSE",
  /** The license was undelegated recently and cannot be delegated yet. */
  COOLING_DOWN: "CHAIN_ACTION_ERROR_COOLING_DOWN",
  /** The license is delegated already (undelegate first). */
  ALREADY_DELEGATED: "CHAIN_ACTION_ERROR_ALREADY_DELEGATED",
  /** The license is not delegated (nothing to undelegate). */
  NOT_DELEGATED: "CHAIN_ACTION_ERROR_NOT_DELEGATED",
  /** The operator cannot take delegations (not registered, exiting or jailed). */
  OPERATOR_UNAVAILABLE: "CHAIN_ACTION_ERROR_OPERATOR_UNAVAILABLE",
  /** The reward was claimed already. */
  ALREADY_CLAIMED: "CHAIN_ACTION_ERROR_ALREADY_CLAIMED",
  /** The reward is forfeited: the license's operator signed a failure of that epoch that a re-check overturned. */
  FORFEITED: "CHAIN_ACTION_ERROR_FORFEITED",
  /** The license reward is locked until the epoch's penalties are final (contest window + re-check deadline). */
  LOCKED: "CHAIN_ACTION_ERROR_LOCKED",
  /** The proof does not verify against the on-chain root. */
  INVALID_PROOF: "CHAIN_ACTION_ERROR_INVALID_PROOF",
  /** The operator (or its BLS key) is registered already. */
  ALREADY_REGISTERED: "CHAIN_ACTION_ERROR_ALREADY_REGISTERED",
} as const;
export type ChainActionErrorCode = (typeof ChainActionErrorCode)[keyof typeof ChainActionErrorCode];

export class ChainActionError extends CheckerError {
  override name = "ChainActionError";
  readonly code: ChainActionErrorCode;
  readonly details: Record<string, unknown>;
  constructor(code: ChainActionErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(`${message} [${code}]`);
    this.code = code;
    this.details = details;
  }
}

/** Contract errors with a code of their own; every other revert is REVERTED. */
const REVERT_CODES: Record<string, ChainActionErrorCode> = {
  ERC721NonexistentToken: ChainActionErrorCode.UNKNOWN_LICENSE,
  CheckerLicenseUnauthorized: ChainActionErrorCode.NOT_OWNER,
  CheckerLicenseAlreadyDelegated: ChainActionErrorCode.ALREADY_DELEGATED,
  CheckerLicenseNotDelegated: ChainActionErrorCode.NOT_DELEGATED,
  CheckerLicenseCoolingDown: ChainActionErrorCode.COOLING_DOWN,
  CheckerLicenseZeroOperator: ChainActionErrorCode.OPERATOR_UNAVAILABLE,
  CheckerRegistryAlreadyRegistered: ChainActionErrorCode.ALREADY_REGISTERED,
  CheckerRegistryPublicKeyTaken: ChainActionErrorCode.ALREADY_REGISTERED,
  CheckerRegistryInvalidProofOfPossession: ChainActionErrorCode.INVALID_PROOF,
  CheckerRegistryInvalidPublicKey: ChainActionErrorCode.INVALID_PROOF,
  CheckerRegistryInvalidPeerId: ChainActionErrorCode.INVALID_PROOF,
  CheckerRegistryNotRegistered: ChainActionErrorCode.OPERATOR_UNAVAILABLE,
  CheckerRegistryOperatorUnavailable: ChainActionErrorCode.OPERATOR_UNAVAILABLE,
  CheckerRegistryExitRequested: ChainActionErrorCode.OPERATOR_UNAVAILABLE,
  RewardsAlreadyClaimed: ChainActionErrorCode.ALREADY_CLAIMED,
  RewardsForfeited: ChainActionErrorCode.FORFEITED,
  RewardsLocked: ChainActionErrorCode.LOCKED,
  RewardsInvalidProof: ChainActionErrorCode.INVALID_PROOF,
  RewardsUnknownEpoch: ChainActionErrorCode.NOTHING_TO_DO,
};

/**
 * Maps a viem error to a ChainActionError: a revert carries the custom
 * error's name (not retryable), anything else is an RPC fault (retryable).
 */
export function toChainActionError(error: unknown, action: string): ChainActionError {
  if (error instanceof ChainActionError) return error;
  const reverted = contractRevertOf(error);
  if (reverted !== undefined) {
    const revert = reverted.errorName ?? reverted.reason ?? "unknown revert";
    const { args } = reverted;
    if (reverted.message !== undefined) {
      const code = REVERT_CODES[revert] ?? ChainActionErrorCode.REVERTED;
      // A plain revert keeps the action and the error's name in front of the explanation.
      const message =
        code === ChainActionErrorCode.REVERTED
          ? `${action} reverted: ${revert}: ${reverted.message}`
          : reverted.message;
      return new ChainActionError(code, message, { revert, args });
    }
    return new ChainActionError(ChainActionErrorCode.REVERTED, `${action} reverted: ${revert}`, {
      revert,
      args,
    });
  }
  const message = (error as { shortMessage?: string }).shortMessage ?? (error as Error).message;
  return new ChainActionError(ChainActionErrorCode.RPC, `${action}: RPC error: ${message}`, {
    cause: message,
  });
}
