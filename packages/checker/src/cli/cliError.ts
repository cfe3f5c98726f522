import { CheckerError } from "../errors.ts";

/** Why a `checker` command refused its input. String values end the one-line message, for scripts. */
export const CliErrorCode = {
  /** A flag's value cannot be used: the message names the flag, the value and what is expected. */
  BAD_FLAG: "CLI_ERROR_BAD_FLAG",
  /** A flag (or config field) the command needs is missing: the message shows a command that works. */
  MISSING_FLAG: "CLI_ERROR_MISSING_FLAG",
  /** A signed transaction that is not the claim it should be (other contract, other chain, other call). */
  WRONG_TX: "CLI_ERROR_WRONG_TX",
  /** More licenses are delegated to the operator than one node runs (maxLicensesPerNode). */
  TOO_MANY_LICENSES: "CLI_ERROR_TOO_MANY_LICENSES",
  /** A protocol parameter of the network file (or the built-in defaults) that the chain's contracts hold with another value. */
  PARAMS_MISMATCH: "CLI_ERROR_PARAMS_MISMATCH",
  /** The RPC answered, but a configured contract address holds no contract, or not this network's (its getter reverts). */
  WRONG_CONTRACT: "CLI_ERROR_WRONG_CONTRACT",
  /** No running node found where the command looked for one. */
  NO_NODE: "CLI_ERROR_NO_NODE",
} as const;
export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];

/** A refused command line: one line, `<what, the value, what is expected> [CODE]`. */
export class CliError extends CheckerError {
  override name = "CliError";
  readonly code: CliErrorCode;
  constructor(code: CliErrorCode, message: string) {
    super(`${message} [${code}]`);
    this.code = code;
  }
}
