/**
 * The testbed's scenario, run inside the testbed's lan namespace (scripts/testbed.ts starts it there): the
 * devnet (scripts/devnet) with every process on its own host, two checkers behind NAT, one relay, then a
 * partition that cuts two checkers off for two epochs and heals. It writes what it saw as JSON; the e2e
 * test (test/testbed/testbed.test.ts) and `npm run testbed` read it.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { epochReportsAbi } from "@checkernet/contracts";
import { type Address, getAddress } from "viem";
import { type DevnetHandle, type DevnetSummary, startDevnet } from "../devnet/index.ts";
import { checkerApiUrl } from "../devnet/nodes.ts";
import type { HostPlacement, Placement } from "../devnet/params.ts";
import { heal, hostOf, partition, type Topology } from "./netns.ts";

/** Who runs where: names of the launcher's hosts (scripts/testbed.ts). */
export const TESTBED_HOSTS = {
  chain: "chain",
  /** checker-1 serves as the circuit relay. */
  publicCheckers: ["checker-1", "checker-2", "checker-3", "checker-4", "checker-5"],
  nattedCheckers: ["checker-6", "checker-7"],
  /** provider-2 is the devnet's faulty one (its last). */
  providers: ["provider-1", "provider-2"],
  /** Cut off by the partition. */
  cutOff: ["checker-4", "checker-5"],
} as const;

/** Epochs (from the first full one) before the partition, of the partition, and after it heals. */
const BEFORE = 1n;
const DURING = 2n;
const AFTER = 2n;

export interface ConnectionPath {
  from: string;
  to: string;
  /** relayed: over circuit relay v2 (a limited connection); direct: a TCP connection (DCUtR upgraded it). */
  paths: ("relayed" | "direct")[];
}

type Phase = "before" | "partition" | "after";

/** The first block of the partition and of the healed network. */
interface PhaseBlocks {
  partition: bigint;
  heal: bigint;
}

export interface EpochOutcome {
  epoch: string;
  phase: Phase;
  reported: boolean;
  /**
   * The phase in which its report landed (null: none did). A partition epoch whose near side lacks a
   * quorum lands late, once the partition heals (reportLatenessEpochs), with the healed checkers' signatures.
   */
  landedIn: Phase | null;
  /** The report committee's operators with a seat, and which of them signed the landed report. */
  committee: Address[];
  signers: Address[];
  /** Seats the partition's far side held (a report needs a quorum from the near side during the partition). */
  cutOffSeats: number;
  quorumSeats: number;
}

export interface TestbedSummary {
  ok: boolean;
  error: string | null;
  hosts: Record<string, { ip: string; publicIp?: string }>;
  operators: Record<string, Address>;
  natted: {
    name: string;
    reachability: string;
    /** What it announces (identify, peer record): its status's `listen`, the host's getMultiaddrs(). */
    announced: string[];
  }[];
  /** Every checker's announced addresses (the public ones keep their 10.77.1.x address). */
  announced: Record<string, string[]>;
  /**
   * Log lines of the public checkers that name a NAT'd checker's private address (192.168.k.2): a peer
   * that learnt it would dial it in vain (ENETUNREACH). Counted after the run, from <data-dir>/<name>.log.
   */
  privateAddressMentions: Record<string, number>;
  connections: ConnectionPath[];
  epochs: EpochOutcome[];
  devnet: DevnetSummary | null;
}

