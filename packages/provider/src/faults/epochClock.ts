import { EpochClock } from "@checkernet/protocol/epochClock";
import { DEFAULT_PARAMS } from "@checkernet/protocol/params";

/**
 * The clock `offline-epochs` reads, from the serve flags `--genesis` (unix
 * seconds: the contracts' genesisTime, when epoch 1 starts) and
 * `--epoch-seconds`. It numbers epochs as the protocol does, so "offline in
 * epoch 3" is the epoch 3 the checkers test and the contracts report.
 */
export function serveEpochClock(
  flags: { genesis?: number | undefined; epochSeconds?: number | undefined },
  now: () => number = Date.now,
): EpochClock {
  return new EpochClock({
    genesisMs: (flags.genesis ?? 0) * 1000,
    epochSeconds: flags.epochSeconds ?? DEFAULT_PARAMS.epochSeconds,
    now,
  });
}
