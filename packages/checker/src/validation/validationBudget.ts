/**
 * Per-peer and per-IP validation budgets (issue 14): token buckets that bound how many gossip
 * messages a peer can send into the expensive part of validation (chain reads, BLS) per second.
 * A message over budget is IGNOREd before any signature check, so a flood, even from a fresh
 * peer id every few messages, cannot buy more pairings than honest traffic needs.
 */
const VALIDATION_BUDGET_LIMITS = {
  /**
   * Committee seats are binomial over licenses with mean k (committeeSize): a committee holds more
   * than 3k seats with probability below 1e-5 at k = 8 (Poisson(8) tail at 25), and each seated
   * checker sends one attestation per provider, so 3k bounds a committee's attestations.
   */
  seatTailFactor: 3,
  /** Headroom over the honest bound: conflicting attestations (equivocation evidence) and two epochs' traffic around a boundary. */
  headroom: 2,
  /** Buckets kept at most; beyond, full ones and then the oldest are dropped (a dropped bucket is a full one). */
  maxTracked: 4_096,
} as const;

/**
 * The most attestations honest gossip can carry in one epoch, and so the most one peer, or one
 * IP, may make us verify: gossipsub delivers each message once, so even a peer that relays the
 * whole network's traffic forwards at most every committee's attestations once:
 *
 *   perEpoch = headroom × seatTailFactor × committeeSize × providers = 2 × 3 × k × P
 *
 * k = 8: 48 per provider and epoch; the devnet's 3 providers, 144 per 20 s epoch (7.2/s); 100
 * providers at 900 s epochs, 4,800 per epoch (5.3/s). The bucket holds one epoch's worth (honest
 * attestations come in one burst, at the end of the checking phase) and refills at perEpoch per epoch.
 * A message counts the same whether it needs one BLS check or two (VRF proof, then signature).
 */
export function attestationsPerEpochLimit(committeeSize: number, providers: number): number {
  const { headroom, seatTailFactor } = VALIDATION_BUDGET_LIMITS;
  return headroom * seatTailFactor * Math.max(1, committeeSize) * Math.max(1, providers);
}

interface Bucket {
  tokens: number;
  atMs: number;
}

/** Token buckets by key, bounded in number (also the inbound identity budget's, network/identityBudget.ts). */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxTracked: number;

  constructor(maxTracked: number) {
    this.maxTracked = maxTracked;
  }

  /** Tokens the bucket of `key` holds at `nowMs` (a bucket never seen is full). */
  level(key: string, capacity: number, perMs: number, nowMs: number): number {
    const b = this.buckets.get(key);
    if (b === undefined) return capacity;
    return Math.min(capacity, b.tokens + (nowMs - b.atMs) * perMs);
  }

  take(key: string, capacity: number, perMs: number, nowMs: number): void {
    const tokens = this.level(key, capacity, perMs, nowMs) - 1;
    this.buckets.delete(key);
    this.buckets.set(key, { tokens, atMs: nowMs });
    if (this.buckets.size > this.maxTracked) this.evict(capacity, perMs, nowMs);
  }

  /** Empties the bucket of `key`: it refills from `nowMs`. */
  empty(key: string, capacity: number, perMs: number, nowMs: number): void {
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: 0, atMs: nowMs });
    if (this.buckets.size > this.maxTracked) this.evict(capacity, perMs, nowMs);
  }

  size(): number {
    return this.buckets.size;
  }

  /** Drops full buckets (the same as no bucket), then the least recently used, down to 3/4 of the bound. */
  private evict(capacity: number, perMs: number, nowMs: number): void {
    const target = Math.floor((this.maxTracked * 3) / 4);
    for (const [key, b] of this.buckets) {
      if (b.tokens + (nowMs - b.atMs) * perMs >= capacity) this.buckets.delete(key);
    }
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= target) break;
      this.buckets.delete(key);
    }
  }
}

export interface ValidationBudgetOptions {
  /** Messages one peer (and one IP) may have validated per epoch: attestationsPerEpochLimit() for attestations. */
  perEpoch: () => number;
  epochSeconds: number;
  now?: () => number;
  maxTracked?: number;
}

/**
 * One bucket per peer id AND one per remote IP: a message is admitted only when both hold a
 * token, and then takes one from each. A fresh peer id gets a fresh peer bucket but shares its
 * IP's, so changing identity every 100 messages does not reset the budget. Peers behind one IP
 * (a devnet on loopback) share that IP's bucket, which the per-epoch bound still covers: gossipsub
 * delivers a message once, whichever peer it comes from.
 */
export class ValidationBudget {
  private readonly perEpoch: () => number;
  private readonly epochMs: number;
  private readonly now: () => number;
  private readonly peers: TokenBuckets;
  private readonly ips: TokenBuckets;

  constructor(options: ValidationBudgetOptions) {
    if (!(options.epochSeconds > 0)) throw new RangeError("epochSeconds must be positive");
    this.perEpoch = options.perEpoch;
    this.epochMs = options.epochSeconds * 1000;
    this.now = options.now ?? Date.now;
    const maxTracked = options.maxTracked ?? VALIDATION_BUDGET_LIMITS.maxTracked;
    this.peers = new TokenBuckets(maxTracked);
    this.ips = new TokenBuckets(maxTracked);
  }

  /** Takes a token for `peer` (and `ip`, when known) and answers true, or answers false and takes nothing. */
  tryTake(peer: string, ip: string | undefined): boolean {
    const capacity = Math.max(1, this.perEpoch());
    const perMs = capacity / this.epochMs;
    const now = this.now();
    if (this.peers.level(peer, capacity, perMs, now) < 1) return false;
    if (ip !== undefined && this.ips.level(ip, capacity, perMs, now) < 1) return false;
    this.peers.take(peer, capacity, perMs, now);
    if (ip !== undefined) this.ips.take(ip, capacity, perMs, now);
    return true;
  }

  /** Buckets held (peer ids, IPs): bounded by maxTracked each. */
  tracked(): { peers: number; ips: number } {
    return { peers: this.peers.size(), ips: this.ips.size() };
  }
}
