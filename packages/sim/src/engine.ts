import { bytesToHex, type Hex } from "viem";
import { type GroupPlans, planGroups } from "./adversaries/plan.ts";
import type { SeatView } from "./adversaries/types.ts";
import { CommitteeSampler, type Seat } from "./committee.ts";
import { aggregate } from "./engine/aggregation.ts";
import { attestCommittee, type HonestRun, modelledHonestRun, pathBase } from "./engine/attestations.ts";
import { columnVerdict, type EpochBatch, newBatch, type PendingSlash, packSegments } from "./engine/batch.ts";
import { Books } from "./engine/books.ts";
import { openSlash, settleContests } from "./engine/contests.ts";
import { providerPlan } from "./engine/context.ts";
import { executeFraudProofs } from "./engine/fraud.ts";
import { ProviderState } from "./engine/providerState.ts";
import { EpochRewards } from "./engine/rewards.ts";
import { NetworkModel } from "./network.ts";
import { Prng } from "./prng.ts";
import {
  FIRST_EPOCH,
  type ProtocolParams,
  type ProviderVerdict,
  reportCommittee,
  Verdict,
} from "./protocol.ts";
import type { Scenario } from "./scenario/schema.ts";
import { inlineVerdicts, type VerdictColumns, type VerdictEngine } from "./verdicts.ts";
import { buildWorld, providerAddress, type World } from "./world.ts";

/**
 * The epoch loop. Each epoch has two phases:
 *
 * attest (`attest`):
 *  1. the epoch seed; aggregator ranking (leader + backups) and the report committee;
 *  2. per provider: availability and strategy, whether it is sampled, its committee and
 *     every member's attestation (honest run, lazy guess, lie, bribe); re-check committees
 *     for contested slashes run here too;
 *  3. gossip: each attestation reaches the aggregator unless lost;
 *  4. aggregation: the leader, or the first backup that is online and whose report the
 *     report committee co-signs, fixes the attestation set.
 * settle (`settle`):
 *  5. verdicts (computeVerdict), pending slashes (slashAmount), contests (resolveContest);
 *  6. rewards (splitEpochRewards) and the books of every checker and provider.
 *
 * What adversaries do is in `adversaries/` (one module each, called through
 * the hooks of `adversaries/types.ts`); the phases' parts are in `engine/`.
 *
 * Epoch e+1's attest phase does not depend on epoch e's verdicts (a slash reported in
 * epoch e is contested in e+1 and re-checked in e+2 at the earliest), so verdicts of
 * epoch e may be computed on worker threads while epoch e+1 is attested.
 * Every random draw comes from a Prng derived from (seed, label, epoch, provider):
 * results do not depend on iteration order or worker count.
 */

export type ProgressSink = (done: number, total: number) => void;

export class Simulation extends Books {
  readonly world: World;
  readonly scenario: Scenario;
  readonly params: ProtocolParams;
  readonly net: NetworkModel;
  readonly plans: GroupPlans;
  readonly providerState: ProviderState;
  protected readonly sampler: CommitteeSampler;
  private readonly providerAddresses: `0x${string}`[] = [];
  private readonly seatScratch: Seat[] = [];
  private readonly seat: SeatView;
  private readonly rewards: EpochRewards;
  private readonly modelledRun: HonestRun;

  constructor(scenario: Scenario) {
    const world = buildWorld(scenario);
    const net = new NetworkModel(scenario, world.params);
    const plans = planGroups(scenario, { scenario, world, net });
    super(world.checkers.count, world.providers.count, plans.actors);
    this.scenario = scenario;
    this.world = world;
    this.params = world.params;
    this.net = net;
    this.plans = plans;
    this.sampler = new CommitteeSampler(world.checkers.licenses);
    this.providerState = new ProviderState(world.providers.count);
    this.seat = {
      epoch: 0,
      provider: 0,
      providerGroup: 0,
      providerActor: 0,
      offer: undefined,
      checker: 0,
      checkerActor: 0,
      books: this,
    };
    this.rewards = new EpochRewards(this);
    this.modelledRun = modelledHonestRun(this);
  }

  providerAddr(p: number): `0x${string}` {
    let a = this.providerAddresses[p];
    if (a === undefined) {
      a = providerAddress(p);
      this.providerAddresses[p] = a;
    }
    return a;
  }

  // -------------------------------------------------------------------------------------------------------------
  // hooks the real-signature mode overrides

  /** Called once per epoch before any committee is drawn. */
  protected beginEpoch(_epoch: number, _seed: Hex): void {}

  /** The committee of provider p for this epoch (expected size k). */
  protected drawCommittee(_epoch: number, _provider: number, k: number, rng: Prng, out: Seat[]): Seat[] {
    return this.sampler.draw(rng, k, out);
  }

