import { type Address, getAddress } from "viem";

/** What the network knows about one registered checker operator. */
export interface CheckerRecord {
  address: Address;
  /** BLS public key (48 bytes, compressed G1), registered on-chain with a proof of possession. */
  publicKey: Uint8Array;
  /** Licenses delegated to this operator: its sortition weight. */
  licenses: number;
}

/**
 * Checker address -> BLS key and licenses. The chain client feeds it from the
 * registry contract's per-epoch snapshots; tests and devnets use a static map.
 *
 * Weights are per epoch: everything an epoch's sortition reads (each operator's
 * licenses and their total) is the snapshot of that epoch, fixed on-chain an
 * activation delay ahead (docs/protocol/contracts.md). Callers that know the
 * epoch pass it, after `ensureEpoch(epoch)` when the directory reads a chain.
 */
export interface KeyDirectory {
  /** The operator as the snapshot of `epoch` holds it (the latest snapshot without one). */
  getChecker(address: Address, epoch?: bigint): CheckerRecord | undefined;
  /**
   * Whether the provider is in the checking set of `epoch` (ProviderRegistry.isActiveAt: the registry as of
   * the epoch's start, packages/protocol/src/checkingSet.ts): attestations of it in an epoch whose set
   * lacks it are REJECTed (gossip rule 6).
   */
  hasProvider(address: Address, epoch: bigint): boolean;
  /** All licenses of the snapshot of `epoch` (the latest without one): the denominator of sortition. */
  totalLicenses(epoch?: bigint): number;
  /**
   * Loads the snapshot of `epoch` from the chain now if it is not held yet (the first moments of an
   * epoch, or an older epoch); resolves false when it cannot be read. Absent for static directories.
   */
  ensureEpoch?(epoch: bigint): Promise<boolean>;
}

export class StaticKeyDirectory implements KeyDirectory {
  private readonly checkers = new Map<Address, CheckerRecord>();
  private readonly providers = new Set<Address>();

  constructor(checkers: readonly CheckerRecord[] = [], providers: readonly Address[] = []) {
    for (const c of checkers) this.setChecker(c);
    for (const p of providers) this.providers.add(getAddress(p));
  }

  setChecker(record: CheckerRecord): void {
    this.checkers.set(getAddress(record.address), { ...record, address: getAddress(record.address) });
  }

  addProvider(address: Address): void {
    this.providers.add(getAddress(address));
  }

  getChecker(address: Address, _epoch?: bigint): CheckerRecord | undefined {
    return this.checkers.get(getAddress(address));
  }

  hasProvider(address: Address, _epoch: bigint): boolean {
    return this.providers.has(getAddress(address));
  }

  totalLicenses(_epoch?: bigint): number {
    let n = 0;
    for (const c of this.checkers.values()) n += c.licenses;
    return n;
  }
}
