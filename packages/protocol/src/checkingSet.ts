/**
 * The checking set of an epoch: the providers that are checked in epoch e (committee seats, gossip rule 6,
 * the providers of e's report). It is ProviderRegistry as of e's start (`isActiveAt(provider, e)`:
 * registered before e, with at least the minimum stake at e's start), never the registry's live state: a
 * change made in epoch c (a stake, an unstake, a slash, a registration) counts from c + 1. So every node
 * reads one set for e, whether it reads before or after a change made during e, and a report of e, late
 * or not, is judged on that set (docs/protocol/sortition-and-aggregation.md, issue 14). Pure: the chain's
 * epoch is an argument.
 */

/** The first epoch whose checking set a registry change made during `changeEpoch` belongs to. */
function checkingSetEpochOfChange(changeEpoch: bigint): bigint {
  return changeEpoch + 1n;
}

/**
 * Whether the checking set of `epoch`, read while the chain's clock is in `chainEpoch`, is final: no change
 * made from now on can reach it. Until then (an epoch not begun) a read is provisional and read again.
 */
export function isCheckingSetFinal(epoch: bigint, chainEpoch: bigint): boolean {
  return epoch >= 1n && checkingSetEpochOfChange(chainEpoch) > epoch;
}
