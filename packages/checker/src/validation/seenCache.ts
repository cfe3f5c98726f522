import type { Address, Hex } from "viem";

/**
 * The signing roots of attestations already accepted, per (epoch, provider,
 * checker): a repeat is a duplicate, a different root is a conflict. Pruned by
 * epoch so it holds at most the acceptance window.
 */
export class SeenAttestations {
  private readonly byEpoch = new Map<bigint, Map<string, Hex>>();

  get(epoch: bigint, provider: Address, checker: Address): Hex | undefined {
    return this.byEpoch.get(epoch)?.get(key(provider, checker));
  }

  add(epoch: bigint, provider: Address, checker: Address, root: Hex): void {
    let m = this.byEpoch.get(epoch);
    if (m === undefined) {
      m = new Map();
      this.byEpoch.set(epoch, m);
    }
    m.set(key(provider, checker), root);
  }

  /** Forgets every epoch before `minEpoch`. */
  prune(minEpoch: bigint): void {
    for (const epoch of this.byEpoch.keys()) if (epoch < minEpoch) this.byEpoch.delete(epoch);
  }

  get size(): number {
    let n = 0;
    for (const m of this.byEpoch.values()) n += m.size;
    return n;
  }
}

function key(provider: Address, checker: Address): string {
  return `${provider.toLowerCase()}:${checker.toLowerCase()}`;
}
