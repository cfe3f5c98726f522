import type { ConnectionGater, PeerId } from "@libp2p/interface";
import type { Multiaddr } from "@multiformats/multiaddr";

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
  /**
   * Buckets kept per level (addresses, then prefixes: IdentityBucketLevel). Only full ones are ever
   * dropped (a dropped bucket reads as full): dropping a spent one would hand its key a fresh burst, so
   * an attacker cycling through more keys than the table holds would never run out (review3 P2-2).
   */
  maxIps: 4_096,
  /** (IP, peer id) pairs remembered as known, the least recently seen dropped first. */
  maxKnown: 16_384,
  /**
   * Proven peer ids remembered (ProvenPeers), the one whose last valid delivery is the oldest dropped
   * first: well over the checkers a node hears from (one a registered operator).
   */
  maxProven: 4_096,
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

/**
 * The prefix an address key's identities are charged to once the table of addresses is full of spent
 * buckets: an IPv4 address's /24, an IPv6 /64's /48 (what one site or tunnel broker hands out). An
 * attacker with more addresses than the table holds shares its prefixes' budgets; an honest newcomer
 * from elsewhere has its own prefix's while the prefixes' table has room (past it, the shared bucket:
 * InboundIdentityBudget lets registered and proven checkers in outside all of them).
 */
export function identityPrefixKey(key: string): string {
  if (key.endsWith("::/64")) return `${key.slice(0, -"::/64".length).split(":").slice(0, 3).join(":")}::/48`;
  return `${key.split(".").slice(0, 3).join(".")}.0/24`;
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
  /** Buckets kept per level (INBOUND_IDENTITY_LIMITS.maxIps). */
  maxIps?: number;
  /** Proven peer ids kept (INBOUND_IDENTITY_LIMITS.maxProven). */
  maxProven?: number;
  now?: () => number;
}

/**
 * Peer ids that delivered a valid gossip message to this node (network/gossip/graylist.ts `accepted`),
 * the least recently delivering dropped first past `max`. A delivery refreshes its peer, so an honest
 * checker, which relays every epoch, stays; to push one out an attacker needs `max` identities of its
 * own, each admitted (a token of the budget) and each the first to deliver some valid message since.
 */
class ProvenPeers {
  private readonly ids = new Set<string>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.max) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }

  delete(id: string): void {
    this.ids.delete(id);
  }
}

/**
 * Where a new identity was charged, and so why one was refused (checker_identities_refused_total's
 * `reason`): its address's bucket; its prefix's (identityPrefixKey), once the table of addresses is
 * full of spent buckets; or one bucket shared by every key, once the prefixes' table is full too.
 */
export type IdentityBucketLevel = "ip" | "prefix" | "overflow";

/** Token buckets by key, at most `max`, of which only full ones are dropped (a bucket never seen is full). */
class SpentBuckets {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  private readonly max: number;
  private readonly capacity: number;
  private readonly perMs: number;
  /** When the first of the kept buckets is full again: a full table is not scanned before. */
  private nextFullMs = Number.POSITIVE_INFINITY;

  constructor(max: number, capacity: number, perMs: number) {
    this.max = max;
    this.capacity = capacity;
    this.perMs = perMs;
  }

  /** Whether `key` has a bucket here or one can be made (after dropping the full ones). */
  holds(key: string, nowMs: number): boolean {
    if (this.buckets.has(key) || this.buckets.size < this.max) return true;
    if (nowMs < this.nextFullMs) return false;
    this.nextFullMs = Number.POSITIVE_INFINITY;
    for (const [k, b] of this.buckets) {
      if (b.tokens + (nowMs - b.atMs) * this.perMs >= this.capacity) this.buckets.delete(k);
      else this.nextFullMs = Math.min(this.nextFullMs, this.fullAtMs(b.tokens, b.atMs));
    }
    return this.buckets.size < this.max;
  }

  level(key: string, nowMs: number): number {
    const b = this.buckets.get(key);
    return b === undefined
      ? this.capacity
      : Math.min(this.capacity, b.tokens + (nowMs - b.atMs) * this.perMs);
  }

  /** Sets `key`'s tokens (call only where holds(key) answered true). */
  set(key: string, tokens: number, nowMs: number): void {
    this.buckets.set(key, { tokens, atMs: nowMs });
    this.nextFullMs = Math.min(this.nextFullMs, this.fullAtMs(tokens, nowMs));
  }

