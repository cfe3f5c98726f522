import type { EpochRow, PendingSlash } from "./batch.ts";

/**
 * The books of a run: what every checker and provider earned, paid and lost
 * (tokens) and how often, per actor profits, and the epoch rows. The summary
 * reads them; the engine's phases and the adversaries write them.
 */
export class Books {
  readonly checkerReward: Float64Array;
  readonly checkerCost: Float64Array;
  readonly checkerPenalty: Float64Array;
  readonly checkerBribes: Float64Array;
  readonly checkerSeats: Float64Array;
  readonly checkerAttestations: Float64Array;
  readonly checkerPenalties: Float64Array;
  /** Fraud-proof bounties received (tokens). */
  readonly checkerBounty: Float64Array;
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
  /** Fraud slashes: tokens taken and how many (apart from the voted slashes above). */
  readonly providerFraudSlashed: Float64Array;
  readonly providerFraudSlashes: Float64Array;
  readonly providerCaught: Float64Array;
  /** Economic agents by name (`checkers:<actor>`, `providers:<actor>`) and their running profit. */
  readonly actors: string[];
  readonly actorProfit: Float64Array;
  readonly groupBribesReceived: number[] = [];

  readonly pending: PendingSlash[] = [];
  readonly epochs: EpochRow[] = [];
  readonly totals = { contestsDefaultOverturned: 0, accuserPenalties: 0 };
  /** Counters a mode adds to the summary's totals (the real mode's signature counts). */
  readonly extraTotals: Record<string, number> = {};

  constructor(checkers: number, providers: number, actors: string[]) {
    const f = () => new Float64Array(checkers);
    this.checkerReward = f();
    this.checkerCost = f();
    this.checkerPenalty = f();
    this.checkerBribes = f();
    this.checkerSeats = f();
    this.checkerAttestations = f();
    this.checkerPenalties = f();
    this.checkerBounty = f();
    const g = () => new Float64Array(providers);
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
    this.providerFraudSlashed = g();
    this.providerFraudSlashes = g();
    this.providerCaught = g();
    this.actors = actors;
    this.actorProfit = new Float64Array(actors.length);
  }
}
