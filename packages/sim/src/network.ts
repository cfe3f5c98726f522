import type { Prng } from "./prng.ts";
import {
  FIBER_SPEED_KM_S,
  gpuClass,
  greatCircleKm,
  matmulDeadlineMs,
  matmulHostBytes,
  minimumRttUs,
  type ProtocolParams,
  REGIONS,
  VRAM_GENERATION_COST_RATIO,
  vramDeadlineMs,
  vramRegenerationMs,
} from "./protocol.ts";
import type { Scenario } from "./scenario/schema.ts";

/**
 * The modelled network and devices. Physics and timing come from the
 * protocol's own tables and functions (region coordinates, the light-in-fibre
 * bound, GPU class rates, deadline formulas); what is modelled is the
 * randomness of the real world around them: path inflation over the
 * great-circle distance, queueing jitter, lost pings, GEMM efficiency.
 */

/** Distance from a machine to its region's metro point: up to the region radius (the protocol's tolerance). */
const ACCESS_KM: [number, number] = [20, 400];
/** Sustained fraction of the datasheet INT8 rate a real GEMM reaches (gpu-classes.ts: "roughly 60–80%"). */
const GEMM_EFFICIENCY: [number, number] = [0.6, 0.8];

/** A deterministic hash of two ints to [0, 1): the per-path constant inflation, the same every epoch. */
function pathUniform(a: number, b: number, salt: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b ^ salt, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

export interface LatencyRun {
  /** Lowest, median (nearest rank) and 95th-percentile RTT of the answered pings, µs. */
  minUs: number;
  p50Us: number;
  p95Us: number;
  lost: number;
}

export class NetworkModel {
  private readonly nRegions: number;
  /** Great-circle propagation RTT between region metros, µs (no tolerance, no inflation). */
  private readonly metroRttUs: Float64Array;
  /** minimumRttUs(checker region, claimed region): the protocol's bound. */
  readonly boundUs: Float64Array;
  private readonly net: Scenario["network"];
  private readonly salt: number;
  private readonly pingSamples: Float64Array;
  readonly params: ProtocolParams;

  constructor(scenario: Scenario, params: ProtocolParams) {
    this.params = params;
    this.net = scenario.network;
    this.nRegions = REGIONS.length;
    this.metroRttUs = new Float64Array(this.nRegions * this.nRegions);
    this.boundUs = new Float64Array(this.nRegions * this.nRegions);
    for (let a = 0; a < this.nRegions; a++) {
      for (let b = 0; b < this.nRegions; b++) {
        const ra = REGIONS[a]?.id as string;
        const rb = REGIONS[b]?.id as string;
        this.metroRttUs[a * this.nRegions + b] = ((2 * greatCircleKm(ra, rb)) / FIBER_SPEED_KM_S) * 1e6;
        this.boundUs[a * this.nRegions + b] = minimumRttUs(ra, rb);
      }
    }
    let s = 0;
    for (const ch of scenario.seed) s = Math.imul(s ^ ch.charCodeAt(0), 16777619);
    this.salt = s;
    this.pingSamples = new Float64Array(Math.max(1, params.pingCount));
  }

  /**
   * Base RTT of one path (µs): the metro-to-metro distance plus both
   * machines' distance to their metros, in fibre, times a per-path inflation
   * drawn once (routes are longer than geodesics; 1.3-2.2× is typical of
   * measured Internet paths), plus processing time.
   */
  pathRttUs(fromRegion: number, toRegion: number, fromId: number, toId: number): number {
    const [lo, hi] = this.net.pathInflation;
    const inflation = lo + (hi - lo) * pathUniform(fromId, toId, this.salt);
    const accessKm =
      ACCESS_KM[0] + (ACCESS_KM[1] - ACCESS_KM[0]) * pathUniform(toId, fromId, this.salt ^ 0x5bd1e995);
    const accessUs = ((2 * accessKm) / FIBER_SPEED_KM_S) * 1e6;
    return (
      (this.metroRttUs[fromRegion * this.nRegions + toRegion] as number) * inflation + accessUs * inflation
    );
  }

  bound(checkerRegion: number, claimedRegion: number): number {
    return this.boundUs[checkerRegion * this.nRegions + claimedRegion] as number;
  }

  /**
   * One latency run of params.pingCount pings over a path of base RTT
   * `baseUs`: each ping adds processing time and exponential queueing delay
   * (mean network.jitterMs); each is lost with probability network.challengeLoss / 2.
   * Percentiles use the protocol's nearest-rank rule (latency.ts `percentile`).
   */
  latencyRun(rng: Prng, baseUs: number): LatencyRun {
    const n = this.params.pingCount;
    const jitterUs = this.net.jitterMs * 1000;
    const procUs = this.net.processingMs * 1000;
    const lost = rng.binomial(n, this.net.challengeLoss / 2);
    const k = n - lost;
    const xs = this.pingSamples;
    for (let i = 0; i < k; i++) {
      const v = baseUs + procUs - jitterUs * Math.log(1 - rng.next());
      // insertion sort: k is 8 by default
      let j = i;
      while (j > 0 && (xs[j - 1] as number) > v) {
        xs[j] = xs[j - 1] as number;
        j--;
      }
      xs[j] = v;
    }
    if (k === 0) return { minUs: 0, p50Us: 0, p95Us: 0, lost };
    const p50 = xs[Math.max(0, Math.ceil(0.5 * k) - 1)] as number;
    const p95 = xs[Math.max(0, Math.ceil(0.95 * k) - 1)] as number;
    return { minUs: xs[0] as number, p50Us: Math.round(p50), p95Us: Math.round(p95), lost };
  }

  /** Per-ping RTTs (µs) of one run, null for a lost ping: the raw input of the real verifyLatency. */
  pingRtts(rng: Prng, baseUs: number): (number | null)[] {
    const jitterUs = this.net.jitterMs * 1000;
    const procUs = this.net.processingMs * 1000;
    const out: (number | null)[] = [];
    for (let i = 0; i < this.params.pingCount; i++) {
      out.push(
        rng.chance(this.net.challengeLoss / 2)
          ? null
          : Math.round(baseUs + procUs - jitterUs * Math.log(1 - rng.next())),
      );
    }
    return out;
  }

  /** Milliseconds an honest device of class `actual` takes for the matmul challenge (request to commitment). */
  matmulElapsedMs(rng: Prng, actual: string, rttMs: number): number {
    const cls = gpuClass(actual);
    const n = this.params.matmulSize;
    const eff = rng.uniform(GEMM_EFFICIENCY[0], GEMM_EFFICIENCY[1]);
    const computeMs = ((2 * n ** 3) / (cls.int8OpsPerSecond * eff)) * 1000;
    const hostMs = (matmulHostBytes(n) / cls.hostBytesPerSecond) * 1000;
    return computeMs + hostMs + rttMs;
  }

  matmulDeadline(claimed: string, rttMs: number): number {
    return matmulDeadlineMs(claimed, this.params.matmulSize, rttMs, this.params);
  }

  /**
   * Milliseconds for the VRAM walk by a device of class `actual` answering
   * for class `claimed`: it holds min(1, actual/claimed) of the blocks and
   * regenerates the rest (vramRegenerationMs' cost), plus one round trip.
   */
  vramElapsedMs(actual: string, claimed: string, rttMs: number, ghost: boolean): number {
    const bs = this.params.vramBlockSize;
    const steps = this.params.vramWalkSteps;
    const regenMs = vramRegenerationMs(actual, bs, steps);
    const hashMs = regenMs / (1 + VRAM_GENERATION_COST_RATIO);
    const stored = ghost ? 0 : Math.min(1, gpuClass(actual).vramBytes / gpuClass(claimed).vramBytes);
    return stored * hashMs + (1 - stored) * regenMs + rttMs;
  }

  vramDeadline(claimed: string, rttMs: number): number {
    return vramDeadlineMs(claimed, this.params.vramBlockSize, this.params.vramWalkSteps, rttMs);
  }
}