  private fullAtMs(tokens: number, atMs: number): number {
    return atMs + (this.capacity - tokens) / this.perMs;
  }
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

/**
 * Per remote IP, a token bucket of new peer identities, and the identities it has let in. The buckets
 * are kept by level (IdentityBucketLevel): an address's own while the table of addresses has room,
 * else its prefix's, else one shared bucket. A spent bucket is never dropped, so no number of keys
 * buys a fresh burst: a flood from more addresses than the table holds is bounded by its prefixes' and
 * then the shared bucket's refill.
 *
 * That refill is all an unknown newcomer gets once an attacker with enough addresses (~8,200 IPv4 in
 * 4,096 /24s, a residential-proxy pool) keeps both tables full of spent buckets and the shared one
 * drained (review5 M2), so checkers are not budgeted: a registered checker's peer id (CheckerRegistry,
 * `isRegisteredChecker`) and a proven peer's (one that delivered a valid message, `prove`) are let in
 * from any IP, never charged and never refused. Only unknown identities are Sybil candidates.
 */
export class InboundIdentityBudget {
  private readonly ips: SpentBuckets;
  private readonly prefixes: SpentBuckets;
  private readonly overflow: SpentBuckets;
  private readonly known = new Map<string, true>();
  private readonly proven: ProvenPeers;
  private readonly now: () => number;
  /**
   * Whether a peer id is a registered checker's (the node's view of CheckerRegistry's peer ids, a license
   * each): such a peer is outside the budget. None is by default.
   */
  isRegisteredChecker: (peer: string) => boolean = () => false;
  /** Identities refused since start, by the level that refused them (for logs, tests and the metric). */
  readonly refusedBy: Record<IdentityBucketLevel, number> = { ip: 0, prefix: 0, overflow: 0 };
  /** Called at each refusal (the node counts them in checker_identities_refused_total). */
  onRefused: ((level: IdentityBucketLevel) => void) | undefined;

  constructor(options: InboundIdentityBudgetOptions = {}) {
    const burst = options.burst ?? INBOUND_IDENTITY_LIMITS.burst;
    const perMs = 1 / (options.refillMs ?? INBOUND_IDENTITY_LIMITS.refillMs);
    const max = options.maxIps ?? INBOUND_IDENTITY_LIMITS.maxIps;
    this.ips = new SpentBuckets(max, burst, perMs);
    this.prefixes = new SpentBuckets(max, burst, perMs);
    this.overflow = new SpentBuckets(1, burst, perMs);
    this.proven = new ProvenPeers(options.maxProven ?? INBOUND_IDENTITY_LIMITS.maxProven);
    this.now = options.now ?? Date.now;
  }

  /** Identities refused since start, every level. */
  get refused(): number {
    return this.refusedBy.ip + this.refusedBy.prefix + this.refusedBy.overflow;
  }

  /** The bucket `ip`'s new identities are charged to now. */
  private bucketOf(
    ip: string,
    nowMs: number,
  ): { level: IdentityBucketLevel; table: SpentBuckets; key: string } {
    if (this.ips.holds(ip, nowMs)) return { level: "ip", table: this.ips, key: ip };
    const prefix = identityPrefixKey(ip);
    if (this.prefixes.holds(prefix, nowMs)) return { level: "prefix", table: this.prefixes, key: prefix };
    return { level: "overflow", table: this.overflow, key: "*" };
  }

  /**
   * Spends what is left of `ip`'s budget: one of its identities was hung up for invalid messages
   * (network/gossip/graylist.ts), which an honest peer never sends, so the next new identity from there
   * waits for the refill. Its known identities still pass (an honest node behind the same NAT).
   */
  spend(ip: string): void {
    const now = this.now();
    const { table, key } = this.bucketOf(ip, now);
    table.set(key, 0, now);
  }

  /**
   * `peer` was hung up from `ip` for invalid messages (network/gossip/graylist.ts): it is forgotten, so
   * that it comes back as a new identity, refused while the IP's budget is spent, and that budget is spent.
   */
  condemn(ip: string, peer: string): void {
    this.known.delete(`${ip} ${peer}`);
    this.proven.delete(peer);
    this.spend(ip);
  }

  /**
   * `peer` delivered a valid message to this node (network/gossip/graylist.ts): from now on it is let in
   * from any IP without a charge (a checker whose address changed, one behind a CGNAT whose neighbour
   * spent the shared address's budget), until it is condemned or pushed out of ProvenPeers.
   */
  prove(peer: string): void {
    this.proven.add(peer);
  }

  /**
   * Whether `peer` may connect from `ip`: a registered checker or a proven peer from anywhere, an identity
   * known there, or a new one while its bucket has a token (taken).
   */
  admit(ip: string, peer: string): boolean {
    if (this.isRegisteredChecker(peer) || this.proven.has(peer)) return true;
    const pair = `${ip} ${peer}`;
    if (this.known.delete(pair)) {
      this.known.set(pair, true);
      return true;
    }
    const now = this.now();
    const { level, table, key } = this.bucketOf(ip, now);
    const tokens = table.level(key, now);
    if (tokens < 1) {
      this.refusedBy[level]++;
      this.onRefused?.(level);
      return false;
    }
    table.set(key, tokens - 1, now);
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
