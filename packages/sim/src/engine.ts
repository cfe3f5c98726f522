import { bytesToHex, type Hex } from "viem";
import { CommitteeSampler, type Seat } from "./committee.ts";
import { NetworkModel } from "./network.ts";
import { Prng } from "./prng.ts";
import {
  ChallengeKind,
  CheckResult,
  ContestOutcome,
  FIRST_EPOCH,
  gpuClass,
  type ProtocolParams,
  type ProviderVerdict,
  reportCommittee,
  resolveContest,
  slashAmount,
  splitEpochRewards,
  Verdict,
  weiToTokens,
} from "./protocol.ts";
import type { Scenario } from "./scenario/schema.ts";
import {
  inlineVerdicts,
  seatAddress,
  type VerdictColumns,
  type VerdictEngine,
  type VerdictSegments,
} from "./verdicts.ts";
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
 * Epoch e+1's attest phase does not depend on epoch e's verdicts (a slash reported in
 * epoch e is contested in e+1 and re-checked in e+2 at the earliest), so verdicts of
 * epoch e may be computed on worker threads while epoch e+1 is attested.
 * Every random draw comes from a Prng derived from (seed, label, epoch, provider):
 * results do not depend on iteration order or worker count.
 */

const FAIL = CheckResult.FAIL;
const PASS = CheckResult.PASS;
const TIMEOUT = CheckResult.TIMEOUT;
const COPY_PENDING = 255;

/** What a checker group does, flattened for the hot loop. */
interface CheckerRole {
  lazy: 0 | 1 | 2; // 0 no, 1 guesses pass, 2 copies the majority
  lieSay: number; // CheckResult to claim about targets, -1 none
  lieTargets: Set<number>; // provider group indices
  bribable: boolean;
  censorDrop: number; // -1 none, else CheckResult to drop, 2 = all
  censorTargets: Set<number> | undefined;
  offline: number;
  actor: number;
}

interface ProviderRole {
  failRate: number;
  ghost: boolean;
  watched: boolean;
  uptime: number;
  meanOutage: number;
  contest: "never" | "whenHonest" | "always";
  cheatRate: number;
  bribeFraction: number;
  bribeTokens: number;
  proxy: "relay" | "spoof" | undefined;
  actor: number;
}

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
  rechecks: { slash: PendingSlash; start: number; end: number }[];
}

export type ProgressSink = (done: number, total: number) => void;

export class Simulation {
  readonly world: World;
  readonly scenario: Scenario;
  readonly params: ProtocolParams;
  protected readonly net: NetworkModel;
  protected readonly sampler: CommitteeSampler;
  protected readonly cRole: CheckerRole[];
  protected readonly pRole: ProviderRole[];
  readonly actors: string[];

  // provider state carried across epochs
  protected readonly online: Uint8Array;
  protected readonly sampledLast: Uint8Array;
  /** The machine is weaker than the class it claims (fewer INT8 ops or less VRAM). */
  protected readonly weakerGpu: Uint8Array;
  // per-epoch provider flags of the epoch being attested
  protected readonly cheating: Uint8Array;
  protected readonly broken: Uint8Array;

  // books (tokens, counts)
  readonly checkerReward: Float64Array;
  readonly checkerCost: Float64Array;
  readonly checkerPenalty: Float64Array;
  readonly checkerBribes: Float64Array;
  readonly checkerSeats: Float64Array;
  readonly checkerAttestations: Float64Array;
  readonly checkerPenalties: Float64Array;
  readonly providerReward: Float64Array;
  readonly providerWorkCost: Float64Array;
  readonly providerSlashed: Float64Array;
  readonly providerBondsLost: Float64Array;
  readonly providerBribesPaid: Float64Array;
  readonly providerFaulty: Float64Array;
  readonly providerDetected: Float64Array;
  readonly providerEpochs: Float64Array;
  readonly providerFalseFails: Float64Array;
  readonly providerFalseSlashes: Float64Array;
  readonly providerSlashes: Float64Array;
  readonly providerContests: Float64Array;
  readonly providerContestsWon: Float64Array;
  readonly actorProfit: Float64Array;
  readonly groupBribesReceived: number[] = [];

