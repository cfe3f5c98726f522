import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_PARAMS, withParams } from "../../src/params.ts";
import {
  computeVerdict,
  VerdictError,
  VerdictErrorCode,
  type WeightedAttestation,
} from "../../src/scoring/verdict.ts";
import { CheckResult, Verdict } from "../../src/types.ts";
import { address, attestation } from "./fixtures.ts";

const provider = address("provider");
const params = DEFAULT_PARAMS;

function weighted(
  entries: { result: CheckResult; seats: number; p50?: number }[],
  offset = 0,
): WeightedAttestation[] {
  return entries.map((e, i) => ({
    attestation: attestation({
      provider,
      checker: address(`checker-${offset + i}`),
      result: e.result,
      latencyP50Us: e.p50 ?? 20_000,
    }),
    seats: e.seats,
  }));
}

describe("computeVerdict rules", () => {
  it("is INCONCLUSIVE below minAttestations distinct checkers, whatever their seats", () => {
    const v = computeVerdict(
      weighted([
        { result: CheckResult.FAIL, seats: 50 },
        { result: CheckResult.FAIL, seats: 50 },
      ]),
      params,
    );
    expect(v.verdict).toBe(Verdict.INCONCLUSIVE);
    expect(v.failures).toBe(2);
    expect(computeVerdict([], params)).toMatchObject({
      verdict: Verdict.INCONCLUSIVE,
      scoreBps: 0,
      medianLatencyUs: 0,
      attestations: 0,
      accusers: [],
    });
  });

  it("FAILs only when failing weight is strictly above failureQuorumBps of the weight", () => {
    // 3333 failing seats of 5000: 3333 · 10000 = 6666 · 5000, not strictly above.
    const at = weighted([
      { result: CheckResult.FAIL, seats: 3333 },
      { result: CheckResult.PASS, seats: 1000 },
      { result: CheckResult.PASS, seats: 667 },
    ]);
    expect(computeVerdict(at, params).verdict).toBe(Verdict.PASS);
    const above = weighted([
      { result: CheckResult.TIMEOUT, seats: 3334 },
      { result: CheckResult.PASS, seats: 1000 },
      { result: CheckResult.PASS, seats: 666 },
    ]);
    const v = computeVerdict(above, params);
    expect(v.verdict).toBe(Verdict.FAIL);
    expect(v).toMatchObject({ weight: 5000, failureWeight: 3334, failures: 1, attestations: 3 });
  });

  it("counts TIMEOUT as failing but lists only FAIL attesters as accusers, sorted by address (issue 14)", () => {
    const at = weighted([
      { result: CheckResult.TIMEOUT, seats: 1 },
      { result: CheckResult.FAIL, seats: 1 },
      { result: CheckResult.TIMEOUT, seats: 2 },
      { result: CheckResult.FAIL, seats: 1 },
      { result: CheckResult.PASS, seats: 1 },
    ]);
    const v = computeVerdict(at, params);
    expect(v.verdict).toBe(Verdict.FAIL);
    expect(v).toMatchObject({ failures: 4, failureWeight: 5, weight: 6, attestations: 5 });
    const expected = at
      .filter((a) => a.attestation.result === CheckResult.FAIL)
      .map((a) => a.attestation.checker)
      .sort((x, y) => (x.toLowerCase() < y.toLowerCase() ? -1 : 1));
    expect(v.accusers).toEqual(expected);
    expect(v.accusers).toHaveLength(2);
  });

  it("a committee that only timed out fails the provider and accuses nobody (issue 14)", () => {
    const v = computeVerdict(
      weighted([
        { result: CheckResult.TIMEOUT, seats: 2 },
        { result: CheckResult.TIMEOUT, seats: 1 },
        { result: CheckResult.TIMEOUT, seats: 1 },
      ]),
      params,
    );
    expect(v).toMatchObject({ verdict: Verdict.FAIL, failures: 3, failureWeight: 4, accusers: [] });
  });

  it("takes the seat-weighted lower median of passing p50s and ignores failing ones", () => {
    const v = computeVerdict(
      weighted([
        { result: CheckResult.PASS, seats: 1, p50: 100 },
        { result: CheckResult.PASS, seats: 3, p50: 200 },
        { result: CheckResult.PASS, seats: 1, p50: 900 },
        { result: CheckResult.FAIL, seats: 1, p50: 1 },
      ]),
      params,
    );
    expect(v.medianLatencyUs).toBe(200);
    const even = computeVerdict(
      weighted([
        { result: CheckResult.PASS, seats: 1, p50: 100 },
        { result: CheckResult.PASS, seats: 1, p50: 300 },
        { result: CheckResult.PASS, seats: 1, p50: 500 },
        { result: CheckResult.PASS, seats: 1, p50: 700 },
      ]),
      params,
    );
    expect(even.medianLatencyUs).toBe(300);
  });

  it("scores the pass fraction, discounted by latency above the target", () => {
    const fast = weighted([1, 2, 3].map(() => ({ result: CheckResult.PASS, seats: 1, p50: 50_000 })));
    expect(computeVerdict(fast, params).scoreBps).toBe(10_000);
    const slow = weighted([1, 2, 3].map(() => ({ result: CheckResult.PASS, seats: 1, p50: 200_000 })));
    // latencyBps = 5000 → (8000 · 10000 + 2000 · 5000) / 10^4 = 9000
    expect(computeVerdict(slow, params).scoreBps).toBe(9_000);
    const mixed = weighted([
      { result: CheckResult.PASS, seats: 3, p50: 200_000 },
      { result: CheckResult.FAIL, seats: 1 },
    ]);
    // passBps 7500 × 0.9
    expect(computeVerdict(mixed, withParams({ minAttestations: 1 })).scoreBps).toBe(6_750);
    const allFail = weighted([1, 2, 3].map(() => ({ result: CheckResult.FAIL, seats: 1 })));
    expect(computeVerdict(allFail, params)).toMatchObject({
      verdict: Verdict.FAIL,
      scoreBps: 0,
      medianLatencyUs: 0,
    });
  });

  it("refuses duplicates, mixed epochs or providers and bad seats with typed errors", () => {
    const base = weighted([
      { result: CheckResult.PASS, seats: 1 },
      { result: CheckResult.PASS, seats: 1 },
      { result: CheckResult.PASS, seats: 1 },
    ]);
    const codeOf = (input: WeightedAttestation[]) => {
      try {
        computeVerdict(input, params);
      } catch (e) {
        expect(e).toBeInstanceOf(VerdictError);
        return (e as VerdictError).code;
      }
      return undefined;
    };
    const [a, b] = base as [WeightedAttestation, WeightedAttestation];
    const dupe = {
      attestation: {
        ...b.attestation,
        checker: a.attestation.checker.toLowerCase() as typeof a.attestation.checker,
      },
      seats: 1,
    };
    expect(codeOf([a, dupe])).toBe(VerdictErrorCode.DUPLICATE_CHECKER);
    expect(codeOf([a, { ...b, attestation: { ...b.attestation, epoch: 11n } }])).toBe(
      VerdictErrorCode.MIXED_EPOCH,
    );
    expect(codeOf([a, { ...b, attestation: { ...b.attestation, provider: address("other") } }])).toBe(
      VerdictErrorCode.MIXED_PROVIDER,
    );
    expect(codeOf([a, { ...b, seats: 0 }])).toBe(VerdictErrorCode.INVALID_SEATS);
    expect(codeOf([a, { ...b, seats: 1.5 }])).toBe(VerdictErrorCode.INVALID_SEATS);
    expect(codeOf([a, { ...b, attestation: { ...b.attestation, result: 7 as CheckResult } }])).toBe(
      VerdictErrorCode.INVALID_ATTESTATION,
    );
  });
});

