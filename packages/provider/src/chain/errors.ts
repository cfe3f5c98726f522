import { contractRevertOf } from "@checkernet/contracts";
import { BaseError, HttpRequestError, InsufficientFundsError } from "viem";
import { ProviderError } from "../errors.ts";

export const ChainErrorCode = {
  /** The JSON-RPC endpoint did not answer. */
  RPC_DOWN: "CHAIN_ERROR_RPC_DOWN",
  /** A contract reverted; `details.revert` holds the custom error's name (e.g. ProviderRegistryNotRegistered). */
  REVERTED: "CHAIN_ERROR_REVERTED",
  /** The provider's account cannot pay for gas. */
  NO_GAS: "CHAIN_ERROR_NO_GAS",
  /** The deployment file is missing or malformed. */
  BAD_DEPLOYMENT: "CHAIN_ERROR_BAD_DEPLOYMENT",
  /** Nothing to contest: no FAIL leaf for this provider, or its slash is no longer pending. */
  NO_PENDING_SLASH: "CHAIN_ERROR_NO_PENDING_SLASH",
  /** The contest window of the epoch has closed. */
  WINDOW_CLOSED: "CHAIN_ERROR_WINDOW_CLOSED",
  /** The provider holds fewer reward tokens than the contest bond. */
  INSUFFICIENT_BOND: "CHAIN_ERROR_INSUFFICIENT_BOND",
  /** An argument that no transaction could accept (unknown class or region, bad amount). */
  BAD_ARGUMENT: "CHAIN_ERROR_BAD_ARGUMENT",
  /**
   * `register --update` would change the GPU class, VRAM or region while they are frozen (staked, unbonding, a
   * slash pending, or a slash of a checked epoch still openable): `details.args` names the field.
   */
  FIELDS_FROZEN: "CHAIN_ERROR_FIELDS_FROZEN",
  /** No `--from-checker` checker served the epoch's report as the chain anchors it (each one's reason is named). */
  NO_LEAF_SOURCE: "CHAIN_ERROR_NO_LEAF_SOURCE",
} as const;
export type ChainErrorCode = (typeof ChainErrorCode)[keyof typeof ChainErrorCode];

export class ChainError extends ProviderError<ChainErrorCode> {
  override name = "ChainError";
}

/** Contract errors that have a code of their own, so callers need not parse revert names. */
const REVERT_CODES: Record<string, ChainErrorCode> = {
  SlashingContestWindowClosed: ChainErrorCode.WINDOW_CLOSED,
  SlashingInvalidStatus: ChainErrorCode.NO_PENDING_SLASH,
  SlashingNotSlashable: ChainErrorCode.NO_PENDING_SLASH,
  // A fraud proof already punished the epoch: there is no committee slash to contest (one punishment per epoch).
  SlashingAlreadyPunished: ChainErrorCode.NO_PENDING_SLASH,
  ERC20InsufficientBalance: ChainErrorCode.INSUFFICIENT_BOND,
  ProviderRegistryFieldsFrozen: ChainErrorCode.FIELDS_FROZEN,
};

/**
 * How a provider changes its GPU class, VRAM or region: the registry freezes them while a re-check could
 * judge an epoch by them (ProviderRegistry.fieldsFrozen, review4 H2), so it leaves and comes back.
 */
export const HOW_TO_CHANGE_FROZEN_FIELDS =
  "the GPU class, VRAM and region are frozen while the provider is staked, unbonding or has a slash pending: " +
  "unstake all of it (provider unstake <stake>), withdraw once unbonding ends (provider unstake --withdraw), " +
  "then provider register --update and stake again (checked again after the entry delay)";

/** What to do about a revert whose name alone does not say it. */
const REVERT_HINTS: Record<string, string> = {
  ProviderRegistryFieldsFrozen: HOW_TO_CHANGE_FROZEN_FIELDS,
};

/**
 * Turns what viem throws into one ChainError whose message names the cause:
 * the contract's custom error with its arguments, an unreachable RPC, or no gas.
 */
export function toChainError(err: unknown, action: string): ChainError {
  if (err instanceof ChainError) return err;
  if (err instanceof BaseError) {
    const reverted = contractRevertOf(err);
    if (reverted !== undefined) {
      const name = reverted.errorName ?? "unknown";
      const args = reverted.args.map((a) => String(a)).join(", ");
      return new ChainError(
        REVERT_CODES[name] ?? ChainErrorCode.REVERTED,
        `${action} reverted: ${name}(${args})${name in REVERT_HINTS ? `: ${REVERT_HINTS[name]}` : ""}`,
        {
          revert: name,
          args,
        },
      );
    }
    if (
      err.walk((e) => e instanceof HttpRequestError) !== null ||
      /fetch failed|ECONNREFUSED/i.test(err.message)
    ) {
      return new ChainError(ChainErrorCode.RPC_DOWN, `${action}: the RPC endpoint did not answer`, {
        reason: err.shortMessage,
      });
    }
    if (err.walk((e) => e instanceof InsufficientFundsError) !== null) {
      return new ChainError(ChainErrorCode.NO_GAS, `${action}: the provider account cannot pay for gas`, {});
    }
    return new ChainError(ChainErrorCode.REVERTED, `${action} failed: ${err.shortMessage}`, {
      reason: err.shortMessage,
    });
  }
  return new ChainError(
    ChainErrorCode.RPC_DOWN,
    `${action} failed: ${(err as Error).message ?? String(err)}`,
    {},
  );
}
