import type { EpochBatch } from "../../engine/batch.ts";
import { CheckResult } from "../../protocol.ts";
import type { CheckerAdversary } from "../types.ts";

/**
 * `aggregator.censor: { drop, targets }`: as the epoch's aggregator, drops
 * the attestations saying `drop` (or all) about providers of the target groups
 * (all providers when absent). The report committee's honest members refuse
 * to co-sign a report missing an attestation they saw; fellow censors sign.
 */
export const censor: CheckerAdversary = {
  name: "aggregator.censor",
  create(strategy, setup) {
    const spec = strategy.aggregator?.censor;
    if (!spec) return undefined;
    const drop =
      spec.drop === "fail" ? CheckResult.FAIL : spec.drop === "pass" ? CheckResult.PASS : undefined;
    const targets = spec.targets ? new Set(spec.targets.map((n) => setup.providerGroupIndex(n))) : undefined;
    const providers = setup.world.providers;
    return {
      cosignsCensored: true,
      censor(batch: EpochBatch): number[] {
        const dropped: number[] = [];
        for (let p = 0; p < providers.count; p++) {
          if (targets && !targets.has(providers.group[p] as number)) continue;
          for (let i = batch.provStart[p] as number; i < (batch.provEnd[p] as number); i++) {
            if (batch.included[i] && (drop === undefined || batch.attResult[i] === drop)) dropped.push(i);
          }
        }
        return dropped;
      },
    };
  },
};
