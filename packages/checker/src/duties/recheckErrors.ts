import { DutyError } from "./leader/errors.ts";

/** Why the re-check duty refused a result, a co-sign request or a step (docs/protocol/recheck.md). */
export const RecheckDutyErrorCode = {
  NOT_ON_COMMITTEE: "RECHECK_DUTY_ERROR_NOT_ON_COMMITTEE",
  NOT_CONTESTED: "RECHECK_DUTY_ERROR_NOT_CONTESTED",
  HEADER_MISMATCH: "RECHECK_DUTY_ERROR_HEADER_MISMATCH",
  INVALID_RESULT: "RECHECK_DUTY_ERROR_INVALID_RESULT",
  /** A result whose run epoch has not come yet: a member tests the provider in its run epoch, not before. */
  EARLY_RESULT: "RECHECK_DUTY_ERROR_EARLY_RESULT",
  NO_OWN_RESULT: "RECHECK_DUTY_ERROR_NO_OWN_RESULT",
  OWN_RESULT_MISSING: "RECHECK_DUTY_ERROR_OWN_RESULT_MISSING",
  /** This member's result was signed under /checkernet/recheck/1.0.0 (before the upgrade): kept, never served. */
  LEGACY_RESULT: "RECHECK_DUTY_ERROR_LEGACY_RESULT",
} as const;
type RecheckDutyErrorCode = (typeof RecheckDutyErrorCode)[keyof typeof RecheckDutyErrorCode];

export class RecheckDutyError extends DutyError<RecheckDutyErrorCode> {
  override name = "RecheckDutyError";
}
