import type { CheckerAdversary } from "../types.ts";

/** `aggregator.offline`: offline with this probability when its turn to aggregate comes. */
export const offlineAggregator: CheckerAdversary = {
  name: "aggregator.offline",
  create(strategy) {
    const offline = strategy.aggregator?.offline;
    if (offline === undefined) return undefined;
    return { missesTurn: (rng) => rng.chance(offline) };
  },
};
