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
 * registry contract; tests and devnets use a static map.
 */
export interface KeyDirectory {
  getChecker(address: Address): CheckerRecord | undefined;
  /** Whether the provider is registered (unknown providers get no attestations). */
  hasProvider(address: Address): boolean;
  /** All delegated licenses: the denominator of sortition. */
  totalLicenses(): number;
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

  getChecker(address: Address): CheckerRecord | undefined {
    return this.checkers.get(getAddress(address));
  }

  hasProvider(address: Address): boolean {
    return this.providers.has(getAddress(address));
  }

  totalLicenses(): number {
    let n = 0;
    for (const c of this.checkers.values()) n += c.licenses;
    return n;
  }
}
