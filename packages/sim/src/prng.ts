/**
 * Seeded pseudo-random numbers. Every random draw of a simulation comes from a
 * `Prng` derived from the scenario seed and a label (`"committee", epoch`), so
 * the same seed gives byte-identical results and changing one part of a
 * scenario (say, adding an adversary group) does not reshuffle the draws of
 * unrelated parts.
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Chaotic PRNG, from
 * PractRand): 128 bits of state, passes PractRand to terabytes, and needs only
 * 32-bit integer operations, which V8 runs without allocating.
 */

/** 32-bit string hash (cyrb53's mixing, reduced to 32 bits); used only to derive seeds. */
function hash32(text: string, salt: number): number {
  let h1 = 0xdeadbeef ^ salt;
  let h2 = 0x41c6ce57 ^ salt;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 ^ h2) >>> 0;
}

const TWO_POW_32 = 4294967296;

/**
 * (1 - p)^n for the binomial draws, memoized for the few (n, p) pairs a run
 * uses over and over (committee draws, lost pings): an exp and a log1p per
 * draw were a tenth of a large run.
 */
const pmf0Cache = new Map<number, Map<number, number>>();
function binomialPmf0(n: number, p: number): number {
  let byP = pmf0Cache.get(n);
  if (!byP) {
    byP = new Map();
    pmf0Cache.set(n, byP);
  }
  let v = byP.get(p);
  if (v === undefined) {
    v = Math.exp(n * Math.log1p(-p));
    if (byP.size < 64) byP.set(p, v);
  }
  return v;
}

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Normal deviates come in pairs (Box-Muller); the second one waits here. */
  private spareNormal: number | undefined;

  private constructor(a: number, b: number, c: number, d: number) {
    this.a = a >>> 0;
    this.b = b >>> 0;
    this.c = c >>> 0;
    this.d = d >>> 0;
    // Discard the first outputs: sfc32's state needs a few rounds to mix a low-entropy seed.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A generator for `seed` and a path of labels: `Prng.derive(seed, "committee", 7)`. */
  static derive(seed: string | number, ...labels: (string | number | bigint)[]): Prng {
    const text = [String(seed), ...labels.map(String)].join("\u0000");
    return new Prng(hash32(text, 1), hash32(text, 2), hash32(text, 3), hash32(text, 4));
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1) with 32 bits of resolution (enough for every probability the simulator draws). */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform in [0, 1) with 53 bits, for draws compared against very small probabilities. */
  next53(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return p > 0 && (p >= 1 || this.next() < p);
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (n <= TWO_POW_32) return Math.floor(this.next() * n);
    return Math.floor(this.next53() * n);
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Uniform 256-bit integer (the shape of a sortition ticket). */
  uint256(): bigint {
    let x = 0n;
    for (let i = 0; i < 8; i++) x = (x << 32n) | BigInt(this.nextUint32());
    return x;
  }

  /** Standard normal deviate (Box-Muller). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const s = this.spareNormal;
      this.spareNormal = undefined;
      return s;
    }
    let u = this.next53();
    while (u === 0) u = this.next53();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Log-normal with the given median and log-space standard deviation. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /**
   * Binomial(n, p) by inversion of the CDF: exact, O(n·p) steps, which is what
   * committee draws need (means of 8 to a few hundred). Falls back to a
   * normal approximation only where (1-p)^n underflows (mean above ~700).
   */
  binomial(n: number, p: number): number {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    const pmf0 = binomialPmf0(n, p);
    if (pmf0 < 1e-300) {
      const mean = n * p;
      const sd = Math.sqrt(mean * (1 - p));
      return Math.min(n, Math.max(0, Math.round(mean + sd * this.normal())));
    }
    const u = this.next53();
    const ratio = p / (1 - p);
    let pmf = pmf0;
    let cdf = pmf0;
    let k = 0;
    while (u >= cdf && k < n) {
      pmf *= ((n - k) / (k + 1)) * ratio;
      k++;
      cdf += pmf;
      // Rounding can leave the CDF a hair below 1; the tail is then empty.
      if (pmf < 1e-300 && k > n * p) break;
    }
    return k;
  }

  /** Poisson(mean) by inversion (means up to a few hundred). */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 700) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const u = this.next53();
    let pmf = Math.exp(-mean);
    let cdf = pmf;
    let k = 0;
    while (u >= cdf) {
      k++;
      pmf *= mean / k;
      cdf += pmf;
      if (pmf < 1e-300 && k > mean) break;
    }
    return k;
  }

  /** Picks an element uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("Prng.pick: empty list");
    return items[this.int(items.length)] as T;
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** 32 random bytes (secret keys and transcript hashes in the real-signature mode). */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const x = this.nextUint32();
      for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (x >>> (8 * j)) & 0xff;
    }
    return out;
  }
}