  readonly pending: PendingSlash[] = [];
  readonly epochs: EpochRow[] = [];
  readonly totals = { contestsDefaultOverturned: 0, accuserPenalties: 0 };
  /** Counters a mode adds to the summary's totals (the real mode's signature counts). */
  readonly extraTotals: Record<string, number> = {};
  protected readonly providerIds = new Map<bigint, number>();
  private readonly providerAddresses: `0x${string}`[] = [];
  protected readonly bribableCount: number[];
  private readonly seatScratch: Seat[] = [];
  private rewardFlip = false;

  constructor(scenario: Scenario) {
    this.scenario = scenario;
    this.world = buildWorld(scenario);
    this.params = this.world.params;
    this.net = new NetworkModel(scenario, this.params);
    this.sampler = new CommitteeSampler(this.world.checkers.licenses);
    const actorNames: string[] = [];
    const actorOf = (name: string) => {
      let i = actorNames.indexOf(name);
      if (i < 0) i = actorNames.push(name) - 1;
      return i;
    };
    const pGroupIndex = (name: string) => scenario.providerGroups.findIndex((g) => g.name === name);
    this.cRole = scenario.checkerGroups.map((g) => {
      const s = g.strategy;
      const censor = s.aggregator?.censor;
      return {
        lazy: s.lazy === "pass" ? 1 : s.lazy === "copy" ? 2 : 0,
        lieSay: s.lie ? (s.lie.say === "fail" ? FAIL : PASS) : -1,
        lieTargets: new Set((s.lie?.targets ?? []).map(pGroupIndex)),
        bribable: s.bribable === true,
        censorDrop: censor ? (censor.drop === "fail" ? FAIL : censor.drop === "pass" ? PASS : 2) : -1,
        censorTargets: censor?.targets ? new Set(censor.targets.map(pGroupIndex)) : undefined,
        offline: s.aggregator?.offline ?? 0,
        actor: actorOf(`checkers:${g.actor}`),
      };
    });
    this.pRole = scenario.providerGroups.map((g) => {
      const s = g.strategy;
      return {
        failRate: s.failRate ?? 0,
        ghost: s.ghost === true,
        watched: s.watched === true,
        uptime: s.uptime ?? 1,
        meanOutage: s.meanOutageEpochs ?? 2,
        contest: s.contest ?? "whenHonest",
        cheatRate: s.cheatRate ?? 0,
        bribeFraction: s.bribe?.fraction ?? 0,
        bribeTokens: s.bribe?.tokensPerCheckerEpoch ?? 0,
        proxy: s.proxy?.mode,
        actor: actorOf(`providers:${g.actor}`),
      };
    });
    this.actors = actorNames;
    const nC = this.world.checkers.count;
    const nP = this.world.providers.count;
    this.online = new Uint8Array(nP).fill(1);
    this.sampledLast = new Uint8Array(nP);
    this.cheating = new Uint8Array(nP);
    this.broken = new Uint8Array(nP);
    this.weakerGpu = new Uint8Array(nP);
    for (let p = 0; p < nP; p++) {
      const actual = gpuClass(this.world.providers.actualGpu[p] as string);
      const claimed = gpuClass(this.world.providers.claimedGpu[p] as string);
      const weaker =
        actual.int8OpsPerSecond < claimed.int8OpsPerSecond || actual.vramBytes < claimed.vramBytes;
      this.weakerGpu[p] = weaker ? 1 : 0;
    }
    const f = () => new Float64Array(nC);
    this.checkerReward = f();
    this.checkerCost = f();
    this.checkerPenalty = f();
    this.checkerBribes = f();
    this.checkerSeats = f();
    this.checkerAttestations = f();
    this.checkerPenalties = f();
    const g = () => new Float64Array(nP);
    this.providerReward = g();
    this.providerWorkCost = g();
    this.providerSlashed = g();
    this.providerBondsLost = g();
    this.providerBribesPaid = g();
    this.providerFaulty = g();
    this.providerDetected = g();
    this.providerEpochs = g();
    this.providerFalseFails = g();
    this.providerFalseSlashes = g();
    this.providerSlashes = g();
    this.providerContests = g();
    this.providerContestsWon = g();
    this.actorProfit = new Float64Array(actorNames.length);
    for (let p = 0; p < nP; p++) this.providerIds.set(BigInt(this.providerAddr(p)), p);
    this.bribableCount = scenario.checkerGroups.map((grp, gi) => (this.cRole[gi]?.bribable ? grp.count : 0));
  }

