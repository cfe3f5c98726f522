/**
 * The checker's VRAM check alone: CPU and array-buffer memory of one `verifyVram` of an honest walk at
 * the default parameters (256 steps, 256 KiB blocks, 16 sampled steps + step 0: up to 17 blocks
 * regenerated), and of regenerating one block, with the V8 flags the checker's launcher sets
 * (packages/checker/bin/ts-loader.js) passed by the caller:
 *
 *   node --max-semi-space-size=1 --max-opt=2 --no-sparkplug --import tsx bench/vramCheck.ts [vram.ts path]
 *
 * The optional path times another copy of vram.ts (the code before a change, say) in the same way.
 * Prints one JSON line; docs/footprint.md quotes it.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { bytesToHex } from "viem";
import { DEFAULT_PARAMS } from "../packages/protocol/src/params.ts";
import { CheckResult } from "../packages/protocol/src/types.ts";

type Vram = typeof import("../packages/protocol/src/challenges/vram.ts");
const modulePath = process.argv[2] ?? "packages/protocol/src/challenges/vram.ts";
const vram: Vram = await import(pathToFileURL(resolve(modulePath)).href);
const ROUNDS = Number(process.env.VRAM_CHECK_ROUNDS ?? 15);

const blockSize = DEFAULT_PARAMS.vramBlockSize;
const seed = bytesToHex(new Uint8Array(32).fill(0x5a));
// An honest walk over a dataset of 64 blocks: the walk itself reads the provider's stored blocks.
const blockCount = 64;
const blocks = Array.from({ length: blockCount }, (_, i) => vram.generateVramBlock(seed, i, blockSize));

function cpuMs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const verifyCpu: number[] = [];
const blockCpu: number[] = [];
const arrayBufferGrowth: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const nonce = new Uint8Array(32);
  nonce[0] = round;
  const request = {
    seed,
    blockSize,
    blockCount,
    nonce: bytesToHex(nonce),
    steps: DEFAULT_PARAMS.vramWalkSteps,
  };
  const response = vram.answerVram(request, (i) => blocks[i] as Uint8Array);
  const before = process.memoryUsage().arrayBuffers;
  let result: number = CheckResult.FAIL;
  verifyCpu.push(
    cpuMs(() => {
      result = vram.verifyVram({
        request,
        response,
        randomness: bytesToHex(new Uint8Array(32).fill(round)),
        classId: "cpu-reference",
        measuredMs: 1,
        networkRttMs: 1,
        params: DEFAULT_PARAMS,
      }).result;
    }),
  );
  arrayBufferGrowth.push((process.memoryUsage().arrayBuffers - before) / 2 ** 20);
  if (result !== CheckResult.PASS) throw new Error(`an honest walk did not pass (${result})`);
  blockCpu.push(cpuMs(() => vram.generateVramBlock(seed, round, blockSize)));
}
console.log(
  JSON.stringify({
    module: modulePath,
    rounds: ROUNDS,
    execArgv: process.execArgv.filter((f) => f.startsWith("--max") || f.startsWith("--no-")),
    verifyCpuMs: { median: median(verifyCpu), min: Math.min(...verifyCpu), max: Math.max(...verifyCpu) },
    blockCpuMs: { median: median(blockCpu), min: Math.min(...blockCpu) },
    arrayBuffersGrowthMiB: { median: median(arrayBufferGrowth), max: Math.max(...arrayBufferGrowth) },
  }),
);
