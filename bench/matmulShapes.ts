/**
 * The checker's matmul sample shapes (r rows opened, s entries recomputed per
 * row) side by side, for bench/challenge.ts: the checker's CPU per run (the
 * same work as verifyMatmul: each row's sampled entries with
 * `wrongSampledEntry` at that s, its chunk tree and row path), its share of
 * the provider's CPU, the bytes of MatmulOpen and MatmulRows on the wire, and
 * the worst-case detection of a provider that skips 5 % of the work
 * (matmul-detection.ts, every spread). The default shape is one of them; the
 * choice and its reasons are in docs/protocol/challenges.md ("Sampled
 * entries: detection").
 */
import { bytesToHex, type Hex, hexToBytes } from "viem";
import {
  type MatmulRows,
  matmulOpenCodec,
  matmulRowsCodec,
  rowLeaf,
  wrongSampledEntry,
} from "../packages/protocol/src/challenges/matmul.ts";
import { worstCaseDetection } from "../packages/protocol/src/challenges/matmul-detection.ts";
import { processProof } from "../packages/protocol/src/challenges/row-tree.ts";

/** (r, s) candidates: today's before issue 11's change of shape, the default, and the neighbours that bound it. */
export const SHAPES: readonly (readonly [number, number])[] = [
  [4, 64],
  [8, 8],
  [8, 16],
  [9, 8],
  [10, 8],
  [11, 8],
  [12, 8],
  [12, 16],
  [16, 8],
  [32, 8],
];
/** The largest r of SHAPES: the rows opened once and shared by every shape. */
export const SHAPE_ROWS = Math.max(...SHAPES.map(([rows]) => rows));
const REPEATS = 15;
const SAVED = 0.05;

export interface MatmulShapeRow {
  n: number;
  rows: number;
  entries: number;
  /** Median / least CPU of REPEATS runs of the checker's work, ms. */
  checkerCpuMs: number;
  checkerBestCpuMs: number;
  /** providerCpuMs / checkerCpuMs: 200 is issue 11's bound at n = 1024, 1,000 at n = 4096. */
  cpuRatio: number;
  openBytes: number;
  rowsBytes: number;
  /** Worst case over every spread of wrong entries, for a provider that skips 5 % of the MACs. */
  worstDetectionAt5Pct: number;
}

function cpuMs(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[sorted.length >> 1] as number;
}

/**
 * Times each shape on `opened` (SHAPE_ROWS honest rows of the product committed under `sample.root`, with
 * their proofs), the first r of them per shape.
 */
export function benchShapes(
  sample: { seed: Hex; randomness: Hex; root: Hex; n: number },
  requestedRows: readonly number[],
  opened: MatmulRows,
  providerCpuMs: number,
): MatmulShapeRow[] {
  const { n, root } = sample;
  return SHAPES.filter(([rows]) => rows <= requestedRows.length).map(([rows, s]) => {
    const entries = Math.min(n, s);
    const run = () => {
      for (let k = 0; k < rows; k++) {
        const i = requestedRows[k] as number;
        const row = opened.rows[k] as Int32Array;
        if (wrongSampledEntry(sample, i, row, entries) !== null)
          throw new Error("bench: a sampled entry is wrong");
        const proof = (opened.proofs[k] as Hex[]).map((p) => hexToBytes(p));
        if (bytesToHex(processProof(rowLeaf(row, i), proof)) !== root)
          throw new Error("bench: a proof failed");
      }
    };
    run();
    const times = Array.from({ length: REPEATS }, () => cpuMs(run));
    const checkerCpuMs = median(times);
    console.error(
      `  shape r = ${rows}, s = ${entries}: checker cpu ${checkerCpuMs.toFixed(2)} ms (best ${Math.min(...times).toFixed(2)}), 1/${Math.round(providerCpuMs / checkerCpuMs)}`,
    );
    const picked = requestedRows.slice(0, rows);
    const rowsOf = { rows: opened.rows.slice(0, rows), proofs: opened.proofs.slice(0, rows) };
    return {
      n,
      rows,
      entries,
      checkerCpuMs,
      checkerBestCpuMs: Math.min(...times),
      cpuRatio: providerCpuMs / checkerCpuMs,
      openBytes: matmulOpenCodec(n, rows).encode({ rows: [...picked].sort((a, b) => a - b) }).length,
      rowsBytes: matmulRowsCodec(n, rows).encode(rowsOf).length,
      worstDetectionAt5Pct: worstCaseDetection({ n, rows, entries }, SAVED).detection,
    };
  });
}

export function printShapes(shapes: readonly MatmulShapeRow[], defaults: { rows: number; entries: number }) {
  console.log(
    `\nMATMUL sample shapes (r rows, s entries each; the default is r = ${defaults.rows}, s = ${defaults.entries}): checker CPU per run against the provider's, bytes on the wire, worst-case detection at 5 % skipped work`,
  );
  console.table(
    shapes.map((x) => ({
      n: x.n,
      r: x.rows,
      s: x.entries,
      "checker cpu ms": Number(x.checkerCpuMs.toFixed(2)),
      "best cpu ms": Number(x.checkerBestCpuMs.toFixed(2)),
      "cpu ratio": Math.round(x.cpuRatio),
      "open bytes": x.openBytes,
      "rows bytes": x.rowsBytes,
      "detection at w = 5 %": `${(100 * x.worstDetectionAt5Pct).toFixed(1)} %`,
    })),
  );
}
