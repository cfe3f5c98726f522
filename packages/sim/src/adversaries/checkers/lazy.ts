import type { EpochBatch } from "../../engine/batch.ts";
import { CheckResult } from "../../protocol.ts";
import { type CheckerAdversary, DEFERRED } from "../types.ts";

/**
 * `lazy: pass | copy`: never runs the challenge. `pass` attests PASS blindly;
 * `copy` waits for the publish phase and echoes the seat-weighted majority of
 * what the rest of the committee published.
 */
export const lazy: CheckerAdversary = {
  name: "lazy",
  create(strategy) {
    if (strategy.lazy === "pass") return { claim: () => CheckResult.PASS };
    if (strategy.lazy === "copy") return { claim: () => DEFERRED, publish: copyMajority };
    return undefined;
  },
};

/** One majority for all copiers of a committee, from the delivered attestations of the others. */
function copyMajority(batch: EpochBatch, start: number, end: number): void {
  let failW = 0;
  let passW = 0;
  let donor = -1;
  for (let i = start; i < end; i++) {
    const r = batch.attResult[i];
    if (r === DEFERRED || !batch.attDelivered[i]) continue;
    if (r === CheckResult.PASS) passW += batch.attSeats[i] as number;
    else failW += batch.attSeats[i] as number;
    if (donor < 0) donor = i;
  }
  const verdict = failW > passW ? CheckResult.FAIL : CheckResult.PASS;
  for (let i = start; i < end; i++) {
    if (batch.attResult[i] !== DEFERRED) continue;
    batch.attResult[i] = verdict;
    batch.attP50[i] = donor >= 0 ? (batch.attP50[donor] as number) : 50_000;
    batch.attP95[i] = donor >= 0 ? (batch.attP95[donor] as number) : 60_000;
  }
}