  protected providerAddr(p: number): `0x${string}` {
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

  /** After the attest phase of a batch (the real mode signs and verifies its attestations here). */
  protected afterAttest(_batch: EpochBatch): void {}

  /** Verdict columns of a batch: sampled providers in order, then its re-checks. */
  protected batchVerdicts(batch: EpochBatch, engine: VerdictEngine): Promise<VerdictColumns> {
    return engine.verdicts(packSegments(batch));
  }

  /** After the settle phase (the real mode builds, co-signs and verifies the report here). */
  protected afterSettle(_batch: EpochBatch, _verdicts: VerdictColumns): void {}

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
    const cap = nP * (params.committeeSize + 4) + 64;
    const batch: EpochBatch = {
      epoch: e,
      seed,
      row: {
        epoch: e,
        providersSampled: 0,
        faultyProviderEpochs: 0,
        detected: 0,
        detectionRate: 0,
        honestProviderEpochs: 0,
        falseFailVerdicts: 0,
        falseSlashesExecuted: 0,
        slashesExecuted: 0,
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
      provStart: new Int32Array(nP),
      provEnd: new Int32Array(nP),
      faulty: new Uint8Array(nP),
      sampled: new Uint8Array(nP),
      rechecks: [],
    };

    const recheckDue = new Map<number, PendingSlash[]>();
    for (const s of this.pending) {
      // A contest filed in epoch c is re-checked from epoch c+1 on (resolveContest refuses older re-checks).
      if (!s.done && !s.rechecked && s.contested && s.contestEpoch < e) {
        const list = recheckDue.get(s.provider) ?? [];
        list.push(s);
        recheckDue.set(s.provider, list);
      }
    }
    let seatSum = 0;
    for (let p = 0; p < nP; p++) {
      const rng = Prng.derive(sc.seed, "pe", e, p);
      this.behave(e, p, rng, batch);
      batch.provStart[p] = batch.attN;
      if (batch.sampled[p]) {
        batch.row.providersSampled++;
        const committee = this.drawCommittee(e, p, params.committeeSize, rng, this.seatScratch);
        this.challengeCommittee(batch, p, rng, committee);
        for (const s of committee) seatSum += s.seats;
      }
      batch.provEnd[p] = batch.attN;
      for (const slash of recheckDue.get(p) ?? []) {
        const rr = Prng.derive(sc.seed, "recheck", e, p, slash.reportEpoch);
        const k = params.committeeSize * params.recheckCommitteeMultiplier;
        const committee = this.drawCommittee(e, p, k, rr, []);
        const start = batch.attN;
        this.challengeCommittee(batch, p, rr, committee);
        batch.rechecks.push({ slash, start, end: batch.attN });
      }
      this.sampledLast[p] = batch.sampled[p] as number;
    }
    batch.row.meanCommitteeSeats = batch.row.providersSampled > 0 ? seatSum / batch.row.providersSampled : 0;
    this.payPrivateBribes();

    batch.included = batch.attDelivered.slice(0, batch.attN);
    this.afterAttest(batch);
    batch.accepted = this.aggregate(erng, ranking, batch);
    if (batch.accepted) for (const r of batch.rechecks) r.slash.rechecked = true;
    let n = 0;
    if (batch.accepted) for (let i = 0; i < batch.attN; i++) n += batch.included[i] as number;
    batch.row.attestations = n;
    return batch;
  }

  /** Availability, strategy and ground truth of provider p for epoch e; whether it is sampled. */
  protected behave(e: number, p: number, rng: Prng, batch: EpochBatch): void {
    const sc = this.scenario;
    const gi = this.world.providers.group[p] as number;
    const role = this.pRole[gi] as ProviderRole;
    if (role.uptime < 1) {
      // Two-state Markov chain: outages last meanOutage epochs on average; the stationary uptime is role.uptime.
      const recover = 1 / role.meanOutage;
      const fail = (recover * (1 - role.uptime)) / Math.max(role.uptime, 1e-9);
      if (e === 1) this.online[p] = rng.chance(role.uptime) ? 1 : 0;
      else if (this.online[p]) this.online[p] = rng.chance(Math.min(1, fail)) ? 0 : 1;
      else this.online[p] = rng.chance(recover) ? 1 : 0;
    }
    this.broken[p] = rng.chance(role.failRate) ? 1 : 0;
    const sampled = rng.chance(sc.sampling.rate);
    batch.sampled[p] = sampled ? 1 : 0;
    let cheat = rng.chance(role.cheatRate);
    if (role.watched) {
      // Private sortition: the only hint is last epoch's revealed committee (independent of this one).
      // Public counterfactual: the provider computes this epoch's committee itself.
      const believesWatched = sc.sampling.sortition === "public" ? sampled : this.sampledLast[p] === 1;
      if (!believesWatched) cheat = true;
    }
    this.cheating[p] = cheat ? 1 : 0;
    const faulty =
      !this.online[p] ||
      this.broken[p] ||
      cheat ||
      role.ghost ||
      this.weakerGpu[p] ||
      role.proxy !== undefined;
    batch.faulty[p] = faulty ? 1 : 0;
    // Providers pay for honest work in the epochs they do it.
    if (this.online[p] && !cheat && !role.ghost) {
      this.providerWorkCost[p]! += sc.economics.providerWorkCost;
      this.actorProfit[role.actor]! -= sc.economics.providerWorkCost;
    }
  }

  /** Every member of `committee` attests about provider p. */
  protected challengeCommittee(batch: EpochBatch, p: number, rng: Prng, committee: readonly Seat[]): void {
    const sc = this.scenario;
    const w = this.world;
    const gi = w.providers.group[p] as number;
    const prole = this.pRole[gi] as ProviderRole;
    const kind = rng.chance(this.params.matmulShareBps / 10_000) ? ChallengeKind.MATMUL : ChallengeKind.VRAM;
    ensureCapacity(batch, batch.attN + committee.length + 1);
    const start = batch.attN;
    const publicSortition = sc.sampling.sortition === "public";
    let copiers = 0;
    for (const seat of committee) {
      const c = seat.checker;
      const cg = w.checkers.group[c] as number;
      const role = this.cRole[cg] as CheckerRole;
      const i = batch.attN++;
      batch.attChecker[i] = c;
      batch.attSeats[i] = seat.seats;
      batch.attKind[i] = kind;
      this.checkerSeats[c]! += seat.seats;
      this.checkerAttestations[c]! += 1;
      const bribed =
        prole.bribeFraction > 0 &&
        role.bribable &&
        (publicSortition || bribeDraw(batch.epoch, p, c) < prole.bribeFraction);
      if (bribed && publicSortition) {
        // Public committees: the briber pays exactly the members it needs.
        this.checkerBribes[c]! += prole.bribeTokens;
        this.actorProfit[role.actor]! += prole.bribeTokens;
        this.providerBribesPaid[p]! += prole.bribeTokens;
        this.actorProfit[prole.actor]! -= prole.bribeTokens;
      }
      if (bribed) this.fabricate(batch, i, rng, c, p, PASS);
      else if (role.lieSay >= 0 && role.lieTargets.has(gi)) this.fabricate(batch, i, rng, c, p, role.lieSay);
      else if (role.lazy === 1) this.fabricate(batch, i, rng, c, p, PASS);
      else if (role.lazy === 2) {
        copiers++;
        batch.attResult[i] = COPY_PENDING;
      } else {
        this.runHonest(batch, i, rng, c, p, kind);
        this.checkerCost[c]! += sc.economics.checkerCostPerChallenge;
        this.actorProfit[role.actor]! -= sc.economics.checkerCostPerChallenge;
      }
      batch.attDelivered[i] = rng.chance(sc.network.gossipLoss) ? 0 : 1;
    }
    if (copiers > 0) {
      // Copiers wait for the publish phase and echo the seat-weighted majority of what the others published.
      let failW = 0;
      let passW = 0;
      let donor = -1;
      for (let i = start; i < batch.attN; i++) {
        const r = batch.attResult[i];
        if (r === COPY_PENDING || !batch.attDelivered[i]) continue;
        if (r === PASS) passW += batch.attSeats[i] as number;
        else failW += batch.attSeats[i] as number;
        if (donor < 0) donor = i;
      }
      const verdict = failW > passW ? FAIL : PASS;
      for (let i = start; i < batch.attN; i++) {
        if (batch.attResult[i] !== COPY_PENDING) continue;
        batch.attResult[i] = verdict;
        batch.attP50[i] = donor >= 0 ? (batch.attP50[donor] as number) : 50_000;
        batch.attP95[i] = donor >= 0 ? (batch.attP95[donor] as number) : 60_000;
      }
    }
  }

  /** An attestation made up without running the challenge: plausible latencies for the claimed region. */
  protected fabricate(batch: EpochBatch, i: number, rng: Prng, c: number, p: number, result: number): void {
    const w = this.world;
    const base = this.net.pathRttUs(
      w.checkers.region[c] as number,
      w.providers.claimedRegion[p] as number,
      c,
      -1 - p,
    );
    const run = this.net.latencyRun(rng, base);
    batch.attResult[i] = result;
    batch.attP50[i] = run.p50Us;
    batch.attP95[i] = Math.max(run.p95Us, run.p50Us);
  }

  /**
   * Base RTT from checker c to provider p's answers: to the machine itself, or
   * for a relay through the claimed region onwards to where the GPU really is.
   */
  protected pathBase(c: number, p: number): number {
    const w = this.world;
    const role = this.pRole[w.providers.group[p] as number] as ProviderRole;
    const cRegion = w.checkers.region[c] as number;
    const claimed = w.providers.claimedRegion[p] as number;
    const actual = w.providers.actualRegion[p] as number;
    return role.proxy === "relay"
      ? this.net.pathRttUs(cRegion, claimed, c, -1 - p) + this.net.pathRttUs(claimed, actual, -1 - p, -2 - p)
      : this.net.pathRttUs(cRegion, actual, c, -1 - p);
  }

  /** Whether provider p is a ghost (no GPU) or is cheating this epoch. */
  protected withoutGpu(p: number): { ghost: boolean; cheating: boolean; broken: boolean; online: boolean } {
    const role = this.pRole[this.world.providers.group[p] as number] as ProviderRole;
    return {
      ghost: role.ghost,
      cheating: this.cheating[p] === 1,
      broken: this.broken[p] === 1,
      online: this.online[p] === 1,
    };
  }

  /** An honest checker's run: pings, then the epoch's workload, judged by the protocol's rules and deadlines. */
  protected runHonest(batch: EpochBatch, i: number, rng: Prng, c: number, p: number, kind: number): void {
    const w = this.world;
    const gi = w.providers.group[p] as number;
    const role = this.pRole[gi] as ProviderRole;
    const params = this.params;
    batch.attP50[i] = 0;
    batch.attP95[i] = 0;
    if (!this.online[p] || rng.chance(this.scenario.network.challengeLoss / 2)) {
      batch.attResult[i] = TIMEOUT;
      return;
    }
    const cRegion = w.checkers.region[c] as number;
    const claimed = w.providers.claimedRegion[p] as number;
    const run = this.net.latencyRun(rng, this.pathBase(c, p));
    let fail = false;
    let timeout = false;
    const answered = run.lost < params.pingCount;
    // latency.ts rules: any RTT below the light bound FAILs, too many lost pings TIME OUT, p95 above the liveness threshold FAILs.
    if (answered && run.minUs < this.net.bound(cRegion, claimed)) fail = true;
    if (run.lost * 10_000 > params.latencyMaxLostBps * params.pingCount) timeout = true;
    if (answered && run.p95Us > params.latencyMaxP95Us) fail = true;
    batch.attP50[i] = run.p50Us;
    batch.attP95[i] = run.p95Us;
    if (this.broken[p]) fail = true;
    else if (!timeout) {
      const rttMs = run.p50Us / 1000;
      const claimedGpu = w.providers.claimedGpu[p] as string;
      const actualGpu = w.providers.actualGpu[p] as string;
      if (kind === ChallengeKind.MATMUL) {
        if (role.ghost)
          timeout = true; // no GPU: no commitment arrives (NO_COMMITMENT)
        else if (this.cheating[p])
          fail = true; // GPU diverted: the opened rows are wrong (WRONG_ROW)
        else if (
          this.net.matmulElapsedMs(rng, actualGpu, rttMs) > this.net.matmulDeadline(claimedGpu, rttMs)
        ) {
          fail = true; // DEADLINE_EXCEEDED
        }
      } else {
        const elapsed = this.net.vramElapsedMs(
          actualGpu,
          claimedGpu,
          rttMs,
          role.ghost || this.cheating[p] === 1,
        );
        if (elapsed > this.net.vramDeadline(claimedGpu, rttMs)) fail = true;
      }
    }
    batch.attResult[i] = fail ? FAIL : timeout ? TIMEOUT : PASS;
  }

  /**
   * Picks the report: the leader, else backups in rank order. An offline
   * candidate times out; a censoring one drops attestations, and the report
   * committee's honest members refuse to co-sign a report missing an
   * attestation they saw. Returns false when no candidate got a report through.
   */
  protected aggregate(rng: Prng, ranking: number[], batch: EpochBatch): boolean {
    const w = this.world;
    const row = batch.row;
    const included = batch.included;
    const quorum = Math.ceil((this.params.reportCommitteeSize * this.params.reportQuorumBps) / 10_000);
    for (const cand of ranking) {
      const role = this.cRole[w.checkers.group[cand] as number] as CheckerRole;
      if (rng.chance(role.offline)) {
        row.aggregatorFailovers++;
        continue;
      }
      if (role.censorDrop < 0) return true;
      const drop: number[] = [];
      for (let p = 0; p < w.providers.count; p++) {
        const pg = w.providers.group[p] as number;
        if (role.censorTargets && !role.censorTargets.has(pg)) continue;
        for (let i = batch.provStart[p] as number; i < (batch.provEnd[p] as number); i++) {
          if (included[i] && (role.censorDrop === 2 || batch.attResult[i] === role.censorDrop)) drop.push(i);
        }
      }
      if (drop.length === 0) return true;
      let signed = 0;
      const pSeen = 1 - this.scenario.network.gossipLoss ** drop.length;
      for (const member of batch.reportSeats) {
        const mrole = this.cRole[w.checkers.group[member] as number] as CheckerRole;
        if (mrole.actor === role.actor || mrole.censorDrop >= 0) signed++;
        else if (!rng.chance(pSeen)) signed++;
      }
      if (signed >= quorum) {
        for (const i of drop) included[i] = 0;
        row.reportCensored = 1;
        return true;
      }
      row.aggregatorFailovers++;
    }
    row.reportMissed = 1;
    return false;
  }

  /** Private-sortition bribes: paid up front to a fraction of all bribable checkers (the briber cannot know the committee). */
  private payPrivateBribes(): void {
    if (this.scenario.sampling.sortition !== "private") return;
    const w = this.world;
    for (let p = 0; p < w.providers.count; p++) {
      const role = this.pRole[w.providers.group[p] as number] as ProviderRole;
      if (role.bribeFraction <= 0) continue;
      w.checkers.groups.forEach((_g, cg) => {
        const paid = (this.bribableCount[cg] as number) * role.bribeFraction * role.bribeTokens;
        if (paid === 0) return;
        this.providerBribesPaid[p]! += paid;
        this.actorProfit[role.actor]! -= paid;
        this.actorProfit[(this.cRole[cg] as CheckerRole).actor]! += paid;
        this.groupBribesReceived[cg] = (this.groupBribesReceived[cg] ?? 0) + paid;
      });
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
        if (cols.verdict[seg] === Verdict.FAIL) this.openSlash(batch, p, seg, cols);
        seg++;
      }
    }
    const rechecks = new Map<PendingSlash, ProviderVerdict>();
    batch.rechecks.forEach((r, k) => {
      if (batch.accepted) rechecks.set(r.slash, columnVerdict(cols, seg + k, batch, r.start, r.end));
    });
    this.settleContests(e, rechecks, row);

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
      } else {
        row.honestProviderEpochs++;
        if (failed) {
          row.falseFailVerdicts++;
          this.providerFalseFails[p]! += 1;
        }
      }
    }
    row.detectionRate = row.faultyProviderEpochs > 0 ? row.detected / row.faultyProviderEpochs : 0;
    if (batch.accepted) this.payRewards(batch, cols, verdictOf);
    this.afterSettle(batch, cols);
    for (let a = 0; a < this.actors.length; a++)
      row[`profit:${this.actors[a]}`] = this.actorProfit[a] as number;
    this.epochs.push(row);
  }

  private openSlash(batch: EpochBatch, p: number, seg: number, cols: VerdictColumns): void {
    const gi = this.world.providers.group[p] as number;
    const role = this.pRole[gi] as ProviderRole;
    const amount = slashAmount(this.world.providers.stake[p] as bigint, this.params);
    const deserved = batch.faulty[p] === 1;
    const contested = role.contest === "always" || (role.contest === "whenHonest" && !deserved);
    const v = columnVerdict(cols, seg, batch, batch.provStart[p] as number, batch.provEnd[p] as number);
    const accusers: number[] = [];
    for (let i = batch.provStart[p] as number; i < (batch.provEnd[p] as number); i++) {
      if (batch.included[i] && batch.attResult[i] !== PASS) accusers.push(batch.attChecker[i] as number);
    }
    const slash: PendingSlash = {
      provider: p,
      reportEpoch: batch.epoch,
      amount,
      deserved,
      accusers,
      leaf: {
        provider: this.providerAddr(p),
        verdict: Verdict.FAIL,
        scoreBps: v.scoreBps,
        medianLatencyUs: v.medianLatencyUs,
        attestations: v.attestations,
        failures: v.failures,
        slashAmount: amount,
        accusers: v.accusers,
      },
      contested,
      contestEpoch: batch.epoch + 1,
      done: false,
      rechecked: false,
    };
    if (contested) {
      batch.row.contestsFiled++;
      this.providerContests[p]! += 1;
    }
    this.pending.push(slash);
  }

  private settleContests(e: number, rechecks: Map<PendingSlash, ProviderVerdict>, row: EpochRow): void {
    const params = this.params;
    for (const s of this.pending) {
      if (s.done) continue;
      if (!s.contested) {
        // Uncontested slashes execute once the contest window has passed.
        if (e > s.reportEpoch + params.contestWindowEpochs) {
          this.executeSlash(s, s.amount, row);
          s.done = true;
        }
        continue;
      }
      if (e < s.contestEpoch) continue;
      const recheck = rechecks.get(s);
      const res = resolveContest({
        original: s.leaf,
        recheck,
        currentEpoch: BigInt(e),
        contestEpoch: BigInt(s.contestEpoch),
        reportEpoch: BigInt(s.reportEpoch),
        recheckEpoch: recheck ? BigInt(e) : undefined,
        params,
      });
      if (res.outcome === ContestOutcome.PENDING) continue;
      s.done = true;
      const gi = this.world.providers.group[s.provider] as number;
      const actor = (this.pRole[gi] as ProviderRole).actor;
      const bondLost = weiToTokens(res.bondForfeited);
      this.providerBondsLost[s.provider]! += bondLost;
      this.actorProfit[actor]! -= bondLost;
      if (res.outcome === ContestOutcome.UPHELD) {
        row.contestsUpheld++;
        this.executeSlash(s, res.slashExecuted, row);
      } else if (res.outcome === ContestOutcome.OVERTURNED) {
        row.contestsOverturned++;
        this.providerContestsWon[s.provider]! += 1;
        // resolveContest names the accusers (the leaf's, i.e. our pseudo-addresses in committee
        // order); the amount each loses is the contract's, economics.falseAccusationPenalty here.
        const penalty = this.scenario.economics.falseAccusationPenalty;
        for (const c of s.accusers) {
          this.checkerPenalties[c]! += 1;
          this.checkerPenalty[c]! += penalty;
          this.actorProfit[(this.cRole[this.world.checkers.group[c] as number] as CheckerRole).actor]! -=
            penalty;
          this.totals.accuserPenalties++;
        }
      } else {
        this.totals.contestsDefaultOverturned++;
        this.providerContestsWon[s.provider]! += 1;
      }
    }
  }

  private executeSlash(s: PendingSlash, amount: bigint, row: EpochRow): void {
    const p = s.provider;
    const stake = this.world.providers.stake[p] as bigint;
    const taken = amount > stake ? stake : amount;
    this.world.providers.stake[p] = stake - taken;
    const tokens = weiToTokens(taken);
    this.providerSlashed[p]! += tokens;
    this.providerSlashes[p]! += 1;
    const gi = this.world.providers.group[p] as number;
    this.actorProfit[(this.pRole[gi] as ProviderRole).actor]! -= tokens;
    row.slashesExecuted++;
    if (!s.deserved) {
      row.falseSlashesExecuted++;
      this.providerFalseSlashes[p]! += 1;
    }
  }

  /**
   * splitEpochRewards on the epoch's verdicts and participation. Licenses are
   * credited per operator with the seats its included attestations carry,
   * which is what licenseParticipation sums to over the operator's licenses.
   * Providers not sampled this epoch (sampling.rate < 1) are paid as PASS at
   * full score: the optimistic variant of Proof-of-Sampling.
   */
  private payRewards(batch: EpochBatch, cols: VerdictColumns, verdictOf: Int32Array): void {
    const w = this.world;
    const nP = w.providers.count;
    const optimistic = this.scenario.sampling.rate < 1;
    const providers = [];
    // Alternating the order keeps viem's 8192-entry address caches warm across epochs (the function sorts its input).
    this.rewardFlip = !this.rewardFlip;
    for (let k = 0; k < nP; k++) {
      const p = this.rewardFlip ? k : nP - 1 - k;
      const s = verdictOf[p] as number;
      let verdict: number = Verdict.INCONCLUSIVE;
      let scoreBps = 0;
      if (s >= 0) {
        verdict = cols.verdict[s] as number;
        scoreBps = cols.scoreBps[s] as number;
      } else if (optimistic && !batch.sampled[p]) {
        verdict = Verdict.PASS;
        scoreBps = 10_000;
      }
      providers.push({
        provider: this.providerAddr(p),
        verdict: verdict as Verdict,
        scoreBps,
        stake: w.providers.stake[p] as bigint,
      });
    }
    const seats = new Map<number, number>();
    for (let i = 0; i < batch.attN; i++) {
      if (!batch.included[i]) continue;
      const c = batch.attChecker[i] as number;
      seats.set(c, (seats.get(c) ?? 0) + (batch.attSeats[i] as number));
    }
    const licenses = [...seats.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([c, n]) => ({ licenseId: BigInt(c + 1), countedAttestations: n }));
    const leaves = splitEpochRewards({ providers, licenses }, this.params);
    for (const leaf of leaves) {
      const tokens = weiToTokens(leaf.amount);
      if (leaf.beneficiary === 0) {
        const p = this.providerIds.get(leaf.id) as number;
        this.providerReward[p]! += tokens;
        this.actorProfit[(this.pRole[w.providers.group[p] as number] as ProviderRole).actor]! += tokens;
      } else {
        const c = Number(leaf.id) - 1;
        this.checkerReward[c]! += tokens;
        this.actorProfit[(this.cRole[w.checkers.group[c] as number] as CheckerRole).actor]! += tokens;
      }
    }
  }
}

function ensureCapacity(b: EpochBatch, min: number): void {
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
function columnVerdict(
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
    if (b.attResult[i] !== PASS) {
      accusers.push(seatAddress(j));
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

/** Whether checker c is in provider p's bribed set in epoch e: a fixed hash, so the set is the same for everyone. */
function bribeDraw(e: number, p: number, c: number): number {
  let h =
    Math.imul(e ^ 0x27d4eb2d, 0x9e3779b1) ^ Math.imul(p ^ 0x165667b1, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return (h >>> 0) / 4294967296;
}
