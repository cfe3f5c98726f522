import { type Hex, keccak256, toBytes } from "viem";
import { describe, expect, it } from "vitest";
import { sampleColumns, sampledEntryCount, sampleRows } from "../../src/challenges/matmul.ts";
import {
  cheaterSaving,
  detectionLowerBound,
  detectionProbability,
  missProbability,
  worstCaseDetection,
} from "../../src/challenges/matmul-detection.ts";
import { DEFAULT_PARAMS } from "../../src/params.ts";

const r = DEFAULT_PARAMS.matmulSampledRows;
const hexOf = (label: string, k: number): Hex => keccak256(toBytes(`${label}:${k}`));

describe("matmul detection per run (matmul-detection.ts)", () => {
  it("is today's whole-row formula when every entry is recomputed", () => {
    const n = 1024;
    const W = 51;
    let miss = 1;
    for (let t = 0; t < r; t++) miss *= (n - W - t) / (n - t);
    const today = { n, rows: r, entries: n };
    expect(missProbability(today, { wrongRows: W, wrongEntriesPerRow: 1 })).toBeCloseTo(miss, 12);
    expect(missProbability(today, { wrongRows: W, wrongEntriesPerRow: n })).toBeCloseTo(miss, 12);
    expect(missProbability(today, { wrongRows: 0, wrongEntriesPerRow: n })).toBe(1);
    expect(missProbability(today, { wrongRows: n, wrongEntriesPerRow: 1 })).toBe(0);
  });

  it("keeps the whole-row check's worst case for every saving: the cheater's best spread is (nearly) whole rows", () => {
    // To within 10^-6 (a shape with fewer entries, s = 8, is within 10^-8): at n = 256 and w = 1 % the
    // cheater's best is 3 rows wrong in 220 of 256 entries each (as few rows as whole rows need), and such a
    // row hides from s = 16 samples with probability ~10^-16.
    for (const n of [256, 1024, 4096]) {
      const today = { n, rows: r, entries: n };
      const sampled = { n, rows: r, entries: sampledEntryCount(n) };
      for (const w of [0.01, 0.02, 0.05, 0.1, 0.25, 0.5]) {
        const before = worstCaseDetection(today, w).detection;
        const after = worstCaseDetection(sampled, w).detection;
        expect(after).toBeGreaterThanOrEqual(before - 1e-6);
        expect(after).toBeCloseTo(detectionProbability(sampled, cheaterSaving(n, w, n)), 6);
        expect(after).toBeGreaterThanOrEqual(detectionLowerBound(r, w) - 1e-12);
      }
    }
  });

  it("matches the protocol's own sampling (sampleRows, sampleColumns), 4,000 runs", () => {
    const n = 128;
    const s = sampledEntryCount(n);
    // 16 wrong rows (every 8th), each wrong in 3 columns: q = 3/128, w = 3/1024.
    const wrongRows = new Set(Array.from({ length: 16 }, (_, k) => 8 * k + 3));
    const wrongColumns = new Set([5, 70, 127]);
    const runs = 4_000;
    let caught = 0;
    for (let k = 0; k < runs; k++) {
      const randomness = hexOf("randomness", k);
      const root = hexOf("root", k);
      const hit = sampleRows(randomness, root, n, r).some(
        (i) => wrongRows.has(i) && sampleColumns(randomness, root, n, i).some((j) => wrongColumns.has(j)),
      );
      if (hit) caught++;
    }
    const p = detectionProbability({ n, rows: r, entries: s }, { wrongRows: 16, wrongEntriesPerRow: 3 });
    const sigma = Math.sqrt(runs * p * (1 - p));
    expect(Math.abs(caught - runs * p)).toBeLessThan(5 * sigma);
  });
});
