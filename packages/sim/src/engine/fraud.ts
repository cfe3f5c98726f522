import {
  cheaterSaving,
  detectionProbability,
  type MatmulSamplingShape,
  matmulSamplingShape,
} from "@checkernet/protocol/challenges/matmul-detection";
import { type ProtocolParams, slashAmount, weiToTokens } from "../protocol.ts";
import type { EpochBatch } from "./batch.ts";
import { checkerPlan, type EngineContext, providerPlan } from "./context.ts";

/**
 * Matmul fraud proofs (docs/protocol/fraud-proofs.md). A checker opens
 * `openedRowCount` rows of the provider's signed commitment and recomputes
 * `sampledEntryCount` entries of each (the protocol's shape, r and s from the
 * params); one wrong opened entry is a proof that FraudProofs accepts without
 * a vote.
 */
export function samplingShape(
  params: Pick<ProtocolParams, "matmulSampledRows" | "matmulSize">,
): MatmulSamplingShape {
  return matmulSamplingShape(params.matmulSize, params);
}

/**
 * Chance that one checker's run catches a provider with a fraction f of its
 * rows wrong in every entry (`wrongRows: f`, saving f of its work): the
 * protocol's exact detection (hypergeometric over the opened rows) of the
 * cheater that skips a fraction f of the MACs in whole rows, ⌈f·n⌉ of them
 * (`cheaterSaving`). At n = 1024, r = 8 and f = 5 %: 52 wrong rows, 0.342
 * (the bound 1 − (1 − f)^r is 0.337).
 */
export function rowCatchProbability(wrongFraction: number, shape: MatmulSamplingShape): number {
  if (wrongFraction <= 0) return 0;
  const cheater = cheaterSaving(shape.n, Math.min(1, wrongFraction), shape.n);
  return detectionProbability(shape, cheater);
}

/**
 * An honest run of checker c opened a wrong row of provider p. Which of the
 * epoch's catchers' proofs lands first is a race; the simulation lets a fixed
 * hash of (epoch, provider, checker) decide it, uniform over the catchers and
 * with no draw from the run's streams.
 */
export function noteFraud(ctx: EngineContext, batch: EpochBatch, p: number, c: number): void {
  if (!ctx.scenario.fraudProofs.enabled) return;
  const rank = raceRank(batch.epoch, p, c);
  if ((batch.fraudCatcher[p] as number) < 0 || rank < (batch.fraudRank[p] as number)) {
    batch.fraudCatcher[p] = c;
    batch.fraudRank[p] = rank;
  }
}

function raceRank(e: number, p: number, c: number): number {
  let h =
    Math.imul(e ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(p ^ 0x27d4eb2f, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 15;
  return h >>> 0;
}

/**
 * Executes the epoch's fraud proofs: at once, whatever the report says and
 * with no contest (one per provider and epoch, as the contract allows).
 * The slash is `slashAmount` at FraudProofs' fraudSlashBps; `bountyBps` of it
 * goes to the checker whose proof landed, the rest is burned.
 */
export function executeFraudProofs(ctx: EngineContext, batch: EpochBatch): void {
  const fp = ctx.scenario.fraudProofs;
  if (!fp.enabled) return;
  const slashBps = fp.slashBps ?? ctx.params.slashBps;
  const w = ctx.world;
  for (let p = 0; p < w.providers.count; p++) {
    const c = batch.fraudCatcher[p] as number;
    if (c < 0) continue;
    const stake = w.providers.stake[p] as bigint;
    const taken = slashAmount(stake, { slashBps });
    w.providers.stake[p] = stake - taken;
    const tokens = weiToTokens(taken);
    const bounty = weiToTokens((taken * BigInt(fp.bountyBps)) / 10_000n);
    ctx.providerFraudSlashed[p]! += tokens;
    ctx.providerFraudSlashes[p]! += 1;
    ctx.actorProfit[providerPlan(ctx, p).actor]! -= tokens;
    ctx.checkerBounty[c]! += bounty;
    ctx.actorProfit[checkerPlan(ctx, c).actor]! += bounty;
    batch.row.fraudSlashes++;
  }
}
