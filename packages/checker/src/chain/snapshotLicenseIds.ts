import type { Address } from "viem";

/**
 * The license ids of each operator in an epoch's final license snapshot, from the one reader of snapshots
 * (ChainDirectory). A report's license leaves (getEpochInputs) and the operator standing take them from
 * here: each read them again, 4 pages of ~33 KiB of JSON for 1,000 licenses, the aggregator and every
 * co-signer once a report or more, the standing once an epoch (issue 15).
 */
export interface SnapshotLicenseIds {
  /**
   * Operator → license ids in seat order, of `epoch`'s snapshot once it is final (the epoch is before
   * `effectiveEpochOfChange`); undefined when it is not final yet or cannot be read now.
   */
  licenseIdsAt(epoch: bigint): Promise<ReadonlyMap<Address, readonly bigint[]> | undefined>;
}

/**
 * `ids` with each list that equals the same operator's list in one of `others` replaced by that list, so
 * that snapshots held side by side share their unchanged lists instead of holding copies.
 */
export function sharedIds(
  ids: ReadonlyMap<Address, readonly bigint[]>,
  others: readonly ReadonlyMap<Address, readonly bigint[]>[],
): ReadonlyMap<Address, readonly bigint[]> {
  const out = new Map<Address, readonly bigint[]>();
  for (const [operator, list] of ids) {
    const same = others.map((o) => o.get(operator)).find((o) => o !== undefined && equalIds(o, list));
    out.set(operator, same ?? list);
  }
  return out;
}

function equalIds(a: readonly bigint[], b: readonly bigint[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