describe("computeVerdict robustness (fewer than 1/3 lying weight)", () => {
  const seats = fc.integer({ min: 1, max: 6 });
  const latency = fc.integer({ min: 1_000, max: 400_000 });
  const failing = fc.constantFrom(CheckResult.FAIL, CheckResult.TIMEOUT);
  // Honest checkers (at least minAttestations) and liars whose weight stays strictly below a third of the total.
  const split = fc
    .tuple(
      fc.array(fc.record({ seats, p50: latency }), { minLength: params.minAttestations, maxLength: 16 }),
      fc.array(fc.record({ seats, p50: latency }), { maxLength: 8 }),
    )
    .map(([honest, liars]) => {
      const h = honest.reduce((s, x) => s + x.seats, 0);
      const kept: typeof liars = [];
      let l = 0;
      for (const x of liars) {
        if (3 * (l + x.seats) < h + l + x.seats) {
          kept.push(x);
          l += x.seats;
        }
      }
      return { honest, liars: kept };
    });

  it("liars cannot slash an honest provider, nor drag its median latency outside the honest range", () => {
    fc.assert(
      fc.property(split, failing, fc.boolean(), ({ honest, liars }, lie, lowBall) => {
        const honestAtts = weighted(
          honest.map((h) => ({ result: CheckResult.PASS, seats: h.seats, p50: h.p50 })),
        );
        const liarAtts = weighted(
          liars.map((l) => ({
            result: lowBall ? CheckResult.PASS : lie,
            seats: l.seats,
            p50: lowBall ? 1 : l.p50,
          })),
          1_000,
        );
        const clean = computeVerdict(honestAtts, params);
        const v = computeVerdict([...liarAtts, ...honestAtts], params);
        expect(clean.verdict).toBe(Verdict.PASS);
        expect(v.verdict).toBe(Verdict.PASS);
        const ps = honest.map((h) => h.p50);
        expect(v.medianLatencyUs).toBeGreaterThanOrEqual(Math.min(...ps));
        expect(v.medianLatencyUs).toBeLessThanOrEqual(Math.max(...ps));
      }),
      { numRuns: 200 },
    );
  });

  it("liars cannot shield a cheating provider from a FAIL", () => {
    fc.assert(
      fc.property(split, failing, ({ honest, liars }, honestSays) => {
        const honestAtts = weighted(honest.map((h) => ({ result: honestSays, seats: h.seats })));
        const liarAtts = weighted(
          liars.map((l) => ({ result: CheckResult.PASS, seats: l.seats, p50: l.p50 })),
          1_000,
        );
        expect(computeVerdict(honestAtts, params).verdict).toBe(Verdict.FAIL);
        expect(computeVerdict([...honestAtts, ...liarAtts], params).verdict).toBe(Verdict.FAIL);
      }),
      { numRuns: 200 },
    );
  });

  it("is shielded only above a third: the bound is tight", () => {
    // Exactly one third lies: 2 · 10000 > 6666 · 3, still FAIL.
    const oneThird = weighted([
      { result: CheckResult.FAIL, seats: 1 },
      { result: CheckResult.FAIL, seats: 1 },
      { result: CheckResult.PASS, seats: 1 },
    ]);
    expect(computeVerdict(oneThird, params).verdict).toBe(Verdict.FAIL);
    // 3334 lying seats of 10000 (just above one third) shield: 6666 · 10000 is not strictly above 6666 · 10000.
    const above = weighted([
      { result: CheckResult.FAIL, seats: 3333 },
      { result: CheckResult.FAIL, seats: 3333 },
      { result: CheckResult.PASS, seats: 3334 },
    ]);
    expect(computeVerdict(above, params).verdict).toBe(Verdict.PASS);
    // Why 6666 and not 6667: at 6667, 3333 lying seats of 10000 (fewer than a third) would shield.
    const belowThird = weighted([
      { result: CheckResult.FAIL, seats: 3334 },
      { result: CheckResult.FAIL, seats: 3333 },
      { result: CheckResult.PASS, seats: 3333 },
    ]);
    expect(computeVerdict(belowThird, params).verdict).toBe(Verdict.FAIL);
    expect(computeVerdict(belowThird, withParams({ failureQuorumBps: 6_667 })).verdict).toBe(Verdict.PASS);
  });

  it("does not depend on the order of attestations", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            result: fc.constantFrom(CheckResult.PASS, CheckResult.FAIL, CheckResult.TIMEOUT),
            seats,
            p50: latency,
          }),
          { minLength: 0, maxLength: 12 },
        ),
        fc.integer(),
        (entries, shuffleSeed) => {
          const atts = weighted(entries);
          const shuffled = [...atts].sort(
            (a, b) =>
              ((a.attestation.checker.charCodeAt(5) * shuffleSeed) % 97) -
              ((b.attestation.checker.charCodeAt(5) * shuffleSeed) % 97),
          );
          expect(computeVerdict(shuffled, params)).toEqual(computeVerdict(atts, params));
        },
      ),
      { numRuns: 100 },
    );
  });
});
