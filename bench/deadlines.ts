/**
 * CPU-reference deadlines against measured answer times (issue 15).
 *
 * The provider's real backend (`CpuBackend`, 2 worker threads as the devnet
 * runs it, the cpu-reference class's dataset of `vramBlockCount` blocks)
 * answers the workloads a checker asks of a cpu-reference provider
 * (`challengeSizesFor`): VRAM walks and matmuls (time to the commitment). A
 * sample is the time from submitting a request to getting its answer (queue +
 * compute: what the checker's clock sees minus the network), plus the 1 ms RTT
 * the deadline is computed for. Cells: k = 1, 3, 6 requests arriving together
 * (a committee's runs; 6 checkers in the devnet), on the machine as it is
 * ("idle") and with one core kept 100 % busy by a child process ("busy").
 *
 * Per cell: p50/p95/p99/max, the deadline, p = the share of answers later than
 * the deadline (the single-run false-positive rate), and the second chance
 * measured directly: after a round with a late answer, a pause drawn from
 * SECOND_CHANCE_PAUSE_MS, then one more round of k requests under the same
 * load; q = the share of those answers that are late again, p_pair = p · q
 * (both runs late), shown next to p².
 *
 * Also: a non-storing provider (regenerates every visited block, then hashes
 * it) and the `slow:15` fault on an idle machine, against the same deadlines:
 * both must miss (ratio to the deadline > 1).
 *
 *   npm run bench:deadlines [-- --samples 42 --max-retries 6]
 *   (writes bench/results/deadlines.json)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import {
  challengeSizesFor,
  gpuClass,
  matmulDeadlineMs,
  vramDeadlineMs,
} from "@checkernet/protocol/challenges/gpu-classes";
import { SECOND_CHANCE_PAUSE_MS } from "@checkernet/protocol/challenges/secondChance";
import {
  answerVram,
  generateVramBlock,
  type VramRequest,
  vramBlockCount,
  vramDatasetSeed,
} from "@checkernet/protocol/challenges/vram";
import { DEFAULT_PARAMS } from "@checkernet/protocol/params";
import { type ComputeBackend, CpuBackend, SlowBackend } from "@checkernet/provider";
import { bytesToHex, type Hex } from "viem";

const { values } = parseArgs({
  options: {
    samples: { type: "string", default: "42" },
    "max-retries": { type: "string", default: "6" },
  },
});
/** Answers per cell (rounds = samples / k). */
const SAMPLES = Number(values.samples);
/** Second-chance rounds per cell at most, to bound the bench's time (each costs a 0.5-2.5 s pause). */
const MAX_RETRIES = Number(values["max-retries"]);
const CLASS = "cpu-reference";
const WORKERS = 2; // scripts/devnet/params.ts providerWorkers
const COMMITTEE = 6; // the devnet's checkers
const KS = [1, 3, COMMITTEE];
const RTT_MS = 1;
const SLOW_FACTOR = 15;
const FAULT_SAMPLES = 3;
const NON_STORING_SAMPLES = 6;

const params = DEFAULT_PARAMS;
const cls = gpuClass(CLASS);
const sizes = challengeSizesFor(CLASS, params);
const blockSize = params.vramBlockSize;
// As the provider CLI and the checker compute it: the class's VRAM × vramFillBps.
const blockCount = vramBlockCount(cls.vramBytes, blockSize, params);
const dataset = {
  seed: vramDatasetSeed("0x00000000000000000000000000000000000000b5", `0x${"11".repeat(32)}`),
  blockCount,
  blockSize,
};
const deadlines = {
  vram: vramDeadlineMs(CLASS, blockSize, sizes.vramWalkSteps, RTT_MS),
  matmul: matmulDeadlineMs(CLASS, sizes.matmulN, RTT_MS, params),
};

type Workload = keyof typeof deadlines;
type Load = "idle" | "busy";

function fresh(): Hex {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
}

