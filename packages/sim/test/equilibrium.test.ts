import { describe, expect, it } from "vitest";
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
    expect(r.rowCatch).toBeCloseTo(1 - 0.95 ** 4, 12);
    expect(r.shielderShare).toBeCloseTo(0.3, 12);
    const [fp, vote] = r.arms;
    // With fraud proofs: one honest member's catch is enough.
    expect(fp!.qFraud).toBeGreaterThan(0.3);
    expect(fp!.analyticCrossover).toBeGreaterThan(0.15);
    expect(fp!.analyticCrossover).toBeLessThan(0.4);
    expect(fp!.simulatedCrossover).not.toBeNull();
    expect(fp!.relativeError!).toBeLessThan(0.2);
    // Vote only: a two-thirds FAIL almost never forms, no sampling rate deters.
    expect(vote!.qVote).toBeLessThan(0.01);
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
