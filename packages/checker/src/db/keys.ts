import type { Address } from "viem";

/**
 * Keys sort by epoch: epochs are zero-padded to 20 digits (uint64 max has 20),
 * so a range scan over one epoch, or pruning everything before one, is a
 * simple key range.
 */
export function epochKey(epoch: bigint): string {
  if (epoch < 0n || epoch >= 1n << 64n) throw new RangeError(`epoch out of uint64 range: ${epoch}`);
  return epoch.toString().padStart(20, "0");
}

export function attestationKey(epoch: bigint, provider: Address, checker: Address): string {
  return `${epochKey(epoch)}/${provider.toLowerCase()}/${checker.toLowerCase()}`;
}

export function slashingKey(epoch: bigint, provider: Address): string {
  return `${epochKey(epoch)}/${provider.toLowerCase()}`;
}

/** The lowest key of every epoch strictly after `epoch`'s prefix range. */
export function epochRange(epoch: bigint): { gte: string; lt: string } {
  return { gte: `${epochKey(epoch)}/`, lt: `${epochKey(epoch)}0` };
}