function walkRequest(): VramRequest {
  return { ...dataset, nonce: fresh(), steps: sizes.vramWalkSteps };
}

/** One request: ms from submitting it to its answer (the commitment for a matmul), plus the RTT. */
async function once(backend: ComputeBackend, workload: Workload): Promise<number> {
  const t0 = performance.now();
  if (workload === "vram") {
    await backend.vramWalk(walkRequest());
  } else {
    const job = await backend.matmul(fresh(), sizes.matmulN);
    const ms = performance.now() - t0;
    job.release();
    return ms + RTT_MS;
  }
  return performance.now() - t0 + RTT_MS;
}

/** k requests arriving together; their answer times in submission order. */
function round(backend: ComputeBackend, workload: Workload, k: number): Promise<number[]> {
  return Promise.all(Array.from({ length: k }, () => once(backend, workload)));
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Smallest number of failing seats out of `seats` that makes a FAIL (failing · 10000 > quorum · seats). */
function failSeats(seats: number): number {
  return Math.floor((params.failureQuorumBps * seats) / 10_000) + 1;
}

function binomialAtLeast(n: number, m: number, p: number): number {
  let sum = 0;
  let c = 1; // C(n, i)
  for (let i = 0; i <= n; i++) {
    if (i > 0) c = (c * (n - i + 1)) / i;
    if (i >= m) sum += c * p ** i * (1 - p) ** (n - i);
  }
  return sum;
}

interface Cell {
  workload: Workload;
  load: Load;
  k: number;
  rounds: number;
  samples: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  deadlineMs: number;
  late: number;
  /** Single-run false-positive rate: late / samples. */
  p: number;
  retryRounds: number;
  retrySamples: number;
  retryLate: number;
  /** Late again after a late round: retryLate / retrySamples (null without a retry). */
  q: number | null;
  /** Both runs late: p · q (0 when nothing was late). */
  pPair: number;
  pSquared: number;
  /** Rounds of k = COMMITTEE with a second chance: seats whose first and second run were both late. */
  committeeRounds?: { firstLate: number; finalLate: number }[];
  /** Every answer time, ms, first runs and second-chance runs (to recompute p against another deadline). */
  timesMs: number[];
  retryTimesMs: number[];
  /** One-minute load average at the cell's start and end. */
  loadavg1: [number, number];
  wallS: number;
}

async function cell(backend: ComputeBackend, workload: Workload, load: Load, k: number): Promise<Cell> {
  const started = performance.now();
  const loadStart = os.loadavg()[0] as number;
  const deadlineMs = deadlines[workload];
  const rounds = Math.ceil(SAMPLES / k);
  const all: number[] = [];
  const retries: number[] = [];
  const committeeRounds: { firstLate: number; finalLate: number }[] = [];
  let retryRounds = 0;
  for (let r = 0; r < rounds; r++) {
    const times = await round(backend, workload, k);
    all.push(...times);
    const late = times.map((t) => t > deadlineMs);
    if (late.some(Boolean) && retryRounds < MAX_RETRIES) {
      retryRounds++;
      const pause =
        SECOND_CHANCE_PAUSE_MS.min +
        Math.random() * (SECOND_CHANCE_PAUSE_MS.max - SECOND_CHANCE_PAUSE_MS.min);
      await sleep(pause);
      // The same k and load again; which queue position a retried seat gets is random.
      const again = shuffled(await round(backend, workload, k));
      retries.push(...again);
      if (k === COMMITTEE) {
        committeeRounds.push({
          firstLate: late.filter(Boolean).length,
          finalLate: late.filter((l, i) => l && (again[i] as number) > deadlineMs).length,
        });
      }
    }
    await sleep(20);
  }
  const sorted = [...all].sort((a, b) => a - b);
  const lateCount = all.filter((t) => t > deadlineMs).length;
  const retryLate = retries.filter((t) => t > deadlineMs).length;
  const p = lateCount / all.length;
  const q = retries.length === 0 ? null : retryLate / retries.length;
  return {
    workload,
    load,
    k,
    rounds,
    samples: all.length,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] as number,
    deadlineMs,
    late: lateCount,
    p,
    retryRounds,
    retrySamples: retries.length,
    retryLate,
    q,
    pPair: q === null ? 0 : p * q,
    pSquared: p * p,
    ...(k === COMMITTEE ? { committeeRounds } : {}),
    timesMs: all.map((t) => Math.round(t * 10) / 10),
    retryTimesMs: retries.map((t) => Math.round(t * 10) / 10),
    loadavg1: [loadStart, os.loadavg()[0] as number],
    wallS: (performance.now() - started) / 1000,
  };
}

