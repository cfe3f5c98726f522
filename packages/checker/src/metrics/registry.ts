/**
 * The node's metric types: counters, gauges and histograms on a registry that writes the Prometheus
 * text format (version 0.0.4), with the part of prom-client's interface the node and its tests use
 * (`inc`, `set`, `observe`, `startTimer`, `get`, `reset`, a gauge's `collect`, the registry's
 * `metrics`, `contentType`, `getMetricsAsJSON`, `getSingleMetric`) and the same output.
 *
 * Why not prom-client: with the launcher's flags, prom-client with its default metrics and the
 * node's 18 metrics cost a fresh process +2.6-2.9 MiB of RSS after a few scrapes, these +1.4 MiB
 * (docs/footprint.md); they are all the node needs. Names, HELP texts, types and labels are unchanged:
 * docs/metrics.md is generated from them and its test compares, and registry.test.ts compares the
 * default process metrics with prom-client's (which stays a dependency for that test).
 */

type LabelValues<L extends string> = Partial<Record<L, string | number>>;

interface MetricValue<_L extends string = string> {
  value: number;
  /** The series' labels (a histogram's buckets add `le`). */
  labels: Record<string, string | number>;
  /** Histograms: which series the value is (`<name>_bucket`, `_sum`, `_count`). */
  metricName?: string;
}

interface MetricObject<L extends string = string> {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  values: MetricValue<L>[];
  aggregator: "sum";
}

interface MetricConfig<L extends string, M> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  registers?: Registry[];
  /** Called before each read (a scrape, `get`), on the metric: what is read from the process goes in here. */
  collect?: (this: M) => void | Promise<void>;
}

const escapeHelp = (s: string) => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
const escapeLabel = (s: string) => s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

function formatLabels(labels: Record<string, string | number | undefined>): string {
  const parts = Object.entries(labels)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}="${escapeLabel(String(v))}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** The key of a label set: its values in labelNames order. */
function keyOf(labelNames: readonly string[], labels: Record<string, unknown>): string {
  for (const k of Object.keys(labels)) {
    if (!labelNames.includes(k)) throw new Error(`Added label "${k}" is not included in initial labelset`);
  }
  return labelNames.map((n) => String(labels[n] ?? "")).join("\u0000");
}

abstract class Metric<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  abstract readonly type: MetricObject["type"];
  readonly #collect: (() => void | Promise<void>) | undefined;

  constructor(config: MetricConfig<L, never>) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(config.name))
      throw new Error(`Invalid metric name: ${config.name}`);
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames ?? [];
    this.#collect = config.collect as (() => void | Promise<void>) | undefined;
    for (const r of config.registers ?? []) r.registerMetric(this);
  }

  protected abstract values(): MetricValue<L>[];

  async get(): Promise<MetricObject<L>> {
    await this.#collect?.call(this as never);
    return { name: this.name, help: this.help, type: this.type, values: this.values(), aggregator: "sum" };
  }

  abstract reset(): void;
}

/** Splits prom-client's `(labels?, value?)` overloads. */
function args<L extends string>(
  a?: LabelValues<L> | number,
  b?: number,
): [LabelValues<L>, number | undefined] {
  return typeof a === "object" ? [a, b] : [{}, a];
}

export class Counter<L extends string = string> extends Metric<L> {
  readonly type = "counter" as const;
  readonly #values = new Map<string, { labels: LabelValues<L>; value: number }>();

  constructor(config: MetricConfig<L, Counter<L>>) {
    super(config as MetricConfig<L, never>);
    if (this.labelNames.length === 0) this.#values.set("", { labels: {}, value: 0 });
  }

  inc(labels?: LabelValues<L> | number, value?: number): void {
    const [l, v = 1] = args(labels, value);
    if (!(v >= 0)) throw new Error(`It is not possible to decrease a counter (${v})`);
    const key = keyOf(this.labelNames, l);
    const entry = this.#values.get(key);
    if (entry === undefined) this.#values.set(key, { labels: { ...l }, value: v });
    else entry.value += v;
  }

  reset(): void {
    this.#values.clear();
    if (this.labelNames.length === 0) this.#values.set("", { labels: {}, value: 0 });
  }

  protected values(): MetricValue<L>[] {
    return [...this.#values.values()].map((e) => ({
      value: e.value,
      labels: { ...e.labels } as Record<string, string | number>,
    }));
  }
}

export class Gauge<L extends string = string> extends Metric<L> {
  readonly type = "gauge" as const;
  readonly #values = new Map<string, { labels: LabelValues<L>; value: number }>();

  constructor(config: MetricConfig<L, Gauge<L>>) {
    super(config as MetricConfig<L, never>);
    if (this.labelNames.length === 0) this.#values.set("", { labels: {}, value: 0 });
  }

