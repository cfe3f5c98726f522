import type { EpochClock } from "../../chain/clock.ts";

/** Length of an epoch's publish phase: every epoch has the same, so epoch 1 stands for all. */
function publishPhaseMs(clock: EpochClock): number {
  const b = clock.bounds(1n);
  return b.endMs - b.publishStartMs;
}

/**
 * The default backup step, a fifth of the publish phase: long enough for a
 * leader's co-sign round, short enough that several backups fit in the phase.
 */
export function defaultBackupStepMs(clock: EpochClock): number {
  return Math.floor(publishPhaseMs(clock) / 5);
}

/** How long after the round opens rank `rank` may lead: the leader (0) at once, backup i a step after backup i-1. */
export function turnDelayMs(rank: number, backupStepMs: number): number {
  return rank * backupStepMs;
}
