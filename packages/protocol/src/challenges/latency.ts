import { bytesToHex, type Hex } from "viem";
import { defineCodec } from "../encoding/codec.ts";
import type { ProtocolParams } from "../params.ts";
import {
  type Bytes32Like,
  ChallengeError,
  ChallengeErrorCode,
  type ChallengeOutcome,
  checkDuration,
  checkInteger,
  combineResults,
  hex32,
  type Reason,
  ReasonCode,
} from "./common.ts";
import { deriveKey, Xoshiro128 } from "./prng.ts";
import { minimumRttUs, type Region, type RegionId } from "./regions.ts";

/**
 * Latency / liveness (proof of capacity): the checker sends nonced pings over
 * the authenticated stream and the provider echoes each nonce. Nonces come
 * from the checker's secret run seed, so nobody can answer a ping before it
 * arrives; RTTs are measured on the checker's clock.
 */

/** One ping: its sequence number and a fresh 32-byte nonce. */
export interface Ping {
  seq: number;
  nonce: Hex;
}

/** The provider's answer: the ping's sequence number and nonce, echoed. */
export interface Pong {
  seq: number;
  nonce: Hex;
}

/** A ping with the time (ms after the run starts) the checker sends it. */
export interface ScheduledPing extends Ping {
  sendAtMs: number;
}

/** A pong as the checker received it, with the RTT it measured (µs). */
export interface ReceivedPong extends Pong {
  rttUs: number;
}

const PING_ABI = [
  {
    type: "tuple",
    components: [
      { name: "seq", type: "uint32" },
      { name: "nonce", type: "bytes32" },
    ],
  },
] as const;

/** Ping wire message: `abi.encode((uint32 seq, bytes32 nonce))`, 64 bytes. */
export const pingCodec = defineCodec({
  name: "Ping",
  maxBytes: 64,
  abi: PING_ABI,
  toAbi: (p: Ping) => [{ seq: p.seq, nonce: p.nonce }] as const,
  fromAbi: ([f]) => ({ seq: f.seq, nonce: f.nonce }),
});

/** Pong wire message: the same layout as Ping, a separate codec so the two never mix in logs or metrics. */
export const pongCodec = defineCodec({
  name: "Pong",
  maxBytes: 64,
  abi: PING_ABI,
  toAbi: (p: Pong) => [{ seq: p.seq, nonce: p.nonce }] as const,
  fromAbi: ([f]) => ({ seq: f.seq, nonce: f.nonce }),
});

/**
 * The pings of one run, derived from the run's latency seed: nonce i is
 * `deriveKey(seed, "latency.nonce", i)`, and ping i leaves at
 * `i · pingIntervalMs + jitter_i` with `jitter_i` in [0, pingIntervalMs / 2)
 * from a xoshiro stream keyed by `deriveKey(seed, "latency.jitter", 0)`, so the
 * provider can predict neither the nonce nor the moment of the next ping.
 *
 * @example
 * const pings = pingSchedule(seed, DEFAULT_PARAMS) // 8 pings over ~1.6 s
 */
export function pingSchedule(
  seed: Bytes32Like,
  params: Pick<ProtocolParams, "pingCount" | "pingIntervalMs">,
): ScheduledPing[] {
  checkInteger("pingCount", params.pingCount, 1, 0xffff);
  checkInteger("pingIntervalMs", params.pingIntervalMs, 0, 3_600_000);
  const jitter = new Xoshiro128(deriveKey(seed, "latency.jitter", 0));
  const half = Math.floor(params.pingIntervalMs / 2);
  const pings: ScheduledPing[] = [];
  for (let seq = 0; seq < params.pingCount; seq++) {
    const j = Math.floor((jitter.nextUint32() / 2 ** 32) * half);
    pings.push({
      seq,
      nonce: bytesToHex(deriveKey(seed, "latency.nonce", seq)),
      sendAtMs: seq * params.pingIntervalMs + j,
    });
  }
  return pings;
}

/** The honest provider's answer to a ping. */
export function answerPing(ping: Ping): Pong {
  return { seq: ping.seq, nonce: ping.nonce };
}

/**
 * Nearest-rank percentile: the smallest value with at least p% of the values
 * at or below it (`sorted[ceil(p/100 · N) − 1]`). Always one of the inputs, so
 * it never invents a latency nobody measured; 0 for no values.
 *
 * @example
 * percentile([10, 20, 30, 40], 50) // 20
 * percentile([10, 20, 30, 40], 95) // 40
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "percentile must lie in (0, 100]", { p });
  }
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.max(0, rank - 1)] as number;
}

export interface VerifyLatencyInput {
  /** Every ping the checker sent in this run. */
  pings: readonly Ping[];
  /** Every pong received before its ping timed out, in arrival order, with its measured RTT. */
  pongs: readonly ReceivedPong[];
  /** The region the provider registered. */
  claimedRegion: RegionId | Region;
  /** The region the checker runs in (its own configuration). */
  checkerRegion: RegionId | Region;
  params: Pick<ProtocolParams, "latencyMaxLostBps" | "latencyMaxP95Us">;
}

