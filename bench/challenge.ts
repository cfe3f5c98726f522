/**
 * Checker-vs-provider work per challenge, with the JavaScript reference code
 * on both sides.
 *
 * MATMUL, for n = 1024, 2048, 4096: the provider's work (generate A and B,
 * n³ int8 multiply-accumulates, hash n rows and build the row tree, open r
 * rows) against the checker's (one `verifyMatmul` call: r rows of A and s
 * columns of B per row, r·s·n MACs for the s sampled entries of each opened
 * row, r chunk trees and row paths; the median of VERIFY_REPEATS calls), and against the whole-row check it
 * replaced (all of B, r·n² MACs) for comparison. When the full
 * product would take longer than PROVIDER_BUDGET_MS here, the provider's
 * product is timed on a number of rows and extrapolated linearly (every row
 * costs the same n² MACs), and the row says so.
 *
 * VRAM: block generation rate against hashing rate (the constant behind the
 * VRAM deadline), one honest walk against the checker's spot checks.
 *
 * Also: the PRNG (16 Mi int8) and our row tree against OpenZeppelin's
 * SimpleMerkleTree on 4096 leaves. And the provider's answer-key signing
 * per run (signing.ts) as a share of its work. And the checker's cost,
 * bytes and detection for candidate sample shapes (r, s) at each n
 * (matmulShapes.ts), the default among them. Prints tables and writes
 * bench/results/challenge.json.
 *
 *   npm run bench:challenge
 *   npm run bench:challenge -- --signing   (only the signing rows, merged into the existing json)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { SimpleMerkleTree } from "@openzeppelin/merkle-tree";
import { bytesToHex, type Hex, hexToBytes } from "viem";
import { VRAM_GENERATION_COST_RATIO } from "../packages/protocol/src/challenges/gpu-classes.ts";
import {
  commitRows,
  generateMatmul,
  generateMatmulB,
  matmulRowA,
  openRows,
  recomputeRow,
  rowLeaf,
  sampledEntryCount,
  sampleRows,
  solveMatmulRows,
  verifyMatmul,
  wrongSampledEntry,
} from "../packages/protocol/src/challenges/matmul.ts";
import { deriveKey, Xoshiro128 } from "../packages/protocol/src/challenges/prng.ts";
import { buildRowTree, processProof } from "../packages/protocol/src/challenges/row-tree.ts";
import {
  answerVram,
  generateVramBlock,
  verifyVram,
  vramSampleCount,
  vramStepDigest,
} from "../packages/protocol/src/challenges/vram.ts";
import { DEFAULT_PARAMS, withParams } from "../packages/protocol/src/params.ts";
import { CheckResult } from "../packages/protocol/src/types.ts";
import { benchShapes, type MatmulShapeRow, printShapes, SHAPE_ROWS } from "./matmulShapes.ts";
import { benchSigning, printSigning } from "./signing.ts";

const SIZES = [1024, 2048, 4096];
/**
 * Above this estimated time the provider's product is extrapolated from part of its rows. 60 s rather than
 * 90 s: the estimate comes from a short probe, and on a shared machine the full run can take half as long again.
 */
const PROVIDER_BUDGET_MS = 60_000;
/** Rows timed to estimate the full product. */
const PROBE_ROWS = 32;
/** Rows timed when extrapolating: enough for ~10 s of work at n = 4096. */
const EXTRAPOLATION_ROWS = 256;
const SEED = bytesToHex(keccak_256(new TextEncoder().encode("bench challenge seed")));
const RANDOMNESS = bytesToHex(keccak_256(new TextEncoder().encode("bench challenge randomness")));
const params = DEFAULT_PARAMS;
/** verifyMatmul calls timed per size; the ratios use the median. */
const VERIFY_REPEATS = 9;
const r = params.matmulSampledRows;

/**
 * Wall time and this process's CPU time (user + system). The machine the
 * bench runs on is usually shared, so wall time swings with other jobs; CPU
 * time is the steadier measure of the work itself, and the ratios use both.
 */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function time<T>(fn: () => T): { value: T; ms: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { value, ms, cpuMs: (c.user + c.system) / 1000 };
}

