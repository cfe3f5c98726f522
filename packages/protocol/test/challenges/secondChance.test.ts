import { type Reason, ReasonCode } from "@checkernet/protocol/challenges/common";
import { deservesSecondChance } from "@checkernet/protocol/challenges/secondChance";
import { CheckResult } from "@checkernet/protocol/types";
import { describe, expect, it } from "vitest";

const reason = (code: ReasonCode): Reason => ({ code, message: code });

describe("deservesSecondChance", () => {
  it("only a run that failed for time alone gets one", () => {
    expect(
      deservesSecondChance({ result: CheckResult.FAIL, reasons: [reason(ReasonCode.DEADLINE_EXCEEDED)] }),
    ).toBe(true);
    expect(
      deservesSecondChance({ result: CheckResult.TIMEOUT, reasons: [reason(ReasonCode.NO_RESPONSE)] }),
    ).toBe(true);
    expect(
      deservesSecondChance({
        result: CheckResult.TIMEOUT,
        reasons: [reason(ReasonCode.NO_COMMITMENT), reason(ReasonCode.TOO_MANY_LOST)],
      }),
    ).toBe(true);
  });

  it("a wrong answer, even next to a late one, never does; nor does a pass", () => {
    expect(
      deservesSecondChance({
        result: CheckResult.FAIL,
        reasons: [reason(ReasonCode.DEADLINE_EXCEEDED), reason(ReasonCode.WRONG_DIGEST)],
      }),
    ).toBe(false);
    expect(deservesSecondChance({ result: CheckResult.FAIL, reasons: [reason(ReasonCode.WRONG_ROW)] })).toBe(
      false,
    );
    expect(
      deservesSecondChance({
        result: CheckResult.FAIL,
        reasons: [reason(ReasonCode.RTT_BELOW_PHYSICAL_BOUND)],
      }),
    ).toBe(false);
    expect(deservesSecondChance({ result: CheckResult.PASS, reasons: [] })).toBe(false);
  });
});
