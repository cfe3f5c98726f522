import { keccak_256 } from "@noble/hashes/sha3.js";
import type { ProtocolParams } from "../params.ts";
import { type Bytes32Like, bytes32, checkInteger, concatBytes, u32be } from "./common.ts";
import { MATMUL_ABSOLUTE_MAX_SIZE } from "./matmul-commitment.ts";
import { ColumnDots, matmulRowA } from "./matmul-inputs.ts";
import { sampleDistinct } from "./prng.ts";

/**
 * What the checker samples of a committed product C, and the one rule that
 * judges an opened row (docs/protocol/challenges.md, "Sampled entries").
 *
 * The checker opens r whole rows (MatmulOpen / MatmulRows, unchanged on the
 * wire) and checks each one's chunk tree and row path against the root in
 * full, so an opened row is exactly the committed row. It then recomputes only
 * s = min(n, MATMUL_SAMPLED_ENTRIES) of its entries, at columns drawn per row
 * from the checker's secret sampling randomness and the root: 2n bytes of
 * generation and n multiply-accumulates each, against n² bytes (all of B) and
 * n² MACs per row for a whole-row recomputation. Both the rows and the
 * columns depend on the root, so they are fixed only after the provider
 * committed, and on the checker's secret, so it cannot predict them when it
 * commits. The matmul seed is not enough: the provider knows it before it
 * commits and could grind roots until its wrong entries avoid the columns.
 *
 * Detection (matmul-detection.ts; `npx tsx bench/matmulDetection.ts` prints
 * the table): a cheater saves work only by leaving entries uncomputed. Its
 * best spread of a fraction w of wrong entries is whole wrong rows, which the
 * sampled check catches exactly as often as the whole-row check did; any
 * spread is caught with probability at least 1 − (1 − w)^r, whatever s ≥ 1.
 *
 * The shape (r, s) = (ProtocolParams.matmulSampledRows, MATMUL_SAMPLED_ENTRIES)
 * = (8, 16), not (4, 64): detection grows with r alone, while the checker's
 * cost is mostly r chunk trees (n/4 keccak permutations per opened row, ~0.5
 * ms at n = 1024) and hardly s (an entry costs ~1/130 of that). So r is as
 * large as the cost target allows with a margin (checker CPU ≤ 1/200 of the
 * provider's at n = 1024; bench/challenge.ts measured r = 8 at 1/257, 10 at
 * 1/220, 12 at 1/184) and s small: 128 entries recomputed against 256
 * before, and a 5 %-wrong-rows cheater caught in 34 % of runs instead of 19 %
 * (docs/protocol/challenges.md, "Sampled entries: detection").
 */

/** Entries of each opened row the checker recomputes (all of them when n is smaller). */
export const MATMUL_SAMPLED_ENTRIES = 16;

/** Entries recomputed per opened row of a size-n product: min(n, MATMUL_SAMPLED_ENTRIES). */
export function sampledEntryCount(n: number): number {
  checkInteger("n", n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
  return Math.min(n, MATMUL_SAMPLED_ENTRIES);
}

/**
 * Rows the checker opens in a size-n product: min(n, matmulSampledRows). The
 * one count every party uses: the checker's request, the transcript's
 * replay, the fraud proof's rebuild, the simulator's detection odds.
 */
export function openedRowCount(n: number, params: Pick<ProtocolParams, "matmulSampledRows">): number {
  checkInteger("n", n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
  return Math.min(n, params.matmulSampledRows);
}

const SAMPLE_TAG = keccak_256(new TextEncoder().encode("checkernet.v1.challenge.matmul.sample"));
const COLUMN_TAG = keccak_256(new TextEncoder().encode("checkernet.v1.challenge.matmul.columns"));

/**
 * The rows the checker opens: `count` distinct indices in [0, n), sorted,
 * from keccak256(SAMPLE_TAG ‖ randomness ‖ root ‖ uint32be(counter)). The
 * root is an input, so the rows are fixed only after the provider committed;
 * `randomness` is the checker's secret, so the provider cannot predict them.
 */
export function sampleRows(randomness: Bytes32Like, root: Bytes32Like, n: number, count: number): number[] {
  checkInteger("n", n, 1, MATMUL_ABSOLUTE_MAX_SIZE);
  checkInteger("count", count, 1, n);
  return sampleDistinct(
    concatBytes(SAMPLE_TAG, bytes32(randomness, "randomness"), bytes32(root, "root")),
    n,
    count,
  );
}

/**
 * The columns of opened row i the checker recomputes: `sampledEntryCount(n)`
 * distinct indices in [0, n) (`count`: another s, for bench/challenge.ts's
 * candidate shapes), sorted, from
 * keccak256(COLUMN_TAG ‖ randomness ‖ root ‖ uint32be(i) ‖ uint32be(counter)).
 * Each row has its own columns; like the rows, they follow from the checker's
 * secret and the root, so they exist only after the commitment.
 */
export function sampleColumns(
  randomness: Bytes32Like,
  root: Bytes32Like,
  n: number,
  i: number,
  count = sampledEntryCount(n),
): number[] {
  checkInteger("row", i, 0, n - 1);
  checkInteger("count", count, 1, n);
  return sampleDistinct(
    concatBytes(COLUMN_TAG, bytes32(randomness, "randomness"), bytes32(root, "root"), u32be(i)),
    n,
    count,
  );
}

/** One recomputed entry of an opened row that differs from the row's value. */
export interface WrongEntry {
  /** Column j of the entry (row i is the caller's). */
  column: number;
  /** The opened row's value at j. */
  claimed: number;
  /** Σ_k A[i][k]·B[k][j]. */
  expected: number;
}

/** What fixes the sample of a run: the inputs' seed, the checker's sampling randomness, the committed root. */
export interface MatmulSample {
  seed: Bytes32Like;
  randomness: Bytes32Like;
  root: Bytes32Like;
  n: number;
}

/**
 * The rule for an opened row i (n int32 values): the first of its sampled
 * columns (ascending) whose value differs from the recomputed entry, or null
 * when every sampled entry is right (`count`: as sampleColumns). Generates row
 * i of A once and one column of B per sampled entry. The caller checks the row's path to the root.
 */
export function wrongSampledEntry(
  sample: MatmulSample,
  i: number,
  row: Int32Array,
  count = sampledEntryCount(sample.n),
): WrongEntry | null {
  const { seed, n } = sample;
  checkInteger("row length", row.length, n, n);
  const a = matmulRowA(seed, n, i);
  const dots = new ColumnDots(seed, n);
  for (const column of sampleColumns(sample.randomness, sample.root, n, i, count)) {
    const expected = dots.dot(a, column);
    const claimed = row[column] as number;
    if (claimed !== expected) return { column, claimed, expected };
  }
  return null;
}
