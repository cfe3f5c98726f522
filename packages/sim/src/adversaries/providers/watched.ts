import type { ProviderAdversary } from "../types.ts";

/**
 * `watched: true`: cheats in the epochs it believes nobody checks it. Under
 * private sortition the only hint is last epoch's revealed committee
 * (independent of this one); under the public counterfactual it computes this
 * epoch's committee itself.
 */
export const watched: ProviderAdversary = {
  name: "watched",
  create(strategy, setup) {
    if (strategy.watched !== true) return undefined;
    const publicSortition = setup.scenario.sampling.sortition === "public";
    return {
      afterSampling(p, state, _rng, sampled) {
        const believesWatched = publicSortition ? sampled : state.sampledLast[p] === 1;
        if (!believesWatched) state.cheating[p] = 1;
      },
    };
  },
};
