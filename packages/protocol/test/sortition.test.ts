import fc from "fast-check";
import {
  type Address,
  encodeAbiParameters,
  getAddress,
  type Hex,
  hexToBigInt,
  keccak256,
  toBytes,
  toHex,
} from "viem";
import { describe, expect, it } from "vitest";
import { nobleBackend } from "../src/bls/index.ts";
import { DomainTag, domainSeparator } from "../src/encoding/domain.ts";
import {
  AGGREGATOR_TICKET_TAG,
  aggregatorTicket,
  committeeSeats,
  providerTicket,
  rankAggregators,
  reportCommittee,
  reportCommitteeSeat,
  SortitionError,
  SortitionErrorCode,
  sortitionMessage,
  verifySortitionProof,
  vrfOutput,
} from "../src/sortition.ts";

const domain = {
  chainId: 31337n,
  verifyingContract: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as Address,
};
const seed = keccak256(toBytes("seed"));
const addr = (i: number): Address => getAddress(keccak256(toHex(`address-${i}`)).slice(0, 42));
const TWO_256 = 1n << 256n;

/** Exact binomial sortition in rationals: the smallest j with ticket / 2^256 < CDF(j). */
function exactSeats(ticket: bigint, n: number, total: number, k: number): number {
  if (k >= total) return n;
  const N = BigInt(n);
  const T = BigInt(total);
  const K = BigInt(k);
  const q = T - K;
  const lhs = ticket * T ** N;
  let binom = 1n;
  let cdfNumerator = 0n;
  for (let j = 0n; j <= N; j++) {
    if (j > 0n) binom = (binom * (N - j + 1n)) / j;
    cdfNumerator += binom * K ** j * q ** (N - j);
    if (lhs < cdfNumerator * TWO_256) return Number(j);
  }
  return n;
}

/**
 * The CDF boundaries floor(2^256 · CDF(j)), exactly, and whether 2^256 · CDF(j)
 * has a fractional part above 2^-50. The fixed-point CDF never exceeds the
 * exact one and errs by far less than 2^-50 of a ticket step, so only a ticket
 * within that distance below a boundary could land one seat higher.
 */
function exactBoundaries(n: number, total: number, k: number): { ticket: bigint; clear: boolean }[] {
  const N = BigInt(n);
  const T = BigInt(total);
  const K = BigInt(k);
  const q = T - K;
  const den = T ** N;
  let binom = 1n;
  let cdfNumerator = 0n;
  const out: { ticket: bigint; clear: boolean }[] = [];
  for (let j = 0n; j < N; j++) {
    if (j > 0n) binom = (binom * (N - j + 1n)) / j;
    cdfNumerator += binom * K ** j * q ** (N - j);
    const scaled = cdfNumerator * TWO_256;
    const rem = scaled % den;
    out.push({ ticket: scaled / den, clear: rem === 0n || rem << 50n >= den });
  }
  return out;
}

/** Small seeded PRNG for statistical tests: 256-bit tickets from a 32-bit seed. */
function ticketStream(seedValue: number): () => bigint {
  let s = seedValue >>> 0 || 1;
  const next32 = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return BigInt((t ^ (t >>> 14)) >>> 0);
  };
  return () => {
    let x = 0n;
    for (let i = 0; i < 8; i++) x = (x << 32n) | next32();
    return x;
  };
}

