import { describe, expect, it } from "vitest";
import { measureSeedBias, seedBiasText } from "../src/seedBias.ts";

describe("seed-bias measurement", () => {
  const options = { fractions: [0.25, 1 / 3], eventProbability: 0.02, horizon: 30, trials: 8_000, seed: 7 };

  it("measures a multiplier above 1 and within the 1/(1-2f) bound, close to the exact optimum", () => {
    const rows = measureSeedBias(options);
    expect(rows.map((r) => r.bound)).toEqual([2, expect.closeTo(3, 3)]);
    for (const r of rows) {
      expect(r.measured).toBeGreaterThan(1);
      expect(r.measured - 3 * r.standardError).toBeLessThanOrEqual(r.bound);
      expect(Math.abs(r.measured - r.exact)).toBeLessThan(4 * r.standardError + 0.05);
    }
    expect(seedBiasText(rows, options)).toContain("within the bound");
  });

  it("is reproducible from its seed and refuses fractions outside (0, 1/2)", () => {
    expect(measureSeedBias(options)).toEqual(measureSeedBias(options));
    expect(() => measureSeedBias({ ...options, fractions: [0.5] })).toThrow(RangeError);
  });
});
