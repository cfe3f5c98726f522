import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import { describe, expect, it } from "vitest";
import { rowCatchProbability, samplingShape } from "../src/engine/fraud.ts";
import { binomialTail, equilibriumText, runEquilibrium, zeroCrossing } from "../src/equilibrium.ts";

describe("Proof-of-Sampling equilibrium", () => {
  it("computes binomial tails and zero crossings", () => {
    expect(binomialTail(10, 0.5, 0)).toBeCloseTo(1, 12);
    expect(binomialTail(10, 0.5, 10)).toBeCloseTo(1 / 1024, 12);
    expect(binomialTail(3, 0.2, 1)).toBeCloseTo(1 - 0.8 ** 3, 12);
    expect(binomialTail(3, 1, 3)).toBe(1);
    expect(binomialTail(3, 0, 1)).toBe(0);
    expect(zeroCrossing([0, 1, 2], [2, 1, -1])).toBeCloseTo(1.5, 12);
    expect(zeroCrossing([0, 1], [1, 2])).toBeNull();
  });

  it("simulated crossover agrees with the analytic s* = C / (qV (S + R) + qF Sf) within 15%, with and without fraud proofs", async () => {
    const r = await runEquilibrium();
    const [fp, vote] = r.arms;
    expect(fp?.fraudProofs).toBe(true);
    expect(vote?.fraudProofs).toBe(false);
    // Vote only: the pre-issue-11 crossover (q = P(at least minAttestations seated)).
    expect(vote!.qFraud).toBe(0);
    expect(vote!.analyticCrossover).toBeGreaterThan(0.1);
    expect(vote!.analyticCrossover).toBeLessThan(0.25);
    // A diverted GPU's rows are all wrong: every honest matmul run is a fraud proof, so the crossover drops.
    expect(fp!.qFraud).toBeGreaterThan(0.45);
    expect(fp!.analyticCrossover).toBeLessThan(vote!.analyticCrossover * 0.75);
    for (const arm of r.arms) {
      expect(arm.simulatedCrossover).not.toBeNull();
      expect(arm.relativeError!).toBeLessThan(0.15);
      // Below the crossover cheating pays, above it it does not, in simulation as in theory.
      expect(arm.rows[0]!.gainSimulated).toBeGreaterThan(0);
      expect(arm.rows.at(-1)!.gainSimulated).toBeLessThan(0);
      for (const row of arm.rows) {
        expect(Math.abs(row.voteFailSimulated - row.voteFailAnalytic)).toBeLessThan(0.05);
        expect(Math.abs(row.fraudSlashSimulated - row.fraudSlashAnalytic)).toBeLessThan(0.05);
      }
    }
  });

  it("moves the crossover when the penalty changes, as the formula says", async () => {
    const r = await runEquilibrium({
      overrides: { "params.slashBps": 600 },
      rates: [0.03, 0.06, 0.09, 0.12, 0.15],
      fraudProofs: [false],
    });
    expect(r.arms[0]!.analyticCrossover).toBeLessThan(0.1);
    expect(r.arms[0]!.relativeError!).toBeLessThan(0.2);
  });

  it("with 30% shielders and 5% wrong rows, only fraud proofs give a sampling rate that deters", async () => {
    const r = await runEquilibrium({ scenario: "equilibrium-colluders" });
    // The protocol's exact detection at the default shape (8 rows of 1,024, 52 of them wrong): 0.342.
    expect(r.rowCatch).toBeCloseTo(rowCatchProbability(0.05, samplingShape(DEFAULT_PARAMS)), 12);
    expect(r.rowCatch).toBeCloseTo(0.3419, 4);
    expect(r.shielderShare).toBeCloseTo(0.3, 12);
    const [fp, vote] = r.arms;
    // With fraud proofs: one honest member's catch is enough.
    expect(fp!.qFraud).toBeGreaterThan(0.3);
    expect(fp!.analyticCrossover).toBeGreaterThan(0.15);
    expect(fp!.analyticCrossover).toBeLessThan(0.4);
    expect(fp!.simulatedCrossover).not.toBeNull();
    expect(fp!.relativeError!).toBeLessThan(0.2);
    // Vote only: a two-thirds FAIL rarely forms (under 5 % of checked epochs with the default opened rows), no
    // sampling rate deters.
    expect(vote!.qVote).toBeLessThan(0.05);
    expect(vote!.analyticCrossover).toBeGreaterThan(1);
    expect(vote!.simulatedCrossover).toBeNull();
    for (const row of vote!.rows) expect(row.gainSimulated).toBeGreaterThan(0);
  });
});

