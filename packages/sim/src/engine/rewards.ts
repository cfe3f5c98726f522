import { splitEpochRewards, Verdict, weiToTokens } from "../protocol.ts";
import type { VerdictColumns } from "../verdicts.ts";
import type { EpochBatch } from "./batch.ts";
import { checkerPlan, type EngineContext, providerPlan } from "./context.ts";

/**
 * splitEpochRewards on the epoch's verdicts and participation. Licenses are
 * credited per operator with the seats its included attestations carry,
 * which is what licenseParticipation sums to over the operator's licenses.
 * Providers not sampled this epoch (sampling.rate < 1) are paid as PASS at
 * full score: the optimistic variant of Proof-of-Sampling.
 */
export class EpochRewards {
  private readonly ctx: EngineContext;
  private readonly providerIds = new Map<bigint, number>();
  private flip = false;

  constructor(ctx: EngineContext) {
    this.ctx = ctx;
    for (let p = 0; p < ctx.world.providers.count; p++) this.providerIds.set(BigInt(ctx.providerAddr(p)), p);
  }

  /** `verdictOf[p]`: the verdict segment of provider p, -1 when it was not sampled. */
  pay(batch: EpochBatch, cols: VerdictColumns, verdictOf: Int32Array): void {
    const ctx = this.ctx;
    const w = ctx.world;
    const nP = w.providers.count;
    const optimistic = ctx.scenario.sampling.rate < 1;
    const providers = [];
    // Alternating the order keeps viem's 8192-entry address caches warm across epochs (the function sorts its input).
    this.flip = !this.flip;
    for (let k = 0; k < nP; k++) {
      const p = this.flip ? k : nP - 1 - k;
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
        provider: ctx.providerAddr(p),
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
    const leaves = splitEpochRewards({ providers, licenses }, ctx.params);
    for (const leaf of leaves) {
      const tokens = weiToTokens(leaf.amount);
      if (leaf.beneficiary === 0) {
        const p = this.providerIds.get(leaf.id) as number;
        ctx.providerReward[p]! += tokens;
        ctx.actorProfit[providerPlan(ctx, p).actor]! += tokens;
      } else {
        const c = Number(leaf.id) - 1;
        ctx.checkerReward[c]! += tokens;
        ctx.actorProfit[checkerPlan(ctx, c).actor]! += tokens;
      }
    }
  }
}
