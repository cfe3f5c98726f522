/**
 * What holding provider connections costs a checker: its libp2p host (as the
 * node builds it) dials N real provider hosts (as `provider serve` builds
 * them, in a child process so their memory is not counted) on loopback, and
 * one after the other, and the resident memory, V8 heap and CPU are read with
 * no connection and after each round: all N held, or (--hang-up) each closed
 * once identify is over. docs/footprint.md has the numbers.
 *
 *   node --expose-gc --import tsx bench/footprintConnections.ts [--providers 100] [--rounds 3] [--hang-up]
 *
 * Run it with the checker launcher's V8 flags (docs/footprint.md) to match a node:
 *   MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 node --expose-gc --max-semi-space-size=1 \
 *     --optimize-for-size --max-opt=2 --no-sparkplug --bytecode-old-age=2 --import tsx bench/footprintConnections.ts
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import { generateKeyPair } from "@libp2p/crypto/keys";
import { multiaddr } from "@multiformats/multiaddr";
import { createHost } from "../packages/checker/src/network/host.ts";
import { createProviderHost } from "../packages/provider/src/host.ts";

const { values } = parseArgs({
  options: {
    providers: { type: "string", default: "100" },
    rounds: { type: "string", default: "3" },
    serve: { type: "boolean", default: false },
    "hang-up": { type: "boolean", default: false },
  },
});
const count = Number(values.providers);

if (values.serve) {
  // The child: N provider hosts, their addresses on stdout, then it waits to be killed.
  const hosts = await Promise.all(
    Array.from({ length: count }, async () =>
      createProviderHost({ privateKey: await generateKeyPair("Ed25519"), listen: ["/ip4/127.0.0.1/tcp/0"] }),
    ),
  );
  console.log(JSON.stringify(hosts.map((h) => h.getMultiaddrs()[0]?.toString())));
  await new Promise(() => undefined);
}

const gc = (globalThis as { gc?: () => void }).gc;
const mib = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** RSS and heap after a full GC and a pause (so freed buffers are returned where they can be). */
async function reading(label: string) {
  await sleep(3_000);
  gc?.();
  await sleep(500);
  const m = process.memoryUsage();
  const h = v8.getHeapStatistics();
  const row = {
    label,
    rssMiB: mib(m.rss),
    heapUsedMiB: mib(m.heapUsed),
    heapCommittedMiB: mib(h.total_heap_size),
    externalMiB: mib(m.external),
    arrayBuffersMiB: mib(m.arrayBuffers),
    mallocedMiB: mib(h.malloced_memory),
  };
  console.log(JSON.stringify(row));
  return row;
}

const child = spawn(
  process.execPath,
  [...process.execArgv, import.meta.filename, "--serve", "--providers", String(count)],
  {
    stdio: ["ignore", "pipe", "inherit"],
  },
);
const firstLine = await new Promise<string>((resolve) => {
  createInterface({ input: child.stdout }).once("line", resolve);
});
const addrs = (JSON.parse(firstLine) as string[]).map((a) => multiaddr(a));

const host = await createHost({
  privateKey: await generateKeyPair("Ed25519"),
  listen: ["/ip4/127.0.0.1/tcp/0"],
  allowPrivateAddresses: true,
  nat: false,
});
await reading("no connection");
// One provider after the other, as a node's runs are spread over the epoch: with --hang-up each is
// closed once identify is over (what ProviderLinks does after a run), without it all are held.
for (let round = 1; round <= Number(values.rounds); round++) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let held = 0;
  for (const a of addrs) {
    const connection = await host.dial(a);
    held = Math.max(held, host.getConnections().length);
    if (values["hang-up"]) {
      await sleep(50);
      await connection.close();
    }
  }
  const cpu = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      round,
      mostHeld: held,
      wallMs: Math.round(performance.now() - t0),
      cpuMsPerDial: +((cpu.user + cpu.system) / 1000 / count).toFixed(2),
    }),
  );
  await reading(`round ${round}: ${host.getConnections().length} held`);
}
await host.stop();
child.kill();
