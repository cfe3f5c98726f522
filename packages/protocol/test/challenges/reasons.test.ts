import { describe, expect, it } from "vitest";
import { combineResults, isAvailabilityReason, ReasonCode } from "../../src/challenges/common.ts";
import { CheckResult } from "../../src/types.ts";

/**
 * Issue 14: which reasons are about the provider's availability in the run (TIMEOUT, accuse nobody) and which
 * about what it sent (FAIL, make their checker an accuser a re-check overturn penalizes). The table is the
 * decision of docs/protocol/recheck.md ("Who is penalized"): a new reason code must be placed on purpose.
 */
const AVAILABILITY = [
  ReasonCode.NO_COMMITMENT,
  ReasonCode.NO_OPENINGS,
  ReasonCode.NO_RESPONSE,
  ReasonCode.TOO_MANY_LOST,
  ReasonCode.P95_ABOVE_LIVENESS_THRESHOLD,
  ReasonCode.DEADLINE_EXCEEDED,
  ReasonCode.UNUSABLE_REGISTRY_ENTRY,
];
const CONTENT = [
  ReasonCode.PONG_NONCE_MISMATCH,
  ReasonCode.UNSOLICITED_PONG,
  ReasonCode.DUPLICATE_PONG,
  ReasonCode.RTT_BELOW_PHYSICAL_BOUND,
  ReasonCode.WRONG_ROW_COUNT,
  ReasonCode.MALFORMED_ROW,
  ReasonCode.WRONG_ROW,
  ReasonCode.BAD_PROOF,
  ReasonCode.ELAPSED_EXCEEDS_MEASURED,
  ReasonCode.UNSIGNED_ANSWER,
  ReasonCode.BAD_ANSWER_SIGNATURE,
  ReasonCode.WRONG_DIGEST_COUNT,
  ReasonCode.WRONG_DIGEST,
  ReasonCode.MALFORMED_MESSAGE,
  ReasonCode.PROTOCOL_VIOLATION,
];
const reason = (code: ReasonCode) => ({ code, message: code });

describe("reason classes (issue 14)", () => {
  it("places every reason code in exactly one class", () => {
    expect([...AVAILABILITY, ...CONTENT].sort()).toEqual(Object.values(ReasonCode).sort());
    for (const code of AVAILABILITY) expect(isAvailabilityReason(code), code).toBe(true);
    for (const code of CONTENT) expect(isAvailabilityReason(code), code).toBe(false);
  });

  it("gives TIMEOUT for availability reasons alone, FAIL as soon as one is about content", () => {
    expect(combineResults([])).toBe(CheckResult.PASS);
    for (const code of AVAILABILITY) expect(combineResults([reason(code)]), code).toBe(CheckResult.TIMEOUT);
    for (const code of CONTENT) expect(combineResults([reason(code)]), code).toBe(CheckResult.FAIL);
    expect(combineResults(AVAILABILITY.map(reason))).toBe(CheckResult.TIMEOUT);
    for (const code of CONTENT) {
      expect(combineResults([...AVAILABILITY.map(reason), reason(code)]), code).toBe(CheckResult.FAIL);
    }
  });
});
