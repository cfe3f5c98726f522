/**
 * Footprint of checker nodes and a provider agent in a running devnet:
 * resident memory (RSS) and CPU, sampled from /proc every second. A laptop is
 * the target: the numbers say what a license holder's machine gives up to run
 * a node. docs/footprint.md has the breakdown and the measured numbers.
 *
 *   npm run bench:footprint -- --licenses 1000 [--epochs 3 --providers 3 --epoch-seconds 20]
 *     Two checkers: checker-1 keeps the devnet's few licenses, checker-2 gets
 *     delegated the rest up to --licenses (minted in batches, delegated one by
 *     one, after genesis); sampling is measured over --epochs whole epochs
 *     once all of them count in the chain's license snapshot.
 *   npm run bench:footprint -- --licenses 1000 --providers 100 --providers-per-agent 25 --epoch-seconds 120
 *     The same against 100 registered providers, 25 served by each provider process (serve/agent.ts).
 *   --keep-provider-connections: checkers hold provider connections (footprintKeepConnections.ts), for comparisons.
 *   npm run bench:footprint [-- --epochs 4 --checkers 6 --providers 3 --epoch-seconds 20]
 *     The plain devnet (6 checkers with 2 licenses each), sampled throughout.
 *
 * Writes bench/results/footprint.json. Linux only (/proc). CPU is utime +
 * stime of the process (all its threads) over the window, in % of one core.
 * Disk is each node's data directory (and its LevelDB, `db/`): its size at
 * the end and its growth per epoch over the window; bandwidth is the bytes
 * each node's TCP sockets carried per epoch, split into p2p, chain RPC and
 * its own HTTP API (bench/footprintIo.ts says how they are read).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { checkerLicenseAbi, checkerRegistryAbi } from "@checkernet/contracts/generated/index";
import type { Address } from "viem";
import { type DevnetHandle, startDevnet } from "../scripts/devnet/index.ts";
import { DEVNET } from "../scripts/devnet/params.ts";
import { dirBytes, type TrafficClass, TrafficMeter } from "./footprintIo.ts";
import { rpcSites } from "./footprintRpc.ts";

const { values } = parseArgs({
  options: {
    epochs: { type: "string" },
    checkers: { type: "string" },
    providers: { type: "string", default: "3" },
    "providers-per-agent": { type: "string", default: "1" },
    "epoch-seconds": { type: "string", default: "20" },
    licenses: { type: "string" },
    "trace-rpc": { type: "boolean", default: false },
    "keep-provider-connections": { type: "boolean", default: false },
  },
});
const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux
/** Licenses per mintBatch transaction: ~25k gas each keeps a batch far below the block gas limit. */
const MINT_BATCH = 200;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) {
    console.error(`error: --${name} must be a positive integer, got ${JSON.stringify(raw)} [BAD_ARGUMENT]`);
    process.exit(2);
  }
  return Number(raw);
}

const licenseTarget = values.licenses === undefined ? undefined : positive("licenses", values.licenses, 1);
if (licenseTarget !== undefined && licenseTarget < DEVNET.licensesPerOperator) {
  console.error(
    `error: --licenses must be at least ${DEVNET.licensesPerOperator} (the devnet's licenses per operator) [BAD_ARGUMENT]`,
  );
  process.exit(2);
}
const epochs = positive("epochs", values.epochs, licenseTarget === undefined ? 4 : 3);
const checkerCount = positive("checkers", values.checkers, licenseTarget === undefined ? 6 : 2);
const providerCount = positive("providers", values.providers, 3);
const providersPerAgent = positive("providers-per-agent", values["providers-per-agent"], 1);
const epochSeconds = positive("epoch-seconds", values["epoch-seconds"], 20);

interface Sample {
  t: number;
  rssBytes: number;
  cpuTicks: number;
}

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

const mib = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);

