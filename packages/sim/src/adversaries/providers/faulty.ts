import type { ProviderAdversary } from "../types.ts";

/** `failRate`: a faulty machine that fails every challenge in this fraction of epochs. */
export const faulty: ProviderAdversary = {
  name: "failRate",
  create(strategy) {
    const failRate = strategy.failRate ?? 0;
    if (failRate <= 0) return undefined;
    return {
      beforeSampling(p, state, rng) {
        state.broken[p] = rng.chance(failRate) ? 1 : 0;
      },
    };
  },
};
