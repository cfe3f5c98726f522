import { CheckerError } from "../../errors.ts";

/**
 * A leader duty's refusal or failure: a stable code (kept in records and
 * status, sent back in a co-sign ERROR frame) appended to a message that
 * says what happened. Each duty narrows the code to its own table.
 */
export class DutyError<C extends string> extends CheckerError {
  override name = "DutyError";
  readonly code: C;
  constructor(code: C, message: string, options?: ErrorOptions) {
    super(`${message} [${code}]`, options);
    this.code = code;
  }
}
