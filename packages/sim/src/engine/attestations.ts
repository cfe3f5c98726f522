import type { SeatView } from "../adversaries/types.ts";
import { DEFERRED, type PublishPhase } from "../adversaries/types.ts";
import type { Seat } from "../committee.ts";
import type { Prng } from "../prng.ts";
import { ChallengeKind, CheckResult } from "../protocol.ts";
import { type EpochBatch, ensureCapacity } from "./batch.ts";
import { checkerPlan, type EngineContext, providerPlan } from "./context.ts";
import { noteFraud, rowCatchProbability, samplingShape } from "./fraud.ts";

/** Runs one challenge honestly and writes attestation i (the real-signature mode runs the protocol's verifiers). */
export type HonestRun = (batch: EpochBatch, i: number, rng: Prng, c: number, p: number, kind: number) => void;

/**
 * Every member of `committee` attests about provider p: the first of its
 * group's behaviours that claims the seat decides the attestation, otherwise
 * the member runs the challenge honestly (and pays for it). Then gossip: each
 * attestation reaches the aggregator unless lost. Deferred claims are filled
 * in once the committee has published.
 */
export function attestCommittee(
  ctx: EngineContext,
  batch: EpochBatch,
  p: number,
  rng: Prng,
  committee: readonly Seat[],
  runHonest: HonestRun,
  seat: SeatView,
): void {
  const sc = ctx.scenario;
  const pplan = providerPlan(ctx, p);
  const kind = rng.chance(ctx.params.matmulShareBps / 10_000) ? ChallengeKind.MATMUL : ChallengeKind.VRAM;
  ensureCapacity(batch, batch.attN + committee.length + 1);
  const start = batch.attN;
  seat.epoch = batch.epoch;
  seat.provider = p;
  seat.providerGroup = ctx.world.providers.group[p] as number;
  seat.providerActor = pplan.actor;
  seat.offer = pplan.bribeOffer;
  let publish: PublishPhase[] | undefined;
  for (const member of committee) {
    const c = member.checker;
    const cplan = checkerPlan(ctx, c);
    const i = batch.attN++;
    batch.attChecker[i] = c;
    batch.attSeats[i] = member.seats;
    batch.attKind[i] = kind;
    ctx.checkerSeats[c]! += member.seats;
    ctx.checkerAttestations[c]! += 1;
    seat.checker = c;
    seat.checkerActor = cplan.actor;
    let claim: number | undefined;
    for (let b = 0; b < cplan.claims.length && claim === undefined; b++) {
      claim = (cplan.claims[b] as (s: SeatView) => number | undefined)(seat);
      const phase = cplan.publish[b];
      if (claim === DEFERRED && phase) {
        publish ??= [];
        if (!publish.includes(phase)) publish.push(phase);
      }
    }
    if (claim === DEFERRED) batch.attResult[i] = DEFERRED;
    else if (claim !== undefined) fabricate(ctx, batch, i, rng, c, p, claim);
    else {
      runHonest(batch, i, rng, c, p, kind);
      ctx.checkerCost[c]! += sc.economics.checkerCostPerChallenge;
      ctx.actorProfit[cplan.actor]! -= sc.economics.checkerCostPerChallenge;
    }
    batch.attDelivered[i] = rng.chance(sc.network.gossipLoss) ? 0 : 1;
  }
  for (const phase of publish ?? []) phase(batch, start, batch.attN);
}

/** An attestation made up without running the challenge: plausible latencies for the claimed region. */
function fabricate(
  ctx: EngineContext,
  batch: EpochBatch,
  i: number,
  rng: Prng,
  c: number,
  p: number,
  result: number,
): void {
  const w = ctx.world;
  const base = ctx.net.pathRttUs(
    w.checkers.region[c] as number,
    w.providers.claimedRegion[p] as number,
    c,
    -1 - p,
  );
  const run = ctx.net.latencyRun(rng, base);
  batch.attResult[i] = result;
  batch.attP50[i] = run.p50Us;
  batch.attP95[i] = Math.max(run.p95Us, run.p50Us);
}

