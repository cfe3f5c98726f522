import type { ProviderAdversary } from "../types.ts";

/** `cheatRate`: diverts its GPU (skips the honest work and its cost) in this fraction of epochs. */
export const cheater: ProviderAdversary = {
  name: "cheatRate",
  create(strategy) {
    const cheatRate = strategy.cheatRate ?? 0;
    if (cheatRate <= 0) return undefined;
    return {
      afterSampling(p, state, rng) {
        state.cheating[p] = rng.chance(cheatRate) ? 1 : 0;
      },
    };
  },
};