/** RSS p50/max and CPU over the samples taken in [from, to]. */
function stats(samples: readonly Sample[], from: number, to: number) {
  const w = samples.filter((s) => s.t >= from && s.t <= to);
  const rss = w.map((s) => s.rssBytes).sort((a, b) => a - b);
  const first = w[0];
  const last = w.at(-1);
  const seconds = first && last ? (last.t - first.t) / 1000 : 0;
  const cpuSeconds = first && last ? (last.cpuTicks - first.cpuTicks) / CLOCK_TICKS : 0;
  return {
    samples: w.length,
    rssMiB: { p50: mib(percentile(rss, 50)), max: mib(rss.at(-1) ?? 0) },
    cpuPercentOfOneCore: seconds > 0 ? +((100 * cpuSeconds) / seconds).toFixed(1) : 0,
    windowSeconds: +seconds.toFixed(1),
  };
}

async function chainEpoch(devnet: DevnetHandle): Promise<bigint> {
  return devnet.chain.publicClient.readContract({
    address: devnet.deployment.contracts.checkerLicense,
    abi: checkerLicenseAbi,
    functionName: "currentEpoch",
  });
}

/**
 * Mints `extra` licenses to the first license owner and has it delegate them all to `operator`;
 * returns the first epoch whose license snapshot counts every license.
 */
async function delegateMany(devnet: DevnetHandle, operator: Address, extra: number): Promise<bigint> {
  const { chain, deployment } = devnet;
  const license = { address: deployment.contracts.checkerLicense, abi: checkerLicenseAbi } as const;
  const owner = chain.wallet(DEVNET.ownerAccountBase);
  let next = (await chain.publicClient.readContract({ ...license, functionName: "totalSupply" })) + 1n;
  for (let left = extra; left > 0; left -= MINT_BATCH) {
    const count = BigInt(Math.min(MINT_BATCH, left));
    const hash = await chain.wallet(0).writeContract({
      ...license,
      functionName: "mintBatch",
      args: [owner.account.address, count],
    });
    await chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 100 });
  }
  // Automine: each transaction is mined when sent, so one after the other keeps the nonces in order.
  let last: `0x${string}` | undefined;
  for (let i = 0; i < extra; i++, next++) {
    last = await owner.writeContract({
      ...license,
      functionName: "delegate",
      args: [next, operator],
      gas: 300_000n,
    });
    if ((i + 1) % 100 === 0) console.log(`bench: delegated ${i + 1}/${extra}`);
  }
  if (last !== undefined) {
    const receipt = await chain.publicClient.waitForTransactionReceipt({ hash: last, pollingInterval: 100 });
    if (receipt.status !== "success") throw new Error(`delegate: transaction ${last} reverted`);
  }
  const total = BigInt(devnet.licenses.length + extra);
  const registry = { address: deployment.contracts.checkerRegistry, abi: checkerRegistryAbi } as const;
  const changesFrom = await chain.publicClient.readContract({
    ...registry,
    functionName: "effectiveEpochOfChange",
  });
  const count = await chain.publicClient.readContract({
    ...registry,
    functionName: "licenseCountAt",
    args: [changesFrom],
  });
  if (count < total) throw new Error(`license snapshot of epoch ${changesFrom} holds ${count} < ${total}`);
  return changesFrom;
}

async function untilEpoch(devnet: DevnetHandle, epoch: bigint, failed: () => boolean): Promise<void> {
  while (!failed() && (await chainEpoch(devnet)) < epoch) await new Promise((r) => setTimeout(r, 1_000));
}