interface MatmulRow {
  n: number;
  sampledRows: number;
  providerMacs: number;
  providerGenerateMs: number;
  providerProductMs: number;
  providerProductBasis: string;
  providerCommitMs: number;
  providerOpenMs: number;
  providerTotalMs: number;
  providerTotalCpuMs: number;
  providerMacsPerSecond: number;
  /** Entries recomputed per opened row (min(n, MATMUL_SAMPLED_ENTRIES)). */
  sampledEntries: number;
  checkerMacs: number;
  /** r rows of A, s columns of B per row and r·s·n MACs. */
  checkerEntriesMs: number;
  /** r chunk trees (the row leaves) and r row paths, as verifyMatmul checks them. */
  checkerProofMs: number;
  /** Median of VERIFY_REPEATS calls (wall / CPU, ms); the ratios use these. */
  checkerVerifyCallMs: number;
  checkerVerifyCallCpuMs: number;
  /** The least CPU of the VERIFY_REPEATS calls. */
  checkerVerifyCallBestCpuMs: number;
  checkerResult: string;
  macRatio: number;
  wallRatio: number;
  cpuRatio: number;
  /** The whole-row check before issue 11's sampling: all of B, r rows of A, r·n² MACs (wall / CPU, ms). */
  wholeRowCheckMs: number;
  wholeRowCheckCpuMs: number;
  wholeRowCpuRatio: number;
  /** The candidate sample shapes (r, s) on the same product (matmulShapes.ts). */
  shapes: MatmulShapeRow[];
}

