import type { EpochRow } from "./engine/batch.ts";
import type { Simulation } from "./engine.ts";
import { weiToTokens } from "./protocol.ts";
import type { Expectation } from "./scenario/schema.ts";
import type { Interval } from "./stats.ts";

/**
 * What a run reports: totals over all epochs, one row per group (checker
 * groups and provider groups; "honest" is the default group of each kind),
 * and one row per economic actor. Expectations in scenario files address
 * these by dotted path: `totals.falseSlashesExecuted`,
 * `checkers.lazy.rewardPerLicense`, `providers.cheater.detectionRate`,
 * `actors.providers:cheater.profit`.
 */
export interface Summary {
  totals: Record<string, number>;
  checkers: Record<string, Record<string, number>>;
  providers: Record<string, Record<string, number>>;
  actors: Record<string, Record<string, number>>;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

export function summarize(sim: Simulation): Summary {
  const w = sim.world;
  const rows = sim.epochs;
  const sum = (key: keyof EpochRow) => rows.reduce((s, r) => s + (r[key] as number), 0);
  const faulty = sum("faultyProviderEpochs");
  const honest = sum("honestProviderEpochs");
  const totals: Record<string, number> = {
    epochs: rows.length,
    checkers: w.checkers.count,
    providers: w.providers.count,
    licenses: w.checkers.totalLicenses,
    providerEpochs: faulty + honest,
    providersSampled: sum("providersSampled"),
    faultyProviderEpochs: faulty,
    detected: sum("detected"),
    detectionRate: ratio(sum("detected"), faulty),
    honestProviderEpochs: honest,
    falseFailVerdicts: sum("falseFailVerdicts"),
    falseFailRate: ratio(sum("falseFailVerdicts"), honest),
    falseSlashesExecuted: sum("falseSlashesExecuted"),
    falseSlashRate: ratio(sum("falseSlashesExecuted"), honest),
    slashesExecuted: sum("slashesExecuted"),
    fraudSlashes: sum("fraudSlashes"),
    fraudSlashRate: ratio(sum("fraudSlashes"), faulty),
    caught: sum("caught"),
    caughtRate: ratio(sum("caught"), faulty),
    contestsFiled: sum("contestsFiled"),
    contestsOverturned: sum("contestsOverturned"),
    contestsUpheld: sum("contestsUpheld"),
    contestsDefaultOverturned: sim.totals.contestsDefaultOverturned,
    accuserPenalties: sim.totals.accuserPenalties,
    aggregatorFailovers: sum("aggregatorFailovers"),
    reportsMissed: sum("reportMissed"),
    reportsCensored: sum("reportCensored"),
    attestations: sum("attestations"),
    meanCommitteeSeats: ratio(
      rows.reduce((s, r) => s + r.meanCommitteeSeats * r.providersSampled, 0),
      sum("providersSampled"),
    ),
    ...sim.extraTotals,
  };

  const checkers: Summary["checkers"] = {};
  let allCheckerReward = 0;
  let allSeats = 0;
  for (let c = 0; c < w.checkers.count; c++) {
    allCheckerReward += sim.checkerReward[c] as number;
    allSeats += sim.checkerSeats[c] as number;
  }
  w.checkers.groups.forEach((g, gi) => {
    const acc = {
      members: 0,
      licenses: 0,
      seats: 0,
      attestations: 0,
      reward: 0,
      cost: 0,
      penalty: 0,
      penalties: 0,
      bribes: 0,
      bounty: 0,
      subnets: 0,
    };
    const subnets = new Set<number>();
    for (let c = 0; c < w.checkers.count; c++) {
      if (w.checkers.group[c] !== gi) continue;
      acc.members++;
      acc.licenses += w.checkers.licenses[c] as number;
      acc.seats += sim.checkerSeats[c] as number;
      acc.attestations += sim.checkerAttestations[c] as number;
      acc.reward += sim.checkerReward[c] as number;
      acc.cost += sim.checkerCost[c] as number;
      acc.penalty += sim.checkerPenalty[c] as number;
      acc.penalties += sim.checkerPenalties[c] as number;
      acc.bribes += sim.checkerBribes[c] as number;
      acc.bounty += sim.checkerBounty[c] as number;
      subnets.add(w.checkers.subnet[c] as number);
    }
    acc.bribes += sim.groupBribesReceived[gi] ?? 0;
    const profit = acc.reward + acc.bribes + acc.bounty - acc.cost - acc.penalty;
    checkers[g.name] = {
      members: acc.members,
      licenses: acc.licenses,
      licenseShare: ratio(acc.licenses, w.checkers.totalLicenses),
      seats: acc.seats,
      seatShare: ratio(acc.seats, allSeats),
      attestations: acc.attestations,
      subnets: subnets.size,
      reward: acc.reward,
      rewardShare: ratio(acc.reward, allCheckerReward),
      rewardPerLicense: ratio(acc.reward, acc.licenses),
      cost: acc.cost,
      penalty: acc.penalty,
      penalties: acc.penalties,
      bribes: acc.bribes,
      bounty: acc.bounty,
      profit,
      profitPerLicense: ratio(profit, acc.licenses),
    };
  });

  const providers: Summary["providers"] = {};
  let allProviderReward = 0;
  for (let p = 0; p < w.providers.count; p++) allProviderReward += sim.providerReward[p] as number;
  const initialStake = (gi: number) => w.providers.groups[gi]?.stakeTokens ?? 0;
  let allStake = 0;
  w.providers.groups.forEach((g, gi) => {
    allStake += g.count * initialStake(gi);
  });
  w.providers.groups.forEach((g, gi) => {
    const acc = {
      members: 0,
      epochs: 0,
      faulty: 0,
      detected: 0,
      falseFails: 0,
      falseSlashes: 0,
      slashes: 0,
      slashed: 0,
      fraudSlashes: 0,
      fraudSlashed: 0,
      caught: 0,
      contests: 0,
      contestsWon: 0,
      bondsLost: 0,
      reward: 0,
      workCost: 0,
      bribesPaid: 0,
      stakeLeft: 0,
    };
    for (let p = 0; p < w.providers.count; p++) {
      if (w.providers.group[p] !== gi) continue;
      acc.members++;
      acc.epochs += sim.providerEpochs[p] as number;
      acc.faulty += sim.providerFaulty[p] as number;
      acc.detected += sim.providerDetected[p] as number;
      acc.falseFails += sim.providerFalseFails[p] as number;
      acc.falseSlashes += sim.providerFalseSlashes[p] as number;
      acc.slashes += sim.providerSlashes[p] as number;
      acc.slashed += sim.providerSlashed[p] as number;
      acc.fraudSlashes += sim.providerFraudSlashes[p] as number;
      acc.fraudSlashed += sim.providerFraudSlashed[p] as number;
      acc.caught += sim.providerCaught[p] as number;
      acc.contests += sim.providerContests[p] as number;
      acc.contestsWon += sim.providerContestsWon[p] as number;
      acc.bondsLost += sim.providerBondsLost[p] as number;
      acc.reward += sim.providerReward[p] as number;
      acc.workCost += sim.providerWorkCost[p] as number;
      acc.bribesPaid += sim.providerBribesPaid[p] as number;
      acc.stakeLeft += weiToTokens(w.providers.stake[p] as bigint);
    }
    const profit =
      acc.reward - acc.workCost - acc.slashed - acc.fraudSlashed - acc.bondsLost - acc.bribesPaid;
    // Slashes still inside their contest window when the run ends (uncontested ones will execute).
    let slashPending = 0;
    for (const sl of sim.pending) {
      if (!sl.done && !sl.contested && w.providers.group[sl.provider] === gi)
        slashPending += weiToTokens(sl.amount);
    }
    const stake = acc.members * initialStake(gi);
    providers[g.name] = {
      members: acc.members,
      stake,
      stakeShare: ratio(stake, allStake),
      stakeLeft: acc.stakeLeft,
      providerEpochs: acc.epochs,
      faultyEpochs: acc.faulty,
      detected: acc.detected,
      detectionRate: ratio(acc.detected, acc.faulty),
      falseFails: acc.falseFails,
      falseSlashes: acc.falseSlashes,
      slashes: acc.slashes,
      slashed: acc.slashed,
      fraudSlashes: acc.fraudSlashes,
      fraudSlashed: acc.fraudSlashed,
      fraudSlashRate: ratio(acc.fraudSlashes, acc.faulty),
      caughtRate: ratio(acc.caught, acc.faulty),
      contests: acc.contests,
      contestsWon: acc.contestsWon,
      bondsLost: acc.bondsLost,
      reward: acc.reward,
      rewardShare: ratio(acc.reward, allProviderReward),
      workCost: acc.workCost,
      bribesPaid: acc.bribesPaid,
      profit,
      profitPerMember: ratio(profit, acc.members),
      profitPerMemberEpoch: ratio(profit, acc.epochs),
      slashPending,
      /** Profit once the pending uncontested slashes execute: what a horizon-free comparison needs. */
      settledProfitPerMemberEpoch: ratio(profit - slashPending, acc.epochs),
    };
  });

  const actors: Summary["actors"] = {};
  const last = rows[rows.length - 1];
  sim.actors.forEach((name) => {
    actors[name] = { profit: last ? (last[`profit:${name}`] ?? 0) : 0 };
  });
  return { totals, checkers, providers, actors };
}

/** Reads a dotted path; `checkers.lazy.rewardPerLicense`, with actor names allowed to hold a colon. */
export function readPath(summary: Summary, path: string): number {
  const [head, ...rest] = path.split(".");
  let node: unknown = summary;
  const keys = [head, ...rest];
  for (const key of keys) {
    if (node === null || typeof node !== "object" || !(key! in (node as object))) {
      const known = node && typeof node === "object" ? Object.keys(node as object).join(", ") : "";
      throw new Error(`summary has no "${path}" (at "${key}"; known here: ${known})`);
    }
    node = (node as Record<string, unknown>)[key as string];
  }
  if (typeof node !== "number") throw new Error(`summary path "${path}" is not a number`);
  return node;
}

export interface ExpectationResult {
  that: string;
  is: string;
  than: number | string;
  actual: number;
  expected: number;
  ok: boolean;
  because: string;
}

export function checkExpectations(
  summary: Summary,
  expectations: readonly Expectation[],
): ExpectationResult[] {
  return expectations.map((x) => {
    const actual = readPath(summary, x.that);
    const expected = typeof x.than === "number" ? x.than : readPath(summary, x.than);
    let ok: boolean;
    switch (x.is) {
      case "<":
        ok = actual < expected;
        break;
      case "<=":
        ok = actual <= expected;
        break;
      case "==":
        ok = actual === expected;
        break;
      case ">=":
        ok = actual >= expected;
        break;
      case ">":
        ok = actual > expected;
        break;
      case "!=":
        ok = actual !== expected;
        break;
      default:
        ok = Math.abs(actual - expected) <= x.within * Math.max(Math.abs(expected), 1e-12);
    }
    return { that: x.that, is: x.is, than: x.than, actual, expected, ok, because: x.because };
  });
}

/** 95 % confidence intervals of a replicated run, in the shape of its Summary. */
export interface SummaryIntervals {
  totals: Record<string, Interval>;
  checkers: Record<string, Record<string, Interval>>;
  providers: Record<string, Record<string, Interval>>;
  actors: Record<string, Record<string, Interval>>;
}

/** One replicate's seed and summary, as result.json lists them. */
export interface ReplicateRecord {
  replicate: number;
  seed: string;
  summary: Summary;
}

/** The interval of a dotted summary path (`providers.cheater.detectionRate`). */
export function readInterval(intervals: SummaryIntervals, path: string): Interval {
  const [section, ...rest] = path.split(".");
  const key = rest.pop();
  let node: unknown = (intervals as unknown as Record<string, unknown>)[section ?? ""];
  for (const k of rest) node = (node as Record<string, unknown> | undefined)?.[k];
  const found = (node as Record<string, Interval> | undefined)?.[key ?? ""];
  if (!found) throw new Error(`no confidence interval for "${path}"`);
  return found;
}
