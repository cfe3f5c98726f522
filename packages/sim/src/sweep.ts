import { heatmap, lineChart, renderSvg } from "./output/charts.ts";
import { formatBounds, stableJson, textTable, toCsv, writeFiles } from "./output/files.ts";
import { htmlPage } from "./output/html.ts";
import { runReplicates } from "./replicates.ts";
import { loadScenario } from "./scenario/load.ts";
import { ScenarioError } from "./scenario/schema.ts";
import { readInterval, readPath } from "./summary.ts";

/** Short names for the knobs researchers sweep most; any dotted scenario path works too. */
const SWEEP_ALIASES: Record<string, string> = {
  committeeSize: "params.committeeSize",
  failureQuorumBps: "params.failureQuorumBps",
  samplingRate: "sampling.rate",
  slashBps: "params.slashBps",
  contestBond: "params.contestBond",
  minAttestations: "params.minAttestations",
  recheckCommitteeMultiplier: "params.recheckCommitteeMultiplier",
};

export interface SweepAxis {
  name: string;
  path: string;
  values: number[];
}

/** Parses `name=v1,v2,v3` (or `name=from:to:step`) into an axis. */
export function parseAxis(spec: string): SweepAxis {
  const eq = spec.indexOf("=");
  if (eq <= 0)
    throw new ScenarioError(
      "",
      `sweep axis "${spec}" must look like committeeSize=4,8,16 or slashBps=500:2000:500`,
    );
  const name = spec.slice(0, eq);
  const list = spec.slice(eq + 1);
  let values: number[];
  const range = /^(-?[\d.]+):(-?[\d.]+):([\d.]+)$/.exec(list);
  if (range) {
    const [from, to, step] = [Number(range[1]), Number(range[2]), Number(range[3])];
    if (!(step > 0) || to < from)
      throw new ScenarioError("", `sweep axis "${spec}": range must be from:to:step with step > 0`);
    values = [];
    for (let v = from; v <= to + step * 1e-9; v += step) values.push(Number(v.toPrecision(12)));
  } else {
    values = list.split(",").map((v) => Number(v));
  }
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) {
    throw new ScenarioError("", `sweep axis "${spec}": values must be numbers`);
  }
  return { name, path: SWEEP_ALIASES[name] ?? name, values };
}

export interface SweepResult {
  scenario: string;
  x: SweepAxis;
  y: SweepAxis | undefined;
  metrics: string[];
  /** Rows hold each metric's estimate and, with replicates, its 95 % bounds as `<metric>.lo` and `<metric>.hi`. */
  rows: Record<string, number>[];
  /** Replicates per cell; absent for one. */
  replicates?: number;
}

/**
 * Runs the scenario once per cell of the x (× y) grid with the same seed in
 * every cell (common random numbers), so differences between cells come from
 * the parameters, not from the draw. With `replicates` N ≥ 2 every cell runs
 * replicates 0..N−1 (the same derived seeds in every cell, so common random
 * numbers still hold) and each metric gets its 95 % interval (see replicates.ts).
 */
export async function runSweep(opts: {
  scenario: string;
  x: SweepAxis;
  y?: SweepAxis;
  metrics: string[];
  overrides?: Record<string, unknown>;
  replicates?: number;
  onProgress?: (done: number, total: number) => void;
}): Promise<SweepResult> {
  const replicates = opts.replicates ?? 1;
  const ys = opts.y?.values ?? [Number.NaN];
  const total = opts.x.values.length * ys.length;
  const rows: Record<string, number>[] = [];
  let done = 0;
  let name = opts.scenario;
  for (const yv of ys) {
    for (const xv of opts.x.values) {
      const overrides: Record<string, unknown> = { ...(opts.overrides ?? {}), [opts.x.path]: xv };
      if (opts.y) overrides[opts.y.path] = yv;
      const scenario = loadScenario(opts.scenario, overrides);
      name = scenario.name;
      const { result } = await runReplicates(scenario, replicates);
      const row: Record<string, number> = { [opts.x.name]: xv };
      if (opts.y) row[opts.y.name] = yv;
      for (const m of opts.metrics) {
        row[m] = readPath(result.summary, m);
        if (result.intervals) {
          const iv = readInterval(result.intervals, m);
          row[`${m}.lo`] = iv.lo;
          row[`${m}.hi`] = iv.hi;
        }
      }
      rows.push(row);
      opts.onProgress?.(++done, total);
    }
  }
  return {
    scenario: name,
    x: opts.x,
    y: opts.y,
    metrics: opts.metrics,
    rows,
    ...(replicates > 1 ? { replicates } : {}),
  };
}

