import type { ConnectionGater, PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";
import { TokenBuckets } from "../validation/validationBudget.ts";

/**
 * How many new peer identities one remote IP may bring in over inbound connections. An honest host
 * runs one checker (a few behind a shared NAT), whose identity is its data dir's peer key: it comes
 * back as the same peer id after a restart or a reconnect, and a peer id already seen from an IP
 * passes free. A Sybil that takes a fresh peer id every 100 messages (issue 14's drill: ~2 a second)
 * spends the burst in seconds and is then refused each new identity right after its Noise handshake,
 * before the muxer, identify, the gossipsub subscription exchange and every message it would send:
 * each identity it got in cost a node ~15-35 of its messages read, decoded and validated before the
 * hang-ups (network/gossip/graylist.ts) and a handshake, identify and subscriptions besides.
 */
export const INBOUND_IDENTITY_LIMITS = {
  /** New peer ids one IP may present at once: over the few nodes an honest host or NAT runs. */
  burst: 8,
  /** Then one more per minute: a node set up on a host that already runs others is let in within minutes. */
  refillMs: 60_000,
  /** IPs whose buckets are kept (full ones dropped first: a dropped bucket is a full one). */
  maxIps: 4_096,
  /** (IP, peer id) pairs remembered as known, the least recently seen dropped first. */
  maxKnown: 16_384,
} as const;

/**
 * The IP a budget is kept for: an IPv4 address, or an IPv6 address's /64 (one host or LAN gets a whole
 * /64, so one per address would give a Sybil 2^64 budgets). Undefined for a relayed connection (its
 * remote address is the relay's; the relay's own limits bound what it carries) or no IP.
 */
export function identityBudgetKey(remoteAddr: Multiaddr): string | undefined {
  const components = remoteAddr.getComponents();
  if (components.some((c) => c.name === "p2p-circuit")) return undefined;
  const ip4 = components.find((c) => c.name === "ip4")?.value;
  if (ip4 !== undefined) return ip4;
  const ip6 = components.find((c) => c.name === "ip6")?.value;
  return ip6 === undefined ? undefined : ipv6Prefix64(ip6);
}

/** The first four groups of an IPv6 address ("2001:db8:0:1::/64"); an IPv4-mapped one, its IPv4 address. */
function ipv6Prefix64(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped !== null) return mapped[1]!;
  const [head = "", tail] = ip.toLowerCase().split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === undefined || tail === "" ? [] : tail.split(":");
  const zeros =
    tail === undefined ? [] : Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0");
  const groups = [...left, ...zeros, ...right].map((g) => g.replace(/^0+(?=.)/, ""));
  return `${groups.slice(0, 4).join(":")}::/64`;
}

export interface InboundIdentityBudgetOptions {
  burst?: number;
  refillMs?: number;
  now?: () => number;
}

/**
 * Whether an address is in one of `networks` ("/ip4/127.0.0.1/ipcidr/32", libp2p's allow-list form):
 * IPv4 networks only (others match nothing).
 */
export function inIpv4Networks(networks: readonly string[]): (remoteAddr: Multiaddr) => boolean {
  const nets = networks.flatMap((n) => {
    const m = /^\/ip4\/([\d.]+)\/ipcidr\/(\d+)$/.exec(n);
    if (m === null) return [];
    const bits = Number(m[2]);
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return [{ base: (ipv4ToInt(m[1]!) & mask) >>> 0, mask }];
  });
  return (remoteAddr) => {
    const ip = remoteAddr.getComponents().find((c) => c.name === "ip4")?.value;
    if (ip === undefined) return false;
    const n = ipv4ToInt(ip);
    return nets.some((net) => (n & net.mask) >>> 0 === net.base);
  };
}

function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
}

/** Per remote IP, a token bucket of new peer identities, and the identities it has let in. */
export class InboundIdentityBudget {
  private readonly buckets = new TokenBuckets(INBOUND_IDENTITY_LIMITS.maxIps);
  private readonly known = new Map<string, true>();
  private readonly burst: number;
  private readonly perMs: number;
  private readonly now: () => number;
  /** Identities refused since start (for logs and tests). */
  refused = 0;

  constructor(options: InboundIdentityBudgetOptions = {}) {
    this.burst = options.burst ?? INBOUND_IDENTITY_LIMITS.burst;
    this.perMs = 1 / (options.refillMs ?? INBOUND_IDENTITY_LIMITS.refillMs);
    this.now = options.now ?? Date.now;
  }

  /**
   * Spends what is left of `ip`'s budget: one of its identities was hung up for invalid messages
   * (network/gossip/graylist.ts), which an honest peer never sends, so the next new identity from there
   * waits for the refill. Its known identities still pass (an honest node behind the same NAT).
   */
  spend(ip: string): void {
    this.buckets.empty(ip, this.burst, this.perMs, this.now());
  }

  /** Whether `peer` may connect from `ip`: an identity known there, or a new one while the IP has a token (taken). */
  admit(ip: string, peer: string): boolean {
    const pair = `${ip} ${peer}`;
    if (this.known.delete(pair)) {
      this.known.set(pair, true);
      return true;
    }
    const now = this.now();
    if (this.buckets.level(ip, this.burst, this.perMs, now) < 1) {
      this.refused++;
      return false;
    }
    this.buckets.take(ip, this.burst, this.perMs, now);
    this.known.set(pair, true);
    if (this.known.size > INBOUND_IDENTITY_LIMITS.maxKnown) {
      const oldest = this.known.keys().next().value;
      if (oldest !== undefined) this.known.delete(oldest);
    }
    return true;
  }
}

const budgets = new WeakMap<object, InboundIdentityBudget>();

/** The identity budget of a host built by createHost (network/host.ts). */
export function identityBudgetOf(host: object): InboundIdentityBudget | undefined {
  return budgets.get(host);
}

export function setIdentityBudget(host: object, budget: InboundIdentityBudget): void {
  budgets.set(host, budget);
}

/**
 * A libp2p connection gater that refuses an inbound connection once its peer id is known (after the
 * Noise handshake, before the muxer) when it is a new identity from an IP whose budget is spent.
 * `exempt`: networks outside the budget, the same as libp2p's allow list (a loopback devnet's honest
 * nodes, all on 127.0.0.1). Outbound connections, which this node chose to open, are never counted.
 */
export function identityBudgetGater(
  budget: InboundIdentityBudget,
  exempt: (remoteAddr: Multiaddr) => boolean,
): ConnectionGater {
  return {
    denyInboundEncryptedConnection: (peer: PeerId, maConn: { remoteAddr: Multiaddr }) => {
      const ip = identityBudgetKey(maConn.remoteAddr);
      if (ip === undefined || exempt(maConn.remoteAddr)) return false;
      return !budget.admit(ip, peer.toString());
    },
  };
}