function benchMatmul(n: number): MatmulRow {
  console.error(`matmul n=${n}:`);
  const gen = time(() => generateMatmul(SEED, n));
  const { a, b } = gen.value;

  // Probe a few rows to decide between a full product and an extrapolation.
  const probe = time(() => solveMatmulRows(a, b, n, 0, PROBE_ROWS));
  const estimate = (probe.ms / PROBE_ROWS) * n;
  const c = new Int32Array(n * n);
  let productMs: number;
  let productCpuMs: number;
  let basis: string;
  let computed: number;
  if (estimate <= PROVIDER_BUDGET_MS) {
    const full = time(() => solveMatmulRows(a, b, n, 0, n));
    c.set(full.value);
    productMs = full.ms;
    productCpuMs = full.cpuMs;
    basis = "measured (full product)";
    computed = n;
  } else {
    const part = time(() => solveMatmulRows(a, b, n, 0, EXTRAPOLATION_ROWS));
    c.set(part.value);
    productMs = (part.ms / EXTRAPOLATION_ROWS) * n;
    productCpuMs = (part.cpuMs / EXTRAPOLATION_ROWS) * n;
    basis = `extrapolated from ${EXTRAPOLATION_ROWS} rows (${part.ms.toFixed(0)} ms measured)`;
    computed = EXTRAPOLATION_ROWS;
  }
  console.error(`  product ${productMs.toFixed(0)} ms, ${basis}`);
  // Hashing cost does not depend on the values, so a partly computed C costs the same to commit.
  const commit = time(() => commitRows(c, n));
  const { root, tree } = commit.value;
  // When extrapolating, the checker samples among the computed rows so the run verifies end to end;
  // its work (r rows of n² MACs each) is the same whichever rows they are.
  const requestedRows =
    computed === n ? sampleRows(RANDOMNESS, root, n, r) : sampleRows(RANDOMNESS, root, computed, r);
  const open = time(() => openRows(tree, c, requestedRows));
  const providerTotalMs = gen.ms + productMs + commit.ms + open.ms;
  const providerTotalCpuMs = gen.cpuMs + productCpuMs + commit.cpuMs + open.cpuMs;

  // Checker, step by step...
  const sample = { seed: SEED, randomness: RANDOMNESS, root, n };
  const entries = time(() =>
    requestedRows.map((i, k) => wrongSampledEntry(sample, i, open.value.rows[k] as Int32Array)),
  );
  if (!entries.value.every((e) => e === null)) throw new Error("bench: a sampled entry is wrong");
  // The opened rows against the root as verifyMatmul checks them: each row's chunk tree, then its row path.
  const proofs = time(() =>
    requestedRows.map((i, k) => {
      const top = processProof(
        rowLeaf(open.value.rows[k] as Int32Array, i),
        (open.value.proofs[k] as Hex[]).map((p) => hexToBytes(p)),
      );
      return bytesToHex(top) === root;
    }),
  );
  if (!proofs.value.every(Boolean)) throw new Error("bench: a proof did not verify");
  // ...the whole-row check it replaced (all of B, r whole rows), for comparison...
  const wholeRows = time(() => {
    const bb = generateMatmulB(SEED, n);
    return requestedRows.map((i, k) => {
      const row = recomputeRow(matmulRowA(SEED, n, i), bb, n, i);
      return row.every((v, j) => v === (open.value.rows[k] as Int32Array)[j]);
    });
  });
  if (!wholeRows.value.every(Boolean)) throw new Error("bench: an opened row differs from its recomputation");
  // ...and as the one call the checker makes, VERIFY_REPEATS times: it is a few ms and this machine is
  // shared, so one call's CPU can carry a GC pause or another job's cache misses. The ratio uses the median.
  const verifies = Array.from({ length: VERIFY_REPEATS }, () =>
    time(() =>
      verifyMatmul({
        seed: SEED,
        n,
        classId: "cpu-reference",
        commitment: { root, elapsedMs: 0 },
        requestedRows,
        randomness: RANDOMNESS,
        openings: open.value,
        measuredMs: 0,
        networkRttMs: 0,
        params,
      }),
    ),
  );
  for (const v of verifies) {
    if (v.value.result !== CheckResult.PASS) {
      throw new Error(`bench: verifyMatmul did not pass: ${JSON.stringify(v.value.reasons)}`);
    }
  }
  const verify = { ms: median(verifies.map((v) => v.ms)), cpuMs: median(verifies.map((v) => v.cpuMs)) };
  const bestCpuMs = Math.min(...verifies.map((v) => v.cpuMs));
  const shapeRows = sampleRows(RANDOMNESS, root, computed, SHAPE_ROWS);
  const shapes = benchShapes(
    { seed: SEED, randomness: RANDOMNESS, root, n },
    shapeRows,
    openRows(tree, c, shapeRows),
    providerTotalCpuMs,
  );
  const providerMacs = n ** 3;
  const s = sampledEntryCount(n);
  const checkerMacs = r * s * n;
  const row: MatmulRow = {
    n,
    sampledRows: r,
    providerMacs,
    providerGenerateMs: gen.ms,
    providerProductMs: productMs,
    providerProductBasis: basis,
    providerCommitMs: commit.ms,
    providerOpenMs: open.ms,
    providerTotalMs,
    providerTotalCpuMs,
    providerMacsPerSecond: providerMacs / (productMs / 1000),
    sampledEntries: s,
    checkerMacs,
    checkerEntriesMs: entries.ms,
    checkerProofMs: proofs.ms,
    checkerVerifyCallMs: verify.ms,
    checkerVerifyCallCpuMs: verify.cpuMs,
    checkerVerifyCallBestCpuMs: bestCpuMs,
    checkerResult: "PASS",
    macRatio: providerMacs / checkerMacs,
    wallRatio: providerTotalMs / verify.ms,
    cpuRatio: providerTotalCpuMs / verify.cpuMs,
    wholeRowCheckMs: wholeRows.ms,
    wholeRowCheckCpuMs: wholeRows.cpuMs,
    wholeRowCpuRatio: providerTotalCpuMs / wholeRows.cpuMs,
    shapes,
  };
  console.error(
    `  provider ${providerTotalMs.toFixed(0)} ms (cpu ${providerTotalCpuMs.toFixed(0)}), checker ${verify.ms.toFixed(1)} ms (cpu ${verify.cpuMs.toFixed(1)}), ratio ${row.wallRatio.toFixed(0)}x wall, ${row.cpuRatio.toFixed(0)}x cpu (whole rows: ${row.wholeRowCpuRatio.toFixed(0)}x cpu)`,
  );
  return row;
}

