import { BaseError, ContractFunctionRevertedError } from "viem";
import { describeRevert } from "./revertMessages.ts";

/** A contract call's revert, as viem decoded it with the ABI of the contract called. */
export interface ContractRevert {
  /** The custom error's name (`SlashingContestWindowClosed`); undefined when the data did not decode. */
  errorName: string | undefined;
  /** The revert reason string, for a `require(..., "reason")` or a panic. */
  reason: string | undefined;
  /** The custom error's decoded arguments, in declaration order. */
  args: readonly unknown[];
  /** One line for the user when the contract set documents the error (revertMessages.ts). */
  message: string | undefined;
}

/**
 * The revert inside whatever viem threw for a contract call or simulation,
 * or undefined when the call did not revert (an RPC fault, no gas, ...).
 * Callers map it to their own error codes and wording.
 *
 * @example
 * const revert = contractRevertOf(err);
 * if (revert?.errorName === "SlashingContestWindowClosed") ...
 */
export function contractRevertOf(error: unknown): ContractRevert | undefined {
  if (!(error instanceof BaseError)) return undefined;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (!(reverted instanceof ContractFunctionRevertedError)) return undefined;
  const errorName = reverted.data?.errorName;
  const args = reverted.data?.args ?? [];
  return {
    errorName,
    reason: reverted.reason,
    args,
    message: errorName === undefined ? undefined : describeRevert(errorName, args),
  };
}
