/**
 * Footprint of one checker node in a running devnet: resident memory (RSS)
 * and CPU, sampled from /proc every second while the devnet (6 checkers,
 * 3 providers, one faulty) runs several epochs. A laptop is the target: the
 * numbers say what a license holder's machine gives up to run a node.
 *
 *   npm run bench:footprint [-- --epochs 4 --checkers 6 --providers 3 --epoch-seconds 20]
 *   (writes bench/results/footprint.json)
 *
 * Linux only (/proc). CPU is utime + stime of the node's process (all its
 * threads) over the sampling window, in % of one core.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startDevnet } from "../scripts/devnet/index.ts";

const { values } = parseArgs({
  options: {
    epochs: { type: "string", default: "4" },
    checkers: { type: "string", default: "6" },
    providers: { type: "string", default: "3" },
    "epoch-seconds": { type: "string", default: "20" },
  },
});
const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux

function sample(pid: number): { rssBytes: number; cpuTicks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at ") ".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0");
    return { rssBytes: rssKb * 1024, cpuTicks: utime + stime };
  } catch {
    return undefined;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

const epochs = Number(values.epochs);
const dataDir = mkdtempSync(join(os.tmpdir(), "checkernet-footprint-"));
const devnet = await startDevnet({
  checkers: Number(values.checkers),
  providers: Number(values.providers),
  epochSeconds: Number(values["epoch-seconds"]),
  epochs,
  dataDir,
  log: (line) => console.log(`devnet: ${line}`),
});
const nodes = devnet.checkers.map((c) => ({ name: c.name, pid: c.child.process.pid as number }));
const provider = devnet.providers[0];
const series = new Map<
  string,
  { rss: number[]; first?: { t: number; ticks: number }; last?: { t: number; ticks: number } }
>();
const watch = [
  ...nodes,
  ...(provider === undefined ? [] : [{ name: provider.name, pid: provider.child.process.pid as number }]),
];
for (const n of watch) series.set(n.name, { rss: [] });
const timer = setInterval(() => {
  const t = Date.now();
  for (const n of watch) {
    const s = sample(n.pid);
    const entry = series.get(n.name);
    if (s === undefined || entry === undefined) continue;
    entry.rss.push(s.rssBytes);
    entry.first ??= { t, ticks: s.cpuTicks };
    entry.last = { t, ticks: s.cpuTicks };
  }
}, 1_000);
const outcome = await devnet.finished;
clearInterval(timer);
const summary = await devnet.stop(outcome.reason);

const perNode = [...series.entries()].map(([name, s]) => {
  const rss = [...s.rss].sort((a, b) => a - b);
  const seconds = s.first && s.last ? (s.last.t - s.first.t) / 1000 : 0;
  const cpuSeconds = s.first && s.last ? (s.last.ticks - s.first.ticks) / CLOCK_TICKS : 0;
  return {
    name,
    samples: rss.length,
    rssMiB: {
      p50: +(percentile(rss, 50) / 2 ** 20).toFixed(1),
      max: +((rss.at(-1) ?? 0) / 2 ** 20).toFixed(1),
    },
    cpuPercentOfOneCore: seconds > 0 ? +((100 * cpuSeconds) / seconds).toFixed(1) : 0,
    windowSeconds: +seconds.toFixed(1),
  };
});
const checkerRows = perNode.filter((n) => n.name.startsWith("checker-"));
const result = {
  bench: "footprint",
  date: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model ?? "",
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
  },
  devnet: {
    ...summary.options,
    reportsLanded: summary.reports.length,
    stoppedBy: summary.stoppedBy,
    error: summary.error,
  },
  checker: {
    rssMiBMedianOfNodes: percentile(
      checkerRows.map((n) => n.rssMiB.p50).sort((a, b) => a - b),
      50,
    ),
    rssMiBMax: Math.max(...checkerRows.map((n) => n.rssMiB.max)),
    cpuPercentMedianOfNodes: percentile(
      checkerRows.map((n) => n.cpuPercentOfOneCore).sort((a, b) => a - b),
      50,
    ),
  },
  perNode,
  note: "All nodes share one machine with the chain and the providers; a node alone on a laptop sees the same work.",
};
console.table(
  perNode.map((n) => ({
    node: n.name,
    "RSS p50 MiB": n.rssMiB.p50,
    "RSS max MiB": n.rssMiB.max,
    "CPU % of a core": n.cpuPercentOfOneCore,
  })),
);
console.log(
  `checker: RSS median ${result.checker.rssMiBMedianOfNodes} MiB (max ${result.checker.rssMiBMax}), CPU median ${result.checker.cpuPercentMedianOfNodes}% of one core`,
);
mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
writeFileSync(join(import.meta.dirname, "results/footprint.json"), `${JSON.stringify(result, null, 2)}\n`);
console.log("written to bench/results/footprint.json");
