import { gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { sampleRows, verifyMatmul } from "@checkernet/protocol/challenges/matmul";
import { answerVram, generateVramBlock, verifyVram } from "@checkernet/protocol/challenges/vram";
import { CheckResult } from "@checkernet/protocol/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackendErrorCode, CpuBackend } from "../src/backend/cpu.ts";

const seed = `0x${"11".repeat(32)}` as const;
const backend = new CpuBackend({ workers: 2, maxVramBytes: 1 << 20 });
beforeAll(() => backend.warmUp());
afterAll(() => backend.close());

describe("CpuBackend (worker threads running the protocol's reference solvers)", () => {
  it("commits to the exact product and opens rows that verify", async () => {
    const n = 64;
    const job = await backend.matmul(seed, n);
    const randomness = `0x${"22".repeat(32)}` as const;
    const rows = sampleRows(randomness, job.commitment, n, 4);
    const openings = await job.open(rows);
    const outcome = verifyMatmul({
      seed,
      n,
      classId: gpuClass("cpu-reference").code,
      commitment: { root: job.commitment, elapsedMs: Math.round(job.elapsedMs) },
      requestedRows: rows,
      randomness,
      openings,
      measuredMs: Math.max(1, job.elapsedMs + 1),
      networkRttMs: 0,
      params: { matmulMaxSize: 4096 },
    });
    expect(outcome.reasons).toEqual([]);
    expect(outcome.result).toBe(CheckResult.PASS);
    job.release();
    await expect(job.open(rows)).rejects.toMatchObject({ code: BackendErrorCode.RELEASED });
  });

  it("fills the VRAM dataset across workers and walks it like the reference", async () => {
    const dataset = { seed, blockCount: 8, blockSize: 1024 };
    expect(backend.vramResident()).toBeUndefined();
    await backend.vramPrepare(dataset);
    expect(backend.vramResident()).toEqual(dataset);
    const request = { ...dataset, nonce: `0x${"33".repeat(32)}` as const, steps: 12 };
    const got = await backend.vramWalk(request);
    const blocks = Array.from({ length: 8 }, (_, i) => generateVramBlock(seed, i, 1024));
    expect(got).toEqual(answerVram(request, (i) => blocks[i] as Uint8Array));
    const outcome = verifyVram({
      request,
      response: got,
      randomness: `0x${"44".repeat(32)}`,
      measuredMs: 1,
      networkRttMs: 0,
      classId: gpuClass("cpu-reference").code,
      params: { vramSampledBlocks: 4 },
    });
    expect(outcome.result).toBe(CheckResult.PASS);
  });

  it("refuses a walk over another dataset and a dataset above its memory", async () => {
    await expect(
      backend.vramWalk({
        seed: `0x${"55".repeat(32)}`,
        blockCount: 8,
        blockSize: 1024,
        nonce: seed,
        steps: 1,
      }),
    ).rejects.toMatchObject({ code: BackendErrorCode.NOT_RESIDENT });
    await expect(backend.vramPrepare({ seed, blockCount: 2048, blockSize: 1024 })).rejects.toMatchObject({
      code: BackendErrorCode.MEMORY_LIMIT,
    });
  });
});