const dataDir = mkdtempSync(join(os.tmpdir(), "checkernet-footprint-"));
/** --trace-rpc: every node records its JSON-RPC requests there (bench/footprintRpcTrace.ts); not a CPU run. */
// Not inside dataDir: the devnet clears that when it starts.
const traceDir = values["trace-rpc"] ? mkdtempSync(join(os.tmpdir(), "checkernet-rpc-trace-")) : undefined;
if (traceDir !== undefined) {
  console.log(`bench: JSON-RPC traces in ${traceDir}`);
  process.env.CHECKERNET_RPC_TRACE_DIR = traceDir;
  const hook = `--import=${join(import.meta.dirname, "footprintRpcTrace.ts")}`;
  process.env.CHECKERNET_NODE_FLAGS = `${process.env.CHECKERNET_NODE_FLAGS ?? ""} ${hook}`.trim();
}
if (values["keep-provider-connections"]) {
  // The comparison's "before": checkers hold provider connections instead of hanging up after runs.
  const hook = `--import=${join(import.meta.dirname, "footprintKeepConnections.ts")}`;
  process.env.CHECKERNET_NODE_FLAGS = `${process.env.CHECKERNET_NODE_FLAGS ?? ""} ${hook}`.trim();
}
const devnet = await startDevnet({
  checkers: checkerCount,
  providers: providerCount,
  providersPerAgent,
  epochSeconds,
  // The plain mode stops by itself; the license mode stops once its window is over.
  ...(licenseTarget === undefined ? { epochs } : {}),
  dataDir,
  log: (line) => console.log(`devnet: ${line}`),
});
const provider = devnet.providers[0];
/** The providers the first provider process serves (1 unless --providers-per-agent). */
const agentProviders = devnet.providers.filter((p) => p.child === provider?.child).length;
/** The provider process's RSS once every node is up, before the window: what serving costs it at rest. */
const agentIdle = provider === undefined ? undefined : sample(provider.child.process.pid as number);
const watch = [
  ...devnet.checkers.map((c) => ({
    name: c.name,
    pid: c.child.process.pid as number,
    apiPort: c.apiPort,
    dataDir: c.dataDir,
  })),
  ...(provider === undefined
    ? []
    : [{ name: provider.name, pid: provider.child.process.pid as number, dataDir: provider.dataDir }]),
];
const traffic = new TrafficMeter(watch, Number(new URL(devnet.rpcUrl).port));
/** Data directory and LevelDB sizes of each node, read at the window's start and end. */
const diskAt = () =>
  new Map(watch.map((n) => [n.name, { dataDir: dirBytes(n.dataDir), db: dirBytes(join(n.dataDir, "db")) }]));
let diskStart = diskAt();
let trafficTimer: NodeJS.Timeout | undefined;
/** The window starts: disk sizes and socket counters read now are its zero. */
let ioFrom = Date.now();
const beginIo = () => {
  ioFrom = Date.now();
  diskStart = diskAt();
  traffic.begin();
  // Counters are cumulative: a reading every 5 s catches connections that close within the window.
  trafficTimer = setInterval(() => traffic.sample(), 5_000);
};
beginIo();
const series = new Map<string, Sample[]>(watch.map((n) => [n.name, []]));
const timer = setInterval(() => {
  const t = Date.now();
  for (const n of watch) {
    const s = sample(n.pid);
    if (s !== undefined) series.get(n.name)?.push({ t, ...s });
  }
}, 1_000);

let windowFrom = 0;
let windowTo = Number.POSITIVE_INFINITY;
let windowEpochs: { from: string; to: string } | undefined;
let outcome: { reason: string; error: string | null };
const big = devnet.checkers.at(-1);
if (licenseTarget !== undefined && big !== undefined) {
  let done: { reason: string; error: string | null } | undefined;
  void devnet.finished.then((o) => {
    done = o;
  });
  const extra = licenseTarget - DEVNET.licensesPerOperator;
  console.log(`bench: minting ${extra} licenses and delegating them to ${big.name} (${big.operator})`);
  const t0 = Date.now();
  const activeFrom = await delegateMany(devnet, big.operator, extra);
  console.log(
    `bench: delegated in ${((Date.now() - t0) / 1000).toFixed(0)} s; ${big.name} holds ${licenseTarget} licenses from epoch ${activeFrom}`,
  );
  // The first epoch with every license counted may see the node re-reading the snapshot: start after it.
  const from = activeFrom + 1n;
  const to = from + BigInt(epochs);
  await untilEpoch(devnet, from, () => done !== undefined);
  windowFrom = Date.now();
  clearInterval(trafficTimer);
  beginIo();
  console.log(`bench: sampling epochs ${from}..${to - 1n}`);
  await untilEpoch(devnet, to, () => done !== undefined);
  windowTo = Date.now();
  windowEpochs = { from: from.toString(), to: (to - 1n).toString() };
  outcome = done ?? { reason: "bench window over", error: null };
} else {
  outcome = await devnet.finished;
}
clearInterval(timer);
clearInterval(trafficTimer);
traffic.sample();
const diskEnd = diskAt();
const ioSeconds = ((windowTo === Number.POSITIVE_INFINITY ? Date.now() : windowTo) - ioFrom) / 1000;
const summary = await devnet.stop(outcome.reason);
if (outcome.error !== null) console.error(`devnet stopped early: ${outcome.error}`);

