/**
 * What a node process spent over a window, from two scrapes of its /metrics (prom-client's default
 * metrics): CPU time, and garbage collection by kind (count, total pause, pauses over 10 ms). The
 * Sybil-flood drill logs it per checker and epoch next to the event-loop lag, to tell a lag tail
 * made by the node's own work (CPU, GC pauses) from one made by a starved machine (lag with little CPU).
 */
const GC = "checker_nodejs_gc_duration_seconds";

interface GcKind {
  count: number;
  sumS: number;
  /** Pauses over 10 ms and over 100 ms (the histogram's 0.01 and 0.1 buckets). */
  over10ms: number;
  over100ms: number;
}

export interface ProcessCosts {
  cpuS: number;
  gc: Map<string, GcKind>;
}

function processCosts(text: string): ProcessCosts {
  const cpu = /^checker_process_cpu_seconds_total (\S+)$/m.exec(text);
  const gc = new Map<string, GcKind>();
  const kind = (k: string) => {
    let g = gc.get(k);
    if (g === undefined) {
      g = { count: 0, sumS: 0, over10ms: 0, over100ms: 0 };
      gc.set(k, g);
    }
    return g;
  };
  for (const m of text.matchAll(new RegExp(`^${GC}_(sum|count)\\{kind="(\\w+)"\\} (\\S+)$`, "gm"))) {
    if (m[1] === "sum") kind(m[2]!).sumS = Number(m[3]);
    else kind(m[2]!).count = Number(m[3]);
  }
  // Pauses over 10 and 100 ms: the count less the 0.01 and 0.1 buckets.
  for (const m of text.matchAll(
    new RegExp(`^${GC}_bucket\\{le="(0.01|0.1)",kind="(\\w+)"\\} (\\S+)$`, "gm"),
  )) {
    const g = kind(m[2]!);
    if (m[1] === "0.01") g.over10ms = g.count - Number(m[3]);
    else g.over100ms = g.count - Number(m[3]);
  }
  return { cpuS: cpu === null ? 0 : Number(cpu[1]), gc };
}

/** What was spent between scrape `a` and the later scrape `b`. */
export function costsBetween(a: string, b: string): ProcessCosts {
  const [x, y] = [processCosts(a), processCosts(b)];
  const gc = new Map<string, GcKind>();
  for (const [k, g] of y.gc) {
    const f = x.gc.get(k) ?? { count: 0, sumS: 0, over10ms: 0, over100ms: 0 };
    gc.set(k, {
      count: g.count - f.count,
      sumS: g.sumS - f.sumS,
      over10ms: g.over10ms - f.over10ms,
      over100ms: g.over100ms - f.over100ms,
    });
  }
  return { cpuS: y.cpuS - x.cpuS, gc };
}

/** "cpu 9.1 s, gc minor 812/1.31 s (>10 ms: 4, >100 ms: 0), major 3/0.12 s (>10 ms: 3, >100 ms: 1)" */
export function formatCosts(c: ProcessCosts): string {
  const gc = [...c.gc]
    .filter(([, g]) => g.count > 0)
    .map(
      ([k, g]) => `${k} ${g.count}/${g.sumS.toFixed(2)} s (>10 ms: ${g.over10ms}, >100 ms: ${g.over100ms})`,
    )
    .join(", ");
  return `cpu ${c.cpuS.toFixed(1)} s, gc ${gc === "" ? "none" : gc}`;
}