  protected rankAggregators(_epoch: number, rng: Prng, count: number): number[] {
    return this.sampler.rankAggregators(rng, count);
  }

  /** An honest checker's run of one challenge. */
  protected runHonest(batch: EpochBatch, i: number, rng: Prng, c: number, p: number, kind: number): void {
    this.modelledRun(batch, i, rng, c, p, kind);
  }

  /** After the attest phase of a batch (the real mode signs and verifies its attestations here). */
  protected afterAttest(_batch: EpochBatch): void {}

  /** Verdict columns of a batch: sampled providers in order, then its re-checks. */
  protected batchVerdicts(batch: EpochBatch, engine: VerdictEngine): Promise<VerdictColumns> {
    return engine.verdicts(packSegments(batch));
  }

  /** After the settle phase (the real mode builds, co-signs and verifies the report here). */
  protected afterSettle(_batch: EpochBatch, _verdicts: VerdictColumns): void {}

  /** Base RTT from checker c to provider p's answers (through a relay's detour, if any). */
  protected pathBase(c: number, p: number): number {
    return pathBase(this, c, p);
  }

  /** What provider p's machine does this epoch: no GPU at all, a diverted GPU, broken, reachable. */
  protected withoutGpu(p: number): { ghost: boolean; cheating: boolean; broken: boolean; online: boolean } {
    const state = this.providerState;
    return {
      ghost: providerPlan(this, p).noGpu,
      cheating: state.cheating[p] === 1,
      broken: state.broken[p] === 1,
      online: state.online[p] === 1,
    };
  }

  // -------------------------------------------------------------------------------------------------------------

  /**
   * Runs every epoch. With a worker-thread verdict engine, epoch e's verdicts
   * are computed while epoch e+1 is attested; the result is the same.
   */
  async run(opts: { onProgress?: ProgressSink; verdicts?: VerdictEngine } = {}): Promise<this> {
    const engine = opts.verdicts ?? inlineVerdicts(this.params);
    const E = this.scenario.epochs;
    let prev: { batch: EpochBatch; verdicts: Promise<VerdictColumns> } | undefined;
    for (let e = Number(FIRST_EPOCH); e <= E + 1; e++) {
      const batch = e <= E ? this.attest(e) : undefined;
      const verdicts = batch ? this.batchVerdicts(batch, engine) : undefined;
      if (prev) {
        this.settle(prev.batch, await prev.verdicts);
        opts.onProgress?.(prev.batch.epoch, E);
      }
      prev = batch && verdicts ? { batch, verdicts } : undefined;
    }
    if (!opts.verdicts) await engine.close();
    return this;
  }

  // -------------------------------------------------------------------------------------------------------------
  // attest phase

  protected attest(e: number): EpochBatch {
    const sc = this.scenario;
    const params = this.params;
    const nP = this.world.providers.count;
    const erng = Prng.derive(sc.seed, "epoch", e);
    const seed = bytesToHex(erng.bytes(32));
    this.beginEpoch(e, seed);
    const ranking = this.rankAggregators(e, erng, 1 + params.aggregatorBackups);
    const reportSeats = reportCommittee(
      seed,
      BigInt(e),
      params.reportCommitteeSize,
      this.sampler.totalLicenses,
    ).map((lic) => this.sampler.ownerOf(lic));
    const batch = newBatch(e, seed, reportSeats, nP, params.committeeSize);
    const recheckDue = this.rechecksDue(e);
    const runHonest = this.runHonest.bind(this);
    let seatSum = 0;
    for (let p = 0; p < nP; p++) {
      const rng = Prng.derive(sc.seed, "pe", e, p);
      this.behave(e, p, rng, batch);
      batch.provStart[p] = batch.attN;
      if (batch.sampled[p]) {
        batch.row.providersSampled++;
        const committee = this.drawCommittee(e, p, params.committeeSize, rng, this.seatScratch);
        attestCommittee(this, batch, p, rng, committee, runHonest, this.seat);
        for (const s of committee) seatSum += s.seats;
      }
      batch.provEnd[p] = batch.attN;
      for (const slash of recheckDue.get(p) ?? []) {
        const rr = Prng.derive(sc.seed, "recheck", e, p, slash.reportEpoch);
        const k = params.committeeSize * params.recheckCommitteeMultiplier;
        const committee = this.drawCommittee(e, p, k, rr, []);
        const start = batch.attN;
        attestCommittee(this, batch, p, rr, committee, runHonest, this.seat);
        batch.rechecks.push({ slash, start, end: batch.attN });
      }
      this.providerState.sampledLast[p] = batch.sampled[p] as number;
    }
    batch.row.meanCommitteeSeats = batch.row.providersSampled > 0 ? seatSum / batch.row.providersSampled : 0;
    for (let p = 0; p < nP; p++) {
      const plan = providerPlan(this, p);
      for (const hook of plan.afterAttest) hook(p, plan.actor, this, this.plans.checkers);
    }

    batch.included = batch.attDelivered.slice(0, batch.attN);
    this.afterAttest(batch);
    batch.accepted = aggregate(this, erng, ranking, batch);
    if (batch.accepted) for (const r of batch.rechecks) r.slash.rechecked = true;
    let n = 0;
    if (batch.accepted) for (let i = 0; i < batch.attN; i++) n += batch.included[i] as number;
    batch.row.attestations = n;
    return batch;
  }

