import { keccak256, stringToBytes } from "viem";
import type { Simulation } from "./engine.ts";
import { type RunResult, resultOf } from "./report.ts";
import { type RunOptions, runScenario } from "./run.ts";
import type { Scenario } from "./scenario/schema.ts";
import { type Interval, tInterval, wilsonInterval } from "./stats.ts";
import { checkExpectations, type ReplicateRecord, type Summary, type SummaryIntervals } from "./summary.ts";

/**
 * Independent replicates of one scenario and their 95 % confidence intervals.
 *
 * Replicate 0 runs with the scenario's own seed, so a replicated run extends
 * the single run instead of replacing it; replicate i ≥ 1 runs with
 *
 *   seed_i = first 8 bytes of keccak256(utf8("checkernet-sim/replicate/" + seed + "/" + i)), as 0x-hex
 *
 * which `--seed` accepts, so any one replicate can be rerun alone.
 */
export function replicateSeed(seed: string, i: number): string {
  if (!Number.isInteger(i) || i < 0) throw new RangeError(`replicate index must be a whole number, got ${i}`);
  if (i === 0) return seed;
  return keccak256(stringToBytes(`checkernet-sim/replicate/${seed}/${i}`)).slice(0, 18);
}

/**
 * Rates that are a proportion of trials (provider-epochs): their interval is
 * Wilson's on the counts pooled over replicates, and their estimate the
 * pooled proportion. The value names the denominator beside the rate; the
 * numerator is rate × denominator. Every other number gets a t interval
 * over the replicates' values.
 */
const PROPORTIONS: Record<"totals" | "providers", Record<string, string>> = {
  totals: {
    detectionRate: "faultyProviderEpochs",
    falseFailRate: "honestProviderEpochs",
    falseSlashRate: "honestProviderEpochs",
    fraudSlashRate: "faultyProviderEpochs",
    caughtRate: "faultyProviderEpochs",
  },
  providers: {
    detectionRate: "faultyEpochs",
    fraudSlashRate: "faultyEpochs",
    caughtRate: "faultyEpochs",
  },
};

function combineRecord(
  records: readonly Record<string, number>[],
  proportions: Record<string, string>,
): { mean: Record<string, number>; intervals: Record<string, Interval> } {
  const mean: Record<string, number> = {};
  const intervals: Record<string, Interval> = {};
  for (const key of Object.keys(records[0] ?? {})) {
    const denominator = proportions[key];
    let iv: Interval;
    if (denominator !== undefined) {
      let successes = 0;
      let trials = 0;
      for (const r of records) {
        const n = r[denominator] ?? 0;
        successes += Math.round((r[key] ?? 0) * n);
        trials += n;
      }
      iv = wilsonInterval(successes, trials);
    } else {
      iv = tInterval(records.map((r) => r[key] ?? 0));
    }
    mean[key] = iv.mean;
    intervals[key] = iv;
  }
  return { mean, intervals };
}

function combineSection(
  sections: readonly Record<string, Record<string, number>>[],
  proportions: Record<string, string>,
): { mean: Record<string, Record<string, number>>; intervals: Record<string, Record<string, Interval>> } {
  const mean: Record<string, Record<string, number>> = {};
  const intervals: Record<string, Record<string, Interval>> = {};
  for (const group of Object.keys(sections[0] ?? {})) {
    const c = combineRecord(
      sections.map((s) => s[group] ?? {}),
      proportions,
    );
    mean[group] = c.mean;
    intervals[group] = c.intervals;
  }
  return { mean, intervals };
}

/** The summary of N ≥ 2 replicates (means, pooled proportions) and its intervals. */
export function combineSummaries(summaries: readonly Summary[]): {
  summary: Summary;
  intervals: SummaryIntervals;
} {
  if (summaries.length < 2) throw new RangeError("combineSummaries needs at least 2 replicates");
  const totals = combineRecord(
    summaries.map((s) => s.totals),
    PROPORTIONS.totals,
  );
  const checkers = combineSection(
    summaries.map((s) => s.checkers),
    {},
  );
  const providers = combineSection(
    summaries.map((s) => s.providers),
    PROPORTIONS.providers,
  );
  const actors = combineSection(
    summaries.map((s) => s.actors),
    {},
  );
  return {
    summary: { totals: totals.mean, checkers: checkers.mean, providers: providers.mean, actors: actors.mean },
    intervals: {
      totals: totals.intervals,
      checkers: checkers.intervals,
      providers: providers.intervals,
      actors: actors.intervals,
    },
  };
}

/** Per-epoch rows averaged over replicates (what the charts and epochs.csv show). */
function meanEpochs(runs: readonly Record<string, number>[][]): Record<string, number>[] {
  const first = runs[0] ?? [];
  return first.map((row, e) => {
    const out: Record<string, number> = {};
    for (const key of Object.keys(row)) {
      out[key] = runs.reduce((s, r) => s + (r[e]?.[key] ?? 0), 0) / runs.length;
    }
    return out;
  });
}

/**
 * Runs `replicates` independent replicates of a scenario, one after another.
 * One replicate is exactly `runScenario` (no intervals). With more, the
 * result's summary holds means (pooled proportions for rates of trials),
 * `intervals` their 95 % confidence intervals, `replicates` each one's seed
 * and summary, and expectations are checked against the means. The returned
 * sim is replicate 0's (for the charts' actors and groups).
 */
export async function runReplicates(
  scenario: Scenario,
  replicates: number,
  opts: RunOptions = {},
): Promise<{ sim: Simulation; result: RunResult }> {
  if (!Number.isInteger(replicates) || replicates < 1)
    throw new RangeError(`replicates must be a whole number ≥ 1, got ${replicates}`);
  if (replicates === 1) return runScenario(scenario, opts);
  let first: Simulation | undefined;
  const records: ReplicateRecord[] = [];
  const epochs: Record<string, number>[][] = [];
  for (let i = 0; i < replicates; i++) {
    const seed = replicateSeed(scenario.seed, i);
    const onProgress = opts.onProgress;
    const { sim, result } = await runScenario(
      { ...scenario, seed },
      {
        ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
        ...(onProgress
          ? { onProgress: (done: number, total: number) => onProgress(i * total + done, replicates * total) }
          : {}),
      },
    );
    first ??= sim;
    records.push({ replicate: i, seed, summary: result.summary });
    epochs.push(result.epochs);
  }
  const base = resultOf(first as Simulation);
  const { summary, intervals } = combineSummaries(records.map((r) => r.summary));
  const result: RunResult = {
    ...base,
    scenario,
    summary,
    expectations: checkExpectations(summary, scenario.expect),
    epochs: meanEpochs(epochs),
    intervals,
    replicates: records,
  };
  return { sim: first as Simulation, result };
}
