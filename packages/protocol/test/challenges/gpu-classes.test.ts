import { describe, expect, it } from "vitest";
import { ChallengeError } from "../../src/challenges/common.ts";
import {
  CHALLENGE_WORK_TARGET_SECONDS,
  challengeSizesFor,
  FIXED_ALLOWANCE_MS,
  GPU_CLASSES,
  gpuClass,
  MATMUL_COMPUTE_SLACK,
  MIN_MATMUL_N,
  MIN_VRAM_WALK_STEPS,
  matmulDeadlineMs,
  matmulHostBytes,
  VRAM_GENERATION_COST_RATIO,
  VRAM_HASH_SLACK,
  vramDeadlineMs,
  vramRegenerationMs,
} from "../../src/challenges/gpu-classes.ts";
import { DEFAULT_PARAMS } from "../../src/params.ts";

describe("GPU class table", () => {
  it("has unique ids and codes, positive rates and a cited source", () => {
    expect(new Set(GPU_CLASSES.map((c) => c.id)).size).toBe(GPU_CLASSES.length);
    expect(new Set(GPU_CLASSES.map((c) => c.code)).size).toBe(GPU_CLASSES.length);
    for (const c of GPU_CLASSES) {
      expect(c.int8OpsPerSecond).toBeGreaterThan(0);
      expect(c.hostBytesPerSecond).toBeGreaterThan(0);
      expect(c.vramBytes).toBeGreaterThan(0);
      expect(c.source.length).toBeGreaterThan(10);
      expect(gpuClass(c.id)).toBe(c);
      expect(gpuClass(c.code)).toBe(c);
    }
    expect(gpuClass("h100-sxm").int8OpsPerSecond).toBe(1979e12);
    expect(gpuClass("a100-80gb").int8OpsPerSecond).toBe(624e12);
    expect(gpuClass("cpu-reference").code).toBe(1);
  });

  it("refuses unknown classes with a typed error", () => {
    expect(() => gpuClass("tpu-v5")).toThrow(ChallengeError);
    expect(() => gpuClass(999)).toThrow(ChallengeError);
  });
});

describe("matmulHostBytes", () => {
  it("counts the inputs and one keccak block per node of the row tree v2", () => {
    // n = 8: one chunk per row, so 8 chunk leaves, no inner row-tree nodes, 8 row leaves and 7 top nodes.
    expect(matmulHostBytes(8)).toBe(2 * 64 + (8 + 0 + 8 + 7) * 136);
    // About 36n² for large n (2n² generated, n²/4 permutations of 136 bytes).
    expect(matmulHostBytes(4096) / 4096 ** 2).toBeCloseTo(36, 1);
  });
});

describe("matmulDeadlineMs", () => {
  it("is compute · slack + host work · slack + 2·RTT + fixed allowance", () => {
    const n = 128;
    const cls = gpuClass("cpu-reference");
    const expected =
      ((2 * n ** 3) / cls.int8OpsPerSecond) * MATMUL_COMPUTE_SLACK * 1000 +
      (matmulHostBytes(n) / cls.hostBytesPerSecond) * 2 * 1000 +
      2 * 30 +
      FIXED_ALLOWANCE_MS;
    expect(matmulDeadlineMs("cpu-reference", n, 30, DEFAULT_PARAMS)).toBeCloseTo(expected, 9);
  });

  it("grows with n and the RTT and shrinks with a faster class", () => {
    const p = DEFAULT_PARAMS;
    expect(matmulDeadlineMs("t4", 2048, 10, p)).toBeLessThan(matmulDeadlineMs("t4", 4096, 10, p));
    expect(matmulDeadlineMs("t4", 2048, 10, p)).toBeLessThan(matmulDeadlineMs("t4", 2048, 50, p));
    expect(matmulDeadlineMs("h100-sxm", 8192, 10, p)).toBeLessThan(matmulDeadlineMs("t4", 8192, 10, p));
    expect(matmulDeadlineMs("cpu-reference", 1024, 0, p)).toBeGreaterThan(10_000);
  });

  it("refuses n above matmulMaxSize", () => {
    expect(() => matmulDeadlineMs("t4", DEFAULT_PARAMS.matmulMaxSize + 1, 10, DEFAULT_PARAMS)).toThrow(
      ChallengeError,
    );
    expect(() => matmulDeadlineMs("t4", 0, 10, DEFAULT_PARAMS)).toThrow(ChallengeError);
    expect(() => matmulDeadlineMs("t4", 64, -1, DEFAULT_PARAMS)).toThrow(ChallengeError);
  });
});

