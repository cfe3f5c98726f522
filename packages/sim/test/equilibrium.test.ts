import { describe, expect, it } from "vitest";
import { binomialTail, runEquilibrium, zeroCrossing } from "../src/equilibrium.ts";

describe("Proof-of-Sampling equilibrium", () => {
  it("computes binomial tails and zero crossings", () => {
    expect(binomialTail(10, 0.5, 0)).toBeCloseTo(1, 12);
    expect(binomialTail(10, 0.5, 10)).toBeCloseTo(1 / 1024, 12);
    expect(binomialTail(3, 0.2, 1)).toBeCloseTo(1 - 0.8 ** 3, 12);
    expect(zeroCrossing([0, 1, 2], [2, 1, -1])).toBeCloseTo(1.5, 12);
    expect(zeroCrossing([0, 1], [1, 2])).toBeNull();
  });

  it("simulated crossover agrees with the analytic p* = C / (q (S + R)) within 15%", async () => {
    const r = await runEquilibrium();
    expect(r.analyticCrossover).toBeGreaterThan(0.1);
    expect(r.analyticCrossover).toBeLessThan(0.25);
    expect(r.simulatedCrossover).not.toBeNull();
    expect(r.relativeError!).toBeLessThan(0.15);
    // Below the crossover cheating pays, above it it does not, in simulation as in theory.
    const first = r.rows[0]!;
    const last = r.rows.at(-1)!;
    expect(first.gainSimulated).toBeGreaterThan(0);
    expect(last.gainSimulated).toBeLessThan(0);
    for (const row of r.rows)
      expect(Math.abs(row.detectionSimulated - row.detectionAnalytic)).toBeLessThan(0.05);
  });

  it("moves the crossover when the penalty changes, as the formula says", async () => {
    const r = await runEquilibrium({
      overrides: { "params.slashBps": 600 },
      rates: [0.03, 0.06, 0.09, 0.12, 0.15],
    });
    expect(r.analyticCrossover).toBeLessThan(0.1);
    expect(r.relativeError!).toBeLessThan(0.2);
  });
});
