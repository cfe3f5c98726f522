import { collectDefaultMetrics, Registry as PromRegistry } from "prom-client";
import { describe, expect, it } from "vitest";
import { metricDocs } from "../../../src/metrics/docs.ts";
import { createMetrics } from "../../../src/metrics/index.ts";
import { Counter, Gauge, Histogram, Registry } from "../../../src/metrics/registry.ts";

describe("the node's metric registry (Prometheus text format 0.0.4)", () => {
  it("writes counters, gauges and cumulative histogram buckets with _sum and _count", async () => {
    const registry = new Registry();
    const registers = [registry];
    const c = new Counter<"code">({ name: "t_total", help: "A counter", labelNames: ["code"], registers });
    const g = new Gauge({ name: "t_gauge", help: "A gauge", registers });
    const h = new Histogram<"kind">({
      name: "t_seconds",
      help: "A histogram",
      labelNames: ["kind"],
      buckets: [0.1, 1],
      registers,
    });
    c.inc({ code: "A" });
    c.inc({ code: "A" }, 2);
    c.inc({ code: 'say "hi"\\' });
    g.set(7.5);
    h.observe({ kind: "x" }, 0.0625);
    h.observe({ kind: "x" }, 0.5);
    h.observe({ kind: "x" }, 3);
    expect(registry.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(await registry.metrics()).toBe(
      [
        "# HELP t_total A counter",
        "# TYPE t_total counter",
        't_total{code="A"} 3',
        't_total{code="say \\"hi\\"\\\\"} 1',
        "",
        "# HELP t_gauge A gauge",
        "# TYPE t_gauge gauge",
        "t_gauge 7.5",
        "",
        "# HELP t_seconds A histogram",
        "# TYPE t_seconds histogram",
        't_seconds_bucket{kind="x",le="0.1"} 1',
        't_seconds_bucket{kind="x",le="1"} 2',
        't_seconds_bucket{kind="x",le="+Inf"} 3',
        't_seconds_sum{kind="x"} 3.5625',
        't_seconds_count{kind="x"} 3',
        "",
      ].join("\n"),
    );
    expect(() => c.inc({ code: "A" }, -1)).toThrow(/decrease/);
    expect(() => c.inc({ other: "x" } as never)).toThrow(/not included/);
    expect(() => new Gauge({ name: "t_gauge", help: "again", registers })).toThrow(/already been registered/);
  });

  it("answers get() as prom-client did: labelled values, histogram series by metricName, a zero for an unlabelled counter", async () => {
    const m = createMetrics();
    expect((await m.blsBatchRetries.get()).values).toEqual([{ value: 0, labels: {} }]);
    m.challengeRuns.inc({ kind: "vram", result: "pass" });
    expect((await m.challengeRuns.get()).values).toEqual([
      { value: 1, labels: { kind: "vram", result: "pass" } },
    ]);
    m.blsBatchSets.observe(3);
    const hist = (await m.blsBatchSets.get()).values;
    expect(hist.find((v) => v.metricName === "checker_bls_batch_sets_count")?.value).toBe(1);
    expect(
      hist.find((v) => v.metricName === "checker_bls_batch_sets_bucket" && v.labels.le === 4)?.value,
    ).toBe(1);
    expect(
      hist.find((v) => v.metricName === "checker_bls_batch_sets_bucket" && v.labels.le === 2)?.value,
    ).toBe(0);
    const end = m.challengeSeconds.startTimer({ kind: "vram" });
    expect(end()).toBeGreaterThanOrEqual(0);
    expect((await m.challengeSeconds.get()).values.at(-1)).toEqual({
      value: 1,
      labels: { kind: "vram" },
      metricName: "checker_challenge_seconds_count",
    });
  });

  it("exports prom-client's default process metrics: the same names, types, HELP texts and labels", async () => {
    const prom = new PromRegistry();
    collectDefaultMetrics({ register: prom, prefix: "checker_" });
    const theirs = (await prom.getMetricsAsJSON()).map((m) => ({
      name: m.name,
      type: String(m.type),
      help: m.help,
      labels: [
        ...((prom.getSingleMetric(m.name) as { labelNames?: string[] } | undefined)?.labelNames ?? []),
      ],
    }));
    const ours = (await metricDocs(createMetrics({ defaultMetrics: true }).registry)).filter((d) =>
      /^checker_(process|nodejs)_/.test(d.name),
    );
    const byName = (a: { name: string }, b: { name: string }) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    expect(ours.sort(byName)).toEqual(theirs.sort(byName));
  });

  it("reads the process metrics at scrape time under prom-client's names", async () => {
    const text = await createMetrics({ defaultMetrics: true }).registry.metrics();
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
    expect(value("checker_process_resident_memory_bytes")).toBeGreaterThan(10 * 2 ** 20);
    expect(value("checker_process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(value("checker_nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
    expect(value("checker_process_start_time_seconds")).toBeGreaterThan(Date.now() / 1000 - 3_600);
    expect(text).toMatch(
      /^checker_nodejs_version_info\{version="v\d+\.\d+\.\d+",major="\d+",minor="\d+",patch="\d+"\} 1$/m,
    );
    expect(text).toMatch(/^checker_nodejs_heap_space_size_used_bytes\{space="old"\} \d+$/m);
  });
});
