import { CheckResult } from "../types.ts";
import type { Reason } from "./common.ts";
import { failedOnTimeOnly } from "./ownStalls.ts";

/**
 * One more run for a provider that was only late.
 *
 * A deadline is sized for the provider's device, but an honest provider that
 * shares a machine (a devnet on a laptop; a GPU host whose CPU side is busy
 * for a moment) is sometimes slow for a second or two, and one late answer
 * would otherwise be a FAIL vote. A provider that cheats on time is slow for
 * a reason that does not go away: one that does not hold the VRAM dataset
 * needs 1 + VRAM_GENERATION_COST_RATIO = 5.25 walk times on every run, one
 * without the claimed device multiplies slower on every run. So a run that
 * failed on time alone (every reason about lateness or a missing answer,
 * nothing answered wrongly) is run once more, with a fresh seed and after a
 * pause, and the second run's verdict is the one attested. A wrong answer
 * never gets a second run: correctness does not depend on load.
 *
 * What it costs: a provider late on both runs still fails; one that is late
 * on purpose gains nothing it could not have had by answering in time (the
 * retry is fresh work with a fresh seed), and the checker spends one more run
 * only on providers that were late. If transient lateness strikes an honest
 * run with probability p, independently across runs a few seconds apart, a
 * false timing FAIL needs it twice: p² (bench:deadlines measures p).
 */
export const TIMING_SECOND_CHANCES = 1;

/**
 * Pause before the second run, ms: long enough that a burst of load on the
 * provider's machine (a committee's runs arriving together, a GC, a
 * neighbour's job) is likely over, short enough that the second run still
 * fits the checking phase after a run that started late in its spread. The
 * checker draws the pause uniformly from this range.
 */
export const SECOND_CHANCE_PAUSE_MS = { min: 300, max: 1_500 } as const;

/**
 * The second run takes about as long as the first (the same pings and the
 * same workload); it is started only if the pause plus this many times the
 * first run's duration ends before the publish phase.
 */
export const SECOND_RUN_DURATION_FACTOR = 1.25;

/** True when a run's verdict may be replaced by a second run's: it did not pass, and only for time. */
export function deservesSecondChance(outcome: { result: CheckResult; reasons: readonly Reason[] }): boolean {
  return outcome.result !== CheckResult.PASS && failedOnTimeOnly(outcome.reasons);
}
