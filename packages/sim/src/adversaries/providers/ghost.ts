import type { ProviderAdversary } from "../types.ts";

/** `ghost: true`: answers pings from a cheap host but has no GPU behind it. */
export const ghost: ProviderAdversary = {
  name: "ghost",
  create(strategy) {
    if (strategy.ghost !== true) return undefined;
    return { noGpu: true, misbehaves: () => true };
  },
};