describe("Proof-of-Sampling equilibrium with replicates", () => {
  it("30% shielders: the analytic s* with fraud proofs lies inside the simulated s*'s 95 % interval", async () => {
    const r = await runEquilibrium({ scenario: "equilibrium-colluders", fraudProofs: [true], replicates: 3 });
    const fp = r.arms[0]!;
    expect(r.replicates).toBe(3);
    expect(fp.simulatedCrossoverLo).not.toBeNull();
    expect(fp.simulatedCrossoverHi).not.toBeNull();
    expect(fp.simulatedCrossoverLo!).toBeLessThan(fp.simulatedCrossover!);
    expect(fp.simulatedCrossoverHi!).toBeGreaterThan(fp.simulatedCrossover!);
    expect(fp.analyticInsideInterval).toBe(true);
    for (const row of fp.rows) {
      expect(row.fraudSlashSimulatedLo!).toBeLessThanOrEqual(row.fraudSlashAnalytic);
      expect(row.fraudSlashSimulatedHi!).toBeGreaterThanOrEqual(row.fraudSlashAnalytic);
    }
    expect(equilibriumText(r)).toContain("simulated s* 95 % interval (3 replicates)");
  });
});

describe("equilibrium with colluders: Proof-of-Sampling's form and the exact binomial", () => {
  it("30% colluding checkers shield a diverted GPU: the exact threshold lies inside the simulated s*'s 95 % interval, and both forms are printed with their difference", async () => {
    const r = await runEquilibrium({
      scenario: "equilibrium-collusion",
      rates: [0.2, 0.25, 0.3],
      fraudProofs: [false],
      replicates: 4,
    });
    const vote = r.arms[0]!;
    expect(r.shielderShare).toBeCloseTo(0.3, 12);
    expect(vote.analyticInsideInterval).toBe(true);
    expect(vote.simulatedCrossoverLo!).toBeLessThanOrEqual(vote.analyticCrossover);
    expect(vote.simulatedCrossoverHi!).toBeGreaterThanOrEqual(vote.analyticCrossover);
    // Proof-of-Sampling's form: C / ((1 − r)(R + S)).
    expect(vote.posCrossover).toBeCloseTo(r.C / ((1 - 0.3) * (r.R + vote.S)), 12);
    // The vote is not one verifier: a FAIL needs more than two thirds of the seats, so qV < 1 − r here.
    expect(vote.qVote).toBeLessThan(0.7);
    expect(vote.analyticCrossover).toBeGreaterThan(vote.posCrossover);
    const text = equilibriumText(r);
    expect(text).toContain("PoS form s* = C / ((1 − r)(R + S)), r = 0.300");
    expect(text).toMatch(
      /without \(vote only\): exact \/ PoS = 1\.\d+; the vote fails the cheater with qV = 0\.6\d+, not 1 − r = 0\.700/,
    );
  });

  it("the worked example (docs/simulator.md): Proof-of-Sampling's published s* = 5 / 31.75 lies inside the simulated 95 % interval with no colluders", async () => {
    const r = await runEquilibrium({ rates: [0.1, 0.15, 0.2], fraudProofs: [false], replicates: 4 });
    const vote = r.arms[0]!;
    expect(r.shielderShare).toBe(0);
    expect(vote.posCrossover).toBeCloseTo(5 / 31.75, 12);
    expect(vote.simulatedCrossoverLo!).toBeLessThanOrEqual(vote.posCrossover);
    expect(vote.simulatedCrossoverHi!).toBeGreaterThanOrEqual(vote.posCrossover);
    // The numbers the worked example prints: 0.1579 [0.1449, 0.1717].
    expect(vote.simulatedCrossover!).toBeCloseTo(0.1579, 3);
    expect(vote.simulatedCrossoverLo!).toBeCloseTo(0.1449, 3);
    expect(vote.simulatedCrossoverHi!).toBeCloseTo(0.1717, 3);
  });

  it("refuses bad inputs before any run, in one line that says what to fix", async () => {
    await expect(runEquilibrium({ scenario: "baseline", rates: [0.1] })).rejects.toThrow(
      /needs a provider group with cheatRate: 1 or wrongRows > 0/,
    );
    await expect(runEquilibrium({ scenario: "equilibrium", rates: [0.3, 0.2] })).rejects.toThrow(
      /--rates: rates must increase/,
    );
    await expect(runEquilibrium({ scenario: "equilibrium", rates: [0.2, Number.NaN] })).rejects.toThrow(
      /--rates: each rate must be a number in \(0, 1\], got "NaN" at position 2/,
    );
    await expect(
      runEquilibrium({
        scenario: "equilibrium",
        rates: [0.2],
        overrides: { providerGroups: [{ name: "cheater", count: 400, strategy: { cheatRate: 1 } }] },
      }),
    ).rejects.toThrow(/compares "cheater" with the default group "honest"/);
  });
});
