import type { Hex } from "viem";
import {
  CheckResult,
  isAccusation,
  type ProviderVerdict,
  type resolveContest,
  type Verdict,
} from "../protocol.ts";
import { seatAddress, type VerdictColumns, type VerdictSegments } from "../verdicts.ts";

/** A slash opened by a FAIL verdict, waiting for its contest window, contest and re-check. */
export interface PendingSlash {
  provider: number;
  reportEpoch: number;
  amount: bigint;
  /** The provider really misbehaved in the reported epoch. */
  deserved: boolean;
  /** Checker indices of the FAIL/TIMEOUT attestations, in committee order. */
  accusers: number[];
  leaf: Parameters<typeof resolveContest>[0]["original"];
  contested: boolean;
  contestEpoch: number;
  done: boolean;
  /** A re-check of this slash made it into an accepted report; settle resolves it. */
  rechecked: boolean;
}

export interface EpochRow {
  epoch: number;
  providersSampled: number;
  faultyProviderEpochs: number;
  detected: number;
  detectionRate: number;
  honestProviderEpochs: number;
  falseFailVerdicts: number;
  falseSlashesExecuted: number;
  slashesExecuted: number;
  /** Fraud proofs executed (immediate slashes, no vote). */
  fraudSlashes: number;
  /** Faulty provider-epochs with a FAIL verdict or a fraud slash. */
  caught: number;
  contestsFiled: number;
  contestsOverturned: number;
  contestsUpheld: number;
  aggregatorFailovers: number;
  reportMissed: number;
  reportCensored: number;
  attestations: number;
  meanCommitteeSeats: number;
  [actorProfit: `profit:${string}`]: number;
}

/** Everything one epoch's attest phase produced; the settle phase consumes it. */
export interface EpochBatch {
  epoch: number;
  seed: Hex;
  row: EpochRow;
  reportSeats: number[];
  attN: number;
  attChecker: Int32Array;
  attSeats: Int32Array;
  attResult: Uint8Array;
  attP50: Int32Array;
  attP95: Int32Array;
  attDelivered: Uint8Array;
  attKind: Uint8Array;
  /** Attestations in the accepted report (delivered, not censored). */
  included: Uint8Array;
  accepted: boolean;
  provStart: Int32Array;
  provEnd: Int32Array;
  faulty: Uint8Array;
  sampled: Uint8Array;
  /** Per provider: the checker whose matmul fraud proof lands this epoch, or -1. */
  fraudCatcher: Int32Array;
  /** The landing proof's place in the race (see `noteFraud`). */
  fraudRank: Uint32Array;
  rechecks: { slash: PendingSlash; start: number; end: number }[];
}

/** An empty batch for epoch e, with room for about one committee per provider. */
export function newBatch(
  epoch: number,
  seed: Hex,
  reportSeats: number[],
  providers: number,
  committeeSize: number,
): EpochBatch {
  const cap = providers * (committeeSize + 4) + 64;
  return {
    epoch,
    seed,
    row: {
      epoch,
      providersSampled: 0,
      faultyProviderEpochs: 0,
      detected: 0,
      detectionRate: 0,
      honestProviderEpochs: 0,
      falseFailVerdicts: 0,
      falseSlashesExecuted: 0,
      slashesExecuted: 0,
      fraudSlashes: 0,
      caught: 0,
      contestsFiled: 0,
      contestsOverturned: 0,
      contestsUpheld: 0,
      aggregatorFailovers: 0,
      reportMissed: 0,
      reportCensored: 0,
      attestations: 0,
      meanCommitteeSeats: 0,
    },
    reportSeats,
    attN: 0,
    attChecker: new Int32Array(cap),
    attSeats: new Int32Array(cap),
    attResult: new Uint8Array(cap),
    attP50: new Int32Array(cap),
    attP95: new Int32Array(cap),
    attDelivered: new Uint8Array(cap),
    attKind: new Uint8Array(cap),
    included: new Uint8Array(0),
    accepted: false,
    provStart: new Int32Array(providers),
    provEnd: new Int32Array(providers),
    faulty: new Uint8Array(providers),
    sampled: new Uint8Array(providers),
    fraudCatcher: new Int32Array(providers).fill(-1),
    fraudRank: new Uint32Array(providers),
    rechecks: [],
  };
}

export function ensureCapacity(b: EpochBatch, min: number): void {
  if (min <= b.attChecker.length) return;
  const cap = Math.max(min, b.attChecker.length * 2);
  const grow = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
    const out = make(cap);
    out.set(a.subarray(0, b.attN));
    return out;
  };
  b.attChecker = grow(b.attChecker, (n) => new Int32Array(n));
  b.attSeats = grow(b.attSeats, (n) => new Int32Array(n));
  b.attResult = grow(b.attResult, (n) => new Uint8Array(n));
  b.attP50 = grow(b.attP50, (n) => new Int32Array(n));
  b.attP95 = grow(b.attP95, (n) => new Int32Array(n));
  b.attDelivered = grow(b.attDelivered, (n) => new Uint8Array(n));
  b.attKind = grow(b.attKind, (n) => new Uint8Array(n));
}

/** The batch's included attestations packed per segment: sampled providers in order, then re-checks. */
export function packSegments(b: EpochBatch): VerdictSegments {
  const ranges: [number, number][] = [];
  if (b.accepted) {
    for (let p = 0; p < b.provStart.length; p++)
      if (b.sampled[p]) ranges.push([b.provStart[p] as number, b.provEnd[p] as number]);
    for (const r of b.rechecks) ranges.push([r.start, r.end]);
  }
  let n = 0;
  for (const [a, z] of ranges) for (let i = a; i < z; i++) n += b.included[i] as number;
  const seg: VerdictSegments = {
    epoch: b.epoch,
    offsets: new Int32Array(ranges.length + 1),
    seats: new Int32Array(n),
    result: new Uint8Array(n),
    p50: new Int32Array(n),
    p95: new Int32Array(n),
    kind: new Uint8Array(n),
  };
  let at = 0;
  ranges.forEach(([a, z], s) => {
    seg.offsets[s] = at;
    for (let i = a; i < z; i++) {
      if (!b.included[i]) continue;
      seg.seats[at] = b.attSeats[i] as number;
      seg.result[at] = b.attResult[i] as number;
      seg.p50[at] = b.attP50[i] as number;
      seg.p95[at] = Math.max(b.attP95[i] as number, b.attP50[i] as number);
      seg.kind[at] = b.attKind[i] as number;
      at++;
    }
  });
  seg.offsets[ranges.length] = at;
  return seg;
}

/** A ProviderVerdict from the columns, with the accusers' pseudo-addresses recomputed from the segment. */
export function columnVerdict(
  cols: VerdictColumns,
  s: number,
  b: EpochBatch,
  start: number,
  end: number,
): ProviderVerdict {
  const accusers: `0x${string}`[] = [];
  let j = 0;
  let weight = 0;
  let failureWeight = 0;
  for (let i = start; i < end; i++) {
    if (!b.included[i]) continue;
    weight += b.attSeats[i] as number;
    if (b.attResult[i] !== CheckResult.PASS) {
      if (isAccusation(b.attResult[i] as CheckResult)) accusers.push(seatAddress(j));
      failureWeight += b.attSeats[i] as number;
    }
    j++;
  }
  return {
    verdict: cols.verdict[s] as Verdict,
    scoreBps: cols.scoreBps[s] as number,
    medianLatencyUs: cols.medianLatencyUs[s] as number,
    attestations: cols.attestations[s] as number,
    failures: cols.failures[s] as number,
    accusers,
    weight,
    failureWeight,
  };
}