describe("sortition message and VRF", () => {
  it("is keccak256(abi.encode(SORTITION_TAG, domainSeparator, epoch, seed)) and binds every input", () => {
    const expected = keccak256(
      encodeAbiParameters(
        [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint256" }, { type: "bytes32" }],
        [DomainTag.SORTITION, domainSeparator(domain), 7n, seed],
      ),
    );
    expect(toHex(sortitionMessage(7n, seed, domain))).toBe(expected);
    expect(toHex(sortitionMessage(8n, seed, domain))).not.toBe(expected);
    expect(toHex(sortitionMessage(7n, keccak256(seed), domain))).not.toBe(expected);
    expect(toHex(sortitionMessage(7n, seed, { ...domain, chainId: 1n }))).not.toBe(expected);
  });

  it("refuses malformed epochs and seeds with typed errors", () => {
    expect(() => sortitionMessage(-1n, seed, domain)).toThrow(SortitionError);
    expect(() => sortitionMessage(1n << 64n, seed, domain)).toThrow(SortitionError);
    expect(() => sortitionMessage(1n, "0x1234", domain)).toThrow(SortitionError);
    try {
      sortitionMessage(1n, "0xzz" as Hex, domain);
    } catch (e) {
      expect((e as SortitionError).code).toBe(SortitionErrorCode.INVALID_SEED);
    }
  });

  it("verifies a real BLS VRF proof and rejects it for any other epoch, seed, domain or key", () => {
    const sk = new Uint8Array(32).fill(7);
    const otherSk = new Uint8Array(32).fill(9);
    const pk = nobleBackend.publicKey(sk);
    const proof = nobleBackend.sign(sk, sortitionMessage(5n, seed, domain));
    expect(verifySortitionProof(nobleBackend, pk, 5n, seed, domain, proof)).toBe(true);
    expect(verifySortitionProof(nobleBackend, toHex(pk), 5n, seed, domain, toHex(proof))).toBe(true);
    expect(verifySortitionProof(nobleBackend, pk, 6n, seed, domain, proof)).toBe(false);
    expect(verifySortitionProof(nobleBackend, pk, 5n, keccak256(seed), domain, proof)).toBe(false);
    expect(verifySortitionProof(nobleBackend, pk, 5n, seed, { ...domain, chainId: 1n }, proof)).toBe(false);
    expect(verifySortitionProof(nobleBackend, nobleBackend.publicKey(otherSk), 5n, seed, domain, proof)).toBe(
      false,
    );
    expect(verifySortitionProof(nobleBackend, pk, 5n, seed, domain, proof.subarray(1))).toBe(false);
    expect(verifySortitionProof(nobleBackend, pk, 5n, "0x12", domain, proof)).toBe(false);
    // Uniqueness: signing again gives the same proof, so the same VRF output.
    const again = nobleBackend.sign(sk, sortitionMessage(5n, seed, domain));
    expect(vrfOutput(again)).toBe(vrfOutput(proof));
    expect(vrfOutput(proof)).toBe(keccak256(proof));
  });

  it("derives provider tickets as uint256(keccak256(abi.encode(vrfOut, provider)))", () => {
    const out = keccak256(toBytes("vrf"));
    const p = addr(1);
    const expected = hexToBigInt(
      keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "address" }], [out, p])),
    );
    expect(providerTicket(out, p)).toBe(expected);
    expect(providerTicket(out, p.toLowerCase() as Address)).toBe(expected);
    expect(providerTicket(out, addr(2))).not.toBe(expected);
    expect(() => providerTicket(out, "0x1234" as Address)).toThrow(SortitionError);
  });
});

