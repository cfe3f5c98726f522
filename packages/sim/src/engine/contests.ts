import {
  type CheckResult,
  ContestOutcome,
  isAccusation,
  type ProviderVerdict,
  resolveContest,
  slashAmount,
  Verdict,
  weiToTokens,
} from "../protocol.ts";
import type { VerdictColumns } from "../verdicts.ts";
import { columnVerdict, type EpochBatch, type EpochRow, type PendingSlash } from "./batch.ts";
import { checkerPlan, type EngineContext, providerPlan } from "./context.ts";

/** A FAIL verdict on provider p (segment `seg`) opens a pending slash; the provider decides whether to contest it. */
export function openSlash(
  ctx: EngineContext,
  batch: EpochBatch,
  p: number,
  seg: number,
  cols: VerdictColumns,
): void {
  const amount = slashAmount(ctx.world.providers.stake[p] as bigint, ctx.params);
  const deserved = batch.faulty[p] === 1;
  const contested = providerPlan(ctx, p).contests(deserved);
  const v = columnVerdict(cols, seg, batch, batch.provStart[p] as number, batch.provEnd[p] as number);
  // The leaf's accusers: FAIL attesters only (a TIMEOUT fails the verdict but accuses nobody).
  const accusers: number[] = [];
  for (let i = batch.provStart[p] as number; i < (batch.provEnd[p] as number); i++) {
    if (batch.included[i] && isAccusation(batch.attResult[i] as CheckResult))
      accusers.push(batch.attChecker[i] as number);
  }
  const slash: PendingSlash = {
    provider: p,
    reportEpoch: batch.epoch,
    amount,
    deserved,
    accusers,
    leaf: {
      provider: ctx.providerAddr(p),
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
    ctx.providerContests[p]! += 1;
  }
  ctx.pending.push(slash);
}

/** Executes uncontested slashes past their window and resolves contests with this epoch's re-checks. */
export function settleContests(
  ctx: EngineContext,
  e: number,
  rechecks: Map<PendingSlash, ProviderVerdict>,
  row: EpochRow,
): void {
  const params = ctx.params;
  for (const s of ctx.pending) {
    if (s.done) continue;
    if (!s.contested) {
      // Uncontested slashes execute once the contest window has passed.
      if (e > s.reportEpoch + params.contestWindowEpochs) {
        executeSlash(ctx, s, s.amount, row);
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
    const actor = providerPlan(ctx, s.provider).actor;
    const bondLost = weiToTokens(res.bondForfeited);
    ctx.providerBondsLost[s.provider]! += bondLost;
    ctx.actorProfit[actor]! -= bondLost;
    if (res.outcome === ContestOutcome.UPHELD) {
      row.contestsUpheld++;
      executeSlash(ctx, s, res.slashExecuted, row);
    } else if (res.outcome === ContestOutcome.OVERTURNED) {
      row.contestsOverturned++;
      ctx.providerContestsWon[s.provider]! += 1;
      // resolveContest names the accusers (the leaf's, i.e. our pseudo-addresses in committee
      // order); the amount each loses is the contract's, economics.falseAccusationPenalty here.
      const penalty = ctx.scenario.economics.falseAccusationPenalty;
      for (const c of s.accusers) {
        ctx.checkerPenalties[c]! += 1;
        ctx.checkerPenalty[c]! += penalty;
        ctx.actorProfit[checkerPlan(ctx, c).actor]! -= penalty;
        ctx.totals.accuserPenalties++;
      }
    } else {
      ctx.totals.contestsDefaultOverturned++;
      ctx.providerContestsWon[s.provider]! += 1;
    }
  }
}

function executeSlash(ctx: EngineContext, s: PendingSlash, amount: bigint, row: EpochRow): void {
  const p = s.provider;
  const stake = ctx.world.providers.stake[p] as bigint;
  const taken = amount > stake ? stake : amount;
  ctx.world.providers.stake[p] = stake - taken;
  const tokens = weiToTokens(taken);
  ctx.providerSlashed[p]! += tokens;
  ctx.providerSlashes[p]! += 1;
  ctx.actorProfit[providerPlan(ctx, p).actor]! -= tokens;
  row.slashesExecuted++;
  if (!s.deserved) {
    row.falseSlashesExecuted++;
    ctx.providerFalseSlashes[p]! += 1;
  }
}
