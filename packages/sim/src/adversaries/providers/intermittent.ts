import type { ProviderAdversary } from "../types.ts";

/**
 * `uptime`, `meanOutageEpochs`: online a fraction of epochs. A two-state
 * Markov chain: outages last `meanOutageEpochs` on average (default 2) and
 * the stationary uptime is `uptime`.
 */
export const intermittent: ProviderAdversary = {
  name: "uptime",
  create(strategy) {
    const uptime = strategy.uptime ?? 1;
    if (uptime >= 1) return undefined;
    const recover = 1 / (strategy.meanOutageEpochs ?? 2);
    const fail = (recover * (1 - uptime)) / Math.max(uptime, 1e-9);
    return {
      beforeSampling(p, state, rng, epoch) {
        if (epoch === 1) state.online[p] = rng.chance(uptime) ? 1 : 0;
        else if (state.online[p]) state.online[p] = rng.chance(Math.min(1, fail)) ? 0 : 1;
        else state.online[p] = rng.chance(recover) ? 1 : 0;
      },
    };
  },
};
