import { gpuClass } from "../../protocol.ts";
import type { ProviderAdversary } from "../types.ts";

/** `actualGpu`: runs another GPU class than it claims; faulty when that one is weaker (fewer INT8 ops or less VRAM). */
export const slowGpu: ProviderAdversary = {
  name: "actualGpu",
  create(strategy, setup) {
    if (strategy.actualGpu === undefined) return undefined;
    const providers = setup.world.providers;
    const weaker = new Uint8Array(providers.count);
    for (let p = 0; p < providers.count; p++) {
      const actual = gpuClass(providers.actualGpu[p] as string);
      const claimed = gpuClass(providers.claimedGpu[p] as string);
      weaker[p] =
        actual.int8OpsPerSecond < claimed.int8OpsPerSecond || actual.vramBytes < claimed.vramBytes ? 1 : 0;
    }
    return { misbehaves: (p) => weaker[p] === 1 };
  },
};
