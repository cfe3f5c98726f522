import type { ProviderAdversary } from "../types.ts";

/**
 * `proxy: { mode, actualRegion }`: the machine is not where the provider
 * claims (the world places it in `actualRegion`). A spoofer answers from there
 * directly; a relay forwards from the claimed region onwards, so its answers
 * take the detour.
 */
export const proxy: ProviderAdversary = {
  name: "proxy",
  create(strategy, setup) {
    const mode = strategy.proxy?.mode;
    if (mode === undefined) return undefined;
    if (mode === "spoof") return { misbehaves: () => true };
    const { net, world } = setup;
    return {
      misbehaves: () => true,
      route(c, p) {
        const claimed = world.providers.claimedRegion[p] as number;
        const actual = world.providers.actualRegion[p] as number;
        const cRegion = world.checkers.region[c] as number;
        return net.pathRttUs(cRegion, claimed, c, -1 - p) + net.pathRttUs(claimed, actual, -1 - p, -2 - p);
      },
    };
  },
};
