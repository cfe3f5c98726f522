import { gpuClass } from "@checkernet/protocol/challenges/gpu-classes";
import { answerPing, pingCodec, pingSchedule, pongCodec } from "@checkernet/protocol/challenges/latency";
import { regionById } from "@checkernet/protocol/challenges/regions";
import {
  type ChallengeTranscript,
  evaluateTranscript,
  runSeeds,
  TranscriptMessageType as T,
  type TranscriptMessage,
} from "@checkernet/protocol/challenges/transcript";
import {
  answerVram,
  generateVramBlock,
  vramDatasetSeed,
  vramRequestCodec,
  vramResponseCodec,
} from "@checkernet/protocol/challenges/vram";
import { withParams } from "@checkernet/protocol/params";
import { ChallengeKind, CheckResult } from "@checkernet/protocol/types";
import { type Address, bytesToHex, type Hex } from "viem";
import { afterEach, describe, expect, it } from "vitest";
import {
  EvaluationError,
  inlineEvaluator,
  WorkerTranscriptEvaluator,
} from "../../../src/challenges/evaluator.ts";

const PROVIDER: Address = "0x1111111111111111111111111111111111111111";
const CHECKER: Address = "0x2222222222222222222222222222222222222222";
/** A GPU class's sampling on the devnet's blocks: 17 blocks of 256 KiB regenerated (most of a second in JavaScript). */
const params = withParams({ vramSampledBlocks: 16 });
const BLOCK_SIZE = 262_144;
const BLOCK_COUNT = 24;

/** An honest VRAM run as the client records it (pings answered in 2 ms, the walk in 5 ms). */
function vramTranscript(runSeed: Hex, corruptDigest = false): ChallengeTranscript {
  const seeds = runSeeds(runSeed);
  const messages: TranscriptMessage[] = [];
  let now = 0;
  for (const ping of pingSchedule(seeds.latency, params)) {
    now = Math.max(now, ping.sendAtMs * 1000);
    messages.push({ type: T.PING, atUs: now, payload: bytesToHex(pingCodec.encode(ping)) });
    now += 2_000;
    messages.push({ type: T.PONG, atUs: now, payload: bytesToHex(pongCodec.encode(answerPing(ping))) });
  }
  const dataset = vramDatasetSeed(PROVIDER, `0x${"aa".repeat(32)}`);
  const request = {
    seed: dataset,
    blockSize: BLOCK_SIZE,
    blockCount: BLOCK_COUNT,
    nonce: seeds.vramNonce,
    steps: 64,
  };
  messages.push({ type: T.VRAM_REQUEST, atUs: now, payload: bytesToHex(vramRequestCodec.encode(request)) });
  const blocks = new Map<number, Uint8Array>();
  const block = (i: number) => {
    const cached = blocks.get(i);
    if (cached !== undefined) return cached;
    const b = generateVramBlock(dataset, i, BLOCK_SIZE);
    blocks.set(i, b);
    return b;
  };
  const response = answerVram(request, block);
  if (corruptDigest) response.digests = response.digests.map(() => `0x${"00".repeat(32)}` as Hex);
  now += 5_000;
  messages.push({
    type: T.VRAM_RESPONSE,
    atUs: now,
    payload: bytesToHex(vramResponseCodec.encode(response)),
  });
  return {
    version: 2,
    epoch: 3n,
    provider: PROVIDER,
    checker: CHECKER,
    kind: ChallengeKind.VRAM,
    checkerRegion: regionById("local").code,
    claimedRegion: regionById("local").code,
    classId: gpuClass("cpu-reference").code,
    seed: runSeed,
    messages,
  };
}

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