  /** Contested slashes whose re-check runs in epoch e, by provider. */
  private rechecksDue(e: number): Map<number, PendingSlash[]> {
    const due = new Map<number, PendingSlash[]>();
    for (const s of this.pending) {
      // A contest filed in epoch c is re-checked from epoch c+1 on (resolveContest refuses older re-checks).
      if (!s.done && !s.rechecked && s.contested && s.contestEpoch < e) {
        const list = due.get(s.provider) ?? [];
        list.push(s);
        due.set(s.provider, list);
      }
    }
    return due;
  }

  /** Availability, strategy and ground truth of provider p for epoch e; whether it is sampled. */
  protected behave(e: number, p: number, rng: Prng, batch: EpochBatch): void {
    const sc = this.scenario;
    const plan = providerPlan(this, p);
    const state = this.providerState;
    state.broken[p] = 0;
    state.cheating[p] = 0;
    for (const hook of plan.beforeSampling) hook(p, state, rng, e);
    const sampled = rng.chance(sc.sampling.rate);
    batch.sampled[p] = sampled ? 1 : 0;
    for (const hook of plan.afterSampling) hook(p, state, rng, sampled);
    const faulty =
      !state.online[p] || state.broken[p] || state.cheating[p] || plan.misbehaves.some((m) => m(p));
    batch.faulty[p] = faulty ? 1 : 0;
    // Providers pay for honest work in the epochs they do it.
    if (state.online[p] && !state.cheating[p] && !plan.noGpu) {
      // A provider computing a share of its rows wrongly saves that share of the work.
      const cost = sc.economics.providerWorkCost * (1 - (state.wrongRows[p] as number));
      this.providerWorkCost[p]! += cost;
      this.actorProfit[plan.actor]! -= cost;
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // settle phase

  protected settle(batch: EpochBatch, cols: VerdictColumns): void {
    const e = batch.epoch;
    const row = batch.row;
    const nP = this.world.providers.count;
    const verdictOf = new Int32Array(nP).fill(-1); // segment index of each sampled provider
    let seg = 0;
    if (batch.accepted) {
      for (let p = 0; p < nP; p++) {
        if (!batch.sampled[p]) continue;
        verdictOf[p] = seg;
        if (cols.verdict[seg] === Verdict.FAIL) openSlash(this, batch, p, seg, cols);
        seg++;
      }
    }
    const rechecks = new Map<PendingSlash, ProviderVerdict>();
    batch.rechecks.forEach((r, k) => {
      if (batch.accepted) rechecks.set(r.slash, columnVerdict(cols, seg + k, batch, r.start, r.end));
    });
    settleContests(this, e, rechecks, row);
    executeFraudProofs(this, batch);

    for (let p = 0; p < nP; p++) {
      this.providerEpochs[p]! += 1;
      const s = verdictOf[p] as number;
      const failed = s >= 0 && cols.verdict[s] === Verdict.FAIL;
      if (batch.faulty[p]) {
        row.faultyProviderEpochs++;
        this.providerFaulty[p]! += 1;
        if (failed) {
          row.detected++;
          this.providerDetected[p]! += 1;
        }
        if (failed || (batch.fraudCatcher[p] as number) >= 0) {
          row.caught++;
          this.providerCaught[p]! += 1;
        }
      } else {
        row.honestProviderEpochs++;
        if (failed) {
          row.falseFailVerdicts++;
          this.providerFalseFails[p]! += 1;
        }
      }
    }
    row.detectionRate = row.faultyProviderEpochs > 0 ? row.detected / row.faultyProviderEpochs : 0;
    if (batch.accepted) this.rewards.pay(batch, cols, verdictOf);
    this.afterSettle(batch, cols);
    for (let a = 0; a < this.actors.length; a++)
      row[`profit:${this.actors[a]}`] = this.actorProfit[a] as number;
    this.epochs.push(row);
  }
}