/**
 * A provider that stores nothing: each visited block regenerated, then hashed
 * (answerVram with a regenerating callback), in this thread. Also returns the
 * hashing part alone (the total less the regeneration), the honest walk's
 * compute on the same thread and blocks.
 */
function nonStoringWalk(): { ms: number; hashMs: number } {
  let regenMs = 0;
  const t0 = performance.now();
  answerVram(walkRequest(), (i) => {
    const r0 = performance.now();
    const block = generateVramBlock(dataset.seed, i, blockSize);
    regenMs += performance.now() - r0;
    return block;
  });
  const ms = performance.now() - t0;
  return { ms: ms + RTT_MS, hashMs: ms - regenMs };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(x > 0 && x < 0.01 ? 2 : 1)} %`;
}

let busy: ChildProcess | undefined;
const stopBusy = (): void => {
  busy?.kill("SIGKILL");
  busy = undefined;
};
process.on("exit", stopBusy);
process.on("SIGINT", () => {
  stopBusy();
  process.exit(130);
});

const benchStarted = performance.now();
const loadavgStart = os.loadavg();
console.error(
  `${CLASS}: walk ${sizes.vramWalkSteps} steps × ${blockSize} B over ${blockCount} blocks (deadline ${deadlines.vram.toFixed(1)} ms), matmul n = ${sizes.matmulN} (deadline ${deadlines.matmul.toFixed(1)} ms), rtt ${RTT_MS} ms; ${WORKERS} workers; loadavg ${loadavgStart.map((x) => x.toFixed(2)).join(" ")}`,
);
const backend = new CpuBackend({ workers: WORKERS, maxVramBytes: blockCount * blockSize });
await backend.warmUp();
await backend.vramPrepare(dataset);
// JIT warm-up of the real paths, not measured.
await round(backend, "vram", WORKERS);
await round(backend, "matmul", WORKERS);

const cells: Cell[] = [];
const loadavgByLoad: Record<Load, number[]> = { idle: [], busy: [] };
for (const load of ["idle", "busy"] as const) {
  if (load === "busy") {
    busy = spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" });
    await sleep(500);
  }
  for (const workload of ["vram", "matmul"] as const) {
    for (const k of KS) {
      const c = await cell(backend, workload, load, k);
      cells.push(c);
      loadavgByLoad[load].push(...c.loadavg1);
      console.error(
        `  ${workload} ${load} k=${k}: p50 ${c.p50Ms.toFixed(0)} ms, max ${c.maxMs.toFixed(0)} ms, late ${c.late}/${c.samples}, retried ${c.retryLate}/${c.retrySamples} late (${c.wallS.toFixed(1)} s)`,
      );
    }
  }
  stopBusy();
}

// Cheaters, on the machine without the busy core.
await sleep(500);
const nonStoringRuns = Array.from({ length: NON_STORING_SAMPLES }, nonStoringWalk);
const nonStoring = nonStoringRuns.map((r) => r.ms);
// What the margin rests on: the non-storing walk's cost in walks (1 + VRAM_GENERATION_COST_RATIO = 5.25 by
// the count of keccak permutations), this machine's single-thread keccak rate, and the rate above which a
// non-storing provider would meet the deadline (its walk time scales as 1 / rate, the deadline does not).
const hashedBytes = sizes.vramWalkSteps * (32 + blockSize);
const hashMsMedian = percentile(
  nonStoringRuns.map((r) => r.hashMs).sort((a, b) => a - b),
  50,
);
const regenRatioMedian = percentile(
  nonStoringRuns.map((r) => (r.ms - RTT_MS) / r.hashMs).sort((a, b) => a - b),
  50,
);
const margin = {
  hashedBytes,
  honestHashMsOneThread: hashMsMedian,
  keccakBytesPerSecond: hashedBytes / (hashMsMedian / 1000),
  nonStoringOverHonest: regenRatioMedian,
  deadlineOverHonest: deadlines.vram / hashMsMedian,
  /** Single-thread keccak rate at or above which a non-storing provider answers within the deadline. */
  breakEvenBytesPerSecond: (hashedBytes * regenRatioMedian) / ((deadlines.vram - RTT_MS) / 1000),
  classBytesPerSecond: cls.hostBytesPerSecond,
};
const slowBackend = new SlowBackend(backend, SLOW_FACTOR);
const slow: Record<Workload, number[]> = { vram: [], matmul: [] };
for (const workload of ["vram", "matmul"] as const) {
  for (let i = 0; i < FAULT_SAMPLES; i++) slow[workload].push(await once(slowBackend, workload));
}
await backend.close();

const faultRow = (name: string, times: number[], deadlineMs: number) => {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    name,
    samples: times.length,
    minMs: sorted[0] as number,
    p50Ms: percentile(sorted, 50),
    deadlineMs,
    /** The catch margin: the cheater's fastest answer over the deadline; must stay > 1. */
    minOverDeadline: (sorted[0] as number) / deadlineMs,
    p50OverDeadline: percentile(sorted, 50) / deadlineMs,
    caught: times.filter((t) => t > deadlineMs).length,
  };
};
const faults = [
  faultRow("non-storing VRAM walk (regenerate + hash, one thread)", nonStoring, deadlines.vram),
  faultRow(`slow:${SLOW_FACTOR} VRAM walk`, slow.vram, deadlines.vram),
  faultRow(`slow:${SLOW_FACTOR} matmul`, slow.matmul, deadlines.matmul),
];

// The headline cell of each workload (one core busy, a committee's runs together), and what it means for a committee.
const headline = (w: Workload): Cell =>
  cells.find((c) => c.workload === w && c.load === "busy" && c.k === COMMITTEE) as Cell;
const worstP = (w: Workload): number => Math.max(...cells.filter((c) => c.workload === w).map((c) => c.p));
const seatsToFail = failSeats(COMMITTEE);
const committee = (["vram", "matmul"] as const).map((w) => {
  const c = headline(w);
  const measured = c.committeeRounds ?? [];
  return {
    workload: w,
    cell: `${c.load}, k = ${c.k}`,
    worstPAnyCell: worstP(w),
    seats: COMMITTEE,
    seatsToFail,
    p: c.p,
    pPair: c.pPair,
    /** P(≥ seatsToFail of 6 seats late), seats independent: without and with the second chance. */
    binomialFirstRun: binomialAtLeast(COMMITTEE, seatsToFail, c.p),
    binomialWithSecondChance: binomialAtLeast(COMMITTEE, seatsToFail, c.pPair),
    /** Rounds of 6 (correlated: one machine) with a second chance, and how many had ≥ seatsToFail seats late twice. */
    rounds: c.rounds,
    measuredRounds: measured.length,
    measuredRoundsFailing: measured.filter((r) => r.finalLate >= seatsToFail).length,
  };
});

console.log(
  `\n${CLASS} answer times (ms from request to answer + ${RTT_MS} ms RTT; ${WORKERS} workers, ${os.cpus().length} cores; loadavg idle ${Math.min(...loadavgByLoad.idle).toFixed(1)}-${Math.max(...loadavgByLoad.idle).toFixed(1)}, busy ${Math.min(...loadavgByLoad.busy).toFixed(1)}-${Math.max(...loadavgByLoad.busy).toFixed(1)})`,
);
console.table(
  cells.map((c) => ({
    workload: c.workload === "vram" ? `vram ${sizes.vramWalkSteps} steps` : `matmul n=${sizes.matmulN}`,
    load: c.load,
    k: c.k,
    n: c.samples,
    p50: Number(c.p50Ms.toFixed(0)),
    p95: Number(c.p95Ms.toFixed(0)),
    p99: Number(c.p99Ms.toFixed(0)),
    max: Number(c.maxMs.toFixed(0)),
    deadline: Number(c.deadlineMs.toFixed(0)),
    p: pct(c.p),
    "late again": `${c.retryLate}/${c.retrySamples}`,
    p_pair: pct(c.pPair),
    "p²": pct(c.pSquared),
  })),
);
console.log("cheaters (idle machine): fastest answer / deadline must stay > 1");
console.table(
  faults.map((f) => ({
    provider: f.name,
    n: f.samples,
    min: Number(f.minMs.toFixed(0)),
    p50: Number(f.p50Ms.toFixed(0)),
    deadline: Number(f.deadlineMs.toFixed(0)),
    "min/deadline": Number(f.minOverDeadline.toFixed(2)),
    caught: `${f.caught}/${f.samples}`,
  })),
);
console.log(
  `committee of ${COMMITTEE}: a FAIL needs ≥ ${seatsToFail} failing seats (failureQuorumBps ${params.failureQuorumBps})`,
);
console.table(
  committee.map((c) => ({
    workload: c.workload,
    cell: c.cell,
    "P(FAIL) first run": c.binomialFirstRun.toExponential(1),
    "P(FAIL) second chance": c.binomialWithSecondChance.toExponential(1),
    "rounds failing twice / retried / all": `${c.measuredRoundsFailing}/${c.measuredRounds}/${c.rounds}`,
  })),
);
const vw = headline("vram");
const mw = headline("matmul");
const [nonStoringRow] = faults;
const summary = [
  `${CLASS} VRAM: single-run FP p = ${pct(vw.p)} (${vw.load}, k = ${vw.k}); with the second chance ${pct(vw.pPair)} measured (p² ${pct(vw.pSquared)}); non-storing walk ${nonStoringRow?.minOverDeadline.toFixed(2)}× the deadline (fastest of ${NON_STORING_SAMPLES}; it costs ${margin.nonStoringOverHonest.toFixed(2)} walks and the deadline is ${margin.deadlineOverHonest.toFixed(2)} walks at this machine's ${(margin.keccakBytesPerSecond / 1e6).toFixed(1)} MB/s keccak, so a host above ${(margin.breakEvenBytesPerSecond / 1e6).toFixed(1)} MB/s would meet it)`,
  `${CLASS} matmul: single-run FP p = ${pct(mw.p)} (${mw.load}, k = ${mw.k}); with the second chance ${pct(mw.pPair)} measured (p² ${pct(mw.pSquared)}); slow:${SLOW_FACTOR} ${faults[2]?.minOverDeadline.toFixed(2)}× the deadline`,
];
for (const line of summary) console.log(line);

const wallS = (performance.now() - benchStarted) / 1000;
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(
  new URL("./results/deadlines.json", import.meta.url),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model,
        node: process.version,
        loadavgStart,
        loadavgEnd: os.loadavg(),
      },
      class: CLASS,
      workers: WORKERS,
      rttMs: RTT_MS,
      sizes,
      blockSize,
      blockCount,
      deadlines,
      secondChancePauseMs: SECOND_CHANCE_PAUSE_MS,
      cells,
      faults,
      nonStoringMargin: margin,
      committee,
      summary,
      wallS,
    },
    null,
    2,
  )}\n`,
);
console.log(`wrote bench/results/deadlines.json (${wallS.toFixed(0)} s)`);
