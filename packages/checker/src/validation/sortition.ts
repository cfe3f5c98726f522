import type { Hex } from "viem";

/** What the chain tells the validator about epochs. */
export interface EpochContext {
  /** The epoch's randomness, or undefined while the chain has not produced it. */
  seed(epoch: bigint): Hex | undefined;
  /**
   * Reads the seed from the chain now if it is final there (its epoch has
   * started by the chain's clock) and caches it; undefined otherwise. For the
   * first moments of an epoch, before the next periodic refresh.
   */
  ensureSeed?(epoch: bigint): Promise<Hex | undefined>;
}

/** A fixed table of seeds (tests, devnets before the chain client lands). */
export class StaticEpochSeeds implements EpochContext {
  private readonly seeds = new Map<bigint, Hex>();
  constructor(entries: Iterable<[bigint, Hex]> = []) {
    for (const [e, s] of entries) this.seeds.set(e, s);
  }
  set(epoch: bigint, seed: Hex): void {
    this.seeds.set(epoch, seed);
  }
  seed(epoch: bigint): Hex | undefined {
    return this.seeds.get(epoch);
  }
}