export interface LatencyOutcome extends ChallengeOutcome {
  /** Percentiles over the RTTs of valid pongs, µs, clamped to uint32 for the attestation. */
  p50Us: number;
  p95Us: number;
  /** Pings without a valid pong. */
  lost: number;
  /** The physical bound that applied, µs. */
  minimumRttUs: number;
}

const UINT32_MAX = 0xffff_ffff;

/**
 * Applies the latency rules, in this order:
 * 1. a pong must answer a ping that was sent (else FAIL `UNSOLICITED_PONG`),
 *    only once (FAIL `DUPLICATE_PONG`), with that ping's nonce (FAIL
 *    `PONG_NONCE_MISMATCH`); only valid pongs count below;
 * 2. no RTT may be below the speed-of-light bound between the checker's and
 *    the claimed region (FAIL `RTT_BELOW_PHYSICAL_BOUND`: the answers come
 *    from somewhere nearer, a proxy or a false region claim);
 * 3. lost pings may not exceed `latencyMaxLostBps` of those sent (TIMEOUT
 *    `TOO_MANY_LOST`);
 * 4. p95 may not exceed `latencyMaxP95Us` (TIMEOUT `P95_ABOVE_LIVENESS_THRESHOLD`:
 *    slow answers in this run, which load or a congested path cause as well).
 * The result is FAIL if any FAIL rule broke, else TIMEOUT if any TIMEOUT rule
 * broke, else PASS (`combineResults`); `reasons` lists every broken rule in this order.
 */
export function verifyLatency(input: VerifyLatencyInput): LatencyOutcome {
  const { pings, pongs, params } = input;
  if (pings.length === 0) {
    throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, "a latency run needs at least one ping");
  }
  const sent = new Map<number, Hex>();
  for (const ping of pings) {
    checkInteger("ping seq", ping.seq, 0, UINT32_MAX);
    if (sent.has(ping.seq)) {
      throw new ChallengeError(ChallengeErrorCode.INVALID_ARGUMENT, `ping seq ${ping.seq} was sent twice`, {
        seq: ping.seq,
      });
    }
    sent.set(ping.seq, hex32(ping.nonce, "ping nonce").toLowerCase() as Hex);
  }
  const bound = minimumRttUs(input.checkerRegion, input.claimedRegion);
  const reasons: Reason[] = [];
  const answered = new Set<number>();
  const rtts: number[] = [];
  let belowBound = 0;
  let lowest = Number.POSITIVE_INFINITY;

  for (const pong of pongs) {
    checkDuration("pong rttUs", pong.rttUs);
    const expected = sent.get(pong.seq);
    if (expected === undefined) {
      reasons.push({
        code: ReasonCode.UNSOLICITED_PONG,
        message: `pong for seq ${pong.seq}, which was never sent`,
      });
      continue;
    }
    if (answered.has(pong.seq)) {
      reasons.push({ code: ReasonCode.DUPLICATE_PONG, message: `second pong for seq ${pong.seq}` });
      continue;
    }
    if (typeof pong.nonce !== "string" || pong.nonce.toLowerCase() !== expected) {
      reasons.push({
        code: ReasonCode.PONG_NONCE_MISMATCH,
        message: `pong ${pong.seq} echoed ${String(pong.nonce)}, expected ${expected}`,
      });
      continue;
    }
    answered.add(pong.seq);
    rtts.push(pong.rttUs);
    if (pong.rttUs < bound) {
      belowBound++;
      lowest = Math.min(lowest, pong.rttUs);
    }
  }
  if (belowBound > 0) {
    reasons.push({
      code: ReasonCode.RTT_BELOW_PHYSICAL_BOUND,
      message: `${belowBound} RTT(s) below the ${bound} µs light-in-fibre bound between the checker's and the claimed region (lowest ${lowest} µs)`,
    });
  }
  const lost = pings.length - answered.size;
  if (lost * 10_000 > params.latencyMaxLostBps * pings.length) {
    reasons.push({
      code: ReasonCode.TOO_MANY_LOST,
      message: `${lost} of ${pings.length} pings lost, more than ${params.latencyMaxLostBps} bps`,
    });
  }
  const p50Us = Math.min(UINT32_MAX, Math.round(percentile(rtts, 50)));
  const p95Us = Math.min(UINT32_MAX, Math.round(percentile(rtts, 95)));
  if (rtts.length > 0 && p95Us > params.latencyMaxP95Us) {
    reasons.push({
      code: ReasonCode.P95_ABOVE_LIVENESS_THRESHOLD,
      message: `p95 RTT ${p95Us} µs is above the liveness threshold of ${params.latencyMaxP95Us} µs`,
    });
  }
  return {
    result: combineResults(reasons),
    reasons,
    p50Us,
    p95Us,
    lost,
    minimumRttUs: bound,
  };
}
