import type { Prng } from "../prng.ts";
import type { EpochBatch } from "./batch.ts";
import { checkerPlan, type EngineContext } from "./context.ts";

/**
 * Picks the report: the leader, else backups in rank order. A candidate that
 * misses its turn times out; a censoring one drops attestations, and the
 * report committee's honest members refuse to co-sign a report missing an
 * attestation they saw. Returns false when no candidate got a report through.
 */
export function aggregate(ctx: EngineContext, rng: Prng, ranking: number[], batch: EpochBatch): boolean {
  const row = batch.row;
  const included = batch.included;
  const quorum = Math.ceil((ctx.params.reportCommitteeSize * ctx.params.reportQuorumBps) / 10_000);
  for (const cand of ranking) {
    const plan = checkerPlan(ctx, cand);
    if (plan.missesTurn.some((misses) => misses(rng))) {
      row.aggregatorFailovers++;
      continue;
    }
    if (!plan.censor) return true;
    const drop = plan.censor(batch);
    if (drop.length === 0) return true;
    let signed = 0;
    const pSeen = 1 - ctx.scenario.network.gossipLoss ** drop.length;
    for (const member of batch.reportSeats) {
      const mplan = checkerPlan(ctx, member);
      if (mplan.actor === plan.actor || mplan.cosignsCensored) signed++;
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
