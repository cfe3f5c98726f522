/**
 * When a node's slash keeper acts on a due slash action (open, execute, expire): every node that holds the
 * leaves could send the same transaction, so they take turns in the epoch's aggregator ranking (the one the
 * aggregator duty uses for its backups). Rank r waits r steps after it first saw the action due; an unranked
 * node (no attestation of its own held for the epoch) waits as long as the last rank. The wait is capped so
 * that the last rank still acts half an epoch after the first: well inside a contest window of epochs.
 */

/** A turn step: 1/32 of an epoch (28 s at 900-s epochs). */
export function defaultKeeperStepMs(epochSeconds: number): number {
  return Math.floor((epochSeconds * 1_000) / 32);
}

/** Ranks past this one wait as long as it: 16 steps, half an epoch at the default step. */
const MAX_KEEPER_RANK = 16;

/**
 * How long after an action became due rank `rank` sends it.
 *
 * @example
 * keeperTurnDelayMs(0, 28_000); // 0: the epoch's leader acts at once
 * keeperTurnDelayMs(null, 28_000); // 448_000: unranked, after every ranked node had its turn
 */
export function keeperTurnDelayMs(rank: number | null, stepMs: number): number {
  return Math.min(rank ?? MAX_KEEPER_RANK, MAX_KEEPER_RANK) * stepMs;
}