function benchVram() {
  console.error("vram:");
  const blockSize = params.vramBlockSize;
  const gens = Array.from({ length: 3 }, (_, i) => time(() => generateVramBlock(SEED, i, blockSize)));
  const genMs = Math.min(...gens.map((g) => g.ms));
  const block = gens[0]!.value;
  const nonce = new Uint8Array(32);
  const hashes = Array.from({ length: 5 }, () => time(() => vramStepDigest(nonce, block)));
  const hashMs = Math.min(...hashes.map((h) => h.ms));
  // A small dataset is enough to time a walk of the default length: every step hashes one block.
  const blockCount = 16;
  const blocks = [
    block,
    ...Array.from({ length: blockCount - 1 }, (_, i) => generateVramBlock(SEED, i + 1, blockSize)),
  ];
  const request = {
    seed: SEED,
    blockSize,
    blockCount,
    nonce: RANDOMNESS,
    steps: params.vramWalkSteps,
  };
  const walk = time(() => answerVram(request, (i) => blocks[i] as Uint8Array));
  const verify = time(() =>
    verifyVram({
      request,
      response: walk.value,
      randomness: SEED,
      classId: "cpu-reference",
      measuredMs: 0,
      networkRttMs: 0,
      params,
    }),
  );
  if (verify.value.result !== CheckResult.PASS) throw new Error("bench: verifyVram did not pass");
  const result = {
    blockSize,
    walkSteps: params.vramWalkSteps,
    sampledSteps: vramSampleCount(params.vramWalkSteps, params.vramSampledBlocks),
    generateBlockMs: genMs,
    hashBlockMs: hashMs,
    generateBytesPerSecond: blockSize / (genMs / 1000),
    hashBytesPerSecond: blockSize / (hashMs / 1000),
    measuredGenerationCostRatio: genMs / hashMs,
    theoreticalGenerationCostRatio: VRAM_GENERATION_COST_RATIO,
    providerWalkMs: walk.ms,
    nonStoringWalkEstimateMs: params.vramWalkSteps * (genMs + hashMs),
    checkerVerifyMs: verify.ms,
  };
  console.error(
    `  generate ${genMs.toFixed(1)} ms, hash ${hashMs.toFixed(1)} ms per ${blockSize / 1024} KiB block (ratio ${result.measuredGenerationCostRatio.toFixed(2)})`,
  );
  return result;
}

function benchPrng() {
  const out = new Int8Array(16 * 2 ** 20);
  const runs = Array.from({ length: 3 }, () =>
    time(() => {
      for (let row = 0; row < 4096; row++) {
        new Xoshiro128(deriveKey(SEED, "bench", row)).fill(out.subarray(row * 4096, (row + 1) * 4096));
      }
    }),
  );
  const buf = new Uint8Array(1 << 20);
  keccak_256(buf); // warm-up
  const keccakOnly = Array.from({ length: 3 }, () => time(() => keccak_256(buf))).reduce((a, b) =>
    a.ms < b.ms ? a : b,
  );
  return {
    int8Values: out.length,
    xoshiroMs: Math.min(...runs.map((x) => x.ms)),
    keccakCounterModeEstimateMs: keccakOnly.ms * 16,
  };
}

function benchTree() {
  const leaves = Array.from({ length: 4096 }, (_, i) => keccak_256(new Uint8Array([i & 0xff, i >> 8])));
  const ours = time(() => buildRowTree(leaves));
  const hexLeaves = leaves.map((l) => bytesToHex(l));
  const oz = time(() => SimpleMerkleTree.of(hexLeaves, { sortLeaves: false }));
  if (oz.value.root !== ours.value.root) throw new Error("bench: row tree root differs from OpenZeppelin's");
  return { leaves: 4096, rowTreeMs: ours.ms, openZeppelinSimpleMerkleTreeMs: oz.ms };
}

/** Runs every code path once at a small size so the JIT has compiled them before anything is timed. */
function warmUp(): void {
  const n = 128;
  const { a, b } = generateMatmul(SEED, n);
  const c = solveMatmulRows(a, b, n, 0, n);
  const { root, tree } = commitRows(c, n);
  const rows = sampleRows(RANDOMNESS, root, n, r);
  verifyMatmul({
    seed: SEED,
    n,
    classId: "cpu-reference",
    commitment: { root, elapsedMs: 0 },
    requestedRows: rows,
    randomness: RANDOMNESS,
    openings: openRows(tree, c, rows),
    measuredMs: 0,
    networkRttMs: 0,
    params,
  });
  generateVramBlock(SEED, 0, 4096);
}

const RESULTS = new URL("./results/challenge.json", import.meta.url);
const json = (v: unknown) =>
  `${JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x), 2)}\n`;

function mainSigningOnly(): void {
  const signing = benchSigning(params);
  printSigning(signing);
  const previous = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, "utf8")) as object) : {};
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(RESULTS, json({ ...previous, signing, signingDate: new Date().toISOString() }));
  console.log("wrote bench/results/challenge.json (signing)");
}

