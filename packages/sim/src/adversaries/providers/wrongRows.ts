import type { ProviderAdversary } from "../types.ts";

/**
 * `wrongRows: f`: computes a fraction f of the rows of C wrongly in every matmul and commits, signs and opens
 * them through the honest path (the devnet provider's `wrong-rows:<f>` fault mode); pings and VRAM walks stay
 * honest. It saves f of its work cost (the engine charges the rest) and is faulty in every epoch.
 */
export const wrongRows: ProviderAdversary = {
  name: "wrongRows",
  create(strategy) {
    const f = strategy.wrongRows ?? 0;
    if (f <= 0) return undefined;
    return {
      beforeSampling(p, state) {
        state.wrongRows[p] = f;
      },
      misbehaves: () => true,
    };
  },
};
