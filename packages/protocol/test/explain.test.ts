import fc from "fast-check";
import { type Address, getAddress, type Hex, keccak256, toHex } from "viem";
import { describe, expect, it } from "vitest";
import {
  ExplainError,
  ExplainErrorCode,
  explainLicense,
  explainLicenseEpoch,
  explainProvider,
  type PublishedReport,
  reportInputsOf,
  verifyPublishedReport,
} from "../src/explain.ts";
import { Beneficiary } from "../src/merkle/leaves.ts";
import { withParams } from "../src/params.ts";
import { buildReport, licenseParticipation } from "../src/scoring/report.ts";
import { CheckResult, Verdict } from "../src/types.ts";
import { attestation, smallEpoch } from "./scoring/fixtures.ts";

const params = withParams({ epochRewardPool: 1_000_000n, providerShareBps: 7_000 });
const seed = keccak256(toHex("explain-seed")) as Hex;

/** The small epoch of the report tests, built and published as a checker would. */
function published(): { report: PublishedReport; fx: ReturnType<typeof smallEpoch> } {
  const fx = smallEpoch();
  const perProvider = new Map(fx.perProvider.map((p) => [p.provider, p]));
  const built = buildReport({
    epoch: fx.epoch,
    seed,
    perProvider,
    licenseParticipation: licenseParticipation(perProvider, fx.licensesByChecker),
    params,
  });
  return {
    fx,
    report: {
      header: built.header,
      results: built.results,
      rewards: built.rewards,
      inputs: reportInputsOf(perProvider, fx.licensesByChecker, params),
    },
  };
}

