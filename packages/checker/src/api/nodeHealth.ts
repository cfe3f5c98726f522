import { multiaddr } from "@multiformats/multiaddr";
import type { Metrics } from "../metrics/index.ts";
import type { NodeStatus } from "./status.ts";

const PRIVATE_V4 = [/^10\./, /^127\./, /^192\.168\./, /^172\.(1[6-9]|2\d|3[01])\./, /^169\.254\./, /^0\./];

/** Whether a multiaddr names a routable (public) host address. */
function isPublicAddress(addr: string): boolean {
  if (addr.includes("/p2p-circuit")) return false;
  try {
    const host = multiaddr(addr).getComponents()[0];
    if (host === undefined || host.value === undefined) return false;
    if (host.name === "ip4") return !PRIVATE_V4.some((r) => r.test(host.value as string));
    if (host.name === "ip6") return !/^(::1?$|f[cd]|fe80)/i.test(host.value);
    // dns names are advertised on purpose.
    return host.name.startsWith("dns");
  } catch {
    return false;
  }
}

/** NAT status from the configuration and the addresses the host advertises. */
export function natStatus(enabled: boolean, advertised: readonly string[]): NodeStatus["nat"] {
  const publicAddresses = advertised.filter(isPublicAddress);
  const reachability = !enabled
    ? "disabled"
    : publicAddresses.length > 0
      ? "public"
      : advertised.some((a) => a.includes("/p2p-circuit"))
        ? "relayed"
        : "private";
  return { enabled, reachability, publicAddresses };
}

/** Challenge runs since start by kind and result, from the node's counter. */
export async function challengeCounts(metrics: Metrics): Promise<NodeStatus["challenges"]> {
  const values = (await metrics.challengeRuns.get()).values;
  return values
    .map((v) => ({ kind: String(v.labels.kind), result: String(v.labels.result), count: v.value }))
    .sort((a, b) => a.kind.localeCompare(b.kind) || a.result.localeCompare(b.result));
}

/**
 * Distinct peers in this node's gossipsub mesh over `topics`. The public
 * GossipSub interface does not declare getMeshPeers; the implementation has it
 * (the same cast as peerScore in network/host.ts).
 */
export function meshPeerCount(pubsub: unknown, topics: readonly string[]): number {
  const impl = pubsub as { getMeshPeers?(topic: string): string[] };
  if (typeof impl.getMeshPeers !== "function") return 0;
  return new Set(topics.flatMap((t) => impl.getMeshPeers?.(t) ?? [])).size;
}
