import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { getAddress, type Hex } from "viem";
import {
  type Attestation,
  type ChallengeKind,
  type CheckResult,
  computeVerdict,
  type ProtocolParams,
  type ProviderVerdict,
  type WeightedAttestation,
} from "./protocol.ts";

/**
 * Verdicts for the modelled mode. computeVerdict needs checker identities
 * only to be distinct within one committee (duplicate check, accusers list),
 * so the j-th member of a committee is named by a fixed pseudo-address:
 * viem's address cache then always hits, and accusers map back to checkers
 * by position. The verdict, score and median are computeVerdict's own.
 *
 * computeVerdict checksums every checker address (a cache lookup costing
 * ~1-4 µs), which makes verdicts the largest single cost at 10^6
 * provider-epochs; a pool of worker threads computes them for one epoch
 * while the main thread simulates the next.
 */

/** Included attestations packed per segment (one provider's committee, or one re-check committee). */
export interface VerdictSegments {
  epoch: number;
  /** Segment s is [offsets[s], offsets[s + 1]). */
  offsets: Int32Array;
  seats: Int32Array;
  result: Uint8Array;
  p50: Int32Array;
  p95: Int32Array;
  kind: Uint8Array;
}

export interface VerdictColumns {
  verdict: Uint8Array;
  scoreBps: Int32Array;
  medianLatencyUs: Int32Array;
  attestations: Int32Array;
  failures: Int32Array;
}

export type VerdictParams = Pick<
  ProtocolParams,
  "minAttestations" | "failureQuorumBps" | "scoreLatencyTargetUs" | "scoreLatencyWeightBps"
>;

const SEAT_ADDRESSES: `0x${string}`[] = [];

/** The pseudo-address of the j-th member of a committee. */
export function seatAddress(j: number): `0x${string}` {
  while (SEAT_ADDRESSES.length <= j) {
    SEAT_ADDRESSES.push(getAddress(`0x5ea7${SEAT_ADDRESSES.length.toString(16).padStart(36, "0")}`));
  }
  return SEAT_ADDRESSES[j] as `0x${string}`;
}

const PSEUDO_PROVIDER = getAddress("0xa11ce00000000000000000000000000000000000");
const ZERO_HASH = `0x${"00".repeat(32)}` as Hex;

/** computeVerdict on segment [from, to) of packed columns. */
function verdictOfRange(
  epoch: bigint,
  seg: Omit<VerdictSegments, "epoch" | "offsets">,
  from: number,
  to: number,
  params: VerdictParams,
): ProviderVerdict {
  const list: WeightedAttestation[] = [];
  for (let i = from; i < to; i++) {
    const attestation: Attestation = {
      epoch,
      provider: PSEUDO_PROVIDER,
      checker: seatAddress(i - from),
      kind: seg.kind[i] as ChallengeKind,
      result: seg.result[i] as CheckResult,
      latencyP50Us: seg.p50[i] as number,
      latencyP95Us: seg.p95[i] as number,
      throughput: 0n,
      transcriptHash: ZERO_HASH,
    };
    list.push({ attestation, seats: seg.seats[i] as number });
  }
  return computeVerdict(list, params);
}

export function computeColumns(seg: VerdictSegments, params: VerdictParams): VerdictColumns {
  const n = seg.offsets.length - 1;
  const out: VerdictColumns = {
    verdict: new Uint8Array(n),
    scoreBps: new Int32Array(n),
    medianLatencyUs: new Int32Array(n),
    attestations: new Int32Array(n),
    failures: new Int32Array(n),
  };
  const epoch = BigInt(seg.epoch);
  for (let s = 0; s < n; s++) {
    const v = verdictOfRange(epoch, seg, seg.offsets[s] as number, seg.offsets[s + 1] as number, params);
    out.verdict[s] = v.verdict;
    out.scoreBps[s] = v.scoreBps;
    out.medianLatencyUs[s] = v.medianLatencyUs;
    out.attestations[s] = v.attestations;
    out.failures[s] = v.failures;
  }
  return out;
}

export interface VerdictEngine {
  verdicts(seg: VerdictSegments): Promise<VerdictColumns>;
  close(): Promise<void>;
}

/** Verdicts on the calling thread. */
export function inlineVerdicts(params: VerdictParams): VerdictEngine {
  return {
    verdicts: async (seg) => computeColumns(seg, params),
    close: async () => {},
  };
}

/** Slices segments [a, b) into a self-contained VerdictSegments. */
function sliceSegments(seg: VerdictSegments, a: number, b: number): VerdictSegments {
  const from = seg.offsets[a] as number;
  const to = seg.offsets[b] as number;
  const offsets = new Int32Array(b - a + 1);
  for (let s = a; s <= b; s++) offsets[s - a] = (seg.offsets[s] as number) - from;
  return {
    epoch: seg.epoch,
    offsets,
    seats: seg.seats.slice(from, to),
    result: seg.result.slice(from, to),
    p50: seg.p50.slice(from, to),
    p95: seg.p95.slice(from, to),
    kind: seg.kind.slice(from, to),
  };
}

/**
 * A pool of worker threads, each computing verdicts for a contiguous share
 * of an epoch's segments. Results are concatenated in segment order, so the
 * output does not depend on the number of workers.
 */
export function workerVerdicts(
  params: VerdictParams,
  workers = Math.max(1, availableParallelism() - 1),
): VerdictEngine {
  const url = new URL("./verdict-worker.ts", import.meta.url);
  const pool = Array.from({ length: workers }, () => new Worker(url, { workerData: { params } }));
  let nextId = 0;
  const waiting = new Map<number, (cols: VerdictColumns) => void>();
  const failures: ((err: Error) => void)[] = [];
  // A worker that fails to start or dies fails every pending and every later request (never a hang).
  let broken: Error | undefined;
  const fail = (err: Error) => {
    broken ??= err;
    for (const f of failures) f(err);
    failures.length = 0;
  };
  for (const w of pool) {
    w.on("message", (msg: { id: number; cols: VerdictColumns }) => {
      const done = waiting.get(msg.id);
      waiting.delete(msg.id);
      done?.(msg.cols);
    });
    w.on("error", fail);
    w.on("exit", (code) => {
      if (code !== 0) fail(new Error(`verdict worker exited with code ${code}`));
    });
  }
  return {
    async verdicts(seg) {
      if (broken) throw broken;
      const n = seg.offsets.length - 1;
      const per = Math.ceil(n / pool.length);
      const parts = await Promise.all(
        pool.map((w, k) => {
          const a = Math.min(n, k * per);
          const b = Math.min(n, a + per);
          const part = sliceSegments(seg, a, b);
          const id = nextId++;
          return new Promise<VerdictColumns>((resolve, reject) => {
            waiting.set(id, resolve);
            failures.push(reject);
            w.postMessage({ id, seg: part });
          });
        }),
      );
      failures.length = 0;
      const out: VerdictColumns = {
        verdict: new Uint8Array(n),
        scoreBps: new Int32Array(n),
        medianLatencyUs: new Int32Array(n),
        attestations: new Int32Array(n),
        failures: new Int32Array(n),
      };
      let at = 0;
      for (const part of parts) {
        out.verdict.set(part.verdict, at);
        out.scoreBps.set(part.scoreBps, at);
        out.medianLatencyUs.set(part.medianLatencyUs, at);
        out.attestations.set(part.attestations, at);
        out.failures.set(part.failures, at);
        at += part.verdict.length;
      }
      return out;
    },
    async close() {
      broken ??= new Error("verdict workers closed");
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}
