/**
 * The summary of a traced bench:footprint run (`--trace-rpc`, bench/footprintRpcTrace.ts): per node,
 * the JSON-RPC traffic of the window grouped by the node's own call site and the contract function it
 * called, in request and response body KiB per epoch (HTTP headers are not in it; the socket counters
 * of footprintIo.ts are).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as generated from "@checkernet/contracts/generated/index";
import { type Abi, toFunctionSelector } from "viem";

interface TraceLine {
  t: number;
  calls: { method: string; to?: string; selector?: string }[];
  reqBytes: number;
  resBytes: number;
  site: string[];
}

export interface RpcSite {
  /** The innermost node frame (file:line) and the one calling it. */
  site: string;
  calls: string;
  requestsPerEpoch: number;
  inKiBPerEpoch: number;
  outKiBPerEpoch: number;
}

/** selector → contract function name, over every generated ABI. */
function selectorNames(): Map<string, string> {
  const names = new Map<string, string>();
  for (const [key, value] of Object.entries(generated)) {
    if (!key.endsWith("Abi")) continue;
    for (const item of value as Abi) {
      if (item.type === "function") names.set(toFunctionSelector(item), item.name);
    }
  }
  return names;
}

/** The window's traced requests of process `pid` in `dir`, by site, the largest readers first. */
export function rpcSites(dir: string, pid: number, fromMs: number, toMs: number, epochs: number): RpcSite[] {
  let text: string;
  try {
    text = readFileSync(join(dir, `${pid}.jsonl`), "utf8");
  } catch {
    return [];
  }
  const names = selectorNames();
  const groups = new Map<string, { requests: number; in: number; out: number; calls: Set<string> }>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const r = JSON.parse(line) as TraceLine;
    if (r.t < fromMs || r.t > toMs) continue;
    const calls = r.calls.map((c) =>
      c.method !== "eth_call"
        ? c.method
        : c.selector === undefined
          ? "multicall (deployless)"
          : (names.get(c.selector) ?? c.selector),
    );
    const site = r.site.slice(0, 2).join(" < ") || "(no node frame)";
    const key = `${site}|${[...new Set(calls)].join(",")}`;
    const g = groups.get(key) ?? { requests: 0, in: 0, out: 0, calls: new Set<string>() };
    g.requests++;
    g.in += Math.max(0, r.resBytes);
    g.out += r.reqBytes;
    for (const c of calls) g.calls.add(c);
    groups.set(key, g);
  }
  const per = (n: number) => +(n / epochs).toFixed(1);
  return [...groups.entries()]
    .map(([key, g]) => ({
      site: key.slice(0, key.indexOf("|")),
      calls: [...g.calls].join(","),
      requestsPerEpoch: per(g.requests),
      inKiBPerEpoch: per(g.in / 1024),
      outKiBPerEpoch: per(g.out / 1024),
    }))
    .sort((a, b) => b.inKiBPerEpoch + b.outKiBPerEpoch - (a.inKiBPerEpoch + a.outKiBPerEpoch));
}
