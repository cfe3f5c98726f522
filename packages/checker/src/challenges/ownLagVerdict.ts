import {
  failedOnTimeOnly,
  ownStallsCouldExplain,
  withoutOwnStalls,
} from "@checkernet/protocol/challenges/ownStalls";
import type { RunOutcome } from "@checkernet/protocol/challenges/transcript";
import { CheckResult } from "@checkernet/protocol/types";
import type { LoopStallMonitor } from "@checkernet/runtime";
import type { TranscriptEvaluator } from "./evaluator.ts";
import type { Recorder } from "./recorder.ts";

/**
 * Abstains from a run that failed on time alone when this process's own
 * stalls during the run could have caused it: the same transcript with the
 * stalls taken out passes, or a wait ran out while the loop was stalled.
 * Undefined: the run stands as measured (ChallengeRun.abstain).
 */
export async function ownLagVerdict(
  monitor: LoopStallMonitor,
  evaluator: TranscriptEvaluator,
  rec: Recorder,
  outcome: RunOutcome,
): Promise<{ reason: string; ownStallMs: number } | undefined> {
  if (outcome.result === CheckResult.PASS || !failedOnTimeOnly(outcome.reasons)) return undefined;
  const stalls = monitor
    .stallsWithin(rec.t0, performance.now())
    .map((s) => ({ fromUs: (s.fromMs - rec.t0) * 1000, toUs: (s.toMs - rec.t0) * 1000 }));
  if (stalls.length === 0 && !rec.lateWait) return undefined;
  const corrected = rec.lateWait
    ? outcome
    : await evaluator.evaluate(withoutOwnStalls(rec.transcript, stalls));
  if (!ownStallsCouldExplain(outcome, corrected, rec.lateWait)) return undefined;
  const ownStallMs = Math.round(stalls.reduce((sum, s) => sum + (s.toUs - s.fromUs), 0) / 1000);
  const reason = rec.lateWait
    ? `a wait for the provider ended while this checker's event loop was stalled (${ownStallMs} ms stalled in the run)`
    : `this checker's event loop stalled ${ownStallMs} ms during the run; without that the run passes`;
  return { reason, ownStallMs };
}
