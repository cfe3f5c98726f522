import type { ProviderAdversary } from "../types.ts";

/**
 * `contest: never | whenHonest | always`: which of its pending slashes it
 * contests. `always` is griefing: contesting deserved slashes to delay them.
 */
export const contestPolicy: ProviderAdversary = {
  name: "contest",
  create(strategy) {
    const policy = strategy.contest;
    if (policy === undefined) return undefined;
    return { contests: (deserved) => policy === "always" || (policy === "whenHonest" && !deserved) };
  },
};
