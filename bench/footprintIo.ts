/**
 * Disk and network for bench/footprint.ts (issue 16): how fast each node's data directory grows, and
 * the bytes each node sends and receives, per epoch.
 *
 * Bytes are read from the kernel's TCP counters of every socket the process holds (`ss -tinpH`:
 * `bytes_acked` out, `bytes_received` in; payload bytes of the TCP stream, so libp2p's noise and yamux
 * framing is counted, IP and TCP headers are not), split by port: `rpc` the chain's JSON-RPC, `api` the
 * node's own HTTP API (the devnet's monitor polls it), `p2p` everything else (gossip, challenge streams,
 * report co-signing, to and from the other nodes). A socket's counters are read at the window's start,
 * every few seconds within it and at its end; a connection opened and closed between two readings is
 * missed (libp2p keeps its connections; viem's HTTP transport keeps its sockets alive).
 */
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export type TrafficClass = "p2p" | "rpc" | "api";

export interface WatchedNode {
  name: string;
  pid: number;
  /** Its HTTP API port, when it has one (a checker). */
  apiPort?: number;
}

interface SocketReading {
  node: string;
  cls: TrafficClass;
  out: number;
  in: number;
}

const portOf = (endpoint: string): number => Number(endpoint.slice(endpoint.lastIndexOf(":") + 1));

/**
 * Parses `ss -tinpH` (one line per socket, its TCP info on the indented line after it) into readings of
 * the watched processes' sockets, keyed by node, local and peer address.
 */
export function parseSs(
  text: string,
  nodes: readonly WatchedNode[],
  rpcPort: number,
): Map<string, SocketReading> {
  const byPid = new Map(nodes.map((n) => [n.pid, n]));
  const out = new Map<string, SocketReading>();
  let current: { key: string; reading: SocketReading } | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (!/^\s/.test(line)) {
      current = undefined;
      const m = /^\S+\s+\d+\s+\d+\s+(\S+)\s+(\S+)\s+users:\((.*)\)\s*$/.exec(line);
      if (m === null) continue;
      const [, local, peer, users] = m as unknown as [string, string, string, string];
      const node = [...users.matchAll(/pid=(\d+)/g)].map((p) => byPid.get(Number(p[1]))).find((n) => n);
      if (node === undefined) continue;
      const cls: TrafficClass =
        portOf(peer) === rpcPort
          ? "rpc"
          : node.apiPort !== undefined && portOf(local) === node.apiPort
            ? "api"
            : "p2p";
      current = { key: `${node.name} ${local} ${peer}`, reading: { node: node.name, cls, out: 0, in: 0 } };
      out.set(current.key, current.reading);
      continue;
    }
    if (current === undefined) continue;
    current.reading.out = Number(/\bbytes_acked:(\d+)/.exec(line)?.[1] ?? current.reading.out);
    current.reading.in = Number(/\bbytes_received:(\d+)/.exec(line)?.[1] ?? current.reading.in);
  }
  return out;
}

/** Bytes in and out of each watched node over a window, by traffic class. */
export class TrafficMeter {
  readonly #nodes: readonly WatchedNode[];
  readonly #rpcPort: number;
  #start = new Map<string, SocketReading>();
  readonly #last = new Map<string, SocketReading>();
  #available = true;

  constructor(nodes: readonly WatchedNode[], rpcPort: number) {
    this.#nodes = nodes;
    this.#rpcPort = rpcPort;
  }

  /** False when `ss` could not be run (not Linux, no iproute2): no bandwidth is reported. */
  get available(): boolean {
    return this.#available;
  }

  #read(): Map<string, SocketReading> {
    if (!this.#available) return new Map();
    try {
      const text = execFileSync("ss", ["-tinpH"], { encoding: "utf8", maxBuffer: 64 * 2 ** 20 });
      return parseSs(text, this.#nodes, this.#rpcPort);
    } catch {
      this.#available = false;
      return new Map();
    }
  }

  /** The window starts now: what the sockets carried so far is not counted. */
  begin(): void {
    this.#start = this.#read();
    this.#last.clear();
    for (const [k, v] of this.#start) this.#last.set(k, v);
  }

  /** A reading within the window (and its last one at the end). */
  sample(): void {
    for (const [k, v] of this.#read()) this.#last.set(k, v);
  }

  /** Bytes per node and class since `begin()`. */
  totals(): Map<string, Record<TrafficClass, { in: number; out: number }>> {
    const totals = new Map<string, Record<TrafficClass, { in: number; out: number }>>();
    for (const n of this.#nodes) {
      totals.set(n.name, { p2p: { in: 0, out: 0 }, rpc: { in: 0, out: 0 }, api: { in: 0, out: 0 } });
    }
    for (const [k, last] of this.#last) {
      const start = this.#start.get(k);
      const t = totals.get(last.node)?.[last.cls];
      if (t === undefined) continue;
      // A counter below its start value is another connection on the same ports: count it whole.
      t.out += last.out >= (start?.out ?? 0) ? last.out - (start?.out ?? 0) : last.out;
      t.in += last.in >= (start?.in ?? 0) ? last.in - (start?.in ?? 0) : last.in;
    }
    return totals;
  }
}

/** Bytes of every file under `dir` (their sizes, not the blocks they take); 0 when it does not exist. */
export function dirBytes(dir: string): number {
  let total = 0;
  let entries: import("node:fs").Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    try {
      if (e.isDirectory()) total += dirBytes(path);
      else if (e.isFile()) total += statSync(path).size;
    } catch {
      // removed while walking (LevelDB compacts): not counted
    }
  }
  return total;
}