async function status(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url}/status: HTTP ${res.status}`);
  return (await res.json()) as Record<string, unknown>;
}

async function untilEpoch(handle: DevnetHandle, epoch: bigint): Promise<void> {
  for (;;) {
    const now = await handle.chain.publicClient.readContract({
      address: handle.deployment.contracts.epochReports,
      abi: epochReportsAbi,
      functionName: "currentEpoch",
    });
    if (now >= epoch) return;
    await new Promise((r) => setTimeout(r, 1_000));
  }
}

function placementOf(t: Topology): Placement {
  const at = (name: string, extra: Partial<HostPlacement> = {}): HostPlacement => {
    const h = hostOf(t, name);
    return {
      netns: h.netns,
      ip: h.ip,
      ...(h.controlIp === undefined ? {} : { apiIp: h.controlIp }),
      ...extra,
    };
  };
  return {
    chain: at(TESTBED_HOSTS.chain),
    checkers: [
      ...TESTBED_HOSTS.publicCheckers.map((n, i) => at(n, { nat: true, relayServer: i === 0 })),
      ...TESTBED_HOSTS.nattedCheckers.map((n) => at(n, { nat: true, relayVia: 0 })),
    ],
    providers: TESTBED_HOSTS.providers.map((n) => at(n)),
  };
}

/** The landed report's signers of `epoch`, over its report committee. */
async function epochOutcome(
  handle: DevnetHandle,
  epoch: bigint,
  phase: Phase,
  cutOff: Set<string>,
  blocks: PhaseBlocks,
): Promise<EpochOutcome> {
  const reports = { address: handle.deployment.contracts.epochReports, abi: epochReportsAbi } as const;
  const committee = (
    await handle.chain.publicClient.readContract({
      ...reports,
      functionName: "reportCommittee",
      args: [epoch],
    })
  ).map((a) => getAddress(a));
  const events = await handle.chain.publicClient.getContractEvents({
    ...reports,
    eventName: "ReportSubmitted",
    args: { epoch },
    fromBlock: handle.deployment.startBlock,
  });
  const landed = events[0];
  const bits = landed?.args.signerBitfield ?? 0n;
  const signers = committee.filter((_, i) => ((bits >> BigInt(i)) & 1n) === 1n);
  const size = committee.length;
  return {
    epoch: epoch.toString(),
    phase,
    reported: landed !== undefined,
    landedIn:
      landed === undefined
        ? null
        : landed.blockNumber < blocks.partition
          ? "before"
          : landed.blockNumber < blocks.heal
            ? "partition"
            : "after",
    committee,
    signers,
    cutOffSeats: committee.filter((a) => cutOff.has(a)).length,
    // EpochReports: signers × 10,000 ≥ size × reportQuorumBps.
    quorumSeats: Math.ceil((size * Number(await reportQuorumBps(handle))) / 10_000),
  };
}

async function reportQuorumBps(handle: DevnetHandle): Promise<bigint> {
  return handle.chain.publicClient.readContract({
    address: handle.deployment.contracts.epochReports,
    abi: epochReportsAbi,
    functionName: "reportQuorumBps",
  });
}

/** How each checker behind NAT is connected to the other: from its own status (`peers.connections`). */
async function nattedPaths(handle: DevnetHandle): Promise<{
  natted: TestbedSummary["natted"];
  connections: ConnectionPath[];
  announced: TestbedSummary["announced"];
}> {
  const natted = handle.checkers.filter((c) => c.host?.relayVia !== undefined);
  const natStatus: TestbedSummary["natted"] = [];
  const connections: ConnectionPath[] = [];
  const announced: TestbedSummary["announced"] = {};
  for (const c of handle.checkers) {
    if (natted.includes(c)) continue;
    announced[c.name] = ((await status(checkerApiUrl(c))) as { listen: string[] }).listen;
  }
  for (const c of natted) {
    const s = (await status(checkerApiUrl(c))) as {
      nat: { reachability: string };
      listen: string[];
      peers: { connections?: { peer: string; addr: string; limited: boolean }[] };
    };
    natStatus.push({ name: c.name, reachability: s.nat.reachability, announced: s.listen });
    announced[c.name] = s.listen;
    for (const other of natted.filter((o) => o !== c)) {
      const toOther = (s.peers.connections ?? []).filter((x) => x.peer === other.peerId);
      connections.push({
        from: c.name,
        to: other.name,
        paths: toOther.map((x) => (x.limited || x.addr.includes("/p2p-circuit") ? "relayed" : "direct")),
      });
    }
  }
  return { natted: natStatus, connections, announced };
}

/** Lines of each public checker's log naming an address of a NAT'd host's private network. */
function privateAddressMentions(topology: Topology, dataDir: string): Record<string, number> {
  const privateIps = TESTBED_HOSTS.nattedCheckers.map((n) => hostOf(topology, n).ip);
  const counts: Record<string, number> = {};
  for (const name of TESTBED_HOSTS.publicCheckers) {
    const file = join(dataDir, `${name}.log`);
    if (!existsSync(file)) continue;
    counts[name] = readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => privateIps.some((ip) => line.includes(`/${ip}/`) || line.includes(`${ip}:`))).length;
  }
  return counts;
}

/** Runs the scenario; never throws (the error is in the summary). */
export async function runTestbed(
  topology: Topology,
  dataDir: string,
  log: (line: string) => void,
): Promise<TestbedSummary> {
  const summary: TestbedSummary = {
    ok: false,
    error: null,
    hosts: Object.fromEntries(
      Object.values(topology.hosts).map((h) => [
        h.name,
        { ip: h.ip, ...(h.publicIp === undefined ? {} : { publicIp: h.publicIp }) },
      ]),
    ),
    operators: {},
    natted: [],
    announced: {},
    privateAddressMentions: {},
    connections: [],
    epochs: [],
    devnet: null,
  };
  let handle: DevnetHandle | undefined;
  const cutOff: readonly string[] = TESTBED_HOSTS.cutOff;
  let partitioned = false;
  try {
    handle = await startDevnet({
      dataDir,
      checkers: TESTBED_HOSTS.publicCheckers.length + TESTBED_HOSTS.nattedCheckers.length,
      providers: TESTBED_HOSTS.providers.length,
      placement: placementOf(topology),
      log,
    });
    summary.operators = Object.fromEntries(handle.checkers.map((c) => [c.name, getAddress(c.operator)]));
    const first = handle.firstFullEpoch;
    const partitionAt = first + BEFORE;
    const healAt = partitionAt + DURING;
    const end = healAt + AFTER;
    log(
      `epochs ${first}..${end - 1n}: partition of ${cutOff.join(", ")} in epochs ${partitionAt}..${healAt - 1n}`,
    );
    await untilEpoch(handle, partitionAt);
    const blocks: PhaseBlocks = {
      partition: (await handle.chain.publicClient.getBlockNumber()) + 1n,
      heal: 0n,
    };
    partition(topology, cutOff);
    partitioned = true;
    log(`epoch ${partitionAt}: ${cutOff.join(", ")} cut off`);
    await untilEpoch(handle, healAt);
    // Blocks mined from here on may carry the healed checkers' signatures.
    blocks.heal = (await handle.chain.publicClient.getBlockNumber()) + 1n;
    heal(topology, cutOff);
    partitioned = false;
    log(`epoch ${healAt}: healed`);
    // The last epoch's report lands in its publish phase, before the next epoch begins.
    await untilEpoch(handle, end);
    await new Promise((r) => setTimeout(r, 2_000));
    const cutOffOperators = new Set(
      handle.checkers.filter((c) => cutOff.includes(c.name)).map((c) => getAddress(c.operator) as string),
    );
    for (let e = first; e < end; e++) {
      const phase = e < partitionAt ? "before" : e < healAt ? "partition" : "after";
      summary.epochs.push(await epochOutcome(handle, e, phase, cutOffOperators, blocks));
    }
    Object.assign(summary, await nattedPaths(handle));
    summary.ok = true;
  } catch (e) {
    summary.error = (e as Error).stack ?? String(e);
  } finally {
    if (partitioned) heal(topology, cutOff);
    if (handle !== undefined) summary.devnet = await handle.stop("stop");
    summary.privateAddressMentions = privateAddressMentions(topology, dataDir);
  }
  return summary;
}

/** Entry point inside the lan namespace: `TESTBED_TOPOLOGY=<json> node --import tsx harness.ts <data-dir> <summary.json>`. */
async function main(): Promise<void> {
  const [dataDir, summaryFile] = process.argv.slice(2);
  const json = process.env.TESTBED_TOPOLOGY;
  if (dataDir === undefined || summaryFile === undefined || json === undefined) {
    throw new Error("usage: TESTBED_TOPOLOGY=<json> harness.ts <data-dir> <summary.json>");
  }
  const summary = await runTestbed(JSON.parse(json) as Topology, dataDir, (line) => console.log(line));
  writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
  process.exitCode = summary.ok ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.filename === process.argv[1]) {
  main().catch((e) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
