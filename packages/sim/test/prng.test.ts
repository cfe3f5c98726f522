import { describe, expect, it } from "vitest";
import { Prng } from "../src/prng.ts";

describe("Prng", () => {
  it("gives the same stream for the same seed and labels", () => {
    const a = Prng.derive(42, "committee", 3);
    const b = Prng.derive(42, "committee", 3);
    const xs = Array.from({ length: 100 }, () => a.nextUint32());
    const ys = Array.from({ length: 100 }, () => b.nextUint32());
    expect(xs).toEqual(ys);
  });

  it("gives different streams for different seeds or labels", () => {
    const first = (p: Prng) => Array.from({ length: 8 }, () => p.nextUint32());
    const base = first(Prng.derive(42, "committee", 3));
    expect(first(Prng.derive(43, "committee", 3))).not.toEqual(base);
    expect(first(Prng.derive(42, "committee", 4))).not.toEqual(base);
    expect(first(Prng.derive(42, "committe", 3))).not.toEqual(base);
  });

  it("draws uniforms in [0, 1) with the right mean", () => {
    const p = Prng.derive("u");
    let sum = 0;
    for (let i = 0; i < 20_000; i++) {
      const x = p.next();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      sum += x;
    }
    expect(sum / 20_000).toBeCloseTo(0.5, 1);
  });

  it("draws binomials with mean n·p and variance n·p·(1-p)", () => {
    const p = Prng.derive("b");
    const n = 20_000;
    const draws = Array.from({ length: 5_000 }, () => p.binomial(n, 8 / n));
    const mean = draws.reduce((s, x) => s + x, 0) / draws.length;
    const variance = draws.reduce((s, x) => s + (x - mean) ** 2, 0) / draws.length;
    expect(mean).toBeGreaterThan(7.8);
    expect(mean).toBeLessThan(8.2);
    expect(variance).toBeGreaterThan(7.4);
    expect(variance).toBeLessThan(8.6);
    expect(p.binomial(10, 0)).toBe(0);
    expect(p.binomial(10, 1)).toBe(10);
  });

  it("draws 256-bit tickets below 2^256", () => {
    const p = Prng.derive("t");
    for (let i = 0; i < 100; i++) {
      const t = p.uint256();
      expect(t >= 0n && t < 1n << 256n).toBe(true);
    }
  });
});