describe("committeeSeats (binomial sortition)", () => {
  it("handles the edges: no licenses, p ≥ 1, extreme tickets", () => {
    expect(committeeSeats(0n, 0, 10, 8)).toBe(0);
    expect(committeeSeats(TWO_256 - 1n, 3, 5, 8)).toBe(3);
    expect(committeeSeats(0n, 3, 5, 5)).toBe(3);
    expect(committeeSeats(0n, 1, 100, 8)).toBe(0);
    expect(committeeSeats(TWO_256 - 1n, 1, 100, 8)).toBe(1);
    expect(committeeSeats(TWO_256 - 1n, 10, 100, 8)).toBe(10);
  });

  it("refuses bad inputs with typed errors", () => {
    const bad: [bigint, number, number, number][] = [
      [-1n, 1, 10, 8],
      [TWO_256, 1, 10, 8],
      [0n, 11, 10, 8],
      [0n, 1, 0, 8],
      [0n, 1, 10, 0],
      [0n, 1.5, 10, 8],
      [0n, -1, 10, 8],
    ];
    for (const [t, n, T, k] of bad) expect(() => committeeSeats(t, n, T, k)).toThrow(SortitionError);
  });

  it("equals the exact rational binomial inversion, including right at the CDF boundaries", () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 2, max: 300 })
          .chain((total) =>
            fc.tuple(
              fc.constant(total),
              fc.integer({ min: 1, max: Math.min(total, 40) }),
              fc.integer({ min: 1, max: total - 1 }),
              fc.bigInt({ min: 0n, max: TWO_256 - 1n }),
            ),
          ),
        ([total, n, k, ticket]) => {
          expect(committeeSeats(ticket, n, total, k)).toBe(exactSeats(ticket, n, total, k));
          exactBoundaries(n, total, k).forEach(({ ticket: b, clear }, j) => {
            // floor(2^256 · CDF(j)) is still inside bucket ≤ j unless the CDF is exactly representable.
            const inside = exactSeats(b, n, total, k);
            if (clear) expect(committeeSeats(b, n, total, k)).toBe(inside);
            if (b + 1n < TWO_256)
              expect(committeeSeats(b + 1n, n, total, k)).toBe(exactSeats(b + 1n, n, total, k));
            expect(inside).toBeLessThanOrEqual(j + 1);
          });
        },
      ),
      { numRuns: 150 },
    );
  });

  it("is monotone in the ticket and never exceeds the licenses", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000 }),
        fc.integer({ min: 1, max: 64 }),
        fc.bigInt({ min: 0n, max: TWO_256 - 1n }),
        fc.bigInt({ min: 0n, max: TWO_256 - 1n }),
        (total, k, a, b) => {
          const n = Math.max(1, Math.floor(total / 3));
          const [lo, hi] = a < b ? [a, b] : [b, a];
          const sLo = committeeSeats(lo, n, total, k);
          const sHi = committeeSeats(hi, n, total, k);
          expect(sLo).toBeLessThanOrEqual(sHi);
          expect(sHi).toBeLessThanOrEqual(n);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("gives committees whose size concentrates around k, for uniform and skewed license weights", () => {
    const uniform = fc.integer({ min: 20, max: 120 }).map((m) => Array.from({ length: m }, () => 1));
    // A whale with up to half of all licenses, a few mid holders and a long tail.
    const skewed = fc
      .tuple(
        fc.integer({ min: 10, max: 500 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 2, maxLength: 10 }),
        fc.array(fc.constant(1), { minLength: 10, maxLength: 60 }),
      )
      .map(([whale, mid, tail]) => [whale, ...mid, ...tail]);
    fc.assert(
      fc.property(
        fc.oneof(uniform, skewed),
        fc.constantFrom(8, 16),
        fc.integer(),
        (weights, k, seedValue) => {
          const total = weights.reduce((s, w) => s + w, 0);
          const next = ticketStream(seedValue);
          const rounds = 1_000;
          let sum = 0;
          let sumSq = 0;
          let whaleSeats = 0;
          for (let r = 0; r < rounds; r++) {
            let size = 0;
            weights.forEach((w, i) => {
              const seats = committeeSeats(next(), w, total, k);
              size += seats;
              if (i === 0) whaleSeats += seats;
            });
            sum += size;
            sumSq += size * size;
          }
          const mean = sum / rounds;
          const variance = sumSq / rounds - mean * mean;
          const p = Math.min(1, k / total);
          // Committee size ~ Binomial(total, k/total): mean k, variance k(1 - p). 1,000 rounds put 5% at ≥ 4.5σ.
          expect(Math.abs(mean - k) / k).toBeLessThan(0.05);
          expect(variance).toBeGreaterThan(0.7 * k * (1 - p));
          expect(variance).toBeLessThan(1.3 * k * (1 - p) + 0.05);
          // The first holder's share of seats tracks its share of licenses.
          const whaleExpected = (k * (weights[0] ?? 0)) / total;
          expect(Math.abs(whaleSeats / rounds - whaleExpected)).toBeLessThan(0.1 * whaleExpected + 0.15);
        },
      ),
      { numRuns: 12 },
    );
  });

  it("costs microseconds even for an operator holding 10,000 licenses", () => {
    const next = ticketStream(42);
    const t0 = performance.now();
    for (let i = 0; i < 1_000; i++) committeeSeats(next(), 10_000, 100_000, 8);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});

describe("aggregator tickets and ranking", () => {
  it("hashes (tag, vrfOut, slot) and takes the minimum over license slots", () => {
    const out = keccak256(toBytes("vrf-a"));
    const slot = (i: bigint) =>
      hexToBigInt(
        keccak256(
          encodeAbiParameters(
            [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint256" }],
            [AGGREGATOR_TICKET_TAG, out, i],
          ),
        ),
      );
    expect(aggregatorTicket(out)).toBe(slot(0n));
    const three = [slot(0n), slot(1n), slot(2n)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[0];
    expect(aggregatorTicket(out, 3)).toBe(three);
    expect(aggregatorTicket(out)).not.toBe(providerTicket(out, addr(0)));
    expect(() => aggregatorTicket(out, 0)).toThrow(SortitionError);
    expect(() => aggregatorTicket(out, 1 << 17)).toThrow(SortitionError);
  });

  it("is the minimum of the abi-encoded slot hashes over 1,000 slots (indices of two bytes)", () => {
    const out = keccak256(toBytes("vrf-many"));
    const slot = (i: bigint) =>
      hexToBigInt(
        keccak256(
          encodeAbiParameters(
            [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint256" }],
            [AGGREGATOR_TICKET_TAG, out, i],
          ),
        ),
      );
    let best = slot(0n);
    for (let i = 1n; i < 1_000n; i++) if (slot(i) < best) best = slot(i);
    expect(aggregatorTicket(out, 1_000)).toBe(best);
  });

  it("gives leadership odds proportional to licenses (3:1 wins ≈ 75%)", () => {
    let wins = 0;
    const rounds = 1_000;
    for (let r = 0; r < rounds; r++) {
      const a = aggregatorTicket(keccak256(toHex(`a-${r}`)), 3);
      const b = aggregatorTicket(keccak256(toHex(`b-${r}`)), 1);
      if (a < b) wins++;
    }
    expect(Math.abs(wins / rounds - 0.75)).toBeLessThan(0.05);
  });

  it("ranks lowest ticket first, ties by address, keeps extra fields and refuses duplicates", () => {
    const cands = [
      { checker: addr(1), ticket: 5n, peer: "a" },
      { checker: addr(2), ticket: 3n, peer: "b" },
      { checker: addr(3), ticket: 5n, peer: "c" },
      { checker: addr(4), ticket: 9n, peer: "d" },
    ];
    const ranked = rankAggregators(cands, 3);
    expect(ranked.map((c) => c.peer)[0]).toBe("b");
    expect(ranked).toHaveLength(3);
    const tied = ranked.slice(1).map((c) => c.checker.toLowerCase());
    expect(tied).toEqual([addr(1), addr(3)].map((a) => a.toLowerCase()).sort());
    expect(rankAggregators([...cands].reverse(), 3)).toEqual(ranked);
    expect(rankAggregators(cands, 10)).toHaveLength(4);
    expect(() => rankAggregators([...cands, { checker: addr(1), ticket: 1n, peer: "x" }], 2)).toThrow(
      expect.objectContaining({ code: SortitionErrorCode.DUPLICATE_CANDIDATE }),
    );
  });
});

describe("report committee", () => {
  it("is uint256(keccak256(abi.encode(REPORT_COMMITTEE_TAG, seed, epoch, seat, draw))) % activeLicenseCount", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => toHex(b)),
        fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }),
        fc.nat({ max: 255 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.nat({ max: 7 }),
        (s, epoch, seat, count, draw) => {
          const h = hexToBigInt(
            keccak256(
              encodeAbiParameters(
                [
                  { type: "bytes32" },
                  { type: "bytes32" },
                  { type: "uint256" },
                  { type: "uint256" },
                  { type: "uint256" },
                ],
                [DomainTag.REPORT_COMMITTEE, s, epoch, BigInt(seat), BigInt(draw)],
              ),
            ),
          );
          const index = reportCommitteeSeat(s, epoch, seat, count, draw);
          expect(index).toBe(Number(h % BigInt(count)));
          // Draw 0 (the first candidate, which takes the seat unless its operator is jailed) is the default.
          if (draw === 0) expect(reportCommitteeSeat(s, epoch, seat, count)).toBe(index);
          expect(index).toBeGreaterThanOrEqual(0);
          expect(index).toBeLessThan(count);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("lists one license index per seat and refuses empty license sets", () => {
    const c = reportCommittee(seed, 3n, 16, 40);
    expect(c).toHaveLength(16);
    expect(c[5]).toBe(reportCommitteeSeat(seed, 3n, 5, 40));
    expect(reportCommittee(seed, 4n, 16, 40)).not.toEqual(c);
    expect(() => reportCommittee(seed, 3n, 16, 0)).toThrow(SortitionError);
    expect(() => reportCommittee(seed, 3n, 0, 10)).toThrow(SortitionError);
  });
});
