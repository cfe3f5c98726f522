import { type Address, getAddress, toHex } from "viem";
import { describe, expect, it } from "vitest";
import { ContestError, ContestErrorCode, ContestOutcome, resolveContest } from "../src/contest.ts";
import type { ResultLeaf } from "../src/merkle/leaves.ts";
import { DEFAULT_PARAMS } from "../src/params.ts";
import { buildReport, licenseParticipation } from "../src/scoring/report.ts";
import type { ProviderVerdict } from "../src/scoring/verdict.ts";
import { CheckResult, Verdict } from "../src/types.ts";
import { smallEpoch } from "./scoring/fixtures.ts";

const addr = (i: number): Address => getAddress(toHex(i + 1, { size: 20 }));
const params = DEFAULT_PARAMS;
const bond = params.contestBond;

const original: ResultLeaf = {
  provider: addr(100),
  verdict: Verdict.FAIL,
  scoreBps: 0,
  medianLatencyUs: 0,
  attestations: 8,
  failures: 7,
  slashAmount: 123n,
  accusers: [addr(1), addr(2), addr(3)],
};

function recheck(verdict: Verdict): ProviderVerdict {
  return {
    verdict,
    scoreBps: verdict === Verdict.PASS ? 10_000 : 0,
    medianLatencyUs: 10_000,
    attestations: 16,
    failures: verdict === Verdict.FAIL ? 16 : 0,
    accusers: [],
    weight: 16,
    failureWeight: verdict === Verdict.FAIL ? 16 : 0,
  };
}

const base = { original, contestEpoch: 12n, currentEpoch: 14n, reportEpoch: 10n, params };

describe("resolveContest", () => {
  it("overturns on a PASS re-check: bond back, no slash, accusers penalized", () => {
    expect(resolveContest({ ...base, recheck: recheck(Verdict.PASS), recheckEpoch: 13n })).toEqual({
      outcome: ContestOutcome.OVERTURNED,
      bondRefund: bond,
      bondForfeited: 0n,
      slashExecuted: 0n,
      penalizedCheckers: original.accusers,
    });
  });

  it("overturning a report's FAIL leaf penalizes its FAIL attesters, not those that timed out (issue 14)", () => {
    const e = smallEpoch(10n);
    const report = buildReport({
      epoch: e.epoch,
      seed: `0x${"11".repeat(32)}`,
      perProvider: e.perProvider,
      licenseParticipation: licenseParticipation(e.perProvider, e.licensesByChecker),
      params,
    });
    const leaf = report.results.find((r) => r.provider === e.cheater)!;
    const attestations = e.perProvider.find((p) => p.provider === e.cheater)!.attestations;
    const said = (result: CheckResult) =>
      attestations.filter((a) => a.attestation.result === result).map((a) => a.attestation.checker);
    expect(said(CheckResult.TIMEOUT)).toHaveLength(1);
    expect(leaf).toMatchObject({ verdict: Verdict.FAIL, failures: 3 });
    const r = resolveContest({
      ...base,
      original: leaf,
      recheck: recheck(Verdict.PASS),
      recheckEpoch: 13n,
    });
    expect(r.outcome).toBe(ContestOutcome.OVERTURNED);
    expect([...r.penalizedCheckers].sort()).toEqual(said(CheckResult.FAIL).sort());
    for (const c of said(CheckResult.TIMEOUT)) expect(r.penalizedCheckers).not.toContain(c);
  });

  it("upholds on a FAIL re-check: slash executed, bond forfeited, nobody penalized", () => {
    expect(resolveContest({ ...base, recheck: recheck(Verdict.FAIL) })).toEqual({
      outcome: ContestOutcome.UPHELD,
      bondRefund: 0n,
      bondForfeited: bond,
      slashExecuted: 123n,
      penalizedCheckers: [],
    });
  });

  it("defaults to overturned without penalties on an INCONCLUSIVE re-check", () => {
    expect(resolveContest({ ...base, recheck: recheck(Verdict.INCONCLUSIVE) })).toEqual({
      outcome: ContestOutcome.DEFAULT_OVERTURNED,
      bondRefund: bond,
      bondForfeited: 0n,
      slashExecuted: 0n,
      penalizedCheckers: [],
    });
  });

  it("stays pending until contestEpoch + recheckDeadlineEpochs, then defaults", () => {
    const deadline = base.contestEpoch + BigInt(params.recheckDeadlineEpochs);
    expect(resolveContest({ ...base, recheck: undefined, currentEpoch: deadline }).outcome).toBe(
      ContestOutcome.PENDING,
    );
    const late = resolveContest({ ...base, recheck: undefined, currentEpoch: deadline + 1n });
    expect(late).toMatchObject({
      outcome: ContestOutcome.DEFAULT_OVERTURNED,
      bondRefund: bond,
      slashExecuted: 0n,
    });
    // A re-check that lands after the deadline is ignored.
    expect(
      resolveContest({
        ...base,
        recheck: recheck(Verdict.FAIL),
        recheckEpoch: deadline + 1n,
        currentEpoch: deadline + 1n,
      }).outcome,
    ).toBe(ContestOutcome.DEFAULT_OVERTURNED);
  });

  it("refuses non-FAIL leaves, closed windows, stale re-checks and bad epochs", () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ContestError);
        return (e as ContestError).code;
      }
      return undefined;
    };
    expect(
      codeOf(() =>
        resolveContest({ ...base, original: { ...original, verdict: Verdict.PASS }, recheck: undefined }),
      ),
    ).toBe(ContestErrorCode.NOT_SLASHABLE);
    const closed = base.reportEpoch + BigInt(params.contestWindowEpochs) + 1n;
    expect(
      codeOf(() =>
        resolveContest({ ...base, contestEpoch: closed, currentEpoch: closed, recheck: undefined }),
      ),
    ).toBe(ContestErrorCode.WINDOW_CLOSED);
    expect(codeOf(() => resolveContest({ ...base, contestEpoch: 9n, recheck: undefined }))).toBe(
      ContestErrorCode.WINDOW_CLOSED,
    );
    expect(codeOf(() => resolveContest({ ...base, recheck: recheck(Verdict.PASS), recheckEpoch: 12n }))).toBe(
      ContestErrorCode.STALE_RECHECK,
    );
    expect(codeOf(() => resolveContest({ ...base, currentEpoch: 11n, recheck: undefined }))).toBe(
      ContestErrorCode.INVALID_EPOCH,
    );
    expect(codeOf(() => resolveContest({ ...base, currentEpoch: -1n, recheck: undefined }))).toBe(
      ContestErrorCode.INVALID_EPOCH,
    );
  });
});