/** Base RTT from checker c to provider p's answers: the direct path to the machine unless the provider routes them. */
export function pathBase(ctx: EngineContext, c: number, p: number): number {
  const route = providerPlan(ctx, p).route;
  if (route) return route(c, p);
  const w = ctx.world;
  return ctx.net.pathRttUs(w.checkers.region[c] as number, w.providers.actualRegion[p] as number, c, -1 - p);
}

/**
 * An honest checker's run in the modelled mode: pings, then the epoch's
 * workload, judged by the protocol's rules and deadlines.
 */
export function modelledHonestRun(ctx: EngineContext): HonestRun {
  const shape = samplingShape(ctx.params);
  // One exact detection per wrong-row fraction (a group's), not one per run.
  const catchOf = new Map<number, number>();
  const rowCatch = (f: number) => {
    const known = catchOf.get(f);
    if (known !== undefined) return known;
    const q = rowCatchProbability(f, shape);
    catchOf.set(f, q);
    return q;
  };
  return (batch, i, rng, c, p, kind) => {
    const w = ctx.world;
    const params = ctx.params;
    const net = ctx.net;
    const state = ctx.providerState;
    const noGpu = providerPlan(ctx, p).noGpu;
    batch.attP50[i] = 0;
    batch.attP95[i] = 0;
    if (!state.online[p] || rng.chance(ctx.scenario.network.challengeLoss / 2)) {
      batch.attResult[i] = CheckResult.TIMEOUT;
      return;
    }
    const cRegion = w.checkers.region[c] as number;
    const claimed = w.providers.claimedRegion[p] as number;
    const pings = net.latencyRun(rng, pathBase(ctx, c, p));
    // FAIL: a reason about what the provider sent; TIMEOUT: one about its availability (challenges/common.ts,
    // isAvailabilityReason). `timeout` (pings lost) also skips the workload; `late` does not.
    let fail = false;
    let timeout = false;
    let late = false;
    const answered = pings.lost < params.pingCount;
    // latency.ts rules: any RTT below the light bound FAILs, too many lost pings TIME OUT, p95 above the liveness threshold TIMES OUT.
    if (answered && pings.minUs < net.bound(cRegion, claimed)) fail = true;
    if (pings.lost * 10_000 > params.latencyMaxLostBps * params.pingCount) timeout = true;
    if (answered && pings.p95Us > params.latencyMaxP95Us) late = true;
    batch.attP50[i] = pings.p50Us;
    batch.attP95[i] = pings.p95Us;
    if (state.broken[p]) fail = true;
    else if (!timeout) {
      const rttMs = pings.p50Us / 1000;
      const claimedGpu = w.providers.claimedGpu[p] as string;
      const actualGpu = w.providers.actualGpu[p] as string;
      if (kind === ChallengeKind.MATMUL) {
        if (noGpu)
          timeout = true; // no GPU: no commitment arrives (NO_COMMITMENT)
        else if (state.cheating[p]) {
          fail = true; // GPU diverted: the opened rows are wrong (WRONG_ROW), a fraud proof
          noteFraud(ctx, batch, p, c);
        } else if ((state.wrongRows[p] as number) > 0 && rng.chance(rowCatch(state.wrongRows[p] as number))) {
          fail = true; // an opened row is one of the wrong ones (WRONG_ROW), a fraud proof
          noteFraud(ctx, batch, p, c);
        } else if (net.matmulElapsedMs(rng, actualGpu, rttMs) > net.matmulDeadline(claimedGpu, rttMs)) {
          late = true; // DEADLINE_EXCEEDED
        }
      } else {
        const elapsed = net.vramElapsedMs(actualGpu, claimedGpu, rttMs, noGpu || state.cheating[p] === 1);
        if (elapsed > net.vramDeadline(claimedGpu, rttMs)) late = true; // DEADLINE_EXCEEDED
      }
    }
    batch.attResult[i] = fail ? CheckResult.FAIL : timeout || late ? CheckResult.TIMEOUT : CheckResult.PASS;
  };
}
