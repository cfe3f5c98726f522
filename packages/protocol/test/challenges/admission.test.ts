import { describe, expect, it } from "vitest";
import { admissionWaitMs, MIN_ADMISSION_WAIT_MS, vramRefillNotice } from "../../src/challenges/admission.ts";
import { challengeSizesFor, GPU_CLASSES, vramDeadlineMs } from "../../src/challenges/gpu-classes.ts";
import { DEFAULT_PARAMS } from "../../src/params.ts";

describe("admission: the wait for a provider's device", () => {
  it("covers a whole committee's runs ahead, each within its deadline, and never less than the floor", () => {
    expect(admissionWaitMs(900, 8)).toBe(7_200);
    expect(admissionWaitMs(50, 8)).toBe(MIN_ADMISSION_WAIT_MS);
    expect(admissionWaitMs(0, 8)).toBe(MIN_ADMISSION_WAIT_MS);
  });

  it("gives no class a notice long enough to refill its VRAM dataset at the class's rate", () => {
    // At a 50 ms round trip the notice is the committee's walks: 8 × the walk's deadline.
    for (const cls of GPU_CLASSES) {
      const n = vramRefillNotice(cls.id, DEFAULT_PARAMS, 50);
      const steps = challengeSizesFor(cls.id, DEFAULT_PARAMS).vramWalkSteps;
      expect(n.noticeMs, cls.id).toBe(
        DEFAULT_PARAMS.committeeSize * vramDeadlineMs(cls.id, DEFAULT_PARAMS.vramBlockSize, steps, 50),
      );
      // The CPU reference holds 16 MiB; GPU classes gigabytes, at least 40 notices' worth of hashing.
      expect(n.ratio, cls.id).toBeGreaterThan(cls.id === "cpu-reference" ? 1 : 40);
    }
  });

  it("a larger committee lengthens the notice: at 64 seats the CPU reference could refill in time", () => {
    const big = vramRefillNotice("cpu-reference", { ...DEFAULT_PARAMS, committeeSize: 64 }, 50);
    expect(big.ratio).toBeLessThan(1);
  });
});
