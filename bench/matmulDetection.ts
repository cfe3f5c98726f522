/**
 * Detection per matmul run, the whole-row check (every entry of r opened rows
 * recomputed) against the sampled check (s entries of each opened row), for
 * the cheater that skips a fraction w of the MACs and leaves its wrong entries
 * in rows each wrong in a fraction q of their entries
 * (packages/protocol/src/challenges/matmul-detection.ts; the table is in
 * docs/protocol/challenges.md, "Sampled entries: detection"). Exact
 * (hypergeometric), no simulation; runs in well under a second.
 *
 *   npx tsx bench/matmulDetection.ts
 */
import {
  cheaterSaving,
  detectionLowerBound,
  detectionProbability,
  type MatmulSamplingShape,
  worstCaseDetection,
} from "../packages/protocol/src/challenges/matmul-detection.ts";
import { sampledEntryCount } from "../packages/protocol/src/challenges/matmul-sampling.ts";
import { DEFAULT_PARAMS } from "../packages/protocol/src/params.ts";

const SIZES = [256, 1024, 4096];
const SAVED = [0.01, 0.02, 0.05, 0.1, 0.25, 0.5];
const SPREADS = [0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1];
const r = DEFAULT_PARAMS.matmulSampledRows;

/** The spread (q = k/n) at which the sampled check falls furthest below the whole-row check, and by how much. */
function largestShortfall(n: number, w: number, today: MatmulSamplingShape, sampled: MatmulSamplingShape) {
  let worst = { shortfall: 0, q: 1, sampled: 1 };
  for (let k = Math.ceil(w * n - 1e-9); k <= n; k++) {
    const cheater = cheaterSaving(n, w, k);
    const after = detectionProbability(sampled, cheater);
    const shortfall = detectionProbability(today, cheater) - after;
    if (shortfall > worst.shortfall) worst = { shortfall, q: k / n, sampled: after };
  }
  return worst;
}

const pct = (p: number) => `${(100 * p).toFixed(p > 0.999 && p < 1 ? 3 : 1)}`;

for (const n of SIZES) {
  const s = sampledEntryCount(n);
  const today: MatmulSamplingShape = { n, rows: r, entries: n };
  const sampled: MatmulSamplingShape = { n, rows: r, entries: s };
  console.log(
    `\nn = ${n}, r = ${r} rows, s = ${s} entries per row: detection per run in %, whole rows / sampled`,
  );
  const header = ["w \\ q", ...SPREADS.map((q) => `q = ${q}`)];
  const lines = [header, header.map(() => "---")];
  for (const w of SAVED) {
    const cells = SPREADS.map((q) => {
      if (q < w) return "—";
      const cheater = cheaterSaving(n, w, Math.ceil(q * n - 1e-9));
      return `${pct(detectionProbability(today, cheater))} / ${pct(detectionProbability(sampled, cheater))}`;
    });
    lines.push([`${w}`, ...cells]);
  }
  for (const line of lines) console.log(`| ${line.join(" | ")} |`);

  console.log(`\nworst spread per w (over every q = k/n), n = ${n}`);
  const rows = [
    [
      "w",
      "whole rows: worst",
      "sampled: worst (at q)",
      "bound 1 − (1 − w)^r",
      "worst: sampled − whole rows",
      "one spread: largest shortfall (at q)",
    ],
    ["---", "---", "---", "---", "---", "---"],
  ];
  let smallestGap = Number.POSITIVE_INFINITY;
  for (const w of SAVED) {
    const before = worstCaseDetection(today, w);
    const after = worstCaseDetection(sampled, w);
    const gap = after.detection - before.detection;
    smallestGap = Math.min(smallestGap, gap);
    const shortfall = largestShortfall(n, w, today, sampled);
    rows.push([
      `${w}`,
      pct(before.detection),
      `${pct(after.detection)} (q = ${(after.wrongEntriesPerRow / n).toFixed(3)})`,
      pct(detectionLowerBound(r, w)),
      gap.toExponential(1),
      `${pct(shortfall.shortfall)} points (q = ${shortfall.q.toFixed(3)}, sampled catches ${pct(shortfall.sampled)})`,
    ]);
  }
  for (const line of rows) console.log(`| ${line.join(" | ")} |`);
  console.log(`smallest (sampled − whole rows) worst-case detection over w: ${smallestGap.toExponential(2)}`);
}