describe("VRAM deadline", () => {
  const { vramBlockSize: size, vramWalkSteps: steps } = DEFAULT_PARAMS;

  it("a non-storing provider needs 1 + 4.25 walk times, the deadline allows 2", () => {
    expect(VRAM_GENERATION_COST_RATIO).toBe(4.25);
    expect(VRAM_HASH_SLACK).toBeLessThan(1 + VRAM_GENERATION_COST_RATIO);
    const honest = vramDeadlineMs("h100-sxm", size, steps, 0) - FIXED_ALLOWANCE_MS;
    expect(vramRegenerationMs("h100-sxm", size, steps) / honest).toBeCloseTo(5.25 / 2, 9);
  });

  it("with default parameters, regeneration misses the deadline for every class at RTTs up to 100 ms", () => {
    for (const c of GPU_CLASSES) {
      expect(vramRegenerationMs(c.id, size, steps)).toBeGreaterThan(vramDeadlineMs(c.id, size, steps, 100));
      // ...even on a host 1.5× faster than the class assumes.
      expect(vramRegenerationMs(c.id, size, steps) / 1.5).toBeGreaterThan(
        vramDeadlineMs(c.id, size, steps, 100),
      );
    }
  });
});

describe("challengeSizesFor", () => {
  it("keeps the protocol's sizes for every GPU class", () => {
    for (const c of GPU_CLASSES.filter((x) => x.id !== "cpu-reference")) {
      expect(challengeSizesFor(c.id, DEFAULT_PARAMS), c.id).toEqual({
        matmulN: DEFAULT_PARAMS.matmulSize,
        vramWalkSteps: DEFAULT_PARAMS.vramWalkSteps,
      });
    }
  });

  it("shrinks the CPU reference's workload into the work budget, keeping the VRAM walk's catch margin", () => {
    const { matmulN, vramWalkSteps } = challengeSizesFor("cpu-reference", DEFAULT_PARAMS);
    const cls = gpuClass("cpu-reference");
    expect(matmulN).toBe(256);
    expect((2 * matmulN ** 3) / cls.int8OpsPerSecond).toBeLessThanOrEqual(
      CHALLENGE_WORK_TARGET_SECONDS.matmul,
    );
    // The next size up would not have fit: the largest workload within the budget.
    expect((2 * (2 * matmulN) ** 3) / cls.int8OpsPerSecond).toBeGreaterThan(
      CHALLENGE_WORK_TARGET_SECONDS.matmul,
    );
    expect(vramWalkSteps).toBeLessThan(DEFAULT_PARAMS.vramWalkSteps);
    expect(vramWalkSteps).toBeGreaterThanOrEqual(MIN_VRAM_WALK_STEPS);
    const block = DEFAULT_PARAMS.vramBlockSize;
    // Within the budget, unless the budget is below the shortest walk worth a challenge.
    if (vramWalkSteps > MIN_VRAM_WALK_STEPS)
      expect((vramWalkSteps * (32 + block)) / cls.hostBytesPerSecond).toBeLessThanOrEqual(
        CHALLENGE_WORK_TARGET_SECONDS.vram,
      );
    else
      expect((MIN_VRAM_WALK_STEPS * (32 + block)) / cls.hostBytesPerSecond).toBeGreaterThan(
        CHALLENGE_WORK_TARGET_SECONDS.vram,
      );
    // A provider that regenerates blocks instead of storing them still misses the deadline.
    expect(vramRegenerationMs("cpu-reference", block, vramWalkSteps)).toBeGreaterThan(
      vramDeadlineMs("cpu-reference", block, vramWalkSteps, 1),
    );
  });

  it("never goes below the minimum sizes, nor above the protocol's", () => {
    const tiny = { matmulSize: 32, vramWalkSteps: 4, vramBlockSize: DEFAULT_PARAMS.vramBlockSize };
    expect(challengeSizesFor("cpu-reference", tiny)).toEqual({ matmulN: 32, vramWalkSteps: 4 });
    const huge = { matmulSize: 1 << 14, vramWalkSteps: 256, vramBlockSize: 1 << 26 };
    const sizes = challengeSizesFor("cpu-reference", huge);
    // From any protocol size down to the same fitting power of two.
    expect(sizes.matmulN).toBe(256);
    expect(sizes.matmulN).toBeGreaterThanOrEqual(MIN_MATMUL_N);
    expect(sizes.vramWalkSteps).toBe(MIN_VRAM_WALK_STEPS);
  });
});