  set(labels: LabelValues<L> | number, value?: number): void {
    const [l, v = 0] = args(labels, value);
    this.#values.set(keyOf(this.labelNames, l), { labels: { ...l }, value: v });
  }

  inc(labels?: LabelValues<L> | number, value?: number): void {
    const [l, v = 1] = args(labels, value);
    const key = keyOf(this.labelNames, l);
    const entry = this.#values.get(key);
    this.#values.set(key, { labels: { ...l }, value: (entry?.value ?? 0) + v });
  }

  dec(labels?: LabelValues<L> | number, value?: number): void {
    const [l, v = 1] = args(labels, value);
    this.inc(l, -v);
  }

  reset(): void {
    this.#values.clear();
    if (this.labelNames.length === 0) this.#values.set("", { labels: {}, value: 0 });
  }

  protected values(): MetricValue<L>[] {
    return [...this.#values.values()].map((e) => ({
      value: e.value,
      labels: { ...e.labels } as Record<string, string | number>,
    }));
  }
}

const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Histogram<L extends string = string> extends Metric<L> {
  readonly type = "histogram" as const;
  readonly #buckets: readonly number[];
  readonly #values = new Map<
    string,
    { labels: LabelValues<L>; counts: number[]; sum: number; count: number }
  >();

  constructor(config: MetricConfig<L, Histogram<L>> & { buckets?: readonly number[] }) {
    super(config as MetricConfig<L, never>);
    this.#buckets = [...(config.buckets ?? DEFAULT_BUCKETS)].sort((a, b) => a - b);
    if (this.labelNames.length === 0) this.reset();
  }

  observe(labels: LabelValues<L> | number, value?: number): void {
    const [l, v = 0] = args(labels, value);
    const key = keyOf(this.labelNames, l);
    let entry = this.#values.get(key);
    if (entry === undefined) {
      entry = { labels: { ...l }, counts: this.#buckets.map(() => 0), sum: 0, count: 0 };
      this.#values.set(key, entry);
    }
    // Cumulative at read time; here each observation counts in the first bucket that holds it.
    const at = this.#buckets.findIndex((b) => v <= b);
    if (at !== -1) entry.counts[at] = (entry.counts[at] ?? 0) + 1;
    entry.sum += v;
    entry.count += 1;
  }

  /** Starts a timer; calling what it returns observes the seconds since, and returns them. */
  startTimer(labels?: LabelValues<L>): (end?: LabelValues<L>) => number {
    const start = process.hrtime.bigint();
    return (end) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      this.observe({ ...labels, ...end }, seconds);
      return seconds;
    };
  }

  reset(): void {
    this.#values.clear();
    if (this.labelNames.length === 0) {
      this.#values.set("", { labels: {}, counts: this.#buckets.map(() => 0), sum: 0, count: 0 });
    }
  }

  protected values(): MetricValue<L>[] {
    const out: MetricValue<L>[] = [];
    for (const entry of this.#values.values()) {
      const e = { ...entry, labels: entry.labels as Record<string, string | number> };
      let cumulative = 0;
      this.#buckets.forEach((le, i) => {
        cumulative += e.counts[i] ?? 0;
        out.push({ value: cumulative, labels: { ...e.labels, le }, metricName: `${this.name}_bucket` });
      });
      out.push({ value: e.count, labels: { ...e.labels, le: "+Inf" }, metricName: `${this.name}_bucket` });
      out.push({ value: e.sum, labels: { ...e.labels }, metricName: `${this.name}_sum` });
      out.push({ value: e.count, labels: { ...e.labels }, metricName: `${this.name}_count` });
    }
    return out;
  }
}

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

export class Registry {
  readonly contentType = "text/plain; version=0.0.4; charset=utf-8";
  readonly #metrics = new Map<string, Metric<string>>();

  registerMetric(metric: Metric<string>): void {
    if (this.#metrics.has(metric.name)) {
      throw new Error(`A metric with the name ${metric.name} has already been registered.`);
    }
    this.#metrics.set(metric.name, metric);
  }

  getSingleMetric(name: string): AnyMetric | undefined {
    return this.#metrics.get(name) as AnyMetric | undefined;
  }

  async getMetricsAsJSON(): Promise<MetricObject[]> {
    return Promise.all([...this.#metrics.values()].map((m) => m.get()));
  }

  /** Every metric in the Prometheus text format. */
  async metrics(): Promise<string> {
    const parts = (await this.getMetricsAsJSON()).map((m) => {
      const lines = [`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`];
      for (const v of m.values) {
        lines.push(`${v.metricName ?? m.name}${formatLabels(v.labels)} ${formatValue(v.value)}`);
      }
      return lines.join("\n");
    });
    return `${parts.join("\n\n")}\n`;
  }
}
