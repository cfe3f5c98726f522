import fc from "fast-check";
import type { Hex } from "viem";
import { describe, expect, it } from "vitest";
import { ChallengeError, ReasonCode } from "../../src/challenges/common.ts";
import {
  answerPing,
  percentile,
  pingCodec,
  pingSchedule,
  pongCodec,
  type ReceivedPong,
  verifyLatency,
} from "../../src/challenges/latency.ts";
import {
  FIBER_SPEED_KM_S,
  greatCircleKm,
  minimumRttUs,
  REGIONS,
  regionByCode,
  regionById,
} from "../../src/challenges/regions.ts";
import { DecodeError } from "../../src/errors.ts";
import { DEFAULT_PARAMS, withParams } from "../../src/params.ts";
import { CheckResult } from "../../src/types.ts";
import { expectMutationRejected } from "./helpers.ts";

const SEED = `0x${"42".repeat(32)}` as const;
const params = DEFAULT_PARAMS;

describe("regions", () => {
  it("has unique ids and codes and valid coordinates", () => {
    expect(new Set(REGIONS.map((r) => r.id)).size).toBe(REGIONS.length);
    expect(new Set(REGIONS.map((r) => r.code)).size).toBe(REGIONS.length);
    for (const r of REGIONS) {
      expect(Math.abs(r.latitude)).toBeLessThanOrEqual(90);
      expect(Math.abs(r.longitude)).toBeLessThanOrEqual(180);
      expect(regionByCode(r.code)).toBe(r);
      expect(regionById(r.id)).toBe(r);
    }
    expect(REGIONS.length).toBeGreaterThanOrEqual(12);
  });

  it("computes great-circle distances that match published city distances", () => {
    // Ashburn–Dublin ~5,470 km, Frankfurt–Singapore ~10,260 km, Tokyo–Sydney ~7,820 km.
    expect(greatCircleKm("us-east", "eu-west")).toBeCloseTo(5470, -2);
    expect(greatCircleKm("eu-central", "ap-southeast")).toBeCloseTo(10260, -2);
    expect(greatCircleKm("ap-northeast", "au-east")).toBeCloseTo(7820, -2);
    expect(greatCircleKm("us-west", "us-west")).toBe(0);
  });

  it("derives the light-in-fibre RTT bound with both regions' tolerance removed", () => {
    const km = greatCircleKm("us-east", "eu-west") - 1000;
    expect(minimumRttUs("us-east", "eu-west")).toBe(Math.floor(((2 * km) / FIBER_SPEED_KM_S) * 1e6));
    expect(minimumRttUs("us-east", "eu-west")).toBeGreaterThan(40_000);
    expect(minimumRttUs("us-east", "eu-west")).toBeLessThan(50_000);
    expect(minimumRttUs("eu-west", "eu-central")).toBeLessThan(2_000);
    expect(minimumRttUs("local", "ap-south")).toBe(0);
    expect(minimumRttUs("sa-east", "local")).toBe(0);
    expect(minimumRttUs("eu-central", "eu-central")).toBe(0);
  });

  it("is symmetric", () => {
    for (const a of REGIONS) for (const b of REGIONS) expect(minimumRttUs(a, b)).toBe(minimumRttUs(b, a));
  });

  it("refuses unknown regions with a typed error", () => {
    expect(() => minimumRttUs("mars-north", "us-east")).toThrow(ChallengeError);
    expect(() => regionByCode(200)).toThrow(ChallengeError);
  });
});

describe("percentile", () => {
  it("uses the nearest rank", () => {
    expect(percentile([40, 10, 30, 20], 50)).toBe(20);
    expect(percentile([40, 10, 30, 20], 95)).toBe(40);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([], 95)).toBe(0);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
  });

  it("always returns one of the values, monotone in p", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 50 }), (values) => {
        const p50 = percentile(values, 50);
        const p95 = percentile(values, 95);
        expect(values).toContain(p50);
        expect(values).toContain(p95);
        expect(p95).toBeGreaterThanOrEqual(p50);
        expect(percentile(values, 100)).toBe(Math.max(...values));
      }),
      { numRuns: 100 },
    );
  });
});

describe("ping schedule and codecs", () => {
  it("derives pingCount distinct nonces with jittered, increasing send times", () => {
    const pings = pingSchedule(SEED, params);
    expect(pings).toHaveLength(params.pingCount);
    expect(new Set(pings.map((p) => p.nonce)).size).toBe(pings.length);
    pings.forEach((p, i) => {
      expect(p.seq).toBe(i);
      expect(p.sendAtMs).toBeGreaterThanOrEqual(i * params.pingIntervalMs);
      expect(p.sendAtMs).toBeLessThan(i * params.pingIntervalMs + params.pingIntervalMs / 2);
    });
    expect(pingSchedule(SEED, params)).toEqual(pings);
    expect(pingSchedule(`0x${"43".repeat(32)}`, params)[0]?.nonce).not.toBe(pings[0]?.nonce);
  });

  it("round-trips pings and pongs and rejects mutated encodings", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (seq, nonce) => {
          const ping = { seq, nonce: `0x${Buffer.from(nonce).toString("hex")}` as Hex };
          expect(pingCodec.decode(pingCodec.encode(ping))).toEqual(ping);
          expect(pongCodec.decode(pongCodec.encode(answerPing(ping)))).toEqual(ping);
          expectMutationRejected(pingCodec, ping);
        },
      ),
      { numRuns: 50 },
    );
    expect(() => pingCodec.decode(new Uint8Array(65))).toThrow(DecodeError);
  });
});

function honestPongs(rtts: number[]): { pings: ReturnType<typeof pingSchedule>; pongs: ReceivedPong[] } {
  const pings = pingSchedule(SEED, withParams({ pingCount: rtts.length }));
  return { pings, pongs: pings.map((p, i) => ({ ...answerPing(p), rttUs: rtts[i] as number })) };
}

