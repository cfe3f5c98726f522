import { type Address, getAddress, type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { DEFAULT_PARAMS } from "../src/params.ts";
import { DEFAULT_RECHECK_RULES, recheckVerdict, type SignedRecheckResult } from "../src/recheck.ts";
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
import { CheckResult, Verdict } from "../src/types.ts";

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

describe("the per-epoch bound holds for recheckVerdict itself", () => {
  // A small committee so the rate is measurable: 30 seats, a third colluding (FAIL), honest members failing
  // 5 % of their runs, window 3, threshold 7: bound 3 · P[Bin(30, 0.1222) ≥ 7] (no seed bias).
  const small = {
    seats: 30,
    window: 3,
    adversary: fraction(1n, 3n),
    noise: fraction(1n, 20n),
    bias: fraction(1n),
  };
  const c = 7;
  const rules = { minResults: 3, failureQuorumBps: 9_999, minEpochFailures: c, epochWindow: 3 };
  const addr = (label: string): Address => getAddress(`0x${keccak256(toHex(label)).slice(26)}`);
  const signature = `0x${"22".repeat(96)}` as Hex;

  function upholdRate(concentrated: boolean, trials: number): number {
    let state = 12345;
    const next = () => {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      return state / 2 ** 32;
    };
    const adversary = addr("adversary");
    const colluders = Array.from({ length: small.seats }, (_, j) => addr(`a${j}`));
    const honest = Array.from({ length: small.seats }, (_, j) => addr(`h${j}`));
    let upheld = 0;
    for (let t = 0; t < trials; t++) {
      const committee: Address[] = [];
      const fails = new Map<string, boolean>();
      for (let j = 0; j < small.seats; j++) {
        const bad = next() < 1 / 3;
        const member = bad ? (concentrated ? adversary : (colluders[j] as Address)) : (honest[j] as Address);
        committee.push(member);
        fails.set(member, bad || next() < 0.05);
      }
      const runEpochs = new Map<string, bigint>();
      const results: SignedRecheckResult[] = [...fails].map(([member, fail]) => {
        const runEpoch = 12n + BigInt(Math.floor(next() * 3));
        runEpochs.set(member.toLowerCase(), runEpoch);
        return {
          result: {
            slashId: 1n,
            provider: addr("provider"),
            recheckEpoch: 12n,
            checker: member as Address,
            kind: 0,
            result: fail ? CheckResult.FAIL : CheckResult.PASS,
            latencyP50Us: 1,
            transcriptHash: `0x${"00".repeat(32)}`,
            runEpoch,
            timeSignature: `0x${"00".repeat(96)}`,
          },
          signature,
        };
      });
      if (recheckVerdict(results, committee, rules, runEpochs).verdict === Verdict.FAIL) upheld++;
    }
    return upheld / trials;
  }

  it("whether the colluders spread their seats over many members or hold them in one", () => {
    const bound = fractionToNumber(epochRuleFalseUphold(small, c));
    expect(bound).toBeGreaterThan(0.1);
    expect(bound).toBeLessThan(0.4);
    // Counting seats instead of members, the concentrated adversary's ~10 seats in one epoch would uphold
    // in most trials; counting members, it is one failing member.
    // The bound, plus three standard errors of the Monte Carlo (the union bound is nearly tight here).
    const trials = 400;
    const slack = 3 * Math.sqrt((bound * (1 - bound)) / trials);
    expect(upholdRate(true, trials)).toBeLessThanOrEqual(bound + slack);
    expect(upholdRate(false, trials)).toBeLessThanOrEqual(bound + slack);
  });
});
