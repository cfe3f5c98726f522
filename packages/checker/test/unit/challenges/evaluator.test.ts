import { evaluateTranscript } from "@checkernet/protocol/challenges/transcript";
import { CheckResult } from "@checkernet/protocol/types";
import type { Hex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import {
  EvaluationError,
  inlineEvaluator,
  WorkerTranscriptEvaluator,
} from "../../../src/challenges/evaluator.ts";
import { vramRun, vramRunParams } from "../../utils/vramRun.ts";

const params = vramRunParams;
/** An honest VRAM run as the client records it, or one whose every digest is wrong. */
const vramTranscript = (runSeed: Hex, corruptDigest = false) =>
  vramRun(runSeed, corruptDigest ? { wrongFrom: 0 } : {});

/** setImmediate turns the event loop makes while `work` is pending: ~0 when work blocks the loop. */
async function loopTurnsDuring<T>(work: () => Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let done = false;
  const spin = (): void => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  const value = await work();
  done = true;
  return { value, turns };
}

let evaluator: WorkerTranscriptEvaluator | undefined;
afterEach(async () => {
  await evaluator?.close();
  evaluator = undefined;
});

describe("WorkerTranscriptEvaluator", () => {
  const honest = vramTranscript(`0x${"5e".repeat(32)}`);
  const lying = vramTranscript(`0x${"6f".repeat(32)}`, true);

  it("gives exactly evaluateTranscript's outcome, for passing and failing runs", async () => {
    evaluator = new WorkerTranscriptEvaluator(params);
    for (const t of [honest, lying]) {
      const [fromWorker, inline] = await Promise.all([
        evaluator.evaluate(t),
        inlineEvaluator(params).evaluate(t),
      ]);
      expect(fromWorker).toEqual(evaluateTranscript(t, params));
      expect(fromWorker).toEqual(inline);
    }
    expect((await evaluator.evaluate(honest)).result).toBe(CheckResult.PASS);
    expect((await evaluator.evaluate(lying)).result).toBe(CheckResult.FAIL);
    expect(evaluator.offThread).toBe(true);
  });

  it("keeps the event loop turning while a VRAM run is evaluated (inline blocks it)", async () => {
    evaluator = new WorkerTranscriptEvaluator(params);
    await evaluator.evaluate(honest); // the worker's start-up is not what is measured
    const off = await loopTurnsDuring(() => evaluator!.evaluate(honest));
    const inline = await loopTurnsDuring(() => inlineEvaluator(params).evaluate(honest));
    expect(off.value).toEqual(inline.value);
    // Inline, evaluateTranscript runs before the first turn; in the worker the loop keeps
    // turning for the whole regeneration (hundreds of turns even on a loaded machine).
    expect(inline.turns).toBeLessThanOrEqual(1);
    expect(off.turns).toBeGreaterThan(20);
  });

  it("passes on evaluateTranscript's refusal of a forged transcript with its code", async () => {
    evaluator = new WorkerTranscriptEvaluator(params);
    const forged = { ...honest, seed: `0x${"77".repeat(32)}` as Hex };
    const err = await evaluator.evaluate(forged).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EvaluationError);
    expect((err as EvaluationError).code).toBe("CHALLENGE_ERROR_INVALID_TRANSCRIPT");
    expect((err as EvaluationError).name).toBe("ChallengeError");
    // The worker survives a refusal.
    expect((await evaluator.evaluate(honest)).result).toBe(CheckResult.PASS);
  });

  it("evaluates inline what was pending when the evaluator closes, and after", async () => {
    evaluator = new WorkerTranscriptEvaluator(params);
    const pending = evaluator.evaluate(honest);
    await evaluator.close();
    expect((await pending).result).toBe(CheckResult.PASS);
    expect((await evaluator.evaluate(lying)).result).toBe(CheckResult.FAIL);
  });

  it("loads only the protocol's challenge code in the worker: no viem root barrel, no logger, no libp2p", async () => {
    /** Modules of a package the worker thread loaded, by package directory under node_modules. */
    const byPackage = (urls: string[], name: string) =>
      urls.filter((u) => u.includes(`/node_modules/${name}/`));
    evaluator = new WorkerTranscriptEvaluator(params);
    const slim = await evaluator.workerModules();
    expect(slim?.slimViem).toBe(true);
    const loaded = slim?.loaded ?? [];
    expect(loaded.some((u) => u.endsWith("/challenges/transcript.ts"))).toBe(true);
    // viem's root barrel (_esm/index.js) pulls 361 viem modules with abitype and ox: +16 MiB in the thread.
    expect(loaded.filter((u) => /\/node_modules\/viem\/_esm\/index\.js$/.test(u))).toEqual([]);
    expect(byPackage(loaded, "viem").length).toBeLessThan(60);
    expect(byPackage(loaded, "ox")).toEqual([]);
    for (const pkg of ["pino", "libp2p", "@libp2p", "prom-client", "level", "@chainsafe"]) {
      expect(byPackage(loaded, pkg), pkg).toEqual([]);
    }
    // Same outcomes from the slim graph as from the whole of viem.
    expect(await evaluator.evaluate(honest)).toEqual(evaluateTranscript(honest, params));
    expect(await evaluator.evaluate(lying)).toEqual(evaluateTranscript(lying, params));

    await evaluator.close();
    evaluator = new WorkerTranscriptEvaluator(params, undefined, { slimViem: false });
    const whole = (await evaluator.workerModules())?.loaded ?? [];
    expect(byPackage(whole, "viem").length).toBeGreaterThan(300);
  });
});
