/**
 * The Node.js process metrics prom-client's `collectDefaultMetrics` exported (same names after the
 * prefix, HELP texts, types and labels: the dashboards and docs/metrics.md use them), read at scrape
 * time. The event loop's delay is sampled by `monitorEventLoopDelay` (libuv's timer, 10 ms) and GC
 * durations by a PerformanceObserver, as prom-client did.
 */
import { readdirSync, readFileSync } from "node:fs";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import v8 from "node:v8";
import { Counter, Gauge, Histogram, type Registry } from "./registry.ts";

const GC_KINDS: Record<number, string> = { 1: "minor", 2: "major", 4: "incremental", 8: "weakcb" };

/** Counts per type of the resources, handles or requests `list()` returns. */
function byType(list: () => readonly unknown[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const x of list()) {
    const t = typeof x === "string" ? x : ((x as object | null)?.constructor?.name ?? "Unknown");
    out.set(t, (out.get(t) ?? 0) + 1);
  }
  return out;
}

/** /proc/self/status fields (kB) on Linux; undefined elsewhere. */
function procStatus(): Record<string, number> | undefined {
  try {
    const out: Record<string, number> = {};
    for (const m of readFileSync("/proc/self/status", "utf8").matchAll(/^(Vm\w+):\s+(\d+) kB$/gm)) {
      out[m[1] as string] = Number(m[2]) * 1024;
    }
    return out;
  } catch {
    return undefined;
  }
}

