import fc from "fast-check";
import { type Address, type Hex, keccak256, toBytes } from "viem";
import { describe, expect, it } from "vitest";
import { Beneficiary } from "../../src/merkle/leaves.ts";
import {
  EMPTY_ROOT,
  resultProof,
  rewardProof,
  verifyResultProof,
  verifyRewardProof,
} from "../../src/merkle/trees.ts";
import { DEFAULT_PARAMS } from "../../src/params.ts";
import {
  buildReport,
  checkReport,
  licenseParticipation,
  REPORT_HEADER_FIELDS,
  ReportError,
  ReportErrorCode,
} from "../../src/scoring/report.ts";
import { CheckResult, type ReportHeader, Verdict } from "../../src/types.ts";
import { attestation, smallEpoch } from "./fixtures.ts";

const seed = keccak256(toBytes("epoch-10-seed"));
const params = DEFAULT_PARAMS;

function build(e = smallEpoch()) {
  return buildReport({
    epoch: e.epoch,
    seed,
    perProvider: e.perProvider,
    licenseParticipation: licenseParticipation(e.perProvider, e.licensesByChecker),
    params,
  });
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as ReportError).code;
  }
  return undefined;
}

describe("buildReport", () => {
  it("builds verdicts, leaves, trees and a header that commits to them", () => {
    const e = smallEpoch();
    const report = build(e);
    const byProvider = new Map(report.results.map((r) => [r.provider, r]));
    expect(byProvider.get(e.honest)).toMatchObject({
      verdict: Verdict.PASS,
      slashAmount: 0n,
      accusers: [e.checkers[3]],
    });
    expect(byProvider.get(e.cheater)).toMatchObject({
      verdict: Verdict.FAIL,
      failures: 3,
      slashAmount: (500n * 10n ** 18n) / 10n,
    });
    expect(byProvider.get(e.quiet)).toMatchObject({ verdict: Verdict.INCONCLUSIVE, slashAmount: 0n });
    // Sorted by address.
    const sorted = [...report.results.map((r) => r.provider.toLowerCase())].sort();
    expect(report.results.map((r) => r.provider.toLowerCase())).toEqual(sorted);

    const { header } = report;
    expect(header.providerCount).toBe(3);
    expect(header.attestationCount).toBe(10);
    expect(header.totalRewards).toBe(report.rewards.reduce((s, r) => s + r.amount, 0n));
    expect(header.totalRewards).toBeLessThanOrEqual(params.epochRewardPool);
    expect(header.resultsRoot).toBe(report.resultsTree?.root);
    expect(header.rewardsRoot).toBe(report.rewardsTree?.root);

    // Only the passing provider is paid; every license with counted seats is.
    const providerLeaves = report.rewards.filter((r) => r.beneficiary === Beneficiary.PROVIDER);
    expect(providerLeaves).toEqual([
      {
        beneficiary: Beneficiary.PROVIDER,
        id: BigInt(e.honest),
        amount: (params.epochRewardPool * 7n) / 10n,
      },
    ]);
    expect(report.rewards.filter((r) => r.beneficiary === Beneficiary.LICENSE).map((r) => r.id)).toEqual([
      1n,
      2n,
      3n,
      4n,
      5n,
      6n,
      7n,
      8n,
    ]);

    for (const r of report.results) {
      expect(verifyResultProof(header.resultsRoot, r, resultProof(report.resultsTree!, r.provider))).toBe(
        true,
      );
    }
    for (const r of report.rewards) {
      expect(
        verifyRewardProof(header.rewardsRoot, r, rewardProof(report.rewardsTree!, r.beneficiary, r.id)),
      ).toBe(true);
    }
  });

  it("gives the same bytes for any permutation of its inputs (Map or array, any order)", () => {
    const e = smallEpoch();
    const reference = build(e);
    const participation = licenseParticipation(e.perProvider, e.licensesByChecker);
    fc.assert(
      fc.property(
        fc.shuffledSubarray(e.perProvider, { minLength: 3, maxLength: 3 }),
        fc.shuffledSubarray(participation, {
          minLength: participation.length,
          maxLength: participation.length,
        }),
        fc.array(fc.nat(), { minLength: 3, maxLength: 3 }),
        fc.boolean(),
        (providers, licenses, rotations, asMap) => {
          const shuffled = providers.map((p, i) => {
            const r = (rotations[i] ?? 0) % p.attestations.length;
            return { ...p, attestations: [...p.attestations.slice(r), ...p.attestations.slice(0, r)] };
          });
          const perProvider = asMap
            ? new Map(shuffled.map(({ provider, ...rest }) => [provider.toLowerCase() as Address, rest]))
            : shuffled;
          const report = buildReport({
            epoch: e.epoch,
            seed,
            perProvider,
            licenseParticipation: licenses,
            params,
          });
          expect(report.header).toEqual(reference.header);
          expect(report.results).toEqual(reference.results);
          expect(report.rewards).toEqual(reference.rewards);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("handles an epoch with nothing to report", () => {
    const report = buildReport({ epoch: 3n, seed, perProvider: [], licenseParticipation: [], params });
    expect(report.header).toEqual({
      epoch: 3n,
      seed,
      resultsRoot: EMPTY_ROOT,
      rewardsRoot: EMPTY_ROOT,
      totalRewards: 0n,
      providerCount: 0,
      attestationCount: 0,
    });
    expect(report.resultsTree).toBeUndefined();
    expect(report.rewardsTree).toBeUndefined();
  });

  it("refuses inconsistent input with typed errors", () => {
    const e = smallEpoch();
    const [first, ...rest] = e.perProvider;
    const participation = licenseParticipation(e.perProvider, e.licensesByChecker);
    const run = (over: Partial<Parameters<typeof buildReport>[0]>) => () =>
      buildReport({
        epoch: e.epoch,
        seed,
        perProvider: e.perProvider,
        licenseParticipation: participation,
        params,
        ...over,
      });
    expect(codeOf(run({ epoch: 0n }))).toBe(ReportErrorCode.INVALID_INPUT);
    expect(codeOf(run({ seed: "0x12" as Hex }))).toBe(ReportErrorCode.INVALID_INPUT);
    expect(codeOf(run({ epoch: 11n }))).toBe(ReportErrorCode.WRONG_EPOCH);
    expect(codeOf(run({ perProvider: [{ ...first!, provider: e.quiet }, ...rest] }))).toBe(
      ReportErrorCode.DUPLICATE_PROVIDER,
    );
    const foreign = attestation({ provider: e.quiet, checker: e.checkers[0]!, result: CheckResult.PASS });
    expect(
      codeOf(
        run({ perProvider: [{ ...first!, attestations: [{ attestation: foreign, seats: 1 }] }, ...rest] }),
      ),
    ).toBe(ReportErrorCode.WRONG_PROVIDER);
    const overclaim = participation.map((l, i) => (i === 0 ? { ...l, countedAttestations: 1_000 } : l));
    expect(codeOf(run({ licenseParticipation: overclaim }))).toBe(ReportErrorCode.LICENSE_OVERCLAIM);
    expect(codeOf(run({ licenseParticipation: [...participation, participation[0]!] }))).toBe(
      ReportErrorCode.DUPLICATE_LICENSE,
    );
    const stranger = [{ licenseId: 99n, checker: e.honest, countedAttestations: 1 }];
    expect(codeOf(run({ licenseParticipation: stranger }))).toBe(ReportErrorCode.LICENSE_OVERCLAIM);
  });
});

describe("licenseParticipation", () => {
  it("splits each operator's counted seats over its licenses, remainder to the lowest ids", () => {
    const e = smallEpoch();
    const p = licenseParticipation(e.perProvider, e.licensesByChecker);
    const byId = Object.fromEntries(p.map((l) => [String(l.licenseId), l.countedAttestations]));
    // checker-1: 2 seats × 2 attestations = 4 over licenses 2, 3; checker-3: 3 seats × 2 = 6 over 5, 6, 7.
    expect(byId).toEqual({ "1": 2, "2": 2, "3": 2, "4": 2, "5": 2, "6": 2, "7": 2, "8": 2 });
    const odd = licenseParticipation(e.perProvider, new Map([[e.checkers[0]!, [9n, 4n, 7n]]]));
    expect(odd).toEqual([
      { licenseId: 4n, checker: e.checkers[0], countedAttestations: 1 },
      { licenseId: 7n, checker: e.checkers[0], countedAttestations: 1 },
    ]);
  });
});

describe("checkReport", () => {
  it("accepts an identical header and names the first differing field otherwise", () => {
    const report = build();
    expect(() => checkReport(report.header, report)).not.toThrow();
    expect(() =>
      checkReport({ ...report.header, seed: report.header.seed.toUpperCase() as Hex }, report.header),
    ).not.toThrow();
    const changed: Record<(typeof REPORT_HEADER_FIELDS)[number], ReportHeader> = {
      epoch: { ...report.header, epoch: 11n },
      seed: { ...report.header, seed: keccak256(seed) },
      resultsRoot: { ...report.header, resultsRoot: keccak256(report.header.resultsRoot) },
      rewardsRoot: { ...report.header, rewardsRoot: EMPTY_ROOT },
      totalRewards: { ...report.header, totalRewards: report.header.totalRewards + 1n },
      providerCount: { ...report.header, providerCount: 4 },
      attestationCount: { ...report.header, attestationCount: 9 },
    };
    for (const field of REPORT_HEADER_FIELDS) {
      try {
        checkReport(changed[field], report);
        expect.unreachable(`${field} change was accepted`);
      } catch (e) {
        expect(e).toBeInstanceOf(ReportError);
        expect((e as ReportError).code).toBe(ReportErrorCode.MISMATCH);
        expect((e as ReportError).details.field).toBe(field);
      }
    }
  });
});