describe("verifyLatency", () => {
  const base = { claimedRegion: "eu-west", checkerRegion: "us-east", params } as const;
  const bound = minimumRttUs("us-east", "eu-west");

  it("passes honest pongs above the physical bound, with nearest-rank p50 and p95", () => {
    const { pings, pongs } = honestPongs([80_000, 81_000, 79_000, 90_000, 85_000, 82_000, 120_000, 83_000]);
    const out = verifyLatency({ ...base, pings, pongs });
    expect(out.result).toBe(CheckResult.PASS);
    expect(out.reasons).toEqual([]);
    expect(out.p50Us).toBe(82_000);
    expect(out.p95Us).toBe(120_000);
    expect(out.lost).toBe(0);
    expect(out.minimumRttUs).toBe(bound);
  });

  it("always passes when every RTT is between the bound and the liveness threshold", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: bound, max: params.latencyMaxP95Us }), { minLength: 1, maxLength: 16 }),
        (rtts) => {
          const { pings, pongs } = honestPongs(rtts);
          expect(verifyLatency({ ...base, pings, pongs }).result).toBe(CheckResult.PASS);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("fails any RTT below what light allows (a proxy near the checker)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bound - 1 }), fc.nat({ max: 7 }), (fast, at) => {
        const rtts = Array.from({ length: 8 }, () => 90_000);
        rtts[at] = fast;
        const { pings, pongs } = honestPongs(rtts);
        const out = verifyLatency({ ...base, pings, pongs });
        expect(out.result).toBe(CheckResult.FAIL);
        expect(out.reasons.map((r) => r.code)).toEqual([ReasonCode.RTT_BELOW_PHYSICAL_BOUND]);
      }),
      { numRuns: 50 },
    );
  });

  it("applies no bound on the local devnet region", () => {
    const { pings, pongs } = honestPongs([100, 120, 90, 300, 110, 100, 95, 105]);
    expect(verifyLatency({ ...base, claimedRegion: "local", pings, pongs }).result).toBe(CheckResult.PASS);
  });

  it("fails a wrong nonce, an unsolicited and a duplicate pong", () => {
    const { pings, pongs } = honestPongs(Array.from({ length: 8 }, () => 90_000));
    const wrongNonce = pongs.map((p, i) => (i === 2 ? { ...p, nonce: pings[3]!.nonce } : p));
    expect(verifyLatency({ ...base, pings, pongs: wrongNonce }).reasons.map((r) => r.code)).toEqual([
      ReasonCode.PONG_NONCE_MISMATCH,
    ]);
    const unsolicited = [...pongs, { ...pongs[0]!, seq: 99 }];
    expect(verifyLatency({ ...base, pings, pongs: unsolicited }).reasons.map((r) => r.code)).toEqual([
      ReasonCode.UNSOLICITED_PONG,
    ]);
    const duplicate = [...pongs, pongs[1]!];
    const out = verifyLatency({ ...base, pings, pongs: duplicate });
    expect(out.result).toBe(CheckResult.FAIL);
    expect(out.reasons.map((r) => r.code)).toEqual([ReasonCode.DUPLICATE_PONG]);
  });

  it("times out when more than latencyMaxLostBps of the pings are lost", () => {
    const { pings, pongs } = honestPongs(Array.from({ length: 8 }, () => 90_000));
    expect(verifyLatency({ ...base, pings, pongs: pongs.slice(2) }).result).toBe(CheckResult.PASS); // 2/8 = 25%
    const out = verifyLatency({ ...base, pings, pongs: pongs.slice(3) });
    expect(out.result).toBe(CheckResult.TIMEOUT);
    expect(out.lost).toBe(3);
    expect(out.reasons.map((r) => r.code)).toEqual([ReasonCode.TOO_MANY_LOST]);
    const none = verifyLatency({ ...base, pings, pongs: [] });
    expect(none.result).toBe(CheckResult.TIMEOUT);
    expect([none.p50Us, none.p95Us]).toEqual([0, 0]);
  });

  it("times out a p95 above the liveness threshold (availability, issue 14), and FAIL beats TIMEOUT", () => {
    const slow = honestPongs([90_000, 90_000, 90_000, 90_000, 90_000, 90_000, 90_000, 800_000]);
    const out = verifyLatency({ ...base, ...slow });
    expect(out.result).toBe(CheckResult.TIMEOUT);
    expect(out.reasons.map((r) => r.code)).toEqual([ReasonCode.P95_ABOVE_LIVENESS_THRESHOLD]);
    const both = verifyLatency({ ...base, pings: slow.pings, pongs: [{ ...slow.pongs[7]!, rttUs: 10 }] });
    expect(both.result).toBe(CheckResult.FAIL);
    expect(both.reasons.map((r) => r.code)).toEqual([
      ReasonCode.RTT_BELOW_PHYSICAL_BOUND,
      ReasonCode.TOO_MANY_LOST,
    ]);
  });

  it("refuses caller mistakes with typed errors", () => {
    const { pings, pongs } = honestPongs([90_000]);
    expect(() => verifyLatency({ ...base, pings: [], pongs })).toThrow(ChallengeError);
    expect(() => verifyLatency({ ...base, pings: [...pings, ...pings], pongs })).toThrow(ChallengeError);
    expect(() => verifyLatency({ ...base, pings, pongs: [{ ...pongs[0]!, rttUs: Number.NaN }] })).toThrow(
      ChallengeError,
    );
    expect(() => verifyLatency({ ...base, claimedRegion: "nowhere", pings, pongs })).toThrow(ChallengeError);
  });
});