/** A cell of the sweep table: the estimate, and `[lo, hi]` with replicates. */
function sweepCell(r: SweepResult, row: Record<string, number>, h: string): string | number {
  const v = row[h] as number;
  if (!r.replicates || !r.metrics.includes(h)) return v;
  return formatBounds(v, row[`${h}.lo`] as number, row[`${h}.hi`] as number);
}

export function sweepText(r: SweepResult): string {
  const headers = [r.x.name, ...(r.y ? [r.y.name] : []), ...r.metrics];
  const table = textTable(
    headers,
    r.rows.map((row) => headers.map((h) => sweepCell(r, row, h))),
  );
  return r.replicates
    ? `${r.replicates} replicates per cell; each metric: estimate [95 % interval]\n${table}`
    : table;
}

export async function writeSweepOutputs(r: SweepResult, dir: string): Promise<string[]> {
  const files: Record<string, string> = { "sweep.json": stableJson(r), "sweep.csv": toCsv(r.rows) };
  const sections = [];
  for (const m of r.metrics) {
    const safe = m.replace(/[^A-Za-z0-9_.-]/g, "_");
    const spec = heatmap({
      title: `${r.scenario}: ${m}`,
      rows: r.rows.map((row) => ({
        x: row[r.x.name] as number,
        y: r.y ? (row[r.y.name] as number) : 0,
        value: row[m] as number,
      })),
      x: "x",
      y: "y",
      value: "value",
      valueTitle: m.split(".").pop() ?? m,
    });
    const labelled = {
      ...spec,
      encoding: {
        x: { field: "x", type: "ordinal" as const, sort: null, title: r.x.name },
        y: { field: "y", type: "ordinal" as const, sort: "descending" as const, title: r.y?.name ?? "" },
      },
    };
    const svg = await renderSvg(labelled);
    files[`heatmap-${safe}.svg`] = svg;
    sections.push({ heading: m, svg });
    if (r.replicates && !r.y) {
      // One axis with replicates: the estimate as a line over the axis, its 95 % interval as a band.
      const band = await renderSvg(
        lineChart({
          title: `${r.scenario}: ${m} (${r.replicates} replicates, 95 % band)`,
          rows: r.rows.map((row) => ({
            x: row[r.x.name] as number,
            series: m,
            value: row[m] as number,
            lo: row[`${m}.lo`] as number,
            hi: row[`${m}.hi`] as number,
          })),
          x: "x",
          y: "value",
          series: "series",
          xTitle: r.x.name,
          yTitle: m.split(".").pop() ?? m,
          band: { lo: "lo", hi: "hi" },
        }),
      );
      files[`band-${safe}.svg`] = band;
      sections.push({ heading: `${m} with its 95 % band`, svg: band });
    }
  }
  const headers = [r.x.name, ...(r.y ? [r.y.name] : []), ...r.metrics];
  sections.push({
    heading: "Table",
    table: { headers, rows: r.rows.map((row) => headers.map((h) => row[h] as number)) },
  });
  files["index.html"] = htmlPage(
    `Sweep: ${r.scenario}`,
    `x = ${r.x.path}${r.y ? `, y = ${r.y.path}` : ""}`,
    sections,
  );
  return writeFiles(dir, files);
}