const licensesOf = (name: string) => {
  const c = devnet.checkers.find((x) => x.name === name);
  if (c === undefined) return undefined;
  const own = devnet.licenses.filter((l) => l.operator === c.operator).length;
  return licenseTarget !== undefined && c === big ? licenseTarget : own;
};
const kib = (bytes: number) => +(bytes / 1024).toFixed(1);
const trafficTotals = traffic.totals();
/** Epochs the disk and traffic window spans (the whole run in the plain mode). */
const ioEpochs = ioSeconds / epochSeconds;
const perEpochKiB = (bytes: number) => (ioEpochs > 0 ? kib(bytes / ioEpochs) : 0);
const io = (name: string) => {
  const start = diskStart.get(name);
  const end = diskEnd.get(name);
  const t = trafficTotals.get(name);
  const classes: TrafficClass[] = ["p2p", "rpc", "api"];
  return {
    disk: {
      dataDirMiB: mib(end?.dataDir ?? 0),
      dbMiB: mib(end?.db ?? 0),
      growthKiBPerEpoch: perEpochKiB((end?.dataDir ?? 0) - (start?.dataDir ?? 0)),
      dbGrowthKiBPerEpoch: perEpochKiB((end?.db ?? 0) - (start?.db ?? 0)),
    },
    network: traffic.available
      ? Object.fromEntries(
          classes.map((c) => [
            c,
            { inKiBPerEpoch: perEpochKiB(t?.[c].in ?? 0), outKiBPerEpoch: perEpochKiB(t?.[c].out ?? 0) },
          ]),
        )
      : null,
  };
};
const ioTo = windowTo === Number.POSITIVE_INFINITY ? Date.now() : windowTo;
/** --trace-rpc: the node's traced JSON-RPC requests over the window, by call site. */
const rpcTrace = (name: string) => {
  const pid = watch.find((n) => n.name === name)?.pid;
  return traceDir === undefined || pid === undefined
    ? {}
    : { rpcSites: rpcSites(traceDir, pid, ioFrom, ioTo, ioEpochs) };
};
const perNode = [...series.entries()].map(([name, s]) => ({
  name,
  licenses: licensesOf(name),
  ...stats(s, windowFrom, windowTo),
  ...io(name),
  ...rpcTrace(name),
}));
const checkerRows = perNode.filter((n) => n.name.startsWith("checker-"));
const bigRow = big === undefined ? undefined : perNode.find((n) => n.name === big.name);
const providerRow = perNode.find((n) => n.name.startsWith("provider-"));
const result = {
  bench: "footprint",
  date: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model ?? "",
    memGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    loadavg: os.loadavg().map((x) => +x.toFixed(2)),
  },
  devnet: {
    ...summary.options,
    reportsLanded: summary.reports.length,
    reportEpochs: summary.reports.map((r) => r.epoch),
    endEpoch: summary.endEpoch,
    stoppedBy: summary.stoppedBy,
    error: summary.error,
  },
  // The figures, for the node with the most licenses (the whole run in the plain mode).
  licenses: licenseTarget ?? bigRow?.licenses ?? 0,
  providers: providerCount,
  providersPerAgent,
  // The CPU share scales with it: a node's work is per run, one run per provider an epoch.
  epochSeconds,
  keepProviderConnections: values["keep-provider-connections"],
  rssMiBMax:
    licenseTarget === undefined ? Math.max(...checkerRows.map((n) => n.rssMiB.max)) : bigRow?.rssMiB.max,
  rssMiBP50: bigRow?.rssMiB.p50,
  cpuPctMean: bigRow?.cpuPercentOfOneCore,
  diskGrowthKiBPerEpoch: bigRow?.disk.growthKiBPerEpoch,
  p2pKiBPerEpoch: bigRow?.network?.p2p,
  rpcKiBPerEpoch: bigRow?.network?.rpc,
  window: windowEpochs ?? "whole run",
  ioWindowEpochs: +ioEpochs.toFixed(2),
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
  provider:
    providerRow === undefined
      ? undefined
      : {
          servesProviders: agentProviders,
          idleRssMiB: agentIdle === undefined ? undefined : mib(agentIdle.rssBytes),
          rssMiB: providerRow.rssMiB,
          cpuPercentOfOneCore: providerRow.cpuPercentOfOneCore,
        },
  perNode,
  note: "All nodes share one machine with the chain and the providers; the provider agent serves every checker's challenges with DEVNET.providerWorkers worker threads. Disk: data directory (db: its LevelDB) at the end and its growth per epoch over the window. Network: TCP payload bytes per epoch of each node's sockets (ss), p2p (libp2p: gossip, challenges, co-signing), rpc (chain JSON-RPC), api (its HTTP API, polled by the devnet monitor).",
};
console.table(
  perNode.map((n) => ({
    node: n.name,
    licenses: n.licenses ?? "",
    "RSS p50 MiB": n.rssMiB.p50,
    "RSS max MiB": n.rssMiB.max,
    "CPU % of a core": n.cpuPercentOfOneCore,
    "disk MiB": n.disk.dataDirMiB,
    "disk KiB/epoch": n.disk.growthKiBPerEpoch,
    "p2p in/out KiB/epoch":
      n.network === null ? "" : `${n.network.p2p?.inKiBPerEpoch} / ${n.network.p2p?.outKiBPerEpoch}`,
    "rpc in/out KiB/epoch":
      n.network === null ? "" : `${n.network.rpc?.inKiBPerEpoch} / ${n.network.rpc?.outKiBPerEpoch}`,
    samples: n.samples,
  })),
);
console.log(
  `checker: RSS median ${result.checker.rssMiBMedianOfNodes} MiB (max ${result.checker.rssMiBMax}), CPU median ${result.checker.cpuPercentMedianOfNodes}% of one core`,
);
if (result.provider !== undefined)
  console.log(
    `provider process serving ${agentProviders} providers: RSS ${result.provider.idleRssMiB} MiB when all were up, ${result.provider.rssMiB.max} max in the window`,
  );
if (licenseTarget !== undefined)
  console.log(
    `checker with ${licenseTarget} licenses: RSS max ${result.rssMiBMax} MiB, CPU mean ${result.cpuPctMean}% of one core, disk +${result.diskGrowthKiBPerEpoch} KiB/epoch, p2p in/out ${result.p2pKiBPerEpoch?.inKiBPerEpoch}/${result.p2pKiBPerEpoch?.outKiBPerEpoch} KiB/epoch (epochs ${windowEpochs?.from}..${windowEpochs?.to})`,
  );
for (const n of perNode) {
  if (n.rpcSites === undefined) continue;
  console.log(`${n.name}: JSON-RPC bodies per epoch by call site (--trace-rpc)`);
  console.table(n.rpcSites.slice(0, 12));
}
mkdirSync(join(import.meta.dirname, "results"), { recursive: true });
writeFileSync(join(import.meta.dirname, "results/footprint.json"), `${JSON.stringify(result, null, 2)}\n`);
console.log("written to bench/results/footprint.json");
process.exit(outcome.error === null ? 0 : 1);
