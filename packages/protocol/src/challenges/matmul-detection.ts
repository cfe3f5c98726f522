import type { ProtocolParams } from "../params.ts";
import { ChallengeError, ChallengeErrorCode, checkInteger } from "./common.ts";
import { openedRowCount, sampledEntryCount } from "./matmul-sampling.ts";

/**
 * How often one matmul run catches a provider that skips work
 * (docs/protocol/challenges.md, "Sampled entries: detection").
 *
 * The cheater. The only reason to compute C wrongly is to save work, and an
 * entry of C whose n multiply-accumulates were not all done is wrong (unless
 * the skipped terms happen to cancel, which only helps the cheater less), so
 * a provider that saves a fraction w of the n³ MACs leaves at least w·n² of
 * C's entries wrong. A strategy spreads them: `wrongRows` rows of C, each
 * wrong in `wrongEntriesPerRow` = q·n of its entries.
 *
 * The check. The checker opens r distinct rows drawn uniformly (after the
 * commitment) and recomputes s distinct entries of each, drawn uniformly and
 * independently per row; a run FAILs when one recomputed entry is wrong. The
 * whole-row check this replaced recomputed every entry (s = n).
 *
 * Detection is P(the run FAILs). With X wrong rows among the opened ones
 * (hypergeometric) and m = C(n − K, s) / C(n, s) the chance that a wrong row's
 * s entries all miss its K wrong ones, P(miss) = Σ_x P(X = x)·m^x.
 */

export interface MatmulSamplingShape {
  /** Size of C (n × n). */
  n: number;
  /** Rows opened per run (r, ProtocolParams.matmulSampledRows). */
  rows: number;
  /** Entries recomputed per opened row (s; n for the whole-row check). */
  entries: number;
}

/** The shape a checker running with `params` samples of a size-n product: (openedRowCount, sampledEntryCount). */
export function matmulSamplingShape(
  n: number,
  params: Pick<ProtocolParams, "matmulSampledRows">,
): MatmulSamplingShape {
  return { n, rows: openedRowCount(n, params), entries: sampledEntryCount(n) };
}

/** A cheater whose wrong entries sit in `wrongRows` rows, `wrongEntriesPerRow` in each. */
export interface WorkSkippingCheater {
  wrongRows: number;
  wrongEntriesPerRow: number;
}

function checkShape(shape: MatmulSamplingShape): void {
  checkInteger("n", shape.n, 1, 1 << 16);
  checkInteger("rows", shape.rows, 1, shape.n);
  checkInteger("entries", shape.entries, 1, shape.n);
}

/** ln C(a, b) for b small (a loop of b terms); −∞ when b > a. */
function logChoose(a: number, b: number): number {
  if (b < 0 || b > a) return Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (let t = 0; t < b; t++) sum += Math.log((a - t) / (b - t));
  return sum;
}

/** C(n − k, s) / C(n, s): a wrong row's s sampled entries all miss its k wrong ones. */
function rowMissProbability(n: number, k: number, s: number): number {
  let p = 1;
  for (let t = 0; t < s; t++) {
    const f = (n - k - t) / (n - t);
    if (f <= 0) return 0;
    p *= f;
  }
  return p;
}

/** P(a run passes the cheater): no opened wrong row shows one of its wrong entries. */
export function missProbability(shape: MatmulSamplingShape, cheater: WorkSkippingCheater): number {
  checkShape(shape);
  const { n, rows: r, entries: s } = shape;
  checkInteger("wrongRows", cheater.wrongRows, 0, n);
  checkInteger("wrongEntriesPerRow", cheater.wrongEntriesPerRow, 0, n);
  const w = cheater.wrongRows;
  const m = rowMissProbability(n, cheater.wrongEntriesPerRow, s);
  const all = logChoose(n, r);
  let miss = 0;
  for (let x = 0; x <= r; x++) {
    const log = logChoose(w, x) + logChoose(n - w, r - x) - all;
    if (log === Number.NEGATIVE_INFINITY) continue;
    miss += Math.exp(log) * m ** x;
  }
  return Math.min(1, miss);
}

/** P(a run FAILs the cheater). */
export function detectionProbability(shape: MatmulSamplingShape, cheater: WorkSkippingCheater): number {
  return 1 - missProbability(shape, cheater);
}

/**
 * The cheater that saves a fraction `saved` of the MACs with `perRow` wrong
 * entries in each wrong row: ⌈saved·n² / perRow⌉ wrong rows (at most n).
 * Throws when perRow is too small for the saving (it would need more than n rows).
 */
export function cheaterSaving(n: number, saved: number, perRow: number): WorkSkippingCheater {
  checkInteger("perRow", perRow, 1, n);
  if (!(saved > 0 && saved <= 1)) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "saved must be in (0, 1]", { saved });
  }
  const wrongRows = Math.ceil((saved * n * n) / perRow - 1e-9);
  if (wrongRows > n) {
    throw new ChallengeError(
      ChallengeErrorCode.INVALID_ARGUMENT,
      "too few wrong entries per row for the saving",
      {
        n,
        saved,
        perRow,
      },
    );
  }
  return { wrongRows, wrongEntriesPerRow: perRow };
}

/**
 * The cheater's best spread against `shape`: the wrong entries per row that minimise detection at `saved`
 * (every k from n down; on a tie the larger k, whole rows first).
 */
export function worstCaseDetection(
  shape: MatmulSamplingShape,
  saved: number,
): { detection: number; wrongEntriesPerRow: number; wrongRows: number } {
  checkShape(shape);
  const { n } = shape;
  let best = { detection: 2, wrongEntriesPerRow: n, wrongRows: n };
  for (let k = n; k >= Math.max(1, Math.ceil(saved * n - 1e-9)); k--) {
    const cheater = cheaterSaving(n, saved, k);
    const detection = detectionProbability(shape, cheater);
    if (detection < best.detection) best = { detection, ...cheater };
  }
  return best;
}

/**
 * A lower bound on detection for every cheater that leaves a fraction `saved`
 * of C's entries wrong, however it spreads them (rows wrong to different
 * degrees included), when s ≥ 1: 1 − (1 − saved)^r. Why: a wrong row with k
 * wrong entries hides from s ≥ 1 sampled entries with probability at most
 * 1 − k/n =: x_i; the opened rows are a uniform r-subset, so P(miss) ≤ the
 * mean of Π x_i over r-subsets, which Maclaurin's inequality bounds by
 * (mean of x_i)^r = (1 − saved)^r.
 */
export function detectionLowerBound(rows: number, saved: number): number {
  return 1 - (1 - saved) ** rows;
}
