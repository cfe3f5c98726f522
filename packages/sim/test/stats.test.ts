import { describe, expect, it } from "vitest";
import {
  incompleteBeta,
  logGamma,
  normalQuantile,
  studentTCdf,
  studentTQuantile,
  tInterval,
  wilsonInterval,
} from "../src/stats.ts";

describe("confidence-interval maths", () => {
  it("computes log-gamma and the incomplete beta function", () => {
    expect(logGamma(1)).toBeCloseTo(0, 13);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 12);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(incompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
    // I_x(2, 3) = 6x² − 8x³ + 3x⁴
    expect(incompleteBeta(0.4, 2, 3)).toBeCloseTo(6 * 0.16 - 8 * 0.064 + 3 * 0.0256, 12);
    expect(studentTCdf(0, 7)).toBeCloseTo(0.5, 14);
    // df = 1 is the Cauchy distribution.
    expect(studentTCdf(1, 1)).toBeCloseTo(0.75, 12);
  });

  it("matches published Student t quantiles", () => {
    const table: [number, number, number][] = [
      [0.975, 1, 12.706204736],
      [0.975, 2, 4.30265273],
      [0.975, 4, 2.776445105],
      [0.975, 7, 2.364624252],
      [0.975, 9, 2.262157163],
      [0.975, 30, 2.042272456],
      [0.975, 120, 1.979930405],
      [0.995, 10, 3.169272673],
      [0.95, 5, 2.015048373],
    ];
    for (const [p, df, t] of table) expect(studentTQuantile(p, df)).toBeCloseTo(t, 7);
    expect(studentTQuantile(0.025, 4)).toBeCloseTo(-2.776445105, 7);
    expect(studentTQuantile(0.975, Number.POSITIVE_INFINITY)).toBeCloseTo(1.959963985, 8);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829304, 8);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326347874, 8);
  });

  it("gives the t interval of a mean", () => {
    const iv = tInterval([1, 2, 3, 4, 5]);
    // mean 3, s = √2.5, t(0.975, 4) = 2.776445
    expect(iv.mean).toBe(3);
    expect(iv.halfWidth).toBeCloseTo((2.776445105 * Math.sqrt(2.5)) / Math.sqrt(5), 7);
    expect(iv.lo).toBeCloseTo(3 - iv.halfWidth, 12);
    expect(iv.method).toBe("t");
    expect(tInterval([0.1 + 0.2, 0.3, 0.3]).halfWidth).toBe(0);
    expect(() => tInterval([1])).toThrow(RangeError);
  });

  it("gives Wilson's interval of a proportion", () => {
    const iv = wilsonInterval(8, 10);
    expect(iv.mean).toBe(0.8);
    expect(iv.lo).toBeCloseTo(0.4901625, 6);
    expect(iv.hi).toBeCloseTo(0.9433178, 6);
    const none = wilsonInterval(0, 50);
    expect(none.lo).toBe(0);
    expect(wilsonInterval(50, 50).hi).toBe(1);
    expect(none.hi).toBeCloseTo(0.0713476, 6);
    expect(wilsonInterval(0, 0)).toMatchObject({ mean: 0, lo: 0, hi: 1, n: 0 });
  });
});