function main(): void {
  warmUp();
  const prng = benchPrng();
  console.error(`prng: 16 Mi int8 in ${prng.xoshiroMs.toFixed(1)} ms`);
  const tree = benchTree();
  console.error(
    `row tree: ${tree.rowTreeMs.toFixed(0)} ms vs OpenZeppelin ${tree.openZeppelinSimpleMerkleTreeMs.toFixed(0)} ms`,
  );
  const matmul = SIZES.map(benchMatmul);
  const vram = benchVram();
  const signing = benchSigning(params);

  console.log(
    `\nMATMUL: provider (n³ MACs + commitment) vs checker (r = ${r} rows, s sampled entries each), JavaScript reference code`,
  );
  console.table(
    matmul.map((m) => ({
      n: m.n,
      "provider MACs": m.providerMacs.toExponential(2),
      "provider product ms": Math.round(m.providerProductMs),
      "provider total ms": Math.round(m.providerTotalMs),
      "provider cpu ms": Math.round(m.providerTotalCpuMs),
      basis: m.providerProductBasis,
      s: m.sampledEntries,
      "checker MACs": m.checkerMacs.toExponential(2),
      "checker ms": Number(m.checkerVerifyCallMs.toFixed(1)),
      "checker cpu ms": Number(m.checkerVerifyCallCpuMs.toFixed(2)),
      "checker best cpu ms": Number(m.checkerVerifyCallBestCpuMs.toFixed(2)),
      "MAC ratio": m.macRatio,
      "wall ratio": Math.round(m.wallRatio),
      "cpu ratio": Math.round(m.cpuRatio),
    })),
  );
  console.log(
    "checker breakdown (ms): r·s sampled entries (rows of A, columns of B, MACs) / r chunk trees and paths; the whole-row check it replaced",
  );
  console.table(
    matmul.map((m) => ({
      n: m.n,
      entries: Number(m.checkerEntriesMs.toFixed(2)),
      proofs: Number(m.checkerProofMs.toFixed(2)),
      "whole rows ms": Number(m.wholeRowCheckMs.toFixed(1)),
      "whole rows cpu ms": Number(m.wholeRowCheckCpuMs.toFixed(1)),
      "whole rows cpu ratio": Math.round(m.wholeRowCpuRatio),
      "provider generate": Math.round(m.providerGenerateMs),
      "provider commit": Math.round(m.providerCommitMs),
      "provider MAC/s": m.providerMacsPerSecond.toExponential(2),
    })),
  );
  console.log(
    `\nVRAM (${vram.blockSize / 1024} KiB blocks, walk ${vram.walkSteps} steps, checker samples ${vram.sampledSteps})`,
  );
  console.table({
    "generate one block ms": Number(vram.generateBlockMs.toFixed(1)),
    "hash one block ms": Number(vram.hashBlockMs.toFixed(1)),
    "generation / hashing (measured)": Number(vram.measuredGenerationCostRatio.toFixed(2)),
    "generation / hashing (permutations)": vram.theoreticalGenerationCostRatio,
    "honest walk ms": Math.round(vram.providerWalkMs),
    "non-storing walk ms (estimate)": Math.round(vram.nonStoringWalkEstimateMs),
    "checker verify ms": Math.round(vram.checkerVerifyMs),
  });
  console.log(
    `\nPRNG: ${prng.int8Values} int8 in ${prng.xoshiroMs.toFixed(1)} ms (keccak counter mode would take ~${prng.keccakCounterModeEstimateMs.toFixed(0)} ms)`,
  );
  console.log(
    `row tree, 4096 leaves: ${tree.rowTreeMs.toFixed(1)} ms (OpenZeppelin SimpleMerkleTree: ${tree.openZeppelinSimpleMerkleTreeMs.toFixed(1)} ms, same root)`,
  );

  printShapes(
    matmul.flatMap((m) => m.shapes),
    { rows: r, entries: sampledEntryCount(DEFAULT_PARAMS.matmulSize) },
  );
  printSigning(signing);

  const results = {
    bench: "challenge",
    date: new Date().toISOString(),
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cpus: os.cpus().length,
    loadAverage: os.loadavg(),
    params: withParams({}),
    providerBudgetMs: PROVIDER_BUDGET_MS,
    matmul,
    vram,
    prng,
    tree,
    signing,
  };
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(RESULTS, json(results));
  console.log("wrote bench/results/challenge.json");
}

if (process.argv.includes("--signing")) mainSigningOnly();
else main();
