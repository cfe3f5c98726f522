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

/** The longest poll of a duty that waits on turns of `stepMs` (production's 900-s epochs: steps of 72 s). */
const MAX_TURN_POLL_MS = 15_000;

/**
 * How often a duty whose turns come `stepMs` apart (a backup rank, a submitter's place) looks for work: a
 * quarter of a step, so a turn starts at most a quarter step late, and never more often than `floorMs`
 * (what the duty polled at before, the devnet's 20-s epochs keep it). At 300-s epochs a step is 24 s and a
 * poll 6 s: a third of the RPC calls of a 2-s poll on a node that is otherwise idle (issue 15).
 *
 * @example
 * turnPollMs(1_600, 2_000); // 2_000 (devnet: unchanged)
 * turnPollMs(24_000, 2_000); // 6_000
 */
export function turnPollMs(stepMs: number, floorMs: number): number {
  return Math.min(MAX_TURN_POLL_MS, Math.max(floorMs, Math.floor(stepMs / 4)));
}
