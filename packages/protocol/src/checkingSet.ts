/**
 * The checking set of an epoch: the providers that are checked in epoch e (committee seats, gossip rule 6,
 * the providers of e's report). It is ProviderRegistry's `isActiveAt(provider, e)`, never the registry's
 * live state: a change made in epoch c that raises the stake (a first stake, a re-stake, a top-up: an
 * entry) counts from c + max(activationDelayEpochs, 2), an unstake (partial or not) from c + 2 but never
 * before the epoch after a pending raise (a cut can't take back stake added blind: seed(e)'s proposer knows
 * seed(e) in e − 2 and could otherwise keep only the blind entries or top-ups whose committees it holds), a
 * slash from c + 2 over anything pending (review5 H2), so `stakeAt(e)` (reward weight, slash amount) is final with the set and no
 * stake is added once its epoch's seed can be known; a change before genesis
 * (epoch 0) from 1 (the launch set; seed(1) is public at deploy, a one-time window the docs state).
 * The entry delay is at least the seed lookahead (seed(e) is known during e − 1), so a provider cannot
 * grind its address or choose to enter against a seed it knows; the leave delay makes the set of e depend
 * only on changes made in epochs <= e − 2, so every node reads the same set for e from the time the chain
 * is in e − 1, one whole epoch of blocks before e begins (docs/protocol/sortition-and-aggregation.md,
 * issue 14). Pure: the chain's epoch is an argument.
 */

/** The earliest epoch whose checking set or stakes a registry change made during `changeEpoch` can reach. */
function checkingSetEpochOfChange(changeEpoch: bigint): bigint {
  return changeEpoch === 0n ? 1n : changeEpoch + 2n;
}

/**
 * Whether the checking set of `epoch`, read while the chain's clock is in `chainEpoch`, is final: no change
 * made from now on can reach it (true from `epoch − 1` on). Until then a read is provisional and read again.
 */
export function isCheckingSetFinal(epoch: bigint, chainEpoch: bigint): boolean {
  return epoch >= 1n && checkingSetEpochOfChange(chainEpoch) > epoch;
}