describe("verifyPublishedReport", () => {
  it("accepts leaves and inputs that rebuild the on-chain roots", () => {
    const { report } = published();
    expect(() => verifyPublishedReport(report, report.header)).not.toThrow();
  });

  it("refuses leaves that do not hash to the on-chain root", () => {
    const { report } = published();
    const forged = {
      ...report,
      rewards: report.rewards.map((r, i) => (i === 0 ? { ...r, amount: r.amount + 1n } : r)),
    };
    const e = (() => {
      try {
        verifyPublishedReport(forged, report.header);
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(ExplainError);
    expect((e as ExplainError).code).toBe(ExplainErrorCode.ROOT_MISMATCH);
  });

  it("refuses inputs that do not rebuild the published leaves (a forged stake or seat)", () => {
    const { report } = published();
    const inputs = report.inputs!;
    const forged: PublishedReport = {
      ...report,
      inputs: {
        ...inputs,
        providers: inputs.providers.map((p, i) => (i === 0 ? { ...p, stake: p.stake * 2n } : p)),
      },
    };
    expect(() => verifyPublishedReport(forged, report.header)).toThrow(ExplainErrorCode.INPUTS_MISMATCH);
    const seats: PublishedReport = {
      ...report,
      inputs: {
        ...inputs,
        params: { ...inputs.params, providerShareBps: 6_000 },
      },
    };
    expect(() => verifyPublishedReport(seats, report.header)).toThrow(ExplainErrorCode.INPUTS_MISMATCH);
  });
});

describe("explainLicenseEpoch", () => {
  it("shows seats, the per-license share of the operator's seats, the pool share and the leaf amount", () => {
    const { report, fx } = published();
    // checker-3 holds licenses 5, 6, 7 and 3 seats on each of the honest and cheater committees: W = 6, m = 3.
    const e = explainLicenseEpoch(report, 6n);
    expect(e.operator).toBe(fx.checkers[3]);
    expect(e.operatorSeats).toBe(6);
    expect(e.operatorLicenses).toBe(3);
    expect(e.licenseIndex).toBe(1);
    expect(e.countedAttestations).toBe(2);
    expect(e.attestations.map((a) => [a.provider, a.seats, a.result])).toEqual([
      ...[
        [fx.honest, 3, CheckResult.FAIL],
        [fx.cheater, 3, CheckResult.FAIL],
      ].sort((a, b) => (String(a[0]).toLowerCase() < String(b[0]).toLowerCase() ? -1 : 1)),
    ]);
    expect(e.attestations.every((a) => a.quorumReached)).toBe(true);
    // Σ c = all seats of all checkers: honest 1+2+1+3, cheater 1+2+3+1, quiet 1+1 = 16.
    expect(e.totalCountedAttestations).toBe(16);
    expect(e.licensePool).toBe(300_000n);
    expect(e.amount).toBe((300_000n * 2n) / 16n);
    expect(e.leafAmount).toBe(e.amount);
    expect(e.payable).toBe(e.amount);
  });

  it("a forfeited epoch (operator jailed) pays nothing though its leaf exists", () => {
    const { report } = published();
    const e = explainLicenseEpoch(report, 1n, { forfeited: true });
    expect(e.leafAmount).toBeGreaterThan(0n);
    expect(e.payable).toBe(0n);
  });

  it("a license delegated to nobody in the epoch earns nothing, with no operator", () => {
    const { report } = published();
    const e = explainLicenseEpoch(report, 99n);
    expect(e.operator).toBeNull();
    expect(e.amount).toBe(0n);
    expect(e.leafAmount).toBe(0n);
  });

  it("refuses a report without inputs", () => {
    const { report } = published();
    expect(() => explainLicenseEpoch({ ...report, inputs: undefined }, 1n)).toThrow(
      ExplainErrorCode.NO_INPUTS,
    );
  });

  it("the recomputed amount equals the leaf for every license, for random epochs (property)", () => {
    const addr = (i: number): Address => getAddress(toHex(i + 1, { size: 20 }));
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 5 }),
        fc.array(
          fc.record({
            stake: fc.bigInt({ min: 0n, max: 10n ** 21n }),
            results: fc.array(
              fc.constantFrom(CheckResult.PASS, CheckResult.FAIL, CheckResult.TIMEOUT, null),
              {
                minLength: 5,
                maxLength: 5,
              },
            ),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        (licenses, providers) => {
          const checkers = licenses.map((_, i) => addr(100 + i));
          let next = 1n;
          const licensesByChecker = new Map(
            checkers.map((c, i) => [c, Array.from({ length: licenses[i]! }, () => next++)]),
          );
          const perProvider = new Map(
            providers.map((p, j) => {
              const provider = addr(j);
              const attestations = checkers.flatMap((checker, i) => {
                const result = p.results[i];
                if (result === null || result === undefined) return [];
                return [
                  {
                    attestation: attestation({
                      epoch: 5n,
                      provider,
                      checker,
                      result,
                      latencyP50Us: 1_000 * (i + 1),
                    }),
                    seats: licenses[i]!,
                  },
                ];
              });
              return [provider, { stake: p.stake, attestations }];
            }),
          );
          const built = buildReport({
            epoch: 5n,
            seed,
            perProvider,
            licenseParticipation: licenseParticipation(perProvider, licensesByChecker),
            params,
          });
          const report: PublishedReport = {
            header: built.header,
            results: built.results,
            rewards: built.rewards,
            inputs: reportInputsOf(perProvider, licensesByChecker, params),
          };
          verifyPublishedReport(report, built.header);
          for (const id of [...licensesByChecker.values()].flat()) {
            const e = explainLicense([{ report }], id);
            const leaf = built.rewards.find((r) => r.beneficiary === Beneficiary.LICENSE && r.id === id);
            expect(e.total).toBe(leaf?.amount ?? 0n);
          }
          for (const provider of perProvider.keys()) {
            const e = explainProvider(report, provider);
            expect(e.reward).toBe(e.leafReward);
            expect(e.slashAmount).toBe(e.leafSlashAmount);
          }
        },
      ),
      { numRuns: 40, seed: 7 },
    );
  });
});

describe("explainProvider", () => {
  it("shows the verdict rule, the score terms, the reward share and the slash", () => {
    const { report, fx } = published();
    const honest = explainProvider(report, fx.honest);
    expect(honest.verdict).toBe(Verdict.PASS);
    expect(honest.weight).toBe(7);
    expect(honest.failureWeight).toBe(3);
    expect(honest.passBps).toBe(Math.floor((4 * 10_000) / 7));
    expect(honest.failureQuorumReached).toBe(false);
    expect(honest.reward).toBe(honest.leafReward);
    expect(honest.reward).toBeGreaterThan(0n);
    expect(honest.slashAmount).toBe(0n);

    const cheater = explainProvider(report, fx.cheater);
    expect(cheater.verdict).toBe(Verdict.FAIL);
    expect(cheater.failureQuorumReached).toBe(true);
    expect(cheater.slashAmount).toBe((cheater.stake * BigInt(params.slashBps)) / 10_000n);
    expect(cheater.slashAmount).toBe(cheater.leafSlashAmount);
    expect(cheater.reward).toBe(0n);
    // Three failing attestations (failureWeight above), two of them FAIL: the TIMEOUT accuses nobody.
    expect(cheater.accusers.length).toBe(2);

    const quiet = explainProvider(report, fx.quiet);
    expect(quiet.quorumReached).toBe(false);
    expect(quiet.verdict).toBe(Verdict.INCONCLUSIVE);
  });

  it("refuses a provider the report does not hold, and a non-address", () => {
    const { report } = published();
    expect(() => explainProvider(report, getAddress(`0x${"12".repeat(20)}`))).toThrow(
      ExplainErrorCode.UNKNOWN_PROVIDER,
    );
    expect(() => explainProvider(report, "0xnope" as Address)).toThrow(ExplainErrorCode.INVALID_INPUT);
  });
});
