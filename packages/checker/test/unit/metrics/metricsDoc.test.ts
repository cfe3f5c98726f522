import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GENERATED_BEGIN, GENERATED_END, metricDocs, metricsTable } from "../../../src/metrics/docs.ts";
import { createMetrics } from "../../../src/metrics/index.ts";

const root = new URL("../../../../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

/** Every metric the node exports, default process metrics included. */
const docs = await metricDocs(createMetrics({ defaultMetrics: true }).registry);

/** Series names a metric yields in PromQL (histograms and summaries add suffixes). */
function seriesNames(): Set<string> {
  const out = new Set<string>();
  for (const d of docs) {
    out.add(d.name);
    if (d.type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) out.add(d.name + s);
    if (d.type === "summary") for (const s of ["_sum", "_count"]) out.add(d.name + s);
  }
  return out;
}

interface GrafanaPanel {
  title: string;
  type: string;
  targets?: { expr: string }[];
  panels?: GrafanaPanel[];
}

describe("metrics documentation", () => {
  it("every metric has a HELP text", () => {
    expect(docs.length).toBeGreaterThan(10);
    for (const d of docs) expect(d.help.trim().length, d.name).toBeGreaterThan(10);
  });

  it("docs/metrics.md carries the table generated from the registry (run packages/checker/scripts/metricsDoc.ts)", () => {
    const doc = read("docs/metrics.md");
    const begin = doc.indexOf(GENERATED_BEGIN);
    const end = doc.indexOf(GENERATED_END);
    expect(begin, "GENERATED markers").toBeGreaterThanOrEqual(0);
    const documented = doc.slice(begin + GENERATED_BEGIN.length, end).trim();
    const missing = docs.filter((d) => !documented.includes(`| \`${d.name}\` |`)).map((d) => d.name);
    expect(missing, "metrics missing from docs/metrics.md").toEqual([]);
    expect(documented).toBe(metricsTable(docs));
  });
});

describe("Grafana dashboard", () => {
  const dashboard = JSON.parse(read("packages/checker/grafana/checkernet.json")) as {
    panels: GrafanaPanel[];
    templating: { list: { name: string; query?: unknown; definition?: string }[] };
  };
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const exprs = [
    ...panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
    ...dashboard.templating.list
      .filter((v) => v.definition !== undefined)
      .map((v) => ({ where: `variable ${v.name}`, expr: v.definition as string })),
  ];

  it("has panels with queries", () => {
    expect(panels.filter((p) => p.type !== "row").length).toBeGreaterThan(10);
    for (const p of panels.filter((x) => x.type !== "row")) {
      expect(p.targets?.length ?? 0, `panel ${p.title} has no query`).toBeGreaterThan(0);
    }
  });

  it("every expression references only metrics the node exports", () => {
    const known = seriesNames();
    for (const { where, expr } of exprs) {
      const names = [...expr.matchAll(/\bchecker_[a-z0-9_]+/g)].map((m) => m[0]);
      // `up` is Prometheus' own scrape metric; anything else must be ours.
      expect(names.length > 0 || /\bup\{/.test(expr), `${where}: ${expr} names no metric`).toBe(true);
      for (const n of names) expect(known.has(n), `${where}: unknown metric ${n} in ${expr}`).toBe(true);
    }
  });

  it("covers every checker_* metric of the node's own (not the process defaults)", () => {
    const all = exprs.map((e) => e.expr).join("\n");
    const uncovered = docs
      .filter((d) => !/^checker_(process|nodejs)_/.test(d.name))
      .filter((d) => !new RegExp(`\\b${d.name}(_bucket|_sum|_count)?\\b`).test(all))
      .map((d) => d.name);
    expect(uncovered).toEqual([]);
  });
});
