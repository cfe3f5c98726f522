/** How often ChainDirectory refreshes its view (providers, seeds, the chain's epoch); each number says why. */
export const REFRESH_LIMITS = {
  /**
   * The shortest interval, and the one used until the epoch length is known. License snapshots change only
   * at epoch boundaries and are read once each, so a refresh costs a handful of calls.
   */
  minMs: 5_000,
  /**
   * A refresh every this much of an epoch. What the view serves changes at epoch boundaries (snapshots,
   * checking sets, both held a boundary ahead) or once an epoch (the next seed, revealed early in it), and
   * what the duties need they read on demand (ensureEpoch, ensureSeed), so a twentieth of an epoch is
   * fresh enough; an RPC outage shows (RPC_DOWN) within it plus one call deadline, within one epoch as
   * issue 14 asks. 5 s at the devnet's 20-s epochs, 15 s at 300-s ones (issue 15: 60 refreshes of about
   * four calls each a 300-s epoch, on a node that is otherwise idle).
   */
  epochFraction: 20,
  /** The longest interval whatever the epoch (30 s at production's 900-s epochs): /status's view stays recent. */
  maxMs: 30_000,
} as const;

/**
 * The refresh interval at epochs of `epochSeconds` (undefined: not read yet): a twentieth of an epoch,
 * within [minMs, maxMs].
 *
 * @example
 * refreshIntervalMs(20); // 5_000
 * refreshIntervalMs(300); // 15_000
 */
export function refreshIntervalMs(epochSeconds: number | undefined): number {
  if (epochSeconds === undefined) return REFRESH_LIMITS.minMs;
  const share = Math.floor((epochSeconds * 1_000) / REFRESH_LIMITS.epochFraction);
  return Math.min(REFRESH_LIMITS.maxMs, Math.max(REFRESH_LIMITS.minMs, share));
}