function maxFds(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return m === null ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

export function registerDefaultMetrics(registry: Registry, prefix: string): void {
  const registers = [registry];
  const gauge = (name: string, help: string, collect: (this: Gauge) => void | Promise<void>) =>
    new Gauge({ name: prefix + name, help, registers, collect });
  const labelled = <L extends string>(
    name: string,
    help: string,
    labelNames: L[],
    collect: (this: Gauge<L>) => void,
  ) => new Gauge<L>({ name: prefix + name, help, labelNames, registers, collect });

  // CPU: each counter follows the process total (process.cpuUsage), read at scrape time.
  const cpuCounter = (name: string, help: string, read: (u: NodeJS.CpuUsage) => number) => {
    let last = 0;
    new Counter({
      name: prefix + name,
      help,
      registers,
      collect() {
        const now = read(process.cpuUsage()) / 1e6;
        if (now > last) this.inc(now - last);
        last = now;
      },
    });
  };
  cpuCounter("process_cpu_user_seconds_total", "Total user CPU time spent in seconds.", (u) => u.user);
  cpuCounter("process_cpu_system_seconds_total", "Total system CPU time spent in seconds.", (u) => u.system);
  cpuCounter(
    "process_cpu_seconds_total",
    "Total user and system CPU time spent in seconds.",
    (u) => u.user + u.system,
  );

  const startTime = Math.round(Date.now() / 1000 - process.uptime());
  gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", function () {
    this.set(startTime);
  });
  gauge("process_resident_memory_bytes", "Resident memory size in bytes.", function () {
    this.set(procStatus()?.VmRSS ?? process.memoryUsage.rss());
  });
  if (process.platform === "linux") {
    gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", function () {
      this.set(procStatus()?.VmSize ?? 0);
    });
    gauge("process_heap_bytes", "Process heap size in bytes.", function () {
      this.set(procStatus()?.VmData ?? 0);
    });
    gauge("process_open_fds", "Number of open file descriptors.", function () {
      try {
        this.set(readdirSync("/proc/self/fd").length - 1);
      } catch {
        // not readable: keep the last value
      }
    });
    const max = maxFds();
    if (max !== undefined) {
      gauge("process_max_fds", "Maximum number of open file descriptors.", function () {
        this.set(max);
      });
    }
  }

  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const lagSeconds = (ns: number) => ns / 1e9;
  let lag = 0;
  gauge("nodejs_eventloop_lag_seconds", "Lag of event loop in seconds.", async function () {
    const start = process.hrtime.bigint();
    await new Promise((r) => setImmediate(r));
    lag = Number(process.hrtime.bigint() - start) / 1e9;
    this.set(lag);
  });
  const stats: [string, string, () => number][] = [
    ["min", "The minimum recorded event loop delay.", () => delay.min],
    ["max", "The maximum recorded event loop delay.", () => delay.max],
    ["mean", "The mean of the recorded event loop delays.", () => delay.mean],
    ["stddev", "The standard deviation of the recorded event loop delays.", () => delay.stddev],
    ["p50", "The 50th percentile of the recorded event loop delays.", () => delay.percentile(50)],
    ["p90", "The 90th percentile of the recorded event loop delays.", () => delay.percentile(90)],
    ["p99", "The 99th percentile of the recorded event loop delays.", () => delay.percentile(99)],
  ];
  stats.forEach(([name, help, read], i) => {
    gauge(`nodejs_eventloop_lag_${name}_seconds`, help, function () {
      this.set(lagSeconds(read()));
      // The last of them starts the next interval, as prom-client did.
      if (i === stats.length - 1) delay.reset();
    });
  });

  const activeResources = (process as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo;
  if (typeof activeResources === "function") {
    labelled(
      "nodejs_active_resources",
      "Number of active resources that are currently keeping the event loop alive, grouped by async resource type.",
      ["type"],
      function () {
        this.reset();
        for (const [type, n] of byType(activeResources)) this.set({ type }, n);
      },
    );
    gauge("nodejs_active_resources_total", "Total number of active resources.", function () {
      this.set(activeResources().length);
    });
  }
  const internal = process as { _getActiveHandles?: () => unknown[]; _getActiveRequests?: () => unknown[] };
  const handles = internal._getActiveHandles;
  if (typeof handles === "function") {
    labelled(
      "nodejs_active_handles",
      "Number of active libuv handles grouped by handle type. Every handle type is C++ class name.",
      ["type"],
      function () {
        this.reset();
        for (const [type, n] of byType(() => handles.call(process))) this.set({ type }, n);
      },
    );
    gauge("nodejs_active_handles_total", "Total number of active handles.", function () {
      this.set(handles.call(process).length);
    });
  }
  const requests = internal._getActiveRequests;
  if (typeof requests === "function") {
    labelled(
      "nodejs_active_requests",
      "Number of active libuv requests grouped by request type. Every request type is C++ class name.",
      ["type"],
      function () {
        this.reset();
        for (const [type, n] of byType(() => requests.call(process))) this.set({ type }, n);
      },
    );
    gauge("nodejs_active_requests_total", "Total number of active requests.", function () {
      this.set(requests.call(process).length);
    });
  }

  gauge("nodejs_heap_size_total_bytes", "Process heap size from Node.js in bytes.", function () {
    this.set(process.memoryUsage().heapTotal);
  });
  gauge("nodejs_heap_size_used_bytes", "Process heap size used from Node.js in bytes.", function () {
    this.set(process.memoryUsage().heapUsed);
  });
  gauge("nodejs_external_memory_bytes", "Node.js external memory size in bytes.", function () {
    this.set(process.memoryUsage().external);
  });
  for (const kind of ["total", "used", "available"] as const) {
    labelled(
      `nodejs_heap_space_size_${kind}_bytes`,
      `Process heap space size ${kind} from Node.js in bytes.`,
      ["space"],
      function () {
        for (const s of v8.getHeapSpaceStatistics()) {
          const space = s.space_name.replace(/_space$/, "");
          const value =
            kind === "total" ? s.space_size : kind === "used" ? s.space_used_size : s.space_available_size;
          this.set({ space }, value);
        }
      },
    );
  }

  const [major, minor, patch] = process.version.slice(1).split(".").map(Number);
  labelled(
    "nodejs_version_info",
    "Node.js version info.",
    ["version", "major", "minor", "patch"],
    function () {
      this.set({ version: process.version, major: major ?? 0, minor: minor ?? 0, patch: patch ?? 0 }, 1);
    },
  );

  const gc = new Histogram<"kind">({
    name: `${prefix}nodejs_gc_duration_seconds`,
    help: "Garbage collection duration by kind, one of major, minor, incremental or weakcb.",
    labelNames: ["kind"],
    buckets: [0.001, 0.01, 0.1, 1, 2, 5],
    registers,
  });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? "unknown";
      gc.observe({ kind }, entry.duration / 1000);
    }
  });
  observer.observe({ entryTypes: ["gc"] });
}
