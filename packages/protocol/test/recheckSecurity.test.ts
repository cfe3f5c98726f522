import { describe, expect, it } from "vitest";
import { DEFAULT_PARAMS } from "../src/params.ts";
import { DEFAULT_RECHECK_RULES } from "../src/recheck.ts";
import {
  countedRuleOmissionUphold,
  epochRuleCatch,
  epochRuleFalseUphold,
  failingSeatInEpoch,
  minimalEpochFailures,
} from "../src/recheckSecurity.ts";
import {
  compareFractions,
  fraction,
  fractionToNumber,
  seedBiasFactor,
  THREAT_MODEL,
} from "../src/security.ts";

const model = {
  seats: DEFAULT_PARAMS.reportCommitteeSize,
  window: DEFAULT_PARAMS.recheckWindowEpochs,
  adversary: THREAT_MODEL.adversary,
  noise: fraction(2n, 100n),
  bias: seedBiasFactor(THREAT_MODEL.adversary),
};

describe("re-check verdict bounds", () => {
  it("the default per-epoch threshold is the smallest whose false uphold stays within the threat model", () => {
    const c = minimalEpochFailures(model, THREAT_MODEL.capture);
    expect(c).toBe(DEFAULT_RECHECK_RULES.minEpochFailures);
    expect(DEFAULT_RECHECK_RULES.epochWindow).toBe(DEFAULT_PARAMS.recheckWindowEpochs);
    expect(
      compareFractions(epochRuleFalseUphold(model, c as number), THREAT_MODEL.capture),
    ).toBeLessThanOrEqual(0);
    expect(compareFractions(epochRuleFalseUphold(model, (c as number) - 1), THREAT_MODEL.capture)).toBe(1);
  });

  it("a seat is a failing member of an epoch with probability (f + (1 − f)·noise) / window", () => {
    // (1/3 + 2/3 · 1/50) / 3 = (26/75) / 3 = 26/225
    expect(failingSeatInEpoch(model)).toEqual(fraction(26n, 225n));
    expect(fractionToNumber(epochRuleFalseUphold(model, 1))).toBe(1);
  });

  it("catches a provider cheating in one of three epochs often, where the two-thirds rule never does", () => {
    const c = DEFAULT_RECHECK_RULES.minEpochFailures as number;
    const alone = fractionToNumber(epochRuleCatch(model.seats, model.window, fraction(0n), c));
    expect(alone).toBeGreaterThan(0.55);
    expect(alone).toBeLessThan(0.65);
  });

  it("a rule dividing by the seats counted lets an omitting leader with 54 of 135 seats uphold", () => {
    const o = countedRuleOmissionUphold(135, 81, 6_666, THREAT_MODEL.adversary);
    expect(o.seatsNeeded).toBe(54);
    expect(fractionToNumber(o.probability)).toBeGreaterThan(0.05);
  });
});
